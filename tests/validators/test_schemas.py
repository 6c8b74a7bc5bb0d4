"""Bundled Table Schemas, loading any schema, and detecting the schema of a header."""

from __future__ import annotations

import json

import frictionless
import pytest

from kokai.errors import KokaiError
from kokai.validators.schemas import (
    SCHEMA_DIR,
    adapt_schema,
    bundled_names,
    detect_schema,
    list_schemas,
    load_schema,
)

ROLES = {
    "lgcode", "houjin", "latitude", "longitude", "flag", "postal_code", "phone", "email", "url",
    "date", "id", "count", "population_total", "population_male", "population_female",
    "population_band_male", "population_band_female", "kana",
}  # fmt: skip

# 03 指定緊急避難場所一覧, current layout (jp-open-data.md §2)
EVACUATION_COLUMNS = (
    "全国地方公共団体コード,ID,名称,名称_カナ,名称_英字,所在地_全国地方公共団体コード,町字ID,"
    "所在地_連結表記,所在地_都道府県,所在地_市区町村,所在地_町字,所在地_番地以下,建物名等(方書),"
    "緯度,経度,標高,電話番号,内線番号,連絡先メールアドレス,連絡先FormURL,"
    "連絡先備考（その他、SNSなど）,郵便番号,市区町村コード,地方公共団体名,災害種別_洪水,"
    "災害種別_崖崩れ、土石流及び地滑り,災害種別_高潮,災害種別_地震,災害種別_津波,"
    "災害種別_大規模な火事,災害種別_内水氾濫,災害種別_火山現象,指定避難所との重複,想定収容人数,"
    "対象となる町会・自治会,URL,画像,画像_ライセンス,備考"
).split(",")
GSI_EVACUATION = (
    "NO,共通ID,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,"
    "内水氾濫,火山現象,指定避難所との住所同一,緯度,経度,備考"
).split(",")
GSI_SHELTERS = (
    "NO,共通ID,施設・場所名,住所,指定緊急避難場所との住所同一,その他市町村長が必要と認める事項,"
    "受入対象者,緯度,経度,備考"
).split(",")


def names(schema: dict) -> list[str]:
    return [f["name"] for f in schema["fields"]]


def test_list_schemas():
    listed = {s["name"]: s for s in list_schemas()}
    assert set(listed) == {
        "evacuation-sites", "gsi-evacuation-sites", "gsi-shelters",
        "population-by-area-age", "public-facilities", "designated-shelters",
        "childcare-facilities", "care-services", "public-toilets", "educational-institutions",
        "open-data-list", "aed", "waste-sorting",
    }
    for name, entry in listed.items():
        assert entry["fields"] == len(load_schema(name)["fields"])
        assert entry["title"] and entry["description"]
        assert entry["confidence"] in ("CONFIRMED", "LIKELY", "UNCONFIRMED")
        assert entry["sources"] and all(s["title"] for s in entry["sources"])


def test_layouts_follow_the_reference():
    assert names(load_schema("evacuation-sites")) == EVACUATION_COLUMNS
    assert names(load_schema("gsi-evacuation-sites")) == GSI_EVACUATION
    assert names(load_schema("gsi-shelters")) == GSI_SHELTERS
    population = names(load_schema("population-by-area-age"))
    assert population[:7] == ["全国地方公共団体コード", "地域コード", "地域名", "調査年月日", "総人口", "男性", "女性"]
    assert population[7:9] == ["0-4歳の男性", "0-4歳の女性"]
    assert population[-2:] == ["85歳以上の男性", "85歳以上の女性"]
    assert len(population) == 43
    facilities = names(load_schema("public-facilities"))
    # the 56 columns of standard-datasets.md §01, plus バリアフリー情報 (v1) and 駐車場情報
    assert len(facilities) == 58 and len(set(facilities)) == 58
    assert "POIコード" in facilities and "法人番号" in facilities
    assert facilities[:8] == ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ",
                              "名称_英字", "名称_通称", "POIコード"]
    assert facilities[-4:] == ["URL", "画像", "画像_ライセンス", "備考"]


def test_evacuation_sites_types_and_levels():
    fields = {f["name"]: f for f in load_schema("evacuation-sites")["fields"]}
    assert fields["名称"]["kokai:level"] == "required"
    assert fields["名称"]["constraints"]["required"] is True
    assert fields["所在地_連結表記"]["constraints"]["required"] is True
    assert fields["全国地方公共団体コード"]["type"] == "string"
    assert fields["全国地方公共団体コード"]["kokai:role"] == "lgcode"
    assert fields["ID"]["constraints"]["unique"] is True
    assert fields["緯度"]["type"] == "number" and fields["緯度"]["kokai:role"] == "latitude"
    assert fields["想定収容人数"]["type"] == "integer"
    assert fields["想定収容人数"]["constraints"]["minimum"] == 0
    assert fields["郵便番号"]["constraints"]["pattern"] == "^[0-9]{7}$"
    flags = [f for f in fields.values() if f["name"].startswith("災害種別_")] + [fields["指定避難所との重複"]]
    assert len(flags) == 9
    for flag in flags:
        assert flag["kokai:role"] == "flag" and flag["constraints"]["enum"] == ["1"]
        assert flag["kokai:level"] == "required"


