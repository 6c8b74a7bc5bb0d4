"""Which column of a table is what: its kokai:role and how to treat it.

From the schema (`kokai:role`, `type`, constraints) first, then the column's
name (緯度, 郵便番号, 災害種別_*, ...), then what the first rows hold (a column
of ○/× is a flag column, a column of `3階` is a number column)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import polars as pl

from kokai.validators.frame import key, positional
from kokai.validators.japanese import values as jv

NUMERIC_TYPES = {"integer", "number"}
DATE_TYPES = {"date", "datetime", "year", "yearmonth"}
CODE_ROLES = {"lgcode", "houjin", "postal_code", "phone", "id"}
POPULATION_ROLES = {
    "population_total", "population_male", "population_female",
    "population_band_male", "population_band_female",
}  # fmt: skip
COUNT_ROLES = POPULATION_ROLES | {"count"}
GSI_FLAG_COLUMNS = {
    "洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象",
    "指定避難所との住所同一", "指定緊急避難場所との住所同一", "指定避難所との重複", "土砂災害",
}  # fmt: skip
_BAND = re.compile(r"^(.+)の(男性|女性)$")
_ADDRESS = re.compile(r"住所|所在地|町字|番地|方書|町名|地域名|地区名|town|address", re.IGNORECASE)
_NAME = re.compile(r"名称|施設名|町名|地域名|地区名|場所名|名$|^名前$|town_name", re.IGNORECASE)
_CODE_NAME = re.compile(r"コード$|^(ID|NO|No\.?|№|共通ID|町字ID)$|番号$", re.IGNORECASE)
_DATE_NAME = re.compile(
    r"(年月日|日付)$|^(更新日|公開日|開始日|終了日|作成日|設置日|調査日|指定日)(時)?$|^date$"
)
_PHONE_NAMES = {"TEL", "TEL.", "FAX", "FAX.", "PHONE", "TELEPHONE", "ファクス", "ファックス", "ファクシミリ"}
# columns whose standard layout itself asks for a list in one cell (03: `;`)
LIST_COLUMNS = {"対象となる町会・自治会"}
# what the first rows of a code-like column hold: digits and dashes (0883-64-3111,
# ０８８３－６４－３１１１, 0001) or a phone number in any width (with (0X) area codes)
_CODE_LIKE = r"^[0-9０-９]+(?:[\-－−‐―ー][0-9０-９]+)*$"
_PHONE_LIKE = (
    r"^[(（]?0[0-9０-９]{1,4}[)）\-－−‐―ー]?[0-9０-９]{1,4}[\-－−‐―ー]?[0-9０-９]{3,4}$"
)
_DATE_LIKE = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$"
# symbols that show a text column is really a flag column (Kobe: ○ × △ －)
_FLAG_SYMBOLS = {"○", "◯", "〇", "◎", "●", "×", "✕", "✖", "△", "▲", "－", "―", "ー"}


def role_by_name(name: str) -> str | None:
    """The kokai:role a column's name implies when the schema says nothing."""
    n = name.strip()
    low = n.lower()
    if "全国地方公共団体コード" in n or n in ("市区町村コード", "都道府県コード又は市区町村コード"):
        return "lgcode"
    if "法人番号" in n:
        return "houjin"
    if ("緯度" in n and "経度" not in n) or low in ("lat", "latitude"):
        return "latitude"
    if ("経度" in n and "緯度" not in n) or low in ("lon", "lng", "long", "longitude"):
        return "longitude"
    if n.startswith("災害種別_") or n in GSI_FLAG_COLUMNS:
        return "flag"
    if "郵便番号" in n or n == "〒" or low in ("postal_code", "zip"):
        return "postal_code"
    if _is_phone_name(n):
        return "phone"
    if "メールアドレス" in n or low in ("email", "e-mail", "mail"):
        return "email"
    if n.upper().endswith("URL") or n in ("ホームページ", "ウェブサイト"):
        return "url"
    if _DATE_NAME.search(n):
        return "date"
    if n.endswith(("カナ", "ふりがな", "フリガナ", "よみがな")):
        return "kana"
    if n in ("ID", "NO", "No", "No.", "№", "共通ID"):
        return "id"
    if n in ("総人口", "総数", "人口総数"):
        return "population_total"
    if n in ("男性", "男", "男性人口"):
        return "population_male"
    if n in ("女性", "女", "女性人口"):
        return "population_female"
    if m := _BAND.match(n):
        return "population_band_male" if m[2] == "男性" else "population_band_female"
    if n in ("想定収容人数", "収容人数", "世帯数"):
        return "count"
    return None


def _is_phone_name(name: str) -> bool:
    """電話番号, FAX番号, 連絡先電話, TEL, ＴＥＬ, FAX (not 内線番号)."""
    if "内線" in name:
        return False
    upper = unicodedata.normalize("NFKC", name).upper()
    return (
        "電話番号" in name
        or "FAX番号" in upper
        or name.endswith("電話")
        or upper in _PHONE_NAMES
        or upper.startswith(("TEL番号", "TEL("))
    )


