"""Mail to reps over SMTP (aiosmtplib): STARTTLS by default, TLS or plain when set.

Connections are kept open and reused: a connection per message costs a TCP handshake, the
greeting, EHLO, TLS and a login each time, several times the message itself."""

import asyncio
from email import policy
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage

import aiosmtplib

from leadflow_webhooks.domain.escaping import one_line
from leadflow_webhooks.domain.notices import Message
from leadflow_webhooks.settings import NotifySettings

CONNECTIONS = 4  # messages in flight to the mail server at once


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


class Mailer:
    def __init__(self, settings: NotifySettings, connections: int = CONNECTIONS):
        self._settings = settings
        self._sender = sender_header(settings.smtp_from)
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, to: str, message: Message) -> None:
        mail = build_mail(self._sender, to, message)
        async with self._slots:
            kept = self._idle.pop() if self._idle else None
            if kept is not None and kept.is_connected:
                try:
                    await kept.send_message(mail)
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
                await fresh.send_message(mail)
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
