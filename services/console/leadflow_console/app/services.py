"""The console's use cases: logging in, accounts (one's own: `own_account.py`), API keys
(`api_keys.py`), the credentials every service refreshes, and the audit trail. Each state change
runs in one unit of work with its audit entry."""

import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Unpack

from sqlalchemy import RowMapping

from leadflow_common.access import Principal, Role
from leadflow_common.credentials import CredentialsState, LiveKey, SigningKey
from leadflow_common.errors import Conflict, FieldError, Invalid, LeadflowError, NotFound, Unauthenticated
from leadflow_common.events import AuditRecorded, CloudEvent
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_console import metrics
from leadflow_console.app import live
from leadflow_console.app.api_keys import ApiKeyCases
from leadflow_console.app.own_account import OwnAccountCases
from leadflow_console.app.passwords import Passwords
from leadflow_console.app.reps import RepDirectory
from leadflow_console.domain import accounts
from leadflow_console.domain.accounts import LoginLimits
from leadflow_console.domain.tokens import issue_token, new_key_pair
from leadflow_console.settings import ConsoleSettings
from leadflow_console.store import audit_trail, repository
from leadflow_console.store.audit_trail import NamedEntry as NamedEntry
from leadflow_console.store.repository import ApiKey as ApiKey  # the API names these
from leadflow_console.store.repository import User as User

log = logging.getLogger(__name__)

SIGNING_KEY_LOCK = "console:signing-key"
FIRST_ADMIN_LOCK = "console:first-admin"


class TooManyAttempts(LeadflowError):
    status, title = 429, "Too many requests"

    def __init__(self, retry_after: int):
        super().__init__("Too many failed logins; try again later", headers={"Retry-After": str(retry_after)})


def _now() -> datetime:
    return datetime.now(UTC)


