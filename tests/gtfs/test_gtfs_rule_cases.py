"""Every case of tests/gtfs/rule_cases.py: the rule fires, at the file, row and
field the case names (header = row 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kokai.rules import RULE_MODULES, all_rules, collect
from tests.gtfs.rule_cases import EXTRA_CASES, GTFS_RULE_CASES, RuleCase

ALL = {**{f"code:{code}": case for code, case in GTFS_RULE_CASES.items()},
       **{f"extra:{name}": case for name, case in EXTRA_CASES.items()}}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ALL))
def test_rule_fires_where_the_case_says(tmp_path: Path, name: str) -> None:
    case: RuleCase = ALL[name]
    report, path = case.run(tmp_path / "feed")
    found = {(f.code, f.path, f.row, f.field) for f in report.findings}
    assert case.expected(path) in found, sorted(found, key=str)
    finding = next(f for f in report.findings if f.code == case.code)
    assert finding.message_ja and finding.message_en
    assert "{" not in finding.message_ja and "{" not in finding.message_en, finding.message_en


def test_every_gtfs_rule_has_a_case() -> None:
    gtfs_modules = tuple(m for m in RULE_MODULES if m.startswith("kokai.gtfs."))
    declared = {code for (_, code) in collect(gtfs_modules)}
    declared |= {code for (source, code) in all_rules() if source in ("mobilitydata", "gtfs-jp")}
    assert declared - set(GTFS_RULE_CASES) == set()
    assert set(GTFS_RULE_CASES) - declared == set()  # no case for a code that is gone
