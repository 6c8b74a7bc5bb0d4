"""The personal-data (個人情報) check: tables of people are flagged column by
column, 個人番号 by their check digit, personal e-mail addresses by domain;
facilities' own phone numbers and addresses never are; nothing personal is
echoed in full; the city's review in datapackage.yaml downgrades findings to
info, and a malformed review is an error of its own.

Every fixture is made up for the fictional city of 潮見市; the people are
invented, and 123456789018 is the textbook example of a number that passes
the check digit."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import polars as pl
import pytest
import yaml

from kokai.cli import main
from kokai.validators.personal_data.cells import mask_email, mask_number
from kokai.validators.personal_data.people import classify
from kokai.validators.personal_data.review import EXAMPLE, paste_yaml, read_review
from kokai.validators.render import render
from kokai.validators.table import validate_paths
from kokai.vocab.checkdigits import is_valid_kojin_bangou, kojin_check_digit, kojin_valid_expr
from kokai.vocab.mail_domains import personal_mail_service
from tests.validators.rule_cases import descriptor

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / "datasets"
CORPUS = ROOT / ".." / "shared" / "corpus" / "jp"
PERSONAL = ("personal_data_column", "personal_number", "personal_email")

VALID = "123456789018"  # 総務省令の算式の教科書的な例: 検査用数字 8
PEOPLE = (
    "ID,氏名,フリガナ,生年月日,住所,電話番号,メールアドレス,個人番号\n"
    "1,潮見 一郎,シオミ イチロウ,1980-04-01,静岡県潮見市本町一丁目1-1,090-0000-0001,"
    "ichiro.shiomi@gmail.com,123456789018\n"
    "2,港 花子,ミナト ハナコ,1991-12-24,静岡県潮見市港町2-3,080-0000-0002,"
    "hanako@docomo.ne.jp,\n"
)
FACILITIES = (
    "名称,住所,電話番号,メールアドレス\n"
    "潮見市役所,静岡県潮見市本町一丁目1-1,053-431-2111,soumu@city.shiomi.example.lg.jp\n"
    "潮見市立図書館,静岡県潮見市西町450,053-431-2200,library@city.shiomi.example.lg.jp\n"
)


def kojin(base11: str) -> str:
    return base11 + str(kojin_check_digit(base11))


def check(tmp_path: Path, text: str, name: str = "名簿.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return validate_paths([str(path)])


def personal(report, code: str | None = None) -> list:
    return [f for f in report.findings if f.code in PERSONAL and (code is None or f.code == code)]


def columns(report) -> set[str]:
    return {f.field for f in personal(report, "personal_data_column")}


def dataset(tmp_path: Path, csv_text: str, **changes) -> Path:
    folder = tmp_path / "meibo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "aed.csv").write_text(csv_text, encoding="utf-8")
    text = yaml.safe_dump(descriptor(**changes), allow_unicode=True, sort_keys=False)
    (folder / "datapackage.yaml").write_text(text, encoding="utf-8")
    return folder


# --- the 個人番号 check digit ------------------------------------------------------------


def test_textbook_number_and_every_wrong_check_digit():
    assert kojin_check_digit("12345678901") == 8
    assert is_valid_kojin_bangou(VALID)
    for digit in "012345679":
        assert not is_valid_kojin_bangou(VALID[:11] + digit)


def test_remainder_zero_or_one_gives_check_digit_zero():
    weights = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    seen = set()
    rng = random.Random(8)
    while seen != {0, 1}:
        base = f"{rng.randrange(10**11):011d}"
        r = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
        if r <= 1:
            assert kojin_check_digit(base) == 0
            assert is_valid_kojin_bangou(base + "0")
            seen.add(r)
        else:
            assert kojin_check_digit(base) == 11 - r


@pytest.mark.parametrize(
    "text", ["", "12345678901", "1234567890180", "12345678901x", "１２３４５６７８９０１８", "1234-5678-9018"]
)
def test_only_twelve_ascii_digits_are_numbers(text):
    assert not is_valid_kojin_bangou(text)


def test_the_column_expression_agrees_with_the_function():
    rng = random.Random(12)
    values = [f"{rng.randrange(10**12):012d}" for _ in range(5000)] + [VALID, "000000000000", "+12345678901"]
    got = pl.DataFrame({"n": values}).select(kojin_valid_expr(pl.col("n"))).to_series().fill_null(False)
    assert got.to_list() == [is_valid_kojin_bangou(v) for v in values]
    assert 0.07 < got.mean() < 0.13  # about one random number in ten passes


@pytest.mark.parametrize(
    "written",
    ["123456789018", "1234-5678-9018", "1234 5678 9018", "１２３４５６７８９０１８", "１２３４－５６７８－９０１８",
     "1234　5678　9018", " 123456789018 "],
)  # fmt: skip
def test_written_forms_of_a_number_are_found(tmp_path, written):
    report = check(tmp_path, f"管理番号,個人番号\nA-1,{written}\n")
    (hit,) = personal(report, "personal_number")
    assert (hit.row, hit.field, hit.value) == (2, "個人番号", "1234-****-****")
    assert hit.params["basis"] == "name"


@pytest.mark.parametrize("value", ["123456789017", "12345678901", "1234567890180", "000000000000"])
def test_not_a_number(tmp_path, value):
    assert not personal(check(tmp_path, f"管理番号,個人番号\nA-1,{value}\n"), "personal_number")


def test_a_column_of_random_twelve_digit_ids_is_not_flagged(tmp_path):
    rng = random.Random(1)
    rows = "".join(f"{i},{rng.randrange(10**11, 10**12)},本町\n" for i in range(3000))
    report = check(tmp_path, "ID,受付番号,地区\n" + rows, name="受付.csv")
    assert not personal(report)


def test_an_unnamed_column_needs_three_different_passing_numbers(tmp_path):
    two = f"ID,番号\n1,{kojin('11111111111')}\n2,{kojin('22222222222')}\n"
    assert not personal(check(tmp_path, two, name="a.csv"))
    three = two + f"3,{kojin('33333333333')}\n"
    hits = personal(check(tmp_path, three, name="b.csv"), "personal_number")
    assert [(f.row, f.params["basis"]) for f in hits] == [(2, "column"), (3, "column"), (4, "column")]
    # the same number repeated is one number
    same = "ID,番号\n" + "".join(f"{i},{VALID}\n" for i in range(5))
    assert not personal(check(tmp_path, same, name="c.csv"))


def test_in_a_table_of_people_one_passing_number_is_enough(tmp_path):
    report = check(tmp_path, f"氏名,番号\n潮見 一郎,{VALID}\n")
    (hit,) = personal(report, "personal_number")
    assert hit.params["basis"] == "people"


def test_a_number_after_the_word_in_free_text(tmp_path):
    report = check(tmp_path, f"名称,備考\n潮見市役所,マイナンバー：{VALID[:4]} {VALID[4:8]} {VALID[8:]} を確認\n")
    (hit,) = personal(report, "personal_number")
    assert (hit.row, hit.field, hit.params["basis"]) == (2, "備考", "keyword")
    assert not personal(check(tmp_path, "名称,備考\n潮見市役所,個人番号カードの交付 123456789017\n", "x.csv"))


# --- personal e-mail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    ["gmail.com", "GMAIL.COM", "yahoo.co.jp", "icloud.com", "outlook.jp", "outlook.com", "hotmail.co.jp",
     "hotmail.fr", "docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp",
     "ymobile.ne.jp", "d.vodafone.ne.jp", "abc.ocn.ne.jp", "yahoo.com.tw"],
)  # fmt: skip
def test_personal_mail_domains(domain):
    assert personal_mail_service(domain) is not None


@pytest.mark.parametrize(
    "domain",
    ["city.shiomi.example.lg.jp", "pref.shizuoka.lg.jp", "example.co.jp", "notgmail.com",
     "gmail.com.example.jp", "live.example.jp", "outlook.city.shiomi.lg.jp", "softbank.jp", "co.jp"],
)  # fmt: skip
def test_organisational_domains(domain):
    assert personal_mail_service(domain) is None


def test_personal_addresses_are_flagged_wherever_they_are(tmp_path):
    text = (
        "名称,連絡先メールアドレス,備考\n"
        "潮見市役所,bousai@city.shiomi.example.lg.jp,\n"
        "潮見市子ども会,kodomokai@gmail.com,\n"
        "潮見おやこ広場,,連絡は ｏｙａｋｏ＠ｅｚｗｅｂ．ｎｅ．ｊｐ まで\n"
        "潮見市民活動センター,info@shiomi-npo.example.jp,代表 daihyo@i.softbank.jp / info@shiomi-npo.example.jp\n"
    )
    hits = personal(check(tmp_path, text, name="団体.csv"), "personal_email")
    assert [(f.row, f.field, f.value, f.params["service"]) for f in hits] == [
        (3, "連絡先メールアドレス", "k***@gmail.com", "Gmail"),
        (4, "備考", "o***@ezweb.ne.jp", "au"),
        (5, "備考", "d***@i.softbank.jp", "ソフトバンク (iPhone)"),
    ]
    assert hits[0].severity == "error"


def test_masks():
    assert mask_number(VALID) == "1234-****-****"
    assert mask_email("taro.yamada@gmail.com") == "t***@gmail.com"


# --- tables of people --------------------------------------------------------------------


def test_a_table_of_people_flags_each_kind(tmp_path):
    report = check(tmp_path, PEOPLE)
    assert columns(report) == {"氏名", "フリガナ", "生年月日", "住所", "電話番号", "メールアドレス", "個人番号"}
    kinds = {f.field: f.params["kind"].ja for f in personal(report, "personal_data_column")}
    assert kinds["生年月日"] == "生年月日" and kinds["電話番号"] == "個人の電話番号"
    assert kinds["個人番号"] == "個人番号（マイナンバー）" and kinds["フリガナ"].startswith("個人の氏名の読み")
    assert {f.code for f in personal(report)} == set(PERSONAL)
    assert report.exit_code == 1 and all(f.severity == "error" for f in personal(report))
    column = next(f for f in personal(report, "personal_data_column") if f.field == "氏名")
    assert (column.row, column.value, column.params["first_row"], column.params["filled"]) == (1, "潮***", 2, 2)


@pytest.mark.parametrize(
    ("header", "row", "flagged"),
    [
        ("氏名（漢字）,携帯電話", "潮見 一郎,090-0000-0001", {"氏名（漢字）", "携帯電話"}),
        ("名前,ふりがな,自宅住所", "潮見 一郎,しおみ いちろう,潮見市本町1-1", {"名前", "ふりがな", "自宅住所"}),
        ("No,誕生日,現住所", "1,4月1日,潮見市本町1-1", {"誕生日", "現住所"}),
        ("会員番号,マイナンバー,TEL", f"7,{VALID},0534312111", {"マイナンバー", "TEL"}),
        ("姓,名,E-mail", "潮見,一郎,ichiro@example.jp", {"姓", "名", "E-mail"}),
        ("申請者名,緊急連絡先", "潮見 一郎,090-0000-0001", {"申請者名", "緊急連絡先"}),
    ],
)
def test_usual_variants(tmp_path, header, row, flagged):
    assert columns(check(tmp_path, f"{header}\n{row}\n")) == flagged


def test_facilities_are_not_people(tmp_path):
    assert not personal(check(tmp_path, FACILITIES, name="施設.csv"))
    # 名前 holding facility names is a facility's name
    named = "名前,住所,電話番号\n本町公民館,潮見市本町1-1,053-431-0001\n港町児童館,潮見市港町2-3,053-431-0002\n"
    assert not personal(check(tmp_path, named, name="公民館.csv"))
    # a person's name after the facility's: the person in charge of a facility
    heads = "施設名,施設長氏名,電話番号,住所\n潮見保育園,潮見 一郎,053-431-0003,潮見市西町4\n"
    assert not personal(check(tmp_path, heads, name="保育園.csv"))
    # statistics about people are not people
    stats = "地区名,マイナンバーカード交付率,住所地別人口,総人口\n本町,78.2,1867,1867\n"
    assert not personal(check(tmp_path, stats, name="統計.csv"))


def test_a_standard_facility_schema_is_not_people(tmp_path):
    shelters = (
        "NO,共通ID,施設・場所名,住所,指定緊急避難場所との住所同一,その他市町村長が必要と認める事項,"
        "受入対象者,緯度,経度,備考\n"
        "1,E2299900002111,潮見第一小学校,静岡県潮見市本町二丁目8-1,1,,,34.714075,137.958703,\n"
    )
    report = check(tmp_path, shelters, name="shelters.csv")
    assert report.sources[0].details.get("schema") == "gsi-shelters"
    assert not personal(report)


def test_people_at_facilities_flag_only_what_only_a_person_has(tmp_path):
    text = "氏名,生年月日,入所施設,電話番号,住所\n潮見 一郎,1940-01-01,潮見荘,053-431-0004,潮見市西町4\n"
    assert columns(check(tmp_path, text)) == {"氏名", "生年月日"}


def test_empty_personal_columns_are_not_flagged(tmp_path):
    assert columns(check(tmp_path, "氏名,生年月日,電話番号\n潮見 一郎,,\n")) == {"氏名"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [("事故発生年月日", None), ("法人番号", None), ("名称_カナ", None), ("内線番号", None),
     ("勤務先電話番号", None), ("所在地_連結表記", None), ("hotel_name", None), ("連絡先FormURL", None),
     ("氏名_カナ", ("kana", "strong")), ("自宅TEL", ("phone", "strong")), ("本籍", ("address", "strong"))],
)  # fmt: skip
def test_column_names(name, expected):
    assert classify(name) == expected


def test_demo_datasets_have_no_personal_data():
    folders = [str(p) for p in sorted(DATASETS.iterdir()) if (p / "datapackage.yaml").is_file()]
    report = validate_paths(folders)
    assert len([s for s in report.sources if s.kind == "table"]) >= 4
    assert not personal(report)
    assert "internal_error" not in report.codes()


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_published_municipal_files_have_no_personal_data():
    files = sorted(CORPUS.glob("*.csv"))
    assert files
    report = validate_paths([str(p) for p in files])
    assert not personal(report)
    assert "internal_error" not in report.codes()


# --- nothing personal in the report -----------------------------------------------------


def test_no_personal_value_is_echoed_in_any_format(tmp_path):
    text = PEOPLE + "3,潮見 次郎,シオミ ジロウ,1979-05-05,潮見市西町9,０９０-0000-0003,jiro@yahoo.co.jp,\n"
    report = check(tmp_path, text)
    assert "fullwidth_characters" in report.codes()  # another rule, on a personal cell
    outputs = [render(report, fmt, lang) for fmt in ("text", "json", "junit", "github") for lang in ("ja", "en")]
    for secret in ("一郎", "ichiro.shiomi", "hanako@", "123456789018", "5678-9018", "1980-04-01", "0000-0001",
                   "０９０", "090-0000-0003", "本町一丁目1-1", "jiro@"):  # fmt: skip
        for out in outputs:
            assert secret not in out, secret
    as_json = json.loads(render(report, "json"))
    redacted = [f for f in as_json["findings"] if f["code"] == "fullwidth_characters"]
    assert redacted and redacted[0]["value"] == "０***" and redacted[0]["params"]["expected"] == "0***"


def test_personal_text_in_other_findings_is_masked_in_place(tmp_path):
    # a facility table (not of people): the note keeps its text, the address is masked
    text = "名称,更新日\n潮見市役所,連絡 taro@gmail.com 2024/4/1\n"
    report = check(tmp_path, text, name="施設.csv")
    values = [f.value for f in report.findings if f.code not in PERSONAL and f.value]
    assert values and all("taro@" not in v for v in values)
    assert any("t***@gmail.com" in v for v in values)


# --- what staff read ---------------------------------------------------------------------


def test_messages_say_where_what_and_the_two_ways_forward(tmp_path):
    report = check(tmp_path, PEOPLE)
    today = dt.date.today().isoformat()
    for f in personal(report):
        ja, en = f.message("ja"), f.message("en")
        assert "名簿.csv" in ja and f"「{f.field}」" in ja and "名簿.csv" in en
        if f.code != "personal_data_column":
            assert f"{f.row} 行目" in ja and f"row {f.row}" in en
        assert "削除" in ja and "remove" in en
        assert paste_yaml() in ja and f"date: {today}" in ja and "kokai:personal_data_review" in en
    column = next(f for f in personal(report, "personal_data_column") if f.field == "生年月日")
    assert "生年月日" in column.message("ja") and "集計" in column.message("ja")
    assert "「氏名」" in column.params["why"].ja


def test_the_yaml_to_paste_is_valid_yaml_but_not_a_valid_review():
    pasted = yaml.safe_load(paste_yaml())
    review, findings = read_review(pasted, "datapackage.yaml")
    assert review is None and findings[0].code == "personal_data_review_invalid"
    example = yaml.safe_load(EXAMPLE)
    assert read_review(example, "datapackage.yaml") == (read_review(example, "x")[0], [])
    assert read_review(example, "datapackage.yaml")[0].by == "総務課 山田太郎"


def test_the_cli_exit_status(tmp_path, capsys):
    (tmp_path / "名簿.csv").write_text(PEOPLE, encoding="utf-8")
    assert main(["validate", str(tmp_path / "名簿.csv")]) == 1
    out = capsys.readouterr().out
    assert "personal_data_column" in out and "一郎" not in out


# --- the review ---------------------------------------------------------------------------

REVIEW = {"by": "総務課 潮見一郎", "date": "2026-04-01", "reason": "議員の氏名は法令に基づき公表している"}


def test_without_a_review_a_dataset_is_refused(tmp_path):
    report = validate_paths([str(dataset(tmp_path, PEOPLE))])
    assert report.exit_code == 1
    assert personal(report) and all(f.severity == "error" for f in personal(report))


def test_a_review_turns_the_findings_into_info_that_name_the_reviewer(tmp_path):
    unreviewed = personal(validate_paths([str(dataset(tmp_path / "a", PEOPLE))]))
    report = validate_paths([str(dataset(tmp_path / "b", PEOPLE, **{"kokai:personal_data_review": REVIEW}))])
    reviewed = personal(report)
    assert report.exit_code == 0 and report.valid
    assert [(f.code, f.row, f.field) for f in reviewed] == [(f.code, f.row, f.field) for f in unreviewed]
    for f in reviewed:
        assert f.severity == "info"
        assert f.params["reviewed_by"] == "総務課 潮見一郎" and f.params["reviewed_on"] == "2026-04-01"
        assert "総務課 潮見一郎 が 2026-04-01 に確認済み" in f.message("ja")
        assert "reviewed by 総務課 潮見一郎 on 2026-04-01" in f.message("en")
        assert "一郎," not in json.dumps(f.to_dict(), ensure_ascii=False)


def test_an_unquoted_yaml_date_is_read(tmp_path):
    folder = dataset(tmp_path, PEOPLE)
    text = (folder / "datapackage.yaml").read_text(encoding="utf-8")
    text += "kokai:personal_data_review:\n  by: 総務課 潮見一郎\n  date: 2026-04-01\n  reason: 法令で公表\n"
    (folder / "datapackage.yaml").write_text(text, encoding="utf-8")
    report = validate_paths([str(folder)])
    assert report.valid and {f.severity for f in personal(report)} == {"info"}


def test_a_review_limited_to_some_columns(tmp_path):
    review = {**REVIEW, "fields": ["氏名"]}
    report = validate_paths([str(dataset(tmp_path, PEOPLE, **{"kokai:personal_data_review": review}))])
    severities = {(f.code, f.field): f.severity for f in personal(report)}
    assert severities[("personal_data_column", "氏名")] == "info"
    assert severities[("personal_data_column", "生年月日")] == "error"
    assert severities[("personal_number", "個人番号")] == "error"
    assert report.exit_code == 1


@pytest.mark.parametrize(
    ("review", "problem"),
    [
        ({"by": "総務課 潮見一郎", "date": "2026-04-01"}, "reason がありません"),
        ({"date": "2026-04-01", "reason": "法令で公表"}, "by がありません"),
        ({**REVIEW, "date": "2026/04/01"}, "YYYY-MM-DD の形"),
        ({**REVIEW, "date": "2026-02-30"}, "存在しない日付"),
        ({**REVIEW, "date": "2999-01-01"}, "未来の日付"),
        ({**REVIEW, "date": 20260401}, "YYYY-MM-DD の形"),
        ({**REVIEW, "by": "確認した人の所属と氏名"}, "by に確認した人の所属と氏名を書いて"),
        ({**REVIEW, "reason": "  "}, "reason がありません" if False else "reason に公開してよい理由"),
        ({**REVIEW, "fields": "氏名"}, "fields は列名のリスト"),
        ({**REVIEW, "reson": "typo"}, "知らないキー reson"),
        ("総務課が確認済み", "マッピングではありません"),
        ({}, "by・date・reason がありません"),
    ],
)
def test_a_malformed_review_is_an_error_and_does_not_apply(tmp_path, review, problem):
    folder = dataset(tmp_path, PEOPLE, **{"kokai:personal_data_review": review})
    report = validate_paths([str(folder)])
    (bad,) = [f for f in report.findings if f.code == "personal_data_review_invalid"]
    assert bad.severity == "error" and bad.field == "kokai:personal_data_review"
    assert bad.path.endswith("datapackage.yaml")
    message = bad.message("ja")
    assert problem in message, message
    assert "kokai:personal_data_review: { by: " in message and "date: 2026-04-01" in message
    assert personal(report) and all(f.severity == "error" for f in personal(report))


def test_an_impossible_unquoted_date_is_reported_not_a_crash(tmp_path):
    folder = dataset(tmp_path, PEOPLE)
    text = (folder / "datapackage.yaml").read_text(encoding="utf-8")
    text += "kokai:personal_data_review: { by: 総務課, date: 2026-02-30, reason: 法令で公表 }\n"
    (folder / "datapackage.yaml").write_text(text, encoding="utf-8")
    report = validate_paths([str(folder)])
    (bad,) = [f for f in report.findings if f.code == "package_unreadable"]
    assert "存在しない日付" in bad.message("ja")


def test_a_review_of_a_dataset_without_personal_data_changes_nothing(tmp_path):
    report = validate_paths(
        [str(dataset(tmp_path, FACILITIES, **{"kokai:personal_data_review": REVIEW}))]
    )
    assert not personal(report) and "personal_data_review_invalid" not in report.codes()


@pytest.mark.parametrize(
    "text", ["a,b\n1,2,3\n4\n", "a\n1\n", "氏名\n\n", "名前,住所\n,\n", "x,y\n,,\n"]
)
def test_small_and_ragged_tables_are_checked_without_a_bug(tmp_path, text):
    report = check(tmp_path, text, name="t.csv")
    assert "internal_error" not in report.codes() and report.exit_code != 3


def test_findings_are_capped_and_counted(tmp_path):
    rows = "".join(f"{i},{kojin(f'{i:011d}')}\n" for i in range(1, 1501))
    report = check(tmp_path, "ID,個人番号\n" + rows)
    kept = personal(report, "personal_number")
    assert len(kept) == 1000 and report.codes()["personal_number"] == 1500
