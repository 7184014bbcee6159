"""Scoring's background work: re-scoring every lead after a rules or model change, the decay
sweep, following other processes' changes, and retraining after every N outcomes."""

import asyncio
import logging
import uuid
from typing import Literal

from leadflow_common.access import BOOTSTRAP, Principal
from leadflow_common.runtime import ServiceRuntime
from leadflow_scoring.app import training
from leadflow_scoring.app.services import ScoringService
from leadflow_scoring.settings import ScoringSettings
from leadflow_scoring.store import repository, versions

log = logging.getLogger(__name__)
CHUNK = 200


class ScoringJobs:
    def __init__(self, runtime: ServiceRuntime, service: ScoringService, settings: ScoringSettings):
        self.runtime, self.service, self.settings = runtime, service, settings
        self.state = service.state
        self._rescoring: asyncio.Task[int] | None = None
        self._training: asyncio.Task[None] | None = None
        self._outcomes_at_last_training: int | None = None

    def rescore_everyone(self, cause: str) -> None:
        """Start re-scoring every lead in the background (a newer request restarts it)."""
        if self._rescoring is not None and not self._rescoring.done():
            self._rescoring.cancel()
        self._rescoring = asyncio.create_task(self._rescore(cause, publish_on="change"), name="rescore-all")

    async def _rescore(
        self, cause: str, *, publish_on: Literal["change", "band"], lead_ids: list[uuid.UUID] | None = None
    ) -> int:
        published = 0
        after = None
        while True:
            if lead_ids is None:
                async with self.runtime.engine.connect() as connection:
                    chunk = await repository.lead_ids_after(connection, after, CHUNK)
            else:
                chunk, lead_ids = lead_ids[:CHUNK], lead_ids[CHUNK:]
            if not chunk:
                return published
            for lead_id in chunk:
                published += await self.service.rescore_lead(lead_id, cause, publish_on=publish_on)
            after = chunk[-1]

    async def decay_sweep(self) -> int:
        """Re-score leads with activity as it ages; publish only those whose band changed."""
        async with self.runtime.engine.connect() as connection:
            engaged = await repository.engaged_lead_ids(connection)
        return await self._rescore("decay", publish_on="band", lead_ids=engaged)

    def outcome_arrived(self) -> None:
        every = self.settings.retrain_every
        if every and (self._training is None or self._training.done()):
            self._training = asyncio.create_task(self._retrain_if_due(every), name="auto-retrain")

    async def _retrain_if_due(self, every: int) -> None:
        async with self.runtime.engine.connect() as connection:
            count = await repository.outcome_count(connection)
        if self._outcomes_at_last_training is None:
            self._outcomes_at_last_training = (await self._model_outcomes()) or 0
        if count - self._outcomes_at_last_training < every:
            return
        self._outcomes_at_last_training = count
        try:
            result = await self.retrain(BOOTSTRAP)  # the service itself, as the deployment set it to
            log.info("retrained", extra={"version": result["version"], "adopted": result["adopted"]})
        except (training.NotEnoughOutcomes, training.TrainingBusy) as reason:
            log.info("retraining skipped", extra={"reason": str(reason)})

    async def _model_outcomes(self) -> int | None:
        async with self.runtime.engine.connect() as connection:
            in_use = await versions.model_in_use(connection)
        return in_use.outcomes if in_use else None

    async def retrain(self, principal: Principal) -> dict:
        result = await training.retrain(self.runtime, self.state, principal)
        if result["adopted"]:
            self.rescore_everyone(f"model:learned:{result['version']}")
        return result

    async def run(self) -> None:
        """Follow changes made by other processes; sweep for decay now and then."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + self.settings.decay_sweep_seconds
        try:
            while True:
                try:
                    async with self.runtime.engine.connect() as connection:
                        await self.state.refresh(connection)
                    await self.service.report_rules_problems()
                    if loop.time() >= next_sweep:
                        next_sweep = loop.time() + self.settings.decay_sweep_seconds
                        changed = await self.decay_sweep()
                        log.info("decay sweep done", extra={"band_changes": changed})
                except Exception:
                    log.exception("scoring background work failed; trying again")
                await asyncio.sleep(self.settings.refresh_seconds)
        finally:
            for task in (self._rescoring, self._training):
                if task is not None:
                    task.cancel()
