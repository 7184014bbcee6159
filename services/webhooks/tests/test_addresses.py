"""Where an outbound call may go: only to public internet addresses, the IPv4 that 6to4 and NAT64
addresses carry included; the allowed hosts excepted; URLs of at most 2,048 characters."""

import ipaddress

import pytest

from leadflow_webhooks.domain.addresses import RefusedTarget, check_resolved, check_url, is_public

PUBLIC = (
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "2a00:1450:4001:81c::200e",
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
)
NOT_PUBLIC = {
    "127.0.0.1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local (cloud metadata)",
    "100.64.0.1": "shared address space (carrier-grade NAT)",
    "100.127.255.254": "shared address space (carrier-grade NAT)",
    "0.0.0.0": "unspecified",
    "0.1.2.3": "this network",
    "192.0.0.8": "IETF protocol assignments",
    "192.0.2.1": "documentation",
    "198.51.100.7": "documentation",
    "203.0.113.9": "documentation",
    "198.18.0.1": "benchmarking",
    "198.19.255.1": "benchmarking",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "broadcast",
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "unique local",
    "fd12:3456::1": "unique local",
    "ff02::1": "multicast",
    "ff0e::1": "global multicast",
    "::ffff:127.0.0.1": "IPv4-mapped loopback",
    "::ffff:8.8.8.8": "IPv4-mapped",
    "::127.0.0.1": "IPv4-compatible (deprecated)",
    "2002:7f00:1::": "6to4 of 127.0.0.1",
    "2002:a00:1::1": "6to4 of 10.0.0.1",
    "2002:6440:1::": "6to4 of 100.64.0.1",
    "64:ff9b::7f00:1": "NAT64 of 127.0.0.1",
    "64:ff9b::a9fe:a9fe": "NAT64 of 169.254.169.254",
    "64:ff9b::6440:1": "NAT64 of 100.64.0.1",
    "64:ff9b:1::a00:1": "local-use NAT64",
    "2001::1": "Teredo",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "Teredo",
    "2001:2::1": "benchmarking",
    "2001:db8::1": "documentation",
    "3fff::1": "documentation (RFC 9637)",
    "100::1": "discard-only",
    "5f00::1": "SRv6 SIDs",
}


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_may_be_called(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(("address", "kind"), NOT_PUBLIC.items())
def test_every_other_address_is_refused(address, kind):
    assert not is_public(ipaddress.ip_address(address)), kind


@pytest.mark.parametrize(
    "url",
    [
        "http://100.64.0.1/",
        "http://[2002:7f00:1::]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "https://[2001::1]:8443/hook",
        "http://198.18.0.1/",
        "http://127.0.0.1:8080/",
        "ftp://example.com/",
        "http://user:pass@example.com/",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_urls_refused_when_saved(url):
    with pytest.raises(RefusedTarget):
        check_url(url, frozenset())


def test_an_allowed_host_is_called_although_internal_and_a_name_is_checked_where_it_resolves():
    assert check_url("http://127.0.0.1:9000/hook", frozenset({"127.0.0.1"})) == "127.0.0.1"
    assert check_url("https://hooks.example.com/x", frozenset()) == "hooks.example.com"
    assert (
        check_resolved("hooks.example.com", ["93.184.216.34", "2606:4700::1"], frozenset()) == "93.184.216.34"
    )
    for inside in (["93.184.216.34", "100.64.0.1"], ["64:ff9b::a00:1"], ["fe80::1%eth0"], []):
        with pytest.raises(RefusedTarget):
            check_resolved("hooks.example.com", inside, frozenset())
    assert check_resolved("localhost", ["127.0.0.1"], frozenset({"localhost"})) == "127.0.0.1"
