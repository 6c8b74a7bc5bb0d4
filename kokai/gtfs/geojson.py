"""`kokai gtfs geojson`: stops and route lines of a feed as GeoJSON for the site's maps.

Stops become Points (with their ja-Hrkt reading when translations.txt has
one). Each route becomes one LineString per distinct shape its trips use
(shapes.txt), or, for a route without shapes, one LineString through the
stops of its most common stop sequence. Geometry is built with geopandas /
shapely in WGS84 (EPSG:4326), coordinates [lon, lat] as GeoJSON requires.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import polars as pl
from shapely.geometry import LineString, Point

from kokai.errors import KokaiError
from kokai.gtfs.columns import col_or_null
from kokai.gtfs.feed import Feed, load_feed
from kokai.gtfs.translations import read_translations, readings

WGS84 = "EPSG:4326"
_ROUTE_PROPERTIES = (
    "route_id",
    "route_short_name",
    "route_long_name",
    "route_color",
    "agency_id",
    "route_type",
)


def _stops_with_coordinates(feed: Feed) -> pl.DataFrame:
    """stops.txt rows whose lat/lon are numbers on the globe (others cannot be drawn)."""
    stops = feed.files.get("stops.txt")
    if stops is None or not {"stop_id", "stop_lat", "stop_lon"} <= set(stops.columns):
        return pl.DataFrame(schema={"stop_id": pl.String, "lat": pl.Float64, "lon": pl.Float64})
    return stops.with_columns(
        pl.col("stop_lat").str.strip_chars().cast(pl.Float64, strict=False).alias("lat"),
        pl.col("stop_lon").str.strip_chars().cast(pl.Float64, strict=False).alias("lon"),
    ).filter(
        pl.col("lat").is_between(-90, 90)
        & pl.col("lon").is_between(-180, 180)
        & ~((pl.col("lat") == 0) & (pl.col("lon") == 0))
    )


def stop_features(feed: Feed) -> gpd.GeoDataFrame:
    stops = _stops_with_coordinates(feed)
    translations = read_translations(feed.files)
    reading = (
        readings(translations, "stops", "stop_name", stops, "stop_id")
        if translations is not None and "stop_name" in stops.columns
        else pl.Series([None] * stops.height, dtype=pl.String)
    )
    table = stops.select(
        pl.lit("stop").alias("kind"),
        "stop_id",
        col_or_null(stops, "stop_name"),
        reading.alias("stop_name_reading"),
        col_or_null(stops, "location_type").fill_null("0"),
        col_or_null(stops, "parent_station"),
        "lon",
        "lat",
    )
    geometry = [Point(lon, lat) for lon, lat in zip(table["lon"], table["lat"], strict=True)]
    return gpd.GeoDataFrame(
        table.drop("lon", "lat").to_dict(as_series=False), geometry=geometry, crs=WGS84
    )


def _shape_lines(feed: Feed) -> dict[str, LineString]:
    """shape_id → LineString of its points in shape_pt_sequence order."""
    shapes = feed.files.get("shapes.txt")
    needed = {"shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"}
    if shapes is None or not needed <= set(shapes.columns):
        return {}
    points = (
        shapes.select(
            "shape_id",
            pl.col("shape_pt_sequence").cast(pl.Float64, strict=False).alias("seq"),
            pl.col("shape_pt_lon").cast(pl.Float64, strict=False).alias("lon"),
            pl.col("shape_pt_lat").cast(pl.Float64, strict=False).alias("lat"),
        )
        .drop_nulls()
        .sort("shape_id", "seq")
        .group_by("shape_id", maintain_order=True)
        .agg("lon", "lat")
    )
    return {
        shape_id: LineString(list(zip(lons, lats, strict=True)))
        for shape_id, lons, lats in points.iter_rows()
        if len(lons) >= 2
    }


def _stop_pattern_lines(feed: Feed, route_ids: list[str]) -> dict[str, LineString]:
    """route_id → LineString through the stops of the route's most common stop sequence."""
    trips = feed.files.get("trips.txt")
    stop_times = feed.files.get("stop_times.txt")
    if not route_ids or trips is None or stop_times is None:
        return {}
    if not {"trip_id", "route_id"} <= set(trips.columns) or not {
        "trip_id",
        "stop_id",
        "stop_sequence",
    } <= set(stop_times.columns):
        return {}
    wanted = trips.filter(pl.col("route_id").is_in(route_ids)).select("trip_id", "route_id")
    stops = _stops_with_coordinates(feed).select("stop_id", "lon", "lat")
    sequences = (
        stop_times.select(
            "trip_id",
            "stop_id",
            pl.col("stop_sequence").cast(pl.Int64, strict=False).alias("seq"),
        )
        .join(wanted, on="trip_id", how="inner")
        .sort("trip_id", "seq")
        .group_by("trip_id", maintain_order=True)
        .agg(pl.col("route_id").first(), pl.col("stop_id").alias("pattern"))
    )
    most_common = (
        sequences.group_by("route_id", "pattern")
        .agg(pl.len().alias("trips"))
        .sort(["route_id", "trips"], descending=[False, True])
        .group_by("route_id", maintain_order=True)
        .first()
    )
    located = dict(zip(stops["stop_id"], zip(stops["lon"], stops["lat"], strict=True), strict=True))
    out: dict[str, LineString] = {}
    for route_id, pattern in most_common.select("route_id", "pattern").iter_rows():
        coordinates = [located[s] for s in pattern if s in located]
        if len(coordinates) >= 2:
            out[route_id] = LineString(coordinates)
    return out


