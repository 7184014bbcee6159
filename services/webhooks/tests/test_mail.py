"""The mailer against a real SMTP server (aiosmtpd) in this process: messages share a kept-open
connection, one closed by the server meanwhile is replaced without losing the message, and
non-ASCII subjects and bodies arrive intact."""

import asyncio
import contextlib
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from leadflow_cli.infra import free_port
from leadflow_webhooks.app.mail import Mailer, build_mail, sender_header
from leadflow_webhooks.domain.notices import Message
from leadflow_webhooks.settings import NotifySettings


class CountingInbox:
    """Every message, and how many SMTP sessions (connections) brought them."""

    def __init__(self):
        self.messages = []
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):
        self.sessions.add(id(session))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox, port = CountingInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    yield inbox, controller
    with contextlib.suppress(AssertionError, RuntimeError):  # stopped by the test already
        controller.stop()


def mailer_for(port: int) -> Mailer:
    return Mailer(NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none"), connections=2)


async def test_messages_share_a_kept_open_connection(smtp):
    inbox, controller = smtp
    mailer = mailer_for(controller.port)
    try:
        for number in range(5):
            await mailer.send("rep@sales.example", Message(f"Lead {number}", (f"Lead: {number}",)))
        await asyncio.gather(
            *(mailer.send("rep@sales.example", Message(f"Lead {n}", ("x",))) for n in range(5, 9))
        )
    finally:
        await mailer.close()
    assert [m["Subject"] for m in inbox.messages[:5]] == [f"Lead {n}" for n in range(5)]
    assert len(inbox.messages) == 9
    assert len(inbox.sessions) <= 2  # at most the two connections allowed, never one per message


async def test_a_connection_the_server_closed_is_replaced_and_the_message_sent(smtp):
    inbox, controller = smtp
    mailer = mailer_for(controller.port)
    try:
        await mailer.send("rep@sales.example", Message("first", ("one",)))
        controller.stop()  # the server goes away, and with it the kept connection
        again = Controller(inbox, hostname="127.0.0.1", port=controller.port)
        again.start()
        try:
            await mailer.send("rep@sales.example", Message("second", ("two",)))
        finally:
            again.stop()
    finally:
        await mailer.close()
    assert [m["Subject"] for m in inbox.messages] == ["first", "second"]


async def test_non_ascii_arrives_intact(smtp):
    inbox, controller = smtp
    mailer = mailer_for(controller.port)
    try:
        await mailer.send(
            "rep@sales.example", Message("Hot lead: Jürgen Müller — 87", ("Name: Jürgen Müller",))
        )
    finally:
        await mailer.close()
    (mail,) = inbox.messages
    assert mail["Subject"] == "Hot lead: Jürgen Müller — 87"
    assert mail.get_content().splitlines() == ["Name: Jürgen Müller"]


async def test_composed_mail_reads_as_the_email_package_writes_it(smtp):
    """The bytes the mailer composes (not the email package's message) arrive as the same mail:
    encoded subject, quoted-printable body with long lines, `=`, trailing spaces, a lone dot,
    carriage returns; and a recipient needing SMTPUTF8 still goes the email package's way."""
    inbox, controller = smtp
    tricky = Message(
        "Hot lead: Jürgen Müller — 87 " + "x" * 120,
        ("Name: Jürgen Müller  ", ".", "a = b\tc", "line\rsplit", "é" * 90),
        (("Accept", "https://links.example/accept?" + "k=v&" * 30),),
    )
    mailer = mailer_for(controller.port)
    try:
        await mailer.send("rep@sales.example", tricky)
        await mailer.send("rep@müller.example", Message("Jürgen", ("UTF-8 address",)))
    finally:
        await mailer.close()
    expected = message_from_bytes(
        bytes(build_mail(sender_header(NotifySettings().smtp_from), "rep@sales.example", tricky)),
        policy=policy.default,
    )
    composed, international = inbox.messages
    for name in ("From", "To", "Subject", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"):
        assert composed[name] == expected[name], name
    assert composed.get_content().splitlines() == expected.get_content().splitlines()
    assert composed.get_content().splitlines()[:3] == ["Name: Jürgen Müller  ", ".", "a = b\tc"]
    assert international["To"] == "rep@müller.example"
