"""A snapshot's branches and tags pushed to a new repository on a platform (a restore into
an organization). Unlike `restore_to_url`, which mirrors every ref, only `refs/heads/*` and
`refs/tags/*` go: platforms refuse `refs/pull/*` and the like. A push is idempotent: run
again, it moves nothing that is already there.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import structlog

from repovault.engine import git as g
from repovault.engine import ssh
from repovault.engine.errors import PushFailed
from repovault.engine.manifest import Manifest, chain
from repovault.engine.restore import materialize, pick
from repovault.engine.vault import Vault

log = structlog.get_logger(__name__)

PUSHED = ("refs/heads/", "refs/tags/")


def pushed_refs(refs: dict[str, str]) -> list[str]:
    """The refs a platform restore pushes (branches and tags), sorted."""
    return sorted(ref for ref in refs if ref.startswith(PUSHED))


def lfs_objects(manifests: dict[str, Manifest], snapshot: str) -> int:
    """How many LFS objects a snapshot's chain holds (a push sends them all)."""
    return len({oid for m in chain(manifests, snapshot) for oid in m.content.lfs})


def push_heads_and_tags(
    vault: Vault, snapshot: str, url: str, credentials: g.Credentials | None
) -> list[str]:
    """Push the snapshot's branches and tags (and LFS objects) to `url`; the warnings (refs
    the target refused, LFS objects it did not take)."""
    manifests, choice = pick(vault, snapshot)
    manifest = choice.manifest
    with tempfile.TemporaryDirectory(prefix="repovault-push-") as scratch:
        repo = Path(scratch) / "repo.git"
        g.Git().run(["init", "--quiet", "--bare", str(repo)])
        materialize(vault, manifest, manifests, repo)
        with g.transfer(credentials, url) as (target, transfer):
            git = g.Git(repo, transfer)
            specs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
            pushed = git.run(["push", "--porcelain", "--", target, *specs], check=False)
            refused = [
                f"the target refused {line[1:].strip()}"
                for line in g.decode(pushed.stdout).splitlines()
                if line.startswith("!")
            ]
            if pushed.returncode != 0 and not refused:
                stderr = g.decode(pushed.stderr)
                reason = ssh.refusal(stderr) or stderr.strip()[:500]
                raise PushFailed(f"push to {g.redact(target)} failed: {reason}")
            lfs = lfs_objects(manifests, manifest.id)
            if lfs:
                sent = git.run(["lfs", "push", "--all", target], check=False)
                if sent.returncode != 0:
                    why = g.decode(sent.stderr).strip().splitlines() or ["no reason given"]
                    refused.append(
                        f"the {lfs} LFS object(s) were not carried over: git lfs push failed "
                        f"({g.redact(why[-1])[:300]}); the branches point at their pointers"
                    )
    log.info("branches and tags pushed", snapshot=manifest.id, target=g.redact(url))
    return refused