@pytest.mark.parametrize("name", [s["name"] for s in list_schemas()])
def test_every_bundled_schema_is_a_valid_table_schema(name):
    schema = load_schema(name)
    for field in schema["fields"]:
        assert field["kokai:level"] in ("required", "recommended", "optional")
        assert field.get("kokai:role", "id") in ROLES
        if field.get("kokai:role") == "lgcode":
            assert field["type"] == "string"  # leading zeros matter
    clean = {k: v for k, v in schema.items() if not k.startswith(("kokai:", "$"))}
    assert frictionless.Schema.validate_descriptor(clean).valid


def test_population_schema_says_its_order_is_unconfirmed():
    assert "未確認" in load_schema("population-by-area-age")["description"]
    assert "未確認" in load_schema("public-facilities")["description"]


def test_load_schema_by_path(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"fields": [{"name": "a", "type": "integer"}]}), encoding="utf-8")
    assert load_schema(str(path))["fields"][0]["name"] == "a"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"fields": "x"}', '{"fields": [{"type": "string"}]}'])
def test_load_schema_rejects_bad_files(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KokaiError) as info:
        load_schema(str(path))
    assert info.value.exit_code == 2


def test_load_schema_unknown_name():
    with pytest.raises(KokaiError) as info:
        load_schema("no-such-schema")
    assert "evacuation-sites" in str(info.value)  # the message lists the bundled names


def test_load_schema_returns_a_copy():
    load_schema("gsi-shelters")["fields"].clear()
    assert load_schema("gsi-shelters")["fields"]


@pytest.mark.parametrize("name", [s["name"] for s in list_schemas()])
def test_detect_each_bundled_layout(name):
    detection = detect_schema(names(load_schema(name)))
    assert detection.name == name
    assert detection.confidence == 1.0
    assert detection.usable and not detection.outdated


def test_detect_a_partial_header():
    header = EVACUATION_COLUMNS[1:30]
    detection = detect_schema(header)
    assert detection.name == "evacuation-sites"
    assert 0.5 <= detection.confidence < 1.0


def test_detect_nothing():
    detection = detect_schema(["foo", "bar", "baz"])
    assert detection.name is None and not detection.usable


def test_detect_the_old_layout_with_a_mapping():
    header = ["都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "USER_施設名称", "経度", "緯度"]
    detection = detect_schema(header, path="221309_hamamatsu_tsunami_hinan.csv")
    assert detection.outdated
    assert detection.name == "evacuation-sites"
    assert detection.mapping["都道府県コード又は市区町村コード"] == "全国地方公共団体コード"
    assert detection.mapping["NO"] == "ID"
    adapted = adapt_schema(load_schema(detection.name), detection.mapping)
    # current order (緯度 before 経度), old names
    assert names(adapted) == ["都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "緯度", "経度"]
    assert adapted["fields"][0]["kokai:role"] == "lgcode"


def test_schema_files_are_utf8_json():
    paths = sorted(SCHEMA_DIR.glob("*.json"))
    assert len(paths) >= 5, f"no bundled schemas found in {SCHEMA_DIR}"
    for path in paths:
        assert isinstance(json.loads(path.read_text(encoding="utf-8"))["fields"], list), path.name


def test_corpus_headers_are_detected():
    from pathlib import Path

    from kokai.validators.reading import read_table

    corpus = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "jp"
    if not corpus.is_dir():
        pytest.skip("corpus not available")
    hamamatsu = corpus / "hamamatsu_tsunami-hinan-biru.csv"
    detection = detect_schema(read_table(hamamatsu).header, str(hamamatsu))
    assert detection.outdated and detection.name == "evacuation-sites"
    assert detection.mapping["経度"] == "経度" and detection.mapping["緯度"] == "緯度"
    nanao = corpus / "nanao_shitei-kinkyu-hinanbasho-derived.csv"
    detection = detect_schema(read_table(nanao).header, str(nanao))
    assert detection.name == "evacuation-sites" and detection.usable and not detection.outdated
    sendai = corpus / "sendai-aoba_chomei-nenrei-jinko-female-derived.csv"
    assert not detect_schema(read_table(sendai).header).usable


def test_bundled_coordinate_limits_are_japans_bounds():
    # the schemas' constraints and the coordinate rules use the same box (kokai.vocab.geo)
    from kokai.vocab.geo import LAT_MAX, LAT_MIN, LON_MAX, LON_MIN

    bounds = {"latitude": (LAT_MIN, LAT_MAX), "longitude": (LON_MIN, LON_MAX)}
    seen = 0
    for name in bundled_names():
        for field in load_schema(name)["fields"]:
            if field.get("kokai:role") in bounds:
                limits = field["constraints"]["minimum"], field["constraints"]["maximum"]
                assert limits == bounds[field["kokai:role"]], (name, field["name"])
                seen += 1
    assert seen >= 8
