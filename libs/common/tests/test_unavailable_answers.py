"""A database or broker that is away is answered 503 on a connection that stays open: the error
is handled where the request is, not after the answer (which made uvicorn close the connection,
and clients saw it reset during the fault run's database restart)."""

import http.client
import json
import socket
import subprocess
import sys
import time

SERVE = """
import sys
import uvicorn
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError
from leadflow_common.http import install_problem_handlers

app = FastAPI()
install_problem_handlers(app)

@app.post("/v1/leads")
def store():
    raise DBAPIError("INSERT", {}, ConnectionResetError("the database restarts"), connection_invalidated=True)

@app.post("/v1/bug")
def bug():
    raise ZeroDivisionError("a bug")

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]))
"""


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def answer(connection: http.client.HTTPConnection, path: str) -> tuple[int, dict, str | None]:
    connection.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, json.loads(response.read()), response.getheader("Retry-After")


def test_an_unavailable_database_is_a_503_and_the_connection_stays_open(unused_tcp_port):
    port = unused_tcp_port
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not listening(port):
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(3):  # one connection: a server that closed it fails the next request
            status, problem, retry_after = answer(connection, "/v1/leads")
            assert status == 503 and problem["status"] == 503 and retry_after, (status, problem)
        # A bug is still a 500 (Starlette raises it again for uvicorn to log, as before).
        status, problem, _ = answer(connection, "/v1/bug")
        assert status == 500 and problem["title"] == "Internal error"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)
    assert "database or broker unavailable" in errors
    # Only the bug reached uvicorn as an error; the 503s did not.
    assert errors.count("Exception in ASGI application") == 1, errors
