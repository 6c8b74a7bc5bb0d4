"""The bundled Table Schemas of the national standard datasets, and choosing one.

A schema is a frictionless Table Schema descriptor (a plain dict). Bundled fields
carry two kokai properties the Japanese rules key on:
  "kokai:role"  lgcode, houjin, latitude, longitude, flag, postal_code, phone, email,
                url, date, id, count, population_total, population_male,
                population_female, population_band_male, population_band_female, kana
  "kokai:level" required | recommended | optional (掲載区分 必須/推奨/任意)
and a field may carry "kokai:recommendedPattern" (a pattern whose violation is a
warning, not an error).
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
MIN_CONFIDENCE = 0.5

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
    "public-facilities": ("shisetsu", "施設", "facilit"),
    "population-by-area-age": ("jinko", "jinkou", "人口", "population"),
}


def normalise_name(name: str) -> str:
    """Compare column names by NFKC, without spaces (full-width too)."""
    return unicodedata.normalize("NFKC", name).replace(" ", "").replace("\u3000", "").strip()


@cache
def _bundled() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


def bundled_names() -> list[str]:
    return list(_bundled())


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

    @property
    def usable(self) -> bool:
        return self.name is not None and self.confidence >= MIN_CONFIDENCE


def _score(names: set[str], fields: list[str]) -> tuple[float, list[str]]:
    normalised = {normalise_name(f): f for f in fields}
    matched = [normalised[n] for n in names if n in normalised]
    if not matched:
        return 0.0, []
    recall = len(matched) / len(fields)
    precision = len(matched) / len(names)
    return 2 * precision * recall / (precision + recall), matched


def detect_schema(header: list[str], path: str | None = None) -> Detection:
    """Which bundled schema the header row fits, and how sure (F1 of the column
    names). An old-layout header is mapped to current names first."""
    names = {normalise_name(h) for h in header if h}
    outdated = OLD_LAYOUT_MARKER in names
    mapping: dict[str, str] = {}
    if outdated:
        for h in header:
            current = OLD_LAYOUT_MAPPING.get(normalise_name(h))
            if current and current not in mapping.values():
                mapping[h] = current
        names = {normalise_name(c) for c in mapping.values()}
    best = Detection(None, 0.0, outdated, mapping)
    for name, schema in _bundled().items():
        score, matched = _score(names, [f["name"] for f in schema["fields"]])
        if outdated and path and any(w in path.lower() for w in _NAME_HINTS.get(name, ())):
            score += 0.05  # the file name breaks a tie between layouts sharing columns
        if score > best.confidence:
            best = Detection(name, round(min(score, 1.0), 2), outdated, mapping, sorted(matched))
    return best


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
