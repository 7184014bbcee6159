"""How routing's reasons begin for the moves a person reads differently from the policy's: a lead
assigned by hand (from a queue), reassigned by hand (taken from a rep), or released (its rep's
record made inactive). Routing writes them; the console reads them (a rep's "Lately", the feed,
the story). One definition, so the two cannot drift apart."""

ASSIGNED_BY_HAND = "assigned by hand"
REASSIGNED_BY_HAND = "reassigned by hand"
RELEASED = "released:"


def by_hand(verb: str, rep_name: str, why: str | None) -> str:
    """`assigned by hand to Bo: why` (or `reassigned …`), as routing says a hand move."""
    return f"{verb} to {rep_name}" + (f": {why}" if why else "")


def released(rep_name: str) -> str:
    return f"{RELEASED} {rep_name}'s record was made inactive"
