"""The quality score (kokai/publish/quality.py): udata's nine criteria each
way, kokai's validation and 5-star level, the total, the stored JSON, and
`kokai quality`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from kokai.cli import main
from kokai.publish.quality import (
    KOKAI_CRITERIA,
    UDATA_CRITERIA,
    Quality,
    from_json,
    quality_json,
    refresh_timeliness,
    render_text,
    score_dataset,
    to_json,
)
from kokai.vocab.frequency import UPDATE_FREQUENCIES

NOW = datetime(2026, 6, 15, 3, 0, 0)  # naive UTC
POLYGON = json.dumps(
    {"type": "Polygon", "coordinates": [[[137.88, 34.665], [138.04, 34.665], [138.04, 34.755],
                                         [137.88, 34.755], [137.88, 34.665]]]}  # fmt: skip
)
LONG_NOTES = "潮見市が指定している避難所の一覧です。" * 6  # 19 × 6 = 114 characters


def package(extras: dict | None = None, resources: list | None = None, **fields) -> dict:
    """A package dict that passes every criterion unless told otherwise."""
    base_extras = {
        "update_frequency": "毎月",
        "spatial": POLYGON,
        "temporal_start": "2026-04-01",
        "temporal_end": "2027-03-31",
        "kokai_validation": json.dumps({"errors": 0, "warnings": 0, "infos": 2, "checked": "2026-06-15T03:00:00"}),
    }
    base_extras.update(extras or {})
    out = {
        "name": "shelters",
        "title": "指定避難所一覧",
        "notes": LONG_NOTES,
        "license_id": "cc-by-4.0",
        "metadata_modified": (NOW - timedelta(days=1)).isoformat(),
        "extras": [{"key": k, "value": v} for k, v in base_extras.items() if v is not None],
        "resources": resources
        if resources is not None
        else [{"name": "shelters", "format": "CSV", "description": "避難所ごとに1行", "url": "https://x/s.csv"}],
    }
    out.update(fields)
    return out


def score(pkg: dict, **kwargs) -> Quality:
    kwargs.setdefault("now", NOW)
    return score_dataset(pkg, **kwargs)


def passed(pkg: dict, code: str, **kwargs) -> bool:
    return score(pkg, **kwargs).criterion(code).passed


def test_a_complete_dataset_passes_everything_and_scores_100():
    q = score(package())
    assert [c.code for c in q.criteria] == [*UDATA_CRITERIA, *KOKAI_CRITERIA]
    assert all(c.passed for c in q.criteria), [c for c in q.criteria if not c.passed]
    assert (q.passed, q.total, q.score, q.percent, q.stars) == (9, 9, 1.0, 100, 3)


def test_every_criterion_explains_itself_in_japanese_and_english():
    bad = package(extras={"update_frequency": None, "spatial": None, "temporal_start": None,
                          "kokai_validation": None}, license_id="", notes="短い", resources=[])  # fmt: skip
    for q in (score(package()), score(bad)):
        for c in q.criteria:
            assert c.label_ja and c.label_en and c.message_ja and c.message_en, c.code
    failing = score(bad)
    assert failing.passed == 0 and failing.percent == 0 and failing.stars == 0
    for c in failing.criteria:
        assert not c.passed, c.code
        assert "ください" in c.message_ja, (c.code, c.message_ja)  # says what to do


# ------------------------------------------------------------------ udata's nine, each way


@pytest.mark.parametrize(
    ("licence", "ok"),
    [("cc-by-4.0", True), ("PDL-1.0", True), ("other-closed", True), ("", False), (None, False),
     ("notspecified", False), ("my-own-licence", False)],
)  # fmt: skip
def test_licence_set(licence, ok):
    assert passed(package(license_id=licence), "license") is ok


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [("2026-04-01", "2027-03-31", True), ("2026-04-01", None, True), (None, None, False),
     (None, "2027-03-31", False), ("2026-13-01", None, False), ("2026-04-01", "someday", False),
     ("2027-04-01", "2026-03-31", False)],
)  # fmt: skip
def test_temporal_coverage_set(start, end, ok):
    pkg = package(extras={"temporal_start": start, "temporal_end": end})
    assert passed(pkg, "temporal_coverage") is ok


@pytest.mark.parametrize(
    ("spatial", "ok"),
    [(POLYGON, True), ('{"type": "Point", "coordinates": [138.0, 34.7]}', True), (None, False),
     ("", False), ("not json", False), ('{"type": "Feature", "properties": {}}', False),
     ('{"type": "Polygon", "coordinates": []}', False)],
)  # fmt: skip
def test_spatial_coverage_set(spatial, ok):
    assert passed(package(extras={"spatial": spatial}), "spatial") is ok


@pytest.mark.parametrize("word", [f.word for f in UPDATE_FREQUENCIES])
def test_each_of_the_seven_frequencies_counts_as_set_including_zuiji(word):
    assert passed(package(extras={"update_frequency": word}), "update_frequency")


@pytest.mark.parametrize("word", [None, "", "月1回", "monthly"])
def test_a_missing_or_unknown_frequency_is_not_set(word):
    q = score(package(extras={"update_frequency": word}))
    assert not q.criterion("update_frequency").passed
    assert "随時" in q.criterion("update_frequency").message_ja  # the allowed words are listed
    assert not q.criterion("update_fulfilled_in_time").passed  # cannot be kept without one


@pytest.mark.parametrize("frequency", [f for f in UPDATE_FREQUENCIES if f.allowance is not None],
                         ids=lambda f: f.eu_code)  # fmt: skip
def test_update_kept_boundary_for_each_frequency(frequency):
    pkg = package(extras={"update_frequency": frequency.word})
    on_time = NOW - frequency.allowance
    assert passed(pkg, "update_fulfilled_in_time", last_change=on_time)
    late = score(pkg, last_change=on_time - timedelta(seconds=1))
    kept = late.criterion("update_fulfilled_in_time")
    assert not kept.passed
    assert "kokai publish" in kept.message_ja
    assert late.passed == 8


def test_zuiji_is_never_overdue():
    pkg = package(extras={"update_frequency": "随時"})
    assert passed(pkg, "update_fulfilled_in_time", last_change=NOW - timedelta(days=3650))


def test_update_kept_defaults_to_metadata_modified():
    monthly = package(extras={"update_frequency": "毎月"})
    assert passed(monthly, "update_fulfilled_in_time")  # modified a day ago
    old = dict(monthly, metadata_modified=(NOW - timedelta(days=40)).isoformat())
    assert not passed(old, "update_fulfilled_in_time")


@pytest.mark.parametrize(("notes", "ok"), [("あ" * 100, False), ("あ" * 101, True), ("a" * 101, True),
                                           ("  " + "あ" * 100 + "\n\n", False), ("", False), (None, False)])  # fmt: skip
def test_description_over_100_characters(notes, ok):
    q = score(package(notes=notes))
    assert q.criterion("dataset_description_quality").passed is ok
    assert q.criterion("dataset_description_quality").details["length"] == len((notes or "").strip())


@pytest.mark.parametrize(
    ("resources", "ok"),
    [([{"format": "PDF"}, {"format": "XLSX"}], False),
     ([{"format": "PDF"}, {"format": "csv"}], True),
     ([{"format": "", "mimetype": "text/csv"}], True),
     ([{"format": ""}], False),
     ([{"format": "HTML"}, {"format": "JPEG"}], False),
     ([{"format": "GTFS"}], True),
     ([{"format": "GeoJSON"}], True),
     ([{"format": "TTL"}], True),
     ([], False)],
)  # fmt: skip
def test_an_open_format_among_the_resources(resources, ok):
    resources = [{"name": f"r{i}", "description": "説明", **r} for i, r in enumerate(resources)]
    assert passed(package(resources=resources), "has_open_format") is ok


def test_all_resources_reachable():
    resources = [{"name": "a", "format": "CSV", "description": "x"}, {"name": "b", "format": "CSV", "description": "y"}]
    pkg = package(resources=resources)
    assert passed(pkg, "all_resources_available", reachable=lambda r: True)
    down = score(pkg, reachable=lambda r: r["name"] != "b").criterion("all_resources_available")
    assert not down.passed
    assert down.details["unreachable"] == ["b"] and "b" in down.message_ja
    # not checked counts as available (udata's "unknown"), and says so
    unknown = score(pkg, reachable=lambda r: None).criterion("all_resources_available")
    assert unknown.passed and unknown.details["not_checked"] == ["a", "b"]
    assert "確認していません" in unknown.message_ja
    assert not passed(package(resources=[]), "all_resources_available", reachable=lambda r: True)


def test_all_resources_documented():
    described = {"name": "a", "format": "CSV", "description": "列の意味"}
    bare = {"name": "b", "format": "CSV", "description": ""}
    assert passed(package(resources=[described]), "resources_documentation")
    missing = score(package(resources=[described, bare])).criterion("resources_documentation")
    assert not missing.passed and missing.details["undocumented"] == ["b"]
    assert "description" in missing.message_ja
    doc = {"name": "手引き", "format": "PDF", "resource_type": "documentation"}
    assert passed(package(resources=[bare, doc]), "resources_documentation")
    assert not passed(package(resources=[]), "resources_documentation")


# ------------------------------------------------------------------ kokai's own


@pytest.mark.parametrize(
    ("validation", "ok"),
    [({"errors": 0, "warnings": 0, "infos": 5}, True), ({"errors": 0, "warnings": 1, "infos": 0}, False),
     ({"errors": 2, "warnings": 0, "infos": 0}, False), ({}, False)],
)  # fmt: skip
def test_validation_has_no_errors_and_no_warnings(validation, ok):
    assert passed(package(), "validation", validation=validation) is ok


def test_validation_is_read_from_the_extra_when_not_given():
    warned = json.dumps({"errors": 0, "warnings": 3, "infos": 0})
    q = score(package(extras={"kokai_validation": warned}))
    assert not q.criterion("validation").passed and q.criterion("validation").details["warnings"] == 3
    assert not passed(package(extras={"kokai_validation": None}), "validation")
    assert not passed(package(extras={"kokai_validation": "{broken"}), "validation")


@pytest.mark.parametrize(
    ("licence", "formats", "stars"),
    [("cc-by-4.0", ["PDF"], 1), ("cc-by-4.0", ["PDF", "XLSX"], 2), ("cc-by-4.0", ["XLSX", "CSV"], 3),
     ("cc-by-4.0", ["CSV", "TTL"], 4), ("PDL-1.0", ["JSON-LD"], 4), ("cc-by-4.0", [""], 1),
     ("cc-nc", ["CSV"], 0), ("other-closed", ["TTL"], 0), ("", ["CSV"], 0), ("cc-by-4.0", [], 0)],
)  # fmt: skip
def test_five_star_level_from_licence_and_formats(licence, formats, stars):
    resources = [{"name": f"r{i}", "format": f, "description": "x"} for i, f in enumerate(formats)]
    q = score(package(license_id=licence, resources=resources))
    assert q.stars == stars
    five = q.criterion("five_star")
    assert five.passed is (stars >= 3)
    assert five.details["stars"] == stars
    assert five.message_ja.startswith("★" * stars + "☆" * (5 - stars))


def test_the_fifth_star_is_never_awarded_from_formats():
    formats = ["TTL", "RDF", "JSON-LD", "N-TRIPLES"]
    q = score(package(resources=[{"name": f, "format": f, "description": "x"} for f in formats]))
    assert q.stars == 4
    assert "★5" in q.criterion("five_star").message_ja


# ------------------------------------------------------------------ the total and storage


def test_the_score_is_udatas_nine_and_kokais_two_stand_beside_it():
    # kokai's two failing leave the score alone
    q = score(package(license_id="cc-nc"), validation={"errors": 0, "warnings": 4, "infos": 0})
    assert not q.criterion("validation").passed and not q.criterion("five_star").passed
    assert (q.passed, q.percent) == (9, 100)
    # each udata criterion failing costs one ninth
    q = score(package(notes="短い", extras={"spatial": None, "temporal_start": None}))
    assert (q.passed, q.score, q.percent) == (6, round(6 / 9, 4), 67)


def test_stored_json_round_trips_and_is_deterministic():
    q = score(package(notes="短い"), reachable=lambda r: False)
    text = to_json(q)
    assert quality_json is to_json
    assert to_json(score(package(notes="短い"), reachable=lambda r: False)) == text
    back = from_json(text)
    assert back.to_dict() == q.to_dict()
    data = json.loads(text)
    assert set(data) == {"version", "computed", "score", "percent", "passed", "total", "stars",
                         "validation_passed", "criteria"}  # fmt: skip
    assert data["total"] == 9 and data["passed"] == 7 and data["computed"] == "2026-06-15T03:00:00+00:00"
    first = data["criteria"][0]
    assert set(first) == {"code", "group", "passed", "label", "message", "details"}
    assert set(first["label"]) == set(first["message"]) == {"ja", "en"}
    for bad in ("", "null", "[]", '{"criteria": 3}', "{"):
        with pytest.raises(ValueError):
            from_json(bad)


def test_refresh_decides_timeliness_again_and_keeps_the_rest():
    stored = score(package(notes="短い"), reachable=lambda r: False, last_change=NOW)
    assert stored.criterion("update_fulfilled_in_time").passed and stored.passed == 7
    later = NOW + timedelta(days=40)
    fresh = refresh_timeliness(from_json(to_json(stored)), package(), last_change=NOW, now=later)
    assert not fresh.criterion("update_fulfilled_in_time").passed
    assert fresh.passed == 6
    assert not fresh.criterion("all_resources_available").passed  # as stored, not re-checked
    assert not fresh.criterion("dataset_description_quality").passed  # as stored
    # a newer publish in the log makes it current again
    again = refresh_timeliness(stored, package(), last_change=later - timedelta(days=1), now=later)
    assert again.criterion("update_fulfilled_in_time").passed


def test_text_rendering_marks_every_line_not_colour_alone():
    q = score(package(notes="短い"))
    text = render_text("shelters", "指定避難所一覧", q)
    assert "品質スコア 89%" in text and "★★★☆☆" in text
    lines = [line for line in text.splitlines() if "合格" in line and ":" in line and "スコア" not in line]
    assert len(lines) == 11
    assert sum("✗ 不合格" in line for line in lines) == 1
    assert "\x1b[" not in text


def test_aware_and_naive_now_agree():
    aware = score(package(), now=NOW.replace(tzinfo=UTC))
    assert aware.to_dict() == score(package()).to_dict()


# ------------------------------------------------------------------ `kokai quality`




def create(catalog, pkg: dict, quality: Quality | None) -> dict:
    extras = list(pkg["extras"])
    if quality is not None:
        extras.append({"key": "kokai_quality", "value": to_json(quality)})
    fields = {k: v for k, v in pkg.items() if k not in ("metadata_modified", "extras")}
    return catalog.action.package_create(owner_org="bousai", extras=extras, **fields)


def run_json(capsys, args) -> tuple[int, dict]:
    code = main(args)
    return code, json.loads(capsys.readouterr().out)


def test_kokai_quality_prints_the_stored_score(site, capsys):
    args, catalog = site
    now = datetime.now(UTC).replace(tzinfo=None)
    pkg = package(notes="短い")
    create(catalog, pkg, score(pkg, now=now, reachable=lambda r: False))
    assert main([*args, "quality", "shelters"]) == 0
    out = capsys.readouterr().out
    assert "指定避難所一覧（shelters）" in out
    assert "品質スコア 78%（udata の 9 項目中 7 項目）" in out
    assert "✗ 不合格  すべてのファイルにアクセスできる" in out  # as stored
    assert "✓ 合格  ライセンスが設定されている" in out
    assert "いま計算しました" not in out

    code, data = run_json(capsys, [*args, "quality", "shelters", "--format", "json"])
    assert code == 0
    (entry,) = data["datasets"]
    assert entry["name"] == "shelters" and entry["title"] == "指定避難所一覧" and entry["stored"] is True
    assert (entry["passed"], entry["total"], entry["percent"], entry["stars"]) == (7, 9, 78, 3)
    assert [c["code"] for c in entry["criteria"]] == [*UDATA_CRITERIA, *KOKAI_CRITERIA]
    assert all(c["message"]["ja"] and c["message"]["en"] for c in entry["criteria"])


def test_kokai_quality_decides_timeliness_at_the_time_it_runs(site, capsys):
    args, catalog = site
    pkg = package(name="population", extras={"update_frequency": "毎月"})
    # scored as if two months had passed: stored as overdue …
    late = score(pkg, now=datetime.now(UTC).replace(tzinfo=None) + timedelta(days=60))
    assert not late.criterion("update_fulfilled_in_time").passed
    create(catalog, pkg, late)
    code, data = run_json(capsys, [*args, "quality", "population", "--format", "json"])
    (entry,) = data["datasets"]
    kept = next(c for c in entry["criteria"] if c["code"] == "update_fulfilled_in_time")
    assert kept["passed"] is True  # … but the dataset was just created: on time now
    assert entry["passed"] == 9


def test_kokai_quality_computes_a_score_for_a_dataset_kokai_did_not_publish(site, capsys):
    args, catalog = site
    create(catalog, package(name="aed", title="AED設置場所", notes="AED"), None)
    create(catalog, package(), score(package(), now=datetime.now(UTC).replace(tzinfo=None)))
    code, data = run_json(capsys, [*args, "quality", "--format", "json"])
    assert code == 0
    assert [(d["name"], d["stored"]) for d in data["datasets"]] == [("aed", False), ("shelters", True)]
    aed = data["datasets"][0]
    assert next(c for c in aed["criteria"] if c["code"] == "dataset_description_quality")["passed"] is False
    assert main([*args, "quality", "aed"]) == 0
    assert "いま計算しました" in capsys.readouterr().out


def test_kokai_quality_of_an_unknown_dataset_is_a_japanese_error(site, capsys):
    args, _ = site
    assert main([*args, "quality", "no-such-data"]) == 2
    captured = capsys.readouterr()
    assert "データセット 'no-such-data' はカタログにありません" in captured.err
    assert captured.out == "" and "Traceback" not in captured.err


def test_kokai_quality_on_an_empty_catalog(site, capsys):
    args, _ = site
    assert main([*args, "quality"]) == 0
    assert "データセットがありません" in capsys.readouterr().out
    code, data = run_json(capsys, [*args, "quality", "--format", "json"])
    assert code == 0 and data["datasets"] == []


def test_the_published_demo_city_has_stored_scores_and_a_clean_status(city, capsys):
    """End to end with the pipeline: what `kokai publish` stores, `kokai quality`
    reads back; `kokai status` sees the demo feed's end coming."""
    city.publish()
    args = ["--config", str(city.root / "kokai.toml")]
    code, data = run_json(capsys, [*args, "quality", "--format", "json"])
    assert code == 0
    assert [d["name"] for d in data["datasets"]] == sorted(d["name"] for d in data["datasets"])
    assert len(data["datasets"]) == 5 and all(d["stored"] for d in data["datasets"])
    bus = next(d for d in data["datasets"] if d["name"] == "community-bus")
    checks = {c["code"]: c["passed"] for c in bus["criteria"]}
    assert checks["license"] and checks["temporal_coverage"] and checks["has_open_format"]
    assert checks["validation"] and bus["stars"] == 3
    assert main([*args, "status", "--date", "2026-11-27"]) == 0
    capsys.readouterr()
    code, status = run_json(capsys, [*args, "status", "--date", "2027-03-01", "--format", "json"])
    assert code == 1  # the demo feed ends 2027-03-31: 30 days left
    assert [(a["kind"], a["dataset"], a["details"]["days_left"]) for a in status["alerts"]] == [
        ("gtfs_expiring", "community-bus", 30)]  # fmt: skip
