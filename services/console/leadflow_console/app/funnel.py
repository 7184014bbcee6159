"""The funnel as numbers and shapes: totals per stage, conversion between stages, bar lengths
for the chart, the CSV export, the date range asked for. Pure: no I/O."""

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from leadflow_common.errors import Invalid
from leadflow_console.domain.lead_filters import FIRST_DAY, LAST_DAY
from leadflow_console.store.read_queries import DIMENSIONS as DIMENSIONS  # the pages list them
from leadflow_console.store.read_queries import FunnelRow, SpeedRow

STAGES = ("captured", "warm", "hot", "offered", "accepted", "won", "lost")
# Each stage's conversion is a share of the stage it comes from; lost is a share of the decided
# outcomes. Offers come from warm and hot leads alike (warm counts every lead that reached warm or
# hotter), so offered is a share of warm: as a share of hot it read 300% (a new user's hour).
FLOW = (
    ("captured", "warm"),
    ("warm", "hot"),
    ("warm", "offered"),
    ("offered", "accepted"),
    ("accepted", "won"),
)
UNACCEPTED = "won_unaccepted"
DEFAULT_DAYS = 30
MAX_DAYS = 366
BAR_WIDTH = 560


@dataclass(frozen=True)
class Bar:
    stage: str
    count: int
    length: int  # in the chart's units, the largest stage being BAR_WIDTH
    rate: float | None  # conversion from the stage it comes from
    of: str | None  # that stage


def date_range(since: str, until: str, today: date, zone: tzinfo = UTC) -> tuple[datetime, datetime]:
    """[since, until] as whole days in the viewer's zone (in which every time on her screen is
    shown: a lead captured at 22:00 on the 6th there is the 6th's); the last 30 days up to
    `today` (hers) when not given."""
    try:
        last = date.fromisoformat(until) if until else today
        first = date.fromisoformat(since) if since else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise Invalid.field("since" if since else "until", "Must be a date, such as 2026-12-01.") from None
    except OverflowError:  # 30 days before the calendar's first
        raise Invalid.field("until", f"Must be a date from {FIRST_DAY} to {LAST_DAY}.") from None
    for name, day in (("since", first), ("until", last)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise Invalid.field(name, f"Must be a date from {FIRST_DAY} to {LAST_DAY}.")
    if first > last:
        raise Invalid.field("since", "Must not be after the To date.")
    if (last - first).days >= MAX_DAYS:
        raise Invalid.field("since", f"Must be at most {MAX_DAYS} days before the To date.")
    start = datetime.combine(first, time.min, zone)
    return start, datetime.combine(last + timedelta(days=1), time.min, zone)


def date_range_or_default(
    since: str, until: str, today: date, zone: tzinfo = UTC
) -> tuple[datetime, datetime, dict[str, str]]:
    """The range asked for and no errors; else the last 30 days and, for the form, what was wrong
    with each field in words (the page is shown with the typed dates and the errors at them)."""
    try:
        return (*date_range(since, until, today, zone), {})
    except Invalid as refused:
        errors = {field.name: field.message for field in refused.fields or []}
        return (*date_range("", "", today, zone), errors)


def last_day(end: datetime) -> date:
    """The last day a range ending (exclusive) at `end` holds, as the page says it."""
    return (end - timedelta(days=1)).date()


def totals(rows: list[FunnelRow]) -> dict[str, int]:
    return {stage: sum(getattr(row, stage) for row in rows) for stage in (*STAGES, UNACCEPTED)}


def rate(reached: int, of: int) -> float | None:
    return round(reached / of, 4) if of else None


def conversion(counts: dict[str, int], start: str, to: str) -> float | None:
    """`to` as a share of `start`; won as a share of accepted counts only the won leads a rep
    had accepted (a sales tool may report a lead won that no rep accepted)."""
    reached = counts[to] - (counts.get(UNACCEPTED, 0) if (start, to) == ("accepted", "won") else 0)
    return rate(reached, counts[start])


def bars(counts: dict[str, int]) -> list[Bar]:
    largest = max(counts[stage] for stage in STAGES) or 1
    before = {to: start for start, to in FLOW}
    shapes = []
    for stage in STAGES:
        of: str | None
        if stage == "lost":
            of, share = "decided", rate(counts["lost"], counts["won"] + counts["lost"])
        else:
            of = before.get(stage)
            share = conversion(counts, of, stage) if of else None
        length = round(BAR_WIDTH * counts[stage] / largest)
        shapes.append(Bar(stage, counts[stage], length, share, of if share is not None else None))
    return shapes


def to_csv(by: str, rows: list[FunnelRow], speed: list[SpeedRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    # The won leads no rep accepted last: a new column after the ones a spreadsheet reads by place.
    writer.writerow([by, *STAGES, *(f"{a}_to_{b}" for a, b in FLOW), UNACCEPTED])
    for row in rows:
        counts = {stage: getattr(row, stage) for stage in (*STAGES, UNACCEPTED)}
        stages = [counts[stage] for stage in STAGES]
        shares = [conversion(counts, a, b) for a, b in FLOW]
        writer.writerow([_safe(row.group), *stages, *shares, counts[UNACCEPTED]])
    writer.writerow([])
    writer.writerow(["rep", "tier", "accepted", "median_seconds", "p90_seconds", "sla_breaches"])
    for line in speed:
        writer.writerow(
            [
                _safe(line.rep_name),
                line.tier,
                line.accepted,
                line.median_seconds,
                line.p90_seconds,
                line.breaches,
            ]
        )
    return out.getvalue()


def _safe(value: str | None) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection): its first character,
    compatibility forms folded (a full-width equals sign passed), is not one that starts a formula."""
    text = value or ""
    first = unicodedata.normalize("NFKC", text[:1])[:1]
    return f"'{text}" if first in ("=", "+", "-", "@", "\t", "\r") else text
