"""The publish log: one row per publish of a dataset folder, published or refused.

A published row is a version of the dataset: its number (1, 2, … per dataset),
when and by whom, the data package descriptor and the manifest of its files
(sha256, size, rows) as they were published, what changed since the version
before, and the validation summary. `kokai history` reads it and
`kokai rollback` republishes a version from it. A refused row records that a
publish was refused and why (the summary), so `kokai status` can list
datasets whose last publish was refused; it changes nothing else. A restored
row says that, after a refusal, the folder is again what is published (staff
undid the change), which ends the refusal's alert.

Rows are written by the publish pipeline in the same transaction as the
catalog change they describe, so the log and the catalog never disagree.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kokai.catalog.models import Base, utcnow

PUBLISHED = "published"
REFUSED = "refused"
RESTORED = "restored"  # after a refusal, the folder matches the published version again
STATUSES = (PUBLISHED, REFUSED, RESTORED)


class PublishRecord(Base):
    __tablename__ = "publish_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_name: Mapped[str] = mapped_column(String(100), index=True)
    package_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int | None] = mapped_column(Integer)  # None for a refusal
    status: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(200), default="")
    content_key: Mapped[str] = mapped_column(String(64), default="")
    descriptor: Mapped[str] = mapped_column(Text, default="{}")
    manifest: Mapped[str] = mapped_column(Text, default="{}")
    changes: Mapped[str] = mapped_column(Text, default="{}")
    summary: Mapped[str] = mapped_column(Text, default="{}")
    message: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_publish_record_package_version", "package_name", "version", unique=True),
    )


def record_dict(record: PublishRecord, full: bool = False) -> dict[str, Any]:
    """The record as actions return it; `full` adds the descriptor (for rollback)."""
    out = {
        "id": record.id,
        "package_name": record.package_name,
        "package_id": record.package_id,
        "version": record.version,
        "status": record.status,
        "created": record.created.isoformat(),
        "by": record.by,
        "content_key": record.content_key,
        "manifest": json.loads(record.manifest),
        "changes": json.loads(record.changes),
        "summary": json.loads(record.summary),
        "message": record.message,
    }
    if full:
        out["descriptor"] = json.loads(record.descriptor)
    return out
