"""The quality score of a published dataset, every criterion explained in Japanese.

`score_dataset(package, validation=..., reachable=..., now=...)` is a pure
function of a package dict (as package_show returns it, or as the publish
pipeline is about to write it). The pipeline stores `to_json(quality)` in the
package's `kokai_quality` extra; `kokai quality` reads it back with
`from_json` and prints it.

## How the total is expressed

The score is udata's (data.gouv.fr): its nine criteria, each pass/fail and
equally weighted, normalised to passed / 9 (`score`, 0–1, as udata's
`compute_quality_score`) and shown as a percentage (`percent`). Keeping
exactly udata's nine keeps kokai's score comparable with data.gouv.fr's.
kokai's own two are shown beside it, not added into it:
- `validation` (no errors and no warnings in the validation summary): the
  publish gate already refuses any error, so as a tenth equal criterion it
  would add the same point to nearly every published dataset;
- `five_star` (Tim Berners-Lee's 5-star level, 0–5, passed at ★★★): a level,
  not a yes/no, so it is reported as its own figure (`stars`).

## udata's nine (udata/core/dataset/models.py, `compute_quality`,
## `compute_quality_score`, `quality`; udata/core/dataset/constants.py;
## udata/settings.py; read at opendatateam/udata 64fe160)

Codes are udata's quality keys.
- `license`: a licence is set. udata: any licence object. kokai: a licence of
  the register (kokai.vocab.licenses) other than `notspecified`, whose name
  says it is not set.
- `temporal_coverage`: udata: a temporal coverage is set. kokai: the
  `temporal_start` extra is an ISO date (the end may be open: ongoing data),
  and `temporal_end`, when given, is a date not before the start.
- `spatial`: udata: a spatial coverage is set. kokai: the `spatial` extra is a
  GeoJSON geometry (ckanext-spatial's field; the pipeline writes the bbox).
- `update_frequency`: udata: the frequency is anything but missing or
  `unknown`; irregular, continuous, punctual and the like count as set. kokai
  likewise: any of the seven words, 随時 included. 随時 is a declaration staff
  make on purpose (there is no schedule, EU UPDATE_CONT); a word outside the
  seven, or none, fails.
- `update_fulfilled_in_time`: udata: with a frequency of fixed length, now is
  at most one day past last update + length; a frequency without a length
  passes; no frequency fails (udata leaves the key out, scoring 0). kokai:
  the same rule with kokai's allowances (31-day months, 92-day quarters,
  366-day years, already rounded up, so no extra day), decided by
  kokai.publish.freshness.timeliness so that `kokai status` and this criterion
  never disagree; 随時 passes. The last change is the newest published record
  of the publish log, else the package's metadata_modified. Like udata, which
  recomputes this key when it is read, `kokai quality` re-evaluates it at the
  time it runs (`refresh_timeliness`); every other criterion is as stored.
- `dataset_description_quality`: the description (notes, trimmed) is longer
  than 100 characters (udata: `len(description) > QUALITY_DESCRIPTION_LENGTH`,
  100). Characters are Unicode code points, so a Japanese character counts one.
- `has_open_format`: at least one resource in an open format. udata counts
  every resource whose format is set and not in its closed list (pdf, doc,
  docx, word, xls, excel, xlsx), so an image or a typo counts as open. kokai
  uses a list of open formats instead (OPEN_FORMATS and LINKED_DATA_FORMATS
  below: CSV, JSON, GeoJSON, XML, GTFS, RDF, …), the same list that gives ★★★,
  so the criterion and the stars agree. The format is the resource's
  `format`, else its `mimetype`.
- `all_resources_available`: udata: every remote resource's last check says
  available; not yet checked ("unknown") counts as available, and a dataset
  without resources fails (udata leaves the three resource keys out). kokai:
  `reachable(resource)` is asked for each resource: True reachable, False not,
  None not checked (counted as available, as udata does, and said so).
- `resources_documentation`: udata passes when at least one resource is of
  type documentation or at least one resource has a description. kokai asks
  more, because a reuser opens every file: a documentation resource
  (`resource_type` "documentation"), or a description on every resource. The
  message names the resources without one. No resources fails.

## kokai's own

- `validation`: the `kokai_validation` summary (errors, warnings, infos,
  checked) has no errors and no warnings; infos do not count. No recorded
  validation fails.
- `five_star` (https://5stardata.info/): stars are cumulative and the level is
  the best any one resource reaches:
  ★ on the web with an open licence (the register's `is_open`: Open
  Definition conformant; PDL1.0, CC BY, CC0 …) and at least one resource
  (without an open licence the level is 0, whatever the formats);
  ★★ machine-readable structured data (PROPRIETARY_FORMATS: Excel, Access,
  Shapefile …); ★★★ an open, non-proprietary format (OPEN_FORMATS);
  ★★★★ RDF, things named with URIs (LINKED_DATA_FORMATS: Turtle, RDF/XML,
  JSON-LD, N-Triples …); ★★★★★ linked to other people's data — that cannot
  be known from a format, so kokai never awards the fifth star by itself and
  says so. The catalog's own DCAT/JSON-LD describes the dataset, not its
  data, and does not count. Passed at ★★★.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from kokai.catalog.dictize import extras_of
from kokai.publish.freshness import (
    catalog_state,
    iso_utc,
    japan_time,
    last_change,
    newest_records,
    parse_date,
    timeliness,
    utc_naive,
)
from kokai.vocab.frequency import find_frequency, frequency_words
from kokai.vocab.gtfs import is_gtfs_format
from kokai.vocab.licenses import find_licence

SCHEMA_VERSION = 1
DESCRIPTION_LENGTH = 100  # udata's QUALITY_DESCRIPTION_LENGTH: more than this passes
UDATA, KOKAI = "udata", "kokai"
UDATA_CRITERIA = (
    "license",
    "temporal_coverage",
    "spatial",
    "update_frequency",
    "update_fulfilled_in_time",
    "dataset_description_quality",
    "has_open_format",
    "all_resources_available",
    "resources_documentation",
)
KOKAI_CRITERIA = ("validation", "five_star")
PASSING_STARS = 3

# ★★★★: RDF serialisations (data named with URIs)
LINKED_DATA_FORMATS = frozenset({
    "RDF", "RDF/XML", "RDF-XML", "RDFXML", "OWL", "TTL", "TURTLE", "N3", "NT", "N-TRIPLES",
    "NTRIPLES", "NQ", "N-QUADS", "TRIG", "JSON-LD", "JSONLD",
})  # fmt: skip
# ★★★: open, non-proprietary, machine-readable (GTFS / GTFS-JP: kokai.vocab.gtfs)
OPEN_FORMATS = frozenset({
    "CSV", "TSV", "JSON", "GEOJSON", "TOPOJSON", "NDJSON", "JSONL", "XML", "KML", "GML",
    "GPX", "ODS", "GPKG", "GEOPACKAGE", "PARQUET",
})  # fmt: skip
# ★★: machine-readable but tied to one vendor's software
PROPRIETARY_FORMATS = frozenset({"XLS", "XLSX", "XLSM", "MDB", "ACCDB", "SHP", "DBF"})
_MIMETYPES = {
    "text/csv": "CSV", "text/tab-separated-values": "TSV", "application/json": "JSON",
    "application/geo+json": "GEOJSON", "application/vnd.geo+json": "GEOJSON",
    "application/xml": "XML", "text/xml": "XML", "application/ld+json": "JSON-LD",
    "text/turtle": "TTL", "application/rdf+xml": "RDF/XML", "application/n-triples": "NT",
    "application/vnd.google-earth.kml+xml": "KML", "application/gpx+xml": "GPX",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/pdf": "PDF",
}  # fmt: skip

LABELS: dict[str, tuple[str, str]] = {
    "license": ("ライセンスが設定されている", "licence set"),
    "temporal_coverage": ("対象期間が設定されている", "temporal coverage set"),
    "spatial": ("対象地域が設定されている", "spatial coverage set"),
    "update_frequency": ("更新頻度が設定されている", "update frequency set"),
    "update_fulfilled_in_time": ("更新頻度どおりに更新されている", "updated on time"),
    "dataset_description_quality": (
        f"説明が {DESCRIPTION_LENGTH} 文字を超えている",
        f"description over {DESCRIPTION_LENGTH} characters",
    ),
    "has_open_format": ("オープンな形式のファイルがある", "an open format among the resources"),
    "all_resources_available": ("すべてのファイルにアクセスできる", "all resources reachable"),
    "resources_documentation": ("ファイルの説明がある", "resources documented"),
    "validation": ("検証でエラー・警告がない", "no validation errors or warnings"),
    "five_star": (
        f"5つ星オープンデータで ★{PASSING_STARS} 以上",
        f"5-star open data, ★{PASSING_STARS} or more",
    ),
}


@dataclass(frozen=True)
class Criterion:
    code: str
    group: str  # UDATA | KOKAI
    passed: bool
    message_ja: str  # what was checked and found; when failing, what to do
    message_en: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label_ja(self) -> str:
        return LABELS[self.code][0]

    @property
    def label_en(self) -> str:
        return LABELS[self.code][1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "group": self.group,
            "passed": self.passed,
            "label": {"ja": self.label_ja, "en": self.label_en},
            "message": {"ja": self.message_ja, "en": self.message_en},
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        message = data.get("message") or {}
        return cls(
            code=str(data["code"]),
            group=str(data.get("group") or (UDATA if data["code"] in UDATA_CRITERIA else KOKAI)),
            passed=bool(data.get("passed")),
            message_ja=str(message.get("ja", "")),
            message_en=str(message.get("en", "")),
            details=dict(data.get("details") or {}),
        )


@dataclass(frozen=True)
class Quality:
    criteria: tuple[Criterion, ...]  # udata's nine, then kokai's two
    stars: int  # 0–5 (kokai awards at most 4 from formats)
    computed: datetime  # naive UTC

    def criterion(self, code: str) -> Criterion:
        for c in self.criteria:
            if c.code == code:
                return c
        raise KeyError(code)

    @property
    def passed(self) -> int:
        """udata criteria passed (0–9)."""
        return sum(1 for c in self.criteria if c.group == UDATA and c.passed)

    @property
    def total(self) -> int:
        return sum(1 for c in self.criteria if c.group == UDATA)

    @property
    def score(self) -> float:
        """passed / 9, as udata normalises it (0–1)."""
        return round(self.passed / self.total, 4) if self.total else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.total) if self.total else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SCHEMA_VERSION,
            "computed": iso_utc(self.computed),
            "score": self.score,
            "percent": self.percent,
            "passed": self.passed,
            "total": self.total,
            "stars": self.stars,
            "validation_passed": self.criterion("validation").passed,
            "criteria": [c.to_dict() for c in self.criteria],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quality:
        criteria = tuple(Criterion.from_dict(c) for c in data.get("criteria") or [])
        computed = utc_naive(data.get("computed")) or datetime.min
        return cls(criteria, int(data.get("stars") or 0), computed)


def to_json(quality: Quality) -> str:
    """The text the pipeline stores in the `kokai_quality` extra (keys sorted,
    so equal scores give equal text)."""
    return json.dumps(quality.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


quality_json = to_json  # the name the pipeline imports


def from_json(text: str) -> Quality:
    """The Quality stored by `to_json`; ValueError when it is not one."""
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a stored quality score: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("criteria"), list):
        raise ValueError("not a stored quality score")
    try:
        return Quality.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a stored quality score: {exc}") from None


def not_checked(resource: Mapping[str, Any]) -> bool | None:
    """A `reachable` that checks nothing (every resource: not checked)."""
    return None


# ------------------------------------------------------------------ helpers


def _resources(package: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in package.get("resources") or [] if isinstance(r, Mapping)]


def _resource_label(resource: Mapping[str, Any]) -> str:
    name = str(resource.get("name") or "").strip()
    if name:
        return name
    url = str(resource.get("url") or "").rstrip("/")
    return url.rsplit("/", 1)[-1] if url else str(resource.get("id") or "(名前なし)")


def resource_format(resource: Mapping[str, Any]) -> str:
    """The resource's format word, upper case ('' when neither format nor a known mimetype)."""
    word = str(resource.get("format") or "").strip().lstrip(".").upper()
    if word:
        return word
    mimetype = str(resource.get("mimetype") or "").split(";")[0].strip().lower()
    return _MIMETYPES.get(mimetype, "")


