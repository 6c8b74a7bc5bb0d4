"""The pages of a GTFS dataset: the feed page (validity, stable URL for route
search services, route map, routes and stops), a timetable page per route and
per stop, a signage page per stop, and the GeoJSON the maps read.

Big feeds stay bounded: stop pages for the MAX_STOP_PAGES busiest stops (the
feed page says which were left out), signage for up to MAX_SIGNAGE_PAGES
stops, route grids of at most MAX_GRID_TRIPS trips (else the departures from
the first stop, by hour), and stop points on the feed's map only up to
MAX_MAP_STOPS.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kokai.gtfs.timetable import (
    FeedTimetable,
    RouteDirection,
    StopGroup,
    format_time,
    hour_label,
    load_timetable,
    signage_data,
)
from kokai.site.render import SiteRenderer

MAX_STOP_PAGES = 500
MAX_SIGNAGE_PAGES = 5000
MAX_ROUTE_PAGES = 500
MAX_GRID_TRIPS = 40
MAX_MAP_STOPS = 2000
EXPIRY_WARNING_DAYS = 30

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass
class GtfsSite:
    pages: dict[str, bytes] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def path_slugs(ids: list[str]) -> dict[str, str]:
    """A path segment for each id. Plain ASCII ids stay as they are; any other id
    (slashes, dots only, spaces, kana, a trailing dot...) and ids that differ only
    by case (case-insensitive file systems) become "_" + a hash, which no plain
    id can equal (a plain id starts with a letter or digit)."""
    plain = [i for i in ids if _SAFE_ID.fullmatch(i) and not i.endswith(".")]
    folded: dict[str, int] = {}
    for i in plain:
        folded[i.lower()] = folded.get(i.lower(), 0) + 1
    out = {}
    for i in ids:
        if i in plain and folded[i.lower()] == 1:
            out[i] = i
        else:
            out[i] = "_" + hashlib.sha256(i.encode("utf-8")).hexdigest()[:16]
    return out


def _ja_date(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "不明"


def _minutes(seconds: int) -> str:
    return f"{seconds // 60 % 60:02d}"


def _hour_rows(times_by_column: dict[str, list[tuple[int, bool]]],
               column_keys: list[str]) -> list[dict[str, Any]]:  # fmt: skip
    """Rows of a 時刻表: one per hour that has a departure in any column (24 and
    later after 23, labelled 翌0時…), cells of minutes with their ※ mark."""
    hours = sorted({t // 3600 for times in times_by_column.values() for t, _ in times})
    rows = []
    for hour in hours:
        cells = []
        for key in column_keys:
            cells.append([
                {"minute": _minutes(t), "partial": partial}
                for t, partial in times_by_column.get(key, [])
                if t // 3600 == hour
            ])  # fmt: skip
        rows.append({"label": hour_label(hour), "cells": cells})
    return rows


class _FeedPages:
    def __init__(self, renderer: SiteRenderer, package: dict, resource: dict,
                 timetable: FeedTimetable, dataset_path: str):  # fmt: skip
        self.renderer = renderer
        self.package = package
        self.resource = resource
        self.tt = timetable
        self.dataset_path = dataset_path.strip("/") + "/"
        self.base = self.dataset_path + "gtfs/"
        self.title = package.get("title") or package.get("name") or ""
        self.route_slugs = path_slugs(list(timetable.routes))
        self.stop_slugs = path_slugs(list(timetable.stops))
        served = timetable.served_stops  # busiest first
        self.stop_page_ids = set(served[:MAX_STOP_PAGES])
        self.signage_ids = set(served[:MAX_SIGNAGE_PAGES])
        self.route_page_ids = dict.fromkeys(list(timetable.routes)[:MAX_ROUTE_PAGES])
        self.column_labels = {c.key: c.label for c in timetable.columns}
        api = renderer.site.api_url.rstrip("/")
        self.feed_url = resource.get("gtfs_feed_url") or f"{api}/gtfs/{package['name']}/feed.zip"

    # --- paths ---

    def route_path(self, route_id: str) -> str:
        return f"{self.base}routes/{self.route_slugs[route_id]}/"

    def stop_path(self, stop_id: str) -> str | None:
        if stop_id not in self.stop_page_ids:
            return None
        return f"{self.base}stops/{self.stop_slugs[stop_id]}/"

    def signage_path(self, stop_id: str) -> str | None:
        if stop_id not in self.signage_ids:
            return None
        return f"{self.base}signage/{self.stop_slugs[stop_id]}/"

    def breadcrumbs(self, *more: tuple[str, str]) -> list[tuple[str, str]]:
        return [("データセット", "datasets/"), (self.title, self.dataset_path),
                ("路線・時刻表", self.base), *more]  # fmt: skip

    # --- context pieces ---

    def route_view(self, route_id: str) -> dict[str, Any]:
        route = self.tt.routes[route_id]
        counts = self.tt.route_trip_counts.get(route_id, {})
        return {
            "id": route_id,
            "name": route.name,
            "short_name": route.short_name,
            "long_name": route.long_name,
            "color": route.color,
            "text_color": route.text_color,
            "agency": route.agency_name,
            "url": route.url if route.url and route.url.startswith(("https://", "http://")) else None,
            "path": self.route_path(route_id) if route_id in self.route_page_ids else None,
            "trips": [counts.get(c.key, 0) for c in self.tt.columns],
        }

    def stop_view(self, stop_id: str) -> dict[str, Any]:
        stop = self.tt.stops.get(stop_id)
        return {
            "id": stop_id,
            "name": stop.name if stop else stop_id,
            "reading": stop.reading if stop else None,
            "english": stop.english if stop else None,
            "platform": stop.platform_code if stop else None,
            "code": stop.code if stop else None,
            "lat": stop.lat if stop else None,
            "lon": stop.lon if stop else None,
            "path": self.stop_path(stop_id),
            "signage": self.signage_path(stop_id),
            "departures": len(self.tt.departures.get(stop_id, [])),
        }

    def validity(self) -> dict[str, Any]:
        today = self.renderer.site.today
        end = self.tt.end
        days = (end - today).days if end else None
        if days is None:
            status = "warning"
        elif days < 0:
            status = "error"
        elif days <= EXPIRY_WARNING_DAYS:
            status = "warning"
        else:
            status = "ok"
        return {
            "start": _ja_date(self.tt.start),
            "end": _ja_date(end),
            "days": days,
            "status": status,
            "version": self.tt.feed_info.get("feed_version"),
        }

    def summary(self) -> dict[str, Any]:
        today = self.renderer.site.today
        return {
            "start": self.tt.start.isoformat() if self.tt.start else None,
            "end": self.tt.end.isoformat() if self.tt.end else None,
            "days_to_expiry": (self.tt.end - today).days if self.tt.end else None,
            "routes": len(self.tt.routes),
            "stops": len(self.tt.departures),
            "trips": self.tt.trip_count,
            "agencies": self.tt.agencies,
            "feed_url": self.feed_url,
            "feed_page": self.base,
            "route_list": [
                {"id": rid, "name": r.name, "color": r.color, "text_color": r.text_color,
                 "path": self.route_path(rid) if rid in self.route_page_ids else None}
                for rid, r in self.tt.routes.items()
            ],  # fmt: skip
        }

    # --- pages ---

    def feed_page(self) -> bytes:
        served = self.tt.served_stops
        stops = sorted((self.stop_view(s) for s in served),
                       key=lambda s: (s["reading"] or s["name"], s["id"]))  # fmt: skip
        return self.renderer.page(
            "gtfs_feed.html",
            title=self.title,
            package=self.package,
            resource=self.resource,
            base=self.base,
            dataset_path=self.dataset_path,
            breadcrumbs=self.breadcrumbs(),
            validity=self.validity(),
            feed_url=self.feed_url,
            agencies=self.tt.agencies,
            columns=[c.label for c in self.tt.columns],
            routes=[self.route_view(r) for r in self.tt.routes],
            stops=stops,
            trip_count=self.tt.trip_count,
            stops_without_page=len(served) - len(self.stop_page_ids),
            max_stop_pages=MAX_STOP_PAGES,
            map_has_stops=len(served) <= MAX_MAP_STOPS,
            has_partial=bool(self.tt.partial_services),
        )

    def _direction_view(self, direction: RouteDirection, number: int) -> dict[str, Any]:
        stops = [self.stop_view(s) for s in direction.stops]
        tables = []
        for column in self.tt.columns:
            trips = direction.trips.get(column.key)
            if not trips:
                continue
            several = len({t.headsign for t in trips}) > 1
            if len(trips) <= MAX_GRID_TRIPS:
                tables.append({
                    "kind": "grid",
                    "label": column.label,
                    "id": f"d{number}-{column.key}",
                    "trips": [{"number": i, "partial": t.partial, "headsign": t.headsign}
                              for i, t in enumerate(trips, start=1)],
                    "several_headsigns": several,
                    "rows": [
                        {"stop": stop, "times": [
                            format_time(t.times[i]) if i in t.times else None for t in trips
                        ]}
                        for i, stop in enumerate(stops)
                    ],
                })  # fmt: skip
            else:
                first = [(min(t.times.items())[1], t.partial) for t in trips]
                best: dict[int, bool] = {}
                for seconds, partial in first:
                    best[seconds] = best.get(seconds, True) and partial
                tables.append({
                    "kind": "hours",
                    "label": column.label,
                    "id": f"d{number}-{column.key}",
                    "count": len(trips),
                    "rows": _hour_rows({column.key: sorted(best.items())}, [column.key]),
                })  # fmt: skip
        return {"label": direction.label, "number": number, "stops": stops, "tables": tables}

    def route_page(self, route_id: str, directions: list[RouteDirection]) -> bytes:
        route = self.route_view(route_id)
        views = [self._direction_view(d, n) for n, d in enumerate(directions, start=1)]
        return self.renderer.page(
            "gtfs_route.html",
            title=self.title,
            route=route,
            base=self.base,
            directions=views,
            max_grid_trips=MAX_GRID_TRIPS,
            has_partial=bool(self.tt.partial_services),
            breadcrumbs=self.breadcrumbs((route["name"], route["path"] or self.base)),
            geojson=route["path"] + "route.geojson",
        )

    def _group_view(self, group: StopGroup, keys: list[str]) -> dict[str, Any]:
        route = self.tt.routes.get(group.route_id)
        return {
            "route": self.route_view(group.route_id) if route else
            {"id": group.route_id, "name": group.route_id, "color": None, "path": None},
            "headsign": group.headsign,
            "missing": [self.column_labels[k] for k in keys if not group.times.get(k)],
            "rows": _hour_rows(group.times, keys),
        }

    def stop_page(self, stop_id: str) -> bytes:
        stop = self.stop_view(stop_id)
        groups = self.tt.stop_groups(stop_id)
        keys = [c.key for c in self.tt.columns if any(g.times.get(c.key) for g in groups)]
        route_ids = list(dict.fromkeys(g.route_id for g in groups))
        return self.renderer.page(
            "gtfs_stop.html",
            title=self.title,
            stop=stop,
            base=self.base,
            columns=[self.column_labels[k] for k in keys],
            groups=[self._group_view(g, keys) for g in groups],
            routes=[self.route_view(r) for r in route_ids if r in self.tt.routes],
            has_partial=any(p for g in groups for ts in g.times.values() for _, p in ts),
            breadcrumbs=self.breadcrumbs((stop["name"], stop["path"] or self.base)),
        )

    def signage_page(self, stop_id: str) -> bytes:
        stop = self.stop_view(stop_id)
        data = json.dumps(signage_data(self.tt, stop_id), ensure_ascii=False,
                          separators=(",", ":"))  # fmt: skip
        return self.renderer.page(
            "gtfs_signage.html",
            stop=stop,
            back=stop["path"] or self.base,
            data=data,
        )

    def geojson(self, collection: dict[str, Any]) -> bytes:
        return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def gtfs_site(renderer: SiteRenderer, package: dict, resource: dict, feed: bytes | Path,
              dataset_path: str) -> GtfsSite:  # fmt: skip
    """The pages of a GTFS resource, keyed by site-relative path (…/gtfs/index.html,
    routes/, stops/, signage/, *.geojson), and a summary for the dataset page.
    Raises KokaiError when the feed cannot be read."""
    timetable = load_timetable(feed)
    view = _FeedPages(renderer, package, resource, timetable, dataset_path)
    out = GtfsSite(summary=view.summary())
    pages = out.pages
    base = view.base

    route_urls = {r: renderer.url(view.route_path(r)) for r in view.route_page_ids}
    stop_urls = {s: renderer.url(p) for s in timetable.departures if (p := view.stop_path(s))}
    served = timetable.served_stops
    routes_geojson = timetable.routes_geojson(urls=route_urls)
    stops_geojson = timetable.stops_geojson(served, urls=stop_urls)
    pages[base + "routes.geojson"] = view.geojson(routes_geojson)
    pages[base + "stops.geojson"] = view.geojson(stops_geojson)
    # The feed page's map: the route lines, and the stops when there are not too many.
    network = dict(routes_geojson)
    if len(served) <= MAX_MAP_STOPS:
        network = {"type": "FeatureCollection",
                   "features": routes_geojson["features"] + stops_geojson["features"]}  # fmt: skip
    pages[base + "map.geojson"] = view.geojson(network)
    pages[base + "index.html"] = view.feed_page()

    for route_id in view.route_page_ids:
        path = view.route_path(route_id)
        directions = timetable.route_directions(route_id)
        stop_ids = [s for d in directions for s in d.stops]
        route_map = timetable.routes_geojson([route_id])
        route_map["features"] += timetable.stops_geojson(
            list(dict.fromkeys(stop_ids)), urls=stop_urls
        )["features"]
        pages[path + "route.geojson"] = view.geojson(route_map)
        pages[path + "index.html"] = view.route_page(route_id, directions)
    for stop_id in served:
        if (path := view.stop_path(stop_id)) is not None:
            pages[path + "index.html"] = view.stop_page(stop_id)
        if (path := view.signage_path(stop_id)) is not None:
            pages[path + "index.html"] = view.signage_page(stop_id)
    return out
