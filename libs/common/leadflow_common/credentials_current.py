"""Who is calling, judged by credentials as they are now rather than as last announced.

A service's copy of the credentials (`credentials.CredentialStore`) learns of a change from an
announcement a moment after its commit; until then a key created a moment ago is unknown to it
and a session ended a moment ago still open. So before a copy's verdict on a credential counts,
the copy's epoch is compared with the database's (`credentials_epoch`): when the copy is behind,
it is refreshed on the spot (`CredentialSync.catch_up`) and the newer copy judges. A change is
committed before the console answers it (201, 204), so a request made after that answer finds
the epoch moved and is judged by a copy that holds the change, on every service at once.

What needs no comparison: the bootstrap key (the deployment's own, in no copy), and a credential
no copy could accept (not a key's shape, a token whose signature or claims do not hold, a session
already ended, an expired key). Everything else pays one shared read of one row
(`SharedRead`: concurrent requests share it, so a flood of made-up keys costs a read per
database round trip, not per request) and nothing more while the copy is current.

When the epoch cannot be read, or a copy at least that new cannot be had, the answer is 503:
a credential that may have been revoked is never accepted on the strength of an old copy.
"""

from collections.abc import Awaitable, Callable

from leadflow_common import metrics
from leadflow_common.access import BOOTSTRAP, Principal
from leadflow_common.credential_sync import CredentialSync
from leadflow_common.credentials import CredentialStore
from leadflow_common.credentials_epoch import READ_BOUND_SECONDS, SharedRead
from leadflow_common.errors import Unavailable, UnknownCredential

_CHECKED = {
    outcome: metrics.CREDENTIALS_CHECKS.labels(outcome=outcome)
    for outcome in ("current", "refreshed", "epoch_unreadable", "refresh_failed", "refresh_behind")
}


class CurrentCredentials:
    """`authenticate` with the copy caught up to the database. Until `follow` is called (no
    console to follow, or before the service's lifespan has begun) the copy judges alone."""

    def __init__(self, store: CredentialStore):
        self.store = store
        self._sync: CredentialSync | None = None
        self._epoch: SharedRead | None = None

    def follow(self, sync: CredentialSync, read_epoch: Callable[[], Awaitable[int]]) -> None:
        """From now on, check the copy's epoch against `read_epoch()` and catch up with `sync`."""
        self._sync = sync
        self._epoch = SharedRead(_counted(read_epoch), timeout=READ_BOUND_SECONDS)

    async def authenticate(self, credential: str | None) -> Principal:
        """Who is calling (401 when nobody known is, 503 when that cannot be told now)."""
        sync, read_epoch = self._sync, self._epoch
        if sync is None or read_epoch is None:
            return self.store.authenticate(credential)
        generation = self.store.generation
        try:
            principal = self.store.judge(credential)
        except UnknownCredential:
            principal = None  # maybe created a moment ago: a current copy tells
        except Unavailable:
            # Never loaded (the service started while the console was away): the console may
            # answer now, and a request need not wait for the background loop's next round.
            principal = None
        if principal is BOOTSTRAP:
            return principal
        await self._catch_up(sync, read_epoch)
        if principal is None or self.store.generation != generation:
            principal = self.store.judge(credential)  # the newer copy's verdict
        # Counted only once accepted by a current copy: a revoked key's refused use is no use.
        self.store.count_use(principal)
        return principal

    async def _catch_up(self, sync: CredentialSync, read_epoch: SharedRead) -> None:
        try:
            epoch = await read_epoch()
        except Exception as error:
            _CHECKED["epoch_unreadable"].inc()
            raise Unavailable("Cannot tell whether credentials are current; try again shortly") from error
        if self.store.epoch is not None and self.store.epoch >= epoch:
            _CHECKED["current"].inc()
            return
        try:
            caught_up = await sync.catch_up(epoch)
        except Exception as error:
            _CHECKED["refresh_failed"].inc()
            raise Unavailable("Cannot refresh credentials from the console; try again shortly") from error
        if not caught_up:
            # The console answered a state older than the database's epoch: not to be trusted.
            _CHECKED["refresh_behind"].inc()
            raise Unavailable("The console's credentials are behind the database's; try again shortly")
        _CHECKED["refreshed"].inc()


def _counted(read_epoch: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[int]]:
    async def read() -> int:
        metrics.CREDENTIALS_EPOCH_READS.inc()
        return await read_epoch()

    return read
