from leadflow_common.events import ScoreReason
from leadflow_routing.store.cards import REASONS_ON_CARD, top_reasons


def reason(factor: str, points: float) -> ScoreReason:
    return ScoreReason(factor=factor, points=points)


def test_a_card_shows_what_an_activity_gives_not_its_burst_and_cap():
    reasons = [
        reason("fit:job_title:c_level", 25),
        reason("fit:company_size:1000+", 20),
        reason("engagement:activity:pricing_page_view", 600),
        reason("engagement:decay:pricing_page_view", -100.5),
        reason("engagement:cap:pricing_page_view", -475.5),
        reason("fit:has_email", 5),
    ]
    card = top_reasons(reasons)
    assert card[:REASONS_ON_CARD] == card
    assert card[0] == {"factor": "fit:job_title:c_level", "points": 25}
    assert {"factor": "engagement:activity:pricing_page_view", "points": 24} in card
    assert not any(":cap:" in line["factor"] or ":decay:" in line["factor"] for line in card)
