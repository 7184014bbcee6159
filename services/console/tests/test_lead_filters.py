"""The leads page's URL read as criteria: what the search box is taken for, each filter checked
with its error in words, and the keyset cursor read back as it was written."""

import base64
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from leadflow_console.domain.lead_filters import Cursor, read_criteria, read_cursor, write_cursor


def criteria(**params):
    return read_criteria(params, "US")


def test_a_formatted_phone_number_is_searched_as_capture_stores_it():
    for typed in ("(202) 555-0147", "202.555.0147", "+1 202 555 0147", "2025550147"):
        read = criteria(q=typed)
        assert read.errors == {} and read.criteria.search.phone == "+12025550147", typed
    assert read_criteria({"q": "020 7946 0958"}, "GB").criteria.search.phone == "+442079460958"


def test_words_search_each_word_by_its_start_and_an_email_by_itself():
    assert criteria(q="  Analytical ENGINES ").criteria.search.words == ("analytical", "engines")
    assert criteria(q="o'brien_x").criteria.search.words == ("o", "brien", "x")
    assert criteria(q="Ada@Example.COM").criteria.search.email == "ada@example.com"
    assert criteria(q="").criteria.search.words == ()


def test_a_number_that_cannot_be_a_phone_is_said_at_the_search_box():
    read = criteria(q="12345678901234567")
    assert read.errors == {"q": "This looks like a phone number but is not one; check the digits."}


def test_each_bad_filter_is_named_at_its_field_and_left_out():
    read = criteria(
        temperature="boiling",
        status="gone",
        owner="bob",
        channel="fax",
        sort="alphabet",
        **{"from": "2026-13-01"},
    )
    assert set(read.errors) == {"temperature", "status", "owner", "channel", "sort", "from"}
    assert (
        read.criteria.temperature is None and read.criteria.owner is None and read.criteria.sort == "newest"
    )
    reversed_range = criteria(**{"from": "2026-11-30", "to": "2026-11-01"})
    assert reversed_range.errors == {"to": "The end date is before the start date."}


def test_good_filters_are_kept_and_the_to_date_includes_its_whole_day():
    owner = uuid.uuid4()
    read = criteria(
        temperature="hot", status="won", owner=str(owner), channel="sms", **{"from": "2026-11-01"}
    )
    read_to = criteria(to="2026-11-30")
    assert read.errors == {} and read_to.errors == {}
    assert (read.criteria.temperature, read.criteria.status, read.criteria.owner) == ("hot", "won", owner)
    assert read.criteria.since == datetime(2026, 11, 1, tzinfo=UTC)
    assert read_to.criteria.until == datetime(2026, 12, 1, tzinfo=UTC)


def test_from_and_to_are_whole_days_in_the_viewers_zone():
    read = read_criteria({"from": "2026-12-06", "to": "2026-12-06"}, "US", ZoneInfo("Asia/Tokyo"))
    assert read.criteria.since == datetime(2026, 12, 5, 15, tzinfo=UTC)
    assert read.criteria.until == datetime(2026, 12, 6, 15, tzinfo=UTC)


def test_a_cursor_reads_back_as_written_and_a_forged_one_starts_over():
    at = Cursor(datetime(2026, 11, 30, 12, 5, tzinfo=UTC), uuid.uuid4())
    score = Cursor(72.5, uuid.uuid4())
    assert read_cursor(write_cursor(at), "newest") == at
    assert read_cursor(write_cursor(score), "score") == score
    assert read_cursor("not-a-cursor", "newest") is None
    assert criteria(after=write_cursor(at)).criteria.after == at
    # At the calendar's end, with a zone: the database refused it, a 500 (a hostile probe).
    for end in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        forged = base64.urlsafe_b64encode(f"{end}|{uuid.uuid4()}".encode()).decode()
        assert read_cursor(forged, "newest") is None


def test_a_day_past_what_the_list_can_hold_is_said_at_its_field():
    read = criteria(**{"from": "0001-01-01", "to": "9999-12-31"})
    assert read.errors == {
        "from": "Write a date from 1900-01-01 to 9000-12-31.",
        "to": "Write a date from 1900-01-01 to 9000-12-31.",
    }
    assert (read.criteria.since, read.criteria.until) == (None, None)


def test_a_search_of_only_signs_is_said_at_the_search_box_not_taken_for_everything():
    for typed in ("%", "*", "%_%", "--"):
        read = criteria(q=typed)
        assert read.criteria.search.words == () and "letters or digits" in read.errors["q"], typed
