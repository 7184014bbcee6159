"""A rep's one-click links: made for a notification, shown as a confirmation page, acted on by
POST only (mail scanners that fetch every link must not accept leads)."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadflow_common.access import link_principal
from leadflow_common.errors import Conflict, Invalid, NotFound
from leadflow_routing import links
from leadflow_routing.links import InvalidLink, Link
from leadflow_routing.policy import Assignment, AssignmentStatus
from leadflow_routing.services import RoutingService

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

    async def make_links(self, assignment_id: uuid.UUID) -> OfferLinks:
        assignment = await self._routing.assignment(assignment_id)
        if assignment is None:
            raise NotFound(f"No assignment {assignment_id}")
        if assignment.status is not AssignmentStatus.offered or assignment.rep_id is None:
            raise Conflict(f"The assignment is {assignment.status}, not offered")
        expires_at = assignment.sla_deadline or datetime.now(UTC) + FALLBACK_LIFETIME
        urls = {
            action: f"{self._base}/v1/offers/"
            + links.sign(
                self._key, Link(secrets.token_hex(8), assignment_id, assignment.rep_id, action, expires_at)
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
            principal, link.assignment_id, reason or "rejected from the notification", link_id=link.token_id
        )
