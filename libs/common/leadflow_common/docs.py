"""The Swagger UI at /docs, for development: a pinned swagger-ui-dist whose files the browser
checks against their hashes (Subresource Integrity), and a Content-Security-Policy that allows
those files and the one inline script, nothing else. Production serves no UI
(`LEADFLOW_SERVE_DOCS` turns it on); `/openapi.json` is always served."""

import base64
import hashlib

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.32.0"
# sha384 of the files of swagger-ui-dist 5.32.0 as published on npm.
BUNDLE_INTEGRITY = "sha384-7xcoc6ZKDFF7Ek627QTC3Bg/K+5Y36NJ8MWAE43D2m6+3Sh9XO3tdsfHhrS8gNIQ"
CSS_INTEGRITY = "sha384-3nuX7df3EaAoiqLBeyS1Ola0Gpg9ryJKVtarubwfnA1cOH8AWHUdbPSIvEqPZ9VH"
INIT_SCRIPT = "SwaggerUIBundle({url: '/openapi.json', dom_id: '#swagger-ui'});"
INIT_HASH = base64.b64encode(hashlib.sha256(INIT_SCRIPT.encode()).digest()).decode()
DOCS_CSP = (
    f"default-src 'none'; script-src {SWAGGER_UI}/ 'sha256-{INIT_HASH}'; style-src {SWAGGER_UI}/; "
    "img-src data:; connect-src 'self'; frame-ancestors 'none'"
)


def docs_router(title: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css" integrity="{CSS_INTEGRITY}" crossorigin="anonymous">
</head><body><div id="swagger-ui"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js" integrity="{BUNDLE_INTEGRITY}"
 crossorigin="anonymous"></script>
<script>{INIT_SCRIPT}</script>
</body></html>"""

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page, headers={"content-security-policy": DOCS_CSP, "cache-control": "no-cache"})

    return router
