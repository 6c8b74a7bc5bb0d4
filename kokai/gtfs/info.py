"""`kokai gtfs info`: what a feed contains and how long it stays valid.

Everything is computed with polars on the raw tables of `load_feed`: gtfs-kit's
`compute_trip_stats` takes ~17 s on a 445k stop_times feed, this takes well
under a second. Service days come from calendar.txt expanded day by day plus
and minus calendar_dates.txt, as the GTFS reference defines them.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from kokai.errors import KokaiError
from kokai.gtfs.columns import col_or_null, time_seconds
from kokai.gtfs.feed import Feed, load_feed
from kokai.gtfs.jp import jp_version, looks_japanese
from kokai.gtfs.jp.agency import houjin_problem
from kokai.gtfs.translations import translation_form

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Day types of a Japanese bus timetable and the ISO weekdays (Mon=1) each stands for.
DAY_TYPES: dict[str, tuple[int, ...]] = {
    "weekday": (1, 2, 3, 4, 5),
    "saturday": (6,),
    "sunday_holiday": (7,),
}
_DAY_TYPE_LABELS = {
    "weekday": ("平日", "Weekday"),
    "saturday": ("土曜", "Saturday"),
    "sunday_holiday": ("日曜・祝日", "Sunday/holiday"),
}
_MAX_ROUTES_IN_TEXT = 40
_MAX_SERVICE_DAYS = 3660  # ten years of one calendar.txt row at most
_CORE_TABLES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt")


def _table(feed: Feed, name: str) -> pl.DataFrame:
    return feed.files.get(name, pl.DataFrame())


def _gtfs_date(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.strptime(pl.Date, "%Y%m%d", strict=False)


def service_dates(feed: Feed) -> pl.DataFrame:
    """(service_id, date) for every day a service runs: calendar.txt ranges on
    their weekdays, plus calendar_dates exception_type 1, minus type 2."""
    calendar = _table(feed, "calendar.txt")
    frames = []
    if calendar.height and {"service_id", "start_date", "end_date"} <= set(calendar.columns):
        runs_on = pl.concat_list([(col_or_null(calendar, d) == "1") for d in _WEEKDAYS])
        expanded = (
            calendar.select(
                "service_id",
                _gtfs_date("start_date").alias("start"),
                _gtfs_date("end_date").alias("end"),
                runs_on.alias("runs_on"),
            )
            .drop_nulls(["service_id", "start", "end"])
            # A typo like end_date 29991231 must not expand into a million days.
            .with_columns(
                pl.min_horizontal("end", pl.col("start") + pl.duration(days=_MAX_SERVICE_DAYS))
            )
            .filter(pl.col("start") <= pl.col("end"))
            .with_columns(pl.date_ranges("start", "end").alias("date"))
            .explode("date")
            .filter(pl.col("runs_on").list.get(pl.col("date").dt.weekday() - 1))
            .select("service_id", "date")
        )
        frames.append(expanded)
    exceptions = _table(feed, "calendar_dates.txt")
    removed = pl.DataFrame(schema={"service_id": pl.String, "date": pl.Date})
    if exceptions.height and {"service_id", "date", "exception_type"} <= set(exceptions.columns):
        typed = exceptions.select(
            "service_id",
            _gtfs_date("date").alias("date"),
            pl.col("exception_type").str.strip_chars(),
        ).drop_nulls(["service_id", "date"])
        frames.append(typed.filter(pl.col("exception_type") == "1").select("service_id", "date"))
        removed = typed.filter(pl.col("exception_type") == "2").select("service_id", "date")
    if not frames:
        return pl.DataFrame(schema={"service_id": pl.String, "date": pl.Date})
    active = pl.concat(frames).unique()
    return active.join(removed, on=["service_id", "date"], how="anti").sort("date", "service_id")


def trips_per_date(feed: Feed, active: pl.DataFrame) -> pl.DataFrame:
    """(date, trips): active trips on every date from the first to the last date
    with at least one trip, zero included. Services without trips (common in
    calendar_dates.txt of old feeds) do not stretch the window."""
    empty = pl.DataFrame(schema={"date": pl.Date, "trips": pl.Int64})
    trips = _table(feed, "trips.txt")
    if active.height == 0 or "service_id" not in trips.columns:
        return empty
    per_service = trips.group_by("service_id").agg(pl.len().cast(pl.Int64).alias("n"))
    counted = (
        active.join(per_service, on="service_id", how="inner")
        .group_by("date")
        .agg(pl.col("n").sum().alias("trips"))
    )
    if counted.height == 0:
        return empty
    window = pl.DataFrame(
        {"date": pl.date_range(counted["date"].min(), counted["date"].max(), eager=True)}
    )
    return (
        window.join(counted, on="date", how="left")
        .with_columns(pl.col("trips").fill_null(0).cast(pl.Int64))
        .sort("date")
    )


def _representative_days(per_date: pl.DataFrame) -> dict[str, dict[str, Any] | None]:
    """For each day type, the usual number of trips (the most common non-zero
    count over the service window, so that a public holiday on a Monday does not
    count as a weekday) and the first date with that count; None when no day of
    that type has service."""
    out: dict[str, dict[str, Any] | None] = {}
    with_weekday = per_date.with_columns(pl.col("date").dt.weekday().alias("weekday"))
    for day_type, weekdays in DAY_TYPES.items():
        days = with_weekday.filter(pl.col("weekday").is_in(weekdays) & (pl.col("trips") > 0))
        if days.height == 0:
            out[day_type] = None
            continue
        usual = (
            days.group_by("trips")
            .agg(pl.len().alias("days"), pl.col("date").min().alias("first"))
            .sort(["days", "trips"], descending=True)
            .row(0, named=True)
        )
        out[day_type] = {
            "date": usual["first"].isoformat(),
            "trips": usual["trips"],
            "days_like_this": usual["days"],
        }
    return out


def _seconds_to_time(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _departure_range(feed: Feed) -> tuple[str | None, str | None]:
    """Earliest and latest departure (times past 24:00:00 kept as written)."""
    stop_times = _table(feed, "stop_times.txt")
    column = next((c for c in ("departure_time", "arrival_time") if c in stop_times.columns), None)
    if column is None:
        return None, None
    # A feed repeats a few thousand distinct times; parse those, not every row.
    distinct = stop_times.select(pl.col(column).unique())
    seconds = distinct.select(time_seconds(pl.col(column), checked=False).alias("s"))["s"]
    return _seconds_to_time(seconds.min()), _seconds_to_time(seconds.max())


def _agencies(feed: Feed) -> list[dict[str, Any]]:
    agency = _table(feed, "agency.txt")
    out = []
    for row in agency.iter_rows(named=True):
        agency_id = (row.get("agency_id") or "").strip()
        out.append(
            {
                "agency_id": agency_id or None,
                "agency_name": row.get("agency_name"),
                "agency_url": row.get("agency_url"),
                "houjin_bangou_valid": houjin_problem(agency_id) is None if agency_id else None,
            }
        )
    return out


def _routes(feed: Feed) -> list[dict[str, Any]]:
    routes = _table(feed, "routes.txt")
    if "route_id" not in routes.columns:
        return []
    trips = _table(feed, "trips.txt")
    per_route = (
        trips.group_by("route_id").agg(pl.len().cast(pl.Int64).alias("trips"))
        if "route_id" in trips.columns
        else pl.DataFrame(schema={"route_id": pl.String, "trips": pl.Int64})
    )
    table = (
        routes.select(
            "route_id",
            col_or_null(routes, "route_short_name"),
            col_or_null(routes, "route_long_name"),
            col_or_null(routes, "route_type"),
        )
        .join(per_route, on="route_id", how="left", maintain_order="left")
        .with_columns(pl.col("trips").fill_null(0))
    )
    return table.to_dicts()


def _feed_info(feed: Feed) -> dict[str, Any] | None:
    info = feed.files.get("feed_info.txt")
    if info is None or info.height == 0:
        return None
    row = info.row(0, named=True)
    keys = (
        "feed_publisher_name",
        "feed_publisher_url",
        "feed_lang",
        "feed_start_date",
        "feed_end_date",
        "feed_version",
    )
    return {key: row.get(key) for key in keys}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def describe_feed(path: str | Path, today: date | None = None) -> dict[str, Any]:
    """A summary of the feed at `path` (zip or folder) as a JSON-ready dict.
    Raises KokaiError when the feed cannot be read at all."""
    today = today or date.today()
    feed, findings = load_feed(path)
    if feed is None:
        message = next((f.message_ja for f in findings if f.fatal), None)
        raise KokaiError(message or f"GTFS フィード {path} を読み込めません。")
    if not any(name in feed.files for name in _CORE_TABLES):
        raise KokaiError(
            f"{path} に GTFS のファイル（agency.txt、stops.txt、routes.txt、trips.txt）が"
            "ありません。GTFS フィードの zip またはフォルダを指定してください。"
        )

    active = service_dates(feed)
    per_date = trips_per_date(feed, active)
    first = per_date["date"].min() if per_date.height else None
    last = per_date["date"].max() if per_date.height else None
    busiest = (
        per_date.sort(["trips", "date"], descending=[True, False]).row(0, named=True)
        if per_date.height
        else None
    )
    first_departure, last_departure = _departure_range(feed)
    translations = feed.files.get("translations.txt")
    languages: list[str] = []
    if translations is not None:
        column = "lang" if translation_form(translations.columns) == "v2" else "language"
        if column in translations.columns:
            languages = sorted(translations[column].drop_nulls().unique().to_list())
    stops = _table(feed, "stops.txt")
    shapes = _table(feed, "shapes.txt")
    return {
        "source": str(path),
        "today": today.isoformat(),
        "looks_japanese": looks_japanese(feed),
        "gtfs_jp_version": jp_version(feed),
        "files": sorted(feed.files),
        "agencies": _agencies(feed),
        "feed_info": _feed_info(feed),
        "validity": {
            "first_service_date": _iso(first),
            "last_service_date": _iso(last),
            "days_until_expiry": (last - today).days if last is not None else None,
            "expired": last < today if last is not None else None,
            "service_days": per_date.filter(pl.col("trips") > 0).height,
        },
        "counts": {
            "agencies": _table(feed, "agency.txt").height,
            "routes": _table(feed, "routes.txt").height,
            "stops": stops.height,
            "trips": _table(feed, "trips.txt").height,
            "stop_times": _table(feed, "stop_times.txt").height,
            "shapes": shapes["shape_id"].n_unique() if "shape_id" in shapes.columns else 0,
        },
        "trips_by_day_type": _representative_days(per_date),
        "first_departure": first_departure,
        "last_departure": last_departure,
        "busiest_date": (
            {"date": busiest["date"].isoformat(), "trips": busiest["trips"]} if busiest else None
        ),
        "translation_languages": languages,
        "routes": _routes(feed),
    }


# --- rendering -----------------------------------------------------------------------------


def render_info(info: dict[str, Any], fmt: str = "text", lang: str = "ja") -> str:
    """The summary as JSON (the same dict) or as text for a terminal."""
    if fmt == "json":
        return json.dumps(info, ensure_ascii=False, indent=2)
    return _render_text(info, english=lang == "en")


def _show_gtfs_date(text: str | None) -> str:
    """20260401 → 2026-04-01 (other text as written, "?" when empty)."""
    if not text:
        return "?"
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


def _render_text(info: dict[str, Any], english: bool) -> str:
    def t(ja: str, en: str) -> str:
        return en if english else ja

    none = t("なし", "none")
    lines = [f"{t('フィード', 'Feed')}: {info['source']}"]
    version = info.get("gtfs_jp_version")
    if version:
        lines.append(f"GTFS-JP: {t('第' + version[1:] + '版', version)}")
    elif info.get("looks_japanese"):
        lines.append(f"GTFS-JP: {t('版は判別できません', 'version unknown')}")
    else:
        lines.append("GTFS")
    for agency in info["agencies"]:
        valid = agency["houjin_bangou_valid"]
        mark = {
            True: t("法人番号 OK", "corporate number OK"),
            False: t("法人番号 NG", "not a valid corporate number"),
            None: t("agency_id なし", "no agency_id"),
        }[valid]  # noqa: E501
        lines.append(
            f"{t('事業者', 'Agency')}: {agency['agency_name']} ({agency['agency_id']}, {mark})"
        )
    feed_info = info.get("feed_info")
    if feed_info:
        period = " – ".join(
            _show_gtfs_date(feed_info.get(k)) for k in ("feed_start_date", "feed_end_date")
        )
        lines.append(
            t(
                f"提供者: {feed_info.get('feed_publisher_name') or none}"
                f"（feed_info の期間 {period}、版 {feed_info.get('feed_version') or none}）",
                f"Publisher: {feed_info.get('feed_publisher_name') or none}"
                f" (feed_info period {period}, version {feed_info.get('feed_version') or none})",
            )
        )
    else:
        lines.append(t("feed_info.txt: なし", "feed_info.txt: none"))
    validity = info["validity"]
    lines.append("")
    if validity["first_service_date"]:
        lines.append(
            f"{t('運行期間', 'Service')}: {validity['first_service_date']} – "
            f"{validity['last_service_date']}"
        )
        days = validity["days_until_expiry"]
        if days < 0:
            lines.append(
                t(
                    f"  期限切れ: {-days} 日前に終了しています（基準日 {info['today']}）",
                    f"  EXPIRED {-days} days ago (as of {info['today']})",
                )
            )
        else:
            lines.append(
                t(
                    f"  有効期限まで {days} 日（基準日 {info['today']}）",
                    f"  {days} days until it expires (as of {info['today']})",
                )
            )
    else:
        lines.append(f"{t('運行期間', 'Service')}: {none}")
    counts = info["counts"]
    lines.append("")
    lines.append(
        t(
            f"路線 {counts['routes']}、停留所 {counts['stops']}、便 {counts['trips']}、"
            f"時刻 {counts['stop_times']}、形状 {counts['shapes']}",
            f"{counts['routes']} routes, {counts['stops']} stops, {counts['trips']} trips, "
            f"{counts['stop_times']} stop times, {counts['shapes']} shapes",
        )
    )
    for day_type, usual in info["trips_by_day_type"].items():
        label = _DAY_TYPE_LABELS[day_type][1 if english else 0]
        if usual is None:
            lines.append(f"  {label}: {none}")
        else:
            lines.append(
                t(
                    f"  {label}: {usual['trips']} 便（例 {usual['date']}）",
                    f"  {label}: {usual['trips']} trips (e.g. {usual['date']})",
                )
            )
    if info["first_departure"]:
        lines.append(
            f"{t('始発・終発', 'First/last departure')}: "
            f"{info['first_departure']} – {info['last_departure']}"
        )
    if info["busiest_date"]:
        busiest = info["busiest_date"]
        lines.append(
            t(
                f"最も便の多い日: {busiest['date']}（{busiest['trips']} 便）",
                f"Busiest date: {busiest['date']} ({busiest['trips']} trips)",
            )
        )
    if info["translation_languages"]:
        lines.append(f"{t('翻訳', 'Translations')}: {', '.join(info['translation_languages'])}")
    lines.append("")
    lines.append(t("路線:", "Routes:"))
    for route in info["routes"][:_MAX_ROUTES_IN_TEXT]:
        name = " ".join(p for p in (route["route_short_name"], route["route_long_name"]) if p)
        lines.append(
            t(
                f"  {route['route_id']}  {name}  {route['trips']} 便",
                f"  {route['route_id']}  {name}  {route['trips']} trips",
            )
        )
    hidden = len(info["routes"]) - _MAX_ROUTES_IN_TEXT
    if hidden > 0:
        lines.append(
            t(
                f"  ほか {hidden} 路線（--format json ですべて表示）",
                f"  and {hidden} more (all with --format json)",
            )
        )
    return "\n".join(lines)
