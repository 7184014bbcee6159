"""The web app inside the console service: its pages, static files and error pages."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from leadflow_console.api.web import (
    pages_account,
    pages_admin,
    pages_auth,
    pages_b2b_accounts,
    pages_b2b_merge,
    pages_funnel,
    pages_funnel_accounts,
    pages_inbox,
    pages_keys,
    pages_lead_actions,
    pages_lead_list,
    pages_leads,
    pages_model,
    pages_queue,
    pages_reps,
    pages_rules_form,
    pages_rules_versions,
    pages_scoring,
    pages_team,
    pages_webhooks,
    pages_webhooks_live,
)
from leadflow_console.api.web.render import HERE, install_error_pages

PAGE_ROUTERS = (
    pages_auth.router,
    pages_inbox.router,
    pages_lead_list.router,  # before the lead page: /leads/stream is not a lead's id
    pages_leads.router,
    pages_lead_actions.router,
    pages_funnel.router,
    pages_rules_form.router,
    pages_rules_versions.router,
    pages_scoring.router,
    pages_model.router,
    pages_admin.router,
    pages_keys.router,
    pages_queue.router,
    pages_reps.router,
    pages_team.router,
    pages_account.router,
    pages_webhooks_live.router,  # before the endpoint page: /admin/webhooks/stream is not an id
    pages_webhooks.router,
    pages_b2b_accounts.router,
    pages_b2b_merge.router,
    pages_funnel_accounts.router,
)


def install_web_app(app: FastAPI) -> None:
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_error_pages(app)
