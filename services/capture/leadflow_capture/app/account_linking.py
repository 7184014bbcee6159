"""Capture's use cases for changing accounts by hand (linking and unlinking a person, audited)
and for erasure (an erased person leaves her account). Each is one unit of work, planned by
the same rules as the matcher (accounts_planning), written by deltas, published on
leads.accounts."""

import uuid
from datetime import UTC, datetime

from leadflow_capture.app.account_reading import AccountMerged
from leadflow_capture.domain.account_planning import (
    AccountBook,
    AccountPlan,
    link_by_hand,
    unlink,
    unlink_by_hand,
)
from leadflow_capture.store import accounts as accounts_store
from leadflow_capture.store import erasure_store, reads
from leadflow_capture.store import suggestions as suggestions_store
from leadflow_common.access import Principal
from leadflow_common.account_events import AccountSuggestionDismissed
from leadflow_common.errors import NotFound
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork


async def _write(uow: UnitOfWork, plan: AccountPlan, now: datetime, topic: str) -> None:
    stored = await accounts_store.write_accounts(uow.connection, plan, now)
    await uow.publish_all(topic, plan.events(stored, now))


async def _lock_lead(uow: UnitOfWork, lead_id: uuid.UUID) -> uuid.UUID:
    """The live, unerased lead this id is (following merges), under the intake's locks on its
    email and phone: a batch capturing the person waits for the change, or the change for it."""
    survivor = await reads.survivor_of(uow.connection, lead_id)
    live = await erasure_store.leads_of_person(uow.connection, None, None, survivor) if survivor else []
    if survivor is None or survivor not in live:  # unknown, or erased
        raise NotFound(f"No lead {lead_id}")
    held = await erasure_store.identifiers_held(uow.connection, [survivor])
    await uow.lock([f"{kind}:{value}" for kind, value in held])
    return survivor


class AccountLinks:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime

    async def link(self, principal: Principal, account_id: uuid.UUID, lead_id: uuid.UUID) -> uuid.UUID:
        """Links the lead (its survivor, if it was merged) to the account, moving it from the
        account it had; the lead's id as linked."""
        now = datetime.now(UTC)
        async with self._runtime.unit_of_work() as uow:
            lead = await _lock_lead(uow, lead_id)
            current = (await accounts_store.links_of(uow.connection, [lead])).get(lead)
            ids = {account_id} | ({current.account_id} if current and current.account_id else set())
            book = AccountBook(await accounts_store.accounts_by_id(uow.connection, sorted(ids)))
            account = book.accounts.get(account_id)
            if account is None:
                raise NotFound(f"No account {account_id}")
            if account.merged_into:
                raise AccountMerged(account.merged_into)
            if current and current.account_id == account_id:
                return lead  # linked already: nothing changes, nothing to audit
            plan = AccountPlan()
            link_by_hand(plan, book, lead, current, account, now)
            await accounts_store.drop_suggestions(uow.connection, [lead])
            await accounts_store.name_account(uow.connection, lead, account_id)
            await _write(uow, plan, now, self._runtime.topics.accounts)
            previous = current.account_id if current else None
            await uow.audit(
                principal,
                "account.person_linked",
                ("account", account_id),
                lead_id=str(lead),
                previous_account_id=str(previous) if previous else None,
            )
        return lead

    async def unlink(self, principal: Principal, account_id: uuid.UUID, lead_id: uuid.UUID) -> None:
        """Takes the lead out of the account; 404 when it is not there."""
        now = datetime.now(UTC)
        async with self._runtime.unit_of_work() as uow:
            lead = await _lock_lead(uow, lead_id)
            current = (await accounts_store.links_of(uow.connection, [lead])).get(lead)
            if current is None or current.account_id != account_id:
                raise NotFound(f"Lead {lead_id} is not a person of account {account_id}")
            book = AccountBook(await accounts_store.accounts_by_id(uow.connection, [account_id]))
            plan = AccountPlan()
            unlink_by_hand(plan, book, current, now)
            await accounts_store.forget_names(uow.connection, [lead])  # pinned: names none, waits for none
            await _write(uow, plan, now, self._runtime.topics.accounts)
            await uow.audit(principal, "account.person_unlinked", ("account", account_id), lead_id=str(lead))

    async def dismiss(self, principal: Principal, account_id: uuid.UUID, lead_id: uuid.UUID) -> None:
        """A person says a weak match is wrong: the suggestion is kept dismissed, never made
        again for this lead and account, and `account.suggestion_dismissed` tells the console's
        account page and subscribers; 404 when there is none to dismiss."""
        now = datetime.now(UTC)
        async with self._runtime.unit_of_work() as uow:
            lead = await _lock_lead(uow, lead_id)  # a batch suggesting it again waits, or sees it
            if not await suggestions_store.dismiss(uow.connection, account_id, sorted({lead, lead_id}), now):
                raise NotFound(f"Lead {lead_id} is not suggested for account {account_id}")
            dismissed = AccountSuggestionDismissed(account_id=account_id, lead_id=lead, at=now)
            await uow.publish(self._runtime.topics.accounts, dismissed, subject=account_id)
            await uow.audit(
                principal, "account.suggestion_dismissed", ("account", account_id), lead_id=str(lead)
            )


async def forget_people(uow: UnitOfWork, lead_ids: list[uuid.UUID], topic: str) -> None:
    """Erasure: the leads leave their accounts and their suggestions go (an account keeps no
    trace of an erased person; its people count drops)."""
    if not lead_ids:
        return
    now = datetime.now(UTC)
    links = await accounts_store.links_of(uow.connection, lead_ids)
    await accounts_store.drop_suggestions(uow.connection, lead_ids)
    await accounts_store.forget_names(uow.connection, lead_ids)
    linked = sorted({link.account_id for link in links.values() if link.account_id})
    plan = AccountPlan(unlinked=sorted(links))
    if linked:
        book = AccountBook(await accounts_store.accounts_by_id(uow.connection, linked))
        for link in links.values():
            unlink(plan, book, link, by="system", now=now)
    if plan.unlinked:
        await _write(uow, plan, now, topic)
