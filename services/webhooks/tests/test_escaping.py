"""A lead's own text made safe for each channel: one line, and Slack's three control characters
as entities."""

import pytest

from leadflow_webhooks.domain.escaping import one_line, slack_link, slack_text


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Grace Hopper", "Grace Hopper"),
        ("Navy\r\nBcc: attacker@example.com", "Navy Bcc: attacker@example.com"),
        ("a\nb\rc\td", "a b c d"),
        ("line\u2028separator\u2029paragraph\u0085next", "line separator paragraph next"),
        ("vertical\x0btab\x0cfeed\x1cfile", "vertical tab feed file"),
        ("bell\x07escape\x1b[31mred\x7fdel", "bell escape [31mred del"),
        ("  \r\n  padded \n\n ", "padded"),
        ("evil\u202egnp.exe", "evilgnp.exe"),  # a right-to-left override shows the rest reversed
        ("isolate\u2066d\u2069", "isolated"),
        ("lone\ud800surrogate", "lone\ufffdsurrogate"),
        ("Jürgen Müller — 87 👩‍💻", "Jürgen Müller — 87 👩‍💻"),  # the emoji's zero-width joiner stays
        ("two  spaces", "two  spaces"),  # printable text is left exactly as written
        ("", ""),
    ],
)
def test_one_line(written, shown):
    assert one_line(written) == shown
    assert one_line(shown) == shown


def test_one_line_leaves_nothing_that_breaks_a_line():
    every_break = "".join(chr(code) for code in range(0x110000) if len(f"a{chr(code)}b".splitlines()) > 1)
    assert len(one_line(f"x{every_break}y").splitlines()) == 1


@pytest.mark.parametrize(
    ("written", "escaped"),
    [
        (
            "<https://evil.example|ACCEPT THIS LEAD NOW> <!channel>",
            "&lt;https://evil.example|ACCEPT THIS LEAD NOW&gt; &lt;!channel&gt;",
        ),
        (
            "<!here> <@U123> <#C456> <!subteam^S789>",
            "&lt;!here&gt; &lt;@U123&gt; &lt;#C456&gt; &lt;!subteam^S789&gt;",
        ),
        ('Tom & Jerry\'s "Ltd"', 'Tom &amp; Jerry\'s "Ltd"'),  # no other entity: Slack decodes only three
        ("&lt; already", "&amp;lt; already"),  # shown as typed, not decoded
    ],
)
def test_slack_text(written, escaped):
    assert slack_text(written) == escaped
    assert "<" not in slack_text(written) and ">" not in slack_text(written)


def test_slack_link_escapes_its_parts():
    assert slack_link("https://leadflow.example/v1/leads/1?a=1&b=2", "The whole record") == (
        "<https://leadflow.example/v1/leads/1?a=1&amp;b=2|The whole record>"
    )