@dataclass
class Column:
    """What kokai knows about one column: its role, its type and how to treat it."""

    name: str  # the column's name in the table (what findings call it)
    key: str = ""  # the column in the positional frame the checks run on
    role: str | None = None
    type: str = "string"
    unique: bool = False  # the schema declares it unique (table.py reports duplicates)
    numeric: bool = False
    code: bool = False
    address: bool = False
    person_name: bool = False
    flag: bool = False
    date: bool = False
    # the column belongs to the layout the file claims (a field of the schema
    # detected, given or declared): the standard's format rules are errors here
    standard: bool = False
    # the standard itself asks for a list in this cell (`;`-separated)
    list_allowed: bool = False


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def plan_columns(
    data: pl.DataFrame, schema: dict | None, sample_rows: int = 20_000
) -> list[Column]:
    """Role and treatment of each column of `data` (named as the table's header),
    from the schema, the name, then the first rows."""
    described = (schema or {}).get("fields") or []
    fields = {f["name"]: f for f in described if isinstance(f, dict) and isinstance(f.get("name"), str)}
    primary = (schema or {}).get("primaryKey") or []
    primary = [primary] if isinstance(primary, str) else primary if isinstance(primary, list) else []
    columns: list[Column] = []
    for index, name in enumerate(data.columns):
        spec = fields.get(name, {})
        if not isinstance(spec, dict):
            spec = {}
        role = _text(spec.get("kokai:role")) or role_by_name(name)
        col_type = _text(spec.get("type")) or "string"
        constraints = spec.get("constraints")
        constraints = constraints if isinstance(constraints, dict) else {}
        col = Column(
            name=name,
            key=key(index),
            role=role,
            type=col_type,
            unique=bool(constraints.get("unique")) or (primary == [name]),
        )
        col.numeric = col_type in NUMERIC_TYPES or role in COUNT_ROLES
        col.code = role in CODE_ROLES or (bool(_CODE_NAME.search(name)) and not col.numeric)
        col.flag = role == "flag"
        col.date = role == "date" or col_type in DATE_TYPES
        col.address = bool(_ADDRESS.search(name)) and not (col.code or col.numeric)
        col.person_name = bool(_NAME.search(name)) or role == "kana"
        col.standard = name in fields
        description = spec.get("description")
        col.list_allowed = name in LIST_COLUMNS or bool(spec.get("kokai:separator")) or (
            isinstance(description, str) and "区切" in description
        )
        columns.append(col)
    _infer_from_content(positional(data.head(sample_rows)), columns)
    return columns


def _infer_from_content(sample: pl.DataFrame, columns: list[Column]) -> None:
    """Columns nobody described: a column of ○/×/△ is a flag column, a column
    whose cells are mostly numbers (with or without units) is numeric."""
    unknown = [c for c in columns if c.role is None and c.type == "string" and not c.code]
    if not unknown or sample.height == 0:
        return
    # most columns of a wide file are empty: count the filled cells first
    filled = sample.select(
        [(pl.col(c.key).fill_null("").str.strip_chars() != "").sum() for c in unknown]
    ).row(0)
    unknown = [c for c, n in zip(unknown, filled, strict=True) if n]
    if not unknown:
        return
    exprs = []
    for i, c in enumerate(unknown):
        v = pl.col(c.key).fill_null("").str.strip_chars()
        exprs += [
            (v != "").sum().alias(f"filled{i}"),
            v.is_in(sorted(_FLAG_SYMBOLS)).sum().alias(f"symbols{i}"),
            v.is_in(sorted(jv.FLAG_VOCABULARY)).and_(v != "").sum().alias(f"vocab{i}"),
            v.str.contains(jv.RE_NUMBERISH).sum().alias(f"numberish{i}"),
            v.str.contains(jv.RE_NUMBER_WITH_UNIT).sum().alias(f"units{i}"),
            v.str.contains(_CODE_LIKE).sum().alias(f"codes{i}"),
            v.str.contains(_PHONE_LIKE).sum().alias(f"phones{i}"),
            v.str.contains(_DATE_LIKE).sum().alias(f"dates{i}"),
        ]
    counts = sample.select(exprs).row(0, named=True)
    for i, c in enumerate(unknown):
        filled = counts[f"filled{i}"]
        if not filled:
            continue
        if counts[f"symbols{i}"] and counts[f"vocab{i}"] >= 0.9 * filled:
            c.flag, c.role = True, "flag"
        elif counts[f"numberish{i}"] >= 0.8 * filled and counts[f"units{i}"]:
            # a number column written with units (Hamamatsu 階数 "3階", 収容人数 "16人")
            c.numeric = True
            c.address = False
        elif counts[f"phones{i}"] >= 0.8 * filled:
            # phone numbers under a name kokai does not know (連絡先, 問合せ先)
            c.role, c.code, c.address = "phone", True, False
        elif counts[f"codes{i}"] >= 0.9 * filled and not counts[f"dates{i}"]:
            # digits and dashes: codes, IDs, numbers; full-width digits are wrong here
            c.code, c.address = True, False
