"""Who may do what: roles, scopes and the principal behind a request. Pure: no I/O.

A route names one scope it needs (`Requires("routing:admin")`). A user holds the scopes of their
role; an API key holds the scopes it was created with; the bootstrap key (`LEADFLOW_API_KEY`)
holds every scope. A rep holds `own` scopes: the route then limits the rep to their own
assignments and the leads offered to them (`Principal.rep_id`).
"""

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from leadflow_common.errors import Forbidden


class Role(StrEnum):
    admin = "admin"
    manager = "manager"  # the sales team's: reps, the queue, assignments by hand; no admin pages
    marketer = "marketer"
    rep = "rep"
    viewer = "viewer"


class Scope(StrEnum):
    leads_write = "leads:write"  # post leads through the API, bulk import
    leads_read = "leads:read"  # read a lead's personal data and score
    activities_write = "activities:write"
    outcomes_write = "outcomes:write"
    scoring_read = "scoring:read"  # the rules and the model (no personal data)
    scoring_admin = "scoring:admin"  # change the rules, retrain
    routing_read = "routing:read"  # reps, assignments, the nurture queue (lead ids, no profiles)
    routing_admin = "routing:admin"  # reps' addresses, their notification channels, account owners
    # The team's work: reps (added, their tier, capacity, coverage, activity and presence), a lead
    # given to a rep by hand (waiting, or another rep's); not where a rep's offers are sent
    # (routing:admin).
    team_work = "team:work"
    # B2B accounts curated: people linked and unlinked by hand, suggestions dismissed, accounts
    # merged. Each decides which account's owner routes a company's next leads, so it is not a
    # manager's nor an import key's `leads:write` (a hostile probe merged an account with one).
    accounts_write = "accounts:write"
    assignments_work = "assignments:work"  # accept, reject, complete (a rep: their own only)
    webhooks_admin = "webhooks:admin"
    privacy_admin = "privacy:admin"
    audit_read = "audit:read"
    users_admin = "users:admin"  # accounts and API keys: admins only, never given to a key
    credentials_sync = "credentials:sync"  # the services' refresh: the bootstrap key only


# What an integration's key may be given: everything but managing people, keys and credentials.
KEY_SCOPES = frozenset(Scope) - {Scope.users_admin, Scope.credentials_sync}

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.admin: frozenset(Scope) - {Scope.credentials_sync},
    Role.marketer: frozenset(
        {
            Scope.leads_read,
            Scope.leads_write,
            Scope.activities_write,
            Scope.outcomes_write,
            Scope.scoring_read,
            Scope.scoring_admin,
            Scope.routing_read,
            Scope.accounts_write,
        }
    ),
    # A sales manager runs the team: reps and their settings, the waiting queue, assignments by
    # hand; reads every lead (a manager had to be an admin to assign, with every admin page).
    # Not routing:admin: with it she could send a rep's offers, with their one-click links, to
    # herself (a second read).
    Role.manager: frozenset(
        {
            Scope.leads_read,
            Scope.leads_write,
            Scope.activities_write,
            Scope.outcomes_write,
            Scope.scoring_read,
            Scope.routing_read,
            Scope.team_work,
        }
    ),
    # A rep's reads and actions are limited to their own assignments and leads (OWN_SCOPES).
    Role.rep: frozenset(
        {
            Scope.leads_read,
            Scope.routing_read,
            Scope.assignments_work,
            Scope.scoring_read,
            Scope.outcomes_write,
        }
    ),
    Role.viewer: frozenset({Scope.scoring_read, Scope.routing_read}),
}

# Scopes a rep holds only over what is theirs: the route filters or refuses the rest.
OWN_SCOPES = frozenset({Scope.leads_read, Scope.routing_read, Scope.assignments_work, Scope.outcomes_write})


class PrincipalKind(StrEnum):
    bootstrap = "bootstrap"  # LEADFLOW_API_KEY: scripts, the deployment, service to service
    user = "user"
    key = "key"
    link = "link"  # a rep's one-click accept or reject link from a notification


@dataclass(frozen=True)
class Principal:
    """Who is calling: an id for the audit trail (never a secret) and what they may do."""

    kind: PrincipalKind
    id: str
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    role: Role | None = None
    rep_id: uuid.UUID | None = None
    session_id: str | None = None

    @property
    def is_rep(self) -> bool:
        return self.role is Role.rep

    def may(self, scope: Scope) -> bool:
        return scope in self.scopes

    def limited_to_own(self, scope: Scope) -> bool:
        """A rep reading through an own scope sees only their assignments and leads."""
        return self.is_rep and scope in OWN_SCOPES

    @property
    def actor(self) -> str:
        """How the audit trail names the caller: `user:<id>`, `key:<id>` or `bootstrap`."""
        return "bootstrap" if self.kind is PrincipalKind.bootstrap else f"{self.kind}:{self.id}"


BOOTSTRAP = Principal(PrincipalKind.bootstrap, "bootstrap", frozenset(Scope))


def user_principal(
    user_id: str, role: Role, *, rep_id: uuid.UUID | None, session_id: str | None
) -> Principal:
    return Principal(
        PrincipalKind.user, user_id, ROLE_SCOPES[role], role=role, rep_id=rep_id, session_id=session_id
    )


def link_principal(rep_id: uuid.UUID) -> Principal:
    """Who acts through a signed accept/reject link: that rep, on that offer only."""
    return Principal(
        PrincipalKind.link, str(rep_id), frozenset({Scope.assignments_work}), role=Role.rep, rep_id=rep_id
    )


def parse_scopes(names: list[str]) -> frozenset[Scope]:
    """Scopes a key may hold; raises ValueError naming the first unknown or forbidden one."""
    scopes = set()
    for name in names:
        try:
            scope = Scope(name)
        except ValueError:
            raise ValueError(f"unknown scope {name!r}") from None
        if scope not in KEY_SCOPES:
            raise ValueError(f"scope {name!r} cannot be given to a key")
        scopes.add(scope)
    return frozenset(scopes)


NOT_YOURS = "This credential may not see or act on it"


def ensure_own(principal: Principal, scope: Scope, owner_rep_id: uuid.UUID | None) -> None:
    """Refuses a rep what is not theirs, with the same answer whether it exists or not (403)."""
    if principal.limited_to_own(scope) and (owner_rep_id is None or owner_rep_id != principal.rep_id):
        raise Forbidden(NOT_YOURS)
