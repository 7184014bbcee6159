"""The scoring service: app factory and entry point."""

from pathlib import Path

from fastapi import FastAPI

from leadflow_common.app import create_service_app
from leadflow_common.export import held_router
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings
from leadflow_scoring.api import routes as api
from leadflow_scoring.app.jobs import ScoringJobs
from leadflow_scoring.app.score_reads import ScoreReads
from leadflow_scoring.app.services import ScoringService
from leadflow_scoring.deps import app_state
from leadflow_scoring.settings import ScoringSettings
from leadflow_scoring.store.state import ScoringState
from leadflow_scoring.store.tables import HOLDINGS, outbox, processed_events

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def create_app(common: CommonSettings | None = None, settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()

    async def on_start(app: FastAPI, runtime: ServiceRuntime) -> None:
        state = app_state(app).scoring_state
        async with runtime.engine.connect() as connection:
            await state.refresh(connection)  # a restart keeps the rules and the model in use
        runtime.report_condition(
            "rules", lambda: "; ".join(problem.describe() for problem in state.degraded) or None
        )
        service = ScoringService(runtime, state, on_outcome=lambda: jobs.outcome_arrived())
        jobs = ScoringJobs(runtime, service, settings)
        app.state.scoring, app.state.scoring_jobs = service, jobs
        app.state.score_reads = ScoreReads(runtime)
        topics = runtime.topics
        runtime.consume(
            group="leadflow-scoring",
            # leads.routed too: who may read a score (every consumer group costs the broker polls);
            # leads.accounts: which account each lead belongs to (lead.matched).
            topics=[
                topics.captured,
                topics.merged,
                topics.activities,
                topics.outcomes,
                topics.routed,
                topics.accounts,
            ],
            handler=service.apply_events,
            opens=frozenset({"lead.captured", "lead.merged"}),  # profiles; decisions only for their rep
        )
        await service.report_rules_problems()
        runtime.background(jobs.run(), name="scoring-jobs")

    app = create_service_app(
        name="scoring",
        common=common or CommonSettings(),
        outbox=outbox,
        processed_events=processed_events,
        routers=[api.router, held_router("scoring", HOLDINGS)],
        on_start=on_start,
    )
    app.state.scoring_state = ScoringState()
    return app


def main() -> None:
    service_main(
        name="scoring",
        app_factory="leadflow_scoring.main:create_app",
        settings_class=ScoringSettings,
        migrations_dir=MIGRATIONS,
    )
