"""API keys, the console's use cases for them (a part of `AccountsService`): made, listed and
revoked, each change audited in its unit of work. A live key's name is its own: the audit trail
and its actor filter name keys by it (two keys named alike could not be told apart there)."""

import uuid
from datetime import UTC, datetime

from leadflow_common.access import Principal, Scope
from leadflow_common.credentials import key_digest
from leadflow_common.errors import Conflict, FieldError, NotFound
from leadflow_common.runtime import ServiceRuntime
from leadflow_console.app import live
from leadflow_console.domain import accounts
from leadflow_console.store import repository
from leadflow_console.store.repository import ApiKey


class ApiKeyCases:
    _runtime: ServiceRuntime

    async def create_key(
        self, principal: Principal, name: str, scopes: frozenset[Scope], expires_at: datetime | None
    ) -> tuple[ApiKey, str]:
        key_id = uuid.uuid4()
        secret = accounts.new_api_key(key_id)
        async with self._runtime.unit_of_work() as uow:
            await uow.lock([f"console:key-name:{name.casefold()}"])  # two alike at once: one wins
            if await repository.live_key_named(uow.connection, name, datetime.now(UTC)):
                taken = FieldError(name="name", message="a live key has this name: give this one another")
                raise Conflict("A live key has this name", fields=[taken])
            stored = await repository.insert_key(
                uow.connection,
                id=key_id,
                name=name,
                digest=key_digest(secret),
                scopes=sorted(scopes),
                created_by=principal.actor,
                expires_at=expires_at,
            )
            await uow.audit(principal, "key.created", ("key", key_id), scopes=",".join(sorted(scopes)))
            await live.announce_admin(uow.connection)
        return stored, secret

    async def list_keys(self) -> list[ApiKey]:
        async with self._runtime.engine.connect() as connection:
            return await repository.list_keys(connection)

    async def revoke_key(self, principal: Principal, key_id: uuid.UUID) -> tuple[ApiKey, bool]:
        """The key as revoked, and whether this call revoked it (not: another tab or admin did
        first, at its `revoked_at`; nothing more is audited then)."""
        now = datetime.now(UTC)
        async with self._runtime.unit_of_work() as uow:
            revoked = await repository.revoke_key(uow.connection, key_id, now)
            if revoked is None:
                raise NotFound("No such key")
            newly = revoked.revoked_at == now
            if newly:
                await uow.audit(principal, "key.revoked", ("key", key_id))
                await live.announce_admin(uow.connection)
            return revoked, newly