class AccountsService(ApiKeyCases, OwnAccountCases):
    def __init__(self, runtime: ServiceRuntime, settings: ConsoleSettings, reps: RepDirectory):
        self._runtime = runtime
        self._settings = settings
        self._reps = reps
        self._passwords = Passwords()
        self.admin_changed = live.Changed()  # the admin's pages of accounts and keys
        self.audit_changed = live.Changed()  # the audit trail's page
        self._limits = LoginLimits(
            settings.login_window_seconds,
            settings.login_failures_per_account,
            settings.login_failures_per_address,
        )

    async def prepare(self) -> None:
        """At start: a signing key, and the first admin when none exists and one is configured."""
        async with self._runtime.unit_of_work() as uow:
            await uow.lock([SIGNING_KEY_LOCK])
            if await repository.signing_key(uow.connection) is None:
                await repository.insert_signing_key(uow.connection, new_key_pair())
            key = await repository.signing_key(uow.connection)
        # What the web app's CSRF tokens are derived from: the same on every replica.
        self.page_secret = hashlib.sha256(b"leadflow-console-pages:" + key.private_key_pem.encode()).digest()
        email, password = self._settings.admin_email.strip().lower(), self._settings.admin_password
        if email and password:
            async with self._runtime.unit_of_work() as uow:
                await uow.lock([FIRST_ADMIN_LOCK])
                if await repository.count_users(uow.connection) == 0:
                    await self._insert_user(uow, "bootstrap", email, password, Role.admin, None)
                    log.info("created the first admin account")

    async def login(self, email: str, password: str, client: str) -> tuple[str, datetime]:
        """An access token for these credentials; throttled per account and per address."""
        email = email.strip().lower()
        subjects = accounts.login_subjects(email, client)
        account_subject, address_subject, pair_subject = subjects
        now = _now()
        async with self._runtime.unit_of_work() as uow:
            # Attempts on one account wait for each other: a burst cannot outrun the count.
            await uow.lock(subjects)
            since = now - timedelta(seconds=self._limits.window_seconds)
            failures = await repository.recent_failures(uow.connection, subjects, since)
            retry_after = accounts.login_retry_after(
                self._limits,
                account_failures=failures[account_subject],
                address_failures=failures[address_subject],
                pair_failures=failures[pair_subject],
                now=now,
            )
            user = await repository.user_by_email(uow.connection, email)
            actor = f"user:{user.id}" if user else "anonymous"
            if retry_after is not None:
                metrics.LOGINS.labels(outcome="throttled").inc()
                await uow.audit(actor, "login.throttled", outcome="refused")
            else:
                valid = await self._passwords.verify(password, user.password_hash if user else None)
                if valid and user.active:
                    for subject in (account_subject, pair_subject):
                        await repository.forget_failures(uow.connection, subject)
                    token, expires_at = await self._open_session(uow, user, now)
                    await uow.audit(actor, "login.succeeded", ("user", user.id))
                    metrics.LOGINS.labels(outcome="succeeded").inc()
                    return token, expires_at
                await repository.record_failure(uow.connection, subjects, now)
                await uow.audit(actor, "login.failed", outcome="refused")
                metrics.LOGINS.labels(outcome="failed").inc()
        if retry_after is not None:
            raise TooManyAttempts(retry_after)
        raise Unauthenticated("The email or password is wrong, or the account is disabled")

    async def _open_session(self, uow: UnitOfWork, user: User, now: datetime) -> tuple[str, datetime]:
        lifetime = timedelta(seconds=self._settings.token_ttl_seconds)
        session_id = uuid.uuid4().hex
        await repository.insert_session(uow.connection, session_id, user.id, now + lifetime)
        key = await repository.signing_key(uow.connection)
        token = issue_token(
            key,
            user_id=user.id,
            role=user.role,
            rep_id=user.rep_id,
            session_id=session_id,
            issued_at=now,
            lifetime=lifetime,
        )
        return token, now + lifetime

    async def logout(self, principal: Principal) -> None:
        if not principal.session_id:
            # A 204 here let an integration believe its key was revoked while it kept working.
            raise Conflict(
                "This credential has no session to end: an API key is revoked with"
                " DELETE /v1/keys/{id}, and the deployment's own key by changing LEADFLOW_API_KEY"
            )
        async with self._runtime.unit_of_work() as uow:
            await repository.revoke_sessions(uow.connection, _now(), session_id=principal.session_id)
            await uow.audit(principal, "logout", ("session", principal.session_id))

    async def me(self, principal: Principal) -> User | None:
        if principal.role is None:
            return None
        async with self._runtime.engine.connect() as connection:
            return await repository.user_by_id(connection, uuid.UUID(principal.id))

    async def create_user(
        self, principal: Principal, email: str, password: str, role: Role, rep_id: uuid.UUID | None
    ) -> User:
        accounts.check_password(password)
        accounts.check_role(role, rep_id)
        if rep_id is not None:
            await self._known_rep(rep_id)
        async with self._runtime.unit_of_work() as uow:
            if await repository.user_by_email(uow.connection, email.lower()):
                taken = FieldError(name="email", message="already used by another account")
                raise Conflict("An account with this email exists", fields=[taken])
            if rep_id is not None:
                await self._check_rep_record_free(uow, rep_id, user_id=None)
            return await self._insert_user(uow, principal, email.lower(), password, role, rep_id)

    async def _insert_user(self, uow, actor, email, password, role: Role, rep_id) -> User:
        user = await repository.insert_user(
            uow.connection,
            id=uuid.uuid4(),
            email=email,
            password_hash=await self._passwords.hash(password),
            role=str(role),
            rep_id=rep_id,
        )
        await uow.audit(actor, "user.created", ("user", user.id), role=str(role), rep_id=str(rep_id or ""))
        await live.announce_admin(uow.connection)
        return user

    async def _check_rep_record_free(
        self, uow: UnitOfWork, rep_id: uuid.UUID, user_id: uuid.UUID | None
    ) -> None:
        holders = await repository.lock_rep_accounts(uow.connection, rep_id)
        accounts.check_rep_record_free([holder.email for holder in holders if holder.id != user_id])

    async def _known_rep(self, rep_id: uuid.UUID) -> None:
        if not await self._reps.exists(rep_id):
            raise Invalid.field("rep_id", "routing has no rep with this id: add the rep first")

    async def list_users(self) -> list[User]:
        async with self._runtime.engine.connect() as connection:
            return await repository.list_users(connection)

    async def update_user(self, principal: Principal, user_id: uuid.UUID, changes: dict) -> User:
        async with self._runtime.unit_of_work() as uow:
            admins = await repository.lock_active_admins(uow.connection)
            user = await repository.user_by_id(uow.connection, user_id, lock=True)
            if user is None:
                raise NotFound("No such user")
            if not changes:
                return user
            role = Role(changes.get("role", user.role))
            rep_id = changes["rep_id"] if "rep_id" in changes else user.rep_id
            accounts.check_role(role, rep_id)
            accounts.check_an_admin_remains(
                was_admin=user_id in admins,
                stays_admin=role is Role.admin and changes.get("active", user.active),
                other_admins=len(admins - {user_id}),
            )
            if rep_id is not None and rep_id != user.rep_id:
                await self._known_rep(rep_id)  # the one it had was checked when it was named
            newly_holds = rep_id != user.rep_id or not user.active  # a password change is not a link
            if rep_id is not None and changes.get("active", user.active) and newly_holds:
                await self._check_rep_record_free(uow, rep_id, user_id=user_id)
            values = {name: changes[name] for name in ("active",) if name in changes}
            values |= {"role": str(role), "rep_id": rep_id}
            if changes.get("password") is not None:
                accounts.check_password(changes["password"])
                values["password_hash"] = await self._passwords.hash(changes["password"])
            updated = await repository.update_user(uow.connection, user_id, **values)
            if accounts.ends_sessions(
                role_changed=updated.role is not user.role,
                deactivated=user.active and not updated.active,
                password_changed="password_hash" in values,
                rep_changed=updated.rep_id != user.rep_id,
            ):
                await repository.revoke_sessions(uow.connection, _now(), user_id=user_id)
            for action, details in accounts.audited_changes(
                was_active=user.active,
                is_active=updated.active,
                roles=(str(user.role), str(updated.role)),
                reps=(user.rep_id, updated.rep_id),
                password_changed="password_hash" in values,
            ):
                await uow.audit(principal, action, ("user", user_id), **details)
            await live.announce_admin(uow.connection)
            return updated

    async def credentials_state(self, uses: dict[uuid.UUID, datetime]) -> CredentialsState:
        """What every service verifies credentials with; records the key uses it reports."""
        now = _now()
        async with self._runtime.unit_of_work() as uow:
            if uses:
                await repository.record_key_uses(uow.connection, uses)
                await live.announce_admin(uow.connection)  # the keys' "last used"
            # First: each statement after it sees every change up to it (and maybe later ones),
            # so the state is at least as new as the epoch it is stamped with.
            epoch = await repository.credentials_epoch(uow.connection)
            keys = await repository.live_keys(uow.connection, now)
            signing = await repository.all_signing_keys(uow.connection)
            revoked = await repository.revoked_live_sessions(uow.connection, now)
        return CredentialsState(
            signing_keys=[SigningKey(kid=k.kid, public_key_pem=k.public_key_pem) for k in signing],
            keys=[
                LiveKey(id=str(k.id), sha256=k.digest, scopes=k.scopes, expires_at=k.expires_at) for k in keys
            ],
            revoked_sessions=revoked,
            epoch=epoch,
        )

    async def audit_entries(self, **filters: Unpack[repository.AuditFilters]) -> list[RowMapping]:
        async with self._runtime.engine.connect() as connection:
            return await repository.audit_entries(connection, **filters)

    async def audit_trail(
        self, who: str, action: str | None, before_id: int | None = None, limit: int = 200
    ) -> list[NamedEntry] | None:
        """The newest entries (before `before_id`) with their actors and targets named; None
        when nobody is known by `who` (an account's email, a key's name)."""
        async with self._runtime.engine.connect() as connection:
            actor = await audit_trail.actor_of(connection, who) if who else None
            if who and actor is None:
                return None
            return await audit_trail.named_entries(
                connection, actor=actor, action=action, before_id=before_id, limit=limit
            )

    async def record_audit(self, events: list[CloudEvent]) -> None:
        """The audit consumer: entries from every service, each stored once."""
        entries = [event for event in events if isinstance(event.data, AuditRecorded)]
        if entries:
            async with self._runtime.unit_of_work() as uow:
                await repository.insert_audit_entries(uow.connection, entries)
                await live.announce_audit(uow.connection)  # an open trail shows them
                for entry in entries:
                    metrics.AUDIT_RECORDED.labels(service=entry.data.service).inc()
                # Failed logins older than the window count for nothing: keep the table small.
                cutoff = _now() - timedelta(seconds=self._limits.window_seconds)
                await repository.forget_failures(uow.connection, "", before=cutoff)
