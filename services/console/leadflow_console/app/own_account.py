"""What a signed-in person changes of her own account (a part of `AccountsService`): her
password, given the one she has now. Every session of hers ends with it (one stolen with the old
password ends too), so she signs in again; audited as `user.password_changed`."""

import uuid
from datetime import UTC, datetime

from leadflow_common.access import Principal, PrincipalKind
from leadflow_common.errors import Conflict, Invalid
from leadflow_common.runtime import ServiceRuntime
from leadflow_console.app.passwords import Passwords
from leadflow_console.domain import accounts
from leadflow_console.store import repository


class OwnAccountCases:
    _runtime: ServiceRuntime
    _passwords: Passwords

    async def change_own_password(self, principal: Principal, current: str, new: str) -> None:
        if principal.kind is not PrincipalKind.user:
            raise Conflict("Only a person's account has a password (revoke an API key instead)")
        try:
            accounts.check_password(new)
        except Invalid as refused:
            raise Invalid.field("new_password", refused.fields[0].message if refused.fields else "") from None
        async with self._runtime.unit_of_work() as uow:
            user = await repository.user_by_id(uow.connection, uuid.UUID(principal.id), lock=True)
            if user is None or not await self._passwords.verify(current, user.password_hash):
                raise Invalid.field("current_password", "this is not your password now")
            hashed = await self._passwords.hash(new)
            await repository.update_user(uow.connection, user.id, password_hash=hashed)
            await repository.revoke_sessions(uow.connection, datetime.now(UTC), user_id=user.id)
            await uow.audit(principal, "user.password_changed", ("user", user.id))
