"""The pages a person reads after posting a landing page's form, and the origin a refused
`redirect_to` is reported under: pure."""

from leadflow_capture.api.visitor_pages import PAGE_CSP, STYLE_HASH, problem_page, thank_you_page
from leadflow_capture.domain.leads import InvalidLead
from leadflow_capture.domain.redirects import target_origin
from leadflow_common.errors import FieldError
from leadflow_common.http import Problem


def test_what_a_visitor_typed_is_escaped_and_named_by_its_label():
    refused = InvalidLead([FieldError(name="email", message="The email address is not valid.")])
    page = problem_page(refused, {"email": '<script>alert("x")</script>'}, None)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<strong>Email</strong>: The email address is not valid." in page
    assert "Back button" in page


def test_an_attribute_is_named_by_its_own_name_and_a_refusal_without_fields_says_what_to_do():
    refused = InvalidLead([FieldError(name="attributes.plan", message="at most 500 characters")])
    assert "<strong>plan</strong>" in problem_page(refused, {"attributes": {"plan": "x" * 600}}, None)
    page = problem_page(Problem(400, "Malformed form", "The body is not valid UTF-8"), {}, None)
    assert "Your details were not sent" in page and "The body is not valid UTF-8." in page


def test_the_back_link_goes_only_to_a_web_page():
    assert 'href="https://shop.example/demo?a=1&amp;b=&quot;2&quot;"' in thank_you_page(
        'https://shop.example/demo?a=1&b="2"'
    )
    assert "href" not in thank_you_page("javascript:alert(1)")
    assert "href" not in thank_you_page(None)


def test_the_pages_allow_their_own_style_and_nothing_else():
    assert f"'sha256-{STYLE_HASH}'" in PAGE_CSP and "default-src 'none'" in PAGE_CSP
    assert '<html lang="en">' in thank_you_page(None) and "<main>" in thank_you_page(None)


def test_a_refused_target_is_reported_under_the_origin_to_allow():
    assert target_origin("https://WWW.Example.com/thank-you?x=1") == "https://www.example.com"
    assert target_origin(" https://www.example.com/") == "(malformed)"
    assert target_origin("javascript:alert(1)") == "(malformed)"
    assert target_origin(["https://www.example.com"]) == "(malformed)"


def test_a_refused_origin_is_logged_once_for_the_operator_and_every_refusal_counted(caplog):
    from leadflow_capture import metrics
    from leadflow_capture.app.services import report_refused_redirect

    counted = metrics.REDIRECTS_REFUSED._value.get()
    with caplog.at_level("WARNING", logger="leadflow_capture.app.services"):
        for _ in range(3):
            report_refused_redirect("https://once.example/thanks", ["https://shop.example"])
        report_refused_redirect("https://twice.example/thanks", [])
    said = [(record.origin, record.allowed_origins) for record in caplog.records]
    assert said == [("https://once.example", "https://shop.example"), ("https://twice.example", "(none)")]
    assert "CAPTURE_ALLOWED_ORIGINS" in caplog.records[0].getMessage()
    assert metrics.REDIRECTS_REFUSED._value.get() == counted + 4
