"""What the events' machine names read as on a person's screen (no I/O): why a score
changed, a routing decision's kind (a channel: `leadflow_common.in_words`, which a rep's mail says
too). A name not known here is shown as it is, tidied."""

from leadflow_common.routing_reasons import ASSIGNED_BY_HAND, REASSIGNED_BY_HAND

DECISIONS = {
    "lead.routed": "routed",
    "lead.nurtured": "to nurture",
}
# The status of a decision where routing's word would mislead: "promoted" read as good news.
# (Routing promotes an offer that turned hotter, and a nurtured lead assigned by hand.)
STATUSES = {
    # What became of a decision, as the feed says it: "rejected" beside "reassigned by hand" read
    # as if the move was refused (a manager's hour); it is the rep who passed on the lead.
    "rejected": "passed on by the rep",
    "promoted": "moved on to a rep",
    "given by hand": "given to another rep by hand",
    "released": "moved on: the rep's record was made inactive",
}

CAUSES = {
    "lead.captured": "captured",
    "lead.merged": "merged with another lead of the same person",
    "decay": "no recent activity",
}

CAUSE_PREFIXES = {
    "activity:": "activity: ",
    "outcome:": "recorded as ",
    "rules:": "scoring rules changed (version ",
    "model:learned:": "learned model (version ",
}


def decision(kind: str | None, reason: str | None = None) -> str:
    """A decision's kind, said as what it was: routing names a lead's first decision
    `lead.routed` and every later offer `lead.reassigned` (the feed read "moved on" for a
    manager's own hand assignment, which is either)."""
    for by_hand in (ASSIGNED_BY_HAND, REASSIGNED_BY_HAND):
        if (reason or "").startswith(by_hand):
            return by_hand
    if kind == "lead.reassigned":
        return "offered again"
    return DECISIONS.get(kind or "", _tidy(kind or ""))


def decision_status(status: str | None) -> str:
    return STATUSES.get(status or "", status or "")


def score_cause(cause: str | None) -> str:
    """Why a score changed: `lead.captured`, `activity:email_opened`, `rules:7`, …"""
    cause = cause or ""
    if cause in CAUSES:
        return CAUSES[cause]
    for prefix, said in CAUSE_PREFIXES.items():
        if cause.startswith(prefix):
            rest = _tidy(cause.removeprefix(prefix))
            return f"{said}{rest})" if said.endswith("(version ") else f"{said}{rest}"
    return _tidy(cause)


def _tidy(name: str) -> str:
    return name.removeprefix("lead.").replace("_", " ")


# What each audited action is, as an admin reads the trail (its code stays beside it: the filter
# takes codes). An action not listed here is shown tidied.
AUDIT_ACTIONS = {
    "login.succeeded": "signed in",
    "login.failed": "failed to sign in",
    "login.throttled": "was held back from signing in (too many tries)",
    "logout": "signed out",
    "user.created": "created the account",
    "user.disabled": "disabled the account",
    "user.enabled": "enabled the account",
    "user.role_changed": "changed the account's role",
    "user.rep_changed": "linked the account to another rep record",
    "user.password_changed": "changed the account's password",
    "user.password_change_failed": "gave a wrong password to change it",
    "key.created": "created the API key",
    "key.revoked": "revoked the API key",
    "rep.created": "added the rep",
    "rep.updated": "changed the rep",
    "rep.deactivated": "made the rep inactive",
    "rep.presence": "set the rep's presence",
    "rep.notifications_updated": "changed how the rep is told of offers",
    "assignment.accepted": "accepted the lead",
    "assignment.rejected": "passed on the lead",
    "assignment.completed": "completed the lead",
    "lead.assigned": "assigned the lead by hand",
    "outcome.recorded": "recorded an outcome",
    "outcome.corrected": "corrected an outcome",
    "rules.updated": "changed the scoring rules",
    "model.retrained": "retrained the scoring model",
    "webhook.created": "added the webhook",
    "webhook.updated": "changed the webhook",
    "webhook.disabled": "disabled the webhook",
    "webhook.deleted": "deleted the webhook",
    "webhook.tested": "sent the webhook a test event",
    "webhook.replayed": "sent the webhook's deliveries again",
    "webhook.secret_rotated": "gave the webhook a new secret",
    "person.exported": "exported everything held about a person",
    "erasure.requested": "asked for a person to be erased",
    "suppression.lifted": "took an entry off the do-not-contact list",
    "account.owner_changed": "changed the B2B account's owner",
    "account.merged": "merged B2B accounts",
    "account.person_linked": "linked a person to the B2B account",
    "account.person_unlinked": "unlinked a person from the B2B account",
    "account.suggestion_dismissed": "dismissed a suggested person",
}


def audit_action(code: str) -> str:
    return AUDIT_ACTIONS.get(code) or _tidy(code).replace(".", " ")
