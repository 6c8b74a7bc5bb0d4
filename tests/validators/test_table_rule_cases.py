"""Every validator rule code has a case in rule_cases.py that triggers it: the
finding has that code, row and field, JSON-ready params and a message with no
placeholder left. A rule declared in kokai/validators without a case fails
`test_every_validator_rule_has_a_case`."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from kokai.config import load_config
from kokai.rules import RULE_MODULES, _declared
from kokai.validators.fix import fix_file
from kokai.validators.report import Finding, Report
from kokai.validators.table import validate_paths
from tests.validators.rule_cases import TABLE_RULE_CASES, RuleCase, write_case

VALIDATOR_SOURCES = ("kokai", "frictionless")
# a str.format field the template left unformatted, e.g. {field} or {value!r}
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}")


def validator_codes() -> set[str]:
    """The codes of the kokai/frictionless rules declared in kokai/validators
    (GTFS modules are covered by tests/gtfs)."""
    return {
        rule.code
        for module in RULE_MODULES
        if module.startswith("kokai.validators")
        for rule in _declared(module)
        if rule.source in VALIDATOR_SOURCES
    }


def _inject_fault(case: RuleCase, monkeypatch: pytest.MonkeyPatch) -> None:
    module_name, attribute = case.fault.split(":")
    module = importlib.import_module(module_name)

    def broken(*args, **kwargs):
        raise RuntimeError("fault injected by test_table_rule_cases")

    monkeypatch.setattr(module, attribute, broken)  # raises if the name moved


def run_case(case: RuleCase, root: Path, monkeypatch: pytest.MonkeyPatch) -> Report:
    target = write_case(case, root)
    config = load_config(root / "kokai.toml") if case.config is not None else None
    schema = case.schema
    if schema is not None and (root / schema).is_file():
        schema = str(root / schema)
    if case.fault:
        _inject_fault(case, monkeypatch)
    if case.run == "fix":
        return fix_file(str(target), str(root / "out" / "修正後.csv"), schema=schema, config=config)
    return validate_paths([str(target)], schema=schema, config=config)


def _where(findings: list[Finding]) -> list[tuple]:
    return [(f.code, Path(f.path).name if f.path else None, f.row, f.field) for f in findings]


@pytest.mark.parametrize("code", sorted(TABLE_RULE_CASES))
def test_rule_case(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = TABLE_RULE_CASES[code]
    report = run_case(case, tmp_path / "case", monkeypatch)
    hits = [f for f in report.findings if f.code == code]
    assert hits, f"{code} not reported; the report has {_where(report.findings)}"
    matching = [
        f
        for f in hits
        if f.path is not None
        and Path(f.path).as_posix().endswith(case.path)
        and f.row == case.row
        and f.field == case.field
    ]
    assert matching, (
        f"{code}: expected path …{case.path}, row {case.row}, field {case.field!r}; got {_where(hits)}"
    )
    finding = matching[0]
    as_dict = finding.to_dict()
    assert as_dict["code"] == code and as_dict["row"] == case.row and as_dict["field"] == case.field
    # the params survive JSON: every one is there, with the value to_dict gave it
    assert set(as_dict["params"]) == set(finding.params)
    assert json.loads(json.dumps(as_dict, ensure_ascii=False))["params"] == as_dict["params"]
    for lang in ("ja", "en"):
        message = as_dict["message"][lang]
        assert message.strip()
        assert not PLACEHOLDER.search(message), (
            f"{code} ({lang}): unformatted placeholder in {message!r}"
        )


def test_every_validator_rule_has_a_case() -> None:
    codes = validator_codes()
    missing = sorted(codes - set(TABLE_RULE_CASES))
    assert not missing, (
        f"validator rules without a case in tests/validators/rule_cases.py: {missing}"
    )
    stale = sorted(set(TABLE_RULE_CASES) - codes)
    assert not stale, f"cases for codes no validator declares (renamed or removed?): {stale}"
