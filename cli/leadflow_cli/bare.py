"""The yardstick for `make bench`: a bare FastAPI endpoint that parses the same JSON body into
the same model as capture and answers 202, served with the same uvicorn settings. Capture's
throughput is reported as a ratio to it, since these machines are too noisy for absolute figures.

    python -m leadflow_cli.bare PORT
"""

import sys
import uuid

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from leadflow_capture.domain import LeadInput

app = FastAPI()


@app.post("/v1/leads/landing-page", status_code=202)
async def landing_page(lead: LeadInput) -> JSONResponse:
    return JSONResponse({"lead_id": str(uuid.uuid4()), "submission_id": str(uuid.uuid4())}, status_code=202)


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
