"""docs/rules.md is its prose followed by exactly the output of
`kokai rules --format markdown`; keep them in step."""

import json
from pathlib import Path

from kokai.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
TABLE_START = "| code | severity | source |"


def generated(capsys) -> str:
    assert main(["rules", "--format", "markdown"]) == 0
    return capsys.readouterr().out


def is_current(doc: str, table: str) -> bool:
    """True when everything from the table's first line to the end of `doc` is `table`."""
    start = doc.find("\n" + TABLE_START)
    return start >= 0 and doc[start + 1 :] == table


def test_rules_doc_is_current(capsys):
    table = generated(capsys)
    assert table.startswith(TABLE_START)
    assert is_current(DOC.read_text(encoding="utf-8"), table), (
        "docs/rules.md is out of date: keep its text above the table and replace the rest "
        "with the output of `kokai rules --format markdown` (see the file's header)"
    )


def test_a_stale_rules_doc_is_caught(capsys):
    table = generated(capsys)
    doc = DOC.read_text(encoding="utf-8")
    rows = table.splitlines(keepends=True)
    prose = doc[: doc.find("\n" + TABLE_START) + 1]
    assert is_current(prose + table, table)
    stale = {
        "a rule missing": prose + "".join(rows[:2] + rows[3:]),
        "a rule that no longer exists": prose + table + "| `gone` | error | kokai |  | 古い規則 |\n",
        "an old message": prose + table.replace(rows[2], rows[2].replace("|", "| 古い", 1)),
        "no table at all": prose,
        "the table twice": prose + table + "\n" + table,
    }
    for what, text in stale.items():
        assert not is_current(text, table), what


def test_every_rule_has_a_japanese_and_english_message(capsys):
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert len({(r["source"], r["code"]) for r in rules}) == len(rules) > 150
    for rule in rules:
        assert rule["message"]["ja"] and rule["message"]["en"], rule["code"]
        assert rule["severity"] in ("error", "warning", "info")
