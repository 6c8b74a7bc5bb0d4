"""A dataset folder: its Frictionless Data Package descriptor (datapackage.yaml)
and every tabular resource in it.

Metadata the catalog and the site need (title and description in Japanese,
licences, keywords, kokai:organization, kokai:update_frequency, kokai:spatial)
is checked here, and the city's record that it reviewed the personal data
(kokai:personal_data_review, kokai.validators.personal_data.review); each CSV resource is validated as a table against its schema,
which may be a bundled schema name, a relative path to a JSON schema, or inline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from kokai.config import Config
from kokai.errors import KokaiError
from kokai.validators.personal_data import read_review
from kokai.validators.reading.excel import is_workbook
from kokai.validators.report import Report, Rule, Text
from kokai.validators.schemas import load_schema, schema_problem
from kokai.vocab.licenses import find_licence
from kokai.vocab.text import has_japanese

DESCRIPTOR_UNREADABLE = Rule(
    "package_unreadable", "error",
    "データパッケージの記述ファイルを読めません（{reason}）。YAML の書き方（インデント、「:」の後の空白、"
    "引用符の対応）を確認してください。",
    "cannot read the data package descriptor ({reason}). Check the YAML syntax.",
    fatal=True,
)  # fmt: skip
PACKAGE_FIELD_MISSING = Rule(
    "package_field_missing", "error",
    "データパッケージに「{field}」がありません。{hint}",
    "the data package has no {field!r}. {hint}",
    machine_readability="L3-08",
)
PACKAGE_FIELD_INVALID = Rule(
    "package_field_invalid", "error",
    "データパッケージの「{field}」が正しくありません: {problem}",
    "the data package's {field!r} is invalid: {problem}",
)
PACKAGE_NOT_JAPANESE = Rule(
    "package_not_japanese", "warning",
    "「{field}」に日本語がありません。市民が読めるよう日本語で書いてください。",
    "{field!r} has no Japanese text; write it in Japanese for residents.",
)
LICENSE_UNKNOWN = Rule(
    "license_unknown", "warning",
    "ライセンス「{value}」は kokai が知らない識別子です。CC-BY-4.0 か PDL-1.0（公共データ利用規約）を推奨します。",
    "the licence {value!r} is not a known identifier; CC-BY-4.0 or PDL-1.0 is recommended.",
)
RESOURCE_INVALID = Rule(
    "resource_invalid", "error",
    "リソース「{field}」: {problem}",
    "resource {field!r}: {problem}",
)
RESOURCE_MISSING = Rule(
    "resource_missing", "error",
    "リソース「{field}」のファイル「{value}」がありません。datapackage.yaml の path を確認してください。",
    "resource {field!r}: the file {value!r} does not exist. Check its path in datapackage.yaml.",
    fatal=True,
)
RESOURCE_SKIPPED_GTFS = Rule(
    "resource_gtfs_skipped", "info",
    "リソース「{field}」は GTFS フィードです。`kokai gtfs validate {value}` で検査してください。",
    "resource {field!r} is a GTFS feed; check it with `kokai gtfs validate {value}`.",
)
RESOURCE_NOT_TABLE = Rule(
    "resource_not_table", "info",
    "リソース「{field}」（{value}）は表形式ではないので検査しませんでした。",
    "resource {field!r} ({value}) is not tabular and was not checked.",
)


PACKAGE_NAMES = ("datapackage.yaml", "datapackage.yml", "datapackage.json")


def find_descriptor(folder: Path) -> Path | None:
    """The data package descriptor in `folder`, or None."""
    return next((folder / n for n in PACKAGE_NAMES if (folder / n).is_file()), None)


def load_descriptor(path: Path) -> dict[str, Any] | str:
    """The descriptor as a dict, or the reason it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if not text.strip():
        return "ファイルが空です / the file is empty"
    try:
        descriptor = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        return " ".join(str(exc).split())[:300]
    except ValueError as exc:  # YAML reads 2026-02-30 as a date that does not exist
        return f"存在しない日付があります / a date that does not exist ({exc})"[:300]
    if not isinstance(descriptor, dict):
        return "最上位がマッピング（キー: 値）ではありません / the top level is not a mapping"
    return descriptor


