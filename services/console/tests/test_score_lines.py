import random

from leadflow_common.in_words import breakdown, label, signed


def test_codes_read_as_words():
    assert label("fit:job_title:c_level") == "Job title: C-level"
    assert label("fit:job_title:vp") == "Job title: VP", "it read Vp"
    assert label("fit:company_size:201+") == "Company size: 201 or more employees"
    assert label("fit:country:DE") == "Country: Germany"
    assert label("fit:channel:landing_page") == "Channel: a landing page"
    assert label("fit:channel:api") == "Channel: the API"
    assert label("fit:has_phone") == "Gave a phone number"
    assert label("engagement:activity:demo_requested") == "Demo requested"
    assert label("engagement:decay:demo_requested") == "Demo requested: faded with time"
    assert label("engagement:cap:pricing_page_view") == "Pricing page view: above its cap"
    assert label("bounds") == "Kept within 0 to 100"
    assert label("model:baseline") == "Learned model: baseline for every lead"
    assert label("model:job_title=ceo") == "Learned model: Job title ceo"
    assert all(":" not in label(code).split(": ", 1)[-1] for code in ("fit:source:google", "bounds"))


def test_points_are_signed_without_needless_decimals():
    assert [signed(25), signed(-2.5), signed(0.1)] == ["+25", "\u22122.5", "+0.1"]


def test_a_shortened_breakdown_still_adds_up_to_the_score():
    rng = random.Random(28)
    for _ in range(500):
        reasons = [
            {"factor": f"fit:source:s{index}", "points": round(rng.uniform(-30, 30), 1)}
            for index in range(rng.randint(0, 14))
        ]
        score = round(sum(reason["points"] for reason in reasons), 1)
        for limit in (None, 3, 5):
            lines = breakdown(reasons, limit)
            assert round(sum(line.points for line in lines), 1) == score
            assert len(lines) <= (limit or len(reasons))
