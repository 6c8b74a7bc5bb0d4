"""Freshness (柳川市: 常に最新のオープンデータ): what `kokai status` lists.

A pure function over the catalog's package dicts, the publish log's records
and the time now, returning alerts with a Japanese message that says what to
do. Three kinds:

- `overdue` (更新の遅れ): the time since the dataset's last change is longer
  than its update frequency allows (kokai.vocab.frequency: 毎日 1 day, 毎週 7,
  毎月 31, 四半期 92, 半年 184, 毎年 366). The last change is the `created` of
  the dataset's newest *published* record in the publish log, else the
  package's `metadata_modified` (a dataset put in the catalog some other way).
  Exactly the allowance is still on time; one second more is overdue. 随時 has
  no schedule and is never overdue; a dataset without a known frequency is
  not judged here (the quality score reports the missing frequency).
- `gtfs_expired` / `gtfs_expiring` (運行期間の終了): a resource's
  `gtfs_service_end` (the feed's last day of service, a local date) is before
  today, or at most 30 days ahead (30 days left is listed, 31 is not; 0 means
  the service ends today). "Today" is the date in Japan (UTC+9, no summer
  time), because GTFS-JP service dates are Japanese calendar dates.
- `refused` (公開の拒否): the dataset's newest record in the publish log is a
  refusal, so what the public sees is older than what staff tried to
  publish. A refusal followed by a successful publish is not listed.

`status_exit_code`: 1 when there is any alert, 0 otherwise. The issue asks for
1 when anything is overdue, so that a scheduled job alerts staff; an expired
or expiring timetable (route-search services drop the feed when it ends) and a
refused publish (the public data is not what staff meant to publish) each need
staff to act too, and a scheduled job sees only the exit status, so they give
1 as well. `--format json` tells the kinds apart.

Times: the catalog and the publish log store naive UTC; `now` may be naive
(taken as UTC) or aware. JSON output carries aware UTC ISO times; messages for
staff show Japan time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from kokai.catalog.dictize import extras_of
from kokai.vocab.frequency import UpdateFrequency, find_frequency, frequency_words

OVERDUE = "overdue"
GTFS_EXPIRED = "gtfs_expired"
GTFS_EXPIRING = "gtfs_expiring"
REFUSED = "refused"
KINDS = (OVERDUE, GTFS_EXPIRED, GTFS_EXPIRING, REFUSED)  # the order alerts are listed in
KIND_LABELS = {
    OVERDUE: ("更新の遅れ", "overdue"),
    GTFS_EXPIRED: ("運行期間の終了", "GTFS feed expired"),
    GTFS_EXPIRING: ("運行期間の終了間近", "GTFS feed expiring"),
    REFUSED: ("公開の拒否", "last publish refused"),
}
EXPIRY_WARNING_DAYS = 30
JST = timezone(timedelta(hours=9), "JST")


@dataclass(frozen=True)
class Alert:
    kind: str  # one of KINDS
    dataset: str  # the dataset's name
    title: str
    message_ja: str  # what is wrong and what to do
    message_en: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dataset": self.dataset,
            "title": self.title,
            "message": {"ja": self.message_ja, "en": self.message_en},
            "details": self.details,
        }


# ------------------------------------------------------------------ times


def utc_naive(value: Any) -> datetime | None:
    """A datetime (or an ISO text) as naive UTC; None when absent or unreadable.
    Naive input is taken as UTC, as the catalog stores it."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def iso_utc(value: datetime | None) -> str | None:
    """Naive UTC → ISO text with its offset, for machines."""
    return value.replace(tzinfo=UTC).isoformat() if value is not None else None


def japan_time(value: datetime) -> str:
    """Naive UTC → 'YYYY-MM-DD HH:MM' in Japan time, for staff."""
    return value.replace(tzinfo=UTC).astimezone(JST).strftime("%Y-%m-%d %H:%M")


def japan_today(now: datetime) -> date:
    return now.replace(tzinfo=UTC).astimezone(JST).date()