def route_features(feed: Feed) -> gpd.GeoDataFrame:
    routes = feed.files.get("routes.txt")
    trips = feed.files.get("trips.txt")
    rows: list[dict[str, Any]] = []
    geometry: list[LineString] = []
    if routes is None or "route_id" not in routes.columns:
        return gpd.GeoDataFrame({"kind": []}, geometry=[], crs=WGS84)
    properties = routes.select([col_or_null(routes, name) for name in _ROUTE_PROPERTIES]).with_columns(
        pl.when(pl.col("route_color").is_not_null())
        .then(pl.lit("#") + pl.col("route_color").str.strip_chars().str.strip_prefix("#"))
        .alias("route_color")
    )
    by_route = {row["route_id"]: row for row in properties.iter_rows(named=True)}

    shapes = _shape_lines(feed)
    shapes_of_route: dict[str, list[str]] = {}
    if trips is not None and {"route_id", "shape_id"} <= set(trips.columns) and shapes:
        used = (
            trips.select("route_id", "shape_id")
            .drop_nulls()
            .unique(maintain_order=True)
            .filter(pl.col("shape_id").is_in(list(shapes)))
            .sort("route_id", "shape_id")
        )
        for route_id, shape_id in used.iter_rows():
            shapes_of_route.setdefault(route_id, []).append(shape_id)
    without_shape = [route_id for route_id in by_route if route_id not in shapes_of_route]
    patterns = _stop_pattern_lines(feed, without_shape)

    for route_id, props in by_route.items():
        for shape_id in shapes_of_route.get(route_id, []):
            rows.append({"kind": "route", **props, "shape_id": shape_id, "source": "shapes"})
            geometry.append(shapes[shape_id])
        if route_id in patterns:
            rows.append({"kind": "route", **props, "shape_id": None, "source": "stop_sequence"})
            geometry.append(patterns[route_id])
    return gpd.GeoDataFrame(rows, geometry=geometry, crs=WGS84)


def feed_geojson(feed: Feed) -> dict[str, Any]:
    """The FeatureCollection (as a dict): stop Points first, then route LineStrings.
    Each kind is serialised on its own so that its features carry only its properties."""
    features: list[dict[str, Any]] = []
    for frame in (stop_features(feed), route_features(feed)):
        if len(frame):
            features += json.loads(frame.to_json(drop_id=True, to_wgs84=True))["features"]
    return {"type": "FeatureCollection", "features": features}


def write_geojson(path: str | Path, out: str | Path) -> dict[str, int]:
    """Writes the feed's stops and routes to `out`; returns how many of each were
    written ({"stops", "routes", "route_features"}). Raises KokaiError on an
    unreadable feed."""
    feed, findings = load_feed(path)
    if feed is None:
        message = next((f.message_ja for f in findings if f.fatal), None)
        raise KokaiError(message or f"GTFS フィード {path} を読み込めません。")
    if "stops.txt" not in feed.files and "routes.txt" not in feed.files:
        raise KokaiError(
            f"{path} に stops.txt も routes.txt もありません。GTFS フィードの zip または"
            "フォルダを指定してください。"
        )
    collection = feed_geojson(feed)
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    route_ids = {
        f["properties"]["route_id"]
        for f in collection["features"]
        if f["properties"]["kind"] == "route"
    }
    try:
        Path(out).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    except OSError as exc:
        raise KokaiError(f"{out} に書き込めません: {exc}") from exc
    return {
        "stops": kinds.count("stop"),
        "routes": len(route_ids),
        "route_features": kinds.count("route"),
    }
