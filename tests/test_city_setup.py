"""`kokai init`: a city's kokai.toml (code checked with its check digit) and the
quality CI it can write (GitHub Actions workflow, pre-commit hook), whose
commands are run here against a small data repository (issue 12, point 1)."""

from __future__ import annotations

import io
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kokai.city_setup import (
    KOKAI_PACKAGE_PLACEHOLDER,
    PRE_COMMIT_PATH,
    WORKFLOW_PATH,
    init_city,
    lgcode_check_digit,
    normalise_city_code,
    parse_bbox,
    render_kokai_toml,
)
from kokai.cli import main
from kokai.config import load_config
from kokai.errors import KokaiError
from kokai.vocab import checkdigits
from tests.gtfs.conftest import TINY_FEED, write_feed

YANAGAWA = ["--city-code", "40207", "--name", "柳川市", "--bbox", "130.35", "33.1", "130.5", "33.2"]
# One line of the README's `--format github` form: ::error file=…,line=…::…
GITHUB_LINE = re.compile(r"^::(error|warning|notice) (file=[^,:]+,)?(line=\d+,)?title=[^:]+::.+$")


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: nothing is asked
    return tmp_path


# ------------------------------------------------------------------ the code and the box


def test_check_digit_matches_the_shared_one():
    for body in ["40207", "13101", "22999", "01100", *(f"{random.randrange(100000):05d}" for _ in range(500))]:
        assert lgcode_check_digit(body) == checkdigits.lgcode_check_digit(body)


def test_five_digits_get_their_check_digit_and_say_so():
    code, note = normalise_city_code("40207")
    assert code == "402079" and "402079" in note and "検査数字" in note
    assert normalise_city_code("４０２０７９") == ("402079", None)  # full-width digits
    assert normalise_city_code(" 131016 ") == ("131016", None)


@pytest.mark.parametrize("text, words", [("402070", "402079"), ("4020", "6桁"), ("柳川市", "6桁")])
def test_bad_codes_are_clear_errors(text, words):
    with pytest.raises(KokaiError) as exc:
        normalise_city_code(text)
    assert words in str(exc.value)


def test_bbox_checks():
    assert parse_bbox(["130.35", "33.1", "130.5", "33.2"]) == (130.35, 33.1, 130.5, 33.2)
    for values, words in [
        (["33.1", "130.35", "33.2", "130.5"], "逆"),
        (["2.3", "48.8", "2.4", "48.9"], "日本の外"),
        (["130.5", "33.1", "130.35", "33.2"], "最小値"),
        (["a", "33.1", "130.5", "33.2"], "数でない"),
        (["130.35", "33.1"], "4つ"),
    ]:
        with pytest.raises(KokaiError) as exc:
            parse_bbox(values)
        assert words in str(exc.value)


def test_kokai_toml_quotes_the_name():
    text = render_kokai_toml('市"\\', "402079", (130.35, 33.1, 130.5, 33.2))
    import tomllib

    assert tomllib.loads(text)["city"]["name"] == '市"\\'


# ------------------------------------------------------------------ kokai init


def test_init_writes_a_kokai_toml_that_kokai_reads(repo, capsys):
    assert main(["init", *YANAGAWA]) == 0
    out = capsys.readouterr().out
    assert "402079" in out and "検査数字" in out  # the added check digit is said
    config = load_config(repo / "kokai.toml")
    assert (config.city_name, config.city_code) == ("柳川市", "402079")
    assert config.city_bbox == (130.35, 33.1, 130.5, 33.2)
    assert config.organizations == {} and config.source == (repo / "kokai.toml").resolve()


def test_init_never_overwrites_without_force(repo, capsys):
    (repo / "kokai.toml").write_text("# mine\n", encoding="utf-8")
    assert main(["init", *YANAGAWA]) == 2
    assert "--force" in capsys.readouterr().err
    assert (repo / "kokai.toml").read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", *YANAGAWA, "--force"]) == 0
    assert load_config(repo / "kokai.toml").city_code == "402079"


def test_init_checks_the_options_before_refusing_or_writing(repo, capsys):
    assert main(["init", "--city-code", "402070", "--name", "柳川市", "--bbox", "130.35", "33.1", "130.5", "33.2"]) == 2
    assert "402079" in capsys.readouterr().err
    assert not (repo / "kokai.toml").exists()


def test_init_without_a_terminal_needs_every_value(repo, capsys):
    assert main(["init", "--city-code", "402079"]) == 2
    err = capsys.readouterr().err
    assert "--name" in err and "--bbox" in err and "指定してください" in err
    assert not (repo / "kokai.toml").exists()


def test_init_asks_on_a_terminal(tmp_path):
    answers = iter(["4020", "40207", "", "柳川市", "130.35, 33.1, 130.5, 33.2"])
    result = init_city(tmp_path, ask=lambda prompt: next(answers))
    config = load_config(tmp_path / "kokai.toml")
    assert (config.city_name, config.city_code) == ("柳川市", "402079")
    assert config.city_bbox == (130.35, 33.1, 130.5, 33.2)
    assert any("402079" in note for note in result.notes)


def test_init_ignores_a_broken_kokai_toml_above(tmp_path, monkeypatch, capsys):
    (tmp_path / "kokai.toml").write_text("[city\n", encoding="utf-8")
    (tmp_path / "city").mkdir()
    monkeypatch.chdir(tmp_path / "city")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["init", *YANAGAWA]) == 0


