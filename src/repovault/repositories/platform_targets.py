"""A restore into an organization, checked at the call: the organization exists, it is on a
platform a restore writes into (`WRITERS`), the repository's own platform is one whose
snapshots a restore reads (`readable`), and the target repository is new or empty unless the
caller asks to overwrite (asked of the platform, so the refusal is the call's 409 rather than
a failed task). The worker asks again right before it writes."""

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
from repovault.providers.writes import readable, writable, writer_for
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


NOT_WRITABLE = (
    "restoring into a platform writes into GitHub, GitLab, Gitea/Forgejo, Bitbucket Cloud "
    "and Azure DevOps organizations only (not Bitbucket Data Center, not plain Git)"
)
NOT_READABLE = (
    "restoring into a platform reads snapshots of GitHub, GitLab, Gitea/Forgejo, "
    "Bitbucket Cloud and Azure DevOps organizations; not Bitbucket Data Center, nor plain Git"
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
    if not writable(organization.driver, organization.api_url):
        raise InvalidInput.field("target.organizationId", NOT_WRITABLE)
    if source is None or not readable(source.driver, source.api_url):
        raise InvalidInput.field("id", NOT_READABLE)
    if "/" in (target["name"] or "") and organization.driver != 4:
        raise InvalidInput.field("target.name", "`project/name` names an Azure DevOps project")
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
