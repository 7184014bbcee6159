"""Where a landing page's form may send the visitor next (`redirect_to`), pure.

A target that is not exactly an http(s) URL on an allowed origin is never followed: a browser
and Python's URL parser disagree about surrounding whitespace and control characters (the
parser drops them, so `" https://shop.example/"` looks allowed, while percent-encoded into
`Location` it becomes a path on capture's own host), so such characters are refused rather than
cleaned. The visitor's submission is stored all the same; only the redirect is withheld."""

import unicodedata
from urllib.parse import SplitResult, urlsplit


def has_control_or_edge_space(target: str) -> bool:
    """Leading or trailing whitespace (any Unicode space), or a control character anywhere
    (C0, DEL, C1: Unicode category Cc)."""
    return target != target.strip() or any(unicodedata.category(char) == "Cc" for char in target)


def allowed_redirect(target: str, origins: list[str]) -> str | None:
    """The target when it may go into `Location` as it is; None otherwise."""
    if not target or has_control_or_edge_space(target):
        return None
    parts = _split(target)
    if parts is None:
        return None
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if parts.scheme not in ("http", "https") or origin not in {o.lower() for o in origins}:
        return None
    return target


def target_origin(target: object) -> str:
    """The origin a refused target asked for, as the operator would list it in
    CAPTURE_ALLOWED_ORIGINS; "(malformed)" when it has none a browser could go to."""
    if not isinstance(target, str) or has_control_or_edge_space(target):
        return "(malformed)"
    parts = _split(target)
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return "(malformed)"
    return f"{parts.scheme}://{parts.netloc}".lower()


def _split(target: str) -> SplitResult | None:
    """The target's parts; None when the parser refuses it (`http://[::1` raised, and the
    visitor whose lead was stored got a 500 and sent it again)."""
    try:
        return urlsplit(target)
    except ValueError:
        return None
