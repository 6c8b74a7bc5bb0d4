"""The bundled Table Schemas of the national standard datasets, and choosing one.

A schema is a frictionless Table Schema descriptor (a plain dict). Bundled fields
carry two kokai properties the Japanese rules key on:
  "kokai:role"  lgcode, houjin, latitude, longitude, flag, postal_code, phone, email,
                url, date, id, count, population_total, population_male,
                population_female, population_band_male, population_band_female, kana
  "kokai:level" required | recommended | optional (掲載区分 必須/推奨/任意)
and a field may carry "kokai:recommendedPattern" (a pattern whose violation is a
warning, not an error) and "kokai:aliases" (other names the column is published
under: 名称_英語 for 名称_英字, an English physical name such as `localgov_code`).
A schema records where its layout comes from:
  "kokai:layoutConfidence"  CONFIRMED | LIKELY | UNCONFIRMED (labels of
                            shared/reference/standard-datasets.md)
  "kokai:orderConfidence"   the same, for the column order when it differs
  "kokai:sources"           [{"title", "path"?, "kind"?}]
  "kokai:entityPrefixes"    the データモデル型 prefixes (`教育機関_`) its columns may carry
"kokai:confidence" is not a schema property: it is the detection score that
`choose_schema` puts on the schema it chose.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kokai.errors import KokaiError

SCHEMA_DIR = Path(__file__).with_name("schemas")

# Below this confidence a detected schema is not applied (only structural and
# Japanese checks run).
MIN_CONFIDENCE = 0.6
# Fewer matched columns than this lower the confidence in proportion: a few
# columns every layout has (名称, 緯度, 経度) say nothing about which it is.
MIN_EVIDENCE = 6
# Candidates this close to the best are reported as a near-tie.
NEAR_TIE = 0.05
# A file-name hint adds this much (it breaks ties between layouts sharing columns).
HINT_BONUS = 0.05
CONFIDENCE_LABELS = ("CONFIRMED", "LIKELY", "UNCONFIRMED")

# The v1 推奨データセット columns and their current (自治体標準) names.
OLD_LAYOUT_MAPPING: dict[str, str] = {
    "都道府県コード又は市区町村コード": "全国地方公共団体コード",
    "NO": "ID",
    "都道府県名": "所在地_都道府県",
    "市区町村名": "所在地_市区町村",
    "名称": "名称",
    "名称_カナ": "名称_カナ",
    "名称_英語": "名称_英字",
    "住所": "所在地_連結表記",
    "所在地": "所在地_連結表記",
    "方書": "建物名等(方書)",
    "緯度": "緯度",
    "経度": "経度",
    "標高": "標高",
    "電話番号": "電話番号",
    "内線番号": "内線番号",
    "連絡先メールアドレス": "連絡先メールアドレス",
    "郵便番号": "郵便番号",
    "法人番号": "法人番号",
    "団体名": "団体名",
    "想定収容人数": "想定収容人数",
    "収容人数": "想定収容人数",
    "対象となる町会・自治会": "対象となる町会・自治会",
    "URL": "URL",
    "画像": "画像",
    "画像_ライセンス": "画像_ライセンス",
    "備考": "備考",
}
# The v1 layout's first column: its presence marks an outdated file.
OLD_LAYOUT_MARKER = "都道府県コード又は市区町村コード"
# Words in a file name that tell which dataset an old-layout file is.
_NAME_HINTS = {
    "evacuation-sites": ("hinan", "避難", "shelter", "evacuation"),
    "public-facilities": ("shisetsu", "施設", "facilit", "toshokan", "library", "図書館"),
    "population-by-area-age": ("jinko", "jinkou", "人口", "population"),
    "designated-shelters": ("hinanjo", "避難所", "shelter"),
    "childcare-facilities": ("preschool", "子育て", "保育", "kosodate"),
    "care-services": ("care_service", "介護", "kaigo"),
    "public-toilets": ("toilet", "トイレ"),
    "aed": ("aed",),
    "open-data-list": ("opendata_list", "オープンデータ一覧", "open_data_list"),
    "educational-institutions": ("educational", "教育機関", "school", "学校"),
    "waste-sorting": ("gomi", "ゴミ", "ごみ", "garbage", "waste"),
}
# a leading item number: `1.名称`, `12．名称_カナ` (after NFKC: `.`)
_NUMBERED = re.compile(r"^[0-9]+\.(?=[^0-9])")


def normalise_name(name: str) -> str:
    """Compare column names by NFKC, without spaces (full-width too) and without a
    leading item number (`1.名称`)."""
    text = unicodedata.normalize("NFKC", name).replace(" ", "").replace("\u3000", "").strip()
    return _NUMBERED.sub("", text)


def field_names_by_variant(schema: dict[str, Any]) -> dict[str, str]:
    """Every normalised name a column of `schema` may be published under -> the
    field's name: the name, its `kokai:aliases`, and both with each of the
    schema's `kokai:entityPrefixes` (`教育機関_学校名`)."""
    prefixes = [""] + [p for p in schema.get("kokai:entityPrefixes") or [] if isinstance(p, str)]
    out: dict[str, str] = {}
    for f in schema.get("fields") or []:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            continue
        names = [f["name"], *(a for a in f.get("kokai:aliases") or [] if isinstance(a, str))]
        for prefix in prefixes:
            for name in names:
                out.setdefault(normalise_name(prefix + name), f["name"])
    return out


