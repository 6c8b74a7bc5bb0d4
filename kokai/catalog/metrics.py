"""The KPIs a city's DX plan reports (`metrics_report`, `kokai metrics report`).

For a period of whole days (``from`` and ``to`` included), by calendar month:

- **Datasets published** (公開データセット数): per month, the datasets first
  published in that month and the cumulative count at its end, from
  ``metadata_created`` of the datasets that are public today (active, not
  private, type dataset). A dataset withdrawn since then is not counted in any
  month; one made public long after it was created counts from its creation.
- **Downloads** (ダウンロード数): ``tracking_download`` rows, CKAN's
  semantics: one per visitor per URL per UTC day, by the server
  (kokai.catalog.tracking) or from imported access logs
  (kokai.catalog.access_log). Per month and per dataset and month.
- **Unique downloaders** (ユニーク利用者数): visitor keys are salted per day,
  so a visitor can only be recognised within one day. The monthly figure is
  the *sum of each day's distinct visitors*: someone who downloads on three
  days of a month counts three times. The report says so.
- **GTFS pulls** (GTFS フィードの取得): fetches (200) and checks (304, "not
  modified") of the feed URLs per consumer family (Google, NAVITIME, Jorudan,
  the GTFS data repository, other), per month and dataset.
- **二次利用件数**: approved reuses (kokai.catalog.reuses) as of now, by kind
  and per dataset, and those approved during the period.
- Whether **demo data** is included: an access log imported with ``--demo``
  whose days overlap the period.

Downloads and pulls are public in CKAN (``tracking_summary``), so anyone may
read the report; per-dataset figures (and the totals) cover the datasets the
caller may read: anonymous callers see public datasets only, the site
(the CLI) and sysadmins see every dataset, deleted ones included.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import distinct, extract, func, or_, select

from kokai.catalog import auth
from kokai.catalog.access_log import AccessLogImport
from kokai.catalog.models import Package
from kokai.catalog.reuses import REUSE_TYPES, approved_between, approved_counts
from kokai.catalog.tracking import GtfsFeedFetch, TrackingDownload
from kokai.catalog.user_agents import ConsumerFamily

MAX_MONTHS = 120
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

FAMILY_LABELS = {
    ConsumerFamily.GOOGLE.value: "Google",
    ConsumerFamily.NAVITIME.value: "NAVITIME",
    ConsumerFamily.JORUDAN.value: "ジョルダン",
    ConsumerFamily.GTFS_DATA_REPOSITORY.value: "GTFSデータリポジトリ",
    ConsumerFamily.OTHER.value: "その他",
}

NOTES = {
    "downloads": {
        "ja": "ダウンロード数は、同じ利用者が同じ URL を同じ日（UTC）に何度取得しても1回と数えます"
        "（CKAN と同じ数え方）。",
        "en": "A download is counted once per visitor per URL per UTC day (as CKAN counts).",
    },
    "unique_downloaders": {
        "ja": "ユニーク利用者数は「日ごとのユニーク利用者数」の合計です。利用者を識別するキーは日ごとに"
        "変わる（個人を追跡しない）ため、同じ人が月に3日ダウンロードすると3人と数えます。",
        "en": "Unique downloaders are daily unique visitors summed over the month: visitor keys "
        "change every day (no one is tracked across days), so a person downloading on three "
        "days counts three times.",
    },
    "datasets_published": {
        "ja": "公開データセット数は、現在公開中のデータセットの作成日（metadata_created）で数えます。",
        "en": "Datasets published counts the datasets public today by their metadata_created.",
    },
    "reuses": {
        "ja": "二次利用件数は承認済みの活用事例の数です（承認待ち・却下は含みません）。",
        "en": "Reuses are approved reuses (pending and rejected ones are not counted).",
    },
}
DEMO_NOTE = {
    "ja": "このレポートにはデモ用に生成したアクセスログのデータが含まれています。",
    "en": "This report includes generated demo access-log data.",
}


class PeriodError(ValueError):
    """A `from` / `to` that is not YYYY-MM or YYYY-MM-DD, or an empty period."""


def parse_bound(value: str, end: bool) -> date:
    """YYYY-MM (the month's first day, or its last when `end`) or YYYY-MM-DD."""
    text = value.strip()
    try:
        match = _DAY.fullmatch(text)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        match = _MONTH.fullmatch(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            return date(year, month, monthrange(year, month)[1] if end else 1)
    except ValueError:
        pass
    raise PeriodError(
        f"日付は YYYY-MM か YYYY-MM-DD で指定してください / Must be YYYY-MM or YYYY-MM-DD: {value}"
    )


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 12 calendar months, the current one included."""
    today = today or datetime.now(UTC).date()
    year, month = today.year, today.month - 11
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1), today


def months_between(start: date, end: date) -> list[str]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return months


def _month_of(year: Any, month: Any) -> str:
    return f"{int(year):04d}-{int(month):02d}"


def _visible(context: Any, column) -> list:
    """Conditions limiting rows of `column` (a package id) to datasets the caller
    may read; none for sysadmins and the site."""
    if auth.is_sysadmin(context):
        return []
    readable = auth.readable_org_ids(context) or set()
    public = Package.private.is_(False)
    allowed = or_(public, Package.owner_org.in_(list(readable))) if readable else public
    visible = select(Package.id).where(
        Package.state == "active", Package.type == "dataset", allowed
    )
    return [column.in_(visible)]


def _dataset_labels(session, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    ids = list(ids)
    labels: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Package.id, Package.name, Package.title).where(
                Package.id.in_(ids[start : start + 500])
            )
        )
        labels.update({pid: (name, title or name) for pid, name, title in rows})
    return labels


def build_report(context: Any, start: date, end: date) -> dict[str, Any]:
    """The report of [start, end] (see the module docstring) as plain JSON values."""
    if end < start:
        raise PeriodError("期間の終わりが始まりより前です / `to` is before `from`")
    months = months_between(start, end)
    if len(months) > MAX_MONTHS:
        raise PeriodError(f"期間は {MAX_MONTHS} か月までです / at most {MAX_MONTHS} months")
    session = context.session
    config = context.config
    after = end + timedelta(days=1)
    start_dt = datetime.combine(start, datetime.min.time())
    after_dt = datetime.combine(after, datetime.min.time())

    # ------------------------------------------------ datasets published
    # counted by the database: the catalog may hold many thousands of datasets
    public = (Package.state == "active", Package.type == "dataset", Package.private.is_(False))
    created = Package.metadata_created
    public_now = session.scalar(select(func.count()).where(*public))
    before = session.scalar(select(func.count()).where(*public, created < start_dt))
    published = {m: 0 for m in months}
    cyear, cmonth = extract("year", created), extract("month", created)
    for y, m, count in session.execute(
        select(cyear, cmonth, func.count())
        .where(*public, created >= start_dt, created < after_dt)
        .group_by(cyear, cmonth)
    ):
        published[_month_of(y, m)] += int(count)
    before = int(before or 0)
    cumulative = before
    published_rows = []
    for month in months:
        cumulative += published[month]
        published_rows.append(
            {"month": month, "published": published[month], "cumulative": cumulative}
        )

    # ------------------------------------------------ downloads
    td = TrackingDownload
    in_period = (td.day >= start, td.day <= end, *_visible(context, td.package_id))
    year, month_ = extract("year", td.day), extract("month", td.day)
    per_dataset_month = session.execute(
        select(td.package_id, year, month_, func.count())
        .where(*in_period)
        .group_by(td.package_id, year, month_)
    ).all()
    daily_unique = session.execute(
        select(td.day, func.count(distinct(td.visitor_key))).where(*in_period).group_by(td.day)
    ).all()
    by_month = {m: {"month": m, "downloads": 0, "unique_downloaders": 0} for m in months}
    by_dataset: dict[str, dict[str, int]] = {}
    for package_id, y, m, count in per_dataset_month:
        month = _month_of(y, m)
        by_month[month]["downloads"] += int(count)
        by_dataset.setdefault(package_id, {})[month] = int(count)
    for day, visitors in daily_unique:
        by_month[f"{day.year:04d}-{day.month:02d}"]["unique_downloaders"] += int(visitors)

    # ------------------------------------------------ GTFS pulls
    gf = GtfsFeedFetch
    gyear, gmonth = extract("year", gf.day), extract("month", gf.day)
    pulls = session.execute(
        select(
            gf.package_id, gf.family, gyear, gmonth, func.sum(gf.fetches), func.sum(gf.not_modified)
        )
        .where(gf.day >= start, gf.day <= end, *_visible(context, gf.package_id))
        .group_by(gf.package_id, gf.family, gyear, gmonth)
    ).all()
    families = [family.value for family in ConsumerFamily]
    pull_family = {f: {"fetches": 0, "not_modified": 0} for f in families}
    pull_month: dict[tuple[str, str], dict[str, int]] = {}
    pull_dataset: dict[tuple[str, str], dict[str, int]] = {}
    for package_id, family, y, m, fetches, checks in pulls:
        fetches, checks = int(fetches or 0), int(checks or 0)
        for bucket in (
            pull_family.setdefault(family, {"fetches": 0, "not_modified": 0}),
            pull_month.setdefault((_month_of(y, m), family), {"fetches": 0, "not_modified": 0}),
            pull_dataset.setdefault((package_id, family), {"fetches": 0, "not_modified": 0}),
        ):
            bucket["fetches"] += fetches
            bucket["not_modified"] += checks

    # ------------------------------------------------ reuses
    total_reuses, reuses_by_type, reuses_by_dataset = approved_counts(session)
    labels = _dataset_labels(
        session, set(by_dataset) | {pid for pid, _ in pull_dataset} | set(reuses_by_dataset)
    )
    readable_reuse_datasets = []
    if reuses_by_dataset:
        rows = session.execute(
            select(Package.id, Package.private, Package.state, Package.owner_org).where(
                Package.id.in_(list(reuses_by_dataset)), Package.type == "dataset",
                Package.state == "active",
            )
        )  # fmt: skip
        readable_reuse_datasets = [
            pid for pid, private, state, org in rows
            if auth.can_read_package(context, private, state, org)
        ]  # fmt: skip

    def label(pid: str) -> dict[str, str]:
        name, title = labels.get(pid, (pid, "（削除されたデータセット）"))
        return {"id": pid, "name": name, "title": title}

    # ------------------------------------------------ demo data
    demo_imports = session.execute(
        select(AccessLogImport.name, AccessLogImport.first_day, AccessLogImport.last_day,
               AccessLogImport.imported)
        .where(AccessLogImport.demo.is_(True))
        .order_by(AccessLogImport.imported)
    ).all()  # fmt: skip
    demo = [
        {"name": name, "first_day": first.isoformat() if first else None,
         "last_day": last.isoformat() if last else None, "imported": imported.isoformat()}
        for name, first, last, imported in demo_imports
        if first is not None and last is not None and first <= end and last >= start
    ]  # fmt: skip

    downloads_total = sum(row["downloads"] for row in by_month.values())
    dataset_rows = [
        {**label(pid), "total": sum(counts.values()),
         "by_month": {m: counts.get(m, 0) for m in months}}
        for pid, counts in by_dataset.items()
    ]  # fmt: skip
    dataset_rows.sort(key=lambda r: (-r["total"], r["name"]))
    notes = [{"key": key, **text} for key, text in NOTES.items()]
    if demo:
        notes.insert(0, {"key": "demo_data", **DEMO_NOTE})
    return {
        "report": "kokai-metrics",
        "version": 1,
        "generated": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "site": {
            "title": config.city_name or "kokai",
            "url": config.site_url,
            "city_code": config.city_code,
        },  # fmt: skip
        "period": {"from": start.isoformat(), "to": end.isoformat(), "months": months},
        "demo_data": {"included": bool(demo), "imports": demo},
        "notes": notes,
        "datasets_published": {
            "public_now": int(public_now or 0),
            "before_period": before,
            "by_month": published_rows,
        },
        "downloads": {
            "total": downloads_total,
            "unique_downloaders": sum(row["unique_downloaders"] for row in by_month.values()),
            "unique_downloaders_method": "daily_unique_visitors_summed",
            "by_month": [by_month[m] for m in months],
            "by_dataset": dataset_rows,
        },
        "gtfs_pulls": {
            "families": [{"family": f, "label": FAMILY_LABELS.get(f, f)} for f in pull_family],
            "by_family": [{"family": f, **counts} for f, counts in pull_family.items()],
            "by_month": [
                {
                    "month": m,
                    "family": f,
                    **pull_month.get((m, f), {"fetches": 0, "not_modified": 0}),
                }
                for m in months
                for f in pull_family
            ],
            "by_dataset": sorted(
                (
                    {**label(pid), "family": f, **counts}
                    for (pid, f), counts in pull_dataset.items()
                ),
                key=lambda r: (
                    r["name"],
                    families.index(r["family"]) if r["family"] in families else 99,
                ),
            ),
        },
        "reuses": {
            "total": total_reuses,
            "approved_in_period": approved_between(session, start_dt, after_dt),
            "by_type": {kind: reuses_by_type.get(kind, 0) for kind in REUSE_TYPES},
            "by_dataset": sorted(
                (
                    {**label(pid), "count": reuses_by_dataset[pid]}
                    for pid in readable_reuse_datasets
                ),
                key=lambda r: (-r["count"], r["name"]),
            ),
        },
    }
