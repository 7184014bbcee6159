"""A rep's one-click links: made for a notification, shown as a confirmation page, acted on by
POST only (mail scanners that fetch every link must not accept leads)."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadflow_common.access import link_principal
from leadflow_common.errors import Invalid
from leadflow_routing.app.services import RoutingService
from leadflow_routing.domain import links
from leadflow_routing.domain.links import InvalidLink, Link
from leadflow_routing.domain.policy import Assignment, AssignmentStatus

# A link made for an offer without an SLA deadline (none today) would live this long.
FALLBACK_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class OfferLinks:
    accept_url: str
    reject_url: str
    expires_at: datetime


class Offers:
    def __init__(self, routing: RoutingService, secret: str):
        self._routing = routing
        self._key = links.link_key(secret)
        self._base = routing.settings.public_url.rstrip("/")

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