def resolve_header(header: list[str], schema: dict[str, Any]) -> dict[str, str]:
    """Header column -> schema field, by normalised name, alias or entity prefix
    (each field at most once, the first column that names it)."""
    variants = field_names_by_variant(schema)
    out: dict[str, str] = {}
    for column in header:
        if not column or column.startswith("__col"):
            continue
        name = variants.get(normalise_name(column))
        if name is not None and name not in out.values():
            out[column] = name
    return out


def apply_aliases(schema: dict[str, Any], header: list[str]) -> dict[str, Any]:
    """`schema` with each field the file publishes under an alias or an entity
    prefix renamed to the file's column (`kokai:currentName` keeps the standard
    name), so the checks and the Japanese rules find it; the schema itself when
    no column needs it. A name that differs only in width, spaces or a leading
    number is left to the header check (`label_not_exact`)."""
    exact = {normalise_name(f["name"]) for f in schema.get("fields") or [] if isinstance(f, dict)
             and isinstance(f.get("name"), str)}
    renames = {
        field: column
        for column, field in resolve_header(header, schema).items()
        if column != field and normalise_name(column) not in exact
    }
    if not renames:
        return schema
    out = json.loads(json.dumps(schema))
    for f in out["fields"]:
        if f.get("name") in renames:
            f["kokai:currentName"] = f["name"]
            f["name"] = renames[f["name"]]
    return out


@cache
def _bundled() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


def bundled_names() -> list[str]:
    return list(_bundled())


def layout_confidence(schema: dict[str, Any]) -> str:
    """CONFIRMED / LIKELY / UNCONFIRMED: how sure the schema's column set is."""
    label = schema.get("kokai:layoutConfidence")
    return label if label in CONFIDENCE_LABELS else "UNCONFIRMED"


def order_confidence(schema: dict[str, Any]) -> str:
    """How sure the schema's column order is (its layout's confidence unless stated)."""
    label = schema.get("kokai:orderConfidence")
    return label if label in CONFIDENCE_LABELS else layout_confidence(schema)


def list_schemas() -> list[dict[str, Any]]:
    """The bundled schemas, for `kokai schemas`."""
    out = []
    for name, schema in _bundled().items():
        levels = [f.get("kokai:level", "optional") for f in schema["fields"]]
        out.append(
            {
                "name": name,
                "title": schema.get("title", name),
                "fields": len(schema["fields"]),
                "required": levels.count("required"),
                "recommended": levels.count("recommended"),
                "confidence": layout_confidence(schema),
                "order_confidence": order_confidence(schema),
                "sources": schema.get("kokai:sources", []),
                "description": schema.get("description", ""),
            }
        )
    return out


def load_schema(name_or_path: str) -> dict[str, Any]:
    """A bundled schema by name, or any Table Schema JSON file by path."""
    bundled = _bundled()
    if name_or_path in bundled:
        return json.loads(json.dumps(bundled[name_or_path]))  # a copy the caller may change
    path = Path(name_or_path)
    if not path.is_file():
        names = "、".join(bundled)
        raise KokaiError(
            f"スキーマ「{name_or_path}」が見つかりません。同梱スキーマの名前（{names}）"
            f"か Table Schema JSON ファイルのパスを指定してください。 / unknown schema"
        )
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KokaiError(
            f"{path}: スキーマファイルを JSON として読めません（{exc}）。 / cannot read schema"
        ) from exc
    problem = schema_problem(descriptor)
    if problem:
        raise KokaiError(f"{path}: Table Schema として正しくありません: {problem} / invalid schema")
    return descriptor


def schema_problem(descriptor: Any) -> str | None:
    """A short reason why a descriptor is not a usable Table Schema, or None."""
    if not isinstance(descriptor, dict):
        return "JSON オブジェクトではありません"
    fields = descriptor.get("fields")
    if not isinstance(fields, list):
        return "fields（列の一覧）がありません"
    for i, f in enumerate(fields, start=1):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            return f"{i} 番目の field に name がありません"
        if not isinstance(f.get("constraints", {}), dict):
            return f"「{f['name']}」の constraints がオブジェクトではありません"
    return None


TABLE_SCHEMA_V2 = "https://datapackage.org/profiles/2.0/tableschema.json"


