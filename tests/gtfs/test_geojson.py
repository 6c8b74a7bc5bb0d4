"""`kokai gtfs geojson`: valid GeoJSON with every stop and every route."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
import shapely.geometry

from kokai.errors import KokaiError
from kokai.gtfs.geojson import write_geojson

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "gtfs"

# No shapes.txt: R1 runs S1→S2→S3 twice and S1→S3 once; R2 has a color; R3 has no trips.
NO_SHAPES = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
    "6000020212016,岐阜市,https://www.example.jp/,Asia/Tokyo\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type,route_color\n"
    "R1,6000020212016,1,循環,3,\nR2,6000020212016,2,北線,3,FF6600\n"
    "R3,6000020212016,3,休止線,3,\n",
    "trips.txt": "route_id,service_id,trip_id\nR1,WD,T1\nR1,WD,T2\nR1,WD,T3\nR2,WD,T4\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
    "S1,駅前,35.40,136.70\nS2,市役所,35.41,136.71\nS3,本町,35.42,136.72\nS4,北口,35.43,136.73\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,06:00:00,06:00:00,S1,1\nT1,06:05:00,06:05:00,S2,2\nT1,06:10:00,06:10:00,S3,3\n"
    "T2,07:00:00,07:00:00,S1,1\nT2,07:05:00,07:05:00,S2,2\nT2,07:10:00,07:10:00,S3,3\n"
    "T3,08:00:00,08:00:00,S1,1\nT3,08:10:00,08:10:00,S3,2\n"
    "T4,09:00:00,09:00:00,S4,1\nT4,09:10:00,09:10:00,S1,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nWD,1,1,1,1,1,0,0,20260601,20260630\n",
    "translations.txt": "trans_id,lang,translation\n駅前,ja-Hrkt,えきまえ\n",
}


def _check_geojson(path: Path) -> tuple[list[dict], list[dict]]:
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    stops, routes = [], []
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        geometry = shapely.geometry.shape(feature["geometry"])
        assert geometry.is_valid
        kind = feature["properties"]["kind"]
        if kind == "stop":
            assert feature["geometry"]["type"] == "Point"
            stops.append(feature)
        else:
            assert kind == "route"
            assert feature["geometry"]["type"] == "LineString"
            assert len(feature["geometry"]["coordinates"]) >= 2
            routes.append(feature)
    return stops, routes


def test_routes_without_shapes_follow_the_most_common_stop_sequence(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    for name, text in NO_SHAPES.items():
        (folder / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out.geojson"
    summary = write_geojson(folder, out)
    stops, routes = _check_geojson(out)
    assert summary["stops"] == len(stops) == 4
    assert summary["routes"] == 2  # R3 has no trips, so nothing to draw
    by_route = {f["properties"]["route_id"]: f for f in routes}
    assert by_route["R1"]["geometry"]["coordinates"] == [
        [136.70, 35.40],
        [136.71, 35.41],
        [136.72, 35.42],
    ]
    assert by_route["R1"]["properties"]["source"] == "stop_sequence"
    assert by_route["R2"]["properties"]["route_color"] == "#FF6600"
    assert by_route["R1"]["properties"]["route_color"] is None
    assert by_route["R2"]["properties"]["agency_id"] == "6000020212016"
    readings = {f["properties"]["stop_id"]: f["properties"]["stop_name_reading"] for f in stops}
    assert readings["S1"] == "えきまえ" and readings["S2"] is None


def test_unreadable_feed_is_a_staff_error(tmp_path: Path) -> None:
    with pytest.raises(KokaiError):
        write_geojson(tmp_path / "missing.zip", tmp_path / "out.geojson")


def _corpus(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip("shared corpus absent")
    return path


def _csv(path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


@pytest.mark.corpus
def test_minato_shapes(tmp_path: Path) -> None:
    path = _corpus("minato_chiibus.zip")
    out = tmp_path / "minato.geojson"
    summary = write_geojson(path, out)
    stops, routes = _check_geojson(out)
    assert len(stops) == len(_csv(path, "stops.txt")) == summary["stops"]
    route_ids = {r["route_id"] for r in _csv(path, "routes.txt")}
    assert {f["properties"]["route_id"] for f in routes} == route_ids
    # One feature per distinct shape a route uses.
    used = {(t["route_id"], t["shape_id"]) for t in _csv(path, "trips.txt") if t["shape_id"]}
    drawn = {(f["properties"]["route_id"], f["properties"]["shape_id"]) for f in routes}
    assert drawn == used
    # lon/lat order: Tokyo is at lon ~139.7, lat ~35.6.
    lon, lat = stops[0]["geometry"]["coordinates"]
    assert 139 < lon < 140 and 35 < lat < 36
    assert all(f["properties"]["stop_name_reading"] for f in stops)


@pytest.mark.corpus
def test_gifu_without_shapes(tmp_path: Path) -> None:
    path = _corpus("gifu_city_community_bus.zip")
    out = tmp_path / "gifu.geojson"
    write_geojson(path, out)
    _, routes = _check_geojson(out)
    route_ids = {r["route_id"] for r in _csv(path, "routes.txt")}
    assert {f["properties"]["route_id"] for f in routes} == route_ids
    assert {f["properties"]["source"] for f in routes} == {"stop_sequence"}
    assert all(f["properties"]["route_color"].startswith("#") for f in routes)


def test_cli_geojson(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kokai.cli import main

    folder = tmp_path / "feed"
    folder.mkdir()
    for name, text in NO_SHAPES.items():
        (folder / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out.geojson"
    assert main(["gtfs", "geojson", str(folder), str(out)]) == 0
    assert "停留所 4 件、経路 2 件" in capsys.readouterr().out
    _check_geojson(out)
    assert main(["gtfs", "geojson", str(folder), str(tmp_path / "no" / "dir" / "x.geojson")]) == 2
