"""What a lead that has waited long enough no longer requires of its rep (pure): first the soft
constraints (territory, language, segment), then its tier too."""

from dataclasses import dataclass
from datetime import timedelta

from leadflow_common.events import Temperature, Tier


@dataclass(frozen=True)
class Relaxation:
    """What a lead that has waited long enough no longer requires: first the soft constraints
    (territory, language, segment), then also its tier (the tier below joins, and reps who let
    its offer run out, not those who rejected it, may have it again)."""

    soft: bool = False
    next_tier: bool = False

    def said(self) -> str:
        if self.next_tier:
            return "after its wait, any territory, language or segment, and the next tier: "
        return "after its wait, any territory, language or segment: " if self.soft else ""


# The tier that joins when a waiting lead relaxes its tier.
NEXT_TIER = {Temperature.hot: [Tier.mid], Temperature.warm: [Tier.junior], Temperature.cold: []}


def relaxation_after(waited: timedelta, step: timedelta | None) -> Relaxation:
    """Soft constraints go after one `step` of waiting, the tier after two (None: never)."""
    if step is None:
        return Relaxation()
    return Relaxation(soft=waited >= step, next_tier=waited >= 2 * step)
