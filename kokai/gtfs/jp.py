"""GTFS-JP (標準的なバス情報フォーマット) profile rules, on top of the generic GTFS rules.

`validate_feed` (kokai.gtfs.validate) calls `looks_japanese` to pick the
profile, `jp_version` for the report header, and `check_jp` for the rules
below. Sources: the GTFS-JP 第2版 text and the v3 field table, summarised in
shared/reference/gtfs-jp.md §1; docs/gtfs-jp-rules.md lists every code.

Severities follow the spec: a 必須 item that is missing is an error, a 推奨
one a warning. Every rule reads the raw String tables of `Feed.files` with
polars; the checks that touch large tables (trips, stops) are vectorised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from kokai.gtfs.feed import Feed
from kokai.gtfs.translations import (
    READING_LANGUAGE,
    normalize_translations,
    not_kana_expr,
    readings,
    translation_form,
)
from kokai.validators.report import Finding, Rule
from kokai.vocab.checkdigits import is_valid_houjin_bangou

# Japanese script (kana, CJK ideographs, half-width katakana): text that needs a reading.
JAPANESE_TEXT = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
# 法人番号 (13 digits), optionally followed by a branch suffix `_1`, `_2`, ...
_HOUJIN_WITH_BRANCH = re.compile(r"([0-9]{13})(?:_[0-9]+)?")
# Words that make a platform_code a label instead of an ID (番, のりば, 乗り場).
_PLATFORM_WORDS = r"番|のりば|乗り場|乗場|ノリバ|ホーム"
# The key a v3 translation's record_id refers to, per table (GTFS translations.txt).
_RECORD_KEYS = {
    "agency": "agency_id",
    "stops": "stop_id",
    "routes": "route_id",
    "trips": "trip_id",
    "stop_times": "trip_id",
    "pathways": "pathway_id",
    "levels": "level_id",
    "attributions": "attribution_id",
}
_JP_FILES = ("agency_jp.txt", "office_jp.txt", "routes_jp.txt", "pattern_jp.txt")


def _rule(code: str, severity: str, ja: str, en: str) -> Rule:
    return Rule(code, severity, ja, en, source="gtfs-jp")  # type: ignore[arg-type]


# --- agency ------------------------------------------------------------------------------
MISSING_AGENCY_ID = _rule(
    "jp_missing_agency_id",
    "error",
    "{path} の {row} 行目に agency_id がありません。GTFS-JP では事業者が 1 つでも agency_id は"
    "必須です。事業者の法人番号（13 桁）を入れてください。",
    "{path} row {row}: agency_id is empty. GTFS-JP requires agency_id even for a single "
    "agency: enter the operator's 13-digit corporate number (法人番号).",
)
MISSING_AGENCY_ID_COLUMN = _rule(
    "jp_missing_agency_id_column",
    "error",
    "{path} に agency_id 列がありません。GTFS-JP では agency_id は必須です。agency_id 列を追加し、"
    "事業者の法人番号（13 桁）を入れてください。",
    "{path} has no agency_id column. GTFS-JP requires agency_id: add the column with the "
    "operator's 13-digit corporate number.",
)
INVALID_HOUJIN_BANGOU = _rule(
    "jp_invalid_houjin_bangou",
    "error",
    "{path} の {row} 行目の agency_id「{value}」は正しい法人番号ではありません（{reason}）。"
    "国税庁法人番号公表サイトで 13 桁の法人番号を確かめてください（営業所を分けるときは "
    "末尾に _1 などを付けます）。コミュニティバスは委託元の自治体の法人番号です。",
    "{path} row {row}: agency_id {value!r} is not a valid corporate number ({reason_en}). "
    "Look up the 13-digit 法人番号 (branch suffix _1, _2 allowed); for a community bus use "
    "the commissioning municipality's number.",
)
AGENCY_TIMEZONE_NOT_TOKYO = _rule(
    "jp_agency_timezone_not_tokyo",
    "error",
    "{path} の {row} 行目の agency_timezone が「{value}」です。GTFS-JP では Asia/Tokyo と"
    "書いてください。",
    "{path} row {row}: agency_timezone is {value!r}; GTFS-JP requires Asia/Tokyo.",
)
AGENCY_LANG_NOT_JA = _rule(
    "jp_agency_lang_not_ja",
    "error",
    "{path} の {row} 行目の agency_lang が「{value}」です。GTFS-JP では ja と書いてください。",
    "{path} row {row}: agency_lang is {value!r}; GTFS-JP expects ja.",
)
# --- feed_info ---------------------------------------------------------------------------
MISSING_FEED_INFO = _rule(
    "jp_missing_feed_info",
    "error",
    "feed_info.txt がありません。GTFS-JP では必須です。feed_publisher_name、feed_publisher_url、"
    "feed_lang（ja）、feed_start_date、feed_end_date を書いた feed_info.txt を追加してください。",
    "feed_info.txt is missing; GTFS-JP requires it with feed_publisher_name, "
    "feed_publisher_url, feed_lang=ja, feed_start_date and feed_end_date.",
)
MISSING_FEED_INFO_FIELD = _rule(
    "jp_missing_feed_info_field",
    "error",
    "feed_info.txt の {field} がありません（{row} 行目）。GTFS-JP では必須です。{hint}を入れてください。",
    "feed_info.txt row {row}: {field} is empty; GTFS-JP requires it ({hint_en}).",
)
MISSING_FEED_INFO_DATE = _rule(
    "jp_missing_feed_info_date",
    "warning",
    "feed_info.txt の {field} がありません（{row} 行目）。{hint}を YYYYMMDD で入れてください。"
    "経路検索サービスは有効期間でデータの新旧を判断します。",
    "feed_info.txt row {row}: {field} is empty. Enter {hint_en} as YYYYMMDD; routing "
    "services use it to tell which data is current.",
)
FEED_LANG_NOT_JA = _rule(
    "jp_feed_lang_not_ja",
    "error",
    "feed_info.txt の {row} 行目の feed_lang が「{value}」です。GTFS-JP では ja と書いてください。",
    "feed_info.txt row {row}: feed_lang is {value!r}; GTFS-JP requires ja.",
)
# --- fares -------------------------------------------------------------------------------
MISSING_FARE_ATTRIBUTES = _rule(
    "jp_missing_fare_attributes",
    "error",
    "fare_attributes.txt がありません。GTFS-JP 第2版から運賃情報は必須です。運賃（fare_id、price、"
    "currency_type=JPY、payment_method、transfers）を追加してください。運賃を載せない場合は"
    "「GTFS-JP（運賃非対応）」と明記して公開します。",
    "fare_attributes.txt is missing; fares are required since GTFS-JP v2. Add them, or "
    "publish the feed labelled 「GTFS-JP（運賃非対応）」.",
)
FARE_CURRENCY_NOT_JPY = _rule(
    "jp_fare_currency_not_jpy",
    "error",
    "fare_attributes.txt の {row} 行目の currency_type が「{value}」です。JPY と書いてください。",
    "fare_attributes.txt row {row}: currency_type is {value!r}; use JPY.",
)
MISSING_FARE_RULES = _rule(
    "jp_missing_fare_rules",
    "error",
    "運賃が {fares} 種類あるのに fare_rules.txt がありません。全線均一運賃でない場合は、どの路線・"
    "区間にどの運賃を適用するかを fare_rules.txt に書いてください（対キロ制はすべての乗車・降車の"
    "組み合わせ）。",
    "There are {fares} fares but no fare_rules.txt. Unless the fare is flat, say in "
    "fare_rules.txt which fare applies to which route or origin/destination pair.",
)
# --- translations ------------------------------------------------------------------------
MISSING_TRANSLATIONS = _rule(
    "jp_missing_translations",
    "error",
    "translations.txt がありません。GTFS-JP では停留所名などの読み仮名（ja-Hrkt）が必須です。"
    "停留所名・路線名・行先・事業者名の ja と ja-Hrkt（ひらがな）の行を translations.txt に"
    "書いてください。",
    "translations.txt is missing. GTFS-JP requires ja-Hrkt (hiragana) readings of stop, "
    "route, headsign and agency names.",
)
INVALID_TRANSLATIONS_HEADER = _rule(
    "jp_invalid_translations_header",
    "error",
    "translations.txt の列名が GTFS-JP のどちらの形式でもありません（{value}）。第3版の形式"
    "（table_name,field_name,language,translation,record_id,record_sub_id,field_value）か、"
    "第2版の形式（trans_id,lang,translation）で書いてください。",
    "translations.txt has neither translation header ({value}). Use the v3/GTFS columns "
    "table_name,field_name,language,translation,... or the v2 columns trans_id,lang,translation.",
)
MISSING_TRANSLATION_COLUMN = _rule(
    "jp_missing_translation_column",
    "error",
    "translations.txt（第{version}版の形式）に {field} 列がありません。列を追加してください。",
    "translations.txt (GTFS-JP {version} form) has no {field} column. Add it.",
)
MISSING_TRANSLATION_VALUE = _rule(
    "jp_missing_translation_value",
    "error",
    "translations.txt の {row} 行目の {field} が空です。値を入れるか、行を削除してください。",
    "translations.txt row {row}: {field} is empty. Fill it in or delete the row.",
)
MISSING_STOP_NAME_READING = _rule(
    "jp_missing_stop_name_reading",
    "error",
    "停留所名「{value}」の読み仮名（ja-Hrkt）が translations.txt にありません（{where}）。{how}",
    "No ja-Hrkt reading for the stop name {value!r} in translations.txt ({where_en}). {how_en}",
)
MISSING_NAME_READING = _rule(
    "jp_missing_name_reading",
    "warning",
    "{label}「{value}」の読み仮名（ja-Hrkt）が translations.txt にありません（{where}）。{how}",
    "No ja-Hrkt reading for the {label_en} {value!r} in translations.txt ({where_en}). {how_en}",
)
READING_NOT_KANA = _rule(
    "jp_reading_not_kana",
    "warning",
    "translations.txt の {row} 行目の読み仮名（ja-Hrkt）「{value}」に漢字や英字が含まれています。"
    "ひらがな（またはカタカナ）だけで書いてください。",
    "translations.txt row {row}: the ja-Hrkt reading {value!r} contains kanji or Latin "
    "letters. Write it in hiragana (or katakana) only.",
)
TRANSLATION_UNKNOWN_TARGET = _rule(
    "jp_translation_unknown_target",
    "warning",
    "translations.txt の {row} 行目は{target}を指していますが、フィードにありません。"
    "table_name / field_name / record_id / field_value を見直すか、不要な行を削除してください。",
    "translations.txt row {row} points to {target}, which the feed does not have. Fix "
    "table_name / field_name / record_id / field_value or delete the row.",
)
UNUSED_V2_TRANSLATION = _rule(
    "jp_unused_translation",
    "info",
    "translations.txt の {row} 行目の trans_id「{value}」と同じ名前がフィードにありません"
    "（第2版の形式では trans_id に翻訳元の名前をそのまま書きます）。",
    "translations.txt row {row}: no name in the feed equals the trans_id {value!r} (in the "
    "v2 form trans_id is the source text itself).",
)
# --- *_jp.txt ----------------------------------------------------------------------------
OFFICE_JP_MISSING = _rule(
    "jp_office_id_without_office_jp",
    "error",
    "trips.txt の jp_office_id に値がありますが（{row} 行目「{value}」ほか計 {count} 便）、"
    "office_jp.txt がありません。"
    "営業所（office_id、office_name）を書いた office_jp.txt を追加するか、jp_office_id を空に"
    "してください。",
    "trips.txt uses jp_office_id (row {row} {value!r}, {count} trips in all) but office_jp.txt "
    "is missing. Add "
    "office_jp.txt (office_id, office_name) or clear jp_office_id.",
)
OFFICE_FOREIGN_KEY = _rule(
    "jp_office_foreign_key_violation",
    "error",
    "trips.txt の {row} 行目の jp_office_id「{value}」が office_jp.txt にありません。"
    "office_jp.txt に営業所を追加するか、jp_office_id を直してください。",
    "trips.txt row {row}: jp_office_id {value!r} is not in office_jp.txt.",
)
PATTERN_FOREIGN_KEY = _rule(
    "jp_pattern_foreign_key_violation",
    "error",
    "trips.txt の {row} 行目の jp_pattern_id「{value}」が pattern_jp.txt にありません。"
    "pattern_jp.txt に系統を追加するか、jp_pattern_id を直してください。",
    "trips.txt row {row}: jp_pattern_id {value!r} is not in pattern_jp.txt.",
)
AGENCY_JP_FOREIGN_KEY = _rule(
    "jp_agency_jp_foreign_key_violation",
    "error",
    "agency_jp.txt の {row} 行目の agency_id「{value}」が agency.txt にありません。"
    "agency.txt と同じ agency_id（法人番号）を書いてください。",
    "agency_jp.txt row {row}: agency_id {value!r} is not in agency.txt.",
)
ROUTES_JP_FOREIGN_KEY = _rule(
    "jp_routes_jp_foreign_key_violation",
    "error",
    "routes_jp.txt の {row} 行目の route_id「{value}」が routes.txt にありません。"
    "routes.txt と同じ route_id を書くか、不要な行を削除してください。",
    "routes_jp.txt row {row}: route_id {value!r} is not in routes.txt.",
)
MISSING_JP_REQUIRED_FIELD = _rule(
    "jp_missing_required_field",
    "error",
    "{path} の {row} 行目の {field} が空です。GTFS-JP では必須です。値を入れてください。",
    "{path} row {row}: {field} is empty; GTFS-JP requires it.",
)
MISSING_JP_REQUIRED_COLUMN = _rule(
    "jp_missing_required_column",
    "error",
    "{path} に必須の {field} 列がありません。列を追加してください。",
    "{path} has no {field} column, which GTFS-JP requires. Add it.",
)
DUPLICATE_JP_KEY = _rule(
    "jp_duplicate_key",
    "error",
    "{path} の {row} 行目の {field}「{value}」は {first_row} 行目と重複しています。"
    "ID は重複しないように付け直してください。",
    "{path} row {row}: {field} {value!r} repeats row {first_row}. IDs must be unique.",
)
INVALID_ZIP_NUMBER = _rule(
    "jp_invalid_agency_zip_number",
    "warning",
    "agency_jp.txt の {row} 行目の agency_zip_number「{value}」は郵便番号の形式ではありません。"
    "ハイフンなしの半角数字 7 桁（例 1000013）で書いてください。",
    "agency_jp.txt row {row}: agency_zip_number {value!r} is not 7 half-width digits "
    "without a hyphen (e.g. 1000013).",
)
INVALID_UPDATE_DATE = _rule(
    "jp_invalid_route_update_date",
    "warning",
    "{path} の {row} 行目の route_update_date「{value}」は日付の形式ではありません。"
    "YYYYMMDD（例 20240401）で書いてください。",
    "{path} row {row}: route_update_date {value!r} is not a YYYYMMDD date.",
)
# --- routes and stops --------------------------------------------------------------------
ROUTE_TYPE_NOT_BUS = _rule(
    "jp_route_type_not_bus",
    "warning",
    "routes.txt の {row} 行目の route_type が {value} です。バスの路線は 3 です。"
    "バス以外（鉄道・船など）でなければ 3 に直してください。",
    "routes.txt row {row}: route_type is {value}; a bus route is 3.",
)
PLATFORM_CODE_NOT_ID = _rule(
    "jp_platform_code_not_id",
    "warning",
    "stops.txt の {row} 行目の platform_code「{value}」に「番」「のりば」などの語が入っています。"
    "platform_code にはのりばの番号・記号だけ（例「1」「A」）を書いてください。",
    "stops.txt row {row}: platform_code {value!r} contains words such as 番 or のりば; write "
    "only the platform's number or letter (e.g. 1, A).",
)
MIXED_VERSIONS = _rule(
    "jp_mixed_versions",
    "warning",
    "第2版の要素（{v2}）と第3版の要素（{v3}）が混在しています。どちらかの版にそろえてください"
    "（第3版では routes_jp.txt の内容は pattern_jp.txt に移り、translations.txt は GTFS の形式です）。",
    "The feed mixes GTFS-JP v2 parts ({v2}) with v3 parts ({v3}); follow one version.",
)

_READING_HOW = (
    "translations.txt に ja（漢字表記）と ja-Hrkt（ひらがな）の行を追加してください。",
    "Add ja and ja-Hrkt (hiragana) rows to translations.txt.",
)

# (table, field, id column, label ja, label en, rule) of each name that needs a reading.
_NAME_FIELDS = (
    ("stops", "stop_name", "stop_id", "停留所名", "stop name", MISSING_STOP_NAME_READING),
    ("routes", "route_long_name", "route_id", "路線名", "route name", MISSING_NAME_READING),
    (
        "routes",
        "route_short_name",
        "route_id",
        "路線略称",
        "route short name",
        MISSING_NAME_READING,
    ),
    ("trips", "trip_headsign", "trip_id", "行先", "headsign", MISSING_NAME_READING),
    ("agency", "agency_name", "agency_id", "事業者名", "agency name", MISSING_NAME_READING),
)


# --- helpers -----------------------------------------------------------------------------


def _lined(feed: Feed, name: str) -> pl.DataFrame | None:
    """The file with its `__line__` column, or None when absent."""
    return feed.with_lines(name) if name in feed.files else None


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def _first_value(frame: pl.DataFrame | None, column: str) -> str | None:
    if frame is None or column not in frame.columns or frame.height == 0:
        return None
    return frame[column][0]


def _missing_values(feed: Feed, name: str, columns: Iterable[str]) -> list[Finding]:
    """jp_missing_required_column / jp_missing_required_field for `columns` of `name`."""
    frame = _lined(feed, name)
    if frame is None:
        return []
    out: list[Finding] = []
    for column in columns:
        if column not in frame.columns:
            out.append(MISSING_JP_REQUIRED_COLUMN.finding(path=name, field=column))
            continue
        for line in frame.filter(_blank(column))["__line__"]:
            out.append(MISSING_JP_REQUIRED_FIELD.finding(path=name, row=line, field=column))
    return out


def _duplicates(feed: Feed, name: str, column: str) -> list[Finding]:
    frame = _lined(feed, name)
    if frame is None or column not in frame.columns:
        return []
    repeated = (
        frame.filter(~_blank(column))
        .with_columns(pl.col("__line__").min().over(column).alias("__first__"))
        .filter(pl.col("__line__") != pl.col("__first__"))
    )
    return [
        DUPLICATE_JP_KEY.finding(
            path=name, row=r["__line__"], field=column, value=r[column], first_row=r["__first__"]
        )
        for r in repeated.iter_rows(named=True)
    ]


def _foreign_keys(
    feed: Feed, child: str, column: str, parent: str, parent_column: str, rule: Rule
) -> list[Finding]:
    frame = _lined(feed, child)
    target = feed.files.get(parent)
    if frame is None or target is None or column not in frame.columns:
        return []
    known = (
        target[parent_column].drop_nulls().unique()
        if parent_column in target.columns
        else pl.Series(dtype=pl.String)
    )
    dangling = frame.filter(~_blank(column) & ~pl.col(column).is_in(known.implode()))
    return [
        rule.finding(path=child, row=line, field=column, value=value)
        for line, value in dangling.select("__line__", column).iter_rows()
    ]


# --- public API --------------------------------------------------------------------------


def looks_japanese(feed: Feed) -> bool:
    """True when the feed says it is Japanese: feed_lang ja, a `*_jp.txt` file,
    ja-Hrkt translations, or an Asia/Tokyo agency with Japanese names.
    Reads only small tables (and one column of translations.txt)."""
    if any(name in feed.files for name in _JP_FILES):
        return True
    feed_lang = _first_value(feed.files.get("feed_info.txt"), "feed_lang")
    if feed_lang and _is_japanese_language(feed_lang):
        return True
    translations = feed.files.get("translations.txt")
    if translations is not None:
        for column in ("language", "lang"):
            if column in translations.columns and (translations[column] == READING_LANGUAGE).any():
                return True
    agency = feed.files.get("agency.txt")
    if agency is not None and "agency_timezone" in agency.columns:
        in_tokyo = agency.filter(pl.col("agency_timezone") == "Asia/Tokyo")
        if in_tokyo.height:
            if "agency_lang" in agency.columns and any(
                map(_is_japanese_language, in_tokyo["agency_lang"].drop_nulls())
            ):
                return True
            if (
                "agency_name" in agency.columns
                and in_tokyo["agency_name"].str.contains(JAPANESE_TEXT).any()
            ):
                return True
    return False


def _version_signals(feed: Feed) -> tuple[list[str], list[str]]:
    """What in the feed belongs to GTFS-JP v2 and to v3 (file/column names)."""
    v2, v3 = [], []
    if "routes_jp.txt" in feed.files:
        v2.append("routes_jp.txt")
    if "pattern_jp.txt" in feed.files:
        v3.append("pattern_jp.txt")
    trips = feed.files.get("trips.txt")
    if (
        trips is not None
        and "jp_pattern_id" in trips.columns
        and trips["jp_pattern_id"].is_not_null().any()
    ):
        v3.append("trips.jp_pattern_id")
    translations = feed.files.get("translations.txt")
    if translations is not None:
        form = translation_form(translations.columns)
        if form == "v2":
            v2.append("translations.txt (trans_id)")
        elif form == "v3":
            v3.append("translations.txt (table_name)")
    return v2, v3


def jp_version(feed: Feed) -> str | None:
    """The GTFS-JP edition the feed follows, "v2" or "v3"; None when nothing
    tells or the feed does not look Japanese. JP files decide before the
    translations header, because v3-form translations are also plain GTFS."""
    if not looks_japanese(feed):
        return None
    v2, v3 = _version_signals(feed)
    if "pattern_jp.txt" in v3 or "trips.jp_pattern_id" in v3:
        return "v3"
    if v2:
        return "v2"
    if v3:
        return "v3"
    return None


@dataclass
class _Context:
    feed: Feed
    today: date
    translations: pl.DataFrame | None


def check_jp(feed: Feed, today: date) -> list[Finding]:
    """Every GTFS-JP profile rule on a loaded feed."""
    translations_file = feed.files.get("translations.txt")
    translations = (
        normalize_translations(translations_file)
        if translations_file is not None and translation_form(translations_file.columns)
        else None
    )
    context = _Context(feed=feed, today=today, translations=translations)
    findings: list[Finding] = []
    for check in _CHECKS:
        findings.extend(check(context))
    return findings


# --- the checks --------------------------------------------------------------------------


def _check_agency(ctx: _Context) -> list[Finding]:
    out: list[Finding] = []
    for name in ("agency.txt", "routes.txt"):
        frame = _lined(ctx.feed, name)
        if frame is None:
            continue
        if "agency_id" not in frame.columns:
            out.append(MISSING_AGENCY_ID_COLUMN.finding(path=name, field="agency_id"))
            continue
        for line in frame.filter(_blank("agency_id"))["__line__"]:
            out.append(MISSING_AGENCY_ID.finding(path=name, row=line, field="agency_id"))
    agency = _lined(ctx.feed, "agency.txt")
    if agency is None:
        return out
    if "agency_id" in agency.columns:
        for line, value in (
            agency.filter(~_blank("agency_id")).select("__line__", "agency_id").iter_rows()
        ):
            reason = _houjin_problem(value.strip())
            if reason:
                out.append(
                    INVALID_HOUJIN_BANGOU.finding(
                        path="agency.txt",
                        row=line,
                        field="agency_id",
                        value=value,
                        reason=reason[0],
                        reason_en=reason[1],
                    )
                )
    if "agency_timezone" in agency.columns:
        for line, value in (
            agency.filter(~_blank("agency_timezone") & (pl.col("agency_timezone") != "Asia/Tokyo"))
            .select("__line__", "agency_timezone")
            .iter_rows()
        ):
            out.append(
                AGENCY_TIMEZONE_NOT_TOKYO.finding(
                    path="agency.txt", row=line, field="agency_timezone", value=value
                )
            )
    if "agency_lang" in agency.columns:
        for line, value in (
            agency.filter(
                ~_blank("agency_lang")
                & ~pl.col("agency_lang").str.to_lowercase().str.contains(r"^\s*ja(-|\s*$)")
            )
            .select("__line__", "agency_lang")
            .iter_rows()
        ):
            out.append(
                AGENCY_LANG_NOT_JA.finding(
                    path="agency.txt", row=line, field="agency_lang", value=value
                )
            )
    return out


def _is_japanese_language(code: str) -> bool:
    """`ja`, or a BCP 47 tag whose language is Japanese (`ja-JP`)."""
    return code.strip().lower().split("-", 1)[0] == "ja"


def _houjin_problem(agency_id: str) -> tuple[str, str] | None:
    """Why `agency_id` is not a 法人番号 (with optional branch suffix), in
    Japanese and English, or None when it is one."""
    match = _HOUJIN_WITH_BRANCH.fullmatch(agency_id)
    if match is None:
        return "13 桁の数字（と任意の _枝番）ではありません", "not 13 digits (+ optional _N)"
    if not is_valid_houjin_bangou(match.group(1)):
        return "先頭のチェックディジットが合いません", "wrong check digit"
    return None


def _check_feed_info(ctx: _Context) -> list[Finding]:
    info = _lined(ctx.feed, "feed_info.txt")
    if info is None:
        return [MISSING_FEED_INFO.finding(path="feed_info.txt")]
    if info.height == 0:
        return []  # G1 reports the empty file
    out: list[Finding] = []
    row = info.row(0, named=True)
    line = row["__line__"]
    required = {
        "feed_publisher_name": ("公開者（事業者または自治体）の名前", "the publisher's name"),
        "feed_publisher_url": ("公開者のウェブサイトの URL", "the publisher's web site URL"),
        "feed_lang": ("ja", "ja"),
    }
    for column, (hint, hint_en) in required.items():
        if not (row.get(column) or "").strip():
            out.append(
                MISSING_FEED_INFO_FIELD.finding(
                    path="feed_info.txt", row=line, field=column, hint=hint, hint_en=hint_en
                )
            )
    dates = {
        "feed_start_date": ("データの有効期間の開始日（ダイヤ改正日）", "the first valid date"),
        "feed_end_date": ("有効期間の終了日（1 年程度先を推奨）", "the last valid date"),
    }
    for column, (hint, hint_en) in dates.items():
        if not (row.get(column) or "").strip():
            out.append(
                MISSING_FEED_INFO_DATE.finding(
                    path="feed_info.txt", row=line, field=column, hint=hint, hint_en=hint_en
                )
            )
    lang = (row.get("feed_lang") or "").strip()
    if lang and not _is_japanese_language(lang):
        out.append(
            FEED_LANG_NOT_JA.finding(path="feed_info.txt", row=line, field="feed_lang", value=lang)
        )
    return out


def _check_fares(ctx: _Context) -> list[Finding]:
    fares = _lined(ctx.feed, "fare_attributes.txt")
    if fares is None:
        return [MISSING_FARE_ATTRIBUTES.finding(path="fare_attributes.txt")]
    out: list[Finding] = []
    if "currency_type" in fares.columns:
        for line, value in (
            fares.filter(~_blank("currency_type") & (pl.col("currency_type") != "JPY"))
            .select("__line__", "currency_type")
            .iter_rows()
        ):
            out.append(
                FARE_CURRENCY_NOT_JPY.finding(
                    path="fare_attributes.txt", row=line, field="currency_type", value=value
                )
            )
    # A flat fare (one fare_id, one price) needs no fare_rules.txt.
    fare_ids = fares["fare_id"].n_unique() if "fare_id" in fares.columns else fares.height
    prices = fares["price"].n_unique() if "price" in fares.columns else 1
    if "fare_rules.txt" not in ctx.feed.files and (fare_ids > 1 or prices > 1):
        out.append(MISSING_FARE_RULES.finding(path="fare_rules.txt", fares=fare_ids))
    return out


def _check_translation_file(ctx: _Context) -> list[Finding]:
    raw = ctx.feed.files.get("translations.txt")
    if raw is None:
        return [MISSING_TRANSLATIONS.finding(path="translations.txt")]
    form = translation_form(raw.columns)
    if form is None:
        return [
            INVALID_TRANSLATIONS_HEADER.finding(
                path="translations.txt", value=",".join(raw.columns)
            )
        ]
    required = ("trans_id", "lang", "translation") if form == "v2" else ()
    # The v3 form is the GTFS one: its required columns are checked by the GTFS rules.
    out: list[Finding] = []
    version = "2" if form == "v2" else "3"
    for column in required:
        if column not in raw.columns:
            out.append(
                MISSING_TRANSLATION_COLUMN.finding(
                    path="translations.txt", field=column, version=version
                )
            )
    if form == "v2":
        lined = _lined(ctx.feed, "translations.txt")
        assert lined is not None
        for column in required:
            if column in lined.columns:
                for line in lined.filter(_blank(column))["__line__"]:
                    out.append(
                        MISSING_TRANSLATION_VALUE.finding(
                            path="translations.txt", row=line, field=column
                        )
                    )
    return out


def _translation_lines(ctx: _Context) -> pl.DataFrame:
    """The normalised translations with their `__line__` (the index maps to lines)."""
    assert ctx.translations is not None
    lines = ctx.feed.lines("translations.txt")
    return ctx.translations.with_columns(lines.gather(ctx.translations["index"]).alias("__line__"))


def _check_readings(ctx: _Context) -> list[Finding]:
    """Every Japanese name has a ja-Hrkt reading, and readings are kana."""
    if ctx.translations is None:
        return []
    out: list[Finding] = []
    for table, field, id_column, label, label_en, rule in _NAME_FIELDS:
        path = f"{table}.txt"
        frame = _lined(ctx.feed, path)
        if frame is None or field not in frame.columns:
            continue
        with_reading = frame.with_columns(
            readings(ctx.translations, table, field, frame, id_column).alias("__reading__")
        )
        missing = (
            with_reading.filter(
                pl.col(field).str.contains(JAPANESE_TEXT) & pl.col("__reading__").is_null()
            )
            .group_by(field)
            .agg(pl.col("__line__").min().alias("first"), pl.len().alias("count"))
            .sort("first")
        )
        for value, first, count in missing.select(field, "first", "count").iter_rows():
            out.append(
                rule.finding(
                    path=path,
                    row=first,
                    field=field,
                    value=value,
                    label=label,
                    label_en=label_en,
                    how=_READING_HOW[0],
                    how_en=_READING_HOW[1],
                    where=f"{path} {first} 行目" + (f"ほか計 {count} 行" if count > 1 else ""),
                    where_en=f"{path} row {first}"
                    + (f" and {count - 1} more" if count > 1 else ""),
                )
            )
    lined = _translation_lines(ctx)
    not_kana = lined.filter(
        (pl.col("language") == READING_LANGUAGE)
        & pl.col("translation").is_not_null()
        & not_kana_expr("translation")
    )
    for line, value in not_kana.select("__line__", "translation").iter_rows():
        out.append(
            READING_NOT_KANA.finding(
                path="translations.txt", row=line, field="translation", value=value
            )
        )
    return out


def _check_translation_targets(ctx: _Context) -> list[Finding]:
    """v3 rows must point to an existing table, field, record or value; v2 trans_ids
    should equal some name in the feed."""
    if ctx.translations is None:
        return []
    lined = _translation_lines(ctx)
    out: list[Finding] = []
    v2_rows = lined.filter(pl.col("table_name").is_null() & pl.col("field_value").is_not_null())
    if translation_form(ctx.feed.files["translations.txt"].columns) == "v2" and v2_rows.height:
        names = _all_names(ctx.feed)
        for line, value in (
            v2_rows.filter(~pl.col("field_value").is_in(names.implode()))
            .unique("field_value", keep="first", maintain_order=True)
            .select("__line__", "field_value")
            .iter_rows()
        ):
            out.append(
                UNUSED_V2_TRANSLATION.finding(
                    path="translations.txt", row=line, field="trans_id", value=value
                )
            )
        return out
    v3_rows = lined.filter(pl.col("table_name").is_not_null())
    for (table_name, field_name), group in v3_rows.group_by(
        "table_name", "field_name", maintain_order=True
    ):
        path = f"{table_name}.txt"
        frame = ctx.feed.files.get(path)
        if frame is None:
            out.append(_unknown_target(group, "table_name", table_name, f" {path} のファイル"))
            continue
        if field_name is None or field_name not in frame.columns:
            out.append(
                _unknown_target(group, "field_name", field_name, f" {path} の列「{field_name}」")
            )
            continue
        key = _RECORD_KEYS.get(table_name)
        if key and key in frame.columns:
            by_record = group.filter(pl.col("record_id").is_not_null())
            known_ids = frame[key].drop_nulls().unique()
            for line, value in (
                by_record.filter(~pl.col("record_id").is_in(known_ids.implode()))
                .select("__line__", "record_id")
                .iter_rows()
            ):
                out.append(
                    TRANSLATION_UNKNOWN_TARGET.finding(
                        path="translations.txt",
                        row=line,
                        field="record_id",
                        value=value,
                        target=f" {path} の {key}「{value}」",
                    )
                )
        # A field_value that matches no text of that field translates nothing.
        by_value = group.filter(pl.col("record_id").is_null() & pl.col("field_value").is_not_null())
        known = frame[field_name].drop_nulls().unique()
        for line, value in (
            by_value.filter(~pl.col("field_value").is_in(known.implode()))
            .unique("field_value", keep="first", maintain_order=True)
            .select("__line__", "field_value")
            .iter_rows()
        ):
            out.append(
                TRANSLATION_UNKNOWN_TARGET.finding(
                    path="translations.txt",
                    row=line,
                    field="field_value",
                    value=value,
                    target=f" {path} の {field_name}「{value}」",
                )
            )
    return out


def _unknown_target(group: pl.DataFrame, field: str, value: str | None, target: str) -> Finding:
    """One finding for a whole group of rows that name a missing table or column."""
    return TRANSLATION_UNKNOWN_TARGET.finding(
        path="translations.txt",
        row=int(group["__line__"].min()),
        field=field,
        value=value,
        target=target,
    )


def _all_names(feed: Feed) -> pl.Series:
    """Every text in the feed a v2 trans_id may translate (names, headsigns, descs, URLs)."""
    parts = []
    for name, frame in feed.files.items():
        if name == "translations.txt":
            continue
        for column in frame.columns:
            if column.endswith(("_name", "_desc", "_url", "_headsign")):
                parts.append(frame[column].drop_nulls().str.strip_chars())
    if not parts:
        return pl.Series(dtype=pl.String)
    return pl.concat(parts).unique()


def _check_jp_files(ctx: _Context) -> list[Finding]:
    feed = ctx.feed
    out: list[Finding] = []
    trips = _lined(feed, "trips.txt")
    # trips.jp_office_id → office_jp.txt
    if trips is not None and "jp_office_id" in trips.columns:
        used = trips.filter(~_blank("jp_office_id"))
        if used.height and "office_jp.txt" not in feed.files:
            first = used.row(0, named=True)
            out.append(
                OFFICE_JP_MISSING.finding(
                    path="trips.txt",
                    row=first["__line__"],
                    field="jp_office_id",
                    value=first["jp_office_id"],
                    count=used.height,
                )
            )
    out += _foreign_keys(
        feed, "trips.txt", "jp_office_id", "office_jp.txt", "office_id", OFFICE_FOREIGN_KEY
    )
    out += _foreign_keys(
        feed, "trips.txt", "jp_pattern_id", "pattern_jp.txt", "jp_pattern_id", PATTERN_FOREIGN_KEY
    )
    out += _foreign_keys(
        feed, "agency_jp.txt", "agency_id", "agency.txt", "agency_id", AGENCY_JP_FOREIGN_KEY
    )
    out += _foreign_keys(
        feed, "routes_jp.txt", "route_id", "routes.txt", "route_id", ROUTES_JP_FOREIGN_KEY
    )
    out += _missing_values(feed, "agency_jp.txt", ("agency_id",))
    out += _missing_values(feed, "office_jp.txt", ("office_id", "office_name"))
    out += _missing_values(feed, "routes_jp.txt", ("route_id",))
    out += _missing_values(feed, "pattern_jp.txt", ("jp_pattern_id",))
    out += _duplicates(feed, "office_jp.txt", "office_id")
    out += _duplicates(feed, "pattern_jp.txt", "jp_pattern_id")
    out += _duplicates(feed, "agency_jp.txt", "agency_id")
    out += _duplicates(feed, "routes_jp.txt", "route_id")
    agency_jp = _lined(feed, "agency_jp.txt")
    if agency_jp is not None and "agency_zip_number" in agency_jp.columns:
        bad = agency_jp.filter(
            ~_blank("agency_zip_number") & ~pl.col("agency_zip_number").str.contains(r"^[0-9]{7}$")
        )
        for line, value in bad.select("__line__", "agency_zip_number").iter_rows():
            out.append(
                INVALID_ZIP_NUMBER.finding(
                    path="agency_jp.txt", row=line, field="agency_zip_number", value=value
                )
            )
    for name in ("routes_jp.txt", "pattern_jp.txt"):
        frame = _lined(feed, name)
        if frame is None or "route_update_date" not in frame.columns:
            continue
        parsed = pl.col("route_update_date").str.strptime(pl.Date, "%Y%m%d", strict=False)
        bad = frame.filter(
            ~_blank("route_update_date")
            & (~pl.col("route_update_date").str.contains(r"^[0-9]{8}$") | parsed.is_null())
        )
        for line, value in bad.select("__line__", "route_update_date").iter_rows():
            out.append(
                INVALID_UPDATE_DATE.finding(
                    path=name, row=line, field="route_update_date", value=value
                )
            )
    return out


def _check_routes_and_stops(ctx: _Context) -> list[Finding]:
    out: list[Finding] = []
    routes = _lined(ctx.feed, "routes.txt")
    if routes is not None and "route_type" in routes.columns:
        for line, value in (
            routes.filter(~_blank("route_type") & (pl.col("route_type") != "3"))
            .select("__line__", "route_type")
            .iter_rows()
        ):
            out.append(
                ROUTE_TYPE_NOT_BUS.finding(
                    path="routes.txt", row=line, field="route_type", value=value
                )
            )
    stops = _lined(ctx.feed, "stops.txt")
    if stops is not None and "platform_code" in stops.columns:
        for line, value in (
            stops.filter(pl.col("platform_code").str.contains(_PLATFORM_WORDS))
            .select("__line__", "platform_code")
            .iter_rows()
        ):
            out.append(
                PLATFORM_CODE_NOT_ID.finding(
                    path="stops.txt", row=line, field="platform_code", value=value
                )
            )
    return out


def _check_version_mixture(ctx: _Context) -> list[Finding]:
    v2, v3 = _version_signals(ctx.feed)
    # v3-form translations are plain GTFS and fine next to routes_jp.txt only when
    # nothing else is v3; a v2 header next to pattern_jp is the real mixture.
    v3_strict = [s for s in v3 if not s.startswith("translations")]
    if v2 and v3_strict or ("routes_jp.txt" in v2 and v3):
        return [MIXED_VERSIONS.finding(v2="、".join(v2), v3="、".join(v3))]
    return []


_CHECKS: tuple[Callable[[_Context], list[Finding]], ...] = (
    _check_agency,
    _check_feed_info,
    _check_fares,
    _check_translation_file,
    _check_readings,
    _check_translation_targets,
    _check_jp_files,
    _check_routes_and_stops,
    _check_version_mixture,
)