def parse_date(value: Any) -> date | None:
    """An ISO date (or the date part of an ISO datetime); None when unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) >= 10:
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


# ------------------------------------------------------------------ package and log helpers


def package_frequency(package: Mapping[str, Any]) -> UpdateFrequency | None:
    return find_frequency(extras_of(package).get("update_frequency"))


def _record_order(record: Mapping[str, Any]) -> tuple:
    # The log's ids grow with time; `created` orders records without one.
    created = utc_naive(record.get("created")) or datetime.min
    record_id = record.get("id")
    return (created, record_id if isinstance(record_id, int) else -1)


def newest_records(records: Iterable[Mapping[str, Any]]) -> tuple[dict[str, dict], dict[str, dict]]:
    """({dataset: its newest record}, {dataset: its newest published record})."""
    newest: dict[str, dict] = {}
    published: dict[str, dict] = {}
    for record in records:
        name = str(record.get("package_name") or "")
        if not name:
            continue
        if name not in newest or _record_order(record) > _record_order(newest[name]):
            newest[name] = dict(record)
        if record.get("status") == "published" and (
            name not in published or _record_order(record) > _record_order(published[name])
        ):
            published[name] = dict(record)
    return newest, published


def last_change(
    package: Mapping[str, Any] | None, published_record: Mapping[str, Any] | None
) -> datetime | None:
    """When the dataset last changed: its newest published record's `created`,
    else the package's `metadata_modified` (naive UTC), else None."""
    if published_record is not None:
        when = utc_naive(published_record.get("created"))
        if when is not None:
            return when
    if package is not None:
        return utc_naive(package.get("metadata_modified"))
    return None


@dataclass(frozen=True)
class Timeliness:
    """Whether a dataset is kept up to date at `now`."""

    frequency: UpdateFrequency | None
    last_change: datetime | None
    due: datetime | None  # last_change + allowance; None without a schedule
    overdue: bool


def timeliness(
    frequency: UpdateFrequency | None, last: datetime | None, now: datetime
) -> Timeliness:
    """Overdue when now − last change > the frequency's allowance (exactly the
    allowance is on time). No frequency, 随時, or no known last change: not overdue."""
    now = utc_naive(now) or datetime.min
    if frequency is None or frequency.allowance is None or last is None:
        return Timeliness(frequency, last, None, False)
    due = last + frequency.allowance
    return Timeliness(frequency, last, due, now > due)


# ------------------------------------------------------------------ the alerts


def _title(package: Mapping[str, Any] | None, name: str) -> str:
    return str((package or {}).get("title") or name)


def _overdue_alert(name: str, title: str, t: Timeliness, now: datetime) -> Alert:
    assert t.frequency is not None and t.last_change is not None and t.due is not None
    days = (now - t.last_change).days
    late = (now - t.due).days
    return Alert(
        OVERDUE, name, title,
        f"「{title}」（{name}）は更新頻度が「{t.frequency.word}」ですが、最後の更新"
        f"（{japan_time(t.last_change)}）から {days} 日たち、期限（{japan_time(t.due)}）を"
        f"{f' {late} 日' if late else ''}過ぎています。最新のデータに更新して "
        f"`kokai publish` で公開してください。更新頻度が実際と合わないときは、datapackage.yaml の "
        f"kokai:update_frequency を直してください（{frequency_words()}）。",
        f"{name}: updated {t.frequency.english}, but the last change ({iso_utc(t.last_change)}) was "
        f"{days} days ago, past its due time ({iso_utc(t.due)}). Publish current data with "
        "`kokai publish`, or correct kokai:update_frequency in datapackage.yaml.",
        {
            "frequency": t.frequency.word,
            "frequency_uri": t.frequency.uri,
            "allowance_days": t.frequency.allowance.days if t.frequency.allowance else None,
            "last_change": iso_utc(t.last_change),
            "due": iso_utc(t.due),
            "days_since_change": days,
            "days_overdue": late,
        },
    )  # fmt: skip


