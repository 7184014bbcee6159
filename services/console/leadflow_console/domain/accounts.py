"""Accounts and keys as pure rules: password policy, key format, login throttling, what a
user's change means for their sessions. No I/O."""

import hashlib
import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from leadflow_common.access import Role
from leadflow_common.credentials import KEY_PREFIX
from leadflow_common.errors import Conflict, FieldError, Invalid

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # Argon2 takes any length; an unbounded one is a free CPU burner


def check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise Invalid.field(
            "password", f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
        )


def check_role(role: Role, rep_id: uuid.UUID | None) -> None:
    """A rep account is linked to exactly one rep record; nobody else is."""
    if role is Role.rep and rep_id is None:
        raise Invalid.field("rep_id", "a rep account names the rep record it works as")
    if role is not Role.rep and rep_id is not None:
        raise Invalid.field("rep_id", "only a rep account is linked to a rep record")


def check_an_admin_remains(*, was_admin: bool, stays_admin: bool, other_admins: int) -> None:
    """A change may not leave no active admin: nobody could then manage accounts, keys, webhooks
    or settings (seen: the only admin demoted herself to viewer from the users page)."""
    if was_admin and not stays_admin and other_admins == 0:
        raise Conflict(
            "This is the last active admin: make another account an admin before demoting or"
            " disabling this one"
        )


def check_rep_record_free(held_by: list[str]) -> None:
    """One active account per rep record: a rep's inbox and leads are one person's, and two
    accounts on one record would each see and work the other's leads."""
    if held_by:
        message = (
            f"this rep record already has the account {held_by[0]}:"
            " disable that account or link it to another rep first"
        )
        raise Conflict(
            "The rep record already has an active account",
            fields=[FieldError(name="rep_id", message=message)],
        )


def new_api_key(key_id: uuid.UUID) -> str:
    """`lf_<id>_<secret>`: the id lets an operator recognise a key in a leak report."""
    return f"{KEY_PREFIX}{key_id.hex}_{secrets.token_urlsafe(32)}"


def key_label(key_id: uuid.UUID) -> str:
    """What a list shows of a key: its first characters, never the secret part."""
    return f"{KEY_PREFIX}{key_id.hex[:8]}…"


@dataclass(frozen=True)
class LoginLimits:
    window_seconds: int
    per_account: int
    per_address: int


# An account's failures from every address together throttle it at this many times the
# allowance of one address for it (`per_account`): many addresses guessing one password are held,
# and one address cannot lock the account's owner out (a probe kept an admin out with a wrong
# password every few minutes). The trade: spread over addresses, ten times the guesses.
ACCOUNT_WIDE_FACTOR = 10


def login_subjects(email: str, client: str) -> list[str]:
    """What failed logins are counted by: the account, the address, the account from that
    address (emails hashed: the table names no one)."""

    def hashed(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    place = address_block(client)
    return [f"account:{hashed(email)}", f"address:{place}", f"account-from:{hashed(f'{email} {place}')}"]


def address_block(client: str) -> str:
    """Where a login comes from, as counted: an IPv6 address's /64 (one host is given a whole
    /64, so counting single addresses would give it billions of allowances)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def login_retry_after(
    limits: LoginLimits,
    *,
    account_failures: list[datetime],
    address_failures: list[datetime],
    pair_failures: list[datetime],
    now: datetime,
) -> int | None:
    """Seconds until another attempt may be made, or None when one may be made now. Counted per
    account from this address (guessing one password), per account from everywhere (at
    ACCOUNT_WIDE_FACTOR times that) and per address (trying many accounts)."""
    waits = []
    for failures, allowed in (
        (pair_failures, limits.per_account),
        (account_failures, limits.per_account * ACCOUNT_WIDE_FACTOR),
        (address_failures, limits.per_address),
    ):
        if len(failures) >= allowed:
            oldest_counted = sorted(failures)[-allowed]
            waits.append(limits.window_seconds - int((now - oldest_counted).total_seconds()))
    return max(1, max(waits)) if waits else None


def ends_sessions(
    *, role_changed: bool, deactivated: bool, password_changed: bool, rep_changed: bool
) -> bool:
    """A token carries the role and rep it was issued for: any change to them ends the sessions."""
    return role_changed or deactivated or password_changed or rep_changed


def audited_changes(
    *,
    was_active: bool,
    is_active: bool,
    roles: tuple[str, str],
    reps: tuple[object, object],
    password_changed: bool,
) -> list[tuple[str, dict[str, str]]]:
    """The audit entries an account's change makes: one per kind of change, said by its name
    (an admin filters the trail for `user.disabled`), none for a change that changed nothing
    (a second tab's Disable on a disabled account)."""
    said: list[tuple[str, dict[str, str]]] = []
    if was_active != is_active:
        said.append(("user.enabled" if is_active else "user.disabled", {}))
    if roles[0] != roles[1]:
        said.append(("user.role_changed", {"from": roles[0], "to": roles[1]}))
    if reps[0] != reps[1]:
        said.append(("user.rep_changed", {"rep_id": str(reps[1] or "")}))
    if password_changed:
        said.append(("user.password_changed", {}))
    return said
