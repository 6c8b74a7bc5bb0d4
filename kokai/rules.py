"""The registry of every check kokai runs: one list of the modules that declare
rules, as datasette lists its default plugins. Importing a rule module
registers nothing; `all_rules()` imports the listed modules and collects the
`Rule` objects they declare at module level (alone, or in a tuple, list or
dict). Two different rules with the same (source, code) are an error.

Used by `kokai rules`, the generated docs and the tests; the validators
themselves import their rules directly.
"""

from __future__ import annotations

import importlib
from functools import cache

from kokai.validators.report import Rule

RULE_MODULES: tuple[str, ...] = (
    # tables and data packages
    "kokai.validators.reading.decode",
    "kokai.validators.reading.parse",
    "kokai.validators.reading.header",
    "kokai.validators.reading.rows",
    "kokai.validators.reading.read",
    "kokai.validators.reading.excel",
    "kokai.validators.table",
    "kokai.validators.table_schema.rules",
    "kokai.validators.japanese.rules",
    "kokai.validators.personal_data.rules",
    "kokai.validators.datapackage",
    "kokai.validators.fix",
    # GTFS and GTFS-JP
    "kokai.gtfs.archive",
    "kokai.gtfs.feed",
    "kokai.gtfs.rules_files",
    "kokai.gtfs.rules_fields",
    "kokai.gtfs.rules_keys",
    "kokai.gtfs.rules_entities",
    "kokai.gtfs.rules_calendar",
    "kokai.gtfs.rules_stop_times",
    "kokai.gtfs.rules_shapes",
    "kokai.gtfs.jp.detection",
    "kokai.gtfs.jp.agency",
    "kokai.gtfs.jp.feed_info",
    "kokai.gtfs.jp.fares",
    "kokai.gtfs.jp.translations",
    "kokai.gtfs.jp.files",
    "kokai.gtfs.jp.network",
    "kokai.gtfs.fix",
    # the publish gate
    "kokai.publish.gate",
)


class DuplicateRuleError(Exception):
    """Two rule declarations share a (source, code)."""


def _declared(module_name: str) -> list[Rule]:
    module = importlib.import_module(module_name)
    found: list[Rule] = []
    for value in vars(module).values():
        items = value.values() if isinstance(value, dict) else value
        if isinstance(value, Rule):
            found.append(value)
        elif isinstance(value, (tuple, list, dict)):
            found.extend(item for item in items if isinstance(item, Rule))
    return found


def collect(module_names: tuple[str, ...]) -> dict[tuple[str, str], Rule]:
    """Every rule the modules declare, by (source, code). A rule imported into
    another module is the same object and counts once."""
    rules: dict[tuple[str, str], Rule] = {}
    where: dict[tuple[str, str], str] = {}
    for name in module_names:
        for rule in _declared(name):
            key = (rule.source, rule.code)
            if key in rules and rules[key] is not rule:
                raise DuplicateRuleError(
                    f"rule {rule.code!r} ({rule.source}) is declared twice: in {where[key]} and {name}"
                )
            rules[key] = rule
            where.setdefault(key, name)
    return rules


@cache
def all_rules() -> dict[tuple[str, str], Rule]:
    return collect(RULE_MODULES)
