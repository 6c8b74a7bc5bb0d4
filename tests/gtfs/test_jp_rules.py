"""GTFS-JP profile rules (kokai.gtfs.jp): each rule fires on a tiny broken feed
and stays silent on a clean one; real feeds give the known results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kokai.gtfs.feed import load_feed
from kokai.gtfs.jp import jp_version, looks_japanese
from kokai.gtfs.validate import validate_feed
from kokai.validators.report import Finding
from tests.gtfs.rule_cases import CITY, JP_V2, JP_V3

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "gtfs"
TODAY = date(2026, 6, 1)
# The clean GTFS-JP feeds of rule_cases.py, in 第3版 and 第2版 form.
BASE_V3, BASE_V2 = JP_V3, JP_V2


def _write(folder: Path, files: dict[str, str | None]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def _jp_findings(path: Path) -> list[Finding]:
    """The GTFS-JP findings of a whole validation (generic rules first, so that a
    table they find broken is skipped by the GTFS-JP rules, as in `kokai gtfs validate`)."""
    report = validate_feed(path, profile="jp", today=TODAY)
    assert report.exit_code != 2, [f.message_en for f in report.findings]
    return [f for f in report.findings if f.rule.source == "gtfs-jp"]


def _findings(tmp_path: Path, files: dict[str, str | None]) -> list[Finding]:
    return _jp_findings(_write(tmp_path / "feed", files))


def _replace(name: str, old: str, new: str) -> Callable[[dict], dict]:
    def change(files: dict) -> dict:
        assert old in files[name], (name, old)
        return {**files, name: files[name].replace(old, new)}

    return change


def _set(name: str, text: str | None) -> Callable[[dict], dict]:
    return lambda files: {**files, name: text}


@pytest.mark.parametrize("base", [BASE_V3, BASE_V2], ids=["v3", "v2"])
def test_clean_feed_has_no_jp_findings(tmp_path: Path, base: dict) -> None:
    assert _findings(tmp_path, base) == []


# (mutation of BASE_V3, expected {code: count}, expected row of the first finding or None)
CASES: dict[str, tuple[Callable[[dict], dict], dict[str, int], int | None]] = {
    "routes agency_id empty": (
        _replace("routes.txt", f"R1,{CITY},", "R1,,"),
        {"jp_missing_agency_id": 1},
        2,
    ),
    "agency_id column missing": (
        _set(
            "agency.txt",
            "agency_name,agency_url,agency_timezone\n岐阜市,https://a.jp/,Asia/Tokyo\n",
        ),
        {"jp_missing_agency_id_column": 1, "jp_agency_jp_foreign_key_violation": 1},
        None,
    ),
    "check digit changed": (
        _replace("agency.txt", CITY, "7" + CITY[1:]),
        # agency_jp and routes still use the old id: only agency_jp is the JP profile's FK.
        {"jp_invalid_houjin_bangou": 1, "jp_agency_jp_foreign_key_violation": 1},
        2,
    ),
    "agency_id not a number": (
        _replace("agency.txt", CITY, "gifu"),
        {"jp_invalid_houjin_bangou": 1, "jp_agency_jp_foreign_key_violation": 1},
        2,
    ),
    "timezone": (
        _replace("agency.txt", "Asia/Tokyo", "Asia/Seoul"),
        {"jp_agency_timezone_not_tokyo": 1},
        2,
    ),
    "agency_lang": (
        _replace("agency.txt", "Tokyo,ja", "Tokyo,en"),
        {"jp_agency_lang_not_ja": 1},
        2,
    ),
    # With translations.txt the generic missing_required_file (an error) says it, not
    # jp_missing_feed_info (one problem, one finding); without it, the jp rule does.
    "feed_info removed": (_set("feed_info.txt", None), {}, None),
    "feed_info and translations removed": (
        lambda f: {**f, "feed_info.txt": None, "translations.txt": None},
        {"jp_missing_feed_info": 1, "jp_missing_translations": 1},
        None,
    ),
    "feed_publisher_name a full-width space": (
        _replace("feed_info.txt", "\n岐阜市,https", "\n\u3000,https"),
        {"jp_missing_feed_info_field": 1},
        2,
    ),
    # An empty required field is the generic rules' missing_required_field: feed_info.txt
    # is then broken, and the GTFS-JP rules skip it instead of saying it again.
    "feed_publisher_url empty": (
        _replace("feed_info.txt", "https://www.example.jp/", ""),
        {},
        None,
    ),
    "feed_end_date empty": (
        _replace("feed_info.txt", ",20261231", ","),
        {"jp_missing_feed_info_date": 1},
        2,
    ),
    "feed_lang en": (_replace("feed_info.txt", ",ja,", ",en,"), {"jp_feed_lang_not_ja": 1}, 2),
    "fare_attributes removed": (
        _set("fare_attributes.txt", None),
        {"jp_missing_fare_attributes": 1},
        None,
    ),
    "fare in USD": (
        _replace("fare_attributes.txt", "JPY", "USD"),
        {"jp_fare_currency_not_jpy": 1},
        2,
    ),
    "two fares without fare_rules": (
        _replace("fare_attributes.txt", "F1,200,JPY,0,0\n", "F1,200,JPY,0,0\nF2,300,JPY,0,0\n"),
        {"jp_missing_fare_rules": 1},
        None,
    ),
    "translations removed": (
        _set("translations.txt", None),
        {"jp_missing_translations": 1},
        None,
    ),
    "translations header unknown": (
        _set("translations.txt", "id,text\n1,a\n"),
        {"jp_invalid_translations_header": 1},
        None,
    ),
    "stop reading missing": (
        _replace("translations.txt", "stops,stop_name,ja-Hrkt,しやくしょ,S2,,\n", ""),
        {"jp_missing_stop_name_reading": 1},
        3,
    ),
    "headsign reading missing": (
        _replace("translations.txt", "trips,trip_headsign,ja-Hrkt,えきまえゆき,,,駅前行\n", ""),
        {"jp_missing_name_reading": 1},
        2,
    ),
    "reading in kanji": (
        _replace("translations.txt", "しないじゅんかん", "市内じゅんかん"),
        {"jp_reading_not_kana": 1},
        4,
    ),
    "translation of an unknown value": (
        _replace(
            "translations.txt",
            "agency,agency_name",
            "stops,stop_name,ja-Hrkt,ほんちょう,,,本町\nagency,agency_name",
        ),
        {"jp_translation_unknown_target": 1},
        6,
    ),
    "translation of an unknown field": (
        _replace("translations.txt", "agency,agency_name,", "agency,agency_kana,"),
        {"jp_translation_unknown_target": 1, "jp_missing_name_reading": 1},
        6,  # and the agency name now lacks its reading
    ),
    "translation of an unknown record": (
        _replace("translations.txt", "しやくしょ,S2,,", "しやくしょ,S9,,"),
        # S2 (市役所) now has no reading either.
        {"jp_translation_unknown_target": 1, "jp_missing_stop_name_reading": 1},
        3,
    ),
    "translation of an absent table": (
        _replace("translations.txt", "agency,agency_name,", "levels,level_name,"),
        {"jp_translation_unknown_target": 1, "jp_missing_name_reading": 1},
        6,
    ),
    "jp_office_id without office_jp": (
        _set("office_jp.txt", None),
        {"jp_office_id_without_office_jp": 1},
        None,
    ),
    "jp_office_id unknown": (
        _replace("trips.txt", ",O1\n", ",O9\n"),
        {"jp_office_foreign_key_violation": 1},
        2,
    ),
    "jp_pattern_id unknown": (
        lambda f: {
            **f,
            "pattern_jp.txt": "jp_pattern_id,route_update_date\nP1,20260101\n",
            "trips.txt": f["trips.txt"]
            .replace("jp_office_id\n", "jp_office_id,jp_pattern_id\n")
            .replace(",O1\n", ",O1,P2\n"),
        },
        {"jp_pattern_foreign_key_violation": 1},
        2,
    ),
    "pattern_jp bad update date and duplicate id": (
        _set("pattern_jp.txt", "jp_pattern_id,route_update_date\nP1,2026-01-01\nP1,20260101\n"),
        {"jp_invalid_route_update_date": 1, "jp_duplicate_key": 1},
        2,
    ),
    "agency_jp unknown agency": (
        _replace("agency_jp.txt", f"{CITY},岐阜市役所", "1000020212016,岐阜市役所"),
        {"jp_agency_jp_foreign_key_violation": 1},
        2,
    ),
    "office_name empty": (
        _replace("office_jp.txt", "O1,中央営業所", "O1,"),
        {"jp_missing_required_field": 1},
        2,
    ),
    "office_name column missing": (
        _set("office_jp.txt", "office_id\nO1\n"),
        {"jp_missing_required_column": 1},
        None,
    ),
    "office_id repeated": (
        _set("office_jp.txt", "office_id,office_name\nO1,中央\nO1,北\n"),
        {"jp_duplicate_key": 1},
        3,
    ),
    "zip with hyphen": (
        _replace("agency_jp.txt", "5008701", "500-8701"),
        {"jp_invalid_agency_zip_number": 1},
        2,
    ),
    # GTFS-JP fixes route_type 3 for bus operators only: a tram (0), rail (2) or
    # ferry (4) route is accepted; an extended bus code (704) is a bus written otherwise.
    "route_type tram": (_replace("routes.txt", "循環,3", "循環,0"), {}, None),
    "route_type ferry": (_replace("routes.txt", "循環,3", "循環,4"), {}, None),
    "route_type extended local bus": (
        _replace("routes.txt", "循環,3", "循環,704"),
        {"jp_route_type_not_bus": 1},
        2,
    ),
    "platform_code with words": (
        _replace("stops.txt", "136.7,1\n", "136.7,1番のりば\n"),
        {"jp_platform_code_not_id": 1},
        2,
    ),
    "routes_jp with pattern_jp": (
        lambda f: {
            **f,
            "routes_jp.txt": BASE_V2["routes_jp.txt"],
            "pattern_jp.txt": "jp_pattern_id\nP1\n",
        },
        {"jp_mixed_versions": 1},
        None,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rule_fires_on_broken_feed(tmp_path: Path, case: str) -> None:
    mutate, expected, row = CASES[case]
    findings = _findings(tmp_path, mutate(dict(BASE_V3)))
    assert Counter(f.code for f in findings) == Counter(expected)
    assert all(f.message_ja and f.message_en for f in findings)
    if row is not None:  # the row of the first expected code's finding
        first_code = next(iter(expected))
        assert next(f.row for f in findings if f.code == first_code) == row


V2_CASES: dict[str, tuple[Callable[[dict], dict], dict[str, int]]] = {
    "v2 trans_id unused": (
        _replace(
            "translations.txt", "駅前,en,Station\n", "駅前,en,Station\n本町,ja-Hrkt,ほんちょう\n"
        ),
        {"jp_unused_translation": 1},
    ),
    "v2 lang column missing": (
        _set("translations.txt", "trans_id,translation\n駅前,えきまえ\n"),
        # Without a language nothing is a reading: every Japanese name lacks one.
        {
            "jp_missing_translation_column": 1,
            "jp_missing_stop_name_reading": 2,
            "jp_missing_name_reading": 3,
        },
    ),
    "v2 lang empty": (
        _replace("translations.txt", "駅前,en,Station", "駅前,,Station"),
        {"jp_missing_translation_value": 1},
    ),
    "v2 stop reading missing": (
        _replace("translations.txt", "市役所,ja-Hrkt,しやくしょ\n", ""),
        {"jp_missing_stop_name_reading": 1},
    ),
    "routes_jp unknown route": (
        _replace("routes_jp.txt", "R1,2026", "R9,2026"),
        {"jp_routes_jp_foreign_key_violation": 1},
    ),
    "v2 translations with pattern_jp": (
        lambda f: {**f, "pattern_jp.txt": "jp_pattern_id\nP1\n"},
        {"jp_mixed_versions": 1},
    ),
}


@pytest.mark.parametrize("case", list(V2_CASES))
def test_v2_rule_fires(tmp_path: Path, case: str) -> None:
    mutate, expected = V2_CASES[case]
    findings = _findings(tmp_path, mutate(dict(BASE_V2)))
    assert Counter(f.code for f in findings) == Counter(expected)


def test_branch_suffix_is_a_valid_agency_id(tmp_path: Path) -> None:
    files = {name: text.replace(CITY, CITY + "_2") for name, text in BASE_V3.items()}
    assert _findings(tmp_path, files) == []


def test_reading_missing_is_reported_once_per_name(tmp_path: Path) -> None:
    files = _replace(
        "stops.txt",
        "S2,市役所,35.41,136.71,\n",
        "S2,市役所,35.41,136.71,\nS3,本町,35.42,136.72,\nS4,本町,35.43,136.73,\n",
    )(dict(BASE_V3))
    findings = [f for f in _findings(tmp_path, files) if f.code == "jp_missing_stop_name_reading"]
    assert [(f.value, f.row) for f in findings] == [("本町", 4)]
    assert "計 2 行" in findings[0].message_ja


@pytest.mark.parametrize(
    ("files", "japanese", "version"),
    [
        (BASE_V3, True, "v3"),
        (BASE_V2, True, "v2"),
        (
            {
                "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                "A,Metro,https://m.example/,Europe/Vilnius\n",
                "translations.txt": "table_name,field_name,language,translation,field_value\n"
                "stops,stop_name,en,Station,Stotis\n",
            },
            False,
            None,
        ),
        (
            {
                "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                "A,町営バス,https://m.example/,Asia/Tokyo\n"
            },
            True,
            None,
        ),
    ],
    ids=["v3", "v2", "not-japanese", "japanese-no-version"],
)
def test_looks_japanese_and_version(tmp_path: Path, files, japanese, version) -> None:
    feed, _ = load_feed(_write(tmp_path / "feed", files))
    assert feed is not None
    assert looks_japanese(feed) is japanese
    assert jp_version(feed) == version


# --- real feeds ------------------------------------------------------------------------------


def _corpus_feed(name: str):
    path = CORPUS / name
    if not path.exists():
        pytest.skip("shared corpus absent")
    feed, _ = load_feed(path)
    assert feed is not None
    return feed


@pytest.mark.corpus
def test_gifu_is_v2_with_a_valid_city_number() -> None:
    feed = _corpus_feed("gifu_city_community_bus.zip")
    codes = Counter(f.code for f in _jp_findings(CORPUS / "gifu_city_community_bus.zip"))
    assert jp_version(feed) == "v2"
    assert feed.files["agency.txt"]["agency_id"][0] == "6000020212016"
    assert "jp_invalid_houjin_bangou" not in codes
    assert "jp_missing_agency_id" not in codes
    # v2 readings are found by trans_id: every stop name has one.
    assert "jp_missing_stop_name_reading" not in codes
    assert "jp_missing_translation_column" not in codes


@pytest.mark.corpus
def test_kumagaya_without_translations() -> None:
    feed = _corpus_feed("kumagaya_yuyu_bus.zip")
    codes = Counter(f.code for f in _jp_findings(CORPUS / "kumagaya_yuyu_bus.zip"))
    assert looks_japanese(feed)
    assert codes["jp_missing_translations"] == 1
    assert "jp_missing_stop_name_reading" not in codes  # one finding, not one per stop


@pytest.mark.corpus
def test_minato_is_v3_and_lacks_office_jp() -> None:
    feed = _corpus_feed("minato_chiibus.zip")
    findings = _jp_findings(CORPUS / "minato_chiibus.zip")
    codes = Counter(f.code for f in findings)
    assert jp_version(feed) == "v3"
    assert codes["jp_office_id_without_office_jp"] == 1
    assert "jp_missing_translations" not in codes
    # ja-Hrkt readings exist for every stop name (matched by field_value).
    assert "jp_missing_stop_name_reading" not in codes
    # ...but not for headsigns, which have ja/en/ko/zh rows only.
    headsigns = {f.value for f in findings if f.field == "trip_headsign"}
    assert "芝浦車庫行" in headsigns


@pytest.mark.corpus
def test_rinko_sample_is_v2_with_jp_files() -> None:
    feed = _corpus_feed("rinko_bus_mlit_sample.zip")
    assert jp_version(feed) == "v2"
    assert {"agency_jp.txt", "office_jp.txt", "routes_jp.txt"} <= set(feed.files)
    findings = _jp_findings(CORPUS / "rinko_bus_mlit_sample.zip")
    codes = Counter(f.code for f in findings)
    # The sample writes the zip code with a hyphen and lists a route_id routes.txt lacks.
    zip_findings = [f for f in findings if f.code == "jp_invalid_agency_zip_number"]
    assert [(f.row, f.value) for f in zip_findings] == [(2, "210-0818")]
    assert codes["jp_routes_jp_foreign_key_violation"] == 1
    assert "jp_office_foreign_key_violation" not in codes
    assert "jp_mixed_versions" not in codes


def _jp_codes() -> set[str]:
    from kokai.rules import all_rules

    return {code for (source, code) in all_rules() if source == "gtfs-jp"}


def test_every_jp_rule_has_a_case_above() -> None:
    covered = {code for _, expected, _ in CASES.values() for code in expected}
    covered |= {code for _, expected in V2_CASES.values() for code in expected}
    assert _jp_codes() - covered == set()


def test_every_jp_rule_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "gtfs-jp-rules.md").read_text("utf-8")
    assert {code for code in _jp_codes() if f"`{code}`" not in docs} == set()


@pytest.mark.parametrize(
    ("change", "generic"),
    [
        (_replace("agency.txt", "Asia/Tokyo", "JST"), "invalid_timezone"),
        (_replace("agency.txt", "Tokyo,ja", "Tokyo,日本語"), "invalid_language_code"),
        (_replace("fare_attributes.txt", "JPY", "YEN"), "invalid_currency"),
        (_replace("stops.txt", "S2,市役所,", "S2,市役所,extra,"), "invalid_row_length"),
    ],
    ids=["timezone", "language", "currency", "row length"],
)
def test_a_table_the_generic_rules_find_broken_is_skipped(tmp_path: Path, change, generic) -> None:
    """One problem, one finding: the GTFS-JP rules do not read a table with errors
    of the generic rules (as the generic rules skip it themselves)."""
    path = _write(tmp_path / "feed", change(dict(BASE_V3)))
    report = validate_feed(path, profile="jp", today=TODAY)
    assert generic in {f.code for f in report.findings}
    assert [f.code for f in report.findings if f.rule.source == "gtfs-jp"] == []
