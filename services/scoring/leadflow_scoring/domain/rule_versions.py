"""Which rules version a save may replace (pure): an editor names the versions it started from
(an If-Match); a save is refused, in words, unless the newest stored is one of them."""


def stale_rules(newest: int, based_on: frozenset[int]) -> str:
    """Why a save based on `based_on` is refused when `newest` is the newest version stored."""
    if not based_on:
        return 'If-Match names no rules version: send the ETag of a GET (a number in quotes, "7").'
    named = ", ".join(str(version) for version in sorted(based_on))
    return (
        f"Rules version {newest} is the newest stored, not {named} that these rules were based on:"
        " read the rules in use and save again."
    )
