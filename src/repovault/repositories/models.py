"""Repositories: one row per repository of an organization, keyed by the platform's own id."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from repovault.common.clock import now_ms
from repovault.common.enums import RepositoryStatus
from repovault.common.ids import new_id
from repovault.db import Base


class Repository(Base):
    __tablename__ = "repositories"
    __table_args__ = (
        Index("ix_repositories_org_server", "organization_id", "server_id", unique=True),
        # Listing pages of one organization ordered by name, optionally filtered on removal.
        Index("ix_repositories_org_name", "organization_id", "name", "id"),
        Index("ix_repositories_org_removed_name", "organization_id", "is_removed", "name", "id"),
        Index(
            "ix_repositories_org_removed_licence", "organization_id", "is_removed", "licence_active"
        ),
        # The listing's facts that filters and plan rules select on most (0011).
        Index("ix_repositories_org_fork", "organization_id", "is_fork"),
        Index("ix_repositories_org_archived", "organization_id", "is_archived"),
        Index("ix_repositories_org_language", "organization_id", "language"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE")
    )
    project_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("projects.id", ondelete="SET NULL"), default=None, index=True
    )
    server_id: Mapped[str] = mapped_column(String(400))
    name: Mapped[str] = mapped_column(String(400))
    url: Mapped[str] = mapped_column(String(2000), default="")
    wiki_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    licence_active: Mapped[bool] = mapped_column(Boolean, default=False)
    is_removed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int] = mapped_column(Integer, default=RepositoryStatus.ACTIVE)
    last_backup: Mapped[int] = mapped_column(BigInteger, default=0)
    last_successful_backup: Mapped[int] = mapped_column(BigInteger, default=0)
    next_backup: Mapped[int] = mapped_column(BigInteger, default=0)
    last_backup_task_status: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    # What the platform's listing says (providers/facts.py), refreshed by each sync.
    is_fork: Mapped[bool] = mapped_column(Boolean, default=False)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(100), default=None)
    size_kb: Mapped[int | None] = mapped_column(BigInteger, default=None)
    default_branch: Mapped[str | None] = mapped_column(String(400), default=None)
    description: Mapped[str | None] = mapped_column(String(2000), default=None)
    last_push_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
