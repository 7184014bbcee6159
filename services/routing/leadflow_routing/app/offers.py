"""A rep's one-click links: made for a notification, shown as a confirmation page, acted on by
POST only (mail scanners that fetch every link must not accept leads)."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadflow_common.access import link_principal
from leadflow_common.errors import Invalid
from leadflow_common.events import ContactCard
from leadflow_common.runtime import ServiceRuntime
from leadflow_routing.app.services import RoutingService
from leadflow_routing.domain import links
from leadflow_routing.domain.links import InvalidLink, Link
from leadflow_routing.domain.policy import Assignment, AssignmentStatus
from leadflow_routing.store import cards

# A link made for an offer without an SLA deadline (none today) would live this long.
FALLBACK_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class OfferLinks:
    accept_url: str
    reject_url: str
    expires_at: datetime


@dataclass(frozen=True)
class OfferShown:
    """What a link's page says before anything is done: the lead, and where its offer is now."""

    action: str  # accept, reject
    status: AssignmentStatus | None  # None: routing knows no such assignment
    who: str
    deadline: datetime | None


class Offers:
    def __init__(self, routing: RoutingService, secret: str, runtime: ServiceRuntime):
        self._routing = routing
        self._runtime = runtime
        self._key = links.link_key(secret)
        self._base = routing.settings.public_url.rstrip("/")

    async def shown(self, token: str) -> OfferShown:
        """The link's lead and its offer as they stand (the rep's own mail named the lead)."""
        link = self.read(token)
        found = await self._routing.assignments([link.assignment_id])
        if not found:
            return OfferShown(link.action, None, "the lead", None)
        async with self._runtime.engine.connect() as connection:
            card = await cards.contact_card(connection, found[0].lead_id, "")
        return OfferShown(link.action, found[0].status, who_is(card), found[0].sla_deadline)

    async def make_links(self, assignment_ids: list[uuid.UUID]) -> dict[uuid.UUID, OfferLinks]:
        """Links for those of these assignments still offered to a rep; the others (accepted,
        rejected, moved on, unknown) get none: there is nothing left to click."""
        offered = [
            assignment
            for assignment in await self._routing.assignments(assignment_ids)
            if assignment.status is AssignmentStatus.offered and assignment.rep_id is not None
        ]
        return {assignment.id: self._links(assignment) for assignment in offered}

    def _links(self, assignment: Assignment) -> OfferLinks:
        expires_at = assignment.sla_deadline or datetime.now(UTC) + FALLBACK_LIFETIME
        urls = {
            action: f"{self._base}/v1/offers/"
            + links.sign(
                self._key, Link(secrets.token_hex(8), assignment.id, assignment.rep_id, action, expires_at)
            )
            for action in ("accept", "reject")
        }
        return OfferLinks(urls["accept"], urls["reject"], expires_at)

    def read(self, token: str) -> Link:
        try:
            return links.verify(self._key, token, datetime.now(UTC))
        except InvalidLink as invalid:
            raise Invalid.field("token", str(invalid)) from None

    async def use(self, token: str, reason: str | None) -> Assignment:
        link = self.read(token)
        principal = link_principal(link.rep_id)
        if link.action == "accept":
            return await self._routing.accept(principal, link.assignment_id, link_id=link.token_id)
        return await self._routing.reject(
            principal,
            link.assignment_id,
            reason or "rejected from the notification",
            expected=AssignmentStatus.offered,  # the mail offered it: an accepted lead stays accepted
            link_id=link.token_id,
        )


def who_is(card: ContactCard | None) -> str:
    """The lead as the page names it (its card's name and company, else its email)."""
    if card is None:
        return "the lead"
    name = " ".join(part for part in (card.first_name, card.last_name) if part) or card.email or "the lead"
    return f"{name}, {card.company}" if card.company else name
