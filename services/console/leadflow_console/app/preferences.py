"""Each person's own settings, stored with their account: the time zone the console shows
times in. None set: the browser's zone (sent by console.js), else UTC."""

import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from leadflow_common.access import Principal
from leadflow_common.errors import Invalid
from leadflow_common.runtime import ServiceRuntime
from leadflow_console.domain import choices
from leadflow_console.store.tables import user_preferences

# Every page asks; a change made in another console process shows within this many seconds.
CACHE_SECONDS = 30.0


def checked_zone(zone: str | None) -> str | None:
    if zone and not choices.known_zone(zone):
        raise Invalid.field("time_zone", f"“{zone}” is not a time zone name: pick one from the list")
    return zone or None


class Preferences:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime
        self._zones: dict[uuid.UUID, tuple[str | None, float]] = {}

    async def time_zone(self, user_id: uuid.UUID) -> str | None:
        cached = self._zones.get(user_id)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        async with self._runtime.engine.connect() as connection:
            zone = await connection.scalar(
                select(user_preferences.c.time_zone).where(user_preferences.c.user_id == user_id)
            )
        self._zones[user_id] = (zone, time.monotonic() + CACHE_SECONDS)
        return zone

    async def set_time_zone(self, principal: Principal, zone: str | None) -> None:
        """One's own zone (None: the browser's again)."""
        zone = checked_zone(zone)
        user_id = uuid.UUID(principal.id)
        values = {"user_id": user_id, "time_zone": zone, "updated_at": datetime.now(UTC)}
        statement = pg_insert(user_preferences).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"time_zone": zone, "updated_at": values["updated_at"]}
        )
        async with self._runtime.unit_of_work() as uow:
            await uow.connection.execute(statement)
            await uow.audit(
                principal, "user.preferences_changed", ("user", user_id), time_zone=zone or "browser"
            )
        self._zones.pop(user_id, None)
