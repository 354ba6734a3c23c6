"""no credentials in stored URLs

Before 0008 a URL given with a token before `@` (`https://TOKEN@host/x.git`) was stored as
it came and returned as `serverId`/`url` to every reader. This removes the user and password
from every stored repository URL, wiki URL and organization `apiUrl` (an ssh login name such
as `ssh://git@host/...` stays: it is no secret). The organization's token authenticates those
repositories from now on. When the cleaned URL is already another repository's identity in the
same organization, the cleaned row's `serverId` gets a `#duplicate-<id>` suffix, so both rows
and their backups are kept; the migration log names every row it changed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:40:00
"""

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("repovault.migrations")


def _clean(url: str | None) -> str | None:
    """The URL without its user and password (an ssh login name stays)."""
    if not url:
        return url
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or (parts.scheme == "ssh" and ":" not in userinfo):
        return url
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def upgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    repositories = sa.Table("repositories", meta, autoload_with=conn)
    organizations = sa.Table("organizations", meta, autoload_with=conn)
    for org_id, api_url in conn.execute(sa.select(organizations.c.id, organizations.c.api_url)):
        cleaned = _clean(api_url)
        if cleaned != api_url:
            conn.execute(
                organizations.update().where(organizations.c.id == org_id).values(api_url=cleaned)
            )
            log.warning("0008: organization %s: credentials removed from apiUrl", org_id)
    rows = conn.execute(
        sa.select(
            repositories.c.id,
            repositories.c.organization_id,
            repositories.c.server_id,
            repositories.c.url,
            repositories.c.wiki_url,
        )
    ).all()
    taken = {(row.organization_id, row.server_id) for row in rows}
    for row in rows:
        url, wiki_url, server_id = _clean(row.url), _clean(row.wiki_url), _clean(row.server_id)
        if (url, wiki_url, server_id) == (row.url, row.wiki_url, row.server_id):
            continue
        if server_id != row.server_id and (row.organization_id, server_id) in taken:
            server_id = f"{server_id}#duplicate-{row.id[:8]}"
        taken.add((row.organization_id, server_id))
        conn.execute(
            repositories.update()
            .where(repositories.c.id == row.id)
            .values(url=url, wiki_url=wiki_url, server_id=server_id)
        )
        log.warning(
            "0008: repository %s: credentials removed from its URL; its organization's token "
            "authenticates it from now on (set one with /git/organizations/modify)",
            row.id,
        )


def downgrade() -> None:
    """The removed credentials are gone for good; nothing to restore."""
