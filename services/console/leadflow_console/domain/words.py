"""What the events' machine names read as on a person's screen (no I/O): why a score
changed, a routing decision's kind (a channel: `leadflow_common.in_words`, which a rep's mail says
too). A name not known here is shown as it is, tidied."""

DECISIONS = {
    "lead.routed": "routed",
    "lead.reassigned": "moved on",
    "lead.nurtured": "to nurture",
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


def decision(kind: str | None) -> str:
    return DECISIONS.get(kind or "", _tidy(kind or ""))


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
