"""Mail to reps over SMTP (aiosmtplib): STARTTLS by default, TLS or plain when set.

Connections are kept open and reused: a connection per message costs a TCP handshake, the
greeting, EHLO, TLS and a login each time, several times the message itself."""

import asyncio
import binascii
import functools
from collections.abc import Awaitable, Callable
from email import policy
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage

import aiosmtplib

from leadflow_webhooks.domain.escaping import one_line
from leadflow_webhooks.domain.notices import Message
from leadflow_webhooks.settings import NotifySettings

CONNECTIONS = 4  # messages in flight to the mail server at once
# What `EmailMessage.set_content(text, charset="utf-8", cte="quoted-printable")` writes after the
# addressing headers: the same every time, so not parsed again for every mail.
CONTENT_HEADERS = (
    b'Content-Type: text/plain; charset="utf-8"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\n"
)


def sender_header(sender: str) -> BaseHeader:
    """The From header, parsed once (it is the same on every mail, and parsing is most of what
    building a mail costs)."""
    header: BaseHeader = policy.default.header_factory("From", sender)
    return header


def build_mail(sender: BaseHeader, to: str, message: Message) -> EmailMessage:
    """The mail, headers through the email package's registry: the subject (a lead's name is in
    it) one line and encoded, the recipient parsed as one address, never text concatenated into
    a header. The default policy refuses a header value with CR or LF besides. Quoted-printable
    UTF-8 body: any server takes it, and the text stays readable in the raw message."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = Address(addr_spec=to)
    mail["Subject"] = one_line(message.subject)
    mail.set_content(message.text, charset="utf-8", cte="quoted-printable")
    return mail


def folded(name: str, value: object) -> bytes:
    """One header line as the email package writes it for SMTP: parsed by its registry (which
    refuses CR or LF in a value), non-ASCII text encoded, folded."""
    _, header = policy.SMTP.header_store_parse(name, value)
    line: str = header.fold(policy=policy.SMTP)
    return line.encode("ascii")


@functools.lru_cache(maxsize=1024)
def recipient(to: str) -> tuple[str, bytes]:
    """The recipient (ASCII) parsed as one address, and its To line: reps' addresses repeat, and
    parsing an address is most of what a header costs."""
    address = Address(addr_spec=to)
    return address.addr_spec, folded("To", address)


def mail_bytes(head: bytes, message: Message) -> bytes:
    """The mail `build_mail` makes, as the bytes aiosmtplib would send for it, without building
    the message object: the subject through the registry (one line, encoded), the body
    quoted-printable UTF-8 (binascii, the C encoder) with its lines as `set_content` splits them."""
    subject = folded("Subject", one_line(message.subject))
    lines = message.text.encode("utf-8").splitlines()
    body = binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True).replace(b"\n", b"\r\n")
    return head + subject + CONTENT_HEADERS + body


class Mailer:
    def __init__(self, settings: NotifySettings, connections: int = CONNECTIONS):
        self._settings = settings
        self._sender = sender_header(settings.smtp_from)
        self._from: tuple[str, bytes] | None = None  # a sender needing SMTPUTF8: build_mail
        sender = self._sender.addresses[0].addr_spec  # type: ignore[attr-defined]
        if sender.isascii():
            self._from = sender, folded("From", self._sender)
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[aiosmtplib.SMTP] = []

    def _composed(self, to: str, message: Message) -> Callable[[aiosmtplib.SMTP], Awaitable[object]]:
        """How to send this mail on a connection: as bytes composed here (the common case, a
        fraction of the email package's cost), or the email package's message when an address
        needs SMTPUTF8."""
        if self._from is None or not to.isascii():
            mail = build_mail(self._sender, to, message)
            return lambda connection: connection.send_message(mail)
        address, to_line = recipient(to)
        sender, from_line = self._from
        raw = mail_bytes(from_line + to_line, message)
        return lambda connection: connection.sendmail(sender, [address], raw)

    async def send(self, to: str, message: Message) -> None:
        send = self._composed(to, message)
        async with self._slots:
            kept = self._idle.pop() if self._idle else None
            if kept is not None and kept.is_connected:
                try:
                    await send(kept)
                    self._idle.append(kept)
                    return
                except aiosmtplib.SMTPServerDisconnected:
                    pass  # closed by the server while idle: a fresh connection below
                except BaseException:
                    kept.close()
                    raise
            fresh = self._connection()
            await fresh.connect()
            try:
                await send(fresh)
            except BaseException:
                fresh.close()
                raise
            self._idle.append(fresh)

    def _connection(self) -> aiosmtplib.SMTP:
        settings = self._settings
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=15,
        )

    async def close(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            try:
                await connection.quit()
            except aiosmtplib.SMTPException:
                connection.close()
