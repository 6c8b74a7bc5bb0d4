"""Read translations.txt in either of its two forms into one shape.

GTFS-JP v2 (Google's legacy form) keys a translation by the Japanese source
string itself: ``trans_id,lang,translation``. GTFS and GTFS-JP v3 use the
standard form: ``table_name,field_name,language,translation,record_id,
record_sub_id,field_value``. Both become one polars table with the columns of
``TRANSLATION_COLUMNS`` so that the rules and the GeoJSON writer look a
reading up the same way whatever the feed's version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import polars as pl

from kokai.gtfs.columns import col_or_null

TranslationForm = Literal["v2", "v3"]

V2_COLUMNS = ("trans_id", "lang", "translation")
V3_REQUIRED_COLUMNS = ("table_name", "field_name", "language", "translation")

# One shape for both forms. For v2 rows, table_name/field_name/record_id/
# record_sub_id are null and field_value is the trans_id (the source string).
# `index` is the 0-based data-row index in translations.txt.
TRANSLATION_COLUMNS = (
    "index",
    "table_name",
    "field_name",
    "record_id",
    "record_sub_id",
    "field_value",
    "language",
    "translation",
)

READING_LANGUAGE = "ja-Hrkt"

# A reading (ja-Hrkt) is written in kana. Brackets, spaces, the long-vowel mark
# and common punctuation are tolerated because publishers use them for
# disambiguating suffixes (「いわた（ひがし）」); kanji and Latin letters are not.
# (Kanji only, not kokai.vocab.text.JAPANESE_CHAR, which includes the kana.)
_NOT_READING_CHARS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-zＡ-Ｚａ-ｚ]")


def translation_form(columns: list[str] | tuple[str, ...]) -> TranslationForm | None:
    """Which form a translations.txt header has: "v2", "v3" or None (neither)."""
    names = set(columns)
    if "trans_id" in names and "table_name" not in names:
        return "v2"
    if "table_name" in names or "field_name" in names or "language" in names:
        return "v3"
    return None


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    """The column as stripped text; empty cells mean "no value" in GTFS, so "" (or
    white space only, a full-width space too) is null like a missing cell."""
    return col_or_null(frame, name).cast(pl.String).str.strip_chars().replace("", None).alias(name)


def normalize_translations(frame: pl.DataFrame) -> pl.DataFrame:
    """translations.txt (as read, all String columns) → the one shape.

    v3 feeds sometimes write ``record_sub_id=NONE`` for "no sub id"; that
    becomes null here."""
    form = translation_form(frame.columns)
    with_index = frame.with_row_index("index")
    if form == "v2":
        out = with_index.select(
            pl.col("index"),
            pl.lit(None, dtype=pl.String).alias("table_name"),
            pl.lit(None, dtype=pl.String).alias("field_name"),
            pl.lit(None, dtype=pl.String).alias("record_id"),
            pl.lit(None, dtype=pl.String).alias("record_sub_id"),
            _text(with_index, "trans_id").alias("field_value"),
            _text(with_index, "lang").alias("language"),
            _text(with_index, "translation"),
        )
    else:
        out = with_index.select(
            pl.col("index"),
            _text(with_index, "table_name"),
            _text(with_index, "field_name"),
            _text(with_index, "record_id"),
            _text(with_index, "record_sub_id"),
            _text(with_index, "field_value"),
            _text(with_index, "language"),
            _text(with_index, "translation"),
        )
    return out.with_columns(
        pl.when(pl.col("record_sub_id").str.to_uppercase() == "NONE")
        .then(None)
        .otherwise(pl.col("record_sub_id"))
        .alias("record_sub_id"),
        # Readings sometimes carry a stray CR from a CRLF file edited by hand.
        pl.col("translation").str.replace_all(r"[\r\n]", ""),
    )


def read_translations(files: Mapping[str, pl.DataFrame]) -> pl.DataFrame | None:
    """The feed's translations in the one shape, or None without translations.txt."""
    frame = files.get("translations.txt")
    if frame is None:
        return None
    return normalize_translations(frame)


def readings(
    translations: pl.DataFrame,
    table_name: str,
    field_name: str,
    records: pl.DataFrame,
    id_column: str,
    language: str = READING_LANGUAGE,
) -> pl.Series:
    """The translation in `language` of `records[field_name]`, row by row (null
    where there is none).

    `records` is the table the field belongs to (e.g. stops.txt with stop_id and
    stop_name). A translation matches a record when it names this table and
    field and either its record_id is the record's `id_column` value or its
    field_value is the record's text; a v2 row matches any table by its
    trans_id (the source text). A record_id match wins over a field_value one.
    """
    of_language = translations.filter(pl.col("language") == language)
    names_field = (pl.col("table_name") == table_name) & (pl.col("field_name") == field_name)
    by_record = (
        of_language.filter(names_field & pl.col("record_id").is_not_null())
        .group_by("record_id")
        .agg(pl.col("translation").first().alias("_by_record"))
    )
    by_value = (
        of_language.filter(
            (names_field & pl.col("record_id").is_null()) | pl.col("table_name").is_null()
        )
        .filter(pl.col("field_value").is_not_null())
        .group_by("field_value")
        .agg(pl.col("translation").first().alias("_by_value"))
    )
    keyed = records.select(
        col_or_null(records, id_column).alias("_id"),
        col_or_null(records, field_name).str.strip_chars().alias("_value"),
    ).with_row_index("_order")
    joined = (
        keyed.join(by_record, left_on="_id", right_on="record_id", how="left")
        .join(by_value, left_on="_value", right_on="field_value", how="left")
        .sort("_order")
    )
    return joined.select(pl.coalesce("_by_record", "_by_value").alias(language)).to_series()


def is_kana_reading(text: str | None) -> bool:
    """True when `text` is a usable ja-Hrkt reading: not blank, no kanji or Latin letters."""
    return bool(text and text.strip()) and _NOT_READING_CHARS.search(text) is None


def not_kana_expr(column: str) -> pl.Expr:
    """Polars version of `not is_kana_reading` for a String column."""
    return (
        pl.col(column).is_null()
        | (pl.col(column).str.strip_chars() == "")
        | pl.col(column).str.contains(_NOT_READING_CHARS.pattern)
    )
