"""How a refusal becomes words at a form's fields (pure: leadflow_console.api.web.forms)."""

from leadflow_common.errors import Invalid
from leadflow_console.api.web import forms
from leadflow_console.api.web.forms import FormErrors
from leadflow_console.api.web.upstream import UpstreamProblem, fields_of


def test_a_services_field_paths_land_on_the_forms_fields():
    problem = UpstreamProblem(
        422,
        "Validation failed",
        "The request has invalid fields",
        fields=[
            {"name": "working_hours.timezone", "message": "Value error, unknown time zone 'Berlin'"},
            {"name": "territories[1]", "message": "not an ISO 3166 country code"},
            {"name": "capacity", "message": "Input should be a valid integer, unable to parse string"},
            {"name": "something.else", "message": "odd"},
        ],
    )
    errors = forms.from_problem(problem, ("capacity", "territories", "timezone"), forms.HOURS_NAMES)
    assert errors.fields == {
        "timezone": "Unknown time zone 'Berlin'",
        "territories": "Not an ISO 3166 country code",
        "capacity": "Must be a whole number",
        "_form": "Odd",
    }
    assert errors.at_fields == 3


def test_a_refusal_without_fields_is_said_for_the_whole_form():
    errors = forms.from_problem(UpstreamProblem(409, "Conflict", "A rep with this email exists"), ("email",))
    assert errors.general == "A rep with this email exists" and errors.at_fields == 0
    account = forms.from_problem(
        Invalid.field("password", "must be 12 to 256 characters long"), ("password",)
    )
    assert account.fields == {"password": "Must be 12 to 256 characters long"}


def test_other_ways_of_listing_fields_are_read_too():
    body = {
        "invalid_params": [{"name": "url", "reason": "not public"}],
        "errors": [
            {"pointer": "/events/0", "detail": "unknown event"},
            {"loc": ["body", "name"], "msg": "short"},
        ],
    }
    assert fields_of(body) == [
        {"name": "url", "message": "not public"},
        {"name": "events.0", "message": "unknown event"},
        {"name": "name", "message": "short"},
    ]


def test_what_was_typed_is_read_with_the_reason_at_the_field():
    errors = FormErrors()
    assert forms.whole_number(errors, "capacity", "", 0, 10) is None
    assert forms.whole_number(errors, "other", "12", 0, 10) is None
    assert forms.whole_number(errors, "third", "ten", 0, 10) is None
    assert forms.whole_number(FormErrors(), "fine", " 7 ", 0, 10) == 7
    assert errors.fields == {
        "capacity": "Required: a whole number from 0 to 10",
        "other": "Must be from 0 to 10, not 12",
        "third": "“ten” is not a whole number (from 0 to 10)",
    }


def test_a_city_for_a_time_zone_is_answered_with_the_zones_it_may_mean():
    errors = FormErrors()
    assert forms.time_zone(errors, "timezone", "Berlin") is None
    assert errors.get("timezone") == "“Berlin” is not a time zone name. Did you mean Europe/Berlin?"
    assert forms.time_zone(FormErrors(), "timezone", "Europe/Berlin") == "Europe/Berlin"
    assert forms.time_zone(FormErrors(), "timezone", "", required=False) is None


def test_half_the_working_hours_is_never_dropped_in_silence():
    errors = FormErrors()
    assert forms.working_hours(errors, "Europe/Berlin", "09:00", "") is None
    assert errors.fields == {"end": "Required: working hours need a time zone, a start and an end"}
    no_start = FormErrors()  # it said "a start and a start"
    assert forms.working_hours(no_start, "Europe/Berlin", "", "17:00") is None
    assert no_start.fields == {"start": "Required: working hours need a time zone, a start and an end"}
    assert forms.working_hours(FormErrors(), "", "", "") is None
    whole = forms.working_hours(FormErrors(), "Europe/Berlin", "09:00", "17:00")
    assert whole == {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"}
