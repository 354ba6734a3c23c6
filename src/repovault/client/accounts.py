"""The account and user calls (`/account/*`, `/users/*`); logging in is the clients' own."""

from __future__ import annotations

from typing import Any

from repovault.client.base import CallsBase, P, R, paging, some


class AccountCalls(CallsBase[R, P]):
    def logout(self) -> R:
        return self._call("/account/logout")

    def me(self) -> R:
        return self._call("/account/me")

    def create_user(self, email: str, password: str, roles: list[str]) -> R:
        return self._call("/users/create", {"email": email, "password": password, "roles": roles})

    def list_users(self, **given: Any) -> R:
        return self._call("/users/getmany", paging(given))

    def modify_user(
        self,
        id: str,
        *,
        email: str | None = None,
        password: str | None = None,
        roles: list[str] | None = None,
    ) -> R:
        return self._call("/users/modify", some(id=id, email=email, password=password, roles=roles))

    def remove_user(self, id: str) -> R:
        return self._call("/users/remove", {"id": id})

    def list_audit(self, **given: Any) -> R:
        """A page of the audit trail (newest first; `filters` on call, userEmail, objects...)."""
        return self._call("/audit/getmany", paging(given))

    def verify_audit(self) -> R:
        """The audit trail's hash chain checked: `valid`, `brokenAt`, `reason`, `headHash`."""
        return self._call("/audit/verify")
