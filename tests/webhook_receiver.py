"""A real HTTP receiver for webhook tests: records every request, answers as scripted."""

import asyncio
import contextlib
import json
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int
    # Statuses answered to the first requests, in order; 200 after them.
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    path: str = "/hooks/leadflow"
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(dict(request.headers), await request.read()))
        status = self.script.pop(0) if self.script else 200
        return web.Response(status=status, text="ok" if status < 300 else "not now")

    async def start(self) -> "Receiver":
        app = web.Application()
        app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    def of_event(self, event_id: str) -> list[Received]:
        return [r for r in self.received if r.headers.get("webhook-id") == event_id]


@contextlib.asynccontextmanager
async def receiving(port: int, script: list[int] | None = None, path: str = "/hooks/leadflow"):
    receiver = await Receiver(port, list(script or []), path=path).start()
    try:
        yield receiver
    finally:
        await receiver.stop()
        await asyncio.sleep(0)
