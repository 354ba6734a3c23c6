"""The write-capable fake's pull requests, releases and release files (fake_writable.py
serves them), in the shapes of GitHub's and Gitea's REST documentation:

    POST  /repos/{o}/{r}/pulls             {title, body, head, base} (Gitea: + labels, milestone)
          422 when a branch is missing, when there are no commits between them, or when an
          open pull request has the same head and base (Gitea: 409)
    GET   /repos/{o}/{r}/pulls             PATCH /repos/{o}/{r}/pulls/{n} {state}
    GET|POST /repos/{o}/{r}/releases       {tag_name, name, body, draft, prerelease}
    POST  {upload_url}?name=               GitHub: the file's bytes as the body
    POST  /repos/{o}/{r}/releases/{id}/assets?name=   Gitea: multipart, field `attachment`
    POST  /api/graphql (GitHub)            closeIssue mutations: {query, variables}

A pull request takes the next number of the issues' sequence, as on both platforms.
"""

from __future__ import annotations

import json
import re
import subprocess
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

from bench.githttp import _Handler

USER = "restorer"


class Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


class AnswerHandler(_Handler):
    """The git smart-HTTP handler of bench/githttp.py, answering the fakes' API calls too."""

    def _send(self, answer: Answer) -> None:
        data = json.dumps(answer.body).encode()
        self.send_response(answer.status)
        headers = {"Content-Type": "application/json", **answer.headers}
        headers["Content-Length"] = str(len(data))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class GitFolder:
    """A fake's repository on disk (a dataclass with `folder`): its refs and HEAD."""

    folder: Path

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


def _commit(folder: Path, ref: str) -> str | None:
    out = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--verify", "-q", f"refs/heads/{ref}"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or None


def _ancestor(folder: Path, older: str, newer: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(folder), "merge-base", "--is-ancestor", older, newer], check=False
    )
    return done.returncode == 0


