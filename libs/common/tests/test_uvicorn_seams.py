"""Two classes lean on uvicorn's internals (service.QuietServer, edge_protocol.GuardedHttpProtocol):
each seam they use is named here and checked against the installed uvicorn, which must be the one
requirements.lock pins. After an upgrade this says which seam moved; what it cannot say (the order
uvicorn calls the hooks in, its keep-alive timer) is in the README's "Upgrading uvicorn", with the
tests to run: tests/test_edge_*.py and test_quiet_server.py."""

import importlib.metadata
import inspect
import re
from pathlib import Path

import uvicorn
from uvicorn.protocols.http import httptools_impl

from leadflow_common.edge_protocol import GuardedHttpProtocol
from leadflow_common.service import QuietServer

LOCK = Path(__file__).resolve().parents[3] / "requirements.lock"
# What GuardedHttpProtocol overrides, each called by uvicorn's HttpToolsProtocol or httptools.
PROTOCOL_HOOKS = (
    "connection_made",
    "connection_lost",
    "data_received",
    "on_message_begin",
    "on_url",
    "on_header",
    "on_headers_complete",
    "on_body",
    "on_message_complete",
    "send_400_response",
)


def uvicorns_handle_exit():
    """uvicorn's own `Server.handle_exit`. sse-starlette (the console's live pages) replaces it on
    import with one that marks its streams done and calls the original: QuietServer's override,
    calling `super()`, goes through both."""
    from sse_starlette.sse import AppStatus

    if uvicorn.Server.handle_exit is AppStatus.handle_exit:
        assert AppStatus.original_handler is not None
        return AppStatus.original_handler
    return uvicorn.Server.handle_exit


def pinned(name: str) -> str:
    match = re.search(rf"^{name}==(\S+)$", LOCK.read_text(), re.M)
    assert match, f"{name} is not pinned in requirements.lock"
    return match[1]


def test_the_installed_uvicorn_is_the_pinned_one():
    assert uvicorn.__version__ == pinned("uvicorn")
    assert importlib.metadata.version("sse-starlette") == pinned("sse-starlette")  # it patches uvicorn


def test_quiet_server_replaces_only_the_main_loop_and_keeps_its_tick_contract():
    server = uvicorn.Server
    assert inspect.iscoroutinefunction(server.main_loop)
    assert list(inspect.signature(server.main_loop).parameters) == ["self"]
    # The loop calls on_tick(counter) and stops when it answers True; every tenth tick (in
    # uvicorn's tenths of a second) refreshes the Date header.
    assert list(inspect.signature(server.on_tick).parameters) == ["self", "counter"]
    assert "counter % 10 == 0" in inspect.getsource(server.on_tick)
    assert list(inspect.signature(uvicorns_handle_exit()).parameters) == ["self", "sig", "frame"]
    assert {"main_loop", "handle_exit"} == {
        name for name, value in vars(QuietServer).items() if callable(value) and not name.startswith("__")
    }


def test_the_guarded_protocol_overrides_hooks_uvicorn_still_has():
    base = httptools_impl.HttpToolsProtocol
    for hook in PROTOCOL_HOOKS:
        assert callable(getattr(base, hook, None)), hook
        assert hook in vars(GuardedHttpProtocol), hook
    # What the overrides read of the base: its transport, loop, client address and request cycle,
    # and the status lines it writes its own answers with.
    source = inspect.getsource(base)
    for attribute in ("self.transport", "self.loop", "self.client", "self.cycle"):
        assert attribute in source, attribute
    assert {408, 431} <= set(httptools_impl.STATUS_LINE)
