"""The Japanese value rules (kokai.validators.japanese): each rule fires on a
small fixture that breaks it, names the row and field, says the fix in Japanese,
and stays silent on the corrected value."""

from __future__ import annotations

import polars as pl
import pytest

from kokai.validators.context import CheckContext
from kokai.validators.japanese import cells, check_table, plan_columns, role_by_name
from kokai.validators.japanese import rules as jp_rules
from kokai.validators.japanese import values as jv
from kokai.validators.reading import Table
from kokai.validators.report import Rule


def make_table(columns: dict[str, list[str]], junk: set[int] | None = None) -> Table:
    """A Table as read_table gives it: text columns, data from line 2."""
    data = pl.DataFrame({k: pl.Series(k, v, dtype=pl.String) for k, v in columns.items()})
    lines = pl.Series("line", range(2, data.height + 2), dtype=pl.Int64)
    return Table(
        path="fixture.csv", encoding="utf-8", header=list(columns), data=data, line=lines,
        junk_lines=junk or set(),
    )  # fmt: skip


def findings_for(columns, schema=None, context=None, junk=None):
    return check_table(make_table(columns, junk), schema, context or CheckContext())


# (column, bad value, code, text the Japanese message must contain, a good value)
CELL_CASES = [
    ("全国地方公共団体コード", "92011", "lgcode_leading_zero_dropped", "092011 の先頭の 0 が落ちています", "092011"),
    ("全国地方公共団体コード", "092012", "lgcode_check_digit", "「092011」", "281000"),
    ("全国地方公共団体コード", "13-001", "lgcode_format", "6桁", "130001"),
    ("所在地_全国地方公共団体コード", "０９２０１１", "fullwidth_characters", "「092011」", "092011"),
    ("法人番号", "7000020212016", "houjin_check_digit", "「6000020212016」", "6000020212016"),
    ("法人番号", "6000020212016_1", "houjin_branch_suffix", "「6000020212016」", "4011001098993"),
    ("法人番号", "12345", "houjin_format", "13桁", "8000020130001"),
    ("更新日", "令和5年4月1日", "wareki_date", "「2023-04-01」", "2023-04-01"),
    ("更新日", "R5.4.1", "wareki_date", "「2023-04-01」", "2023-04-01"),
    ("更新日", "H31.4.30", "wareki_date", "「2019-04-30」", "2019-04-30"),
    ("更新日", "平成31年", "wareki_date", "「2019」", "2019"),
    ("更新日", "令和元年5月1日", "wareki_date", "「2019-05-01」", "2019-05-01"),
    ("更新日", "昭和64年1月7日", "wareki_date", "「1989-01-07」", "1989-01-07"),
    ("更新日", "2023/4/1", "non_iso_date", "「2023-04-01」", "2023-04-01"),
    ("更新日", "2023年4月1日", "non_iso_date", "「2023-04-01」", "2023-04-01"),
    ("更新日", "20230401", "non_iso_date", "「2023-04-01」", "2023-04-01"),
    ("更新日", "2023/2/30", "invalid_date", "YYYY-MM-DD", "2023-02-28"),
    ("更新日", "令和5年2月30日", "invalid_date", "存在しない日付", "2023-02-28"),
    ("備考", "令和5年2月30日", "invalid_date", "存在しない日付", "2月末に開設"),
    ("備考", "令和5年4月1日", "wareki_date", "「2023-04-01」", "4月から利用できます"),
    ("備考", "2023/4/1", "non_iso_date", "「2023-04-01」", "2023-04-01"),
    ("備考", "R5.4.1", "wareki_date", "「2023-04-01」", "R5 棟"),
    ("ID", "ＣＣ０１", "fullwidth_characters", "「CC01」", "CC01"),
    ("ID", "CC01 ", "surrounding_space", "「CC01」", "CC01"),
    ("想定収容人数", "810人", "number_with_unit", "「810」", "810"),
    ("想定収容人数", "1,200", "thousands_separator", "「1200」", "1200"),
    ("想定収容人数", "１２", "fullwidth_characters", "「12」", "12"),
    ("想定収容人数", "-5", "negative_count", "0 以上", "5"),
    ("想定収容人数", "屋内191人／屋外0人", "text_in_number", "備考", "191"),
    ("想定収容人数", " 12", "surrounding_space", "「12」", "12"),
    ("郵便番号", "123-4567", "postal_code_format", "「1234567」", "1234567"),
    ("郵便番号", "12345", "postal_code_format", "7桁", "1234567"),
    ("郵便番号", "１２３４５６７", "fullwidth_characters", "「1234567」", "1234567"),
    ("電話番号", "078-111-1111、078-222-2222", "phone_several", "1つの番号", "078-111-1111"),
    ("電話番号", "078-803-5921(昼)", "phone_with_note", "「昼」は「備考」の列に移して", "078-803-5921"),
    ("電話番号", "078-331-8181（代）", "phone_with_note", "番号だけを「078-331-8181」", "078-331-8181"),
    ("電話番号", "0883-64-3111(内線12)", "phone_with_note", "「内線番号」の列", "0883-64-3111"),
    ("電話番号", "078.331.8181", "phone_format", "標準の書き方", "078-331-8181"),
    ("電話番号", "078(331)8181", "phone_format", "「078-331-8181」", "(078)331-8181"),
    ("TEL", "０８８３－６４－３１１１", "fullwidth_characters", "「0883-64-3111」", "0883-64-3111"),
    ("連絡先電話", "0883-64-3111 ", "surrounding_space", "「0883-64-3111」", "0883-64-3111"),
    ("〒", "650-0025", "postal_code_format", "標準の書き方", "6500025"),
    ("名称", "蒲生田小学校(休校中)\u3000", "surrounding_space", "全角スペース", "蒲生田小学校(休校中)"),
    ("施設・場所名", "潮見第一小学校\u3000体育館", "ideographic_space_in_name", "「潮見第一小学校 体育館」", "潮見第一小学校体育館"),
    ("備考", " 2階以上", "surrounding_space", "「2階以上」", "2階以上"),
    ("電話番号", "12345", "phone_format", "0X-XXXX-XXXX", "(078)411-0556"),
    ("電話番号", "03-123-4567", "phone_format", "10桁か11桁", "0120-123-456"),
    ("電話番号", "-", "phone_format", "空欄", "090-1234-5678"),
    ("電話番号", "078-413－3264", "fullwidth_characters", "「078-413-3264」", "078-413-3264"),
    ("URL", "http://exa mple.jp", "url_format", "https://", "https://example.jp/a?b=1"),
    ("URL", "www.example.jp", "url_format", "https://", "http://example.jp"),
    ("連絡先メールアドレス", "a@b", "email_format", "名前@ドメイン", "info@city.example.lg.jp"),
    ("連絡先メールアドレス", "ａ@example.jp", "email_format", "「a@example.jp」", "a@example.jp"),
    ("災害種別_洪水", "○", "flag_value", "「1」と書いてください", "1"),
    ("災害種別_洪水", "◎", "flag_value", "「1」と書いてください", "1"),
    ("災害種別_洪水", "1.0", "flag_value", "「1」と書いてください", "1"),
    ("災害種別_地震", "×", "flag_value", "空欄にしてください", ""),
    ("災害種別_地震", "－", "flag_value", "空欄にしてください", ""),
    ("指定避難所との重複", "0", "flag_value", "空欄にしてください", ""),
    ("災害種別_津波", "△", "flag_ambiguous", "担当者が判断", "1"),
    ("名称", "②会館", "model_dependent_character", "「②」→「(2)」", "第2会館"),
    ("名称", "㈱ハイツⅦ", "model_dependent_character", "「㈱」→「(株)」", "(株)ハイツVII"),
    ("名称", "子育て支援センター　あいっ子", "ideographic_space_in_name", "「子育て支援センター あいっ子」", "子育て支援センター あいっ子"),
    ("名称_カナ", "ひなんじょ", "kana_format", "「ヒナンジョ」", "ヒナンジョ"),
    ("名称_カナ", "ﾋﾅﾝｼﾞｮ", "kana_format", "「ヒナンジョ」", "ヒナンジョ"),
    ("所在地_連結表記", "神戸市灘区鶴甲３-11", "fullwidth_digits_in_text", "「神戸市灘区鶴甲3-11」", "神戸市灘区鶴甲3-11"),
    ("緯度", "北緯35度", "coordinate_not_number", "10進数", "35.5"),
    ("緯度", "３５.５", "fullwidth_characters", "「35.5」", "35.5"),
    ("経度", "135.077551\u3000", "surrounding_space", "「135.077551」", "135.077551"),
]  # fmt: skip


