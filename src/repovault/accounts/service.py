"""Accounts: who may call, and the users' lifecycle.

Login is throttled per email, per client address and overall: past the third failure of an
email or address inside the window each attempt is slowed, and past a key's limit
(`login_max_failures`, `login_max_failures_per_address`, `login_max_failures_overall`) it is
answered 429 with `Retry-After` until the window ends, even with the right password. The
client address is the one `api.proxies` settles (X-Forwarded-For only from trusted proxies).
"""

from __future__ import annotations

import threading
import time

import structlog
from sqlalchemy import bindparam, delete, exists, func, select
from sqlalchemy.orm import Session, make_transient_to_detached

from repovault.accounts.models import LoginFailure, RevokedToken, User
from repovault.accounts.roles import ALL_ROLES, Role
from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    TooManyRequests,
    Unauthorized,
)
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.common.passwords import Passwords
from repovault.common.tokens import Claims, TokenCodec, TokenExpired, TokenInvalid
from repovault.config import Settings
from repovault.runtime import Runtime

log = structlog.get_logger(__name__)

SLOW_AFTER_FAILURES = 3


class VerifiedTokens:
    """Tokens whose signature, issuer and audience one codec has checked, with their claims.

    Checking a token is a pure function of its text and the codec's key, so a token seen
    before is not checked again: only its expiry, which depends on the time, is checked at
    each use (as PyJWT does: expired from `exp` on). Whether it was revoked and who its user
    is are read from the database at every call, never kept. Bounded: the oldest entry makes
    room when full.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._claims: dict[str, tuple[TokenCodec, Claims]] = {}
        self._lock = threading.Lock()

    def decode(self, tokens: TokenCodec, token: str) -> Claims:
        """The token's claims; `TokenExpired` or `TokenInvalid` as `TokenCodec.decode`."""
        found = self._claims.get(token)
        if found is None or found[0] is not tokens:
            claims = tokens.decode(token)
            with self._lock:
                if len(self._claims) >= self.size:
                    del self._claims[next(iter(self._claims))]
                self._claims[token] = (tokens, claims)
            return claims
        claims = found[1]
        if claims.expires_at <= time.time():
            raise TokenExpired
        return claims

    def __len__(self) -> int:
        return len(self._claims)


VERIFIED = VerifiedTokens()
_users = User.__table__.c
_revoked = RevokedToken.__table__.c
_IS_REVOKED = exists().where(_revoked.jti == bindparam("jti"))
# One indexed statement a call: the token's user, and whether the token was revoked.
_CALLER = select(_users.id, _users.email, _users.roles, _IS_REVOKED.label("revoked")).where(
    _users.id == bindparam("user_id")
)
_REVOKED = select(_IS_REVOKED)


def authenticate(session: Session, tokens: TokenCodec, *, token: str | None) -> tuple[User, Claims]:
    """The caller of a call: the token checked (signature, expiry, not revoked) and its user
    as the database has it now (the roles of the row, not of the token)."""
    if not token:
        raise Unauthorized(codes.BAD_CREDENTIALS, "missing 'Authorization: Bearer <token>'")
    try:
        claims = VERIFIED.decode(tokens, token)
    except TokenExpired as exc:
        raise Unauthorized(codes.TOKEN_EXPIRED, "the access token has expired") from exc
    except TokenInvalid as exc:
        raise Unauthorized(codes.BAD_CREDENTIALS, "the access token is not valid") from exc
    row = session.execute(_CALLER, {"user_id": claims.user_id, "jti": claims.jti}).first()
    revoked = row.revoked if row is not None else session.scalar(_REVOKED, {"jti": claims.jti})
    if revoked:
        raise Unauthorized(codes.TOKEN_EXPIRED, "the access token was revoked by logout")
    if row is None:
        raise Unauthorized(codes.BAD_CREDENTIALS, "the token's user no longer exists")
    # The row as a loaded instance of the session, without the ORM's query: what it does not
    # hold (the password hash, the creation time) loads when read.
    user = User(id=row.id, email=row.email, roles=row.roles)
    make_transient_to_detached(user)
    session.add(user)
    return user, claims


