"""Actions of the publish log (kokai/catalog/publish_log.py)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from kokai.catalog.actions import action
from kokai.catalog.auth import check_access
from kokai.catalog.context import Context
from kokai.catalog.errors import NotFound, ValidationError
from kokai.catalog.models import Package
from kokai.catalog.publish_log import PUBLISHED, STATUSES, PublishRecord, record_dict
from kokai.catalog.validation import MISSING_VALUE

_JSON_FIELDS = ("descriptor", "manifest", "changes", "summary")
MAX_LIST = 1000


def _text(data: dict, key: str, limit: int, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({key: ["Must be a string"]})
    if required and not value:
        raise ValidationError({key: [MISSING_VALUE]})
    if len(value) > limit:
        raise ValidationError({key: [f"Must be at most {limit} characters"]})
    return value


def _natural(data: dict, key: str, default: int) -> int:
    try:
        value = int(data.get(key, default))
    except (TypeError, ValueError):
        raise ValidationError({key: ["Invalid integer"]}) from None
    if value < 0:
        raise ValidationError({key: ["Must be a natural number"]})
    return value


@action()
def publish_record_create(context: Context, data_dict: dict) -> dict:
    """Record one publish of a dataset: package_name, status (published |
    refused | restored), by, content_key, descriptor, manifest, changes, summary (JSON
    objects), message. A published record gets the dataset's next version number."""
    check_access("publish_record_create", context, data_dict)
    session = context.session
    name = _text(data_dict, "package_name", 100, required=True)
    status = data_dict.get("status")
    if status not in STATUSES:
        raise ValidationError({"status": [f"Must be one of {', '.join(STATUSES)}"]})
    fields: dict[str, Any] = {}
    for key in _JSON_FIELDS:
        value = data_dict.get(key, {})
        if not isinstance(value, dict):
            raise ValidationError({key: ["Must be a JSON object"]})
        fields[key] = json.dumps(value, ensure_ascii=False, sort_keys=True)
    version = None
    if status == PUBLISHED:
        latest = session.scalar(
            select(func.max(PublishRecord.version)).where(PublishRecord.package_name == name)
        )
        version = (latest or 0) + 1
    package_id = session.scalar(select(Package.id).where(Package.name == name))
    record = PublishRecord(
        package_name=name,
        package_id=package_id,
        version=version,
        status=status,
        by=_text(data_dict, "by", 200),
        content_key=_text(data_dict, "content_key", 64),
        message=_text(data_dict, "message", 10_000),
        **fields,
    )
    session.add(record)
    session.flush()
    return record_dict(record)


@action(side_effect_free=True)
def publish_record_list(context: Context, data_dict: dict) -> list[dict]:
    """The log, newest first: of one dataset (`id`, its name) or of all;
    `latest`: only the newest record per dataset; `status`: only published or
    refused records; `limit` (default and at most 1000) and `offset` page through it."""
    check_access("publish_record_list", context, data_dict)
    query = select(PublishRecord)
    name = data_dict.get("id")
    if name:
        query = query.where(PublishRecord.package_name == str(name))
    status = data_dict.get("status")
    if status is not None:
        if status not in STATUSES:
            raise ValidationError({"status": [f"Must be one of {', '.join(STATUSES)}"]})
        query = query.where(PublishRecord.status == status)
    if data_dict.get("latest") in (True, "true", "True", "1"):
        newest = select(func.max(PublishRecord.id)).group_by(PublishRecord.package_name)
        if status is not None:
            newest = newest.where(PublishRecord.status == status)
        query = query.where(PublishRecord.id.in_(newest))
    limit = min(_natural(data_dict, "limit", MAX_LIST), MAX_LIST)
    offset = _natural(data_dict, "offset", 0)
    rows = context.session.scalars(query.order_by(PublishRecord.id.desc()).limit(limit).offset(offset))
    return [record_dict(r) for r in rows]


@action(side_effect_free=True)
def publish_record_show(context: Context, data_dict: dict) -> dict:
    """One published version of a dataset (`id`: its name, `version`), with the
    descriptor and manifest as published."""
    check_access("publish_record_show", context, data_dict)
    try:
        version = int(data_dict.get("version"))
    except (TypeError, ValueError):
        raise ValidationError({"version": ["Invalid integer"]}) from None
    record = context.session.scalar(
        select(PublishRecord).where(
            PublishRecord.package_name == str(data_dict.get("id") or ""),
            PublishRecord.version == version,
        )
    )
    if record is None:
        raise NotFound("Publish record was not found.")
    return record_dict(record, full=True)
