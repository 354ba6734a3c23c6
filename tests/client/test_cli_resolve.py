"""Ids, unique id prefixes and names as arguments (`cli/remote/resolve.py`)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from repovault.cli import app


def _json(cli: CliRunner, *args: str) -> object:
    done = cli.invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def _plan(cli: CliRunner, tmp_path: Path, org_id: str) -> str:
    path = tmp_path / f"{org_id}.json"
    path.write_text(json.dumps({"name": "nightly", "organizationId": org_id, "gitChoiceMode": 1}))
    plan = _json(cli, "plans", "create", "--file", str(path))
    assert isinstance(plan, dict)
    return str(plan["id"])


def test_names_and_prefixes_name_what_they_are_unique_for(cli: CliRunner, tmp_path: Path) -> None:
    alpha = _json(cli, "orgs", "add", "git", "alpha", "--api-url", tmp_path.as_uri())
    beta = _json(cli, "orgs", "add", "git", "beta", "--api-url", tmp_path.as_uri())
    assert isinstance(alpha, dict)
    assert isinstance(beta, dict)
    # A name: the organization of that name.
    assert _json(cli, "plans", "list", "alpha") == []
    first = _plan(cli, tmp_path, alpha["id"])
    second = _plan(cli, tmp_path, beta["id"])
    listed = _json(cli, "plans", "list", "beta")
    assert isinstance(listed, list)
    assert [p["id"] for p in listed] == [second]
    # A unique id prefix (at least 4 characters), as git takes them.
    got = _json(cli, "plans", "get", first[:8])
    assert isinstance(got, dict)
    assert got["id"] == first
    # A name two plans have: refused, listing both.
    both = cli.invoke(app, ["plans", "get", "nightly"])
    assert both.exit_code == 2
    assert first in both.output
    assert second in both.output
    short = cli.invoke(app, ["orgs", "sync", alpha["id"][:3]])
    assert short.exit_code == 2
    assert "at least 4 characters" in short.output
    assert cli.invoke(app, ["orgs", "sync", "no-such-org"]).exit_code == 2
    # A repository by its full name, found through the organizations' list calls.
    source = tmp_path / "app.git"
    source.mkdir()
    added = cli.invoke(app, ["repos", "add", "alpha", source.as_uri()])
    assert added.exit_code == 0, added.output
    (repo,) = _json(cli, "repos", "list", alpha["id"][:6])  # type: ignore[misc]
    assert _json(cli, "repos", "snapshots", repo["name"]) == []
    assert _json(cli, "repos", "snapshots", repo["id"][:5]) == []
    # A full id is used as is.
    assert cli.invoke(app, ["orgs", "modify", beta["id"], "--name", "gamma"]).exit_code == 0
    assert cli.invoke(app, ["orgs", "modify", "gamma", "--name", "delta"]).exit_code == 0


def test_plans_create_from_options(cli: CliRunner, tmp_path: Path) -> None:
    org = cli.invoke(app, ["orgs", "add", "git", "acme", "--api-url", tmp_path.as_uri()])
    assert org.exit_code == 0, org.output
    source = tmp_path / "lib.git"
    source.mkdir()
    added = cli.invoke(app, ["repos", "add", "acme", source.as_uri()])
    assert added.exit_code == 0, added.output
    repository = added.stdout.strip()
    (listed,) = _json(cli, "repos", "list", "acme")  # type: ignore[misc]
    made = _json(
        cli, "plans", "create", "--name", "weekly", "--org", "acme", "--repository", listed["name"]
    )
    assert isinstance(made, dict)
    plan = _json(cli, "plans", "get", "weekly")
    assert isinstance(plan, dict)
    assert plan["id"] == made["id"]
    assert plan["repositoriesIds"] == [repository]
    assert plan["gitChoiceMode"] == 2
    everything = _json(cli, "plans", "create", "--name", "all", "--org", "acme")
    assert isinstance(everything, dict)
    nameless = cli.invoke(app, ["plans", "create", "--org", "acme"])
    assert nameless.exit_code == 2
    assert "give --name" in nameless.output
    assert _json(cli, "tasks", "list", "--status", "failed") == []
    assert _json(cli, "tasks", "list", "--plan", "weekly", "--repository", listed["name"]) == []
    unknown = cli.invoke(app, ["tasks", "list", "--plan", "monthly"])
    assert unknown.exit_code == 2
    assert "no plan has the id or name 'monthly'" in unknown.output
