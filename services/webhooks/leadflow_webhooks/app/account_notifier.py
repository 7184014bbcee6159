"""Account owners are told (account_notices.py says what): the consumer keeps each account's
owner and who its people are, and adds the owner's notices to the notices the notifier sends
(notifier.py), on the owner's channels like any rep's; the owner who lost an account is told on
theirs."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.account_events import AccountOwnerChanged, AccountScored, LeadMatched
from leadflow_common.events import CloudEvent, LeadCaptured
from leadflow_common.runtime import ServiceRuntime
from leadflow_webhooks.domain.account_notices import (
    HOT,
    LEAD_ELSEWHERE,
    LOST,
    OWNER,
    elsewhere_message,
    hot_message,
    hot_notice_id,
    lost_message,
    lost_notice_id,
    lost_owner,
    new_owner,
    owner_message,
    owner_notice_id,
    owner_to_tell,
    turned_hot,
)
from leadflow_webhooks.domain.notices import Message
from leadflow_webhooks.domain.status import NoticeStatus
from leadflow_webhooks.settings import NotifySettings
from leadflow_webhooks.store import accounts as account_store
from leadflow_webhooks.store import notice_store
from leadflow_webhooks.store.notice_store import Notice


def _card(data: LeadCaptured) -> dict:
    lead = data.lead
    fields = ("first_name", "last_name", "email", "job_title", "company")
    return {name: getattr(lead, name) for name in fields if getattr(lead, name)}


def _person(data: LeadCaptured) -> dict:
    lead = data.lead
    return {
        "lead_id": lead.lead_id,
        "account_id": data.account_id,
        "card": _card(data),
        "revision": lead.revision,
    }


async def _with_previous_owners(connection: AsyncConnection, lost: list[CloudEvent]) -> list[CloudEvent]:
    """The changes that took an account from an owner, each naming that owner: an event from
    before routing named them (`previous_owner`) is given the owner kept here, read before this
    batch records the new one; one whose previous owner is not known here is left out."""
    unnamed = {e.data.account_id for e in lost if e.data.previous_owner is None}
    kept = await account_store.owners_of(connection, unnamed) if unnamed else {}
    named = []
    for event in lost:
        data: AccountOwnerChanged = event.data
        if data.previous_owner is None:
            before = kept.get(data.account_id)
            if before is None or before.id != data.previous_owner_id:
                continue
            event = event.model_copy(update={"data": data.model_copy(update={"previous_owner": before})})
        named.append(event)
    return named


def _notice(kind: str, about: uuid.UUID, rep_id: uuid.UUID, event: CloudEvent, now: datetime) -> dict:
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "assignment_id": about,
        "rep_id": rep_id,
        "event": event.model_dump_json(),
        "status": NoticeStatus.pending,
        "due_at": now,
        "created_at": now,
    }


class AccountNotices:
    def __init__(self, runtime: ServiceRuntime, settings: NotifySettings, wake: Callable[[], None]):
        self._runtime = runtime
        self._settings = settings
        self._wake = wake

    async def record(self, events: list[CloudEvent]) -> None:
        """Owners and people as they change; a notice for each account turning hot that has an
        owner, for each decision naming an owner (their account's lead went elsewhere), and for
        each change of owner (to the new owner, and to the one who lost it)."""
        owned = [e for e in events if isinstance(e.data, AccountOwnerChanged)]
        people = [e for e in events if isinstance(e.data, LeadCaptured) and e.data.account_id]
        moved = [e for e in events if isinstance(e.data, LeadMatched) and e.data.applied]
        hot = [e for e in events if isinstance(e.data, AccountScored) and turned_hot(e.data)]
        elsewhere = [e for e in events if owner_to_tell(e) is not None]
        if not (owned or people or moved or hot or elsewhere):
            return
        now = datetime.now(UTC)
        async with self._runtime.unit_of_work() as uow:
            connection = uow.connection
            lost = await _with_previous_owners(connection, [e for e in owned if lost_owner(e.data)])
            for event in owned:
                await account_store.record_owner(
                    connection, event.data.account_id, event.data.owner, event.data.at
                )
            await account_store.record_people(connection, [_person(event.data) for event in people])
            await account_store.move_people(connection, [(e.data.lead_id, e.data.account_id) for e in moved])
            if not (hot or elsewhere or owned):
                return  # the usual batch: people recorded, nobody to tell
            owners = await account_store.owners_of(connection, {e.data.account_id for e in hot})
            rows = [
                _notice(HOT, hot_notice_id(e.data), owners[e.data.account_id].id, e, now)
                for e in hot
                if e.data.account_id in owners
            ]
            rows += [
                _notice(LEAD_ELSEWHERE, e.data.assignment_id, owner_to_tell(e), e, now) for e in elsewhere
            ]
            rows += [
                _notice(OWNER, owner_notice_id(e.data), e.data.owner.id, e, now)
                for e in owned
                if new_owner(e.data) and e.data.owner
            ]
            rows += [_notice(LOST, lost_notice_id(e.data), e.data.previous_owner.id, e, now) for e in lost]
            reachable = await notice_store.reps_with_channels(
                connection, {row["rep_id"] for row in rows}, mail=bool(self._settings.smtp_host)
            )
            kept = [row for row in rows if row["rep_id"] in reachable]
            await notice_store.add_notices(connection, kept)
            if kept:  # the notifier's loop reads them from another connection: once committed
                uow.after_commit(self._wake)

    async def message(self, notice: Notice, event: CloudEvent) -> tuple[str, Message] | None:
        """The owner's address and what they are told; None when there is nothing to say any
        more (the account changed hands since it turned hot, or since they became its owner)."""
        if notice.kind == LEAD_ELSEWHERE:
            return event.data.account_owner.email, elsewhere_message(event.data)
        if notice.kind == OWNER:
            return await self._owner_message(notice, event.data)
        if notice.kind == LOST:
            return await self._lost_message(notice, event.data)
        data: AccountScored = event.data
        async with self._runtime.engine.connect() as connection:
            owner = (await account_store.owners_of(connection, {data.account_id})).get(data.account_id)
            cards = await account_store.cards_of(connection, [person.lead_id for person in data.people])
        if owner is None or owner.id != notice.rep_id:
            return None
        return owner.email, hot_message(data, cards, self._account_url(data.account_id))

    async def _lost_message(self, notice: Notice, data: AccountOwnerChanged) -> tuple[str, Message] | None:
        """The previous owner's notice; None when the account came back to them before it went
        out (or its event named no address)."""
        async with self._runtime.engine.connect() as connection:
            owner = (await account_store.owners_of(connection, {data.account_id})).get(data.account_id)
            cards = await account_store.people_cards(connection, data.account_id)
        if data.previous_owner is None or (owner is not None and owner.id == notice.rep_id):
            return None
        return data.previous_owner.email, lost_message(data, cards, self._account_url(data.account_id))

    async def _owner_message(self, notice: Notice, data: AccountOwnerChanged) -> tuple[str, Message] | None:
        async with self._runtime.engine.connect() as connection:
            owner = (await account_store.owners_of(connection, {data.account_id})).get(data.account_id)
            cards = await account_store.people_cards(connection, data.account_id)
        if owner is None or owner.id != notice.rep_id:
            return None
        return owner.email, owner_message(data, cards, self._account_url(data.account_id))

    def _account_url(self, account_id: uuid.UUID) -> str:
        console = self._runtime.settings.leadflow_console_url.rstrip("/")
        return f"{console}/accounts/{account_id}"
