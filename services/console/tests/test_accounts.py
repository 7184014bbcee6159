"""The console's pure rules: passwords, rep links, key format, login throttling, tokens."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadflow_common.access import PrincipalKind, Role, Scope
from leadflow_common.credentials import CredentialsState, CredentialStore, LiveKey, SigningKey, key_digest
from leadflow_common.errors import Invalid, Unauthenticated
from leadflow_console.app.passwords import Passwords, unknown_account_hash
from leadflow_console.domain.accounts import (
    LoginLimits,
    address_block,
    check_password,
    check_role,
    ends_sessions,
    key_label,
    login_retry_after,
    login_subjects,
    new_api_key,
)
from leadflow_console.domain.tokens import issue_token, new_key_pair

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LIMITS = LoginLimits(window_seconds=900, per_account=5, per_address=30)


def test_passwords_are_bounded_both_ways():
    check_password("twelve chars")
    for bad in ("short", "x" * 257):
        with pytest.raises(Invalid) as refused:
            check_password(bad)
        assert refused.value.fields[0].name == "password"


def test_a_rep_account_names_a_rep_and_no_other_account_does():
    check_role(Role.rep, uuid.uuid4())
    check_role(Role.marketer, None)
    for role, rep_id in ((Role.rep, None), (Role.admin, uuid.uuid4())):
        with pytest.raises(Invalid) as refused:
            check_role(role, rep_id)
        assert refused.value.fields[0].name == "rep_id"


def test_a_key_names_its_id_and_its_label_hides_the_secret():
    key_id = uuid.uuid4()
    key = new_api_key(key_id)
    assert key.startswith(f"lf_{key_id.hex}_") and len(key) > 70
    assert new_api_key(key_id) != key
    assert key_label(key_id) == f"lf_{key_id.hex[:8]}…" and key_label(key_id) not in key[12:]


def test_logins_are_throttled_per_account_and_address_per_account_and_per_address():
    def wait(pair=(), account=(), address=()) -> int | None:
        lists = {"pair_failures": pair, "account_failures": account, "address_failures": address}
        return login_retry_after(LIMITS, now=NOW, **{name: list(found) for name, found in lists.items()})

    recent = [NOW - timedelta(seconds=60 * n) for n in range(5)]
    assert wait(pair=recent[:4], account=recent[:4]) is None
    assert wait(pair=recent, account=recent) == 900 - 240  # until the oldest of five leaves the window
    # Five from other addresses do not lock this one out; fifty from everywhere do.
    assert wait(account=recent) is None
    spread = [NOW - timedelta(seconds=n) for n in range(50)]
    assert wait(account=spread) == 900 - 49
    many = [NOW - timedelta(seconds=n) for n in range(30)]
    assert wait(address=many) == 900 - 29


def test_any_change_to_what_a_token_carries_ends_the_sessions():
    unchanged = {"role_changed": False, "deactivated": False, "password_changed": False, "rep_changed": False}
    assert not ends_sessions(**unchanged)
    for change in unchanged:
        assert ends_sessions(**{**unchanged, change: True})


def _store_with(key_pair, *, keys=(), revoked=()) -> CredentialStore:
    store = CredentialStore("boot")
    store.load(
        CredentialsState(
            signing_keys=[SigningKey(kid=key_pair.kid, public_key_pem=key_pair.public_key_pem)],
            keys=list(keys),
            revoked_sessions=list(revoked),
        )
    )
    return store


def test_a_token_verifies_with_the_public_key_until_it_expires_or_its_session_ends():
    pair, rep_id, user_id = new_key_pair(), uuid.uuid4(), uuid.uuid4()

    def token(issued_at: datetime) -> str:
        return issue_token(
            pair,
            user_id=user_id,
            role=Role.rep,
            rep_id=rep_id,
            session_id="s1",
            issued_at=issued_at,
            lifetime=timedelta(hours=1),
        )

    principal = _store_with(pair).authenticate(token(datetime.now(UTC)))
    assert (principal.kind, principal.role, principal.rep_id) == (PrincipalKind.user, Role.rep, rep_id)
    assert principal.actor == f"user:{user_id}" and Scope.users_admin not in principal.scopes
    for store, credential in (
        (_store_with(pair), token(datetime.now(UTC) - timedelta(hours=2))),  # expired
        (_store_with(pair, revoked=["s1"]), token(datetime.now(UTC))),  # logged out
        (_store_with(new_key_pair()), token(datetime.now(UTC))),  # another console's key
    ):
        with pytest.raises(Unauthenticated):
            store.authenticate(credential)


def test_a_key_is_known_by_its_digest_counts_its_use_and_expires():
    pair, key = new_key_pair(), new_api_key(uuid.uuid4())
    live = LiveKey(id="k1", sha256=key_digest(key), scopes=[Scope.leads_write])
    store = _store_with(pair, keys=[live])
    principal = store.authenticate(key)
    assert principal.actor == "key:k1" and principal.scopes == {Scope.leads_write}
    assert set(store.take_uses()) == {"k1"} and store.take_uses() == {}
    expired = live.model_copy(update={"expires_at": datetime.now(UTC) - timedelta(seconds=1)})
    for holder, credential in ((_store_with(pair, keys=[expired]), key), (store, key + "x")):
        with pytest.raises(Unauthenticated):
            holder.authenticate(credential)
    assert _store_with(pair).authenticate("boot").actor == "bootstrap"


async def test_an_unknown_account_is_checked_against_a_real_hash_and_refused():
    passwords = Passwords()
    known = await passwords.hash("the right password")
    assert await passwords.verify("the right password", known)
    assert not await passwords.verify("the right password", None)  # no account: refused, as slowly
    assert unknown_account_hash().startswith("$argon2id$")


def test_logins_from_one_ipv6_host_are_counted_as_its_64():
    assert address_block("2001:db8:1:2:aaaa::1") == address_block("2001:db8:1:2:bb::9") == "2001:db8:1:2::/64"
    assert address_block("::ffff:192.0.2.7") == "192.0.2.7" and address_block("192.0.2.7") == "192.0.2.7"
    assert login_subjects("a@x", "2001:db8:1:2::5") == login_subjects("a@x", "2001:db8:1:2::6")
