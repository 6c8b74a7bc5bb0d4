"""The one Report model shared by every kind of check (tables, GTFS, metadata).

A check module declares its rules once as `Rule` objects (stable code, severity,
message templates in Japanese and English, optional machine-readability rule ID)
and turns each problem into a `Finding` with `rule.finding(...)`. Renderers
(kokai.validators.render) read only the Report.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# Findings kept per (path, code); the rest are only counted. MobilityData's
# validator caps its samples the same way so that a 1M-row file with one bad
# column does not make a 1M-entry report.
MAX_FINDINGS_PER_CODE = 1000


class _Params(dict):
    """The names a template sees in one language: a `Text` parameter reads as
    its text in that language; an unknown {placeholder} stays visible."""

    def __init__(self, params: dict[str, Any], lang: str):
        super().__init__(
            (k, v.en if lang == "en" else v.ja) if isinstance(v, Text) else (k, v)
            for k, v in params.items()
        )

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True, slots=True)
class Text:
    """A parameter that reads differently in Japanese and in English (the kind
    of a problem, a unit, a hint), so that a rule keeps one parameter per fact."""

    ja: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"ja": self.ja, "en": self.en}


@dataclass(frozen=True)
class Rule:
    """A check with a stable code. Templates use str.format placeholders,
    e.g. "{field}", "{value}", "{expected}"; path/row/field/value are always
    available, other names come from `finding(**params)`.

    Declaring a Rule registers nothing: `kokai.rules` lists the modules that
    declare rules and collects them."""

    code: str
    severity: Severity
    ja: str
    en: str
    # 行政データにおける機械可読性に関するルール ID (L1-08, L2-01, ...) or None.
    machine_readability: str | None = None
    # Where the rule comes from: "frictionless", "mobilitydata", "gtfs-jp", "kokai", ...
    source: str = "kokai"
    # True when the input could not be read at all (exit status 2).
    fatal: bool = False
    # True when the finding reports a bug in kokai, not in the data (exit status 3).
    bug: bool = False

    def finding(
        self,
        *,
        path: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: Any = None,
        severity: Severity | None = None,
        **params: Any,
    ) -> Finding:
        return Finding(
            rule=self,
            severity=severity or self.severity,
            path=path,
            row=row,
            field=field,
            value=None if value is None else str(value),
            params=params,
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: where it is, the value, and the rule's parameters. The
    messages are made from the rule's templates when they are read, so a
    finding that is only counted never formats one."""

    rule: Rule
    severity: Severity
    path: str | None = None
    row: int | None = None  # line number a person sees; header = 1
    field: str | None = None
    value: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def fatal(self) -> bool:
        return self.rule.fatal

    @property
    def machine_readability(self) -> str | None:
        return self.rule.machine_readability

    def at_row(self, row: int | None, value: Any = None) -> Finding:
        """The same finding on another row (and value), parameters shared."""
        return Finding(
            self.rule, self.severity, self.path, row, self.field,
            self.value if value is None else str(value), self.params,
        )  # fmt: skip

    def message(self, lang: str = "ja") -> str:
        names = _Params(self.params, lang)
        names.update(path=self.path, row=self.row, field=self.field, value=self.value)
        return (self.rule.en if lang == "en" else self.rule.ja).format_map(names)

    @property
    def message_ja(self) -> str:
        return self.message("ja")

    @property
    def message_en(self) -> str:
        return self.message("en")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "params": {k: _json_value(v) for k, v in self.params.items()},
            "message": {"ja": self.message_ja, "en": self.message_en},
        }
        if self.machine_readability:
            out["machine_readability_rule"] = self.machine_readability
        return out


def _json_value(value: Any) -> Any:
    """A parameter as JSON: Text as {ja, en}, collections as lists, the rest
    as itself when JSON has it, else its text."""
    if isinstance(value, Text):
        return value.to_dict()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json_value(v) for v in value]
        return items if isinstance(value, (list, tuple)) else sorted(items, key=str)
    return str(value)


