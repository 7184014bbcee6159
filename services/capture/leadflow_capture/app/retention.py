"""Retention: personal data is not kept forever. Two limits, each off unless set: a lead without
any submission, activity or outcome for `CAPTURE_RETAIN_INACTIVE_DAYS` is erased everywhere,
through the same erasure as a person's request (`erasing.py`: every service, every topic); a
submission's raw body older than `CAPTURE_RETAIN_RAW_BODIES_DAYS` is dropped (only capture keeps
raw bodies). One capture process at a time does the work (an advisory lock), a bounded batch
per look, so a first run over years of leads spreads over several looks."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from leadflow_capture.app.erasing import Erasures
from leadflow_capture.settings import CaptureSettings
from leadflow_capture.store import erasure_store
from leadflow_common.runtime import ServiceRuntime

log = logging.getLogger(__name__)

ACTOR = "retention"  # how the audit trail and the erasures name the job
LOCK = "capture:retention"
BATCH = 100


class Retention:
    def __init__(self, runtime: ServiceRuntime, erasures: Erasures, settings: CaptureSettings):
        self._runtime = runtime
        self._erasures = erasures
        self._inactive = timedelta(days=settings.retain_inactive_days)
        self._raw_bodies = timedelta(days=settings.retain_raw_bodies_days)
        self._every = settings.retention_check_seconds

    @property
    def enabled(self) -> bool:
        return bool(self._inactive or self._raw_bodies)

    async def run(self) -> None:
        """A look every `CAPTURE_RETENTION_CHECK_SECONDS`, the first one period after start."""
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.apply(datetime.now(UTC))
            except Exception as error:  # the database away: the next look tries again
                log.warning("retention look failed", extra={"error": type(error).__name__})

    async def apply(self, now: datetime) -> tuple[int, int]:
        """One look: (leads erased, raw bodies dropped)."""
        async with self._runtime.unit_of_work() as uow:
            if not await uow.try_lock(LOCK):
                return 0, 0  # another capture process is at it
            bodies = 0
            if self._raw_bodies:
                bodies = await erasure_store.drop_raw_bodies(
                    uow.connection, now - self._raw_bodies, BATCH * 10
                )
            expired = []
            if self._inactive:
                expired = await erasure_store.inactive_leads(uow.connection, now - self._inactive, BATCH)
        for lead_id in expired:  # each its own erasure, as if the person had asked
            await self._erasures.request(ACTOR, email=None, phone=None, lead_id=lead_id, suppress=False)
        if expired or bodies:
            log.info("retention applied", extra={"leads_erased": len(expired), "raw_bodies_dropped": bodies})
        return len(expired), bodies
