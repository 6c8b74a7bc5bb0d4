"""kokai/rules.py: rules are listed explicitly, importing registers nothing,
and a code declared twice is an error."""

from __future__ import annotations

import sys
import types

import pytest

from kokai.rules import DuplicateRuleError, all_rules, collect
from kokai.validators.report import Rule


def _module(name: str, **attributes) -> str:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    return name


def test_a_code_declared_twice_is_an_error():
    first = Rule("twice", "error", "一", "one", source="test")
    second = Rule("twice", "warning", "二", "two", source="test")
    a = _module("kokai_test_rules_a", FIRST=first)
    b = _module("kokai_test_rules_b", SECOND=second)
    try:
        with pytest.raises(DuplicateRuleError, match="twice"):
            collect((a, b))
        # The same object imported into a second module counts once.
        c = _module("kokai_test_rules_c", AGAIN=first)
        assert collect((a, c)) == {("test", "twice"): first}
    finally:
        for name in ("kokai_test_rules_a", "kokai_test_rules_b", "kokai_test_rules_c"):
            sys.modules.pop(name, None)


def test_declaring_a_rule_registers_nothing():
    Rule("declared_in_a_test", "error", "テスト", "test", source="test")
    assert ("test", "declared_in_a_test") not in all_rules()
    assert all(source != "test" for source, _ in all_rules())


def test_every_rule_in_the_validator_packages_is_registered():
    """A module that declares rules but is missing from RULE_MODULES fails here."""
    import importlib
    import pkgutil

    import kokai.gtfs
    import kokai.validators

    registered = {id(rule) for rule in all_rules().values()}
    for package in (kokai.validators, kokai.gtfs):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if isinstance(value, Rule):
                    assert id(value) in registered, f"{info.name}.{name} is not in RULE_MODULES"
