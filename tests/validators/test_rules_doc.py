"""docs/rules.md is the output of `kokai rules --format markdown`; keep them in step."""

from pathlib import Path

from kokai.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_rules_doc_is_current(capsys):
    assert main(["rules", "--format", "markdown"]) == 0
    table = capsys.readouterr().out.strip()
    assert table in DOC.read_text(encoding="utf-8"), "regenerate docs/rules.md (see its header)"


def test_every_rule_has_a_japanese_and_english_message(capsys):
    import json

    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert len({(r["source"], r["code"]) for r in rules}) == len(rules) > 150
    for rule in rules:
        assert rule["message"]["ja"] and rule["message"]["en"], rule["code"]
        assert rule["severity"] in ("error", "warning", "info")
