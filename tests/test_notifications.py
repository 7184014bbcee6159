"""Reps are told: an offer by mail (a real SMTP server in this process) and Slack (a real HTTP
receiver) with the contact card and one-click links; a prefetch of the link changes nothing, its
POST accepts once; a reminder before the SLA runs out; the previous rep told when a lead moves on."""

import asyncio
import re
import secrets
import uuid
from email import message_from_bytes, policy

import httpx
import pytest
from aiosmtpd.controller import Controller
from harness import AUTH, HOT, eventually, is_ready
from webhook_receiver import receiving

from leadflow_cli.infra import free_port

pytestmark = pytest.mark.e2e


class Inbox:
    """An SMTP server's handler: every message it was given."""

    def __init__(self):
        self.messages = []
        self.raw: list[bytes] = []  # each message as it came over the wire

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        self.raw.append(envelope.content)
        return "250 OK"

    def to(self, address: str) -> list:
        return [message for rcpt, message in self.messages if address in rcpt]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


async def start_system(
    settings,
    start_service,
    smtp_port: int,
    sla: str,
    routing: dict | None = None,
    webhooks: dict | None = None,
) -> dict:
    routing_port = free_port()
    routing_url = f"http://127.0.0.1:{routing_port}"
    urls = {
        "capture": start_service("capture", settings),
        "scoring": start_service("scoring", settings),
        "routing": start_service(
            "routing",
            settings,
            port=routing_port,
            ROUTING_PUBLIC_URL=routing_url,
            ROUTING_SLA_SECONDS=sla,
            **(routing or {}),
        ),
        "webhooks": start_service(
            "webhooks",
            settings,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            SMTP_TLS="none",
            WEBHOOKS_ROUTING_URL=routing_url,
            WEBHOOKS_REMINDER_SHARE="0.5",
            WEBHOOKS_ALLOWED_HOSTS="127.0.0.1",
            LEADFLOW_CONSOLE_URL=CONSOLE,  # for the mail's link to the lead (none runs here)
            **(webhooks or {}),
        ),
    }
    # As the harness waits for any system (conftest.py): a loaded machine starts slowly.
    await asyncio.gather(*(eventually(lambda url=url: is_ready(url), timeout=60) for url in urls.values()))
    return urls


CONSOLE = "https://console.example.com"


def link_in(text: str, label: str) -> str:
    return re.search(rf"{label}:\s+(\S+)", text).group(1)


