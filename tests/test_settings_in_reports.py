"""Every report names the kokai.toml it used (path, city, code) or says that
none was used; `--no-config` ignores any kokai.toml (issue 12, point 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from kokai.cli import main
from kokai.rules import all_rules
from tests.gtfs.conftest import TINY_FEED, write_feed

CITY_TOML = '[city]\nname = "潮見市"\ncode = "229997"\nbbox = [137.88, 34.665, 138.04, 34.755]\n'
# A real city's facility with its own valid code (082201 土浦市), as in the issue.
OTHER_CITY_CSV = "全国地方公共団体コード,名称\n082201,土浦市役所\n"


@pytest.fixture
def city(tmp_path, monkeypatch) -> Path:
    """A city's data repository with kokai.toml, the working directory in a sub-folder
    (so that the file is found by searching upwards)."""
    (tmp_path / "kokai.toml").write_text(CITY_TOML, encoding="utf-8")
    sub = tmp_path / "datasets"
    sub.mkdir()
    (sub / "facilities.csv").write_text(OTHER_CITY_CSV, encoding="utf-8")
    monkeypatch.chdir(sub)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_json_names_the_settings_used(city, capsys):
    code, out = run(capsys, "validate", "facilities.csv", "--format", "json")
    doc = json.loads(out)
    assert doc["settings"] == {
        "path": str((city / "kokai.toml").resolve()), "city_name": "潮見市", "city_code": "229997",
    }  # fmt: skip
    # The rest of the documented shape is unchanged.
    assert {"valid", "summary", "sources", "findings"} <= doc.keys()
    assert code == 0


def test_json_settings_null_without_a_file_and_with_no_config(city, tmp_path, capsys):
    _, out = run(capsys, "--no-config", "validate", "facilities.csv", "--format", "json")
    assert json.loads(out)["settings"] is None
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "a.csv").write_text(OTHER_CITY_CSV, encoding="utf-8")
    # tmp_path itself has kokai.toml: point --config at nothing by running elsewhere
    code, out = run(capsys, "--no-config", "validate", str(bare / "a.csv"), "--format", "json")
    assert code == 0 and json.loads(out)["settings"] is None


def test_text_first_line_ja_and_en(city, capsys):
    path = str((city / "kokai.toml").resolve())
    _, out = run(capsys, "validate", "facilities.csv")
    assert out.splitlines()[0] == f"設定: {path}（潮見市、団体コード 229997）"
    _, out = run(capsys, "validate", "facilities.csv", "--lang", "en")
    assert out.splitlines()[0] == f"Settings: {path} (潮見市, code 229997)"
    _, out = run(capsys, "--no-config", "validate", "facilities.csv")
    first = out.splitlines()[0]
    assert first.startswith("設定: kokai.toml は使っていません") and "--no-config" in first


def test_junit_property_and_github_notice(city, capsys):
    path = str((city / "kokai.toml").resolve())
    _, out = run(capsys, "validate", "facilities.csv", "--format", "junit")
    root = ET.fromstring(out.split("\n", 1)[1])
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["kokai.toml"] == path and props["city_code"] == "229997"
    assert props["city_name"] == "潮見市"
    _, out = run(capsys, "validate", "facilities.csv", "--format", "github")
    lines = out.splitlines()
    assert lines[0] == f"::notice title=kokai.toml::設定: {path}（潮見市、団体コード 229997）"
    _, out = run(capsys, "--no-config", "validate", "facilities.csv", "--format", "junit")
    root = ET.fromstring(out.split("\n", 1)[1])
    assert {p.get("name"): p.get("value") for p in root.iter("property")}["kokai.toml"] == "none"


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github"])
def test_gtfs_validate_names_the_settings(city, capsys, fmt):
    feed = write_feed(city / "feed", TINY_FEED)
    _, out = run(capsys, "gtfs", "validate", str(feed), "--profile", "gtfs", "--format", fmt)
    assert str((city / "kokai.toml").resolve()) in out
    if fmt == "json":
        assert json.loads(out)["settings"]["city_code"] == "229997"
    _, out = run(capsys, "--no-config", "gtfs", "validate", str(feed), "--format", fmt)
    assert str(city / "kokai.toml") not in out
    if fmt == "json":
        assert json.loads(out)["settings"] is None
    else:
        assert "kokai.toml" in out


def test_config_and_no_config_together_is_a_usage_error(city, capsys):
    assert main(["--config", str(city / "kokai.toml"), "--no-config", "validate", "facilities.csv"]) == 2
    assert "--no-config" in capsys.readouterr().err


def test_other_body_names_both_codes_and_never_says_overwrite(city, capsys):
    """A valid code of another body is a warning naming both codes; it never tells
    staff to write the configured city's code instead of theirs."""
    _, out = run(capsys, "validate", "facilities.csv", "--format", "json")
    finding = next(f for f in json.loads(out)["findings"] if f["code"] == "lgcode_other_body")
    assert finding["severity"] == "warning"
    for lang in ("ja", "en"):
        message = finding["message"][lang]
        assert "082201" in message and "229997" in message
        assert not re.search(r"「229997」と書|write '229997'", message)
    # the rule's own templates never ask for the configured code to be written
    rule = next(r for r in all_rules().values() if r.code == "lgcode_other_body")
    assert "「{city_code}」と書" not in rule.ja and "write '{city_code}'" not in rule.en
    # --no-config: no settings, no comparison with a city
    _, out = run(capsys, "--no-config", "validate", "facilities.csv", "--format", "json")
    assert "lgcode_other_body" not in {f["code"] for f in json.loads(out)["findings"]}


def test_report_without_recorded_settings_renders_as_before():
    """Reports made in-process (publish, tests) that record no settings keep the old shape."""
    from kokai.validators.render import render
    from kokai.validators.report import Report

    report = Report()
    assert "settings" not in json.loads(render(report, "json"))
    assert render(report, "github") == ""
    assert not render(report, "text").startswith("設定")


def test_readme_json_example_has_the_report_keys(city, capsys):
    """The README's JSON example lists the same top-level keys, in the same order."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("```json\n", 1)[1].split("```", 1)[0]
    documented = re.findall(r'^  "(\w+)":', example, flags=re.M)
    _, out = run(capsys, "validate", "facilities.csv", "--format", "json")
    assert documented == list(json.loads(out))
