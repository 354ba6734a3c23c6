"""The fake GitLab's projects and what a restore creates in them (fake_gitlab_writable.py
serves them): labels, milestones, issues, merge requests, releases, as GitLab's REST API
answers them."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.providers.fake_writable_items import Answer

USER = {"id": 1, "username": "restorer", "name": "Restorer"}


@dataclass
class Project:
    id: int
    path: str  # group/name
    description: str
    visibility: str
    folder: Path
    labels: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    merge_requests: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)  # full_path -> bytes

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.folder), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    def refs(self) -> dict[str, str]:
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)")
        return dict(line.split(" ", 1) for line in out.splitlines())

    def head(self) -> str:
        return self.git("symbolic-ref", "HEAD").removeprefix("refs/heads/")


class GitLabItems:
    """Mixed into the fake's state: `ids` is its own."""

    ids: Any

    def _refs(self, project: Project, body: dict[str, Any]) -> dict[str, Any]:
        labels = [n for n in str(body.get("labels") or "").split(",") if n]
        for name in labels:  # GitLab makes the labels it does not know yet
            if name not in {label["name"] for label in project.labels}:
                made = {"id": next(self.ids), "name": name, "color": "#6699cc", "description": None}
                project.labels.append(made)
        milestone = next(
            (m for m in project.milestones if m["id"] == body.get("milestone_id")), None
        )
        if body.get("milestone_id") is not None and milestone is None:
            raise Answer(400, {"message": "milestone not found"})
        short = (
            {"id": milestone["id"], "iid": milestone["iid"], "title": milestone["title"]}
            if milestone
            else None
        )
        return {"labels": labels, "milestone": short}

    def new_labels(self, project: Project, body: dict[str, Any]) -> dict[str, Any]:
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", str(body.get("color"))):
            raise Answer(400, {"message": {"color": ["must be a valid color code"]}})
        if body["name"] in {label["name"] for label in project.labels}:
            raise Answer(409, {"message": "Label already exists"})
        label = {
            "id": next(self.ids),
            "name": body["name"],
            "color": body["color"],
            "description": body.get("description"),
        }
        project.labels.append(label)
        return label

    def new_milestones(self, project: Project, body: dict[str, Any]) -> dict[str, Any]:
        milestone = {
            "id": next(self.ids),
            "iid": len(project.milestones) + 1,
            "title": body["title"],
            "description": body.get("description"),
            "state": "active",
            "due_date": body.get("due_date"),
        }
        project.milestones.append(milestone)
        return milestone

    def new_issues(self, project: Project, body: dict[str, Any]) -> dict[str, Any]:
        issue = {
            "id": next(self.ids),
            "iid": len(project.issues) + 1,
            "project_id": project.id,
            "title": body["title"],
            "description": body.get("description"),
            "state": "opened",
            "author": USER,
            **self._refs(project, body),
        }
        project.issues.append(issue)
        return issue

    def new_merge_requests(self, project: Project, body: dict[str, Any]) -> dict[str, Any]:
        heads = project.refs()
        for branch in (body["source_branch"], body["target_branch"]):
            if f"refs/heads/{branch}" not in heads:
                raise Answer(422, {"message": [f"{branch} branch does not exist"]})
        for other in project.merge_requests:
            if other["state"] == "opened" and (other["source_branch"], other["target_branch"]) == (
                body["source_branch"],
                body["target_branch"],
            ):
                raise Answer(
                    409,
                    {
                        "message": [
                            "Another open merge request already exists for this source branch"
                        ]
                    },
                )
        merge = {
            "id": next(self.ids),
            "iid": len(project.merge_requests) + 1,
            "title": body["title"],
            "description": body.get("description"),
            "state": "opened",
            "source_branch": body["source_branch"],
            "target_branch": body["target_branch"],
            "draft": body["title"].startswith("Draft: "),
            "author": USER,
            **self._refs(project, body),
        }
        project.merge_requests.append(merge)
        return merge

    def new_releases(self, project: Project, body: dict[str, Any]) -> dict[str, Any]:
        if f"refs/tags/{body['tag_name']}" not in project.refs():
            raise Answer(422, {"message": "Ref is not specified"})  # no `ref` given to make the tag
        if body["tag_name"] in {r["tag_name"] for r in project.releases}:
            raise Answer(409, {"message": "Release already exists"})
        release = {
            "tag_name": body["tag_name"],
            "name": body.get("name"),
            "description": body.get("description"),
            "author": USER,
            "assets": {"count": 0, "links": [], "sources": []},
        }
        project.releases.append(release)
        return release
