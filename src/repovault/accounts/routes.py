"""`/account/*` and `/users/*` calls."""

from __future__ import annotations

from repovault.accounts import service
from repovault.accounts.roles import ANY_USER, MANAGE_USERS
from repovault.accounts.schemas import (
    IdRequest,
    IdResponse,
    LoginRequest,
    LoginResponse,
    MeResponse,
    UserCreate,
    UserModify,
    UserOut,
)
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.paging import PageOf, PageRequest

calls = Calls("account")


@calls.post("/account/login", body=LoginRequest, roles=None, write=True, errors=(400, 401, 429))
def login(ctx: Context, body: LoginRequest) -> LoginResponse:
    """Log in and obtain an access token (30 days with rememberMe, else 12 hours)."""
    token, user = service.login(
        ctx.session,
        ctx.runtime,
        client_addr=ctx.client_addr,
        email=body.email,
        password=body.password,
        remember=body.remember_me,
    )
    return LoginResponse(user_id=user.id, access_token=token)


@calls.post("/account/logout", roles=ANY_USER, write=True)
def logout(ctx: Context, _body: object) -> None:
    """Revoke the access token used for this call."""
    assert ctx.claims is not None  # the call requires a caller
    service.logout(ctx.session, ctx.claims)


@calls.post("/account/me", roles=ANY_USER, write=False)
def me(ctx: Context, _body: object) -> MeResponse:
    """Who the token belongs to, and the roles it has."""
    return MeResponse(user_id=ctx.caller.id, email=ctx.caller.email, roles=ctx.caller.roles)


@calls.post("/users/create", body=UserCreate, roles=MANAGE_USERS, write=True)
def create_user(ctx: Context, body: UserCreate) -> IdResponse:
    """Create a user with an email, a password and roles."""
    user = service.create_user(
        ctx.session,
        ctx.runtime.passwords,
        caller=ctx.caller,
        email=body.email,
        password=body.password,
        roles=body.roles,
    )
    return IdResponse(id=user.id)


@calls.post(
    "/users/getmany",
    body=PageRequest,
    roles=MANAGE_USERS,
    write=False,
    response=PageOf[UserOut],
)
def list_users(ctx: Context, body: PageRequest) -> PageOf[UserOut]:
    """List users (paged; filters on id, email, createdAt)."""
    return service.list_users(ctx.session, body).of(UserOut)


@calls.post("/users/modify", body=UserModify, roles=MANAGE_USERS, write=True)
def modify_user(ctx: Context, body: UserModify) -> None:
    """Change a user's email, password or roles."""
    service.modify_user(
        ctx.session,
        ctx.runtime.passwords,
        caller=ctx.caller,
        user_id=body.id,
        email=body.email,
        password=body.password,
        roles=body.roles,
    )


@calls.post("/users/remove", body=IdRequest, roles=MANAGE_USERS, write=True)
def remove_user(ctx: Context, body: IdRequest) -> None:
    """Remove a user (the last SystemAdministrator stays)."""
    service.remove_user(ctx.session, caller=ctx.caller, user_id=body.id)