def test_ci_alone_keeps_an_existing_kokai_toml(repo, capsys):
    assert main(["init", *YANAGAWA]) == 0
    before = (repo / "kokai.toml").read_text(encoding="utf-8")
    assert main(["init", "--ci", "both"]) == 0
    assert (repo / "kokai.toml").read_text(encoding="utf-8") == before
    assert (repo / WORKFLOW_PATH).is_file() and (repo / PRE_COMMIT_PATH).is_file()
    assert "KOKAI_PACKAGE" in capsys.readouterr().out  # told to set where kokai comes from
    assert main(["init", "--ci", "github"]) == 2  # the workflow is not overwritten either


# ------------------------------------------------------------------ the CI files, run for real

BAD_CSV = "全国地方公共団体コード,名称,緯度,経度\n402070,柳川市役所,33.16,130.40\n"


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _env(**extra: str) -> dict[str, str]:
    """kokai on PATH, as the workflow's `pip install` and a city's pre-commit have it."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, **extra}


@pytest.fixture
def data_repo(repo, capsys) -> tuple[Path, str]:
    """A city's data repository: a base commit, then a change to one dataset folder,
    one loose table and one feed; an untouched broken file stays in the base."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert main(["init", *YANAGAWA, "--ci", "both"]) == 0
    shelters = Path(__file__).parent.parent / "datasets" / "shelters"
    shutil.copytree(shelters, repo / "datasets" / "shelters")
    (repo / "old").mkdir()
    (repo / "old" / "untouched.csv").write_text(BAD_CSV, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "datasets" / "shelters" / "datapackage.yaml").write_text(
        (repo / "datasets" / "shelters" / "datapackage.yaml").read_text(encoding="utf-8") + "\n",
        encoding="utf-8",
    )
    (repo / "施設 一覧.csv").write_text(BAD_CSV, encoding="utf-8")
    write_feed(repo / "bus", TINY_FEED)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "change")
    capsys.readouterr()
    return repo, base


def test_workflow_parses_and_its_step_validates_the_changed_datasets(data_repo):
    repo, base = data_repo
    workflow = yaml.safe_load((repo / WORKFLOW_PATH).read_text(encoding="utf-8"))
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    assert workflow["env"]["KOKAI_PACKAGE"] == KOKAI_PACKAGE_PLACEHOLDER
    steps = workflow["jobs"]["validate"]["steps"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert '"$KOKAI_PACKAGE"' in install["run"]
    step = next(s for s in steps if "kokai validate" in s.get("run", ""))
    assert "kokai gtfs validate" in step["run"] and step["env"]["KOKAI_FORMAT"] == "github"
    assert step["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    env = _env(**workflow["env"], KOKAI_FORMAT="github", BASE_SHA=base)
    # GitHub runs `bash --noprofile --norc -eo pipefail {0}`
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=240)  # fmt: skip
    assert done.returncode == 1, done.stderr  # the loose table has an error
    lines = done.stdout.splitlines()
    assert lines, done.stderr
    assert all(GITHUB_LINE.match(line) for line in lines), lines
    notices = [line for line in lines if line.startswith("::notice title=kokai.toml::")]
    assert notices and all(str((repo / "kokai.toml").resolve()) in line for line in notices)
    assert len(notices) == 2  # one `kokai validate` and one `kokai gtfs validate`
    assert any(line.startswith("::error file=施設 一覧.csv,line=2,") for line in lines)
    assert "untouched.csv" not in done.stdout  # only what the pull request changed
    assert "error" not in done.stderr.lower(), done.stderr


def test_workflow_step_with_nothing_to_check(data_repo):
    repo, _ = data_repo
    workflow = yaml.safe_load((repo / WORKFLOW_PATH).read_text(encoding="utf-8"))
    step = next(s for s in workflow["jobs"]["validate"]["steps"] if "kokai validate" in s.get("run", ""))
    head = _git(repo, "rev-parse", "HEAD")
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=repo,
                          env=_env(**workflow["env"], KOKAI_FORMAT="github", BASE_SHA=head),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and "no dataset changed" in done.stdout


def test_pre_commit_hook_runs_kokai_on_the_staged_files(data_repo):
    repo, _ = data_repo
    config = yaml.safe_load((repo / PRE_COMMIT_PATH).read_text(encoding="utf-8"))
    (hook,) = config["repos"][0]["hooks"]
    assert config["repos"][0]["repo"] == "local" and hook["language"] == "system"
    files = re.compile(hook["files"])
    staged = ["datasets/shelters/datapackage.yaml", "施設 一覧.csv", "bus/feed.zip", "README.md"]
    chosen = [name for name in staged if files.search(name)]
    assert chosen == staged[:3]
    # pre-commit runs shlex.split(entry) + the file names
    argv = shlex.split(hook["entry"]) + chosen
    assert "kokai validate" in hook["entry"] and "kokai gtfs validate" in hook["entry"]
    done = subprocess.run(argv, cwd=repo, env=_env(), capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    # the README's text format: the settings line first, then one block per input, then the verdict
    assert out.startswith(f"設定: {(repo / 'kokai.toml').resolve()}（柳川市、団体コード 402079）")
    assert "== 施設 一覧.csv ==" in out and "lgcode_check_digit" in out
    assert "datasets/shelters" in out and "結果: エラー" in out
    assert out.count("設定: ") == 2  # kokai validate, then kokai gtfs validate on the feed
    # nothing relevant staged: the hook passes and says so
    done = subprocess.run(shlex.split(hook["entry"]) + ["notes.txt"], cwd=repo, env=_env(),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and "no dataset changed" in done.stdout
