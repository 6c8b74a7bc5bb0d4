"""Every publish-gate rule has a case in rule_cases.py that triggers it: the
dataset is refused (published, for a warning) with a finding of that code on
that field, and a message with no placeholder left."""

from __future__ import annotations

import pytest

from kokai.rules import RULE_MODULES, _declared
from tests.publish.rule_cases import PUBLISH_RULE_CASES
from tests.validators.test_table_rule_cases import PLACEHOLDER


def publish_codes() -> set[str]:
    return {r.code for m in RULE_MODULES if m.startswith("kokai.publish") for r in _declared(m)}


def test_every_publish_rule_has_a_case():
    assert sorted(publish_codes() - set(PUBLISH_RULE_CASES)) == []


@pytest.mark.parametrize("code", sorted(PUBLISH_RULE_CASES))
def test_publish_rule_case(code, city, monkeypatch):
    case = PUBLISH_RULE_CASES[code]
    case.change(city.datasets / case.dataset)
    if case.fault:
        module_name, attribute = case.fault.split(":")
        # the catalog refuses a licence id that is not text; the gate cannot see it coming
        monkeypatch.setattr(f"{module_name}.{attribute}", lambda descriptor: ["not", "text"])
    (outcome,) = city.publish(case.dataset, today=case.today)
    found = [f for f in outcome.report.findings if f.code == code]
    assert found, [f.code for f in outcome.report.findings]
    finding = found[0]
    assert finding.field == case.field
    assert outcome.status == ("refused" if finding.severity == "error" else "published")
    for lang in ("ja", "en"):
        assert not PLACEHOLDER.search(finding.message(lang)), finding.message(lang)
