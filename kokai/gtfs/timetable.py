"""Timetables of a GTFS feed as plain data, for the site's feed, route, stop and
signage pages.

Service ids are sorted into the columns of a Japanese timetable (平日 / 土曜 /
日曜・祝日, or a labelled pattern such as 「月・水・金」) from the weekdays they
run on: calendar.txt flags, or, for services given only by calendar_dates.txt
(common in GTFS-JP for holidays), the weekdays on which they run on at least
half of the dates of their span. Times stay GTFS seconds after the service
day's noon-minus-12h, so 25:10 sorts after 23:59 and belongs to the day before.

Everything is computed with polars on the raw tables of `load_feed` in a few
group-bys: gtfs-kit's per-date `build_stop_timetable` costs ~40 ms a stop on
Vilnius (≈1 min for its 1,293 stops) and knows nothing of day-type columns.
gtfs-kit draws the route lines (`get_routes(as_gdf=True)` merges each route's
shapes, 0.5 s on Vilnius); routes without shapes get a line through their
most common stop sequence.
"""

from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from kokai.errors import KokaiError
from kokai.gtfs.columns import col_or_null, time_seconds
from kokai.gtfs.feed import Feed, load_feed
from kokai.gtfs.translations import read_translations, readings

WEEKDAY_COLUMNS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_NAMES = ("月", "火", "水", "木", "金", "土", "日")
STANDARD_COLUMNS = {"weekday": "平日", "saturday": "土曜", "holiday": "日曜・祝日"}
_MON_FRI = frozenset(range(5))
_MAX_SERVICE_DAYS = 3660  # a typo like end_date 29991231 must not expand into a million days
_PARTIAL_SHARE = 0.6  # a service running on fewer of its days than this is marked ※
COORDINATE_DIGITS = 5  # ~1 m: enough for a map, and keeps the GeoJSON small


# --- service days -----------------------------------------------------------------------------


def _gtfs_date(text: str | None) -> date | None:
    if not text or len(text.strip()) != 8 or not text.strip().isdigit():
        return None
    text = text.strip()
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


@dataclass
class ServiceCalendar:
    """calendar.txt and calendar_dates.txt as plain data (also embedded in the signage)."""

    # service_id → (runs on Mon..Sun, start, end)
    weekly: dict[str, tuple[tuple[bool, ...], date, date]] = field(default_factory=dict)
    added: dict[date, set[str]] = field(default_factory=dict)
    removed: dict[date, set[str]] = field(default_factory=dict)

    @property
    def service_ids(self) -> set[str]:
        ids = set(self.weekly)
        for day in (*self.added.values(), *self.removed.values()):
            ids |= day
        return ids

    def active_dates(self, service_id: str) -> set[date]:
        """Every date `service_id` runs on (calendar days on its weekdays ± exceptions)."""
        days: set[date] = set()
        if service_id in self.weekly:
            flags, start, end = self.weekly[service_id]
            end = min(end, start + timedelta(days=_MAX_SERVICE_DAYS))
            day = start
            while day <= end:
                if flags[day.weekday()]:
                    days.add(day)
                day += timedelta(days=1)
        days |= {d for d, ids in self.added.items() if service_id in ids}
        days -= {d for d, ids in self.removed.items() if service_id in ids}
        return days

    def span(self) -> tuple[date | None, date | None]:
        """The first and last date any service is defined for."""
        dates = [d for _, s, e in self.weekly.values() for d in (s, e)]
        dates += [d for d, ids in self.added.items() if ids]
        return (min(dates), max(dates)) if dates else (None, None)


def services_on(calendar: ServiceCalendar, day: date) -> set[str]:
    """The service ids running on `day`: calendar.txt rows covering it on its
    weekday, plus calendar_dates exception_type 1, minus exception_type 2."""
    active = {
        sid
        for sid, (flags, start, end) in calendar.weekly.items()
        if start <= day <= end and flags[day.weekday()]
    }
    active |= calendar.added.get(day, set())
    active -= calendar.removed.get(day, set())
    return active


