"""translations.txt in GTFS-JP: present, in one of its two forms (v2 trans_id or
v3/GTFS table_name), every Japanese name has a ja-Hrkt reading in kana, and
every row translates something the feed has. The file is read into one shape
by kokai.gtfs.translations."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.columns import blank
from kokai.gtfs.feed import Feed
from kokai.gtfs.jp import common
from kokai.gtfs.jp.common import jp_rule
from kokai.gtfs.rules_common import CheckContext, emit, emit_each
from kokai.gtfs.translations import (
    READING_LANGUAGE,
    not_kana_expr,
    readings,
    translation_form,
)
from kokai.validators.report import Finding, Findings, Rule, Text
from kokai.vocab.text import JAPANESE_CHAR

MISSING_TRANSLATIONS = jp_rule(
    "jp_missing_translations",
    "error",
    "translations.txt がありません。GTFS-JP では停留所名などの読み仮名（ja-Hrkt）が必須です。"
    "停留所名・路線名・行先・事業者名の ja と ja-Hrkt（ひらがな）の行を translations.txt に"
    "書いてください。",
    "translations.txt is missing. GTFS-JP requires ja-Hrkt (hiragana) readings of stop, "
    "route, headsign and agency names.",
)
INVALID_TRANSLATIONS_HEADER = jp_rule(
    "jp_invalid_translations_header",
    "error",
    "translations.txt の列名が GTFS-JP のどちらの形式でもありません（{value}）。第3版の形式"
    "（table_name,field_name,language,translation,record_id,record_sub_id,field_value）か、"
    "第2版の形式（trans_id,lang,translation）で書いてください。",
    "translations.txt has neither translation header ({value}). Use the v3/GTFS columns "
    "table_name,field_name,language,translation,... or the v2 columns trans_id,lang,translation.",
)
MISSING_TRANSLATION_COLUMN = jp_rule(
    "jp_missing_translation_column",
    "error",
    "translations.txt（第{version}版の形式）に {field} 列がありません。列を追加してください。",
    "translations.txt (GTFS-JP {version} form) has no {field} column. Add it.",
)
MISSING_TRANSLATION_VALUE = jp_rule(
    "jp_missing_translation_value",
    "error",
    "translations.txt の {row} 行目の {field} が空です。値を入れるか、行を削除してください。",
    "translations.txt row {row}: {field} is empty. Fill it in or delete the row.",
)
MISSING_STOP_NAME_READING = jp_rule(
    "jp_missing_stop_name_reading",
    "error",
    "停留所名「{value}」の読み仮名（ja-Hrkt）が translations.txt にありません（{where}）。{how}",
    "No ja-Hrkt reading for the stop name {value!r} in translations.txt ({where}). {how}",
)
MISSING_NAME_READING = jp_rule(
    "jp_missing_name_reading",
    "warning",
    "{label}「{value}」の読み仮名（ja-Hrkt）が translations.txt にありません（{where}）。{how}",
    "No ja-Hrkt reading for the {label} {value!r} in translations.txt ({where}). {how}",
)
READING_NOT_KANA = jp_rule(
    "jp_reading_not_kana",
    "warning",
    "translations.txt の {row} 行目の読み仮名（ja-Hrkt）「{value}」に漢字や英字が含まれています。"
    "ひらがな（またはカタカナ）だけで書いてください。",
    "translations.txt row {row}: the ja-Hrkt reading {value!r} contains kanji or Latin "
    "letters. Write it in hiragana (or katakana) only.",
)
TRANSLATION_UNKNOWN_TARGET = jp_rule(
    "jp_translation_unknown_target",
    "warning",
    "translations.txt の {row} 行目は{target}を指していますが、フィードにありません。"
    "table_name / field_name / record_id / field_value を見直すか、不要な行を削除してください。",
    "translations.txt row {row} points to {target}, which the feed does not have. Fix "
    "table_name / field_name / record_id / field_value or delete the row.",
)
UNUSED_V2_TRANSLATION = jp_rule(
    "jp_unused_translation",
    "info",
    "translations.txt の {row} 行目の trans_id「{value}」と同じ名前がフィードにありません"
    "（第2版の形式では trans_id に翻訳元の名前をそのまま書きます）。",
    "translations.txt row {row}: no name in the feed equals the trans_id {value!r} (in the "
    "v2 form trans_id is the source text itself).",
)

_READING_HOW = Text(
    "translations.txt に ja（漢字表記）と ja-Hrkt（ひらがな）の行を追加してください。",
    "Add ja and ja-Hrkt (hiragana) rows to translations.txt.",
)
# (table, field, id column, label, rule) of each name that needs a reading.
_NAME_FIELDS: tuple[tuple[str, str, str, Text, Rule], ...] = (
    ("stops", "stop_name", "stop_id", Text("停留所名", "stop name"), MISSING_STOP_NAME_READING),
    ("routes", "route_long_name", "route_id", Text("路線名", "route name"), MISSING_NAME_READING),
    ("routes", "route_short_name", "route_id", Text("路線略称", "route short name"),
     MISSING_NAME_READING),
    ("trips", "trip_headsign", "trip_id", Text("行先", "headsign"), MISSING_NAME_READING),
    ("agency", "agency_name", "agency_id", Text("事業者名", "agency name"), MISSING_NAME_READING),
)  # fmt: skip
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
_PATH = "translations.txt"


def check_translation_file(ctx: CheckContext) -> Findings:
    """The file is there with a known header; in the v2 form (which the generic rules
    do not read) its columns and values are there too."""
    out = Findings()
    raw = ctx.feed.files.get(_PATH)
    if raw is None:
        out.append(MISSING_TRANSLATIONS.finding(path=_PATH))
        return out
    form = translation_form(raw.columns)
    if form is None:
        out.append(INVALID_TRANSLATIONS_HEADER.finding(path=_PATH, value=",".join(raw.columns)))
        return out
    if form != "v2":
        return out  # the v3 form is the GTFS one: the generic rules check its columns
    required = ("trans_id", "lang", "translation")
    for column in required:
        if column not in raw.columns:
            out.append(MISSING_TRANSLATION_COLUMN.finding(path=_PATH, field=column, version="2"))
    lined = ctx.frame(_PATH)
    assert lined is not None
    if ctx.usable(_PATH):
        for column in required:
            if column in lined.columns:
                emit(out, MISSING_TRANSLATION_VALUE, lined.filter(blank(column)), path=_PATH,
                     field=column)  # fmt: skip
    return out


def _translation_lines(ctx: CheckContext) -> pl.DataFrame:
    """The normalised translations with their `__line__` (the index maps to lines)."""
    translations = common.translations(ctx)
    assert translations is not None
    lines = ctx.feed.lines(_PATH)
    return translations.with_columns(lines.gather(translations["index"]).alias("__line__"))


def check_readings(ctx: CheckContext) -> Findings:
    """Every Japanese name has a ja-Hrkt reading (one finding per name, at its first
    row), and readings are kana."""
    out = Findings()
    translations = common.translations(ctx)
    if translations is None:
        return out
    for table, field, id_column, label, rule in _NAME_FIELDS:
        path = f"{table}.txt"
        frame = ctx.frame(path)
        if frame is None or field not in frame.columns or not ctx.usable(path):
            continue
        with_reading = frame.with_columns(
            readings(translations, table, field, frame, id_column).alias("__reading__")
        )
        missing = (
            with_reading.filter(
                pl.col(field).str.contains(JAPANESE_CHAR) & pl.col("__reading__").is_null()
            )
            .group_by(field)
            .agg(pl.col("__line__").min().alias("first"), pl.len().alias("count"))
            .sort("first")
        )
        emit_each(out, rule, missing, path=path, build=_missing_reading(rule, path, field, label))
    not_kana = _translation_lines(ctx).filter(
        (pl.col("language") == READING_LANGUAGE)
        & pl.col("translation").is_not_null()
        & not_kana_expr("translation")
    )
    emit(out, READING_NOT_KANA, not_kana, path=_PATH, field="translation", value="translation")
    return out


def _missing_reading(rule: Rule, path: str, field: str, label: Text):
    def build(r: dict) -> Finding:
        first, count = r["first"], r["count"]
        where = Text(
            f"{path} {first} 行目" + (f"ほか計 {count} 行" if count > 1 else ""),
            f"{path} row {first}" + (f" and {count - 1} more" if count > 1 else ""),
        )
        return rule.finding(path=path, row=first, field=field, value=r[field], label=label,
                            how=_READING_HOW, where=where)  # fmt: skip

    return build


def check_translation_targets(ctx: CheckContext) -> Findings:
    """v3 rows must point to an existing table, field, record or value; v2 trans_ids
    should equal some name in the feed."""
    out = Findings()
    if common.translations(ctx) is None:
        return out
    lined = _translation_lines(ctx)
    v2_rows = lined.filter(pl.col("table_name").is_null() & pl.col("field_value").is_not_null())
    if translation_form(ctx.feed.files[_PATH].columns) == "v2" and v2_rows.height:
        unused = v2_rows.filter(~pl.col("field_value").is_in(_all_names(ctx.feed).implode()))
        emit(out, UNUSED_V2_TRANSLATION,
             unused.unique("field_value", keep="first", maintain_order=True),
             path=_PATH, field="trans_id", value="field_value")  # fmt: skip
        return out
    v3_rows = lined.filter(pl.col("table_name").is_not_null())
    for (table_name, field_name), group in v3_rows.group_by(
        "table_name", "field_name", maintain_order=True
    ):
        path = f"{table_name}.txt"
        frame = ctx.feed.files.get(path)
        if frame is None:
            target = Text(f" {path} のファイル", f"the file {path}")
            out.append(_unknown_target(group, "table_name", table_name, target))
            continue
        if not ctx.usable(path):
            continue
        if field_name is None or field_name not in frame.columns:
            target = Text(f" {path} の列「{field_name}」", f"column {field_name!r} of {path}")
            out.append(_unknown_target(group, "field_name", field_name, target))
            continue
        key = _RECORD_KEYS.get(table_name)
        if key and key in frame.columns:
            known_ids = frame[key].drop_nulls().unique()
            unknown = group.filter(
                pl.col("record_id").is_not_null() & ~pl.col("record_id").is_in(known_ids.implode())
            )
            emit_each(out, TRANSLATION_UNKNOWN_TARGET, unknown, path=_PATH,
                      build=_unknown_value(path, key, "record_id"))  # fmt: skip
        # A field_value that matches no text of that field translates nothing.
        known = frame[field_name].drop_nulls().unique()
        by_value = group.filter(
            pl.col("record_id").is_null()
            & pl.col("field_value").is_not_null()
            & ~pl.col("field_value").is_in(known.implode())
        )
        emit_each(out, TRANSLATION_UNKNOWN_TARGET,
                  by_value.unique("field_value", keep="first", maintain_order=True), path=_PATH,
                  build=_unknown_value(path, field_name, "field_value"))  # fmt: skip
    return out


def _unknown_value(path: str, name: str, column: str):
    """Builds the finding of a row whose `column` (record_id or field_value) is not a
    `name` of `path`."""

    def build(r: dict) -> Finding:
        value = r[column]
        return TRANSLATION_UNKNOWN_TARGET.finding(
            path=_PATH, row=r["__line__"], field=column, value=value,
            target=Text(f" {path} の {name}「{value}」", f"{name} {value!r} of {path}"),
        )  # fmt: skip

    return build


def _unknown_target(group: pl.DataFrame, field: str, value: str | None, target: Text) -> Finding:
    """One finding for a whole group of rows that name a missing table or column."""
    return TRANSLATION_UNKNOWN_TARGET.finding(
        path=_PATH, row=int(group["__line__"].min()), field=field, value=value, target=target
    )


def _all_names(feed: Feed) -> pl.Series:
    """Every text in the feed a v2 trans_id may translate (names, headsigns, descs, URLs)."""
    parts = []
    for name, frame in feed.files.items():
        if name == _PATH:
            continue
        for column in frame.columns:
            if column.endswith(("_name", "_desc", "_url", "_headsign")):
                parts.append(frame[column].drop_nulls().str.strip_chars())
    if not parts:
        return pl.Series(dtype=pl.String)
    return pl.concat(parts).unique()