OVERALL_KEY = "all"


def _throttle_keys(settings: Settings, email: str, addr: str) -> list[tuple[str, int]]:
    """The counters a failure adds to, each with its limit: the email's (cleared by a good
    login), the client address's and the overall one."""
    keys = [(f"email:{email}", settings.login_max_failures)]
    if addr:
        keys.append((f"addr:{addr}", settings.login_max_failures_per_address))
    keys.append((OVERALL_KEY, settings.login_max_failures_overall))
    return keys


def _check_throttle(
    session: Session, settings: Settings, keys: list[tuple[str, int]], now: int
) -> None:
    window_ms = settings.login_window_seconds * 1000
    for key, limit in keys:
        row = session.get(LoginFailure, key)
        if row and now - row.window_start < window_ms and row.count >= limit:
            retry = max(1, (row.window_start + window_ms - now + 999) // 1000)
            log.warning(
                "login throttled",
                key=key,
                failures=row.count,
                retry_after=retry,
                hint="every login is refused until then: failed logins from many addresses"
                if key == OVERALL_KEY
                else None,
            )
            raise TooManyRequests(
                codes.LOGIN_THROTTLED,
                f"too many failed logins; try again in {retry} s",
                retry_after=retry,
            )


def _record_failure(
    session: Session, settings: Settings, keys: list[tuple[str, int]], now: int
) -> int:
    """Counts the failure on every key; the worst count of the email and the address (which
    slows the next tries; the overall count slows nobody)."""
    window_ms = settings.login_window_seconds * 1000
    worst = 0
    for key, _limit in keys:
        row = session.get(LoginFailure, key)
        if row is None:
            row = LoginFailure(key=key, count=0, window_start=now)
            session.add(row)
        elif now - row.window_start >= window_ms:
            row.count, row.window_start = 0, now
        row.count += 1
        if key != OVERALL_KEY:
            worst = max(worst, row.count)
    return worst


def login(
    session: Session,
    runtime: Runtime,
    *,
    client_addr: str,
    email: str,
    password: str,
    remember: bool,
) -> tuple[str, User]:
    settings = runtime.settings
    email = email.strip().lower()
    keys = _throttle_keys(settings, email, client_addr)
    now = now_ms()
    _check_throttle(session, settings, keys, now)
    user = session.scalar(select(User).where(User.email == email))
    matched = runtime.passwords.verify(user.password_hash if user else None, password)
    if not matched or user is None:
        failures = _record_failure(session, settings, keys, now)
        session.commit()  # the failure counts even though the call fails
        log.warning("login failed", email=email, addr=client_addr, failures=failures)
        excess = failures - SLOW_AFTER_FAILURES
        if excess > 0:
            time.sleep(settings.login_failure_delay_seconds * excess)
        raise Unauthorized(codes.BAD_CREDENTIALS, "wrong email or password")
    session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0][0]))
    token, _ = runtime.tokens.issue(
        user_id=user.id, email=user.email, roles=list(user.roles), remember=remember
    )
    log.info("login", user_id=user.id)
    return token, user


def logout(session: Session, claims: Claims) -> None:
    session.merge(RevokedToken(jti=claims.jti, expires_at=claims.expires_at * 1000))
    # Revocations of tokens that have expired anyway are dead weight.
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now_ms()))


def _check_roles(roles: list[str]) -> list[str]:
    known = {r.value.lower(): r.value for r in ALL_ROLES}
    result: list[str] = []
    for i, role in enumerate(roles):
        canonical = known.get(role.lower())
        if canonical is None:
            raise InvalidInput.field(
                f"roles.{i}", f"unknown role {role!r}; one of: {', '.join(sorted(known.values()))}"
            )
        if canonical not in result:
            result.append(canonical)
    return result


