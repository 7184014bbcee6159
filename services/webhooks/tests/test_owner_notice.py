"""What a rep is told on becoming an account's owner, pure (account_notices.py): only a new
owner, once per change, the account's people named with everything a lead typed kept on its
line and inert in Slack."""

import uuid
from datetime import UTC, datetime

from leadflow_common.account_events import AccountOwnerChanged
from leadflow_common.events import RepRef, Tier
from leadflow_webhooks.domain.account_notices import new_owner, owner_message, owner_notice_id
from leadflow_webhooks.domain.notices import slack_payload

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
OLGA = RepRef(id=uuid.uuid4(), name="Olga Owner", email="olga@sales.example", tier=Tier.senior)
ACCOUNT = uuid.uuid4()


def changed(owner: RepRef | None, previous: uuid.UUID | None, by="admin") -> AccountOwnerChanged:
    return AccountOwnerChanged(account_id=ACCOUNT, owner=owner, previous_owner_id=previous, by=by, at=NOW)


def test_only_a_new_owner_is_told_once_per_change():
    assert new_owner(changed(OLGA, None)) and new_owner(changed(OLGA, uuid.uuid4()))
    assert not new_owner(changed(OLGA, OLGA.id)), "named again: nothing new"
    assert not new_owner(changed(None, OLGA.id)), "nobody owns it now: nobody to tell"
    assert owner_notice_id(changed(OLGA, None)) == owner_notice_id(changed(OLGA, None))
    later = changed(OLGA, None).model_copy(update={"at": datetime(2026, 12, 5, tzinfo=UTC)})
    assert owner_notice_id(later) != owner_notice_id(changed(OLGA, None))


def test_the_new_owner_learns_which_account_why_and_its_people_with_lead_text_kept_inert():
    cards = [
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "job_title": "CTO",
            "company": "Acme\nBcc: x@evil.example",
        },
        {"first_name": "<!channel>", "job_title": "*VP* <https://evil.example|click>", "company": "Acme"},
        *({"email": f"p{n}@acme.example"} for n in range(12)),
    ]
    message = owner_message(changed(OLGA, None, by="system"), cards, "http://console/accounts/x")
    assert message.subject == "You own an account now: Acme Bcc: x@evil.example"
    assert "\n" not in message.subject
    text = message.text
    assert "You accepted its first lead, so it is yours." in text
    assert "  Ada Lovelace, CTO" in text and "and 4 more" in text
    assert f"Account: {ACCOUNT}" in text and "The account: http://console/accounts/x" in text
    slack = str(slack_payload(message, None))
    assert "<!channel>" not in slack and "<https://evil" not in slack and "&lt;!channel&gt;" in slack


def test_an_account_with_nobody_known_yet_is_still_named():
    message = owner_message(changed(OLGA, None), [], None)
    assert message.subject == "You own an account now: an account"
    assert "An admin named you its owner." in message.text and "people so far" not in message.text
