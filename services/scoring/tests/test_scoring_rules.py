import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadflow_common.events import Attribution, Channel, ConsentGrant, LeadProfile, Temperature
from leadflow_scoring.domain.rules import (
    Activity,
    Thresholds,
    decay,
    default_rules,
    score_lead,
    segment_of,
    temperature_for,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)
RULES = default_rules()


def lead(**fields) -> LeadProfile:
    base = {"lead_id": uuid.uuid4(), "revision": 1, "created_at": NOW, "updated_at": NOW}
    return LeadProfile(**{**base, **fields})


def factors(score) -> dict[str, float]:
    return {reason.factor: reason.points for reason in score.reasons}


@pytest.mark.parametrize(
    ("title", "factor", "points"),
    [
        ("Chief Executive Officer", "fit:job_title:c_level", 25),
        ("VP Sales", "fit:job_title:vp", 20),
        ("Head of Marketing", "fit:job_title:vp", 20),
        ("Sales Director", "fit:job_title:director", 15),
        ("Account Manager", "fit:job_title:manager", 10),
        ("Student", "fit:job_title:student", -10),
    ],
)
def test_job_title_seniority(title, factor, points):
    assert factors(score_lead(lead(job_title=title, company="Acme"), [], RULES, NOW))[factor] == points


def test_company_size_takes_the_largest_band_met():
    scored = score_lead(lead(company="Acme", company_size_min=250, company_size_max=500), [], RULES, NOW)
    assert factors(scored)["fit:company_size:201+"] == 15


def test_completeness_consent_and_free_mail():
    scored = score_lead(
        lead(
            email="x@gmail.com",
            phone="+12025550147",
            company="Acme",
            consent={"email": ConsentGrant(granted=True, at=NOW, channel=Channel.popup)},
        ),
        [],
        RULES,
        NOW,
    )
    assert factors(scored) == {
        "fit:has_email": 5,
        "fit:has_phone": 10,
        "fit:consent": 5,
        "fit:free_mail": -10,
    }


def test_channel_and_source_points():
    scored = score_lead(
        lead(company="Acme", channels=[Channel.landing_page], attribution=Attribution(source="Referral")),
        [],
        RULES,
        NOW,
    )
    assert factors(scored) == {"fit:channel:landing_page": 5, "fit:source:referral": 8}


def test_segment_picks_the_profile():
    assert segment_of(lead(company="Acme")) == "b2b"
    assert segment_of(lead(email="a@gmail.com")) == "b2c"
    assert segment_of(lead(company="Acme", segment="b2c")) == "b2c"
    assert "fit:free_mail" not in factors(score_lead(lead(email="a@gmail.com"), [], RULES, NOW))


def test_engagement_is_capped_per_type_and_the_cap_is_a_line():
    burst = [Activity("pricing_page_view", NOW)] * 50
    lines = factors(score_lead(lead(company="Acme"), burst, RULES, NOW))
    assert lines["engagement:activity:pricing_page_view"] == 600
    assert lines["engagement:cap:pricing_page_view"] == -576
    assert "engagement:decay:pricing_page_view" not in lines  # all fresh: nothing faded


def test_engagement_halves_every_half_life_and_the_fading_is_a_line():
    assert decay(14, 14) == pytest.approx(0.5)
    old_demo = [Activity("demo_requested", NOW - timedelta(days=14))]
    lines = factors(score_lead(lead(company="Acme"), old_demo, RULES, NOW))
    assert lines["engagement:activity:demo_requested"] == 30
    assert lines["engagement:decay:demo_requested"] == -15
    assert "engagement:cap:demo_requested" not in lines


def test_negative_signals_take_points():
    scored = score_lead(
        lead(company="Acme"), [Activity("email_bounced", NOW), Activity("unsubscribed", NOW)], RULES, NOW
    )
    assert factors(scored)["engagement:activity:email_bounced"] == -15
    assert factors(scored)["engagement:activity:unsubscribed"] == -20


def test_reasons_add_up_to_the_score_even_when_bounded():
    top = score_lead(
        lead(
            job_title="CEO",
            company="Acme",
            company_size_min=5000,
            email="a@acme.example",
            phone="+12025550147",
            channels=[Channel.landing_page],
        ),
        [
            Activity(kind, NOW)
            for kind in ("demo_requested", "pricing_page_view", "call_answered", "webinar_attended")
        ]
        * 3,
        RULES,
        NOW,
    )
    assert top.score == 100
    assert factors(top)["bounds"] < 0
    assert round(sum(r.points for r in top.reasons), 1) == top.score
    bottom = score_lead(
        lead(job_title="Student", company="Acme"), [Activity("unsubscribed", NOW)], RULES, NOW
    )
    assert bottom.score == 0
    assert round(sum(r.points for r in bottom.reasons), 1) == 0


def test_temperature_bands():
    bands = Thresholds()
    assert [temperature_for(s, bands) for s in (0, 39.9, 40, 69.9, 70, 100)] == [
        Temperature.cold,
        Temperature.cold,
        Temperature.warm,
        Temperature.warm,
        Temperature.hot,
        Temperature.hot,
    ]


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError):
        Thresholds(warm=80, hot=70)
