"""Who a request comes from, as a key that rate limits and connection caps can count on.

Only a proxy the operator trusts (`LEADFLOW_TRUSTED_PROXIES`) may say who its client is, in
`X-Forwarded-For`; everyone else is who the socket says. The header is read from the right
(each proxy appends the address it saw), skipping trusted proxies, and only a parsable IP address
counts: anything else falls back to the peer, so a forged header can neither invent clients nor
grow memory. IPv6 clients are counted per /64, the smallest block a home or cloud host is given.
"""

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Hops read from the right of X-Forwarded-For: more proxies than this in a row is a forgery.
MAX_FORWARDED_HOPS = 8


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """`"10.0.0.0/8, 192.168.1.7"` → networks; raises ValueError naming a bad entry."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {item!r}") from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_key(address: IPAddress) -> str:
    """The key a client is counted under: its IPv4 address, or its IPv6 /64."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@lru_cache(maxsize=4096)
def _is_trusted(host: str, trusted: tuple[IPNetwork, ...]) -> bool:
    address = _address(host)
    return address is not None and any(address in network for network in trusted)


def is_trusted_proxy(host: str | None, trusted: tuple[IPNetwork, ...]) -> bool:
    return bool(host and trusted) and _is_trusted(host, trusted)


def resolve_client(peer: str | None, forwarded_for: Iterable[str], trusted: tuple[IPNetwork, ...]) -> str:
    """The client's key: the peer's, unless the peer is a trusted proxy, in which case the
    right-most address in X-Forwarded-For that is not itself a trusted proxy."""
    peer_address = _address(peer) if peer else None
    if peer_address is None:
        return "unknown"
    if not is_trusted_proxy(peer, trusted):
        return client_key(peer_address)
    hops = [hop for header in forwarded_for for hop in header.split(",")][-MAX_FORWARDED_HOPS:]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # a garbled hop: nothing left of it can be believed
        if not any(address in network for network in trusted):
            return client_key(address)
    return client_key(peer_address)
