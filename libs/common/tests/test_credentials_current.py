"""Credentials judged as they are now: the copy is compared with the database's epoch and caught
up before its verdict counts; the epoch reads of a burst are shared; what cannot be told is 503.
Pure: the epoch and the console's state are fakes."""

import asyncio
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from leadflow_common.access import BOOTSTRAP
from leadflow_common.credential_sync import CredentialSync
from leadflow_common.credentials import (
    TOKEN_AUDIENCE,
    TOKEN_ISSUER,
    CredentialsState,
    CredentialStore,
    LiveKey,
    SigningKey,
    key_digest,
)
from leadflow_common.credentials_current import CurrentCredentials
from leadflow_common.credentials_epoch import SharedRead
from leadflow_common.errors import Unauthenticated, Unavailable, UnknownCredential

SIGNER = Ed25519PrivateKey.generate()
PUBLIC_PEM = SIGNER.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def new_key() -> str:
    return f"lf_{uuid.uuid4().hex}_{secrets.token_urlsafe(32)}"


def token(session: str) -> str:
    now = datetime.now(UTC)
    claims = {"sub": "u1", "sid": session, "role": "admin", "iat": now, "exp": now + timedelta(hours=1)}
    claims |= {"iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE}
    return jwt.encode(claims, SIGNER, algorithm="EdDSA", headers={"kid": "k1"})


class Console:
    """The database's epoch and the state the console hands out, changed by the tests."""

    def __init__(self) -> None:
        self.epoch = 1
        self.keys: list[LiveKey] = []
        self.revoked: list[str] = []
        self.epoch_reads = 0
        self.refreshes = 0
        self.epoch_fails = False
        self.refresh_fails = False
        self.answers_behind = False

    def change(self, *, key: str | None = None, revoke_key: str | None = None, end: str | None = None):
        if key:
            self.keys.append(LiveKey(id=key[3:35], sha256=key_digest(key), scopes=[]))
        if revoke_key:
            self.keys = [live for live in self.keys if live.sha256 != key_digest(revoke_key)]
        if end:
            self.revoked.append(end)
        self.epoch += 1  # in the same transaction as the change

    async def read_epoch(self) -> int:
        self.epoch_reads += 1
        await asyncio.sleep(0.001)  # a round trip: requests arriving meanwhile share the next
        if self.epoch_fails:
            raise OSError("the database does not answer")
        return self.epoch

    async def refresh(self, _uses) -> CredentialsState:
        self.refreshes += 1
        if self.refresh_fails:
            raise OSError("the console does not answer")
        return CredentialsState(
            signing_keys=[SigningKey(kid="k1", public_key_pem=PUBLIC_PEM)],
            keys=list(self.keys),
            revoked_sessions=list(self.revoked),
            epoch=self.epoch - 1 if self.answers_behind else self.epoch,
        )


async def following(console: Console) -> CurrentCredentials:
    store = CredentialStore("boot")
    sync = CredentialSync(store, console.refresh)
    await sync.refresh()  # what the service's start does
    current = CurrentCredentials(store)
    current.follow(sync, console.read_epoch)
    console.refreshes = 0
    return current


async def test_a_key_created_after_the_copy_was_loaded_is_accepted_at_once():
    console = Console()
    current = await following(console)
    key = new_key()
    console.change(key=key)
    with pytest.raises(UnknownCredential):
        current.store.authenticate(key)  # the copy alone does not know it yet
    assert (await current.authenticate(key)).actor == f"key:{key[3:35]}"
    assert (console.epoch_reads, console.refreshes) == (1, 1)
    # Current now: the next use costs one epoch read and no refresh.
    await current.authenticate(key)
    assert (console.epoch_reads, console.refreshes) == (2, 1)


async def test_a_copy_never_loaded_loads_on_the_first_request_once_the_console_answers():
    console = Console()
    key = new_key()
    console.change(key=key)
    store = CredentialStore("boot")
    sync = CredentialSync(store, console.refresh)
    console.refresh_fails = True
    with pytest.raises(OSError):
        await sync.refresh()  # the service started while the console was away
    current = CurrentCredentials(store)
    current.follow(sync, console.read_epoch)
    with pytest.raises(Unavailable, match="Cannot refresh credentials"):
        await current.authenticate(key)  # still away: 503, never an old copy's verdict
    console.refresh_fails = False
    assert (await current.authenticate(key)).actor == f"key:{key[3:35]}"  # back: loaded on the spot
    assert (await current.authenticate(token("s1"))).session_id == "s1"


async def test_a_revoked_key_and_an_ended_session_are_refused_at_once_and_count_no_use():
    console = Console()
    key = new_key()
    console.change(key=key)
    current = await following(console)
    assert (await current.authenticate(key)).actor.startswith("key:")
    assert (await current.authenticate(token("s1"))).session_id == "s1"
    assert set(current.store.take_uses()) == {key[3:35]}  # its use, for the console's list
    console.change(revoke_key=key)
    with pytest.raises(Unauthenticated):
        await current.authenticate(key)
    assert current.store.take_uses() == {}  # a refused use is no use, though the old copy knew it
    console.change(end="s1")
    with pytest.raises(Unauthenticated):
        await current.authenticate(token("s1"))
    assert console.refreshes == 2


async def test_what_no_copy_could_accept_costs_no_epoch_read():
    console = Console()
    current = await following(console)
    for hopeless in (
        "lf_not-a-key",  # not a key's shape
        "not-a-token",
        token("s1")[:-4] + "AAAA",  # a signature that does not hold
    ):
        with pytest.raises(Unauthenticated):
            await current.authenticate(hopeless)
    console.change(end="s2")
    await asyncio.gather(*(current.authenticate(token("s3")) for _ in range(3)))
    reads = console.epoch_reads
    with pytest.raises(Unauthenticated):
        await current.authenticate(token("s2"))  # ended, and known to be: no copy reopens it
    for missing in (None, ""):
        with pytest.raises(Unauthenticated):
            await current.authenticate(missing)
    assert await current.authenticate("boot") is BOOTSTRAP
    assert console.epoch_reads == reads


async def test_a_flood_of_made_up_keys_shares_its_epoch_reads_and_refreshes_nothing():
    console = Console()
    current = await following(console)

    async def made_up() -> None:
        with pytest.raises(UnknownCredential):
            await current.authenticate(new_key())

    await asyncio.gather(*(made_up() for _ in range(500)))
    assert console.epoch_reads <= 2 and console.refreshes == 0


async def test_when_the_epoch_cannot_be_read_nothing_but_the_bootstrap_key_is_accepted():
    console = Console()
    key = new_key()
    console.change(key=key)
    current = await following(console)
    console.epoch_fails = True
    for credential in (key, token("s1"), new_key()):
        with pytest.raises(Unavailable) as refused:
            await current.authenticate(credential)
        assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    assert await current.authenticate("boot") is BOOTSTRAP
    console.epoch_fails = False
    assert (await current.authenticate(key)).actor.startswith("key:")


async def test_a_copy_behind_that_cannot_be_refreshed_or_comes_back_older_is_not_trusted():
    console = Console()
    key = new_key()
    console.change(key=key)
    current = await following(console)
    console.change(end="s9")  # a change the copy has not seen
    console.refresh_fails = True
    with pytest.raises(Unavailable):
        await current.authenticate(key)
    console.refresh_fails, console.answers_behind = False, True
    with pytest.raises(Unavailable):
        await current.authenticate(key)
    console.answers_behind = False
    assert (await current.authenticate(key)).actor.startswith("key:")


async def test_without_a_console_to_follow_the_copy_judges_alone():
    store = CredentialStore("boot")
    store.load(CredentialsState(signing_keys=[], keys=[], revoked_sessions=[]))
    current = CurrentCredentials(store)
    assert await current.authenticate("boot") is BOOTSTRAP
    with pytest.raises(Unauthenticated):
        await current.authenticate(new_key())


async def test_callers_waiting_together_catch_up_with_one_refresh():
    console = Console()
    current = await following(console)
    key = new_key()
    console.change(key=key)
    principals = await asyncio.gather(*(current.authenticate(key) for _ in range(20)))
    assert {principal.actor for principal in principals} == {f"key:{key[3:35]}"}
    assert console.refreshes == 1


async def test_a_shared_read_answers_each_caller_with_a_read_begun_after_it_called():
    value, started = 0, []

    async def read() -> int:
        seen = value  # the statement's snapshot, taken as it begins
        started.append(seen)
        await asyncio.sleep(0.01)
        return seen

    shared = SharedRead(read, timeout=1)
    first = asyncio.gather(*(shared() for _ in range(10)))
    await asyncio.sleep(0.005)  # the first read is under way
    value = 1  # a change committed now; callers arriving from here on must see it
    late = asyncio.gather(*(shared() for _ in range(10)))
    assert await first == [0] * 10
    assert await late == [1] * 10
    assert started == [0, 1]  # twenty callers, two reads


async def test_a_shared_read_that_fails_or_hangs_fails_its_callers_and_the_next_read_is_fresh():
    outcomes = [OSError("down"), "hang", 7]

    async def read() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == "hang":
            await asyncio.sleep(10)
        return outcome

    shared = SharedRead(read, timeout=0.05)
    failed = await asyncio.gather(shared(), shared(), return_exceptions=True)
    assert [type(error) for error in failed] == [OSError, OSError]
    with pytest.raises(TimeoutError):
        await shared()
    assert await shared() == 7
