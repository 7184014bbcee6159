"""The do-not-contact list's use cases: putting a person's email and phone on it and taking
them off, each in one unit of work under the intake's locks on the same identifiers (a batch
writing that person commits before, or sees the change), audited by digest only."""

import contextlib
from collections.abc import AsyncIterator

from leadflow_capture.domain import privacy
from leadflow_capture.store import repository
from leadflow_common.access import Principal
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork


class DoNotContact:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime

    async def add(
        self, principal: Principal, identifiers: privacy.Identifiers, reason: str
    ) -> list[privacy.IdentifierKind]:
        """Lists the identifiers (kind → normalized value); the kinds listed."""
        rows = privacy.suppression_rows(identifiers.items(), reason, principal.actor)
        async with self._locked(identifiers) as uow:
            await repository.add_suppressions(uow.connection, rows)
            for row in rows:
                await uow.audit(
                    principal, "suppression.added", ("suppression", row["digest"][:16]), reason=reason
                )
        return sorted(identifiers)

    async def lift(
        self, principal: Principal, identifiers: privacy.Identifiers
    ) -> list[privacy.IdentifierKind]:
        """Takes the identifiers off the list; the kinds that were on it."""
        digests = {kind: privacy.digest(kind, value) for kind, value in identifiers.items()}
        async with self._locked(identifiers) as uow:
            removed = await repository.remove_suppressions(uow.connection, list(digests.values()))
            lifted = sorted(kind for kind, digest in digests.items() if digest in removed)
            for kind in lifted:
                await uow.audit(principal, "suppression.lifted", ("suppression", digests[kind][:16]))
        return lifted

    @contextlib.asynccontextmanager
    async def _locked(self, identifiers: privacy.Identifiers) -> AsyncIterator[UnitOfWork]:
        async with self._runtime.unit_of_work() as uow:
            await uow.lock([f"{kind}:{value}" for kind, value in identifiers.items()])
            yield uow
