"""Accepting submissions with group commit: submissions that arrive while a transaction is
open wait for the next one, which writes up to a batch of them together. The database's cost
per transaction (round trips, the WAL flush at commit) is then paid per batch rather than per
submission, and each caller still gets its 202 only after its own batch has committed. Under
load a writer begins its batches a gap apart (`pacing.Spacing`), so they fill; after a quiet
stretch a submission is written at once."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture import metrics
from leadflow_capture.app.account_matching import match_batch
from leadflow_capture.domain import privacy
from leadflow_capture.domain.people import Accepted, KeyConflict, People, StoredLead, Submission, plan_batch
from leadflow_capture.store import repository
from leadflow_common import keyring
from leadflow_common.errors import Unavailable
from leadflow_common.failures import is_transient
from leadflow_common.pacing import Spacing
from leadflow_common.topics import Topics
from leadflow_common.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def accept_batch(
    uow: UnitOfWork, batch: list[Submission], topics: Topics, decoy_secret: bytes = b""
) -> list[Accepted | KeyConflict]:
    """The batch in one unit of work: lock its people and keys, read them, apply the
    submissions in order, write the result and its events."""
    connection = uow.connection
    # Transactions touching the same person or idempotency key take their turns.
    await uow.lock([key for submission in batch for key in submission.lock_keys()])
    keys = [submission.idempotency_key for submission in batch if submission.idempotency_key]
    earlier = await repository.find_submissions(connection, keys)
    emails = [submission.lead.email for submission in batch if submission.lead.email]
    phones = [submission.lead.phone for submission in batch if submission.lead.phone]
    stored = await repository.find_people(connection, emails, phones)
    batch = await _mark_suppressed(connection, batch, stored, decoy_secret)
    people = People(stored)
    plan = plan_batch(batch, people, earlier, clock=lambda: datetime.now(UTC))
    await repository.write_plan(connection, plan)
    # A new person's key, with them: what is published about them is sealed with it.
    known = {lead.lead_id for lead in stored}
    uow.know_keys(
        await keyring.create(connection, [lead_id for lead_id in plan.leads if lead_id not in known])
    )
    # Accounts last: a company's row stays locked from its change to the commit, which a batch
    # of the same company's people waits for (the shorter, the less it waits).
    await match_batch(uow, plan, known, topics, datetime.now(UTC))
    # Merges are enqueued (so published) before the snapshots after them; consumers read the two
    # topics independently, so neither scoring nor routing relies on that order (see docs/events.md).
    await uow.publish_all(topics.merged, plan.merges)
    await uow.publish_all(topics.captured, plan.captured)
    return plan.results


async def _mark_suppressed(
    connection: AsyncConnection, batch: list[Submission], stored: list[StoredLead], decoy_secret: bytes
) -> list[Submission]:
    """The batch, with the submissions of people on the do-not-contact list marked, each with
    the ids it is answered with: her own lead's id while she has one (a person who objected
    keeps her lead: a new id would tell she did), else one derived from what she typed."""
    by_submission = [privacy.screened_digests(s.lead.email, s.lead.phone) for s in batch]
    listed = await repository.suppressed(connection, [d for digests in by_submission for d in digests])
    if not listed:
        return batch
    holder = {
        identifier: lead.merged_into or lead.lead_id
        for lead in stored
        for identifier in (lead.email, lead.phone)
        if identifier
    }
    marked = []
    for submission, digests in zip(batch, by_submission, strict=True):
        if listed.intersection(digests):
            metrics.SUPPRESSED.labels(channel=submission.channel.value).inc()
            # From what she typed, not what matched: `ada+1@` and `ada+2@` are two leads of an
            # unlisted person, so they must be two ids of a listed one too.
            own = digests[0]
            lead = holder.get(submission.lead.email or "") or holder.get(submission.lead.phone or "")
            key = submission.idempotency_key
            decoys = (
                lead or privacy.decoy_id(decoy_secret, own),
                privacy.decoy_id(decoy_secret, own, key) if key else None,
            )
            submission = replace(submission, suppressed=True, decoy_ids=decoys)
        marked.append(submission)
    return marked


Pending = tuple[Submission, "asyncio.Future[Accepted | KeyConflict]"]


class SubmissionWriter:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        topics: Topics,
        *,
        max_batch: int,
        max_waiting: int,
        gap_seconds: float = 0.0,
        decoy_secret: bytes = b"",
    ):
        self._unit_of_work = unit_of_work
        self._decoy_secret = decoy_secret
        self._topics = topics
        self._max_batch = max_batch
        self._gap = gap_seconds
        self._queue: asyncio.Queue[Pending] = asyncio.Queue(maxsize=max_waiting)

    async def submit(self, submission: Submission) -> Accepted | KeyConflict:
        """Accepted once its batch has committed; 503 at once when too many wait already, so an
        overloaded capture sheds load instead of holding requests until they time out."""
        future: asyncio.Future[Accepted | KeyConflict] = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait((submission, future))
        except asyncio.QueueFull:
            raise Unavailable("Too many submissions are waiting; try again shortly", retry_after=1) from None
        return await future

    async def run(self) -> None:
        """One writer: takes what is waiting (up to a batch) and commits it; several writers
        share the queue, so one batch can be read and planned while another commits."""
        spacing = Spacing(self._gap)  # each writer's own
        while True:
            batch = [await self._queue.get()]
            if self._queue.qsize() < self._max_batch - 1:  # a full batch goes at once
                await spacing.next_pass()
            else:
                spacing.started()
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except Exception as error:  # a bug must fail these requests, not stop the writer
                log.exception("writing a batch of submissions failed")
                self._fail(batch, error)

    async def _write(self, batch: list[Pending]) -> None:
        try:
            async with self._unit_of_work() as uow:
                submissions = [submission for submission, _ in batch]
                results = await accept_batch(uow, submissions, self._topics, self._decoy_secret)
        except Exception as error:
            if is_transient(error) or len(batch) == 1:
                self._fail(batch, error)
                return
            # One submission's fault must not fail the others, nor cost a transaction each:
            # halves are retried in order, so a bad one is found in about log2(batch) tries.
            log.warning("batch failed, writing it in halves", extra={"error": type(error).__name__})
            middle = len(batch) // 2
            await self._write(batch[:middle])
            await self._write(batch[middle:])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    @staticmethod
    def _fail(batch: list[Pending], error: BaseException) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(error)
