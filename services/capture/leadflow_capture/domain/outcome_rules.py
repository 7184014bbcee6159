"""Outcomes are final (pure): a lead is won or lost once; a second report either repeats the
first (answered, nothing published) or corrects it, which names the outcome it corrects, says
why, and is done by an admin (or a key, or the bootstrap key), never by a rep."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from leadflow_common.access import Principal, PrincipalKind, Role
from leadflow_common.errors import Conflict, FieldError, Forbidden, Invalid


@dataclass(frozen=True)
class RecordedOutcome:
    """A lead's outcome as it stands (the latest correction, or the first report)."""

    lead_id: uuid.UUID
    outcome_id: uuid.UUID
    outcome: str
    occurred_at: datetime
    event_id: str


@dataclass(frozen=True)
class OutcomeReport:
    outcome: Literal["won", "lost"]
    corrects: uuid.UUID | None = None
    reason: str | None = None


Verdict = Literal["first", "same", "correct"]


class OutcomeFinal(Conflict):
    """The lead's outcome is recorded; another one must say it corrects it (409)."""


def may_correct(principal: Principal) -> bool:
    """Admins, sales managers (a rep's mistaken result is theirs to put right), integrations' keys
    and the bootstrap key correct outcomes; reps and marketers do not (a rep cannot flip her own
    result)."""
    corrector = principal.role in (Role.admin, Role.manager)
    return corrector or principal.kind in (PrincipalKind.key, PrincipalKind.bootstrap)


def judge(recorded: RecordedOutcome | None, report: OutcomeReport, principal: Principal) -> Verdict:
    """What a report does to the lead's outcome; raises what the caller is answered otherwise."""
    if recorded is None:
        if report.corrects is not None:
            raise Invalid.field("corrects", "this lead has no outcome to correct")
        return "first"
    if report.corrects is None:
        if report.outcome == recorded.outcome:
            return "same"
        at = recorded.occurred_at.astimezone(UTC)
        raise OutcomeFinal(
            f"This lead was recorded as {recorded.outcome} at {at:%Y-%m-%d %H:%M} UTC;"
            " an admin or a manager can correct it, naming that outcome and saying why",
            fields=[_latest(recorded, "name the outcome to correct")],
        )
    if not may_correct(principal):
        raise Forbidden("Only an admin or a manager can correct a lead's outcome")
    if report.corrects != recorded.outcome_id:
        raise OutcomeFinal(
            "corrects names an outcome that is not this lead's latest",
            fields=[_latest(recorded, "this lead's latest outcome is")],
        )
    if not report.reason:
        raise Invalid.field("reason", "a correction says why")
    if report.outcome == recorded.outcome:
        raise Invalid.field("outcome", f"the lead is already recorded as {recorded.outcome}")
    return "correct"


def _latest(recorded: RecordedOutcome, saying: str) -> FieldError:
    return FieldError(name="corrects", message=f"{saying} {recorded.outcome_id}")