def read_calendar(feed: Feed) -> ServiceCalendar:
    calendar = ServiceCalendar()
    rows = feed.files.get("calendar.txt")
    if rows is not None and {"service_id", "start_date", "end_date"} <= set(rows.columns):
        columns = [col_or_null(rows, c) for c in WEEKDAY_COLUMNS]
        for sid, start, end, *flags in rows.select("service_id", "start_date", "end_date",
                                                   *columns).iter_rows():  # fmt: skip
            first, last = _gtfs_date(start), _gtfs_date(end)
            if sid is None or first is None or last is None or first > last:
                continue
            calendar.weekly[sid] = (tuple(f == "1" for f in flags), first, last)
    exceptions = feed.files.get("calendar_dates.txt")
    if exceptions is not None and {"service_id", "date", "exception_type"} <= set(
        exceptions.columns
    ):
        for sid, text, kind in exceptions.select("service_id", "date", "exception_type").iter_rows():
            day = _gtfs_date(text)
            if sid is None or day is None:
                continue
            if kind == "1":
                calendar.added.setdefault(day, set()).add(sid)
            elif kind == "2":
                calendar.removed.setdefault(day, set()).add(sid)
    return calendar


def running_weekdays(calendar: ServiceCalendar, service_id: str, dates: set[date]) -> set[int]:
    """The weekdays (0 = Monday) a service runs on: its calendar.txt flags, else
    (calendar_dates only) each weekday it runs on for at least half of that
    weekday's dates between its first and last date."""
    if service_id in calendar.weekly and any(calendar.weekly[service_id][0]):
        return {i for i, flag in enumerate(calendar.weekly[service_id][0]) if flag}
    if not dates:
        return set()
    first, last = min(dates), max(dates)
    possible = Counter((first + timedelta(days=i)).weekday() for i in range((last - first).days + 1))
    running = Counter(d.weekday() for d in dates)
    # One-off dates (fewer than 2 of a weekday) are not a weekly pattern.
    return {w for w, n in running.items() if n >= 2 and n >= possible[w] / 2}


@dataclass(frozen=True)
class DayColumn:
    """A column of the timetables: a day type and the services that run on it."""

    key: str  # "weekday", "saturday", "holiday", "other-1"...
    label: str  # 平日 / 土曜 / 日曜・祝日 / 月・水・金 / 特定日（8月1日ほか）
    service_ids: tuple[str, ...]


def _pattern_label(weekdays: set[int]) -> str:
    return "・".join(WEEKDAY_NAMES[w] for w in sorted(weekdays))


def _dates_label(dates: set[date]) -> str:
    if not dates:
        return "運行日なし"
    first = min(dates)
    more = f"ほか{len(dates) - 1}日" if len(dates) > 1 else "のみ"
    return f"特定日（{first.month}月{first.day}日{more}）"


def day_columns(calendar: ServiceCalendar,
                service_ids: set[str]) -> tuple[list[DayColumn], set[str]]:  # fmt: skip
    """The columns of the feed's timetables (平日, 土曜, 日曜・祝日, then other
    patterns) and the services marked ※ (running on less than 60% of their days
    within the feed's span, e.g. a summer-only weekday service)."""
    members: dict[str, list[str]] = defaultdict(list)
    other_labels: dict[str, str] = {}
    partial: set[str] = set()
    span_start, span_end = calendar.span()
    for sid in sorted(service_ids):
        dates = calendar.active_dates(sid)
        weekdays = running_weekdays(calendar, sid, dates)
        workdays = weekdays & _MON_FRI
        if not weekdays:
            label = _dates_label(dates)
            key = "other:" + label
            other_labels[key] = label
            members[key].append(sid)
            continue
        if workdays and workdays != _MON_FRI:
            label = _pattern_label(weekdays)
            key = "other:" + label
            other_labels[key] = label
            members[key].append(sid)
        else:
            if workdays:
                members["weekday"].append(sid)
            if 5 in weekdays:
                members["saturday"].append(sid)
            if 6 in weekdays:
                members["holiday"].append(sid)
        if span_start is not None and span_end is not None:
            possible = sum(
                1
                for i in range((span_end - span_start).days + 1)
                if (span_start + timedelta(days=i)).weekday() in weekdays
            )
            if possible and len(dates) < _PARTIAL_SHARE * possible:
                partial.add(sid)
    columns = [
        DayColumn(key, label, tuple(members[key]))
        for key, label in STANDARD_COLUMNS.items()
        if members.get(key)
    ]
    for n, key in enumerate(sorted(other_labels, key=lambda k: other_labels[k]), start=1):
        columns.append(DayColumn(f"other-{n}", other_labels[key], tuple(members[key])))
    # A service in the "partial" sense only matters where it is not the only one.
    return columns, partial


