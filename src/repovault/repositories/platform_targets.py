"""A restore into an organization, checked at the call: the organization exists, both it and
the repository's own platform are ones a restore can write and read (GitHub, Gitea/Forgejo),
and the target repository is new or empty unless the caller asks to overwrite (asked of the
platform, so the refusal is the call's 409 rather than a failed task). The worker asks again
right before it writes."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.errors import Conflict, InvalidInput
from repovault.common.lookup import get_by_id
from repovault.common.secrets import SecretBox
from repovault.organizations.models import Organization
from repovault.organizations.service import access_of
from repovault.providers.base import ProviderAuthError, ProviderError, ProviderNotFound
from repovault.providers.writes import WRITERS, writer_for
from repovault.repositories.models import Repository

# What a platform restore's dry run counts (its task's `result.dryRun`), in the order
# the command line and the console show them.
DRY_RUN_COUNTS = (
    "refs",
    "labels",
    "milestones",
    "issues",
    "pullRequests",
    "pullRequestsAsIssues",
    "placeholders",
    "comments",
    "reviews",
    "reviewComments",
    "releases",
    "releaseAssets",
    "lfsObjects",
)


def default_name(repository: Repository) -> str:
    """The original repository's own name (without its owner)."""
    return repository.name.rsplit("/", 1)[-1]


def check_platform_target(
    session: Session,
    box: SecretBox,
    http: httpx.Client,
    *,
    repository: Repository,
    target: dict[str, Any],
) -> None:
    organization = get_by_id(
        session,
        Organization,
        target["organizationId"],
        code=codes.ORGANIZATION_NOT_FOUND,
        what="organization",
    )
    source = session.get(Organization, repository.organization_id)
    for field, driver in (
        ("organizationId", organization.driver),
        ("id", source and source.driver),
    ):
        if driver not in WRITERS:
            raise InvalidInput.field(
                f"target.{field}" if field == "organizationId" else field,
                "restoring into a platform is available from and to GitHub and Gitea/Forgejo "
                "organizations only, for now",
            )
    if target["overwrite"] or target["dryRun"]:
        return
    name = target["name"] or default_name(repository)
    try:
        existing = writer_for(access_of(box, organization), http).repository(name)
    except (ProviderAuthError, ProviderNotFound) as exc:
        raise InvalidInput(codes.PLATFORM_REFUSED, str(exc), errors={"target": [str(exc)]}) from exc
    except ProviderError as exc:
        raise InvalidInput(
            codes.PLATFORM_UNREACHABLE,
            f"cannot ask the platform: {exc}",
            errors={"target": [str(exc)]},
        ) from exc
    if existing is not None and not existing.empty:
        raise Conflict(
            codes.TARGET_NOT_EMPTY,
            f"{existing.full_name} exists and is not empty: restore under another name "
            "(target.name), or set target.overwrite",
        )
