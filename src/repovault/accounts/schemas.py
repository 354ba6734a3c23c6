"""Request and response bodies of the account and user calls."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from repovault.common.paging import PageRequest
from repovault.common.wire import Id, RequestModel, ResponseModel

# A role name (checked against the known roles by the service).
Role = Annotated[str, Field(max_length=100)]


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
    roles: list[Role] = Field(default_factory=list, max_length=20)


class UserModify(RequestModel):
    id: Id
    email: str | None = Field(default=None, min_length=3, max_length=320)
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    roles: list[Role] | None = Field(default=None, max_length=20)


class IdRequest(RequestModel):
    id: Id


class IdResponse(ResponseModel):
    id: str


class UserOut(ResponseModel):
    id: str
    email: str
    roles: list[str]
    created_at: int


UserPageRequest = PageRequest
