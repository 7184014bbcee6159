"""Telling the live pages of every console replica that the read model changed: the replica
that applied a batch sends a PostgreSQL NOTIFY with the reps whose inbox changed, and another
with the B2B accounts whose page changed (both delivered when its transaction commits), and
every replica listens (the process's `Listener`). An account or a key made, changed or used is
announced on a third, for the admin's pages. A page also looks again every few seconds, so a
listener that is reconnecting delays a page, never loses a change."""

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common import credential_sync
from leadflow_common.listener import Listener
from leadflow_common.wakeups import notify

CHANNEL = "leadflow_console_changed"
# Its own channel: a replica of an earlier version, which reads every payload of CHANNEL as
# rep ids, never hears it.
ACCOUNTS_CHANNEL = "leadflow_console_accounts_changed"
# The leads whose page changed (a lead's own page).
LEADS_CHANNEL = "leadflow_console_leads_changed"
# Accounts and keys (the admin's pages): everything on them, so no payload to read.
ADMIN_CHANNEL = "leadflow_console_admin_changed"
# The audit trail: an entry filed, from any service.
AUDIT_CHANNEL = "leadflow_console_audit_changed"
EVERYONE = "*"
MAX_PAYLOAD = 7000  # PostgreSQL takes up to 8000 bytes; beyond it every inbox looks again


def encode(reps: set[uuid.UUID]) -> str:
    text = ",".join(sorted(str(rep) for rep in reps))
    return text if len(text) <= MAX_PAYLOAD else EVERYONE


def parts(keys: set[uuid.UUID]) -> list[str]:
    """The keys as payloads of at most MAX_PAYLOAD each."""
    ordered = sorted(str(key) for key in keys)
    per_part = MAX_PAYLOAD // 37  # a UUID and its comma
    return [",".join(ordered[start : start + per_part]) for start in range(0, len(ordered), per_part)]


def decode(payload: str) -> set[uuid.UUID] | None:
    """The reps named, or None for everyone."""
    if payload == EVERYONE:
        return None
    return {uuid.UUID(part) for part in payload.split(",") if part}


async def announce(
    connection: AsyncConnection,
    reps: set[uuid.UUID],
    accounts: set[uuid.UUID] | None = None,
    leads: set[uuid.UUID] | None = None,
) -> None:
    """Sent with the transaction: nobody hears of a change that did not commit."""
    await notify(connection, CHANNEL, encode(reps))
    if accounts:
        await notify(connection, ACCOUNTS_CHANNEL, encode(accounts))
    for part in parts(leads or set()):  # by parts: an import's batch is not "every lead page"
        await notify(connection, LEADS_CHANNEL, part)


async def announce_admin(connection: AsyncConnection) -> None:
    """An account or a key changed, with the transaction that changed it."""
    await notify(connection, ADMIN_CHANNEL, EVERYONE)


async def announce_audit(connection: AsyncConnection) -> None:
    """Entries filed in the audit trail, with the transaction that filed them."""
    await notify(connection, AUDIT_CHANNEL, EVERYONE)


Keys = uuid.UUID | frozenset[uuid.UUID]  # what a page shows: one rep, account or lead, or several


class Changed:
    """A version that grows with every change heard, and what each one touched (the reps whose
    inbox, or the accounts whose page, it changed)."""

    def __init__(self) -> None:
        self._version = 0
        self._reps: dict[int, set[uuid.UUID] | None] = {}
        self._event = asyncio.Event()

    @property
    def version(self) -> int:
        return self._version

    def notify(self, reps: set[uuid.UUID] | None) -> None:
        self._version += 1
        self._reps[self._version] = reps
        self._reps.pop(self._version - 1000, None)
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, after: int, timeout: float) -> int:
        """The version after `after`, or `after` itself when nothing changed within `timeout`."""
        if self._version == after:
            try:
                await asyncio.wait_for(self._event.wait(), timeout)
            except TimeoutError:
                pass
        return self._version

    async def next_touching(self, after: int, key: Keys | None, timeout: float) -> int:
        """The version once a change after `after` may have touched `key` (or one of the keys;
        any change, for None), or `after` itself when none did within `timeout` of a wait (a
        listener reconnecting loses nothing: the caller looks again)."""
        while True:
            latest = await self.wait(after, timeout)
            if latest == after or key is None or self.touched(key, after):
                return latest
            after = latest

    def touched(self, key: Keys, after: int) -> bool:
        """Whether a change after version `after` may have touched this rep's inbox (or this
        account's page, these leads' rows)."""
        keys = key if isinstance(key, frozenset) else frozenset({key})
        for version in range(after + 1, self._version + 1):
            reps = self._reps.get(version)
            if reps is None or not keys.isdisjoint(reps):
                return True
        return False


def listen(
    listener: Listener, changed: Changed, accounts: Changed, leads: Changed, admin: Changed, audit: Changed
) -> None:
    """Every change announced reaches `changed` (inboxes), `accounts` (account pages), `leads`
    (lead pages), `admin` (accounts and keys) or `audit` (the audit trail); after a reconnection,
    a change for everyone (whatever happened while nobody listened)."""
    listener.on(
        CHANNEL, lambda payload: changed.notify(decode(payload)), on_connect=lambda: changed.notify(None)
    )
    listener.on(
        ACCOUNTS_CHANNEL,
        lambda payload: accounts.notify(decode(payload)),
        on_connect=lambda: accounts.notify(None),
    )
    listener.on(
        LEADS_CHANNEL, lambda payload: leads.notify(decode(payload)), on_connect=lambda: leads.notify(None)
    )
    listener.on(ADMIN_CHANNEL, lambda _: admin.notify(None), on_connect=lambda: admin.notify(None))
    listener.on(AUDIT_CHANNEL, lambda _: audit.notify(None), on_connect=lambda: audit.notify(None))

    def sessions_changed(table: str) -> None:
        # A session ended (a logout, an account deactivated): every stream looks at once whether
        # it was its viewer's; one waiting for its own rep's or account's change did so only at
        # its next look (up to LOOK_AGAIN_SECONDS, a hostile probe measured 5 s).
        if table == "sessions":
            for each in (changed, accounts, leads, admin, audit):
                each.notify(None)

    listener.on(credential_sync.CHANNEL, sessions_changed)
