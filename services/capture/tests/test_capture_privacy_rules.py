"""Privacy rules (pure): the do-not-contact digests and an erasure's progress per service."""

from datetime import UTC, datetime, timedelta

from leadflow_capture import privacy

T0 = datetime(2026, 11, 26, tzinfo=UTC)


def test_digests_name_the_kind_and_never_hold_the_value():
    email, phone = privacy.digest("email", "ada@example.com"), privacy.digest("phone", "+14155550100")
    assert email != privacy.digest("phone", "ada@example.com")  # same text, another kind
    assert "ada" not in email and len(email) == 64
    assert privacy.digests_of("ada@example.com", "+14155550100") == [email, phone]
    assert privacy.digests_of(None, None) == []


def test_a_service_is_done_when_it_has_answered_for_every_lead_of_the_erasure():
    applied = {
        "capture": (2, T0),
        "scoring": (2, T0 + timedelta(seconds=1)),
        "routing": (1, T0 + timedelta(seconds=2)),
    }
    parts = {part.service: part for part in privacy.progress(2, applied)}
    assert set(parts) == set(privacy.ERASING_SERVICES)
    assert parts["scoring"].completed_at == T0 + timedelta(seconds=1) and parts["scoring"].erased == 2
    assert parts["routing"].completed_at is None and parts["routing"].erased == 1
    assert parts["console"].erased == 0 and parts["console"].completed_at is None