@pytest.fixture(params=["distinct values", "row by row"])
def strategy(request, monkeypatch):
    """Small columns are checked on their distinct values, large ones with one
    vectorised screen per column: run the cases both ways."""
    if request.param == "row by row":
        monkeypatch.setattr(cells, "_FEW_DISTINCT_MIN", -1)
        monkeypatch.setattr(cells, "_FEW_DISTINCT", -1)
    return request.param


@pytest.mark.parametrize(("column", "bad", "code", "fix", "good"), CELL_CASES)
def test_cell_rule_fires_with_the_fix_and_not_on_the_good_value(
    column, bad, code, fix, good, strategy
):
    found = [f for f in findings_for({column: ["", bad]}) if f.code == code]
    assert len(found) == 1, findings_for({column: ["", bad]})
    finding = found[0]
    assert (finding.row, finding.field, finding.value) == (3, column, bad)
    assert fix in finding.message_ja
    assert finding.message_en
    assert not [f for f in findings_for({column: ["", good]}) if f.row == 3]


def test_every_finding_of_a_bad_cell_is_an_error_or_warning_with_a_rule_id():
    schema = {"fields": [{"name": "災害種別_洪水", "kokai:role": "flag"}, {"name": "想定収容人数"}]}
    columns = {"災害種別_洪水": ["○"], "想定収容人数": ["3階"]}
    by_code = {f.code: f for f in findings_for(columns, schema=schema)}
    assert by_code["flag_value"].severity == "error"
    assert by_code["flag_value"].machine_readability == "L2-04"
    assert by_code["number_with_unit"].machine_readability == "L2-01"
    named = findings_for({"名称": ["①会館"]})
    assert named[0].severity == "warning" and named[0].machine_readability == "L1-08"


