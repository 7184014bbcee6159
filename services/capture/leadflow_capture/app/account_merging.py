"""Merging two accounts by hand (a person sees they are one company): one unit of work, audited.
The merged account's people and domains move to the other; it answers 303 to it from then on."""

import uuid
from datetime import UTC, datetime

from leadflow_capture.app.account_reading import AccountMerged
from leadflow_capture.domain.account_planning import AccountPlan, plan_merge
from leadflow_capture.store import account_merges as accounts_merge_store
from leadflow_capture.store import accounts as accounts_store
from leadflow_common.access import Principal
from leadflow_common.errors import Invalid, NotFound
from leadflow_common.runtime import ServiceRuntime


class AccountMerges:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime

    async def merge(self, principal: Principal, source_id: uuid.UUID, target_id: uuid.UUID) -> None:
        if source_id == target_id:
            raise Invalid.field("into", "an account cannot be merged into itself")
        now = datetime.now(UTC)
        async with self._runtime.unit_of_work() as uow:
            # Domains first, then rows, as a batch takes them: a merge and a batch never wait on
            # each other in a cycle.
            domains = [
                d
                for a in await accounts_store.accounts_by_id(uow.connection, [source_id, target_id])
                for d in a.domains
            ]
            await uow.lock(sorted({f"account-domain:{d}" for d in domains}))
            found = await accounts_merge_store.lock_accounts(uow.connection, [source_id, target_id])
            for account_id in (source_id, target_id):
                if account_id not in found:
                    raise NotFound(f"No account {account_id}")
                if merged_into := found[account_id].merged_into:
                    raise AccountMerged(merged_into)
            source, target = found[source_id], found[target_id]
            plan = AccountPlan()
            plan_merge(
                plan, source, target, await accounts_merge_store.people_of(uow.connection, source_id), now
            )
            retired = await accounts_merge_store.retire(uow.connection, source_id, target_id, now)
            stored = await accounts_store.write_accounts(uow.connection, plan, now)
            await uow.publish_all(self._runtime.topics.accounts, plan.events([retired, *stored], now))
            await uow.audit(
                principal,
                "account.merged",
                ("account", target_id),
                merged=str(source_id),
                people=len(plan.links),
            )
