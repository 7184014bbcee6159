import pytest

from leadflow_common.clients import parse_networks, resolve_client

PROXY = parse_networks("10.0.0.0/8")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),  # not a trusted proxy: the header is ignored
        ("10.1.2.3", ["198.51.100.1"], "198.51.100.1"),
        ("10.1.2.3", ["198.51.100.1, 10.9.9.9"], "198.51.100.1"),  # trusted hops are skipped
        ("10.1.2.3", ["forged, 198.51.100.1"], "198.51.100.1"),  # read from the right
        ("10.1.2.3", ["198.51.100.1", "192.0.2.5"], "192.0.2.5"),  # several headers are one list
        ("10.1.2.3", ["x" * 100_000], "10.1.2.3"),  # garbage: the proxy's own address
        ("10.1.2.3", [], "10.1.2.3"),
        ("10.1.2.3", ["[2001:db8:1:2:3::1]:443"], "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa::1", [], "2001:db8:1:2::/64"),  # IPv6 counted per /64
        ("::ffff:203.0.113.9", [], "203.0.113.9"),
        ("203.0.113.9:5555", [], "203.0.113.9"),
        (None, [], "unknown"),
    ],
)
def test_the_client_is_who_the_socket_says_unless_a_trusted_proxy_says_otherwise(peer, forwarded, expected):
    assert resolve_client(peer, forwarded, PROXY) == expected


def test_a_bad_network_is_named():
    with pytest.raises(ValueError, match="nonsense"):
        parse_networks("10.0.0.0/8, nonsense")
