"""Origins as an operator lists them (CAPTURE_ALLOWED_ORIGINS): `scheme://host[:port]`, nothing
else. An entry that is not one ("www.example.com", "https://shop.example/path") can never match a
browser's Origin header nor a redirect target's: it is set apart and said (the banner, capture's
log and /readyz), not silently listed as allowed (an operator's hour). Pure: no I/O."""

from urllib.parse import urlsplit


def split_origins(text: str) -> tuple[list[str], list[str]]:
    """The comma-separated entries as (origins, entries that are not origins), a trailing slash
    allowed and dropped."""
    origins: list[str] = []
    malformed: list[str] = []
    for entry in (item.strip() for item in text.split(",")):
        if entry:
            (origins if is_origin(entry.rstrip("/")) else malformed).append(entry.rstrip("/") or entry)
    return origins, malformed


def is_origin(entry: str) -> bool:
    try:
        parts = urlsplit(entry)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and port_ok
        and not (parts.path or parts.query or parts.fragment or parts.username or parts.password)
    )