def test_swapped_coordinates_say_which_values_go_where():
    found = findings_for({"緯度": ["34.7", "135.1"], "経度": ["135.2", "34.5"]})
    assert [(f.code, f.row, f.field) for f in found] == [("coordinates_swapped", 3, "緯度")]
    assert "緯度に「34.5」、経度に「135.1」" in found[0].message_ja


def test_coordinates_outside_japan_name_the_bad_field():
    found = findings_for({"緯度": ["50.1", "35.0"], "経度": ["135.0", "200"]})
    assert {(f.code, f.row, f.field) for f in found} == {
        ("coordinate_outside_japan", 2, "緯度"),
        ("coordinate_outside_japan", 3, "経度"),
    }


def test_coordinates_outside_the_city_only_with_a_bounding_box():
    columns = {"緯度": ["34.70", "35.60"], "経度": ["135.20", "139.70"]}
    assert findings_for(columns) == []
    kobe = CheckContext(city_code="281000", city_bbox=(134.9, 34.5, 135.4, 34.9))
    found = findings_for(columns, context=kobe)
    assert [(f.code, f.row, f.severity) for f in found] == [
        ("coordinate_outside_city", 3, "warning")
    ]
    assert "35.60" in found[0].message_ja and "139.70" in found[0].message_ja


def test_publisher_code_differs_from_the_city_in_kokai_toml():
    columns = {"全国地方公共団体コード": ["281000", "131016", "131017"], "名称": ["a", "b", "c"]}
    kobe = CheckContext(city_code="281000")
    found = findings_for(columns, context=kobe)
    assert [(f.code, f.row) for f in found] == [
        ("lgcode_other_body", 3),
        ("lgcode_check_digit", 4),
    ]
    assert "281000" in found[0].message_ja
    assert findings_for({"所在地_全国地方公共団体コード": ["131016"]}, context=kobe) == []


