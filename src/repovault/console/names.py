"""Names for the ids a task carries: its repository's full name (as the platform gives it:
`owner/repository` on GitHub, `group/sub/project` on GitLab), its plan's and its
organization's names, so that no page shows a task by its id alone.

One `/git/organizations/getmany` gives the organizations and their plans; the repositories
come from `/git/repositories/getmany` of each organization a task names, by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request

from repovault.console.shared import Console


async def task_names(
    console: Console, request: Request, tasks: Iterable[dict[str, Any]]
) -> dict[str, str]:
    """Each id the tasks name (repository, plan, organization) with what to call it."""
    tasks = list(tasks)
    orgs = (await console.call(request, "/git/organizations/getmany", {"limit": 1000}))["result"]
    names: dict[str, str] = {o["id"]: o["name"] for o in orgs}
    plan_org: dict[str, str] = {}
    for org in orgs:
        for plan in org["plans"]:
            names[plan["id"]] = plan["name"]
            plan_org[plan["id"]] = org["id"]
    wanted = {t["repositoryId"] for t in tasks if t.get("repositoryId")}
    if not wanted:
        return names
    # The organizations to ask: the tasks' own when they say, else every one.
    asked = {t.get("organizationId") or plan_org.get(t.get("planId") or "") for t in tasks}
    candidates = [o for o in orgs if o["id"] in asked] or orgs
    if None in asked:
        candidates = orgs
    for org in candidates:
        found = await console.call(
            request,
            "/git/repositories/getmany",
            {
                "id": org["id"],
                "limit": len(wanted),
                "filters": [{"property": "id", "operator": "in", "value": sorted(wanted)}],
            },
        )
        for repo in found["result"]["repositories"]:
            names[repo["id"]] = repo["name"]
            wanted.discard(repo["id"])
        if not wanted:
            break
    return names
