from leadflow_common.in_words import channel_words
from leadflow_console.domain import words


def test_machine_names_read_as_words():
    assert channel_words("landing_page") == "a landing page"
    assert channel_words("fax_machine") == "fax machine"
    assert channel_words(None) == "an unknown channel"
    assert words.decision("lead.reassigned", "expired: no accept within 300 s") == "offered again"
    assert words.decision("lead.reassigned", "assigned by hand to Sara: knows them") == "assigned by hand"
    # A lead never offered before, assigned from the queue: its first decision, by hand.
    assert words.decision("lead.routed", "assigned by hand to Sara") == "assigned by hand"
    assert words.decision_status("promoted") == "moved on to a rep"
    assert words.decision_status("accepted") == "accepted"
    assert words.decision_status("rejected") == "passed on by the rep"  # not the decision refused
    assert words.decision("lead.something_new") == "something new"
    assert words.score_cause("lead.captured") == "captured"
    assert words.score_cause("activity:email_opened") == "activity: email opened"
    assert words.score_cause("outcome:won") == "recorded as won"
    assert words.score_cause("rules:7") == "scoring rules changed (version 7)"
    assert words.score_cause("model:learned:3") == "learned model (version 3)"
    assert words.score_cause("decay") == "no recent activity"