async def test_the_rep_is_mailed_and_messaged_and_accepts_with_one_click_once(
    settings, start_service, inbox, tmp_path
):
    mails, smtp_port = inbox
    urls = await start_system(settings, start_service, smtp_port, sla="300")
    slack_secret = secrets.token_urlsafe(18)  # an incoming webhook's path is its credential
    async with (
        receiving(free_port(), path=f"/services/T0001/B0001/{slack_secret}") as slack,
        httpx.AsyncClient(headers=AUTH, timeout=10) as client,
    ):
        rep = {"name": "Sam", "email": "sam@sales.example", "tier": "senior", "capacity": 3}
        rep_id = (await client.post(f"{urls['routing']}/v1/reps", json=rep)).json()["id"]
        # With SMTP_HOST set, the system says it can mail reps (the console's team page asks).
        assert (await client.get(f"{urls['webhooks']}/v1/notifications")).json() == {"mail": True}
        channels = {"email": True, "slack_url": slack.url}
        assert (
            await client.put(f"{urls['webhooks']}/v1/notifications/reps/{rep_id}", json=channels)
        ).status_code == 200
        lead = {
            **HOT,
            "email": "grace@navy.example",
            "first_name": "Grace",
            "last_name": "Hopper",
            "company": "Navy",
            "phone": "+1 202 555 0147",
        }
        posted = await client.post(f"{urls['capture']}/v1/leads/landing-page", json=lead)
        lead_id = posted.json()["lead_id"]

        await eventually(lambda: mails.to("sam@sales.example") and slack.received, timeout=30)
        [mail] = mails.to("sam@sales.example")
        text = mail.get_content()
        assert "hot lead for you: Grace Hopper, Navy" in mail["subject"]
        for shown in ("grace@navy.example", "+12025550147", "CTO", "Score ", "Accept by"):
            assert shown in text, shown
        # In the console's words, adding up to the score; the link opens the console's page
        # (the card's own URL is the capture API's, a 401 on a rep's phone).
        assert "Came through: a landing page" in text and "  Job title: C-level +25" in text, text
        score = float(re.search(r"Score (\S+) \(hot\)", text).group(1))
        points = re.findall(r"^  .* ([+\u2212][\d.]+)\r?$", text, re.MULTILINE)
        assert sum(float(p.replace("\u2212", "-")) for p in points) == pytest.approx(score), text
        assert link_in(text, "The lead in the console") == f"{CONSOLE}/leads/{lead_id}"
        assert re.search(r"[45] min from this message", text), "how long is left, in every reader's zone"
        assert "/v1/leads/" not in text.replace(f"{CONSOLE}/leads/", "")
        message = slack.received[0].event
        assert "Grace Hopper" in message["text"]
        [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
        buttons = actions["elements"]
        assert [b["text"]["text"] for b in buttons] == ["Accept", "Pass"]

        accept = link_in(text, "Accept")
        assert buttons[0]["url"].split("/v1/offers/")[0] == accept.split("/v1/offers/")[0]
        assignments = f"{urls['routing']}/v1/assignments"
        page = await client.get(accept)  # what a mail scanner's prefetch does
        assert page.status_code == 200 and '<form method="post">' in page.text
        # It names the lead and how long she has (it asked "Accept the lead offered to you?").
        assert "<title>Accept Grace Hopper, Navy?</title>" in page.text
        assert "Offered to you until " in page.text
        style = page.headers["content-security-policy"]
        assert "style-src 'sha256-" in style and "script-src" not in style, "its own style, nothing more"
        [offered] = (await client.get(assignments, params={"rep_id": rep_id})).json()
        assert offered["status"] == "offered", "a GET accepts nothing"
        offer_links = f"{urls['routing']}/v1/offer-links"
        asked = {"assignment_ids": [offered["id"], str(uuid.uuid4())]}
        made = (await client.post(offer_links, json=asked)).json()["links"]
        assert [link["assignment_id"] for link in made] == [offered["id"]], "unknown ids get no links"
        too_many = await client.post(offer_links, json={"assignment_ids": [str(uuid.uuid4())] * 101})
        assert too_many.status_code == 422 and "assignment_ids" in too_many.text

        done = await client.post(accept)
        assert done.status_code == 200 and "accepted" in done.text
        [accepted] = (await client.get(assignments, params={"rep_id": rep_id})).json()
        assert accepted["status"] == "accepted"
        again = await client.post(accept)
        assert again.status_code == 409 and "used" in again.text
        taken = await client.get(link_in(text, "Pass"))  # before a click: nothing left to do
        assert "<title>Nothing to do here</title>" in taken.text and "it is accepted now" in taken.text
        assert (await client.post(offer_links, json=asked)).json()["links"] == [], "taken: nothing to click"
        forged = await client.post(accept[:-3] + "abc")
        assert forged.status_code == 422
    logs = "".join(log.read_text() for log in tmp_path.glob("webhooks-*.log"))
    assert logs and slack_secret not in logs, "the Slack URL is never logged"


async def test_a_reminder_before_the_sla_then_the_next_rep_is_offered_and_the_first_told(
    settings, start_service, inbox
):
    mails, smtp_port = inbox
    # The second rep's offer is mailed only while it is still theirs: the SLA leaves the notice
    # loop that long to send it after the move, on a machine busy with other tests.
    urls = await start_system(settings, start_service, smtp_port, sla="8")
    async with httpx.AsyncClient(headers=AUTH, timeout=10) as client:
        for name in ("ada", "bob"):
            rep = {"name": name, "email": f"{name}@sales.example", "tier": "senior", "capacity": 3}
            assert (await client.post(f"{urls['routing']}/v1/reps", json=rep)).status_code == 201
        lead = {**HOT, "email": "pat@bigco.example", "first_name": "Pat", "company": "BigCo"}
        await client.post(f"{urls['capture']}/v1/leads/landing-page", json=lead)

        def subjects(address: str) -> list[str]:
            return [mail["subject"].strip() for mail in mails.to(address)]

        await eventually(lambda: subjects("ada@sales.example") or subjects("bob@sales.example"), timeout=30)
        first, second = ("ada", "bob") if subjects("ada@sales.example") else ("bob", "ada")
        await eventually(
            lambda: any(s.startswith("Reminder") for s in subjects(f"{first}@sales.example")), timeout=10
        )
        await eventually(
            lambda: any("moved to another rep" in s for s in subjects(f"{first}@sales.example")), timeout=15
        )
        await eventually(lambda: subjects(f"{second}@sales.example"), timeout=10)
        offer = mails.to(f"{second}@sales.example")[0].get_content()

        passed = await client.post(link_in(offer, "Pass"), data={"reason": "not my territory"})
        assert passed.status_code == 200
        statuses = [a["status"] for a in (await client.get(f"{urls['routing']}/v1/assignments")).json()]
        assert "rejected" in statuses, statuses


# A lead's own fields, written to forge the rep's notices: a Slack link and a channel-wide ping in
# the name, and a mail header in the company (CR/LF to start a line of its own).
FORGED_NAME = "<https://evil.example|ACCEPT THIS LEAD NOW> <!channel>"
FORGED_COMPANY = "Navy\r\nBcc: attacker@example.com"
# Every header a notice may carry: ours, and the ones a mail library or server adds.
MAIL_HEADERS = set(
    "from to subject date message-id mime-version content-type content-transfer-encoding".split()
)


def texts_of(value) -> list[str]:
    """Every string in a Slack payload, wherever it sits."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in texts_of(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts_of(item)]
    return [value] if isinstance(value, str) else []


async def test_a_leads_own_fields_cannot_forge_a_link_a_ping_or_a_mail_header(settings, start_service, inbox):
    mails, smtp_port = inbox
    urls = await start_system(settings, start_service, smtp_port, sla="300")
    async with receiving(free_port()) as slack, httpx.AsyncClient(headers=AUTH, timeout=10) as client:
        rep = {"name": "Sam", "email": "sam@sales.example", "tier": "senior", "capacity": 3}
        rep_id = (await client.post(f"{urls['routing']}/v1/reps", json=rep)).json()["id"]
        channels = {"email": True, "slack_url": slack.url}
        await client.put(f"{urls['webhooks']}/v1/notifications/reps/{rep_id}", json=channels)
        lead = {
            **HOT,
            "email": "mallory@forge.example",
            "first_name": FORGED_NAME,
            "last_name": "Hopper\r\nX-Forged: yes\u2028Accept: https://evil.example/ok",
            "company": FORGED_COMPANY,
        }
        # A public form refuses a name holding an address; a caller with a key is trusted, and
        # what it sends must still reach mail and Slack as text.
        refused = await client.post(f"{urls['capture']}/v1/leads/landing-page", json=lead)
        assert refused.status_code == 422 and {f["name"] for f in refused.json()["fields"]} >= {"last_name"}
        posted = await client.post(f"{urls['capture']}/v1/leads", json=lead)
        assert posted.status_code == 202, posted.text

        await eventually(lambda: mails.to("sam@sales.example") and slack.received, timeout=30)

        payload = slack.received[0].event
        texts = texts_of(payload)
        assert not any("<!channel>" in text or "<https://evil" in text for text in texts), texts
        card = payload["blocks"][0]["text"]
        assert card["verbatim"] is True, "no plain @channel, #channel or bare URL is parsed"
        assert "&lt;https://evil.example|ACCEPT THIS LEAD NOW&gt; &lt;!channel&gt;" in card["text"]
        assert "&lt;!channel&gt;" in payload["text"], "the notification's own text is escaped too"
        lines = card["text"].splitlines()
        assert "Company: Navy Bcc: attacker@example.com" in lines, lines
        assert not any(line.startswith(("Bcc:", "X-Forged:", "Accept: https://evil")) for line in lines)

        [(recipients, mail)] = [(rcpt, m) for rcpt, m in mails.messages if "sam@sales.example" in rcpt]
        assert recipients == ["sam@sales.example"], "the envelope goes to the rep alone"
        assert mail["Bcc"] is None and mail["X-Forged"] is None
        headers = {name.lower() for name in mail.keys()}
        assert headers <= MAIL_HEADERS, headers
        raw_head = mails.raw[0].split(b"\r\n\r\n", 1)[0]
        assert b"\nBcc:" not in raw_head and b"\nX-Forged:" not in raw_head, raw_head
        subject = str(mail["subject"])
        assert "\n" not in subject and "\r" not in subject and "Navy Bcc: attacker@example.com" in subject
        body = mail.get_content().splitlines()
        assert "Company: Navy Bcc: attacker@example.com" in body, body
        name_lines = [line for line in body if line.startswith("Name: ")]
        assert (
            len(name_lines) == 1 and "Hopper X-Forged: yes Accept: https://evil.example/ok" in name_lines[0]
        )
        assert not any(line.startswith(("Bcc:", "X-Forged:")) for line in body), body
        accepts = [line for line in body if line.startswith("Accept:")]
        assert len(accepts) == 1 and "evil" not in accepts[0], accepts


@pytest.mark.long
async def test_admins_are_mailed_and_messaged_once_when_a_hot_lead_waits_past_its_limit(
    settings, start_service, inbox
):
    mails, smtp_port = inbox
    settings = settings.model_copy(update={"leadflow_console_url": "http://console.test:8000"})
    slack_port = free_port()
    slack_path = f"/services/T0001/B0002/{secrets.token_urlsafe(18)}"
    routing = {"ROUTING_HOT_WAIT_LIMIT_SECONDS": "2", "ROUTING_RELAX_HOT_SECONDS": "0"}
    admins = {
        "WEBHOOKS_ADMIN_EMAILS": "ops@sales.example, head@sales.example",
        "WEBHOOKS_ADMIN_SLACK_URL": f"http://127.0.0.1:{slack_port}{slack_path}",
    }
    async with (
        receiving(slack_port, path=slack_path) as slack,
        httpx.AsyncClient(headers=AUTH, timeout=10) as client,
    ):
        urls = await start_system(settings, start_service, smtp_port, "300", routing, admins)
        # Only a mid rep: a hot lead waits for a senior, and nobody relaxes it here.
        rep = {"name": "Mo", "email": "mo@sales.example", "tier": "mid", "capacity": 3}
        assert (await client.post(f"{urls['routing']}/v1/reps", json=rep)).status_code == 201
        lead = {
            **HOT,
            "email": "ada@engines.example",
            "first_name": "Ada",
            "last_name": "<b>Lovelace</b>",
            "company": "Analytical Engines",
            "phone": "+1 202 555 0148",
        }
        assert (await client.post(f"{urls['capture']}/v1/leads/landing-page", json=lead)).status_code == 202

        def told():
            return (
                len(mails.to("ops@sales.example")) and len(mails.to("head@sales.example")) and slack.received
            )

        await eventually(told, timeout=30)
        await asyncio.sleep(3)  # the sweeper looks again and again: nothing more is said of this wait
    [mail] = mails.to("ops@sales.example")
    assert len(mails.to("head@sales.example")) == 1 and len(slack.received) == 1
    assert "A hot lead has waited" in mail["subject"] and "Ada <b>Lovelace</b>" in mail["subject"]
    text = mail.get_content()
    assert "It waits for: an active senior rep" in text, text
    assert "Queue: http://console.test:8000/queue" in text, text
    message = slack.received[0].event
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in message["text"], "the lead's text is escaped for Slack"
    assert mails.to("mo@sales.example") == [], "a rep is not told of a lead not offered to them"
