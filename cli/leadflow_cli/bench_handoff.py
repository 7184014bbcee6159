"""`make bench`'s hand-off phase: from the form POST to the signed webhook at a receiver, and to
the rep's mail at an SMTP server, both run by the bench itself (aiohttp, aiosmtpd)."""

import asyncio
import re
import time
from contextlib import asynccontextmanager

import httpx
from aiohttp import web
from aiosmtpd.controller import Controller

from leadflow_cli.infra import free_port

HANDOFF_RATES = (50, 100)
HANDOFF_SECONDS = 10
LEAD_LINE = re.compile(r"^Lead: ([0-9a-f-]{36})", re.MULTILINE)


class _Inbox:
    def __init__(self, seen: dict[str, float]):
        self.seen = seen

    async def handle_DATA(self, server, session, envelope):
        match = LEAD_LINE.search(envelope.content.decode(errors="replace"))
        if match:
            self.seen.setdefault(match.group(1), time.time())
        return "250 OK"


class HandoffProbe:
    """An SMTP server and a webhook receiver, each noting when a lead first reached it."""

    def __init__(self):
        self.smtp_port = free_port()
        self.receiver_port = free_port()
        self.mailed: dict[str, float] = {}
        self.delivered: dict[str, float] = {}
        self._smtp = Controller(_Inbox(self.mailed), hostname="127.0.0.1", port=self.smtp_port)
        self._runner: web.AppRunner | None = None

    @property
    def system_env(self) -> dict[str, str]:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp_port), "SMTP_TLS": "none"}

    def start_smtp(self) -> None:
        self._smtp.start()

    def stop_smtp(self) -> None:
        self._smtp.stop()

    async def _receive(self, request: web.Request) -> web.Response:
        event = await request.json()
        self.delivered.setdefault(event["subject"], time.time())
        return web.Response(status=204)

    async def start_receiver(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.receiver_port).start()
        return f"http://127.0.0.1:{self.receiver_port}/hook"

    async def stop_receiver(self) -> None:
        if self._runner:
            await self._runner.cleanup()


async def set_mail(client: httpx.AsyncClient, webhooks: str, rep_ids: list[str], on: bool) -> None:
    for rep_id in rep_ids:
        body = {"email": on, "slack_url": None}
        (await client.put(f"{webhooks}/v1/notifications/reps/{rep_id}", json=body)).raise_for_status()


@asynccontextmanager
async def prepare_handoff(probe: HandoffProbe, client: httpx.AsyncClient, urls: dict, rep_ids: list[str]):
    """The receiver subscribed to `lead.routed` and every rep's mail on, for the block's length."""
    hook = await probe.start_receiver()
    created = await client.post(
        f"{urls['webhooks']}/v1/webhooks", json={"url": hook, "events": ["lead.routed"]}
    )
    created.raise_for_status()
    await set_mail(client, urls["webhooks"], rep_ids, on=True)
    try:
        yield
    finally:
        await set_mail(client, urls["webhooks"], rep_ids, on=False)
        await client.delete(f"{urls['webhooks']}/v1/webhooks/{created.json()['id']}")
        await probe.stop_receiver()


async def wait_handed_off(probe: HandoffProbe, posted: dict, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    # Polling: the probe fills plain dicts; a benchmark's wait needs no finer wake-up.
    while time.monotonic() < deadline and not (  # noqa: ASYNC110
        posted.keys() <= probe.mailed.keys() and posted.keys() <= probe.delivered.keys()
    ):
        await asyncio.sleep(0.2)


async def measure_handoff(
    probe: HandoffProbe, client, urls: dict, rep_ids: list[str], load, percentiles
) -> dict:
    """At each rate, every lead posted: POST → signed webhook delivered, POST → rep's mail."""
    report = {}
    async with prepare_handoff(probe, client, urls, rep_ids):
        for rate in HANDOFF_RATES:
            run = await asyncio.to_thread(
                load,
                f"{urls['capture']}/v1/leads/landing-page",
                "--seconds",
                str(HANDOFF_SECONDS),
                "--rate",
                str(rate),
            )
            posted = {r["lead_id"]: r["due"] for r in run["results"] if r["status"] == 202}
            await wait_handed_off(probe, posted)
            report[str(rate)] = {
                "posted": len(posted),
                "post_to_webhook": percentiles(
                    [probe.delivered[k] - t for k, t in posted.items() if k in probe.delivered]
                ),
                "post_to_mail": percentiles(
                    [probe.mailed[k] - t for k, t in posted.items() if k in probe.mailed]
                ),
            }
    return report
