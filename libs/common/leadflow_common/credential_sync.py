"""Keeps a service's `CredentialStore` current with the console.

One round trip does both directions: the service reports the API keys used since the last one
(the console lists keys with their last use) and gets the live keys, the public keys and the
revoked sessions back. The console's tables announce every change of a key, a signing key or a
session (a PostgreSQL NOTIFY on `leadflow_credentials`, console migration 0004) and a service
refreshes when it hears one; it also refreshes every `LEADFLOW_CREDENTIALS_REFRESH_SECONDS`
(default 2 s) while it has key uses to report or cannot hear announcements, and otherwise every
`QUIET_REFRESH_SECONDS`. That keeps the copy close; what makes a change count at once is the
request path (`credentials_current`): a request that finds the copy behind the database's
credentials epoch refreshes it through `CredentialSync.catch_up` before it is answered.

While the console cannot be reached, a service keeps the last state it had: tokens and keys
valid then stay valid (nobody can revoke anything while the console is down either), and
`leadflow_credentials_age_seconds` grows, which the alert rules watch.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx

from leadflow_common import metrics
from leadflow_common.credentials import CredentialsState, CredentialStore
from leadflow_common.listener import Listener

log = logging.getLogger(__name__)

CHANNEL = "leadflow_credentials"
# While announcements are heard and no key was used, nothing is known to be stale: this only
# bounds the effect of an announcement lost to a dropped connection.
QUIET_REFRESH_SECONDS = 30.0

# What a refresh does: report these key uses, answer the current state.
Refresh = Callable[[dict[str, datetime]], Awaitable[CredentialsState]]


def console_refresh(console_url: str, bootstrap_key: str, service: str) -> Refresh:
    """A refresh over HTTP, authenticated with the bootstrap key (service to service)."""
    client = httpx.AsyncClient(
        base_url=console_url, timeout=5, headers={"Authorization": f"Bearer {bootstrap_key}"}
    )

    async def refresh(uses: dict[str, datetime]) -> CredentialsState:
        body = {"service": service, "key_uses": {key: at.isoformat() for key, at in uses.items()}}
        response = await client.post("/v1/auth/sync", json=body)
        response.raise_for_status()
        return CredentialsState.model_validate_json(response.content)

    return refresh


class CredentialSync:
    """The one way a service's copy is refreshed, by its background loop or, when a request
    finds the copy behind the database's epoch, on that request's path: one refresh at a time,
    so a refresh never overwrites a newer copy with an older one."""

    def __init__(self, store: CredentialStore, refresh: Refresh):
        self.store = store
        self._refresh = refresh
        self._one_at_a_time = asyncio.Lock()
        self.loaded_at: float | None = None

    async def refresh(self) -> None:
        async with self._one_at_a_time:
            await self._refresh_now()

    async def catch_up(self, epoch: int) -> bool:
        """Refreshes unless the copy is at `epoch` or newer by the time it is this caller's
        turn (another caller's refresh may have done it); raises what the refresh raised.
        True when the copy is at `epoch` or newer after it."""
        async with self._one_at_a_time:
            if not self._behind(epoch):
                return True
            await self._refresh_now()
            return not self._behind(epoch)

    def _behind(self, epoch: int) -> bool:
        return self.store.epoch is None or self.store.epoch < epoch

    async def _refresh_now(self) -> None:
        uses = self.store.take_uses()
        try:
            self.store.load(await self._refresh(uses))
        except BaseException:
            # Uses not reported this time go with the next refresh, unless newer ones replace them.
            self.store.unreported_uses = uses | self.store.unreported_uses
            raise
        self.loaded_at = time.monotonic()


async def keep_current(sync: CredentialSync, *, every: float, listener: Listener) -> None:
    changed = asyncio.Event()
    listener.on(CHANNEL, lambda _table: changed.set(), on_connect=changed.set)
    metrics.CREDENTIALS_AGE.set_function(
        lambda: time.monotonic() - sync.loaded_at if sync.loaded_at is not None else float("inf")
    )
    store = sync.store
    failing = False
    while True:
        changed.clear()  # before asking: a change announced during the request is not lost
        try:
            await sync.refresh()
            if failing:
                log.info("credentials refreshed from the console again")
            failing = False
        except Exception as error:
            if not failing:
                log.warning("cannot refresh credentials from the console", extra={"error": repr(error)})
            failing = True
        quiet = listener.connected and not failing and not store.has_uses()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                _changed_or_used(changed, store, every), QUIET_REFRESH_SECONDS if quiet else every
            )


async def _changed_or_used(changed: asyncio.Event, store: CredentialStore, every: float) -> None:
    """Until an announcement, or a key use to report (looked for every `every` seconds)."""
    while not changed.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), every)
        if store.has_uses():
            return
