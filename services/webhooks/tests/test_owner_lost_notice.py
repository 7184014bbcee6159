"""What a rep is told on losing an account they owned, pure (account_notices.py): only the owner
it was taken from, once per change; who has it now and why, with what a lead typed (the
company's name) and what an admin typed (a rep's name) kept on its line and inert in Slack."""

import uuid
from datetime import UTC, datetime

from leadflow_common.account_events import AccountOwnerChanged
from leadflow_common.events import RepRef, Tier
from leadflow_webhooks.domain.account_notices import lost_message, lost_notice_id, lost_owner
from leadflow_webhooks.domain.notices import slack_payload

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
OLGA = RepRef(id=uuid.uuid4(), name="Olga Owner", email="olga@sales.example", tier=Tier.senior)
SAM = RepRef(
    id=uuid.uuid4(), name="Sam <!here>\nBcc: s@evil.example", email="sam@sales.example", tier=Tier.mid
)
ACCOUNT = uuid.uuid4()


def changed(owner: RepRef | None, previous: RepRef | None, by: str = "admin") -> AccountOwnerChanged:
    return AccountOwnerChanged(
        account_id=ACCOUNT,
        owner=owner,
        previous_owner_id=previous.id if previous else None,
        previous_owner=previous,
        by=by,
        at=NOW,
    )


def test_only_the_owner_it_was_taken_from_is_told_once_per_change():
    assert lost_owner(changed(SAM, OLGA)) and lost_owner(changed(None, OLGA))
    assert not lost_owner(changed(OLGA, None, by="system")), "nobody owned it before"
    assert not lost_owner(changed(OLGA, OLGA)), "named again: nothing lost"
    assert lost_notice_id(changed(SAM, OLGA)) == lost_notice_id(changed(SAM, OLGA))
    later = changed(SAM, OLGA).model_copy(update={"at": datetime(2026, 12, 5, tzinfo=UTC)})
    assert lost_notice_id(later) != lost_notice_id(changed(SAM, OLGA))


def test_the_previous_owner_learns_who_has_it_and_what_that_means_with_typed_text_kept_inert():
    cards = [{"first_name": "Ada", "company": "Acme\r\nBcc: x@evil.example <!channel>"}]
    message = lost_message(changed(SAM, OLGA), cards, "http://console/accounts/x")
    assert message.subject == "You no longer own an account: Acme Bcc: x@evil.example <!channel>"
    assert "\n" not in message.subject and "\r" not in message.subject
    text = message.text
    assert "You no longer own Acme Bcc: x@evil.example <!channel>." in text
    assert "An admin named Sam <!here> Bcc: s@evil.example its owner." in text
    assert "\nBcc:" not in text and "no longer offered to you first" in text
    assert f"Account: {ACCOUNT}" in text and "The account: http://console/accounts/x" in text
    slack = str(slack_payload(message, None))
    assert "<!channel>" not in slack and "<!here>" not in slack and "&lt;!here&gt;" in slack


def test_left_without_an_owner_or_taken_by_a_rep():
    nobody = lost_message(changed(None, OLGA), [], None)
    assert nobody.subject == "You no longer own an account: an account"
    assert "An admin left it without an owner" in nobody.text and "The account:" not in nobody.text
    assert (
        "Sam <!here> Bcc: s@evil.example took it."
        in lost_message(changed(SAM, OLGA, by="rep"), [], None).text
    )