class Findings(list):
    """A list of findings that keeps at most MAX_FINDINGS_PER_CODE per (path,
    code, severity) while they are generated, and counts all of them. Checks
    append to one of these, so a file with millions of bad cells holds a
    thousand findings per code, not millions. `Report.extend` takes its counts."""

    def __init__(self, findings=()):
        super().__init__()
        self.counts: Counter = Counter()
        self.kept: Counter = Counter()
        self.extend(findings)

    def append(self, finding: Finding) -> None:
        key = (finding.path, finding.code, finding.severity)
        self.counts[key] += 1
        if self.kept[key] < MAX_FINDINGS_PER_CODE:
            self.kept[key] += 1
            super().append(finding)

    def extend(self, findings) -> None:
        for f in findings:
            self.append(f)
        if isinstance(findings, Findings):  # add what the other list only counted
            for key, n in findings.counts.items():
                self.counts[key] += n - findings.kept[key]

    def __iadd__(self, findings):  # `out += more` must count too (list's own would not)
        self.extend(findings)
        return self

    def add_sample(self, sample: list[Finding], total: int) -> None:
        """Record `total` occurrences of one problem (one path, code and severity)
        of which `sample` are the first, for checks that count with polars and
        make findings only for the rows they may keep."""
        for f in sample:
            self.append(f)
        if sample and total > len(sample):
            first = sample[0]
            self.counts[(first.path, first.code, first.severity)] += total - len(sample)


@dataclass
class Source:
    """One input that was checked, with facts about it for the report header
    (encoding, detected schema and confidence, GTFS-JP version, row count...)."""

    path: str
    kind: str  # "table", "datapackage", "gtfs", ...
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The kokai.toml a check used (its path, the city's name and code), or
    `path` None when none was used (`ignored`: because of `--no-config`)."""

    path: str | None = None
    city_name: str = ""
    city_code: str = ""
    ignored: bool = False

    def to_dict(self) -> dict[str, Any] | None:
        if self.path is None:
            return None
        return {"path": self.path, "city_name": self.city_name, "city_code": self.city_code}


@dataclass
class Report:
    findings: Findings = field(default_factory=Findings)
    sources: list[Source] = field(default_factory=list)
    # The settings the caller used; None: not recorded (renderers then say nothing).
    settings: Settings | None = None

    @property
    def counts(self) -> Counter:
        """(path, code, severity) -> total, kept ones and counted ones alike."""
        return self.findings.counts

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings) -> None:
        self.findings.extend(findings)

    def merge(self, other: Report) -> None:
        if self.settings is None:
            self.settings = other.settings
        self.sources.extend(other.sources)
        self.findings.extend(other.findings)

    def add_source(self, path: str, kind: str, **details: Any) -> Source:
        source = Source(path=path, kind=kind, details=details)
        self.sources.append(source)
        return source

    def total(self, severity: Severity) -> int:
        return sum(n for (_, _, sev), n in self.counts.items() if sev == severity)

    @property
    def valid(self) -> bool:
        return self.total("error") == 0

    @property
    def truncated(self) -> bool:
        return any(n > MAX_FINDINGS_PER_CODE for n in self.counts.values())

    @property
    def exit_code(self) -> int:
        """0 no error (warnings allowed), 1 any error, 2 an input unreadable,
        3 kokai itself failed (a bug: the result cannot be trusted)."""
        if any(f.rule.bug for f in self.findings):
            return 3
        if any(f.fatal for f in self.findings):
            return 2
        return 0 if self.valid else 1

    def codes(self) -> Counter:
        """Total findings per code (all paths and severities)."""
        out: Counter = Counter()
        for (_, code, _), n in self.counts.items():
            out[code] += n
        return out

    def to_dict(self) -> dict[str, Any]:
        by_code: dict[str, dict[str, Any]] = {}
        for (_, code, sev), n in sorted(self.counts.items(), key=lambda kv: (kv[0][1], kv[0][2])):
            entry = by_code.setdefault(code, {"severity": sev, "count": 0})
            entry["count"] += n
        settings = {} if self.settings is None else {"settings": self.settings.to_dict()}
        return {
            **settings,
            "valid": self.valid,
            "summary": {
                "errors": self.total("error"),
                "warnings": self.total("warning"),
                "infos": self.total("info"),
                "by_code": by_code,
                "truncated": self.truncated,
                "max_findings_per_code": MAX_FINDINGS_PER_CODE,
            },
            "sources": [
                {"path": s.path, "kind": s.kind, **s.details} for s in self.sources
            ],
            "findings": [f.to_dict() for f in self.findings],
        }
