"""What a command's organization, plan or repository argument names, in one place.

An argument that is a full id is used as is (the server says when it does not exist). Else
a unique id prefix of at least 4 characters, as git takes abbreviated hashes; else an exact
name (an organization's name, a plan's name, a repository's full name such as `team/app`).
None, or more than one: a usage error (exit 2) listing the candidates.

Every look-up is a list call with a filter (`id startswith`, `name eq`), a page of at most
`CANDIDATES` items: nothing is listed whole. Plans and repositories are looked up in the
organization given (`--org`), else in each organization in turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from repovault.cli.remote.session import EXIT_USAGE, fail
from repovault.client import Client

HEX = "[0-9a-fA-F]"
FULL_ID = re.compile(rf"^{HEX}{{8}}-{HEX}{{4}}-{HEX}{{4}}-{HEX}{{4}}-{HEX}{{12}}$")
MIN_PREFIX = 4
CANDIDATES = 10
PREFIX = re.compile(r"^[0-9a-fA-F-]+$")

Json = dict[str, Any]
# The items of one list call with these filters (a page of at most CANDIDATES).
Lookup = Callable[[list[Json]], list[Json]]


def is_full_id(text: str) -> bool:
    return FULL_ID.match(text) is not None


def _filters(field: str, operator: str, value: str) -> list[Json]:
    return [{"property": field, "operator": operator, "value": value}]


def _search(lookups: list[Lookup], filters: list[Json]) -> list[Json]:
    found: dict[str, Json] = {}
    for lookup in lookups:
        for item in lookup(filters):
            found.setdefault(item["id"], item)
    return list(found.values())


def _label(item: Json) -> str:
    return f"{item['id']} {item.get('name', '')}".rstrip()


def resolve(kind: str, text: str, lookups: list[Lookup], name_field: str = "name") -> str:
    """The id that `text` names among what `lookups` find (see the module's doc)."""
    if is_full_id(text):
        return text.lower()
    matches: list[Json] = []
    if len(text) >= MIN_PREFIX and PREFIX.match(text):
        matches = _search(lookups, _filters("id", "startswith", text))
    if not matches:
        matches = _search(lookups, _filters(name_field, "eq", text))
    if not matches:
        short = len(text) < MIN_PREFIX
        hint = f" (an id prefix needs at least {MIN_PREFIX} characters)" if short else ""
        fail(f"no {kind} has the id or name {text!r}{hint}", EXIT_USAGE)
    if len(matches) > 1:
        listed = "\n  ".join(_label(m) for m in matches)
        fail(f"{text!r} names more than one {kind}; give more of the id:\n  {listed}", EXIT_USAGE)
    return str(matches[0]["id"])


def _organizations(api: Client) -> Lookup:
    def lookup(filters: list[Json]) -> list[Json]:
        reply = api.list_organizations(limit=CANDIDATES, filters=filters)
        return list(reply["result"])

    return lookup


def _all_organization_ids(api: Client) -> Iterator[str]:
    for item in api.iter_organizations():
        yield str(item["id"])


def organization(api: Client, text: str) -> str:
    """An organization by id, id prefix or name."""
    return resolve("organization", text, [_organizations(api)])


def _scopes(api: Client, org: str | None) -> list[str]:
    return [organization(api, org)] if org else list(_all_organization_ids(api))


def plan(api: Client, text: str, org: str | None = None) -> str:
    """A plan by id, id prefix or name (within `org` when given)."""
    if is_full_id(text):
        return text.lower()

    def in_org(organization_id: str) -> Lookup:
        def lookup(filters: list[Json]) -> list[Json]:
            reply = api.list_plans(organization_id, limit=CANDIDATES, filters=filters)
            return list(reply["result"])

        return lookup

    return resolve("plan", text, [in_org(o) for o in _scopes(api, org)])


def repository(api: Client, text: str, org: str | None = None) -> str:
    """A repository by id, id prefix or full name (`team/app`, within `org` when given)."""
    if is_full_id(text):
        return text.lower()

    def in_org(organization_id: str) -> Lookup:
        def lookup(filters: list[Json]) -> list[Json]:
            reply = api.list_repositories(organization_id, limit=CANDIDATES, filters=filters)
            return list(reply["result"]["repositories"])

        return lookup

    return resolve("repository", text, [in_org(o) for o in _scopes(api, org)])


def repositories(api: Client, texts: list[str], org: str | None = None) -> list[str]:
    return [repository(api, text, org) for text in texts]