def test_flags_by_role_from_the_schema_whatever_the_column_name():
    schema = {"fields": [{"name": "洪水対応", "type": "string", "kokai:role": "flag"}]}
    found = findings_for({"洪水対応": ["○", "1"]}, schema=schema)
    assert [(f.code, f.row) for f in found] == [("flag_value", 2)]


def test_lgcode_by_role_from_the_schema():
    schema = {"fields": [{"name": "団体", "type": "string", "kokai:role": "lgcode"}]}
    found = findings_for({"団体": ["92011", "092011"]}, schema=schema)
    assert [(f.code, f.row) for f in found] == [("lgcode_leading_zero_dropped", 2)]


def test_flag_columns_are_recognised_by_their_symbols():
    # Kobe 2017 names its flag columns 緊急避難場所の利用, 土砂災害, ...
    found = findings_for({"緊急避難場所の利用": ["○", "○", "×", "○"], "名": ["a", "b", "c", "d"]})
    assert [(f.code, f.row, f.field) for f in found] == [
        ("flag_value", 2, "緊急避難場所の利用"),
        ("flag_value", 3, "緊急避難場所の利用"),
        ("flag_value", 4, "緊急避難場所の利用"),
        ("flag_value", 5, "緊急避難場所の利用"),
    ]


def test_number_columns_are_recognised_by_their_values():
    # Hamamatsu: 階数 "3階", a column nobody declared as a number
    found = findings_for({"階数": ["3階", "5階", "4"], "名前": ["A", "B", "C"]})
    assert [(f.code, f.row) for f in found] == [("number_with_unit", 2), ("number_with_unit", 3)]
    assert "「3」" in found[0].message_ja


def test_model_dependent_character_in_the_header_is_row_one():
    found = findings_for({"№": ["0001"], "名称": ["a"]})
    assert [(f.code, f.row, f.field) for f in found] == [("model_dependent_character", 1, "№")]
    assert "No." in found[0].message_ja


def test_duplicate_records_point_to_the_first_copy():
    found = findings_for({"名称": ["A", "B", "A"], "住所": ["x", "y", "x"]})
    assert [(f.code, f.row) for f in found] == [("duplicate_record", 4)]
    assert "2 行目" in found[0].message_ja


def test_duplicate_ids_unless_the_schema_declares_them_unique():
    columns = {"ID": ["A1", "A2", "A1"], "名称": ["x", "y", "z"]}
    found = findings_for(columns)
    assert [(f.code, f.row, f.field, f.value) for f in found] == [("duplicate_id", 4, "ID", "A1")]
    schema = {"fields": [{"name": "ID", "kokai:role": "id", "constraints": {"unique": True}}]}
    assert findings_for(columns, schema=schema) == []  # table.py reports unique-error
    assert findings_for({"ID": ["A1", "A2"], "名称": ["x", "y"]}) == []


def test_a_missing_id_between_two_equal_ids_does_not_hide_the_duplicate():
    # a null (a cell missing on a short row) once made A1, -, A1 look in ascending order
    found = findings_for({"ID": ["A1", None, "A1"], "名称": ["x", "y", "z"]})
    assert [(f.code, f.row, f.value) for f in found if f.code == "duplicate_id"] == [("duplicate_id", 4, "A1")]


def test_one_area_code_per_survey_date_is_no_duplicate():
    columns = {"地域コード": ["001", "001"], "調査年月日": ["2024-01-01", "2025-01-01"]}
    assert findings_for(columns) == []
    columns = {
        "地域コード": ["001", "001"],
        "調査年月日": ["2024-01-01", "2024-01-01"],
        "地域名": ["a", "b"],
    }
    schema = {"fields": [{"name": "地域コード", "kokai:role": "id"}]}
    assert [f.code for f in findings_for(columns, schema=schema)] == ["duplicate_id"]


def test_one_gsi_shelter_on_two_rows_for_two_kinds_of_evacuees_is_no_duplicate():
    columns = {"共通ID": ["E1", "E1"], "受入対象者": ["一般", "要配慮者"]}
    assert findings_for(columns) == []
    columns = {"共通ID": ["E1", "E1"], "受入対象者": ["一般", "一般"], "備考": ["a", "b"]}
    assert [f.code for f in findings_for(columns)] == ["duplicate_id"]


