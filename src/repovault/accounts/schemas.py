"""Request and response bodies of the account and user calls."""

from __future__ import annotations

from pydantic import Field

from repovault.common.paging import PageRequest
from repovault.common.wire import RequestModel, ResponseModel


class LoginRequest(RequestModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    remember_me: bool = False


class LoginResponse(ResponseModel):
    user_id: str
    access_token: str


class MeResponse(ResponseModel):
    user_id: str
    email: str
    roles: list[str]


class UserCreate(RequestModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=8, max_length=1024)
    roles: list[str] = Field(default_factory=list)


class UserModify(RequestModel):
    id: str
    email: str | None = Field(default=None, min_length=3, max_length=320)
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    roles: list[str] | None = None


class IdRequest(RequestModel):
    id: str


class IdResponse(ResponseModel):
    id: str


class UserOut(ResponseModel):
    id: str
    email: str
    roles: list[str]
    created_at: int


UserPageRequest = PageRequest
