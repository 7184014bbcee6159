"""A lead's own text, made safe for each channel a rep is told on. Pure.

A lead writes its name, company and the rest itself, through public forms; none of it may start
a line, a link, a mention or a header of its own in what a rep reads. `one_line` is for every
field wherever it goes; `slack_text` for anything sent to Slack as mrkdwn."""

import html
import unicodedata

# Bidi embeddings, overrides and isolates reorder the text around them on screen: a field could
# show its characters in another order than they are, or push ours out of place.
REORDERING = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})
# Control characters (CR, LF, tab, NEL, ESC, ...), and the line and paragraph separators.
BREAKING = frozenset({"Cc", "Zl", "Zp"})


def one_line(text: str) -> str:
    """The text as one line: every control character or line/paragraph separator becomes a space
    (runs of them, and the whitespace around them, one space), reordering marks are dropped, a
    lone surrogate (not encodable) becomes U+FFFD."""
    if text.isprintable():  # no control, separator or format character: the common case
        return text
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in BREAKING:
            kept.append(" ")
        elif category == "Cs":
            kept.append("\ufffd")
        elif unicodedata.bidirectional(char) not in REORDERING:
            kept.append(char)
    return " ".join("".join(kept).split())


def slack_text(text: str) -> str:
    """Text for a Slack mrkdwn field: `&`, `<` and `>` as entities, as Slack's formatting guide
    asks, so `<https://…|label>`, `<!channel>` and `<@U…>` show as written and never link or
    ping. Only these three: Slack decodes no other entity."""
    return html.escape(text, quote=False)


def slack_link(url: str, label: str) -> str:
    """Our own link in mrkdwn, its parts escaped (`|` and `>` cannot occur in them: ours)."""
    return f"<{slack_text(url)}|{slack_text(label)}>"
