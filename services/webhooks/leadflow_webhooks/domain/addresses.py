"""Where an outbound call may go: only to addresses routable on the public internet, unless
WEBHOOKS_ALLOWED_HOSTS names the host. Checked on the URL when it is saved, and again on every
address the name resolves to at each delivery (outbound.py connects to the address checked).

Python's `is_global` is the base. What it lets through, or what older Pythons (3.11) call global
although the IANA special-purpose registries do not, is refused here too: multicast; IETF
protocol assignments 192.0.0.0/24 (3.11 knows only parts); IPv6 outside global unicast 2000::/3
(IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, local-use NAT64 64:ff9b:1::/48, SRv6);
documentation 3fff::/20 (RFC 9637); Teredo 2001::/32; and addresses that carry an IPv4 inside
(6to4 2002::/16, NAT64 64:ff9b::/96) when the IPv4 they carry is not public, since a relay or
translator on the way would deliver to that IPv4."""

import ipaddress
from urllib.parse import urlsplit

from leadflow_common.errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 in the last 32 bits
# Not globally reachable (IANA), yet global to Python 3.11's tables.
NOT_GLOBAL_TOO = (ipaddress.IPv4Network("192.0.0.0/24"), ipaddress.IPv6Network("3fff::/20"))
# Longer than the web's common limit of 2,048: refused when saved (schemas.py), never sent.
MAX_URL_LENGTH = 2048


class RefusedTarget(Invalid, ValueError):
    """An address Leadflow will not call, and why (the use case names the field: `url`,
    `slack_url`; a delivery records it as the attempt's error)."""


def is_public(address: IPAddress) -> bool:
    """True only for an address a request may go to without reaching anyone's inside."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = _carried_ipv4(address)
        if carried is not None:  # what a relay or translator on the way would deliver to
            return is_public(carried)
        if address not in GLOBAL_UNICAST or address.teredo is not None:
            return False
    if address.is_multicast or any(address in network for network in NOT_GLOBAL_TOO):
        return False
    return address.is_global


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 a 6to4 or (well-known prefix) NAT64 address stands for; decided here, not by
    whichever view of these prefixes this Python's `is_global` holds."""
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return address.sixtofour


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, allowed_hosts: frozenset[str]) -> str:
    """The URL's host, or RefusedTarget saying why it may not be called."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedTarget(f"must be at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("must be an http or https URL with a host")
    if parts.username or parts.password:
        raise RefusedTarget("must not carry credentials; the signature authenticates the sender")
    host = parts.hostname.lower()
    address = literal_address(host)
    if address is not None and not is_public(address) and host not in allowed_hosts:
        raise RefusedTarget(f"{host} is not a public internet address")
    return host


def check_resolved(host: str, addresses: list[str], allowed_hosts: frozenset[str]) -> str:
    """The address to connect to: the first resolved one, once every one of them is public."""
    if not addresses:
        raise RefusedTarget(f"{host} does not resolve")
    if host not in allowed_hosts:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text.split("%")[0])):
                raise RefusedTarget(f"{host} resolves to {text}, not a public internet address")
    return addresses[0]