def population(total, male, female, bands_m, bands_f):
    columns = {"地域名": ["A町"], "総人口": [total], "男性": [male], "女性": [female]}
    for band, m, f in zip(["0-4歳", "5-9歳"], bands_m, bands_f, strict=True):
        columns[f"{band}の男性"] = [m]
        columns[f"{band}の女性"] = [f]
    return columns


def test_population_sums():
    assert findings_for(population("30", "14", "16", ["6", "8"], ["7", "9"])) == []
    found = findings_for(population("31", "14", "16", ["6", "8"], ["7", "9"]))
    assert [(f.code, f.row, f.field) for f in found] == [("population_total_mismatch", 2, "総人口")]
    assert "（30）" in found[0].message_ja
    found = findings_for(population("30", "14", "16", ["6", "9"], ["7", "9"]))
    assert [(f.code, f.field) for f in found] == [("population_bands_mismatch", "男性")]
    assert "（15）" in found[0].message_ja and "差 1" in found[0].message_ja
    found = findings_for(population("30", "14", "16", ["6", "8"], ["-7", "23"]))
    assert [(f.code, f.field) for f in found] == [("negative_count", "0-4歳の女性")]


def test_junk_lines_are_not_checked():
    columns = {"災害種別_洪水": ["1", "", "2"], "備考": ["屋上あり", "", "合計"]}
    assert findings_for(columns, junk={4}) == []
    assert [f.row for f in findings_for(columns)] == [4]


def test_a_clean_current_layout_row_has_no_findings():
    row = {
        "全国地方公共団体コード": "281000", "ID": "CC0100022200", "名称": "東灘小学校",
        "名称_カナ": "ヒガシナダショウガッコウ", "名称_英字": "Higashinada Elementary School",
        "所在地_連結表記": "兵庫県神戸市東灘区深江北町2-4-1", "緯度": "34.7248161",
        "経度": "135.2944292", "電話番号": "078-411-0556", "郵便番号": "6580013",
        "連絡先メールアドレス": "bosai@city.example.lg.jp", "災害種別_洪水": "1",
        "災害種別_津波": "", "指定避難所との重複": "1", "想定収容人数": "810",
        "URL": "https://www.city.example.lg.jp/a/b.html", "法人番号": "6000020212016",
        "更新日": "2024-04-01", "備考": "2階以上",
    }  # fmt: skip
    assert findings_for({k: [v] for k, v in row.items()}) == []


def test_plan_uses_schema_type_and_role_before_the_name():
    data = make_table({"緯度": ["35"], "X": ["1"], "Y": ["○"]}).data
    schema = {"fields": [{"name": "X", "type": "integer", "kokai:role": "count"}]}
    by_name = {c.name: c for c in plan_columns(data, schema)}
    assert by_name["緯度"].role == "latitude"
    assert by_name["X"].numeric and by_name["X"].role == "count"
    assert by_name["Y"].flag


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("全国地方公共団体コード", "lgcode"), ("所在地_全国地方公共団体コード", "lgcode"),
        ("法人番号", "houjin"), ("緯度", "latitude"), ("経度", "longitude"),
        ("災害種別_崖崩れ、土石流及び地滑り", "flag"), ("指定避難所との重複", "flag"),
        ("郵便番号", "postal_code"), ("電話番号", "phone"), ("内線番号", None),
        ("連絡先メールアドレス", "email"), ("連絡先FormURL", "url"), ("調査年月日", "date"),
        ("総人口", "population_total"), ("65-69歳の男性", "population_band_male"),
        ("85歳以上の女性", "population_band_female"), ("名称", None), ("名称_カナ", "kana"),
        ("緯度（世界測地系）", "latitude"), ("利用可能日時特記事項", None),
    ],
)  # fmt: skip
def test_role_by_name(name, role):
    assert role_by_name(name) == role


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("令和5年4月1日", "2023-04-01"), ("令和５年４月１日", "2023-04-01"),
        ("R5.4.1", "2023-04-01"), ("r5/4/1", "2023-04-01"), ("H31.4.30", "2019-04-30"),
        ("平成31年", "2019"), ("令和元年5月", "2019-05"), ("R元.5.1", "2019-05-01"),
        ("昭和64年1月7日", "1989-01-07"), ("大正15年12月25日", "1926-12-25"),
        ("明治45年7月30日", "1912-07-30"), ("2023/4/1", "2023-04-01"),
        ("2023.04.01", "2023-04-01"), ("2023年4月", "2023-04"),
        ("2023/4/1 9:05", "2023-04-01T09:05:00"), ("2023/13/1", None), ("令和5年2月30日", None),
        ("4月1日", None), ("35.5", None),
    ],
)  # fmt: skip
def test_to_iso_date(text, iso):
    assert jv.to_iso_date(text) == iso


