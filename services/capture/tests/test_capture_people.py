"""Planning a batch: each submission sees the ones before it, as if each had its own
transaction."""

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from leadflow_capture.domain.leads import parse_lead
from leadflow_capture.domain.people import Accepted, KeyConflict, People, StoredLead, Submission, plan_batch
from leadflow_common.events import Channel, LeadCaptured, LeadMerged, LeadProfile

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def clock():
    ticks = itertools.count()
    return lambda: START + timedelta(seconds=next(ticks))


def submission(key: str | None = None, **fields) -> Submission:
    return Submission(parse_lead(fields, default_region="US"), Channel.api, fields, idempotency_key=key)


def stored(email=None, phone=None, *, created=START - timedelta(days=1), merged_into=None) -> StoredLead:
    lead_id = uuid.uuid4()
    profile = LeadProfile(
        lead_id=lead_id, revision=1, email=email, phone=phone, created_at=created, updated_at=created
    )
    return StoredLead(lead_id, email, phone, merged_into, None if merged_into else profile)


def test_the_same_new_person_twice_in_a_batch_is_one_lead_with_both_submissions():
    plan = plan_batch(
        [submission(email="a@example.com"), submission(email="A@example.com", first_name="Ada")],
        People([]),
        {},
        clock=clock(),
    )
    first, second = plan.results
    assert first.lead_id == second.lead_id and first.submission_id != second.submission_id
    [(profile, merged_into)] = plan.leads.values()
    assert (profile.revision, profile.first_name, merged_into) == (2, "Ada", None)
    assert [row["lead_id"] for row in plan.submissions] == [first.lead_id, first.lead_id]
    assert [type(event.data) for event in plan.captured] == [LeadCaptured, LeadCaptured]
    assert plan.merges == []


def test_a_lead_created_in_the_batch_and_absorbed_later_in_it_is_written_absorbed():
    older = stored(email="x@example.com")
    plan = plan_batch(
        [submission(phone="+12025550147"), submission(email="x@example.com", phone="+12025550147")],
        People([older]),
        {},
        clock=clock(),
    )
    created, linked = plan.results
    assert linked.lead_id == older.lead_id
    assert plan.leads[created.lead_id][1] == older.lead_id, "written with merged_into set"
    survivor, merged_into = plan.leads[older.lead_id]
    assert merged_into is None and (survivor.email, survivor.phone) == ("x@example.com", "+12025550147")
    assert [(a, b) for a, b, _ in plan.absorptions] == [(created.lead_id, older.lead_id)]
    merged = [event.data for event in plan.merges]
    assert all(isinstance(data, LeadMerged) for data in merged)
    assert [(m.surviving_lead_id, m.absorbed_lead_id) for m in merged] == [(older.lead_id, created.lead_id)]


def test_an_absorbed_leads_keys_lead_to_the_lead_that_absorbed_it():
    survivor = stored(email="s@example.com")
    absorbed = stored(phone="+12025550147", merged_into=survivor.lead_id)
    plan = plan_batch([submission(phone="+12025550147")], People([survivor, absorbed]), {}, clock=clock())
    assert plan.results[0].lead_id == survivor.lead_id
    assert plan.absorptions == []


def test_absorbing_an_absorber_moves_its_absorbed_leads_along():
    oldest = stored(email="o@example.com", created=START - timedelta(days=3))
    middle = stored(phone="+12025550147", created=START - timedelta(days=2))
    people = People([oldest, middle])
    plan = plan_batch(
        [
            submission(phone="+12025550147", email="new@example.com"),  # joins middle
            submission(email="o@example.com", phone="+12025550147"),  # oldest absorbs middle
        ],
        people,
        {},
        clock=clock(),
    )
    assert plan.results[0].lead_id == middle.lead_id and plan.results[1].lead_id == oldest.lead_id
    assert plan.leads[middle.lead_id][1] == oldest.lead_id
    assert people.leads_of("new@example.com", None)[0].lead_id == oldest.lead_id


def test_a_repeated_idempotency_key_replays_the_first_answer_within_and_across_batches():
    earlier = Accepted(lead_id=uuid.uuid4(), submission_id=uuid.uuid4())
    plan = plan_batch(
        [
            submission("k1", email="a@example.com"),
            submission("k1", email="a@example.com"),
            submission("k0", email="b@example.com"),
        ],
        People([]),
        {"k0": earlier},
        clock=clock(),
    )
    first, repeat, old = plan.results
    assert (repeat.lead_id, repeat.submission_id, repeat.replayed) == (
        first.lead_id,
        first.submission_id,
        True,
    )
    assert (old.lead_id, old.submission_id, old.replayed) == (earlier.lead_id, earlier.submission_id, True)
    assert len(plan.submissions) == 1 and len(plan.captured) == 1


def test_a_submission_from_someone_on_the_do_not_contact_list_writes_nothing_and_looks_accepted():
    refused = replace(submission(email="ada@example.com"), suppressed=True)
    plan = plan_batch([refused, submission(email="bo@example.com")], People([]), {}, clock=clock())
    first, second = plan.results
    assert first.suppressed and not second.suppressed
    assert [row["lead_id"] for row in plan.submissions] == [second.lead_id]
    assert [event.data.lead.email for event in plan.captured] == ["bo@example.com"]
    assert first.lead_id not in plan.leads


def test_a_key_reused_across_a_refusal_is_answered_as_for_a_stored_submission():
    """A probe's second read: a listed victim's post under the attacker's key answered 202 where
    an unlisted one answers 409, and the reverse order too."""

    def keyed(key: str, email: str, listed: bool) -> Submission:
        sent = submission(key, email=email)
        sent = replace(sent, request_hash=email)
        return replace(sent, suppressed=True) if listed else sent

    mine = keyed("k", "me@example.com", listed=False)
    victims = [keyed("k", "ada@example.com", listed) for listed in (False, True)]
    answers = [plan_batch([mine, victim], People([]), {}, clock=clock()).results[1] for victim in victims]
    assert [type(answer) for answer in answers] == [KeyConflict, KeyConflict]
    refused_first = plan_batch([victims[1], mine, victims[1]], People([]), {}, clock=clock())
    first, conflict, again = refused_first.results
    assert isinstance(conflict, KeyConflict) and again.replayed and again.lead_id == first.lead_id
    assert [row["idempotency_key"] for row in refused_first.refused_keys] == ["k"]
    assert refused_first.submissions == []  # nothing of hers is stored
