"""How submissions of one person merge into one lead, and what each channel may change. Pure.

Trust: a submission through the API or an import comes from a caller holding a key, so its
newer values win. A public form or popup proves nothing about who sent it, so on a lead that
already exists it may only add what is missing: it fills empty fields and adds new attributes,
never replaces a name, an email, a phone or an attribute, and never changes a consent already
recorded. An inbound SMS is public too, except that the carrier (and Twilio's signature) proves
the sender's phone: it may withdraw or give back SMS consent, as STOP and START must. What a
submission carried but could not apply is named in its `withheld` list (names, not values); the
values stay in the submission's own stored record.

Bounds: a lead keeps at most MAX_LEAD_ATTRIBUTES attributes taking at most
MAX_LEAD_ATTRIBUTE_BYTES, so its events stay small however many submissions name the person.
"""

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow_capture.domain.leads import NormalizedLead
from leadflow_common.events import AttributeValue, Channel, ConsentGrant, LeadProfile

MAX_LEAD_ATTRIBUTES = 100
MAX_LEAD_ATTRIBUTE_BYTES = 32 * 1024
MAX_WITHHELD_LISTED = 20
TRUSTED_CHANNELS = frozenset({Channel.api, Channel.import_})
EMPTY: tuple[object, ...] = (None, "", {}, [])


@dataclass(frozen=True)
class Merge:
    lead: LeadProfile
    withheld: list[str] = field(default_factory=list)


def may_replace(channel: Channel) -> bool:
    return channel in TRUSTED_CHANNELS


def may_set_consent(channel: Channel, consent: str, recorded: Mapping[str, object] | None) -> bool:
    """Whether this channel may set this consent, given the one recorded (if any)."""
    return recorded is None or may_replace(channel) or (channel == Channel.sms and consent == "sms")


def _attribute_bytes(name: str, value: AttributeValue) -> int:
    return len(name.encode()) + len(json.dumps(value).encode()) + 4


def bounded_attributes(
    kept: dict[str, AttributeValue], offered: dict[str, AttributeValue], *, replace: bool
) -> tuple[dict[str, AttributeValue], list[str]]:
    """`kept` with `offered` added in order (replacing kept values only when `replace`), within
    the lead's bounds; and the names offered but not applied."""
    attributes = dict(kept)
    size = sum(_attribute_bytes(name, value) for name, value in attributes.items())
    withheld = []
    for name, value in offered.items():
        if name in attributes:
            if attributes[name] == value:
                continue
            if not replace:
                withheld.append(f"attributes.{name}")
                continue
            grown = _attribute_bytes(name, value) - _attribute_bytes(name, attributes[name])
        else:
            grown = _attribute_bytes(name, value)
            if len(attributes) >= MAX_LEAD_ATTRIBUTES:
                withheld.append(f"attributes.{name}")
                continue
        if size + grown > MAX_LEAD_ATTRIBUTE_BYTES:
            withheld.append(f"attributes.{name}")
            continue
        attributes[name] = value
        size += grown
    return attributes, withheld


def _new_lead(lead_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "revision": 0,
        "created_at": now,
        "consent": {},
        "attribution": {},
        "attributes": {},
        "channels": [],
    }


def merge_submission(
    existing: LeadProfile | None,
    submission: NormalizedLead,
    *,
    lead_id: uuid.UUID,
    channel: Channel,
    now: datetime,
) -> Merge:
    """The lead after this submission: empty values never erase, the first touch's attribution
    is kept, consent is stamped with its time and channel, and on an existing lead only a
    trusted channel replaces what is known (module docstring)."""
    base = existing.model_dump() if existing else _new_lead(lead_id, now)
    replace = existing is None or may_replace(channel)
    withheld: list[str] = []
    merged = dict(base)
    offered = {**submission.profile, "email": submission.email, "phone": submission.phone}
    for name, value in offered.items():
        if value in EMPTY or base.get(name) == value:
            continue
        if replace or base.get(name) in EMPTY:
            merged[name] = value
        else:
            withheld.append(name)
    merged["attribution"] = (
        base["attribution"] if any(base["attribution"].values()) else submission.attribution
    )
    merged["attributes"], refused = bounded_attributes(
        base["attributes"], submission.attributes, replace=replace
    )
    withheld += refused
    consent = dict(base["consent"])
    for name, granted in submission.consent.items():
        recorded = consent.get(name)
        if recorded is not None and recorded["granted"] == granted:
            continue
        if existing is None or may_set_consent(channel, name, recorded):
            consent[name] = ConsentGrant(granted=granted, at=now, channel=channel).model_dump()
        else:
            withheld.append(f"consent.{name}")
    merged["consent"] = consent
    merged["channels"] = list(dict.fromkeys([*base["channels"], channel]))
    merged["revision"] = base["revision"] + 1
    merged["updated_at"] = now
    return Merge(LeadProfile.model_validate(merged), withheld[:MAX_WITHHELD_LISTED])


def merge_leads(older: LeadProfile, younger: LeadProfile, *, now: datetime) -> LeadProfile:
    """Fold the younger lead into the older one, which keeps its id and its values; the
    younger fills what the older lacks, and the latest consent per channel wins."""
    old, young = older.model_dump(), younger.model_dump()
    merged = {**old}
    for name, value in young.items():
        if merged.get(name) in EMPTY:
            merged[name] = value
    merged["attributes"], _ = bounded_attributes(old["attributes"], young["attributes"], replace=False)
    consent = dict(old["consent"])
    for name, grant in young["consent"].items():
        if name not in consent or grant["at"] > consent[name]["at"]:
            consent[name] = grant
    merged["consent"] = consent
    merged["channels"] = list(dict.fromkeys([*old["channels"], *young["channels"]]))
    merged["lead_id"] = older.lead_id
    merged["created_at"] = older.created_at
    merged["revision"] = max(older.revision, younger.revision) + 1
    merged["updated_at"] = now
    return LeadProfile.model_validate(merged)
