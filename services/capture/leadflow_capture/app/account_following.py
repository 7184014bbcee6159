"""What routing and scoring say of accounts (on leads.accounts), kept beside capture's accounts
so that GET /v1/accounts/{id} answers with the owner and the score: the newest of each wins,
whatever order the events arrive in. Capture's own account events on the topic are not news."""

import uuid

from leadflow_capture.store import accounts as accounts_store
from leadflow_common.account_events import AccountOwnerChanged, AccountScored
from leadflow_common.events import CloudEvent
from leadflow_common.runtime import ServiceRuntime


def newest_owners(events: list[CloudEvent]) -> list[dict]:
    latest: dict[uuid.UUID, AccountOwnerChanged] = {}
    for event in events:
        data = event.data
        if isinstance(data, AccountOwnerChanged):
            if data.account_id not in latest or latest[data.account_id].at < data.at:
                latest[data.account_id] = data
    return [
        {"id": d.account_id, "owner": d.owner.model_dump(mode="json") if d.owner else None, "at": d.at}
        for d in latest.values()
    ]


def newest_scores(events: list[CloudEvent]) -> list[dict]:
    latest: dict[uuid.UUID, AccountScored] = {}
    for event in events:
        data = event.data
        if isinstance(data, AccountScored):
            if data.account_id not in latest or latest[data.account_id].revision < data.revision:
                latest[data.account_id] = data
    return [
        {"id": d.account_id, "score": d.score, "temperature": d.temperature.value, "revision": d.revision}
        for d in latest.values()
    ]


async def record_account_news(runtime: ServiceRuntime, events: list[CloudEvent]) -> None:
    owners, scores = newest_owners(events), newest_scores(events)
    if not owners and not scores:
        return
    async with runtime.unit_of_work() as uow:
        await accounts_store.record_owners(uow.connection, sorted(owners, key=lambda r: r["id"]))
        await accounts_store.record_scores(uow.connection, sorted(scores, key=lambda r: r["id"]))