def _gtfs_alert(
    name: str, title: str, resource: Mapping[str, Any], end: date, today: date
) -> Alert:
    left = (end - today).days
    label = str(resource.get("name") or resource.get("id") or "GTFS")
    details = {
        "resource": label,
        "resource_id": resource.get("id"),
        "service_start": str(resource.get("gtfs_service_start") or "") or None,
        "service_end": end.isoformat(),
        "days_left": left,
    }
    fix_ja = (
        "新しいダイヤのフィード（calendar.txt の end_date を延ばしたもの）を作り、"
        "`kokai publish` で公開してください。"
    )
    fix_en = "Publish a feed with the next timetable (calendar.txt end_date extended) with `kokai publish`."
    if left < 0:
        return Alert(
            GTFS_EXPIRED, name, title,
            f"「{title}」（{name}）の GTFS フィード「{label}」は運行期間が {end.isoformat()} で"
            f"終わっています（{-left} 日前）。経路検索サービスはこの路線を表示できません。{fix_ja}",
            f"{name}: the GTFS feed {label} ended its service period on {end.isoformat()} "
            f"({-left} days ago); route-search services cannot show it. {fix_en}",
            details,
        )  # fmt: skip
    when = "本日まで" if left == 0 else f"{end.isoformat()} まで（あと {left} 日）"
    return Alert(
        GTFS_EXPIRING, name, title,
        f"「{title}」（{name}）の GTFS フィード「{label}」の運行期間は{when}です。"
        f"期間が終わると経路検索サービスに表示されなくなります。{fix_ja}",
        f"{name}: the GTFS feed {label} ends its service period on {end.isoformat()} "
        f"({left} days left). {fix_en}",
        details,
    )  # fmt: skip


def _refused_alert(name: str, title: str, record: Mapping[str, Any], in_catalog: bool) -> Alert:
    when = utc_naive(record.get("created"))
    by = str(record.get("by") or "")
    summary = record.get("summary") if isinstance(record.get("summary"), Mapping) else {}
    errors = summary.get("errors") if isinstance(summary, Mapping) else None
    who = f"、{by}" if by else ""
    stamp = japan_time(when) if when else "日時不明"
    now_public = (
        "公開中のデータは以前の版のままです。"
        if in_catalog
        else "このデータセットはまだ公開されていません。"
    )
    count = f"（エラー {errors} 件）" if isinstance(errors, int) else ""
    return Alert(
        REFUSED, name, title,
        f"「{title}」（{name}）の最後の公開（{stamp}{who}）は検査で拒否されました{count}。{now_public}"
        f"`kokai validate datasets/{name}` で理由を確かめて直し、もう一度 `kokai publish` してください。",
        f"{name}: the last publish ({iso_utc(when)}{', by ' + by if by else ''}) was refused"
        f"{f' ({errors} errors)' if isinstance(errors, int) else ''}; the public data is "
        f"{'the previous version' if in_catalog else 'not published yet'}. Fix what "
        f"`kokai validate datasets/{name}` reports and publish again.",
        {
            "refused_at": iso_utc(when),
            "by": by,
            "summary": dict(summary) if isinstance(summary, Mapping) else {},
            "message": str(record.get("message") or ""),
            "in_catalog": in_catalog,
        },
    )  # fmt: skip


def freshness_alerts(
    packages: Iterable[Mapping[str, Any]],
    records: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    expiry_warning_days: int = EXPIRY_WARNING_DAYS,
) -> list[Alert]:
    """The alerts for `packages` (package dicts as package_show returns them)
    at `now`, given publish-log `records` (any records of any status; they must
    include each dataset's newest record and its newest published record, as
    `publish_record_list(latest=true)` and `publish_record_list(latest=true,
    status="published")` return them). Sorted by kind (KINDS order), then dataset."""
    now = utc_naive(now)
    if now is None:
        raise ValueError("now must be a datetime")
    today = japan_today(now)
    newest, published = newest_records(records)
    alerts: list[Alert] = []
    seen: set[str] = set()
    for package in packages:
        name = str(package.get("name") or "")
        if not name or name in seen:
            continue
        seen.add(name)
        title = _title(package, name)
        t = timeliness(package_frequency(package), last_change(package, published.get(name)), now)
        if t.overdue:
            alerts.append(_overdue_alert(name, title, t, now))
        for resource in package.get("resources") or []:
            end = parse_date(resource.get("gtfs_service_end"))
            if end is not None and (end - today).days <= expiry_warning_days:
                alerts.append(_gtfs_alert(name, title, resource, end, today))
        record = newest.get(name)
        if record is not None and record.get("status") == "refused":
            alerts.append(_refused_alert(name, title, record, in_catalog=True))
    for name, record in newest.items():  # refused before it was ever in the catalog
        if name not in seen and record.get("status") == "refused":
            alerts.append(_refused_alert(name, name, record, in_catalog=False))
    order = {kind: i for i, kind in enumerate(KINDS)}
    alerts.sort(key=lambda a: (order[a.kind], a.dataset))
    return alerts


