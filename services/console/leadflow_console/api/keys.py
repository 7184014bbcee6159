"""API keys, the audit trail, and the credentials refresh of the other services."""

import base64
import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from leadflow_common.access import Principal, Scope, parse_scopes
from leadflow_common.auth import requires
from leadflow_common.credentials import CredentialsState
from leadflow_common.errors import Invalid
from leadflow_common.inputs import Instant, StorableText
from leadflow_console.api.schemas import AuditEntry, AuditPage, CreatedKey, KeyIn, KeyOut, SyncIn
from leadflow_console.app.services import ApiKey
from leadflow_console.deps import AccountsDep
from leadflow_console.domain.accounts import key_label

router = APIRouter(prefix="/v1")
UsersAdmin = Annotated[Principal, requires(Scope.users_admin)]


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        label=key_label(key.id),
        scopes=key.scopes,
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
    )


@router.post(
    "/keys", status_code=201, summary="Create an API key (shown once)", responses={422: {}}, tags=["keys"]
)
async def create_key(body: KeyIn, principal: UsersAdmin, accounts: AccountsDep) -> CreatedKey:
    stored, secret = await accounts.create_key(
        principal, body.name, parse_scopes(body.scopes), body.expires_at
    )
    return CreatedKey(**key_out(stored).model_dump(), key=secret)


@router.get("/keys", summary="Every API key, with its last use (never the key)", tags=["keys"])
async def list_keys(principal: UsersAdmin, accounts: AccountsDep) -> list[KeyOut]:
    return [key_out(key) for key in await accounts.list_keys()]


@router.delete(
    "/keys/{key_id}",
    status_code=204,
    summary="Revoke an API key: refused by every service within seconds",
    responses={404: {}},
    tags=["keys"],
)
async def revoke_key(key_id: uuid.UUID, principal: UsersAdmin, accounts: AccountsDep) -> None:
    await accounts.revoke_key(principal, key_id)


@router.get("/audit", summary="Who did what, newest first", responses={422: {}}, tags=["audit"])
async def audit(
    principal: Annotated[Principal, requires(Scope.audit_read)],
    accounts: AccountsDep,
    actor: Annotated[
        StorableText | None, Query(max_length=100, description="`user:<id>`, `key:<id>`, `bootstrap`")
    ] = None,
    action: Annotated[
        StorableText | None, Query(max_length=100, description="For example `key.revoked`")
    ] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    before_id = _decode_cursor(cursor) if cursor else None
    rows = await accounts.audit_entries(
        actor=actor, action=action, since=since, until=until, before_id=before_id, limit=limit
    )
    entries = [AuditEntry(**row) for row in rows]
    more = len(entries) == limit
    return AuditPage(entries=entries, next_cursor=_encode_cursor(entries[-1].id) if more else None)


def _encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(str(entry_id).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        raise Invalid.field("cursor", "not a cursor this API gave") from None


@router.post(
    "/auth/sync",
    summary="The services' refresh: report key uses, get live keys, public keys, revoked sessions",
    tags=["auth"],
)
async def sync(
    body: SyncIn, principal: Annotated[Principal, requires(Scope.credentials_sync)], accounts: AccountsDep
) -> CredentialsState:
    return await accounts.credentials_state(body.key_uses)
