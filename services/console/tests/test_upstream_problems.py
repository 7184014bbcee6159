import httpx

from leadflow_console.api.web.upstream import _problem


def test_a_service_s_403_is_said_to_a_person_without_credentials_talk():
    refused = httpx.Response(
        403, json={"title": "Forbidden", "detail": "This credential may not see or act on it"}
    )
    problem = _problem("scoring", refused)
    assert problem.status == 403 and "credential" not in problem.detail
    assert problem.detail == "You may not see or change this: it is not yours, or no longer."


def test_other_problems_keep_the_service_s_words():
    conflict = httpx.Response(409, json={"title": "Conflict", "detail": "This link was used already"})
    assert _problem("routing", conflict).detail == "This link was used already"
