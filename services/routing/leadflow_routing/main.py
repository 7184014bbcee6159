"""The routing service: app factory and entry point."""

from pathlib import Path

from fastapi import FastAPI

from leadflow_common.app import create_service_app
from leadflow_common.export import held_router
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings
from leadflow_routing.api import accounts as api_accounts
from leadflow_routing.api import assignments as api_assignments
from leadflow_routing.api import offers as api_offers
from leadflow_routing.api import queue as api_queue
from leadflow_routing.api import reps as api
from leadflow_routing.app.assignment_reads import AssignmentReads
from leadflow_routing.app.offers import Offers
from leadflow_routing.app.reps import Reps
from leadflow_routing.app.services import RoutingService
from leadflow_routing.app.sla import run_sweeper
from leadflow_routing.settings import RoutingSettings
from leadflow_routing.store.tables import HOLDINGS, outbox, processed_events

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def create_app(common: CommonSettings | None = None, settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()

    async def on_start(app: FastAPI, runtime: ServiceRuntime) -> None:
        app.state.routing = service = RoutingService(runtime, settings)
        app.state.offers = Offers(service, settings.link_secret or runtime.settings.leadflow_api_key, runtime)
        app.state.reps = Reps(runtime, service)
        app.state.assignment_reads = AssignmentReads(runtime)
        topics = runtime.topics
        runtime.consume(
            group="leadflow-routing",
            topics=[topics.scored, topics.outcomes, topics.merged],
            handler=service.apply_events,
            opens=frozenset({"lead.scored"}),  # the card it carries; merges are followed by their ids
        )
        runtime.consume(
            group="leadflow-routing-cards",
            topics=[topics.captured],  # for lead.erased: the cards come with the scores
            handler=service.record_cards,
            opens=frozenset(),
            handles=frozenset({"lead.erased"}),  # lead.captured skipped before it is decoded
        )
        runtime.background(run_sweeper(service), name="routing-sweeper")

    return create_service_app(
        name="routing",
        common=common or CommonSettings(),
        outbox=outbox,
        processed_events=processed_events,
        routers=[
            api.router,
            api_assignments.router,
            api_offers.router,
            api_queue.router,
            api_accounts.router,
            held_router("routing", HOLDINGS),
        ],
        on_start=on_start,
    )


def main() -> None:
    service_main(
        name="routing",
        app_factory="leadflow_routing.main:create_app",
        settings_class=RoutingSettings,
        migrations_dir=MIGRATIONS,
    )
