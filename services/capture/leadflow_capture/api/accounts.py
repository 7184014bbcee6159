"""Accounts (B2B) on capture: read one with its people, find them, link and unlink a person by
hand (audited). Thin routes: the use cases are accounts_reading and accounts_linking."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from leadflow_capture.app.account_reading import AccountPage, AccountView
from leadflow_capture.deps import AccountLinksDep, AccountMergesDep, AccountReaderDep
from leadflow_capture.domain.accounts import registrable_domain
from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.inputs import InputModel, StorableText

router = APIRouter(prefix="/v1", tags=["accounts"])
AccountsReader = Annotated[Principal, requires(Scope.leads_read)]
AccountsWriter = Annotated[Principal, requires(Scope.accounts_write)]


class PersonLink(InputModel):
    lead_id: uuid.UUID


class MergeInput(InputModel):
    into: uuid.UUID


class Linked(BaseModel):
    account_id: uuid.UUID
    lead_id: uuid.UUID


@router.get(
    "/accounts/{account_id}",
    summary="An account: name, domains, fit fields, people with how each matched and how sure, owner, score",
    responses={303: {"description": "The account was merged: `Location` names the survivor"}, 404: {}},
)
async def read_account(
    account_id: uuid.UUID, principal: AccountsReader, reader: AccountReaderDep
) -> AccountView:
    return await reader.account(principal, account_id)


@router.get(
    "/accounts", summary="Find accounts by a domain, or a part of a name or domain", responses={422: {}}
)
async def find_accounts(
    principal: AccountsReader,
    reader: AccountReaderDep,
    domain: Annotated[StorableText | None, Query(max_length=253)] = None,
    q: Annotated[StorableText | None, Query(min_length=2, max_length=100)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AccountPage:
    # A subdomain names its parent's account, as matching does (sales.acme.example → acme.example).
    domain = (registrable_domain(domain) or domain) if domain else None
    return await reader.find(principal, domain=domain, text=q, cursor=cursor, limit=limit)


@router.post(
    "/accounts/{account_id}/people",
    status_code=200,
    summary="Link a person to the account by hand (moving them from another), audited",
    responses={303: {}, 404: {}, 422: {}},
)
async def link_person(
    account_id: uuid.UUID, body: PersonLink, principal: AccountsWriter, links: AccountLinksDep
) -> Linked:
    lead_id = await links.link(principal, account_id, body.lead_id)
    return Linked(account_id=account_id, lead_id=lead_id)


@router.delete(
    "/accounts/{account_id}/people/{lead_id}",
    status_code=204,
    summary="Unlink a person from the account, audited; matching will not link them again",
    responses={404: {}},
)
async def unlink_person(
    account_id: uuid.UUID, lead_id: uuid.UUID, principal: AccountsWriter, links: AccountLinksDep
) -> Response:
    await links.unlink(principal, account_id, lead_id)
    return Response(status_code=204)


@router.delete(
    "/accounts/{account_id}/suggestions/{lead_id}",
    status_code=204,
    summary="Dismiss a weak match suggested for the account, audited and published"
    " (account.suggestion_dismissed); it is not suggested again",
    responses={404: {}},
)
async def dismiss_suggestion(
    account_id: uuid.UUID, lead_id: uuid.UUID, principal: AccountsWriter, links: AccountLinksDep
) -> Response:
    await links.dismiss(principal, account_id, lead_id)
    return Response(status_code=204)


@router.post(
    "/accounts/{account_id}/merge",
    status_code=204,
    summary="Merge this account into another (`into`): its people and domains move there, audited",
    responses={303: {}, 404: {}, 422: {}},
)
async def merge_account(
    account_id: uuid.UUID, body: MergeInput, principal: AccountsWriter, merges: AccountMergesDep
) -> Response:
    await merges.merge(principal, account_id, body.into)
    return Response(status_code=204)
