"""What a signed-in person changes of her own account (a part of `AccountsService`): her
password, given the one she has now. Every session of hers ends with it (one stolen with the old
password ends too), so she signs in again; audited as `user.password_changed`. Wrong current
passwords count as failed logins do: a stolen session cannot guess the password without end."""

import uuid
from datetime import UTC, datetime, timedelta

from leadflow_common.access import Principal, PrincipalKind
from leadflow_common.errors import Conflict, Invalid
from leadflow_common.runtime import ServiceRuntime
from leadflow_console.app.passwords import Passwords
from leadflow_console.domain import accounts
from leadflow_console.domain.accounts import LoginLimits
from leadflow_console.store import repository


class OwnAccountCases:
    _runtime: ServiceRuntime
    _passwords: Passwords
    _limits: LoginLimits

    async def change_own_password(self, principal: Principal, current: str, new: str) -> None:
        if principal.kind is not PrincipalKind.user:
            raise Conflict("Only a person's account has a password (revoke an API key instead)")
        try:
            accounts.check_password(new)
        except Invalid as short:
            raise Invalid.field("new_password", short.fields[0].message if short.fields else "") from None
        user_id, now = uuid.UUID(principal.id), datetime.now(UTC)
        subject = f"password-change:{user_id}"
        refused: Invalid | None = None
        async with self._runtime.unit_of_work() as uow:  # a failure is kept: no raise inside
            await uow.lock([subject])
            since = now - timedelta(seconds=self._limits.window_seconds)
            tried = (await repository.recent_failures(uow.connection, [subject], since))[subject]
            user = await repository.user_by_id(uow.connection, user_id, lock=True)
            if len(tried) >= self._limits.per_account:
                wait = round(self._limits.window_seconds / 60)
                refused = Invalid.field("current_password", f"too many wrong tries: try again in {wait} min")
            elif user is None or not await self._passwords.verify(current, user.password_hash):
                await repository.record_failure(uow.connection, [subject], now)
                await uow.audit(
                    principal, "user.password_change_failed", ("user", user_id), outcome="refused"
                )
                refused = Invalid.field("current_password", "this is not your password now")
            else:
                hashed = await self._passwords.hash(new)
                await repository.update_user(uow.connection, user.id, password_hash=hashed)
                await repository.revoke_sessions(uow.connection, now, user_id=user.id)
                await repository.forget_failures(uow.connection, subject)
                await uow.audit(principal, "user.password_changed", ("user", user.id))
        if refused is not None:
            raise refused
