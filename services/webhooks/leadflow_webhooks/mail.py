"""Mail to reps over SMTP (aiosmtplib): STARTTLS by default, TLS or plain when set."""

from email.message import EmailMessage

import aiosmtplib

from leadflow_webhooks.notices import Message
from leadflow_webhooks.settings import NotifySettings


async def send_mail(settings: NotifySettings, to: str, message: Message) -> None:
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Subject"] = message.subject
    mail.set_content(message.text)
    await aiosmtplib.send(
        mail,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=15,
    )