def test_compact_dates_only_where_a_date_is_meant():
    assert jv.to_iso_date("20230401") is None
    assert jv.to_iso_date("20230401", compact=True) == "2023-04-01"
    # an 8-digit number in a text column is not a date
    assert findings_for({"備考": ["20230401"]}) == []


@pytest.mark.parametrize(
    ("value", "canonical"),
    [("○", "1"), ("◎", "1"), ("1.0", "1"), (" 1", "1"), ("×", ""), ("－", ""), ("0", ""),
     ("1", "1"), ("", ""), ("△", None), ("一部", None)],
)  # fmt: skip
def test_canonical_flag(value, canonical):
    assert jv.canonical_flag(value) == canonical


def test_model_dependent_characters_are_those_strict_shift_jis_lacks():
    for ch in "①Ⅰⅶ㈱№㎡㍻∑":
        assert ch in jv.MODEL_DEPENDENT
        ch.encode("cp932")  # all come from CP932
    for ch in "○×△～ー＝髙":
        assert ch not in jv.MODEL_DEPENDENT


def test_a_value_first_seen_after_the_sample_rows_is_still_found():
    # the distinct values of short columns come from the first rows when those
    # hold them all; a new value further down must not slip through
    rows = cells._SAMPLE_ROWS + 500
    flags = ["1", ""] * (rows // 2)
    flags[-3] = "○"
    names = [f"施設{i}" for i in range(rows)]
    found = findings_for({"災害種別_洪水": flags, "名称": names})
    assert [(f.code, f.row) for f in found] == [("flag_value", rows - 3 + 2)]


def test_cell_messages_do_not_depend_on_the_row():
    # cell_findings formats a value's messages once and reuses them on every row
    cell_rules = [
        r for r in vars(jp_rules).values()
        if isinstance(r, Rule) and r is not jp_rules.DUPLICATE_RECORD
    ]  # fmt: skip
    assert len(cell_rules) > 25
    assert not [r.code for r in cell_rules if "{row}" in r.ja or "{row}" in r.en]


def test_tables_without_rows_or_with_odd_shapes_give_no_error():
    assert findings_for({"名称": [], "緯度": []}) == []
    assert findings_for({"緯度": [None, "35.0"], "経度": ["139.0", None]}) == []
    wide = {f"列{i}": ["○" if i % 2 else "1"] for i in range(300)}
    assert all(f.code == "flag_value" for f in findings_for(wide))
    broken_schema = {"fields": [{"type": "integer"}, "not a field", {"name": "緯度"}]}
    assert findings_for({"緯度": ["35.0"]}, schema=broken_schema) == []


# --- whole columns: several values in one cell, empty columns --------------------------

HAZARDS = ["洪水,崖崩れ等,地震", "洪水", "地震,津波", "洪水,地震", "", "津波", "洪水,崖崩れ等"]


def test_several_values_in_the_cells_of_a_list_column():
    found = findings_for({"名称": [f"施設{i}" for i in range(7)], "対象災害": HAZARDS})
    hits = [f for f in found if f.code == "several_values_in_cell"]
    assert [(f.row, f.value) for f in hits] == [
        (2, "洪水,崖崩れ等,地震"), (4, "地震,津波"), (5, "洪水,地震"), (8, "洪水,崖崩れ等"),
    ]  # fmt: skip
    assert hits[0].severity == "warning" and hits[0].machine_readability == "L1-07"
    assert "3 個の値（「洪水」、「崖崩れ等」、「地震」）" in hits[0].message_ja
    assert "「対象災害_洪水」列" in hits[0].message_ja


@pytest.mark.parametrize(
    "column",
    [
        # names and addresses are one value whatever their punctuation
        {"名称": ["福祉センター・体育館", "市民会館・ホール", "図書館・資料館", "公民館"]},
        {"所在地": ["本町1-1・2", "栄町3/4", "港町5;6", "西町"]},
        # a repeated note is one value, not a list of choices
        {"備考": ["津波時、高台へ避難"] * 5},
        # numbers and dates are no vocabulary
        {"割合": ["1/2", "1/3", "2/3", "3/4", "1/4"]},
        # a separator in one or two rows of many is not a list column
        {"用途": ["学校", "体育館", "学校・体育館", "公民館", "学校", "集会所", "学校"] * 3},
        # the standard asks for `;` here
        {"対象となる町会・自治会": ["本町;栄町", "港町;西町", "本町;港町", "栄町"]},
        # long sentences are not choices
        {"説明": [f"この施設は{i}番目に開設された避難所です、駐車場あり" for i in range(6)]},
    ],
)
def test_several_values_not_reported_on_names_notes_numbers_or_rare_separators(column):
    found = findings_for(column)
    assert not [f for f in found if f.code == "several_values_in_cell"], found


def test_empty_column_is_a_warning_unless_standard_or_flag_or_unnamed():
    columns = {"名称": ["a", "b"], "開館時間": ["", ""], "災害種別_洪水": ["", ""], "__col4": ["", ""], "休館日": [None, None]}
    found = findings_for(columns)
    assert [(f.code, f.severity, f.field, f.row) for f in found] == [
        ("empty_column", "warning", "開館時間", None)
    ]
    schema = {"fields": [{"name": "開館時間", "type": "string"}]}
    assert findings_for(columns, schema=schema) == []
    assert findings_for({"名称": ["a", "b"], "開館時間": ["", "9:00"]}) == []
    assert findings_for({"名称": ["a"], "開館時間": [""]}) == []  # one row says little


def test_spaces_around_text_are_warnings_with_the_stripped_value():
    found = findings_for({"施設・場所名": ["蒲生田小学校(休校中)\u3000"], "備考": [" 高台へ "]})
    assert {(f.code, f.severity, f.field, f.params["expected"]) for f in found} == {
        ("surrounding_space", "warning", "施設・場所名", "蒲生田小学校(休校中)"),
        ("surrounding_space", "warning", "備考", "高台へ"),
    }
    assert "前後に全角スペース" in [f for f in found if f.field == "施設・場所名"][0].message_ja
    # in code and number columns spaces stay errors
    found = findings_for({"ID": ["A01 "]})
    assert [(f.code, f.severity) for f in found] == [("surrounding_space", "error")]


def test_code_like_columns_are_recognised_by_their_values():
    # a column of phone numbers under a name kokai does not know
    found = findings_for({"連絡先": ["0883-64-3111", "０８８３－６４－３１１２", "0883-64-3113"]})
    assert [(f.code, f.row, f.params["expected"]) for f in found] == [
        ("fullwidth_characters", 3, "0883-64-3112")
    ]
    # a column of numbers or codes
    found = findings_for({"施設番号": ["101", "１０２", "103"], "区分": ["1", "2", "３"]})
    assert {(f.code, f.field) for f in found} == {
        ("fullwidth_characters", "施設番号"), ("fullwidth_characters", "区分"),
    }  # fmt: skip
    # text that holds digits is not code-like
    assert findings_for({"区分": ["第１会場", "第2会場", "第3会場"]}) == []


@pytest.mark.parametrize(
    ("name", "role"),
    [("TEL", "phone"), ("ＴＥＬ", "phone"), ("FAX", "phone"), ("連絡先電話", "phone"),
     ("〒", "postal_code"), ("公衆電話の有無", None)],
)  # fmt: skip
def test_more_phone_and_postal_names(name, role):
    assert role_by_name(name) == role
