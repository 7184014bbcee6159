"""Where a webhook may point: not at the service's own network. Refused: loopback, private,
link-local (cloud metadata), multicast, reserved and unspecified addresses, IPv4 inside IPv6
included — unless WEBHOOKS_ALLOWED_HOSTS names the host. Checked on the URL when a webhook is
saved, and again on every address the name resolves to at each delivery."""

import ipaddress
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedTarget(ValueError):
    pass


def is_internal(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, allowed_hosts: frozenset[str]) -> str:
    """The URL's host, or RefusedTarget saying why it may not be called."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("must be an http or https URL with a host")
    if parts.username or parts.password:
        raise RefusedTarget("must not carry credentials; the signature authenticates the sender")
    host = parts.hostname.lower()
    address = literal_address(host)
    if address is not None and is_internal(address) and host not in allowed_hosts:
        raise RefusedTarget(f"{host} is an internal address")
    return host


def check_resolved(host: str, addresses: list[str], allowed_hosts: frozenset[str]) -> str:
    """The address to connect to: the first resolved one, once none of them is internal."""
    if not addresses:
        raise RefusedTarget(f"{host} does not resolve")
    if host not in allowed_hosts:
        for text in addresses:
            if is_internal(ipaddress.ip_address(text.split("%")[0])):
                raise RefusedTarget(f"{host} resolves to an internal address")
    return addresses[0]
