"""A rep is told on becoming an account's owner, every service a real process and a real SMTP
server: an admin names Olga, who is mailed which account, why and its people (the text people
typed kept on its line); naming her again tells her nothing new; naming Sam tells Sam, and tells
Olga that she lost it (who has it now, what that means), once; leaving it without an owner tells
Sam he lost it."""

import httpx
import pytest
from harness import AUTH, HOT, eventually
from test_notifications import inbox, start_system  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e
OWNS = "You own an account now"
LOST = "You no longer own an account"


async def test_a_rep_is_told_when_she_becomes_an_accounts_owner(
    settings,
    start_service,
    inbox,  # noqa: F811 (the fixture imported above)
):
    mails, smtp_port = inbox
    urls = await start_system(settings, start_service, smtp_port, sla="300")
    routing = urls["routing"]
    async with httpx.AsyncClient(headers=AUTH, timeout=10) as client:

        async def rep(name: str) -> str:
            body = {"name": name, "email": f"{name.lower()}@sales.example", "tier": "senior", "capacity": 10}
            created = await client.post(f"{routing}/v1/reps", json=body | {"available": False})
            assert created.status_code == 201, created.text
            return created.json()["id"]

        olga, sam = await rep("Olga"), await rep("Sam")
        people = (("Ada", "CTO\nBcc: x@evil.example"), ("Bob", "VP Sales"))
        for first_name, job_title in people:
            lead = {**HOT, "first_name": first_name, "email": f"{first_name.lower()}@acme.example"}
            lead |= {"company": "Acme", "job_title": job_title}
            # Through the API: a public form refuses a job title holding an address (shown_text.py);
            # a caller with a key is trusted, and what it sends must still stay on its line.
            answer = await client.post(f"{urls['capture']}/v1/leads", json=lead)
            assert answer.status_code == 202, answer.text

        async def both_waiting():
            return len((await client.get(f"{routing}/v1/queue")).json()) == 2

        await eventually(both_waiting, timeout=30)  # captured, scored and routed: known everywhere
        found = await client.get(f"{urls['capture']}/v1/accounts", params={"domain": "acme.example"})
        account = found.json()["accounts"][0]["account_id"]

        async def name(rep_id: str | None) -> None:
            named = await client.put(f"{routing}/v1/accounts/{account}/owner", json={"rep_id": rep_id})
            assert named.status_code == 200, named.text

        await name(olga)
        [mail] = await eventually(lambda: [m for m in mails.to("olga@sales.example") if OWNS in m["subject"]])
        assert mail["subject"] == f"{OWNS}: Acme"
        text = mail.get_content()
        assert "An admin named you its owner." in text and "offered to you first" in text
        assert "Ada, CTO Bcc: x@evil.example" in text and "Bob, VP Sales" in text, text
        assert "\nBcc:" not in text and mail["bcc"] is None, "what a lead typed stays on its line"
        assert f"/accounts/{account}" in text

        await name(olga)  # named again: nothing new to tell
        await name(sam)
        await eventually(lambda: [m for m in mails.to("sam@sales.example") if OWNS in m["subject"]])
        [lost] = await eventually(lambda: [m for m in mails.to("olga@sales.example") if LOST in m["subject"]])
        assert lost["subject"] == f"{LOST}: Acme"
        text = lost.get_content()
        assert "You no longer own Acme. An admin named Sam its owner." in text, text
        assert "no longer offered to you first" in text and "the leads of it you hold stay yours" in text
        assert f"/accounts/{account}" in text

        await name(sam)  # named again: nobody lost anything
        await name(None)  # nobody owns it: Sam lost it
        [left] = await eventually(lambda: [m for m in mails.to("sam@sales.example") if LOST in m["subject"]])
        assert "An admin left it without an owner" in left.get_content()
    assert len([m for m in mails.to("olga@sales.example") if OWNS in m["subject"]]) == 1
    assert len([m for m in mails.to("olga@sales.example") if LOST in m["subject"]]) == 1, "once per change"
    assert len([m for m in mails.to("sam@sales.example") if LOST in m["subject"]]) == 1
