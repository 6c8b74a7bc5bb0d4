"""Real municipal files (../shared/corpus/jp, see its README): what a person
who opens each file expects kokai to say. Skipped where the corpus is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from kokai.validators.fix import fix_file
from kokai.validators.reading import read_table
from kokai.validators.table import validate_paths

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "jp"
KOBE_2017 = CORPUS / "kobe_okunai-hinanjo-2017.csv"
KOBE_2014 = CORPUS / "kobe_okunai-hinanjo-2014-utf8bom.csv"
HAMAMATSU = CORPUS / "hamamatsu_tsunami-hinan-biru.csv"
NANAO = CORPUS / "nanao_shitei-kinkyu-hinanbasho-derived.csv"
SENDAI = CORPUS / "sendai-aoba_chomei-nenrei-jinko-female-derived.csv"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")

_reports: dict[Path, object] = {}


def report_of(path: Path):
    """validate_paths without a kokai.toml (no city bounding box), once per file."""
    if path not in _reports:
        _reports[path] = validate_paths([str(path)], config=None)
    return _reports[path]


def found(path: Path, code: str) -> list:
    return [f for f in report_of(path).findings if f.code == code]


def source(path: Path) -> dict:
    (only,) = report_of(path).sources
    return only.details


def test_kobe_2017_is_read_as_cp932_with_the_numero_sign_intact():
    table = read_table(KOBE_2017)
    assert table.encoding == "cp932"
    assert table.header[0] == "№"
    assert source(KOBE_2017)["encoding"] == "cp932"
    assert found(KOBE_2017, "encoding_not_utf8")
    (numero,) = found(KOBE_2017, "model_dependent_character")
    assert (numero.row, numero.field) == (1, "№") and "No." in numero.message_ja


def test_kobe_2017_two_header_rows_are_reported_and_merged():
    assert source(KOBE_2017)["header_rows"] == 2
    (header,) = found(KOBE_2017, "multi_row_header")
    assert header.row == 2
    assert "災害ごとの注意事項_土砂災害" in read_table(KOBE_2017).header


def test_kobe_2017_flags_written_with_symbols():
    flags = found(KOBE_2017, "flag_value")
    values = {f.value for f in flags}
    assert {"○", "×", "－"} <= values
    first = min(flags, key=lambda f: f.row)
    assert first.row == 3  # the first data row after two header rows
    assert "「1」" in first.message_ja
    ambiguous = found(KOBE_2017, "flag_ambiguous")
    assert ambiguous and {f.value for f in ambiguous} == {"△"}
    assert all(f.row < 339 for f in flags), "the tally block under the table is not data"


def test_kobe_2017_trailing_totals_row_is_reported():
    (totals,) = found(KOBE_2017, "totals_row")
    assert totals.row == 346 and "合計" in (totals.value or totals.message_ja)


def test_kobe_2017_several_phone_numbers_in_one_cell():
    rows = {f.row: f.value for f in found(KOBE_2017, "phone_several")}
    assert rows[45] == "078-803-5921(昼)、078-803-5777(夜)"
    (fullwidth,) = [f for f in found(KOBE_2017, "fullwidth_characters") if f.field == "電話番号"]
    assert "「078-413-3264」" in fullwidth.message_ja


def test_kobe_2014_utf8_bom_and_its_trailing_blank_rows():
    assert source(KOBE_2014)["encoding"] == "utf-8-sig"
    (blank,) = found(KOBE_2014, "trailing_blank_rows")
    assert blank.row == 340
    assert not [f for f in report_of(KOBE_2014).findings if f.row and f.row > 340]
    assert {f.value for f in found(KOBE_2014, "flag_value")} >= {"○", "×"}
    postal = found(KOBE_2014, "postal_code_format")
    assert postal and "「6580013」" in postal[0].message_ja


def test_hamamatsu_is_the_old_layout_with_longitude_before_latitude():
    (outdated,) = found(HAMAMATSU, "outdated_layout")
    assert "都道府県コード又は市区町村コード→全国地方公共団体コード" in outdated.message_ja
    order = found(HAMAMATSU, "label_order")
    assert order and "経度" in order[0].message_ja
    # the values are right under their own headers: nothing is swapped or outside Japan
    assert not found(HAMAMATSU, "coordinates_swapped")
    assert not found(HAMAMATSU, "coordinate_outside_japan")


def test_hamamatsu_numbers_with_units():
    units = {(f.row, f.value): f for f in found(HAMAMATSU, "number_with_unit")}
    assert "「3」" in units[(2, "3階")].message_ja
    assert "「16」" in units[(2, "16人")].message_ja
    assert (2, "9ｍ") in units
    assert any(value == "7.666666667階" for _, value in units)
    assert found(HAMAMATSU, "model_dependent_character")  # ハーベストⅦ


def test_nanao_flags_written_as_one_point_zero_and_the_missing_code_column():
    flags = found(NANAO, "flag_value")
    assert flags and {f.value for f in flags} == {"1.0"}
    assert all("「1」と書いてください" in f.message_ja for f in flags[:5])
    missing = [f for f in found(NANAO, "missing-label") if f.field == "全国地方公共団体コード"]
    assert len(missing) == 1
    assert source(NANAO)["schema"] == "evacuation-sites"
    texts = found(NANAO, "text_in_number")
    assert texts and texts[0].field == "想定収容人数"


def test_nanao_full_width_digits_in_addresses():
    digits = {f.value: f for f in found(NANAO, "fullwidth_digits_in_text")}
    assert "「石川県七尾市一本杉町124」" in digits["石川県七尾市一本杉町１２４"].message_ja


def test_sendai_full_width_digits_in_town_names():
    towns = {f.row: f for f in found(SENDAI, "fullwidth_digits_in_text")}
    assert towns[3].field == "town_name" and towns[3].value == "赤坂１丁目"
    assert "「赤坂1丁目」" in towns[3].message_ja
    assert not found(SENDAI, "number_with_unit")  # the age columns are plain numbers


def test_fix_kobe_2017_gives_utf8_with_fewer_findings(tmp_path: Path):
    out = tmp_path / "kobe.csv"
    report = fix_file(KOBE_2017, out)
    text = out.read_bytes().decode("utf-8")  # strict: raises if not UTF-8
    assert text.startswith("No.,区,")  # № (機種依存文字) → No.
    assert "合計" not in text
    after = validate_paths([str(out)], config=None)
    before = report_of(KOBE_2017)
    assert sum(after.codes().values()) < sum(before.codes().values())
    assert after.total("error") < before.total("error")
    assert "encoding_not_utf8" not in after.codes()
    assert report.codes()["fixed_flag"] >= 1500
