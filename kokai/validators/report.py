"""The one Report model shared by every kind of check (tables, GTFS, metadata).

A check module declares its rules once as `Rule` objects (stable code, severity,
message templates in Japanese and English, optional machine-readability rule ID)
and turns each problem into a `Finding` with `rule.finding(...)`. Renderers
(kokai.validators.render) read only the Report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# Findings kept per (path, code); the rest are only counted. MobilityData's
# validator caps its samples the same way so that a 1M-row file with one bad
# column does not make a 1M-entry report.
MAX_FINDINGS_PER_CODE = 1000


# Every Rule ever declared, by (source, code), for `kokai rules` and the docs.
RULES: dict[tuple[str, str], Rule] = {}


class _SafeDict(dict):
    """Leaves unknown {placeholders} visible instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Rule:
    """A check with a stable code. Templates use str.format placeholders,
    e.g. "{field}", "{value}", "{expected}"; path/row/field/value are always
    available, other names come from `finding(**params)`."""

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

    def __post_init__(self) -> None:
        RULES[(self.source, self.code)] = self

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
        names = _SafeDict(params)
        names.update(path=path, row=row, field=field, value=value)
        return Finding(
            code=self.code,
            severity=severity or self.severity,
            path=path,
            row=row,
            field=field,
            value=None if value is None else str(value),
            message_ja=self.ja.format_map(names),
            message_en=self.en.format_map(names),
            machine_readability=self.machine_readability,
            fatal=self.fatal,
        )


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message_ja: str
    message_en: str
    path: str | None = None
    row: int | None = None  # line number a person sees; header = 1
    field: str | None = None
    value: str | None = None
    machine_readability: str | None = None
    fatal: bool = False

    def message(self, lang: str = "ja") -> str:
        return self.message_en if lang == "en" else self.message_ja

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "message": {"ja": self.message_ja, "en": self.message_en},
        }
        if self.machine_readability:
            out["machine_readability_rule"] = self.machine_readability
        return out


@dataclass
class Source:
    """One input that was checked, with facts about it for the report header
    (encoding, detected schema and confidence, GTFS-JP version, row count...)."""

    path: str
    kind: str  # "table", "datapackage", "gtfs", ...
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # (path, code, severity) -> total

    def add(self, finding: Finding) -> None:
        key = (finding.path, finding.code, finding.severity)
        self.counts[key] += 1
        if self.counts[key] <= MAX_FINDINGS_PER_CODE:
            self.findings.append(finding)

    def extend(self, findings) -> None:
        for f in findings:
            self.add(f)

    def merge(self, other: Report) -> None:
        self.sources.extend(other.sources)
        self.findings.extend(other.findings)
        self.counts.update(other.counts)

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
        """0 no error (warnings allowed), 1 any error, 2 an input unreadable."""
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
        return {
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