def status_exit_code(alerts: Iterable[Alert]) -> int:
    """1 when anything needs staff to act (see the module docstring), else 0."""
    return 1 if any(True for _ in alerts) else 0


def counts(alerts: Iterable[Alert]) -> dict[str, int]:
    out = dict.fromkeys(KINDS, 0)
    for alert in alerts:
        out[alert.kind] += 1
    return out


# ------------------------------------------------------------------ reading the catalog


def catalog_state(site: Any, *, page_size: int = 1000) -> tuple[list[dict], list[dict]]:
    """(package dicts, publish records) of the whole catalog, read through a
    LocalCatalog acting as the site (the one function here that reads; the
    rest is pure). Packages: package_search paged by `rows`/`start`, plus the
    datasets the publish log names that the search did not list (a private
    dataset: package_show). Records: `publish_record_list(latest=true)` and
    the same with status "published"; when the log names more datasets than
    one call returns, the missing ones are asked for one by one."""
    from kokai.catalog.actions.publish_log import MAX_LIST
    from kokai.catalog.errors import NotFound

    calls: list[tuple[dict[str, Any], list[dict]]] = []
    for query in ({"latest": True}, {"latest": True, "status": "published"}):
        calls.append((query, site.action.publish_record_list(limit=MAX_LIST, **query)))
    packages: list[dict] = []
    start = 0
    while True:
        page = site.action.package_search(
            rows=page_size, start=start, sort="name asc", include_private=True
        )
        packages.extend(page["results"])
        start += len(page["results"])
        if not page["results"] or start >= page["count"]:
            break
    listed = {p["name"] for p in packages}
    logged = {r["package_name"] for _, found in calls for r in found}
    for name in sorted(logged - listed):
        try:
            package = site.action.package_show(id=name)
        except NotFound:
            continue  # refused before it was ever published, or deleted
        if package.get("state", "active") == "active" and package["name"] not in listed:
            packages.append(package)
            listed.add(package["name"])
    records: list[dict] = []
    for query, found in calls:
        records.extend(found)
        if len(found) >= MAX_LIST:  # truncated: ask for the datasets it left out
            covered = {r["package_name"] for r in found}
            one = {k: v for k, v in query.items() if k != "latest"}
            for name in sorted(listed - covered):
                records.extend(site.action.publish_record_list(id=name, limit=1, **one))
    return packages, records


# ------------------------------------------------------------------ rendering


def render_status(alerts: list[Alert], *, now: datetime, datasets: int, fmt: str = "text") -> str:
    """`kokai status` output: text for staff (Japanese, ✓/✗ and a label on
    every line, never colour alone) or JSON for machines."""
    now = utc_naive(now) or datetime.min
    if fmt == "json":
        import json

        return json.dumps(
            {
                "checked": iso_utc(now),
                "datasets": datasets,
                "ok": not alerts,
                "exit_code": status_exit_code(alerts),
                "counts": counts(alerts),
                "alerts": [a.to_dict() for a in alerts],
            },
            ensure_ascii=False,
            indent=2,
        )
    lines = [f"kokai status: {japan_time(now)}（日本時間）時点、データセット {datasets} 件"]
    if not alerts:
        lines.append("✓ 対応が必要なものはありません（更新の遅れ・運行期間の終了・公開の拒否なし）")
        return "\n".join(lines)
    by_kind = counts(alerts)
    for kind in KINDS:
        if not by_kind[kind]:
            continue
        label = KIND_LABELS[kind][0]
        lines.append("")
        lines.append(f"✗ {label}: {by_kind[kind]} 件")
        for alert in alerts:
            if alert.kind == kind:
                lines.append(f"  ✗ [{label}] {alert.message_ja}")
    total = len(alerts)
    lines.append("")
    lines.append(f"対応が必要なもの {total} 件 / {total} alert(s)")
    return "\n".join(lines)
