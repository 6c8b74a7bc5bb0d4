"""Every rule kokai declares has a test that triggers it: the case tables of
the table validators and of GTFS together cover the whole registry, so a rule
declared in a new module without a case fails here."""

from __future__ import annotations

from kokai.rules import RULE_MODULES, all_rules
from tests.gtfs.rule_cases import GTFS_RULE_CASES
from tests.publish.rule_cases import PUBLISH_RULE_CASES
from tests.validators.rule_cases import TABLE_RULE_CASES


def test_every_rule_in_the_registry_has_a_case():
    declared = {code for (_, code) in all_rules()}
    covered = set(TABLE_RULE_CASES) | set(GTFS_RULE_CASES) | set(PUBLISH_RULE_CASES)
    assert sorted(declared - covered) == []


def test_every_rule_module_belongs_to_a_family_with_cases():
    families = ("kokai.validators.", "kokai.gtfs.", "kokai.publish.")
    assert [m for m in RULE_MODULES if not m.startswith(families)] == []