def _bbox(value: Any) -> tuple[float, float, float, float] | None | str:
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return "[最小経度, 最小緯度, 最大経度, 最大緯度] の4つの数値で書いてください"
    min_lon, min_lat, max_lon, max_lat = value
    if not (min_lon < max_lon and min_lat < max_lat):
        return "最小値が最大値より小さくなるように書いてください（経度が先、緯度が後）"
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        return "経度は -180〜180、緯度は -90〜90 の範囲で書いてください"
    return (float(min_lon), float(min_lat), float(max_lon), float(max_lat))


def check_metadata(descriptor: dict[str, Any], path: str) -> tuple[list, Any]:
    """Metadata findings and the city bbox from kokai:spatial (or None)."""
    findings = []
    required = {
        "title": ("データセットの名前を日本語で書いてください（例: 指定緊急避難場所一覧）。", "Add a Japanese title."),
        "description": ("内容・出典・更新の仕方を日本語で書いてください。", "Add a Japanese description."),
        "licenses": ("利用条件を書いてください（例: name: CC-BY-4.0）。", "Add licenses (e.g. name: CC-BY-4.0)."),
        "resources": ("データのファイルを resources に書いてください。", "List the data files under resources."),
    }  # fmt: skip
    for key, (ja, en) in required.items():
        if not descriptor.get(key):
            findings.append(PACKAGE_FIELD_MISSING.finding(path=path, field=key, hint=Text(ja, en)))
    recommended = {
        "keywords": ("検索用のキーワードを書いてください。", "Add keywords for search."),
        "kokai:organization": ("担当部署の ID を書いてください（例: shiomi-city-bousai）。", "Add the department id."),
        "kokai:update_frequency": ("更新頻度を書いてください（例: 随時、毎月、毎年）。", "Add the update frequency."),
        "kokai:spatial": ("範囲を [最小経度, 最小緯度, 最大経度, 最大緯度] で書くと、市外の座標を検出できます。",
                          "Add the bbox [min_lon, min_lat, max_lon, max_lat] to catch coordinates outside the city."),
    }  # fmt: skip
    for key, (ja, en) in recommended.items():
        if key not in descriptor:
            findings.append(
                PACKAGE_FIELD_MISSING.finding(path=path, field=key, hint=Text(ja, en), severity="warning")
            )
    for key in ("title", "description"):
        value = descriptor.get(key)
        if value and not isinstance(value, str):
            findings.append(_invalid(path, key, "文字列で書いてください", "must be a string"))
        elif value and not has_japanese(value):
            findings.append(PACKAGE_NOT_JAPANESE.finding(path=path, field=key))
    licenses = descriptor.get("licenses")
    if licenses is not None:
        if not isinstance(licenses, list) or not all(isinstance(x, dict) for x in licenses):
            findings.append(_invalid(path, "licenses", "「- name: CC-BY-4.0」の形のリストで書いてください",
                                     "must be a list of {name: ...}"))
        else:
            for lic in licenses:
                if not (lic.get("name") or lic.get("path")):
                    findings.append(_invalid(path, "licenses", "name か path を書いてください", "needs a name or path"))
                elif lic.get("name") and find_licence(lic["name"]) is None:
                    findings.append(LICENSE_UNKNOWN.finding(path=path, field="licenses", value=lic["name"]))
    keywords = descriptor.get("keywords")
    if keywords is not None and (not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords)):
        findings.append(_invalid(path, "keywords", "文字列のリストで書いてください", "must be a list of strings"))
    bbox = _bbox(descriptor.get("kokai:spatial"))
    if isinstance(bbox, str):
        findings.append(_invalid(path, "kokai:spatial", bbox, "must be [min_lon, min_lat, max_lon, max_lat]"))
        bbox = None
    return findings, bbox


def _invalid(path: str, field: str, ja: str, en: str):
    return PACKAGE_FIELD_INVALID.finding(path=path, field=field, problem=Text(ja, en))