def multipart_file(raw: bytes, content_type: str, field: str) -> tuple[str, bytes]:
    """The file name and bytes of one field of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return str(part.get_filename() or ""), payload
    raise Answer(422, {"message": f"no {field} in the form"})


class Items:
    """Mixed into the fake `Platform`: `gitea`, `base`, `ids` are its own."""

    gitea: bool
    base: str
    ids: Any
    state: dict[str, Any]
    drafts: bool  # False: GitHub refuses draft pull requests (a plan without them)

    def graphql(self, body: dict[str, Any]) -> dict[str, Any]:
        """`mutation($c0: CloseIssueInput!, ...) { c0: closeIssue(input: $c0) {...} ... }`:
        the only GraphQL a restore sends. GraphQL answers 200, with `errors` when it fails."""
        query, variables = body["query"], body.get("variables") or {}
        by_node = {
            issue.get("node_id"): issue for repo in self.state.values() for issue in repo.issues
        }
        data: dict[str, Any] = {}
        calls = re.findall(r"(\w+): (\w+)\(input: \$(\w+)\)", query)
        if not calls:
            return {"errors": [{"message": "no mutation understood"}]}
        for alias, mutation, variable in calls:
            node = (variables.get(variable) or {}).get("issueId")
            issue = by_node.get(node)
            if mutation != "closeIssue" or issue is None or "pull_request" in issue:
                message = f"Could not resolve to a node with the global id of '{node}'"
                return {"data": None, "errors": [{"message": message}]}
            reason = (variables.get(variable) or {}).get("stateReason") or "COMPLETED"
            if reason not in ("COMPLETED", "NOT_PLANNED", "DUPLICATE"):
                return {"data": None, "errors": [{"message": f"bad stateReason {reason}"}]}
            issue.update(state="closed", state_reason=reason.lower())
            data[alias] = {"issue": {"number": issue["number"]}}
        return {"data": data}

    def new_pull(self, repo: Any, body: dict[str, Any]) -> dict[str, Any]:
        head, base = _commit(repo.folder, body["head"]), _commit(repo.folder, body["base"])
        if head is None or base is None:
            raise Answer(422, {"message": "Validation Failed", "errors": [{"field": "head"}]})
        if _ancestor(repo.folder, head, base):
            missing = f"No commits between {body['base']} and {body['head']}"
            raise Answer(422, {"message": "Validation Failed", "errors": [{"message": missing}]})
        for other in repo.pulls.values():
            same = (other["head"]["ref"], other["base"]["ref"]) == (body["head"], body["base"])
            if same and other["state"] == "open":
                raise Answer(409 if self.gitea else 422, {"message": "pull request exists"})
        if self.gitea and "draft" in body:
            raise Answer(
                422, {"message": "[draft]: unknown field"}
            )  # not in CreatePullRequestOption
        if body.get("draft") and not self.gitea and not self.drafts:
            message = "Draft pull requests are not supported in this repository."
            raise Answer(422, {"message": "Validation Failed", "errors": [{"message": message}]})
        number = len(repo.issues) + 1
        labels, milestone = self.refs_of(repo, body) if self.gitea else ([], None)
        side = {"repo": {"full_name": repo.full_name}}
        pull = {
            "id": next(self.ids),
            "number": number,
            "title": body["title"],
            "body": body.get("body"),
            "state": "open",
            "user": {"login": USER},
            "head": {"ref": body["head"], "sha": head, **side},
            "base": {"ref": body["base"], "sha": base, **side},
            "merged": False,
            "draft": bool(body.get("draft")) and not self.gitea,  # Gitea: no such option
            "labels": labels,
            "milestone": milestone,
        }
        repo.pulls[number] = pull
        marker = {"merged": False} if self.gitea else {"url": f"{self.base}/pulls/{number}"}
        as_issue = {**pull, "pull_request": marker, "comments": 0}
        as_issue.pop("head")
        as_issue.pop("base")
        repo.issues.append(as_issue)
        return pull

    def refs_of(self, repo: Any, body: dict[str, Any]) -> tuple[list[Any], Any]:
        """The labels and milestone an issue's (or pull request's) body names."""
        key = "id" if self.gitea else "name"
        labels = [label for label in repo.labels if label[key] in body.get("labels", [])]
        key = "id" if self.gitea else "number"
        milestone = next((m for m in repo.milestones if m[key] == body.get("milestone")), None)
        return labels, milestone

    def edit(self, repo: Any, issue: dict[str, Any], body: dict[str, Any]) -> None:
        """PATCH of an issue (or of a pull request through it): state, labels, milestone."""
        issue["state"] = body.get("state", issue["state"])
        labels, milestone = self.refs_of(repo, body)
        if "labels" in body:
            issue["labels"] = labels
        if "milestone" in body:
            issue["milestone"] = milestone
        pull = repo.pulls.get(issue["number"])
        if pull is not None:
            pull.update(state=issue["state"], labels=issue["labels"])
            pull["milestone"] = issue["milestone"]

    def new_release(self, repo: Any, body: dict[str, Any]) -> dict[str, Any]:
        tag = body["tag_name"]
        if any(r["tag_name"] == tag for r in repo.releases):
            raise Answer(409 if self.gitea else 422, {"message": "Release already exists"})
        if f"refs/tags/{tag}" not in repo.refs() and not body.get("draft"):
            raise Answer(422, {"message": f"tag {tag} does not exist"})
        release_id = next(self.ids)
        release = {
            "id": release_id,
            "tag_name": tag,
            "name": body.get("name"),
            "body": body.get("body"),
            "draft": bool(body.get("draft")) and not self.gitea,  # Gitea: no such option
            "prerelease": bool(body.get("prerelease")),
            "author": {"login": USER},
            "assets": [],
        }
        if not self.gitea:
            path = f"/api/uploads/repos/{repo.full_name}/releases/{release_id}/assets"
            release["upload_url"] = f"{self.base}{path}{{?name,label}}"
        repo.releases.append(release)
        return release

    def upload(self, repo: Any, release_id: int, name: str, data: bytes) -> dict[str, Any]:
        release = next((r for r in repo.releases if r["id"] == release_id), None)
        if release is None:
            raise Answer(404, {"message": "Not Found"})
        if not name or any(a["name"] == name for a in release["assets"]):
            raise Answer(422, {"message": "Validation Failed", "errors": [{"field": "name"}]})
        asset_id = next(self.ids)
        asset = {
            "id": asset_id,
            "name": name,
            "size": len(data),
            "browser_download_url": f"{self.base}/{repo.full_name}/releases/download/"
            f"{release['tag_name']}/{name}",
        }
        release["assets"].append(asset)
        repo.assets[asset_id] = data
        return asset

    def upload_request(
        self, repo: Any, release_id: int, query: dict[str, str], raw: bytes, content_type: str
    ) -> dict[str, Any]:
        """Gitea: multipart with the file in `attachment` (its name by `name`, else the
        file's); GitHub: the raw bytes, named by `name`."""
        if self.gitea:
            file, data = multipart_file(raw, content_type, "attachment")
            return self.upload(repo, release_id, query.get("name") or file, data)
        if content_type != "application/octet-stream":
            raise Answer(422, {"message": "Bad Content-Type"})
        return self.upload(repo, release_id, query.get("name", ""), raw)