def _check_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or not domain or " " in email:
        raise InvalidInput.field("email", f"not an email address: {email!r}")
    return email


def _get_user(session: Session, user_id: str) -> User:
    return get_by_id(session, User, user_id, code=codes.USER_NOT_FOUND, what="user")


ADMIN = Role.SYSTEM_ADMINISTRATOR.value


def _admin_count(session: Session) -> int:
    """SystemAdministrators, their rows locked (PostgreSQL) so that two demotions at once
    cannot both see the other administrator."""
    users = session.scalars(select(User).with_for_update()).all()
    return sum(1 for user in users if ADMIN in user.roles)


def _within_reach(caller: User | None, roles: set[str], doing: str) -> None:
    """A caller grants, removes and acts only within the roles it holds itself; the
    SystemAdministrator holds them all. `None` is the server itself (first start)."""
    if caller is None or ADMIN in caller.roles:
        return
    beyond = sorted(roles - set(caller.roles))
    if beyond:
        raise Forbidden(
            codes.ROLE_MISSING,
            f"{doing} needs the roles {beyond}, which the caller does not hold",
        )


def create_user(
    session: Session,
    passwords: Passwords,
    *,
    caller: User | None,
    email: str,
    password: str,
    roles: list[str],
) -> User:
    email = _check_email(email)
    roles = _check_roles(roles)
    _within_reach(caller, set(roles), "granting roles")
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(codes.USER_EXISTS, f"a user {email!r} exists already")
    user = User(email=email, password_hash=passwords.hash(password), roles=roles)
    session.add(user)
    session.flush()
    log.info("user created", user_id=user.id, roles=user.roles, by=caller.id if caller else None)
    return user


def modify_user(
    session: Session,
    passwords: Passwords,
    *,
    caller: User,
    user_id: str,
    email: str | None,
    password: str | None,
    roles: list[str] | None,
) -> None:
    user = _get_user(session, user_id)
    if user.id != caller.id:
        _within_reach(caller, set(user.roles), f"changing user {user.id}")
    new_roles = _check_roles(roles) if roles is not None else None
    if new_roles is not None and set(new_roles) != set(user.roles):
        if user.id == caller.id:
            raise Forbidden(
                codes.OWN_ROLES, "nobody changes their own roles; another user must do it"
            )
        _within_reach(caller, set(new_roles) ^ set(user.roles), "changing roles")
        if ADMIN in user.roles and ADMIN not in new_roles and _admin_count(session) == 1:
            raise Conflict(codes.LAST_ADMIN, "the last SystemAdministrator keeps that role")
    if email is not None:
        email = _check_email(email)
        other = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
        if other:
            raise Conflict(codes.USER_EXISTS, f"a user {email!r} exists already")
        user.email = email
    if password is not None:
        user.password_hash = passwords.hash(password)
    if new_roles is not None:
        if new_roles != user.roles:
            log.info("roles changed", user_id=user.id, roles=new_roles, by=caller.id)
        user.roles = new_roles


def remove_user(session: Session, *, caller: User, user_id: str) -> None:
    user = _get_user(session, user_id)
    _within_reach(caller, set(user.roles), f"removing user {user.id}")
    if ADMIN in user.roles and _admin_count(session) == 1:
        raise Conflict(codes.LAST_ADMIN, "the last SystemAdministrator cannot be removed")
    session.delete(user)
    log.info("user removed", user_id=user.id, by=caller.id)


USER_FIELDS = {
    "id": Column(User.id, "id"),
    "email": Column(User.email, "str"),
    "createdat": Column(User.created_at, "int"),
}


def list_users(session: Session, request: PageRequest) -> Page:
    if request.orderby is None:
        request = request.model_copy(update={"orderby": "email"})
    return fetch(session, select(User), request, USER_FIELDS, User.id)


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)