def format_stars(word: str) -> int:
    """The 5-star level a format allows (1: on the web but not machine-readable,
    or unknown; 2 proprietary; 3 open; 4 RDF)."""
    if word in LINKED_DATA_FORMATS:
        return 4
    if word in OPEN_FORMATS or is_gtfs_format(word):
        return 3
    if word in PROPRIETARY_FORMATS:
        return 2
    return 1


def star_text(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


def _names(items: Iterable[str]) -> str:
    return "、".join(items)


def _c(code: str, passed: bool, ja: str, en: str, **details: Any) -> Criterion:
    return Criterion(code, UDATA if code in UDATA_CRITERIA else KOKAI, passed, ja, en, details)


# ------------------------------------------------------------------ the criteria


def _licence(package: Mapping[str, Any]) -> Criterion:
    given = str(package.get("license_id") or "").strip()
    licence = find_licence(given)
    fix = (
        "datapackage.yaml の licenses に、CC BY 4.0（name: CC-BY-4.0）や公共データ利用規約 第1.0版"
        "（name: PDL-1.0）などを書いてください。"
    )
    fix_en = "Name a licence in datapackage.yaml `licenses` (e.g. CC-BY-4.0, PDL-1.0)."
    if not given or (licence is not None and licence.id == "notspecified"):
        return _c("license", False, f"ライセンスが設定されていません。{fix}", f"No licence. {fix_en}",
                  license_id=given or None)  # fmt: skip
    if licence is None:
        return _c("license", False,
                  f"ライセンス「{given}」は kokai のライセンス一覧にありません。{fix}",
                  f"Licence {given!r} is not in kokai's register. {fix_en}", license_id=given)  # fmt: skip
    return _c("license", True, f"ライセンスは「{licence.title}」です。", f"Licence: {licence.title}.",
              license_id=licence.id, is_open=licence.is_open)  # fmt: skip


def _temporal(extras: Mapping[str, Any]) -> Criterion:
    raw_start, raw_end = extras.get("temporal_start"), extras.get("temporal_end")
    start, end = parse_date(raw_start), parse_date(raw_end)
    fix = (
        "datapackage.yaml に kokai:temporal: {start: 2024-04-01, end: 2025-03-31} のように、"
        "いつのデータかを書いてください（GTFS フィードは運行期間から自動で設定されます）。"
    )
    fix_en = "Add kokai:temporal {start, end} (ISO dates) to datapackage.yaml."
    details = {"start": raw_start or None, "end": raw_end or None}
    if not raw_start:
        return _c("temporal_coverage", False, f"対象期間（いつのデータか）が設定されていません。{fix}",
                  f"No temporal coverage. {fix_en}", **details)  # fmt: skip
    if start is None or (raw_end and end is None):
        bad = raw_start if start is None else raw_end
        return _c("temporal_coverage", False,
                  f"対象期間の日付「{bad}」が読めません。YYYY-MM-DD で書いてください。",
                  f"Unreadable temporal coverage date {bad!r}; write YYYY-MM-DD.", **details)  # fmt: skip
    if end is not None and end < start:
        return _c("temporal_coverage", False,
                  f"対象期間の終わり（{end}）が始まり（{start}）より前です。kokai:temporal を直してください。",
                  f"The temporal coverage ends ({end}) before it starts ({start}).", **details)  # fmt: skip
    until = end.isoformat() if end else "（継続中）"
    return _c("temporal_coverage", True, f"対象期間は {start} 〜 {until} です。",
              f"Temporal coverage: {start} to {end or 'ongoing'}.", **details)  # fmt: skip


_GEOMETRY_TYPES = {
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
    "GeometryCollection",
}  # fmt: skip


def _spatial(extras: Mapping[str, Any]) -> Criterion:
    raw = extras.get("spatial")
    fix = (
        "datapackage.yaml に kokai:spatial: [最小経度, 最小緯度, 最大経度, 最大緯度]"
        "（例: [137.88, 34.665, 138.04, 34.755]）を書いてください。"
    )
    fix_en = "Add kokai:spatial [min_lon, min_lat, max_lon, max_lat] to datapackage.yaml."
    if not raw:
        return _c("spatial", False, f"対象地域（データがどこの範囲か）が設定されていません。{fix}",
                  f"No spatial coverage. {fix_en}")  # fmt: skip
    try:
        geometry = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        geometry = None
    ok = (
        isinstance(geometry, Mapping)
        and geometry.get("type") in _GEOMETRY_TYPES
        and bool(geometry.get("coordinates") or geometry.get("geometries"))
    )
    if not ok:
        return _c("spatial", False, f"対象地域（spatial）が GeoJSON の図形として読めません。{fix}",
                  f"The spatial extra is not a GeoJSON geometry. {fix_en}")  # fmt: skip
    return _c("spatial", True, f"対象地域が設定されています（GeoJSON {geometry['type']}）。",
              f"Spatial coverage set (GeoJSON {geometry['type']}).", type=geometry["type"])  # fmt: skip


def _frequency_set(extras: Mapping[str, Any]) -> Criterion:
    raw = extras.get("update_frequency")
    frequency = find_frequency(raw)
    fix = f"datapackage.yaml の kokai:update_frequency に {frequency_words()} のどれかを書いてください。"
    fix_en = "Set kokai:update_frequency in datapackage.yaml (随時, 毎日, 毎週, 毎月, 四半期, 半年, 毎年)."
    if frequency is None:
        if raw:
            return _c("update_frequency", False, f"更新頻度「{raw}」は使えません。{fix}",
                      f"Unknown update frequency {raw!r}. {fix_en}", value=raw)  # fmt: skip
        return _c("update_frequency", False, f"更新頻度が設定されていません。{fix}",
                  f"No update frequency. {fix_en}")  # fmt: skip
    note = (
        "（決まった周期がないことを示す設定として数えます）" if frequency.allowance is None else ""
    )
    return _c("update_frequency", True, f"更新頻度は「{frequency.word}」です{note}。",
              f"Update frequency: {frequency.english}.", frequency=frequency.word,
              frequency_uri=frequency.uri)  # fmt: skip


def _kept(extras: Mapping[str, Any], last: datetime | None, now: datetime) -> Criterion:
    frequency = find_frequency(extras.get("update_frequency"))
    if frequency is None:
        return _c("update_fulfilled_in_time", False,
                  "更新頻度が設定されていないため、更新が守られているか判断できません。"
                  "まず kokai:update_frequency を書いてください。",
                  "No update frequency, so timeliness cannot be judged; set kokai:update_frequency.",
                  evaluated=iso_utc(now))  # fmt: skip
    if frequency.allowance is None:
        return _c("update_fulfilled_in_time", True, f"更新頻度が「{frequency.word}」なので、更新の期限はありません。",
                  "No schedule (as needed): never overdue.", frequency=frequency.word,
                  last_change=iso_utc(last), due=None, evaluated=iso_utc(now))  # fmt: skip
    t = timeliness(frequency, last, now)
    details = {"frequency": frequency.word, "last_change": iso_utc(last), "due": iso_utc(t.due),
               "evaluated": iso_utc(now)}  # fmt: skip
    if last is None or t.due is None:
        return _c("update_fulfilled_in_time", True, "最後の更新日時がわからないため、遅れとはしていません。",
                  "Last change unknown: not counted as overdue.", **details)  # fmt: skip
    if t.overdue:
        days = (now - last).days
        return _c("update_fulfilled_in_time", False,
                  f"最後の更新（{japan_time(last)}）から {days} 日たち、更新頻度「{frequency.word}」の期限"
                  f"（{japan_time(t.due)}）を過ぎています。最新のデータを `kokai publish` で公開するか、"
                  "kokai:update_frequency を実際の更新に合わせてください。",
                  f"Last changed {days} days ago, past its due time ({iso_utc(t.due)}). Publish current "
                  "data, or correct kokai:update_frequency.", **details)  # fmt: skip
    return _c("update_fulfilled_in_time", True,
              f"最後の更新は {japan_time(last)}、次の更新の期限は {japan_time(t.due)} です（日本時間）。",
              f"Last changed {iso_utc(last)}; next update due {iso_utc(t.due)}.", **details)  # fmt: skip


def _description(package: Mapping[str, Any]) -> Criterion:
    n = len(str(package.get("notes") or "").strip())
    if n > DESCRIPTION_LENGTH:
        return _c("dataset_description_quality", True, f"説明は {n} 文字です。", f"Description: {n} characters.",
                  length=n)  # fmt: skip
    return _c("dataset_description_quality", False,
              f"説明は {n} 文字です。{DESCRIPTION_LENGTH} 文字を超えるように、何のデータか、誰がどう作り"
              "いつ更新するか、列の意味、利用上の注意を datapackage.yaml の description に書いてください。",
              f"Description: {n} characters; write more than {DESCRIPTION_LENGTH} (what, how made, when "
              "updated, caveats) in datapackage.yaml `description`.", length=n)  # fmt: skip


_NO_RESOURCES = (
    "ファイル（リソース）がありません。datapackage.yaml の resources にファイルを加えてください。",
    "The dataset has no resources; add them to datapackage.yaml `resources`.",
)


def _open_format(resources: list[Mapping[str, Any]]) -> Criterion:
    if not resources:
        return _c("has_open_format", False, *_NO_RESOURCES, formats=[])
    formats = [resource_format(r) for r in resources]
    open_ones = sorted({f for f in formats if format_stars(f) >= 3})
    shown = sorted({f or "（未設定）" for f in formats})
    if open_ones:
        return _c("has_open_format", True, f"オープンな形式のファイルがあります（{_names(open_ones)}）。",
                  f"Open formats: {', '.join(open_ones)}.", formats=shown, open=open_ones)  # fmt: skip
    missing = [_resource_label(r) for r, f in zip(resources, formats, strict=True) if not f]
    unset = f"形式が未設定のファイル: {_names(missing)}。" if missing else ""
    return _c("has_open_format", False,
              f"オープンな形式のファイルがありません（形式: {_names(shown)}）。{unset}CSV・JSON・GeoJSON など、"
              "特定のソフトに依存しない形式でも公開してください。",
              f"No open format among {', '.join(shown)}; add CSV, JSON or GeoJSON.",
              formats=shown, open=[])  # fmt: skip


def _available(
    resources: list[Mapping[str, Any]], reachable: Callable[[Mapping[str, Any]], bool | None]
) -> Criterion:
    if not resources:
        return _c("all_resources_available", False, *_NO_RESOURCES)
    answers = [(r, reachable(r)) for r in resources]
    down = [_resource_label(r) for r, ok in answers if ok is False]
    unchecked = [_resource_label(r) for r, ok in answers if ok is None]
    details = {
        "checked": len(resources) - len(unchecked),
        "unreachable": down,
        "not_checked": unchecked,
    }
    if down:
        return _c("all_resources_available", False,
                  f"アクセスできないファイルがあります: {_names(down)}。ファイルを置き直すか URL を直して、"
                  "もう一度公開してください。",
                  f"Unreachable: {', '.join(down)}. Restore the files or fix the URLs, then publish again.",
                  **details)  # fmt: skip
    note = (
        f"（{len(unchecked)} 件は確認していません。udata と同じく、未確認は問題なしとして数えます）"
        if unchecked
        else ""
    )
    return _c("all_resources_available", True,
              f"ファイル {len(resources)} 件のうち、アクセスできないものはありません{note}。",
              f"No unreachable resource among {len(resources)}"
              f"{f' ({len(unchecked)} not checked, counted as available as udata does)' if unchecked else ''}.",
              **details)  # fmt: skip


def _documented(resources: list[Mapping[str, Any]]) -> Criterion:
    if not resources:
        return _c("resources_documentation", False, *_NO_RESOURCES)
    docs = [
        _resource_label(r)
        for r in resources
        if str(r.get("resource_type") or "") == "documentation"
    ]
    if docs:
        return _c("resources_documentation", True, f"説明資料のファイルがあります（{_names(docs)}）。",
                  f"Documentation resource: {', '.join(docs)}.", documentation=docs, undocumented=[])  # fmt: skip
    bare = [_resource_label(r) for r in resources if not str(r.get("description") or "").strip()]
    if bare:
        return _c("resources_documentation", False,
                  f"説明のないファイルがあります: {_names(bare)}。datapackage.yaml の各リソースに description"
                  "（内容、列の意味、作り方）を書いてください。",
                  f"Resources without a description: {', '.join(bare)}. Add `description` to each "
                  "resource in datapackage.yaml.", documentation=[], undocumented=bare)  # fmt: skip
    return _c("resources_documentation", True, f"すべてのファイル（{len(resources)} 件）に説明があります。",
              f"All {len(resources)} resources are described.", documentation=[], undocumented=[])  # fmt: skip


def _validation(package: Mapping[str, Any], validation: Mapping[str, Any] | None) -> Criterion:
    name = str(package.get("name") or "DATASET")
    if not isinstance(validation, Mapping) or not isinstance(validation.get("errors"), int):
        return _c("validation", False, "検証結果が記録されていません。`kokai publish` で公開して、検証結果を記録してください。",
                  "No validation result is recorded; `kokai publish` records one.")  # fmt: skip
    errors = int(validation.get("errors") or 0)
    warnings = int(validation.get("warnings") or 0)
    infos = int(validation.get("infos") or 0)
    checked = validation.get("checked")
    details = {"errors": errors, "warnings": warnings, "infos": infos, "checked": checked}
    if errors or warnings:
        return _c("validation", False,
                  f"検証でエラー {errors} 件、警告 {warnings} 件がありました。`kokai validate datasets/{name}` "
                  "で内容を確かめて直してください。",
                  f"Validation found {errors} errors and {warnings} warnings; see "
                  f"`kokai validate datasets/{name}`.", **details)  # fmt: skip
    return _c("validation", True, f"検証でエラー・警告はありません（情報 {infos} 件）。",
              f"No validation errors or warnings ({infos} infos).", **details)  # fmt: skip


_STAR_NEXT = {
    1: ("CSV や Excel など、機械で読める形式でも公開すると ★2 になります（PDF・画像は機械判読に向きません）。",
        "Publish a machine-readable format (CSV, Excel) for ★2."),
    2: ("Excel など特定のソフトに依存しない CSV・JSON などでも公開すると ★3 になります。",
        "Publish a non-proprietary format (CSV, JSON) for ★3."),
    3: ("データの中の物事を URI で示し RDF（Turtle、JSON-LD など）で公開すると ★4 になります。",
        "Publish RDF (Turtle, JSON-LD) naming things with URIs for ★4."),
    4: ("★5 は他のデータへのリンクを含む Linked Data ですが、形式からは判定できないため kokai は付けません。",
        "★5 (linked to other data) cannot be told from formats; kokai does not award it."),
}  # fmt: skip


def five_star_level(package: Mapping[str, Any]) -> tuple[int, Criterion]:
    """The 5-star open data level (see the module docstring) and its criterion."""
    resources = _resources(package)
    licence = find_licence(str(package.get("license_id") or ""))
    if not resources:
        return 0, _c("five_star", False, f"{star_text(0)} 0/5: {_NO_RESOURCES[0]}", f"0/5: {_NO_RESOURCES[1]}",
                     stars=0, licence_open=bool(licence and licence.is_open), best=None)  # fmt: skip
    if licence is None or not licence.is_open:
        shown = licence.title if licence else (package.get("license_id") or "未設定")
        return 0, _c("five_star", False,
                     f"{star_text(0)} 0/5: ライセンス（{shown}）がオープンライセンスではないため、★1 にもなりません。"
                     "CC BY 4.0 や公共データ利用規約 第1.0版（PDL1.0）などのオープンライセンスにしてください。",
                     f"0/5: the licence ({shown}) is not an open licence; use CC BY 4.0 or PDL1.0.",
                     stars=0, licence_open=False, best=None)  # fmt: skip
    levels = [(format_stars(resource_format(r)), resource_format(r)) for r in resources]
    stars, best = max(levels)
    reached = {
        1: "オープンライセンスでウェブに公開",
        2: "機械判読できる形式",
        3: "オープンな形式",
        4: "URI と RDF",
    }
    done = "、".join(reached[i] for i in range(1, stars + 1))
    next_ja, next_en = _STAR_NEXT[stars]
    return stars, _c("five_star", stars >= PASSING_STARS,
                     f"{star_text(stars)} {stars}/5: {done}（最も高いファイル: {best or '形式未設定'}）。{next_ja}",
                     f"{stars}/5 (best format: {best or 'not set'}). {next_en}",
                     stars=stars, licence_open=True, best=best or None)  # fmt: skip


# ------------------------------------------------------------------ the score


def score_dataset(
    package: Mapping[str, Any],
    *,
    validation: Mapping[str, Any] | None = None,
    reachable: Callable[[Mapping[str, Any]], bool | None] = not_checked,
    now: datetime,
    last_change: datetime | None = None,
) -> Quality:
    """Every criterion of `package` (a package dict: name, title, notes,
    license_id, extras [{key, value}], resources) at `now`.

    `validation`: the validation summary {errors, warnings, infos, checked}
    (default: the package's `kokai_validation` extra). `reachable(resource)`:
    True / False / None (not checked). `last_change`: when the dataset last
    changed (the pipeline passes the publish time; default: the package's
    metadata_modified, else `now`)."""
    now = utc_naive(now)
    if now is None:
        raise ValueError("now must be a datetime")
    extras = extras_of(package)
    if validation is None:
        try:
            stored = json.loads(extras.get("kokai_validation") or "null")
        except (TypeError, json.JSONDecodeError):
            stored = None
        validation = stored if isinstance(stored, Mapping) else None
    last = (
        utc_naive(last_change)
        if last_change is not None
        else utc_naive(package.get("metadata_modified"))
    )
    resources = _resources(package)
    stars, five_star = five_star_level(package)
    criteria = (
        _licence(package),
        _temporal(extras),
        _spatial(extras),
        _frequency_set(extras),
        _kept(extras, last or now, now),
        _description(package),
        _open_format(resources),
        _available(resources, reachable),
        _documented(resources),
        _validation(package, validation),
        five_star,
    )
    return Quality(criteria, stars, now)


def refresh_timeliness(
    quality: Quality, package: Mapping[str, Any], *, last_change: datetime | None, now: datetime
) -> Quality:
    """The stored `quality` with `update_fulfilled_in_time` decided again at
    `now` (udata recomputes this key whenever it is read); everything else as
    stored. `last_change`: the newest published record's time (default: the
    package's metadata_modified)."""
    now = utc_naive(now)
    if now is None:
        raise ValueError("now must be a datetime")
    last = (
        utc_naive(last_change)
        if last_change is not None
        else utc_naive(package.get("metadata_modified"))
    )
    fresh = _kept(extras_of(package), last or now, now)
    criteria = tuple(fresh if c.code == fresh.code else c for c in quality.criteria)
    if all(c.code != fresh.code for c in quality.criteria):
        criteria = (*criteria, fresh)
    return replace(quality, criteria=criteria)


# ------------------------------------------------------------------ rendering


def render_text(name: str, title: str, quality: Quality, *, stored: bool = True) -> str:
    """One dataset's score for staff: a ✓ or ✗ and a word on every line (never colour alone)."""
    validation = quality.criterion("validation")
    lines = [
        f"{title}（{name}）",
        f"  品質スコア {quality.percent}%（udata の {quality.total} 項目中 {quality.passed} 項目）"
        f"  5つ星: {star_text(quality.stars)} {quality.stars}/5"
        f"  検証: {'✓ 合格' if validation.passed else '✗ 要確認'}",
    ]
    if not stored:
        lines.append(
            "  ※ 公開時の記録がないため、いま計算しました（ファイルへのアクセスは確認していません）。"
        )
    for group, heading in ((UDATA, "udata の 9 項目"), (KOKAI, "kokai の項目")):
        lines.append(f"  {heading}:")
        for c in quality.criteria:
            if c.group == group:
                mark = "✓ 合格" if c.passed else "✗ 不合格"
                lines.append(f"    {mark}  {c.label_ja}: {c.message_ja}")
    return "\n".join(lines)


def catalog_qualities(site: Any, dataset: str | None = None) -> list[tuple[dict, Quality, bool]]:
    """(package, quality, stored) of one dataset or of all, read through a
    LocalCatalog acting as the site: the stored score with its timeliness
    decided again now, or, for a dataset kokai did not publish, a score
    computed now (reachability not checked). NotFound for an unknown dataset."""
    now = datetime.now(UTC).replace(tzinfo=None)
    if dataset:
        packages = [site.action.package_show(id=dataset)]
        records = site.action.publish_record_list(id=packages[0]["name"], status="published", limit=1)
    else:
        packages, records = catalog_state(site)
    published = newest_records(records)[1]
    results = []
    for package in sorted(packages, key=lambda p: p["name"]):
        last = last_change(package, published.get(package["name"]))
        try:
            quality = from_json(extras_of(package).get("kokai_quality") or "")
            results.append((package, refresh_timeliness(quality, package, last_change=last, now=now), True))
        except ValueError:
            results.append((package, score_dataset(package, now=now, last_change=last), False))
    return results


def render_qualities(results: list[tuple[dict, Quality, bool]], fmt: str = "text") -> str:
    if fmt == "json":
        checked = datetime.now(UTC).replace(tzinfo=None)
        return json.dumps({"checked": iso_utc(checked), "datasets": [
            {"name": p["name"], "title": p.get("title") or p["name"], "stored": stored, **q.to_dict()}
            for p, q, stored in results
        ]}, ensure_ascii=False, indent=2)  # fmt: skip
    if not results:
        return "カタログにデータセットがありません / the catalog has no datasets"
    return "\n\n".join(render_text(p["name"], p.get("title") or p["name"], q, stored=stored)
                       for p, q, stored in results)  # fmt: skip
