"""Mail to reps over SMTP (aiosmtplib): STARTTLS by default, TLS or plain when set.

Connections are kept open and reused: a connection per message costs a TCP handshake, the
greeting, EHLO, TLS and a login each time, several times the message itself."""

import asyncio
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText

import aiosmtplib

from leadflow_webhooks.notices import Message
from leadflow_webhooks.settings import NotifySettings

CONNECTIONS = 4  # messages in flight to the mail server at once
# Quoted-printable UTF-8: any server takes it, and the text stays readable in the raw message.
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP


class Mailer:
    def __init__(self, settings: NotifySettings, connections: int = CONNECTIONS):
        self._settings = settings
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, to: str, message: Message) -> None:
        # The email package's compat32 classes: a quarter of the CPU of EmailMessage, whose
        # default policy parses every header it is given.
        mail = MIMEText(message.text, "plain", UTF8_QP)
        mail["From"] = self._settings.smtp_from
        mail["To"] = to
        mail["Subject"] = Header(message.subject, "utf-8")
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