# --- the feed's entities --------------------------------------------------------------------


@dataclass(frozen=True)
class RouteInfo:
    route_id: str
    short_name: str
    long_name: str
    color: str | None  # "#RRGGBB"
    text_color: str | None
    agency_name: str
    route_type: str
    url: str | None
    sort_key: tuple = ()

    @property
    def name(self) -> str:
        """What people call the route: short and long name, or the id."""
        parts = [p for p in (self.short_name, self.long_name) if p]
        return " ".join(parts) if parts else self.route_id


@dataclass(frozen=True)
class StopInfo:
    stop_id: str
    name: str
    lat: float | None
    lon: float | None
    code: str | None = None
    platform_code: str | None = None
    reading: str | None = None  # ja-Hrkt from translations.txt
    english: str | None = None


def _color(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lstrip("#")
    if len(value) == 6 and all(c in "0123456789abcdefABCDEF" for c in value):
        return "#" + value.upper()
    return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def read_routes(feed: Feed) -> dict[str, RouteInfo]:
    routes = feed.files.get("routes.txt")
    agencies = feed.files.get("agency.txt")
    names: dict[str | None, str] = {}
    if agencies is not None and "agency_name" in agencies.columns:
        for agency_id, name in agencies.select(col_or_null(agencies, "agency_id"),
                                               "agency_name").iter_rows():  # fmt: skip
            names[agency_id] = name or ""
    only_agency = next(iter(names.values())) if len(names) == 1 else ""
    out: dict[str, RouteInfo] = {}
    if routes is None or "route_id" not in routes.columns:
        return out
    columns = ("route_id", "route_short_name", "route_long_name", "route_color",
               "route_text_color", "agency_id", "route_type", "route_url", "route_sort_order")
    rows = routes.select([col_or_null(routes, c) for c in columns]).iter_rows(named=True)
    for index, row in enumerate(rows):
        if row["route_id"] is None or row["route_id"] in out:
            continue
        order = row["route_sort_order"]
        short = row["route_short_name"] or ""
        out[row["route_id"]] = RouteInfo(
            route_id=row["route_id"],
            short_name=short,
            long_name=row["route_long_name"] or "",
            color=_color(row["route_color"]),
            text_color=_color(row["route_text_color"]),
            agency_name=names.get(row["agency_id"], only_agency),
            route_type=row["route_type"] or "",
            url=row["route_url"],
            # route_sort_order first, then the feed's own order (publishers list
            # routes the way their printed timetables do).
            sort_key=(int(order) if order and order.isdigit() else 1 << 30, index),
        )
    return dict(sorted(out.items(), key=lambda item: item[1].sort_key))


def read_stops(feed: Feed) -> dict[str, StopInfo]:
    stops = feed.files.get("stops.txt")
    if stops is None or "stop_id" not in stops.columns:
        return {}
    translations = read_translations(feed.files)
    extra: dict[str, pl.Series] = {}
    if translations is not None and "stop_name" in stops.columns:
        for language in ("ja-Hrkt", "en"):
            extra[language] = readings(
                translations, "stops", "stop_name", stops, "stop_id", language
            )
    empty = pl.Series([None] * stops.height, dtype=pl.String)
    table = stops.select(
        "stop_id",
        col_or_null(stops, "stop_name"),
        col_or_null(stops, "stop_lat"),
        col_or_null(stops, "stop_lon"),
        col_or_null(stops, "stop_code"),
        col_or_null(stops, "platform_code"),
    ).with_columns(
        extra.get("ja-Hrkt", empty).alias("reading"), extra.get("en", empty).alias("english")
    )
    out: dict[str, StopInfo] = {}
    for sid, name, lat, lon, code, platform, reading, english in table.iter_rows():
        if sid is None or sid in out:
            continue
        out[sid] = StopInfo(
            stop_id=sid,
            name=name or sid,
            lat=_float(lat),
            lon=_float(lon),
            code=code,
            platform_code=platform,
            reading=reading if reading and reading != name else None,
            english=english if english and english != name else None,
        )
    return out


# --- timetables ---------------------------------------------------------------------------


class Departure(NamedTuple):
    """A departure from a stop: seconds after the service day's start (may pass 24 h).
    (A NamedTuple: big feeds have ~500k of them, a frozen dataclass is 3x slower to make.)"""

    time: int
    route_id: str
    headsign: str
    service_id: str
    trip_id: str


@dataclass
class StopGroup:
    """The departures of one route towards one headsign at a stop, by column."""

    route_id: str
    headsign: str
    times: dict[str, list[tuple[int, bool]]]  # column key → [(seconds, partial)], sorted


@dataclass
class TripColumn:
    trip_id: str
    service_id: str
    headsign: str
    partial: bool
    times: dict[int, int]  # row index in RouteDirection.stops → seconds


@dataclass
class RouteDirection:
    direction_id: str | None
    headsigns: list[str]  # most common first
    stops: list[str]  # stop ids in travel order (merged from the trips' stop sequences)
    trips: dict[str, list[TripColumn]]  # column key → trips sorted by first departure

    @property
    def label(self) -> str:
        shown = self.headsigns[:3]
        more = " ほか" if len(self.headsigns) > 3 else ""
        return "・".join(shown) + more + " 行き" if shown else "（行先なし）"


def format_time(seconds: int) -> str:
    """GTFS seconds → "7:05"; after midnight "翌0:35" (25:10 → 翌1:10)."""
    hours, minutes = divmod(seconds // 60, 60)
    if hours >= 24:
        return f"翌{hours - 24}:{minutes:02d}"
    return f"{hours}:{minutes:02d}"


def hour_label(hour: int) -> str:
    return f"翌{hour - 24}時" if hour >= 24 else f"{hour}時"


def _merge_patterns(patterns: list[list[tuple[str, int]]]) -> list[tuple[str, int]]:
    """One stop order for trips that skip or add stops: start from the longest
    pattern, insert each missing stop after the stop it follows in its pattern."""
    merged: list[tuple[str, int]] = []
    for pattern in sorted(patterns, key=len, reverse=True):
        position = 0
        for stop in pattern:
            if stop in merged:
                position = merged.index(stop) + 1
            else:
                merged.insert(position, stop)
                position += 1
    return merged


def _unique_headsigns(values: list[str]) -> list[str]:
    return [h for h, _ in Counter(values).most_common()]


@dataclass
class FeedTimetable:
    """Everything the site shows of a feed, computed once."""

    routes: dict[str, RouteInfo]
    stops: dict[str, StopInfo]  # every stop of stops.txt
    agencies: list[str]
    calendar: ServiceCalendar
    columns: list[DayColumn]
    partial_services: set[str]
    start: date | None
    end: date | None
    trip_count: int
    feed_info: dict[str, Any]
    # stop_id → departures sorted by time (arrival-only stops and no-pickup excluded)
    departures: dict[str, list[Departure]]
    route_trip_counts: dict[str, dict[str, int]]  # route_id → column key → trips
    _stop_times: pl.DataFrame = field(repr=False)
    _feed: Feed = field(repr=False)
    _lines: dict[str, list[list[list[float]]]] | None = field(default=None, repr=False)
    _by_route: dict[str, pl.DataFrame] | None = field(default=None, repr=False)
    _calendar_rows: tuple[list, list] | None = field(default=None, repr=False)

    def calendar_rows(self) -> tuple[list, list]:
        """calendar.txt and calendar_dates.txt as the signage's JSON rows
        ([service_id, "1111100", start, end] and [service_id, date, 1|2]), formatted
        once: a feed has thousands of stops and one calendar."""
        if self._calendar_rows is None:
            calendar = self.calendar
            weekly = [
                [sid, "".join("1" if f else "0" for f in flags),
                 start.strftime("%Y%m%d"), end.strftime("%Y%m%d")]
                for sid, (flags, start, end) in sorted(calendar.weekly.items())
            ]  # fmt: skip
            exceptions = [
                [sid, day.strftime("%Y%m%d"), kind]
                for kind, table in ((1, calendar.added), (2, calendar.removed))
                for day in sorted(table)
                for sid in sorted(table[day])
            ]
            self._calendar_rows = (weekly, exceptions)
        return self._calendar_rows

    @property
    def served_stops(self) -> list[str]:
        """Stops with at least one departure, busiest first."""
        return sorted(self.departures, key=lambda s: (-len(self.departures[s]), s))

    def columns_of(self, service_id: str) -> list[str]:
        return [c.key for c in self.columns if service_id in c.service_ids]

    def stop_groups(self, stop_id: str) -> list[StopGroup]:
        """The stop's departures grouped by route and headsign, by column."""
        groups: dict[tuple[str, str], StopGroup] = {}
        column_of = {sid: self.columns_of(sid) for sid in self.calendar.service_ids}
        for dep in self.departures.get(stop_id, []):
            key = (dep.route_id, dep.headsign)
            group = groups.setdefault(key, StopGroup(dep.route_id, dep.headsign, {}))
            for column in column_of.get(dep.service_id, []):
                group.times.setdefault(column, []).append(
                    (dep.time, dep.service_id in self.partial_services)
                )
        for group in groups.values():
            for column, times in group.times.items():
                # The same minute from two services (e.g. two weekday periods) shows once;
                # it is ※ only when every one of them is partial.
                best: dict[int, bool] = {}
                for seconds, partial in times:
                    best[seconds] = best.get(seconds, True) and partial
                group.times[column] = sorted(best.items())
        order = {rid: i for i, rid in enumerate(self.routes)}
        return sorted(groups.values(), key=lambda g: (order.get(g.route_id, 1 << 30), g.headsign))

    def route_directions(self, route_id: str) -> list[RouteDirection]:
        """The route's trips by direction, as a grid of stops × trips for each column."""
        if self._by_route is None:
            self._by_route = {
                key[0]: frame for key, frame in
                self._stop_times.partition_by("route_id", as_dict=True).items()
            }  # fmt: skip
        rows = self._by_route.get(route_id)
        if rows is None or rows.height == 0:
            return []
        trips: dict[str, dict[str, Any]] = {}
        for trip_id, stop_id, seconds, direction, headsign, service_id in rows.select(
            "trip_id", "stop_id", "time", "direction_id", "headsign", "service_id"
        ).iter_rows():
            trip = trips.setdefault(trip_id, {"direction": direction, "service": service_id,
                                              "headsigns": [], "stops": []})  # fmt: skip
            trip["stops"].append((stop_id, seconds))
            trip["headsigns"].append(headsign)
        by_direction: dict[str | None, list[str]] = defaultdict(list)
        for trip_id, trip in trips.items():
            by_direction[trip["direction"]].append(trip_id)
        out = []
        for direction in sorted(by_direction, key=lambda d: (d is None, d or "")):
            ids = by_direction[direction]
            patterns: list[list[tuple[str, int]]] = []
            keyed: dict[str, list[tuple[tuple[str, int], int | None]]] = {}
            for trip_id in ids:
                seen: Counter[str] = Counter()
                keys = []
                for stop_id, seconds in trips[trip_id]["stops"]:
                    keys.append(((stop_id, seen[stop_id]), seconds))
                    seen[stop_id] += 1
                keyed[trip_id] = keys
                patterns.append([k for k, _ in keys])
            unique_patterns = list({tuple(p): p for p in patterns}.values())
            order = _merge_patterns(unique_patterns)
            index = {key: i for i, key in enumerate(order)}
            by_column: dict[str, list[TripColumn]] = defaultdict(list)
            for trip_id in ids:
                trip = trips[trip_id]
                times = {index[k]: s for k, s in keyed[trip_id] if s is not None}
                if not times:
                    continue
                final = trip["headsigns"][0] if trip["headsigns"] else ""
                column = TripColumn(trip_id, trip["service"], final,
                                    trip["service"] in self.partial_services, times)  # fmt: skip
                for key in self.columns_of(trip["service"]):
                    by_column[key].append(column)
            for trips_of_column in by_column.values():
                trips_of_column.sort(key=lambda t: (min(t.times.items())[1], t.trip_id))
            heads = _unique_headsigns([trips[t]["headsigns"][0] for t in ids
                                       if trips[t]["headsigns"]])  # fmt: skip
            out.append(RouteDirection(direction, heads, [s for s, _ in order],
                                      {c.key: by_column[c.key] for c in self.columns
                                       if by_column.get(c.key)}))  # fmt: skip
        return out

    # --- maps ---

    def stops_geojson(self, stop_ids: list[str] | None = None,
                      urls: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
        features = []
        for sid in stop_ids if stop_ids is not None else list(self.stops):
            stop = self.stops.get(sid)
            if stop is None or stop.lat is None or stop.lon is None:
                continue
            if not (-90 <= stop.lat <= 90 and -180 <= stop.lon <= 180):
                continue
            properties: dict[str, Any] = {"name": stop.name, "stop_id": sid}
            if stop.platform_code:
                properties["description"] = f"のりば {stop.platform_code}"
            if urls and sid in urls:
                properties["url"] = urls[sid]
            features.append(_feature({"type": "Point", "coordinates": _point(stop.lon, stop.lat)},
                                     properties))  # fmt: skip
        return {"type": "FeatureCollection", "features": features}

    def routes_geojson(self, route_ids: list[str] | None = None,
                       urls: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
        """One (Multi)LineString per route: its shapes merged by gtfs-kit, else a
        line through the stops of each direction's most common stop sequence."""
        wanted = route_ids if route_ids is not None else list(self.routes)
        lines = self._route_lines()
        features = []
        for rid in wanted:
            route = self.routes.get(rid)
            parts = lines.get(rid)
            if route is None or not parts:
                continue
            properties: dict[str, Any] = {"name": route.name, "route_id": rid}
            if route.color:
                properties["color"] = route.color
            if urls and rid in urls:
                properties["url"] = urls[rid]
            geometry = (
                {"type": "LineString", "coordinates": parts[0]}
                if len(parts) == 1
                else {"type": "MultiLineString", "coordinates": parts}
            )
            features.append(_feature(geometry, properties))
        return {"type": "FeatureCollection", "features": features}

    def _route_lines(self) -> dict[str, list[list[list[float]]]]:
        if self._lines is not None:
            return self._lines
        lines = _shape_lines_gtfs_kit(self._feed) if "shapes.txt" in self._feed.files else {}
        missing = [rid for rid in self.routes if rid not in lines]
        lines.update(self._pattern_lines(missing))
        self._lines = lines
        return lines

    def _pattern_lines(self, route_ids: list[str]) -> dict[str, list[list[list[float]]]]:
        if not route_ids:
            return {}
        rows = self._stop_times.filter(pl.col("route_id").is_in(route_ids))
        patterns = (
            rows.group_by("trip_id", maintain_order=True)
            .agg(pl.col("route_id").first(), pl.col("direction_id").first(),
                 pl.col("stop_id").alias("pattern"))  # fmt: skip
            .group_by("route_id", "direction_id", "pattern")
            .agg(pl.len().alias("n"))
            .sort(["route_id", "direction_id", "n"], descending=[False, False, True],
                  nulls_last=True)  # fmt: skip
            .group_by("route_id", "direction_id", maintain_order=True)
            .first()
        )
        out: dict[str, list[list[list[float]]]] = defaultdict(list)
        for route_id, _, pattern, _ in patterns.iter_rows():
            coordinates = [
                _point(self.stops[s].lon, self.stops[s].lat)
                for s in pattern
                if s in self.stops and self.stops[s].lat is not None
                and self.stops[s].lon is not None
            ]
            if len(coordinates) >= 2:
                out[route_id].append(coordinates)
        return dict(out)


def _point(lon: float, lat: float) -> list[float]:
    return [round(lon, COORDINATE_DIGITS), round(lat, COORDINATE_DIGITS)]


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _shape_lines_gtfs_kit(feed: Feed) -> dict[str, list[list[list[float]]]]:
    """route_id → lines of its shapes, merged by gtfs-kit (`get_routes(as_gdf=True)`);
    {} when gtfs-kit cannot read the feed (the stop sequences are drawn instead)."""
    import gtfs_kit
    from shapely.geometry import mapping

    try:
        frame = gtfs_kit.get_routes(feed.gtfs_kit(), as_gdf=True)
    except Exception:  # noqa: BLE001 - gtfs-kit raises many kinds on unusual feeds
        return {}
    out: dict[str, list[list[list[float]]]] = {}
    for route_id, geometry in zip(frame["route_id"], frame.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        shape = mapping(geometry)
        parts = [shape["coordinates"]] if shape["type"] == "LineString" else shape["coordinates"]
        lines = []
        for part in parts:
            line: list[list[float]] = []
            for lon, lat, *_ in part:
                point = _point(lon, lat)
                if not line or line[-1] != point:  # rounding makes neighbours equal
                    line.append(point)
            if len(line) >= 2:
                lines.append(line)
        if lines:
            out[str(route_id)] = lines
    return out


# --- loading --------------------------------------------------------------------------------


def _feed_info(feed: Feed) -> dict[str, Any]:
    info = feed.files.get("feed_info.txt")
    if info is None or info.height == 0:
        return {}
    return {k: v for k, v in info.row(0, named=True).items() if v is not None}


def _stop_times(feed: Feed, stops: dict[str, StopInfo]) -> pl.DataFrame:
    """stop_times joined with trips: trip_id, stop_id, seq, time (departure, else
    arrival, in seconds), route_id, service_id, direction_id, headsign (stop
    headsign, trip headsign, else the last stop's name), pickup, is_last."""
    stop_times = feed.files.get("stop_times.txt")
    trips = feed.files.get("trips.txt")
    empty = pl.DataFrame(schema={
        "trip_id": pl.String, "stop_id": pl.String, "seq": pl.Int64, "time": pl.Int64,
        "route_id": pl.String, "service_id": pl.String, "direction_id": pl.String,
        "headsign": pl.String, "pickup": pl.String, "is_last": pl.Boolean,
    })  # fmt: skip
    if stop_times is None or trips is None:
        return empty
    if not {"trip_id", "stop_id", "stop_sequence"} <= set(stop_times.columns):
        return empty
    if not {"trip_id", "route_id", "service_id"} <= set(trips.columns):
        return empty
    times = stop_times.select(
        "trip_id",
        "stop_id",
        pl.col("stop_sequence").cast(pl.Int64, strict=False).alias("seq"),
        pl.coalesce(
            time_seconds(col_or_null(stop_times, "departure_time"), checked=False),
            time_seconds(col_or_null(stop_times, "arrival_time"), checked=False),
        ).alias("time"),
        col_or_null(stop_times, "stop_headsign").alias("stop_headsign"),
        col_or_null(stop_times, "pickup_type").alias("pickup"),
    ).drop_nulls(["trip_id", "stop_id", "seq"])
    trip_rows = trips.select(
        "trip_id", "route_id", "service_id",
        col_or_null(trips, "direction_id"), col_or_null(trips, "trip_headsign"),
    ).unique("trip_id", keep="first")  # fmt: skip
    names = pl.DataFrame(
        {"stop_id": list(stops), "stop_name": [s.name for s in stops.values()]},
        schema={"stop_id": pl.String, "stop_name": pl.String},
    )
    joined = times.join(trip_rows, on="trip_id", how="inner").sort("trip_id", "seq")
    ends = joined.group_by("trip_id").agg(
        pl.col("seq").max().alias("last_seq"),
        pl.col("stop_id").sort_by("seq").last().alias("last_stop"),
    )
    joined = (
        joined.join(ends, on="trip_id", how="left")
        .with_columns((pl.col("seq") == pl.col("last_seq")).alias("is_last"))
        .join(names.rename({"stop_id": "last_stop"}), on="last_stop", how="left")
        .with_columns(
            pl.coalesce("stop_headsign", "trip_headsign", "stop_name", "last_stop")
            .alias("headsign")
        )
        .select("trip_id", "stop_id", "seq", "time", "route_id", "service_id",
                "direction_id", "headsign", "pickup", "is_last")  # fmt: skip
        .sort("trip_id", "seq")  # joins do not promise to keep the order
    )
    return joined


def load_timetable(source: str | Path | bytes) -> FeedTimetable:
    """The timetables of a feed (a zip or folder path, or the zip's bytes).
    Raises KokaiError when the feed cannot be read."""
    if isinstance(source, bytes):
        with tempfile.NamedTemporaryFile(prefix="kokai-feed-", suffix=".zip") as tmp:
            tmp.write(source)
            tmp.flush()
            return load_timetable(tmp.name)
    feed, findings = load_feed(source)
    if feed is None:
        message = next((f.message_ja for f in findings if f.fatal), None)
        raise KokaiError(message or f"GTFS フィード {source} を読み込めません。")
    # gtfs-kit re-reads from the source when the route lines are drawn; bytes
    # sources are a temporary file, so draw them now (cheap when asked for later).
    timetable = build_timetable(feed)
    if "shapes.txt" in feed.files:
        timetable._route_lines()
    return timetable


def build_timetable(feed: Feed) -> FeedTimetable:
    routes = read_routes(feed)
    stops = read_stops(feed)
    calendar = read_calendar(feed)
    stop_times = _stop_times(feed, stops)
    used_services = set(stop_times["service_id"].unique().to_list())
    columns, partial = day_columns(calendar, used_services & calendar.service_ids)
    info = _feed_info(feed)
    start, end = _gtfs_date(info.get("feed_start_date")), _gtfs_date(info.get("feed_end_date"))
    if start is None or end is None:
        first, last = calendar.span()
        start, end = start or first, end or last

    # Departures: not at the trip's last stop, not where boarding is refused.
    leaving = stop_times.filter(
        ~pl.col("is_last") & (pl.col("pickup").fill_null("0") != "1") & pl.col("time").is_not_null()
    ).sort("stop_id", "time", "trip_id")
    departures: dict[str, list[Departure]] = defaultdict(list)
    for stop_id, seconds, route_id, headsign, service_id, trip_id in leaving.select(
        "stop_id", "time", "route_id", "headsign", "service_id", "trip_id"
    ).iter_rows():
        departures[stop_id].append(Departure(seconds, route_id, headsign or "", service_id,
                                             trip_id))  # fmt: skip

    trips = feed.files.get("trips.txt")
    trip_services = (
        trips.select("route_id", "service_id").drop_nulls()
        if trips is not None and {"route_id", "service_id"} <= set(trips.columns)
        else pl.DataFrame(schema={"route_id": pl.String, "service_id": pl.String})
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    per_service = trip_services.group_by("route_id", "service_id").agg(pl.len().alias("n"))
    for column in columns:
        for route_id, n in (
            per_service.filter(pl.col("service_id").is_in(list(column.service_ids)))
            .group_by("route_id").agg(pl.col("n").sum()).iter_rows()
        ):  # fmt: skip
            counts[route_id][column.key] = n
    agencies = feed.files.get("agency.txt")
    agency_names = (
        [n for n in agencies["agency_name"].to_list() if n]
        if agencies is not None and "agency_name" in agencies.columns
        else []
    )
    return FeedTimetable(
        routes=routes,
        stops=stops,
        agencies=agency_names,
        calendar=calendar,
        columns=columns,
        partial_services=partial,
        start=start,
        end=end,
        trip_count=trips.height if trips is not None else 0,
        feed_info=info,
        departures=dict(departures),
        route_trip_counts=dict(counts),
        _stop_times=stop_times,
        _feed=feed,
    )


def signage_data(timetable: FeedTimetable, stop_id: str) -> dict[str, Any]:
    """What the signage page of a stop embeds: its departures and the calendar of
    their services, compact (indexes into small lists) so that a busy stop stays
    small. Dates are YYYYMMDD text, times GTFS seconds."""
    deps = timetable.departures.get(stop_id, [])
    services = sorted({d.service_id for d in deps})
    service_index = {s: i for i, s in enumerate(services)}
    route_ids = list(dict.fromkeys(d.route_id for d in deps))
    route_index = {r: i for i, r in enumerate(route_ids)}
    headsigns = list(dict.fromkeys(d.headsign for d in deps))
    headsign_index = {h: i for i, h in enumerate(headsigns)}
    weekly_rows, exception_rows = timetable.calendar_rows()
    weekly = [[service_index[sid], *rest] for sid, *rest in weekly_rows if sid in service_index]
    exceptions = [[service_index[sid], day, kind] for sid, day, kind in exception_rows
                  if sid in service_index]  # fmt: skip
    routes = []
    for rid in route_ids:
        route = timetable.routes.get(rid)
        routes.append({
            "name": route.name if route else rid,
            "color": route.color if route else None,
            "textColor": route.text_color if route else None,
        })  # fmt: skip
    stop = timetable.stops.get(stop_id)
    return {
        "stop": stop.name if stop else stop_id,
        "services": services,
        "calendar": weekly,
        "dates": exceptions,
        "routes": routes,
        "headsigns": headsigns,
        "departures": [
            [d.time, route_index[d.route_id], headsign_index[d.headsign], service_index[d.service_id]]
            for d in deps
        ],
    }