def _resource_schema(resource: dict[str, Any], folder: Path, path: str, name: str):
    """The resource's schema as a dict, None when it has none, or a finding."""
    schema = resource.get("schema")
    if schema is None:
        return None
    if isinstance(schema, str):
        candidate = folder / schema
        try:
            return load_schema(str(candidate) if candidate.is_file() else schema)
        except KokaiError as exc:
            return RESOURCE_INVALID.finding(
                path=path, field=name, problem=Text(str(exc), f"schema {schema!r} cannot be loaded")
            )
    problem = schema_problem(schema)
    if problem:
        return RESOURCE_INVALID.finding(
            path=path, field=name,
            problem=Text(f"schema が正しくありません: {problem}", f"invalid inline schema: {problem}"),
        )
    return schema


def validate_package(
    descriptor_path: Path,
    report: Report,
    config: Config | None = None,
    schema: dict[str, Any] | None = None,
    feed_validator: Callable[[str], Report] | None = None,
) -> None:
    """Check a datapackage descriptor and validate each tabular resource into `report`.

    GTFS resources go to `feed_validator` (the CLI passes kokai.gtfs'; validators
    may not import gtfs) or, without one, are reported as skipped."""
    from kokai.validators.table import context_from, validate_table

    shown = str(descriptor_path)
    folder = descriptor_path.parent
    descriptor = load_descriptor(descriptor_path)
    source = report.add_source(shown, "datapackage")
    if isinstance(descriptor, str):
        report.add(DESCRIPTOR_UNREADABLE.finding(path=shown, reason=descriptor))
        return
    source.details["name"] = descriptor.get("name")
    findings, bbox = check_metadata(descriptor, shown)
    report.extend(findings)
    review, findings = read_review(descriptor, shown)  # kokai:personal_data_review
    report.extend(findings)
    context = context_from(config, bbox)
    resources = descriptor.get("resources") or []
    if not isinstance(resources, list):
        report.add(_invalid(shown, "resources", "リストで書いてください", "must be a list"))
        return
    for index, resource in enumerate(resources, start=1):
        if not isinstance(resource, dict):
            report.add(_invalid(shown, "resources", f"{index} 番目がマッピングではありません", f"item {index} is not a mapping"))
            continue
        name = str(resource.get("name") or f"#{index}")
        rel = resource.get("path")
        fmt = str(resource.get("format") or "").lower()
        if not isinstance(rel, str) or not rel:
            report.add(RESOURCE_INVALID.finding(
                path=shown, field=name, problem=Text("path（ファイルの場所）がありません", "no path"),
            ))  # fmt: skip
            continue
        shown_resource = str(folder / rel)
        if fmt == "gtfs":
            if not (folder / rel).exists():
                report.add(RESOURCE_MISSING.finding(path=shown, field=name, value=rel))
            elif feed_validator is None:
                report.add(RESOURCE_SKIPPED_GTFS.finding(path=shown, field=name, value=shown_resource))
            else:
                report.merge(feed_validator(shown_resource))
            continue
        file = folder / rel
        if not file.is_file():
            report.add(RESOURCE_MISSING.finding(path=shown, field=name, value=rel))
            continue
        workbook = fmt in ("xlsx", "xlsm", "xlsb", "xls", "ods", "excel") or is_workbook(file)
        if fmt not in ("", "csv", "tsv") and file.suffix.lower() not in (".csv", ".tsv") and not workbook:
            report.add(RESOURCE_NOT_TABLE.finding(path=shown, field=name, value=fmt or file.suffix))
            continue
        resource_schema = schema if schema is not None else _resource_schema(resource, folder, shown, name)
        if resource_schema is not None and not isinstance(resource_schema, dict):
            report.add(resource_schema)  # a finding: the schema could not be loaded
            resource_schema = None
        dialect = resource.get("dialect")
        sheet = dialect.get("sheet") if workbook and isinstance(dialect, dict) else None  # frictionless' name
        if resource_schema is None:
            validate_table(shown_resource, report, context=context, review=review, sheet=sheet)
        else:
            validate_table(
                shown_resource, report, schema=resource_schema, context=context, review=review,
                sheet=sheet,
            )  # fmt: skip
