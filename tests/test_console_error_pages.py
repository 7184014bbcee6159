"""A page that fails unexpectedly answers a person in words on an HTML page (status 500, or 503
while the database or broker is away), as does an address with no page or one only a form posts
to; the API beside it keeps problem+json. A form's address opened (a refused form's page
reloaded, or a tab the phone discarded loaded again) goes to the page the form is on: it said
"Method Not Allowed", in JSON and then in words."""

import httpx
from fastapi import FastAPI

from leadflow_common.http import install_problem_handlers
from leadflow_console.api.web.render import install_error_pages


def failing_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_error_pages(app)

    @app.get("/broken")
    async def broken_page() -> None:
        raise RuntimeError("a bug")

    @app.get("/away")
    async def database_away() -> None:
        raise ConnectionRefusedError("the database is not listening")

    @app.post("/only-posted")
    async def a_form_posts_here() -> None:
        return None

    @app.get("/things/{thing}")
    async def a_page(thing: int) -> None:
        return None

    @app.post("/things/{thing}/done")
    async def its_form_posts_here(thing: int) -> None:
        return None

    @app.post("/things/{thing}/a/b/c/d/e/f/g")
    async def a_form_too_deep_to_look_through(thing: int) -> None:
        return None

    @app.get("/v1/broken")
    async def broken_api() -> None:
        raise RuntimeError("a bug")

    return app


async def test_an_unexpected_failure_is_a_page_in_words_for_a_person_and_problem_json_for_the_api():
    transport = httpx.ASGITransport(app=failing_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        page = await client.get("/broken")
        away = await client.get("/away")
        api = await client.get("/v1/broken")
        nowhere = await client.get("/no/such/page")
        form_address = await client.put("/only-posted")
        reloaded = await client.get("/only-posted")
        monitored = await client.head("/only-posted")
        its_page = await client.get("/things/7/done")
        deep = await client.get("/things/7/a/b/c/d/e/f/g")
        api_nowhere = await client.get("/v1/no/such/route")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html"), page.text
    assert "Something went wrong" in page.text and "a bug" not in page.text
    assert away.status_code == 503 and "Try again shortly" in away.text, away.text
    assert api.status_code == 500 and api.headers["content-type"] == "application/problem+json", api.text
    assert nowhere.status_code == 404 and "No such page" in nowhere.text, nowhere.text  # HTML, not JSON
    assert form_address.status_code == 405 and "where a form sends" in form_address.text, form_address.text
    assert (reloaded.status_code, reloaded.headers["location"]) == (303, "/")
    assert monitored.status_code == 405, "a HEAD (a monitor's) is not sent to a page"
    assert (its_page.status_code, its_page.headers["location"]) == (303, "/things/7")
    assert (deep.status_code, deep.headers["location"]) == (303, "/"), "not looked through: the start page"
    assert api_nowhere.headers["content-type"] == "application/problem+json", api_nowhere.text
