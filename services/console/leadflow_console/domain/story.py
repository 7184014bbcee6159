"""A lead's story as its page tells it, pure: the timeline's entries, newest first, with a long
wait told once. Routing says a waiting lead's reason again each time what it waits for changes
(a rep away, a slot taken), so one wait through a busy hour filled the story with "Still
waiting for…" lines (a manager's hour: three in three seconds); the newest says where it is."""

from collections.abc import Sequence
from typing import Protocol, TypeVar

STILL_WAITING = "Still waiting"  # how projection.change_title begins a wait's later reasons


class Entry(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def title(self) -> str: ...


E = TypeVar("E", bound=Entry)


def _still_waiting(entry: Entry) -> bool:
    return entry.kind == "routing" and entry.title.startswith(STILL_WAITING)


def told_once(timeline: Sequence[E]) -> list[E]:
    """The timeline (newest first) without a wait's earlier "Still waiting" lines: of a run of
    them, the newest is kept (with the wait's first line, "Waiting for…", before it)."""
    kept: list[E] = []
    for entry in timeline:
        if _still_waiting(entry) and kept and _still_waiting(kept[-1]):
            continue  # an older reason of the same wait: the newer one says where it is
        kept.append(entry)
    return kept
