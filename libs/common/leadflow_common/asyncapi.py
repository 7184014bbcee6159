"""The AsyncAPI 3 document for every topic, generated from the event models (`events.py`), so
the document cannot drift from what producers and consumers use."""

from pydantic.json_schema import models_json_schema

from leadflow_common import sealing
from leadflow_common.events import EVENT_TYPES

REF = "#/components/schemas/{model}"
# topic → (event types on it, who publishes them, what it is for)
CHANNELS = {
    "leads.captured": (
        ["lead.captured", "lead.erased"],
        "capture publishes",
        "Every accepted submission, as the lead merged so far; and a person's erasure, after their"
        " captures: every consumer erases what it holds of the lead.",
    ),
    "leads.merged": (
        ["lead.merged"],
        "capture publishes",
        "One submission linked two leads: the younger was merged into the older, which survives.",
    ),
    "leads.activities": (
        ["lead.activity"],
        "capture publishes",
        "What a lead did, reported by other systems.",
    ),
    "leads.outcomes": (["lead.outcome"], "capture publishes", "Won or lost results reported by sales tools."),
    "leads.scored": (["lead.scored"], "scoring publishes", "A lead's score or band changed."),
    "leads.routed": (
        ["lead.routed", "lead.reassigned", "lead.nurtured", "assignment.changed", "lead.waiting_too_long"],
        "routing publishes",
        "Routing decisions, and every later change of each assignment (accepted, rejected with the"
        " reason, expired, waiting with what is missing, promoted, completed, closed): what sales"
        " tools subscribe to; and a hot lead waiting longer than its limit, once per wait.",
    ),
    "leads.erased": (
        ["lead.erasure_applied"],
        "services publish",
        "Each service's answer to an erasure (lead.erased on leads.captured): done for this lead.",
    ),
    "leads.accounts": (
        [
            "account.updated",
            "lead.matched",
            "account.scored",
            "account.owner_changed",
            "account.suggestion_dismissed",
        ],
        "capture (matches, accounts, dismissed suggestions), scoring (account scores) and routing"
        " (owners) publish",
        "B2B accounts: a lead linked to, unlinked from or suggested for an account, or a suggestion"
        " dismissed; an account created, changed or merged; its score from its people (turning"
        " hot); its owner rep.",
    ),
    "leadflow.audit": (
        ["audit.recorded"],
        "services publish",
        "Who did what (ids only), published with the change itself; the console keeps the trail.",
    ),
}


# Consumer group → (the service, the topics it reads, what for).
CONSUMERS = {
    "leadflow-scoring": (
        "scoring",
        [
            "leads.captured",
            "leads.merged",
            "leads.activities",
            "leads.outcomes",
            "leads.routed",
            "leads.accounts",
        ],
        "Scores every lead as its profile and activity change, and every B2B account from its people;"
        " learns from outcomes.",
    ),
    "leadflow-routing": ("routing", ["leads.scored", "leads.outcomes", "leads.merged"], "Routes by score."),
    "leadflow-routing-cards": (
        "routing",
        ["leads.captured"],
        "Erases the contact cards decisions carry (`lead.erased` only; the cards come with `lead.scored`).",
    ),
    "leadflow-capture-access": (
        "capture",
        ["leads.routed", "leads.erased", "leads.accounts"],
        "Which rep may read which lead; how far each erasure got; accounts' owners and scores.",
    ),
    "leadflow-webhooks": (
        "webhooks",
        ["leads.routed", "leads.scored", "leads.captured", "leads.merged", "leads.accounts"],
        "Signed deliveries to subscribers; reps' notifications (account owners' too).",
    ),
    "leadflow-console": (
        "console",
        [
            "leads.captured",
            "leads.merged",
            "leads.activities",
            "leads.outcomes",
            "leads.scored",
            "leads.routed",
            "leads.accounts",
            "leadflow.audit",
        ],
        "The audit trail, and the web app's read models: inbox, lead timelines, live feed, funnel.",
    ),
}


# Messages are keyed by lead id, except audit entries: by what the entry is about.
KEYS = {"leadflow.audit": "the target's id, or the actor's", "leads.accounts": "the account id"}


def _message_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.split("."))


def _envelope(event_type: str) -> dict[str, object]:
    model = EVENT_TYPES[event_type].__name__
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "description": "Unique per event; consumers drop ids they have seen"},
            "source": {"type": "string", "examples": ["leadflow/capture"]},
            "type": {"const": event_type},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": "string", "description": "The lead id (also the message key)"},
            "datacontenttype": {"const": "application/json"},
            "data": {"$ref": REF.format(model=model), "description": _sealing_note(event_type)},
        },
    }


def _sealing_note(event_type: str) -> str:
    parts = sealing.SEALED_PARTS.get(event_type)
    if not parts:
        return "Nothing in it is sealed: it holds no personal data."
    where = "; ".join(f"in `{name or 'data'}`: {', '.join(sorted(fields))}" for name, fields in parts)
    return (
        f"Personal fields are sealed ({where}): on the wire each such part has them in `sealed`, "
        "AES-256-GCM under the lead's key from the keyring (base64url of nonce and ciphertext, the "
        "lead id as associated data). Once the person is erased the key is gone and they stay sealed."
    )


def asyncapi_document(version: str = "0.1.0") -> dict[str, object]:
    _, definitions = models_json_schema(
        [(model, "validation") for model in EVENT_TYPES.values()], ref_template=REF
    )
    messages = {
        _message_name(event_type): {
            "name": event_type,
            "title": event_type,
            "contentType": "application/cloudevents+json",
            "summary": EVENT_TYPES[event_type].__doc__ or event_type,
            "headers": {
                "type": "object",
                "properties": {"ce_id": {"type": "string"}, "ce_type": {"const": event_type}},
            },
            "payload": _envelope(event_type),
        }
        for event_type in EVENT_TYPES
    }
    channels, operations = {}, {}
    for topic, (event_types, publisher, description) in CHANNELS.items():
        name = topic.replace(".", "_")
        refs = {_message_name(t): {"$ref": f"#/components/messages/{_message_name(t)}"} for t in event_types}
        channels[name] = {"address": topic, "description": description, "messages": refs}
        operations[f"{publisher.split()[0]}_publishes_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"{publisher} on {topic} (key: {KEYS.get(topic, 'lead id')}; at least once)",
            "messages": [{"$ref": f"#/channels/{name}/messages/{message}"} for message in refs],
        }
    for group, (service, topics, purpose) in CONSUMERS.items():
        for topic in topics:
            name = topic.replace(".", "_")
            operations[f"{group.replace('-', '_')}_receives_{name}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{name}"},
                "summary": f"{service} reads {topic} as consumer group {group}: {purpose}",
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Leadflow events",
            "version": version,
            "description": "CloudEvents 1.0 in structured JSON mode, keyed by lead id, delivered at least "
            "once. Dead-letter topics `<topic>.dlq` carry failed events with a `dlq_error` header. "
            "Personal data is sealed with a key per lead (see each message's `data`): erasing a person "
            "destroys the key, and every copy on every topic stops opening.",
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {"kafka": {"host": "127.0.0.1:9092", "protocol": "kafka"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": definitions["$defs"], "messages": messages},
    }
