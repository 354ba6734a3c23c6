"""Backup storage records: a local folder or an S3-compatible bucket."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from repovault.common.clock import now_ms
from repovault.common.ids import new_id
from repovault.db import Base

SEALED = "Sealed"  # a secret setting is stored sealed under its name plus this


class Storage(Base):
    __tablename__ = "storages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(400), unique=True)
    type: Mapped[int] = mapped_column(Integer)
    # The backend type's settings; a secret one (`secretAccessKey`) is kept sealed under its
    # name plus `SEALED` (`secretAccessKeySealed`).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)

    @property
    def public_settings(self) -> dict[str, Any]:
        """The settings without the sealed secrets: what is ever shown."""
        return {k: v for k, v in self.settings.items() if not k.endswith(SEALED)}