def descriptor_problem(descriptor: dict[str, Any]) -> str | None:
    """Why a structurally sound descriptor (schema_problem) still cannot drive the
    checks: what the Table Schema profile forbids (frictionless checks it: an
    `enum` that is not a list, a `maxLength` that is not an integer, an unknown
    type), and what it lets through but the checks cannot use."""
    for f in descriptor["fields"]:
        problem = _constraint_problem(f.get("type", "string"), f.get("constraints", {}))
        if problem:
            return f"「{f['name']}」の constraints: {problem}"
    from frictionless import Schema  # imported here: frictionless is slow to import

    # Without a $schema frictionless assumes v1; kokai checks the v2 superset
    # (exclusiveMinimum/exclusiveMaximum), so validate against the v2 profile.
    report = Schema.validate_descriptor({"$schema": TABLE_SCHEMA_V2, **descriptor})
    return None if report.valid else report.errors[0].message


def _constraint_problem(field_type: Any, constraints: dict) -> str | None:
    """What the Table Schema profile lets through but the checks cannot use:
    a pattern that is not a regular expression, a bound that is not a number."""
    pattern = constraints.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            return f"pattern {pattern!r} は正規表現として読めません ({exc})"
    if field_type in ("integer", "number"):
        for key in ("minimum", "maximum"):
            bound = constraints.get(key)
            if bound is None or isinstance(bound, (int, float)) and not isinstance(bound, bool):
                continue
            try:
                float(bound)
            except (TypeError, ValueError):
                return f"{key} {bound!r} は数値ではありません"
    return None


@dataclass
class Detection:
    name: str | None  # bundled schema name, None when nothing fits
    confidence: float  # 0..1
    outdated: bool = False  # the v1 推奨データセット layout
    mapping: dict[str, str] = field(default_factory=dict)  # old column -> current column
    matched: list[str] = field(default_factory=list)  # current-layout columns found
    # the runners-up within NEAR_TIE of the best: (name, confidence)
    near: list[tuple[str, float]] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.name is not None and self.confidence >= MIN_CONFIDENCE


_RANK = {label: i for i, label in enumerate(CONFIDENCE_LABELS)}


def _score(columns: list[str], schema: dict[str, Any]) -> tuple[float, float, list[str]]:
    """(confidence, fit, matched fields) of a header against one schema:
    the mean of the share of the schema's fields found in the header (coverage)
    and the share of the header's columns that are the schema's (fit), scaled
    down when fewer than MIN_EVIDENCE columns match. A subset of a long layout
    (a 図書館 list with 20 of 01's columns) keeps a high fit; a header that
    merely shares 名称, 緯度 and 経度 with a layout does not."""
    found = resolve_header(columns, schema)
    fields = [f["name"] for f in schema["fields"]]
    if not found or not fields:
        return 0.0, 0.0, []
    matched = sorted(set(found.values()))
    coverage = len(matched) / len(fields)
    fit = len(matched) / max(1, sum(1 for c in columns if c and not c.startswith("__col")))
    evidence = min(1.0, len(matched) / MIN_EVIDENCE)
    return (coverage + fit) / 2 * evidence, fit, matched


def detect_schema(header: list[str], path: str | None = None) -> Detection:
    """Which bundled schema the header row fits, and how sure (see `_score`).
    Columns match by normalised name (NFKC, no spaces, no leading `1.`), by alias
    and by entity prefix. An old-layout header is mapped to current names first.
    A file-name hint (`_aed.csv`, `toshokan`) adds HINT_BONUS; equal scores go to
    the better fit, then the better-confirmed layout."""
    names = [h for h in header if h]
    outdated = OLD_LAYOUT_MARKER in {normalise_name(h) for h in names}
    mapping: dict[str, str] = {}
    if outdated:
        for h in header:
            current = OLD_LAYOUT_MAPPING.get(normalise_name(h))
            if current and current not in mapping.values():
                mapping[h] = current
        names = list(mapping.values())
    lowered = Path(path).name.lower() if path else ""
    scored = []
    for name, schema in _bundled().items():
        score, fit, matched = _score(names, schema)
        if score and lowered and any(w in lowered for w in _NAME_HINTS.get(name, ())):
            score += HINT_BONUS
        rank = _RANK.get(layout_confidence(schema), len(_RANK))
        scored.append((round(min(score, 1.0), 2), fit, -rank, name, matched))
    scored.sort(key=lambda s: (s[0], s[1], s[2]), reverse=True)
    if not scored or scored[0][0] <= 0:
        return Detection(None, 0.0, outdated, mapping)
    best, _, _, name, matched = scored[0]
    near = [(n, s) for s, _, _, n, _ in scored[1:] if s > 0 and best - s <= NEAR_TIE]
    return Detection(name, best, outdated, mapping, matched, near)


def adapt_schema(schema: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """A partial schema for an old-layout file: the current fields that the file has,
    renamed to the file's old column names, in the current layout's order. Other
    current columns are not required (the file is reported as outdated instead)."""
    by_current = {current: old for old, current in mapping.items()}
    fields = []
    for f in schema["fields"]:
        if f["name"] in by_current:
            adapted = json.loads(json.dumps(f))
            adapted["kokai:currentName"] = f["name"]
            adapted["name"] = by_current[f["name"]]
            fields.append(adapted)
    out = {k: v for k, v in schema.items() if k not in ("fields", "primaryKey")}
    out["fields"] = fields
    out["kokai:partial"] = True
    return out
