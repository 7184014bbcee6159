"""Reading assignments: the list (a rep's: their own, in SQL), the nurture queue (not a rep's), and
one assignment with its lead's routing history. No state changes here."""

import uuid

from leadflow_common.access import Principal, Scope, ensure_own
from leadflow_common.errors import NotFound
from leadflow_common.runtime import ServiceRuntime
from leadflow_routing.domain.policy import Assignment, AssignmentStatus
from leadflow_routing.domain.status import AssignmentStep
from leadflow_routing.store import repository


class AssignmentReads:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime

    async def listed(
        self,
        principal: Principal,
        *,
        rep_id: uuid.UUID | None,
        status: AssignmentStatus | None,
        lead_id: uuid.UUID | None,
        limit: int,
    ) -> list[Assignment]:
        """Newest first; a rep's list is their own."""
        if principal.limited_to_own(Scope.routing_read):
            ensure_own(principal, Scope.routing_read, rep_id or principal.rep_id)
            rep_id = principal.rep_id
        async with self._runtime.engine.connect() as connection:
            return await repository.find_assignments(
                connection, rep_id=rep_id, status=status, lead_id=lead_id, limit=limit
            )

    async def nurtured(self, principal: Principal, limit: int) -> list[Assignment]:
        ensure_own(principal, Scope.routing_read, None)  # no rep's: a rep does not see the queue
        async with self._runtime.engine.connect() as connection:
            nurtured = AssignmentStatus.nurtured
            return await repository.find_assignments(connection, status=nurtured, limit=limit)

    async def with_history(
        self, principal: Principal, assignment_id: uuid.UUID
    ) -> tuple[Assignment, list[AssignmentStep]]:
        """The assignment (404 when there is none; 403 for a rep it is not offered to) and every
        step of its lead's routing, oldest first."""
        async with self._runtime.engine.connect() as connection:
            assignment = await repository.get_assignment(connection, assignment_id)
            ensure_own(principal, Scope.routing_read, assignment.rep_id if assignment else None)
            if assignment is None:
                raise NotFound(f"No assignment {assignment_id}")
            history = await repository.history_of_lead(connection, assignment.lead_id)
        return assignment, history
