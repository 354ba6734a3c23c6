"""The words of an organization's archive (`runner/export_org.py`): its root folder's name
and the README.md at its top, for a person who has only the archive."""

from __future__ import annotations

import re
from datetime import UTC, datetime

README = """# {name}: every repository as it was at {at}

Exported by repovault: {scope}, each repository as its newest snapshot taken at or before
{at} (UTC) had it. Everything here is usable without repovault: git, git-lfs and any JSON
tool (jq).

- `index.json`: the same list for programs: each repository's `name`, `folder`,
  `snapshotId`, `takenAt`, `wikiSnapshotId` and its documents with their item counts, and
  under `skipped` the repositories left out and why.
- One folder per repository, named by its full name (`acme/app` is `acme_app/`), holding
  what the export of that one snapshot holds (its own README.md says more):
  - `repository.git/`: a bare git repository with every ref and object of the snapshot
    (`git clone <folder>/repository.git app`); its LFS objects in
    `repository.git/lfs/objects/`
    (`GIT_LFS_SKIP_SMUDGE=1 git clone "file://$PWD/<folder>/repository.git" app &&
    cd app && git lfs pull`);
  - `wiki.git/`: the wiki, when one was backed up;
  - `metadata/`: issues, pull requests, comments, reviews, releases, labels, milestones in
    the platform's own JSON, one file per kind, each a JSON array (one item a line), and
    the release files in `metadata/release-assets/<release>/`.

Check every repository at once:

    for r in */repository.git; do git -C "$r" fsck --full || echo "DAMAGED: $r"; done

## Repositories ({count})

{repositories}
## Skipped ({skipped_count})

{skipped}"""


def archive_root(name: str, at: int) -> str:
    """`<organization>-<at>`, safe as a file name (`acme-20261128T120000Z`)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip("._-")[:100] or "organization"
    return f"{safe}-{datetime.fromtimestamp(at / 1000, UTC).strftime('%Y%m%dT%H%M%SZ')}"


def readme(
    *,
    name: str,
    scope: str,
    at: str,
    repositories: list[tuple[str, str, str, str]],
    skipped: list[tuple[str, str]],
) -> str:
    """`repositories`: (folder, full name, snapshot id, taken at); `skipped`: (full name,
    why)."""
    listed = "".join(
        f"- `{folder}/`: {full} (snapshot {snapshot}, taken {taken})\n"
        for folder, full, snapshot, taken in repositories
    )
    left_out = "".join(f"- {full}: {why}\n" for full, why in skipped)
    return README.format(
        name=name,
        scope=scope,
        at=at,
        count=len(repositories),
        repositories=listed or "none\n",
        skipped_count=len(skipped),
        skipped=left_out or "none\n",
    )
