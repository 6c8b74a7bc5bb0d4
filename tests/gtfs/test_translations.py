"""translations.txt in the GTFS-JP v2 and the GTFS / v3 forms, read into one shape."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from kokai.gtfs.feed import load_feed
from kokai.gtfs.translations import (
    TRANSLATION_COLUMNS,
    is_kana_reading,
    normalize_translations,
    read_translations,
    readings,
    translation_form,
)

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "gtfs"


def _strings(rows: dict[str, list[str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={name: pl.String for name in rows})


V2 = _strings(
    {
        "trans_id": ["駅前", "駅前", "市役所"],
        "lang": ["ja-Hrkt", "en", "ja-Hrkt"],
        "translation": ["えきまえ", "Station", "しやくしょ\r"],
    }
)
V3 = _strings(
    {
        "table_name": ["stops", "stops", "stops", "trips"],
        "field_name": ["stop_name", "stop_name", "stop_name", "trip_headsign"],
        "language": ["ja-Hrkt", "ja-Hrkt", "ja-Hrkt", "ja-Hrkt"],
        "translation": ["えきまえ", "えきまえひがし", "しやくしょ", "えきまえゆき"],
        "record_id": [None, "S3", None, None],
        "record_sub_id": [None, "NONE", None, None],
        "field_value": ["駅前", None, "市役所", "駅前行"],
    }
)
STOPS = _strings(
    {"stop_id": ["S1", "S2", "S3", "S4"], "stop_name": ["駅前", "市役所", "駅前", "本町"]}
)


def test_form_is_told_by_the_header() -> None:
    assert translation_form(V2.columns) == "v2"
    assert translation_form(V3.columns) == "v3"
    assert translation_form(["id", "text"]) is None


def test_both_forms_become_one_shape() -> None:
    v2 = normalize_translations(V2)
    v3 = normalize_translations(V3)
    assert v2.columns == list(TRANSLATION_COLUMNS) == v3.columns
    # v2: the trans_id is the source text, and no table is named.
    assert v2["field_value"].to_list() == ["駅前", "駅前", "市役所"]
    assert v2["table_name"].null_count() == 3
    assert v2["translation"][2] == "しやくしょ"  # stray CR removed
    assert v3["record_sub_id"].to_list() == [None, None, None, None]  # NONE means no sub id


@pytest.mark.parametrize("frame", [V2, V3], ids=["v2", "v3"])
def test_readings_by_value_and_by_record(frame: pl.DataFrame) -> None:
    found = readings(normalize_translations(frame), "stops", "stop_name", STOPS, "stop_id")
    if frame is V3:
        # S3 has its own reading by record_id, which wins over the field_value one.
        assert found.to_list() == ["えきまえ", "しやくしょ", "えきまえひがし", None]
    else:
        assert found.to_list() == ["えきまえ", "しやくしょ", "えきまえ", None]


def test_v3_reading_of_another_field_does_not_count() -> None:
    stops = _strings({"stop_id": ["S9"], "stop_name": ["駅前行"]})
    found = readings(normalize_translations(V3), "stops", "stop_name", stops, "stop_id")
    assert found.to_list() == [None]  # 駅前行 is translated as a trip_headsign only


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("えきまえ", True),
        ("エキマエ", True),
        ("いわた（ひがし）", True),
        ("ＪＲぎふえき", False),
        ("駅まえ", False),
        ("", False),
        (None, False),
    ],
)
def test_kana_reading(text: str | None, ok: bool) -> None:
    assert is_kana_reading(text) is ok


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "form"),
    [("gifu_city_community_bus.zip", "v2"), ("minato_chiibus.zip", "v3")],
)
def test_corpus_translations(name: str, form: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip("shared corpus absent")
    feed, _ = load_feed(path)
    assert feed is not None
    raw = feed.files["translations.txt"]
    assert translation_form(raw.columns) == form
    table = read_translations(feed.files)
    assert table is not None and table.height == raw.height
    stops = feed.files["stops.txt"]
    found = readings(table, "stops", "stop_name", stops, "stop_id")
    assert found.null_count() == 0
    assert all(is_kana_reading(r) for r in found.unique().to_list())
