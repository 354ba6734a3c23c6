"""Organizations and, for Azure DevOps, their projects and wikis."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repovault.common.clock import now_ms
from repovault.common.ids import new_id
from repovault.db import Base


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (Index("ix_organizations_name", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    driver: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(400))
    api_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    username: Mapped[str | None] = mapped_column(String(400), default=None)
    # Platform credentials, sealed with the server key (common.secrets); never returned.
    token_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    # Further tokens for large organizations, used in turn when one is rate limited.
    extra_tokens_sealed: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Instead of a token: a file to read it from at every use, or a GitHub App (sealed JSON).
    token_file: Mapped[str | None] = mapped_column(String(1000), default=None)
    github_app_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    # Git over SSH: the private key (sealed), the pinned host keys, and trust on first use.
    ssh_key_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    ssh_known_hosts: Mapped[str | None] = mapped_column(Text, default=None)
    ssh_accept_new: Mapped[bool] = mapped_column(Boolean, default=False)
    is_read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    is_created_by_marketplace: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_add_new_repositories: Mapped[bool] = mapped_column(Boolean, default=False)
    default_worker_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("workers.id", ondelete="SET NULL"), default=None
    )
    synchronization_in_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sync_start: Mapped[int] = mapped_column(BigInteger, default=0)
    sync_requested_at: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class Project(Base):
    """An Azure DevOps project, the unit Azure plans select."""

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_org_server", "organization_id", "server_id", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE")
    )
    server_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))


class Wiki(Base):
    """An Azure DevOps wiki (a git repository of its own)."""

    __tablename__ = "wikis"
    __table_args__ = (Index("ix_wikis_org_server", "organization_id", "server_id", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE")
    )
    project_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("projects.id", ondelete="CASCADE"), default=None
    )
    server_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    url: Mapped[str] = mapped_column(String(2000), default="")
