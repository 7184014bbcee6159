"""Logging in and accounts: /v1/auth and /v1/users."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from leadflow_common.access import Principal, Scope
from leadflow_common.auth import PUBLIC, authenticated, requires
from leadflow_console.api.schemas import Token, UserChange, UserIn, UserOut
from leadflow_console.app.services import User
from leadflow_console.deps import AccountsDep, ClientDep

router = APIRouter(prefix="/v1")
UsersAdmin = Annotated[Principal, requires(Scope.users_admin)]
# A rep account's rep_id is checked with routing, which owns the reps.
UNCHECKED_REP = {503: {"description": "Routing cannot say whether the rep_id exists now; try again"}}


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=user.role,
        rep_id=user.rep_id,
        active=user.active,
        created_at=user.created_at,
    )


@router.post(
    "/auth/token",
    summary="Log in: an access token for an email and password (OAuth2 password form)",
    openapi_extra=PUBLIC,
    responses={401: {}, 429: {}},
    tags=["auth"],
)
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], accounts: AccountsDep, client: ClientDep
) -> Token:
    token, expires_at = await accounts.login(form.username, form.password, client)
    return Token(access_token=token, expires_at=expires_at)


@router.post(
    "/auth/logout",
    status_code=204,
    summary="End this token's session everywhere (409 for an API key: it has no session; revoke it)",
    tags=["auth"],
    responses={409: {}},
)
async def log_out(principal: Annotated[Principal, Depends(authenticated)], accounts: AccountsDep) -> None:
    await accounts.logout(principal)


@router.get("/auth/me", summary="Who this credential is, and what it may do", tags=["auth"])
async def whoami(principal: Annotated[Principal, Depends(authenticated)], accounts: AccountsDep) -> dict:
    user = await accounts.me(principal)
    return {
        "actor": principal.actor,
        "kind": str(principal.kind),
        "role": principal.role,
        "rep_id": principal.rep_id,
        "scopes": sorted(principal.scopes),
        "user": user_out(user) if user else None,
    }


@router.post(
    "/users",
    status_code=201,
    summary="Create an account",
    responses={
        409: {"description": "An account with this email exists, or the rep record has an active account"},
        422: {},
        **UNCHECKED_REP,
    },
    tags=["users"],
)
async def create_user(body: UserIn, principal: UsersAdmin, accounts: AccountsDep) -> UserOut:
    return user_out(await accounts.create_user(principal, body.email, body.password, body.role, body.rep_id))


@router.get("/users", summary="Every account", tags=["users"])
async def list_users(principal: UsersAdmin, accounts: AccountsDep) -> list[UserOut]:
    return [user_out(user) for user in await accounts.list_users()]


@router.patch(
    "/users/{user_id}",
    summary="Change an account's role, rep, password or whether it is active (ends its sessions)",
    responses={
        404: {},
        409: {"description": "It would leave no active admin, or the rep record has another active account"},
        422: {},
        **UNCHECKED_REP,
    },
    tags=["users"],
)
async def update_user(
    user_id: uuid.UUID, body: UserChange, principal: UsersAdmin, accounts: AccountsDep
) -> UserOut:
    return user_out(await accounts.update_user(principal, user_id, body.model_dump(exclude_unset=True)))
