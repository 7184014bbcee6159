import random

from leadflow_scoring.domain.bands import Observed, band_conversion, proposal, propose_thresholds
from leadflow_scoring.domain.rules import Thresholds

CURRENT = Thresholds(warm=40, hot=70)


def leads(score: float, won: int, lost: int) -> list[Observed]:
    return [Observed(score, True)] * won + [Observed(score, False)] * lost


def test_hot_is_the_lowest_threshold_converting_at_least_60_percent_and_cold_at_most_10():
    observed = leads(10, 1, 19) + leads(30, 3, 7) + leads(55, 5, 5) + leads(80, 9, 1)
    proposed, notes = propose_thresholds(observed, CURRENT)
    # >= 55: 14 of 20 won (70%); >= 30 adds the 30s: 17 of 30 (57%), under 60%.
    assert proposed.hot == 55
    # below 30: 1 of 20 (5%); below 55 adds the 30s: 4 of 30 (13%), over 10%.
    assert proposed.warm == 30
    assert notes == []
    bands = band_conversion(observed, proposed)
    assert bands["hot"]["conversion"] >= 0.6
    assert bands["cold"]["conversion"] <= 0.1


def test_without_evidence_the_thresholds_stay_and_say_why():
    proposed, notes = propose_thresholds(leads(50, 1, 1), CURRENT)
    assert proposed == CURRENT
    assert len(notes) == 2


def test_the_proposal_counts_the_leads_that_move_band():
    observed = leads(10, 0, 20) + leads(50, 8, 2)
    result = proposal(observed, CURRENT)
    hot = result["proposed"]["thresholds"]["hot"]
    assert hot <= 50
    assert result["moved"] == 10  # the 50s were warm, now hot
    assert result["current"]["bands"]["warm"]["leads"] == 10
    assert result["proposed"]["bands"]["hot"] == {"leads": 10, "won": 8, "conversion": 0.8}


def test_proposed_bands_meet_their_targets_on_random_outcomes():
    rng = random.Random(7)
    for _ in range(50):
        observed = []
        for _ in range(rng.randint(20, 200)):
            score = rng.uniform(0, 100)
            observed.append(Observed(round(score, 1), rng.random() < score / 100))
        proposed, notes = propose_thresholds(observed, CURRENT)
        assert proposed.warm <= proposed.hot
        bands = band_conversion(observed, proposed)
        if not notes:
            hot_and_above = [lead for lead in observed if lead.score >= proposed.hot]
            assert sum(lead.won for lead in hot_and_above) / len(hot_and_above) >= 0.6
            cold = [lead for lead in observed if lead.score < proposed.warm]
            assert sum(lead.won for lead in cold) / len(cold) <= 0.1
            assert bands["cold"]["conversion"] <= 0.1


def test_account_thresholds_come_from_accounts_won_by_any_of_their_people():
    import uuid
    from datetime import UTC, datetime, timedelta

    from leadflow_common.events import Temperature
    from leadflow_scoring.domain.account_score import AccountRules, Person
    from leadflow_scoring.domain.bands import propose_account_bands

    now = datetime(2026, 12, 4, tzinfo=UTC)

    def people(*scores: float) -> list[Person]:
        return [
            Person(
                lead_id=uuid.uuid4(),
                score=score,
                temperature=Temperature.hot
                if score >= 70
                else Temperature.warm
                if score >= 40
                else Temperature.cold,
                job_title=None,
                last_active_at=now - timedelta(days=30),
            )
            for score in scores
        ]

    # Buying groups of three engaged people were won; lone cold people were not; pairs in between.
    groups = {uuid.uuid4(): (people(80, 60, 50), True) for _ in range(6)}
    groups |= {uuid.uuid4(): (people(20), False) for _ in range(6)}
    groups |= {uuid.uuid4(): (people(60, 45), index < 2) for index in range(4)}
    groups[uuid.uuid4()] = (people(90), True)  # no outcome for it below: not counted
    accounts = {account_id: members for account_id, (members, _) in groups.items()}
    won = {account_id: was_won for account_id, (_, was_won) in list(groups.items())[:-1]}

    proposed = propose_account_bands(AccountRules(), accounts, won, now)

    assert proposed["outcomes"] == 16
    # Scored by the default account rules: a group of three 71 (3 engaged x 12, 0.2 x 80, the
    # sum's 19), a pair 46.5, a lone cold person 6. From 46 up, 8 of 10 accounts were won;
    # below it, none of 6: hot and warm both from 46.
    assert proposed["proposed"]["thresholds"] == {"warm": 46, "hot": 46} and proposed["notes"] == []
    bands = proposed["proposed"]["bands"]
    assert (bands["hot"]["leads"], bands["hot"]["won"]) == (10, 8)
    assert (bands["cold"]["leads"], bands["cold"]["won"]) == (6, 0)
    assert proposed["moved"] == 4  # the pairs, warm under 40/70, are hot under 46/46


def test_too_few_accounts_leave_the_thresholds_as_they_are_and_say_so_in_accounts():
    from datetime import UTC, datetime

    from leadflow_scoring.domain.account_score import AccountRules
    from leadflow_scoring.domain.bands import propose_account_bands

    proposed = propose_account_bands(AccountRules(), {}, {}, datetime(2026, 12, 4, tzinfo=UTC))
    assert proposed["outcomes"] == 0
    assert proposed["proposed"]["thresholds"] == {"warm": 40, "hot": 70}
    assert all("accounts" in note for note in proposed["notes"]) and len(proposed["notes"]) == 2
