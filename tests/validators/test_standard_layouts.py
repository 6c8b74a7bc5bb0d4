"""The standard layouts of shared/reference/standard-datasets.md as bundled
schemas: their confidence and sources, header matching (NFKC, `1.` numbers,
名称_英字/名称_英語, entity prefixes, English physical names), detection by the
share of columns (not the first three), the column order of an unconfirmed
layout as a warning, and a 指定避難所 list and a 図書館 list recognised.
Every fixture is written here; the corpus test only reads ../shared/corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kokai.cli import main
from kokai.validators.schemas import (
    MIN_CONFIDENCE,
    apply_aliases,
    detect_schema,
    list_schemas,
    load_schema,
    normalise_name,
    resolve_header,
)
from kokai.validators.table import validate_paths

# standard-datasets.md: the confidence of each layout
EXPECTED = {
    "evacuation-sites": "CONFIRMED",
    "childcare-facilities": "CONFIRMED",
    "public-toilets": "CONFIRMED",
    "public-facilities": "LIKELY",
    "open-data-list": "LIKELY",
    "aed": "LIKELY",
    "care-services": "LIKELY",
    "educational-institutions": "LIKELY",
    "waste-sorting": "LIKELY",
    "population-by-area-age": "UNCONFIRMED",
    "designated-shelters": "UNCONFIRMED",
}


def names(schema: dict) -> list[str]:
    return [f["name"] for f in schema["fields"]]


def write(tmp_path: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    path = tmp_path / name
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def codes(report) -> dict[str, int]:
    return report.codes()


def only_source(report) -> dict:
    (source,) = report.sources
    return source.details


# --- the schemas themselves -------------------------------------------------

@pytest.mark.parametrize(("name", "label"), sorted(EXPECTED.items()))
def test_each_layout_records_its_confidence_and_sources(name, label):
    schema = load_schema(name)
    assert schema["kokai:layoutConfidence"] == label
    assert schema["kokai:sources"] and all(s["title"] for s in schema["kokai:sources"])


def test_aed_order_is_unconfirmed_although_its_columns_are_likely():
    schema = load_schema("aed")
    assert schema["kokai:orderConfidence"] == "UNCONFIRMED"
    listed = {s["name"]: s for s in list_schemas()}
    assert listed["aed"]["confidence"] == "LIKELY" and listed["aed"]["order_confidence"] == "UNCONFIRMED"
    assert {"画像1", "画像1_ライセンス", "画像2", "画像2_ライセンス", "小児対応設備の有無"} <= set(names(schema))


def test_column_counts_follow_the_reference():
    assert len(names(load_schema("childcare-facilities"))) == 53
    assert len(names(load_schema("care-services"))) == 36
    assert len(names(load_schema("public-toilets"))) == 39
    assert len(names(load_schema("educational-institutions"))) == 23
    assert len(names(load_schema("open-data-list"))) == 45
    assert len(names(load_schema("waste-sorting"))) == 10


def test_public_toilet_levels_and_formats_from_the_book():
    fields = {f["name"]: f for f in load_schema("public-toilets")["fields"]}
    required = {n for n, f in fields.items() if f["kokai:level"] == "required"}
    assert required == {"名称", "所在地_連結表記", "設置位置"}
    assert fields["全国地方公共団体コード"]["kokai:level"] == "recommended"
    assert fields["全国地方公共団体コード"]["kokai:role"] == "lgcode"  # 6 digits + check digit
    assert fields["地方公共団体名"]["kokai:level"] == "optional"
    assert fields["男性トイレ総数"]["type"] == "integer"
    assert fields["車椅子使用者用トイレ有無"]["constraints"]["enum"] == ["有", "無"]
    assert fields["高度の種別"]["constraints"]["enum"] == ["階数", "標高", "地表高"]
    assert "名称_英語" in fields and "名称_英字" not in fields  # 13 keeps 名称_英語
    assert fields["町字ID"]["type"] == "string" and "constraints" not in fields["町字ID"]


def test_unknown_formats_stay_plain_strings():
    care = {f["name"]: f for f in load_schema("care-services")["fields"]}
    assert care["実施サービス"] == {"name": "実施サービス", "type": "string", "kokai:level": "optional"}
    assert care["全国地方公共団体コード"]["kokai:role"] == "lgcode"


# --- header matching ----------------------------------------------------------

def test_normalise_strips_a_leading_number_and_width():
    assert normalise_name("1.名称") == "名称"
    assert normalise_name("12．名称_カナ") == "名称_カナ"
    assert normalise_name("全国地方公共団体ｺｰﾄﾞ") == "全国地方公共団体コード"
    assert normalise_name("建物名等（方書）") == "建物名等(方書)"
    assert normalise_name("0-4歳の男性") == "0-4歳の男性"


def test_entity_prefixed_and_english_names_resolve():
    school = load_schema("educational-institutions")
    header = ["教育機関_学校コード", "教育機関_学校名", "緯度", "経度"]
    assert resolve_header(header, school) == {
        "教育機関_学校コード": "学校コード", "教育機関_学校名": "学校名", "緯度": "緯度", "経度": "経度",
    }
    toilets = load_schema("public-toilets")
    assert resolve_header(["localgov_code", "name", "名称_英字"], toilets) == {
        "localgov_code": "全国地方公共団体コード", "name": "名称", "名称_英字": "名称_英語",
    }
    waste = load_schema("waste-sorting")
    assert resolve_header(["ごみの分別方法_品目", "ごみの分別方法_分別区分"], waste) == {
        "ごみの分別方法_品目": "ゴミの品目", "ごみの分別方法_分別区分": "分別区分",
    }


def test_apply_aliases_renames_to_the_files_columns():
    school = load_schema("educational-institutions")
    adapted = apply_aliases(school, ["教育機関_学校コード", "教育機関_学校名"])
    field = next(f for f in adapted["fields"] if f["name"] == "教育機関_学校コード")
    assert field["kokai:currentName"] == "学校コード" and field["kokai:role"] == "id"
    assert apply_aliases(school, ["学校コード"]) is school  # nothing to rename


# --- detection ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_head_alone_does_not_decide(name):
    """Every v2 facility layout starts 全国地方公共団体コード,ID,地方公共団体名: the
    rest of the header decides."""
    header = names(load_schema(name))
    detection = detect_schema(header)
    assert detection.name == name and detection.confidence == 1.0


def test_the_legal_entity_number_generation_is_still_detected():
    """v2 + 法人番号 as the second column (standard-datasets.md §1)."""
    header = names(load_schema("childcare-facilities"))
    header = [header[0], "法人番号"] + [h for h in header[1:] if h != "法人番号"]
    assert detect_schema(header).name == "childcare-facilities"


def test_numbered_half_width_toilet_header_is_detected(tmp_path):
    header = [f"{i}.{n}" for i, n in enumerate(names(load_schema("public-toilets"))[:20], start=1)]
    header[0] = "1.全国地方公共団体ｺｰﾄﾞ"
    detection = detect_schema(header)
    assert detection.name == "public-toilets" and detection.usable


def test_a_few_shared_columns_are_not_enough():
    detection = detect_schema(["名称", "緯度", "経度", "備考"])
    assert not detection.usable


def test_near_ties_are_named(tmp_path):
    # columns both 01 and 08 have: a near-tie, settled by the file name
    header = ["名称", "所在地_連結表記", "緯度", "経度", "電話番号", "開始時間", "終了時間", "URL", "備考"]
    row = ["中央図書館", "静岡県潮見市本町1-1", "34.7", "137.9", "053-000-0000", "09:00", "17:00", "", ""]
    path = write(tmp_path, "toshokan.csv", header, [row])
    report = validate_paths([str(path)], config=None)
    details = only_source(report)
    assert details["schema"] == "public-facilities"
    assert "aed" in details["schema_candidates"]
    (found,) = [f for f in report.findings if f.code == "schema_detected"]
    assert "僅差の候補" in found.message_ja and "aed" in found.message_ja


# --- 指定避難所 and 図書館 lists -------------------------------------------------

SHELTER_HEADER = (
    "全国地方公共団体コード,ID,名称,名称_カナ,名称_英字,所在地_全国地方公共団体コード,町字ID,"
    "所在地_連結表記,所在地_都道府県,所在地_市区町村,所在地_町字,所在地_番地以下,建物名等(方書),"
    "緯度,経度,標高,電話番号,郵便番号,市区町村コード,地方公共団体名,受入対象者,想定収容人数,"
    "対象となる町会・自治会,URL,備考"
).split(",")
SHELTER_ROW = (
    "229997,S001,潮見小学校,シオミショウガッコウ,Shiomi Elementary School,229997,0001001,"
    "静岡県潮見市本町1-1,静岡県,潮見市,本町,1-1,,34.70,137.95,12.5,053-000-0001,4300001,229997,"
    "静岡県潮見市,要配慮者,450,本町;新町,,"
).split(",")


def test_a_designated_shelter_list_in_an_03_like_layout(tmp_path):
    path = write(tmp_path, "shitei_hinanjo.csv", SHELTER_HEADER, [SHELTER_ROW])
    report = validate_paths([str(path)], config=None)
    details = only_source(report)
    assert details["schema"] == "designated-shelters"
    assert details["confidence"] >= 0.8
    assert report.total("error") == 0, [f.code for f in report.findings if f.severity == "error"]
    # without the disaster flags it is not taken for 03
    detection = detect_schema(SHELTER_HEADER)
    assert detection.name == "designated-shelters"
    with_flags = SHELTER_HEADER + ["災害種別_洪水", "災害種別_地震", "災害種別_津波", "指定避難所との重複"]
    assert detect_schema(with_flags).name == "evacuation-sites"


LIBRARY_HEADER = (
    "全国地方公共団体コード,ID,地方公共団体名,名称,名称_カナ,名称_通称,POIコード,所在地_連結表記,"
    "所在地_都道府県,所在地_市区町村,緯度,経度,電話番号,利用可能曜日,開始時間,終了時間,"
    "利用可能時間特記事項,説明,車椅子可,多目的トイレ,授乳室,URL,画像,画像ライセンス,備考"
).split(",")
LIBRARY_ROW = (
    "229997,L001,静岡県潮見市,潮見市立中央図書館,シオミシリツチュウオウトショカン,中央図書館,0301,"
    "静岡県潮見市本町2-3,静岡県,潮見市,34.71,137.96,053-000-0002,火水木金土日,09:00,19:00,"
    "月曜休館,蔵書約20万冊,1,1,1,,,,"
).split(",")


def test_a_library_list_is_a_public_facility_subset(tmp_path):
    path = write(tmp_path, "library.csv", LIBRARY_HEADER, [LIBRARY_ROW])
    report = validate_paths([str(path)], config=None)
    details = only_source(report)
    assert details["schema"] == "public-facilities"
    assert details["confidence"] >= MIN_CONFIDENCE
    assert report.total("error") == 0, [f.code for f in report.findings if f.severity == "error"]
    # 画像ライセンス (no underscore, as in さいたま市's file) is an alias, not an extra column
    assert "extra-label" not in codes(report)
    # the file name is not needed
    assert detect_schema(LIBRARY_HEADER).name == "public-facilities"


# --- column order ---------------------------------------------------------------

def test_order_in_a_likely_layout_is_a_warning_that_says_why(tmp_path):
    header = names(load_schema("care-services"))
    header[3], header[4] = header[4], header[3]
    path = write(tmp_path, "care.csv", header, [[""] * len(header)])
    report = validate_paths([str(path)], config=None)
    (order,) = [f for f in report.findings if f.code == "label_order"]
    assert order.severity == "warning"
    assert "推定" in order.message_ja and "LIKELY" in order.message_en


def test_order_in_a_confirmed_layout_has_no_note(tmp_path):
    header = names(load_schema("public-toilets"))
    header[3], header[4] = header[4], header[3]
    path = write(tmp_path, "toilet.csv", header, [[""] * len(header)])
    report = validate_paths([str(path)], config=None)
    (order,) = [f for f in report.findings if f.code == "label_order"]
    assert "確認されていない" not in order.message_ja


def test_prefixed_school_file_is_checked_under_its_own_names(tmp_path):
    header = ["教育機関_" + n if n not in ("緯度", "経度") else n
              for n in names(load_schema("educational-institutions"))]
    row = [""] * len(header)
    row[0], row[8], row[15], row[16] = "B135210001222", "下松小学校", "34.01", "131.87"
    path = write(tmp_path, "352071_educational_institution.csv", header, [row, row])
    report = validate_paths([str(path)], config=None)
    assert only_source(report)["schema"] == "educational-institutions"
    assert "missing-label" not in codes(report) and "extra-label" not in codes(report)
    # 学校コード keeps its unique constraint under the prefixed name
    dup = [f for f in report.findings if f.code in ("unique-error", "duplicate_id")]
    assert dup and dup[0].field == "教育機関_学校コード"


def test_kokai_schemas_shows_the_confidence(capsys):
    assert main(["schemas"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("public-toilets"))
    assert "CONFIRMED" in line
    assert "UNCONFIRMED" in next(line for line in out.splitlines() if line.startswith("aed"))
    assert main(["schemas", "--format", "json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["care-services"]["confidence"] == "LIKELY"


# --- the shared corpus (read, never copied) -------------------------------------

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "jp"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_detection():
    from kokai.validators.reading import read_table

    expected = {
        "nanao_shitei-kinkyu-hinanbasho-derived.csv": "evacuation-sites",
        "kobe_okunai-hinanjo-2017.csv": None,  # its own layout: no standard claimed
        "kobe_okunai-hinanjo-2014-utf8bom.csv": None,
        "sendai-aoba_chomei-nenrei-jinko-female-derived.csv": None,
    }
    for name, schema in expected.items():
        path = CORPUS / name
        if not path.is_file():
            continue
        detection = detect_schema(read_table(path).header, str(path))
        assert (detection.name if detection.usable else None) == schema, (name, detection)
