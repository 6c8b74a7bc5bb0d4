#!/usr/bin/env python3
"""Peer benchmark for issue 9: build time of JKAN (Jekyll) with N datasets.

kokai's target is "full build <= 20 s for 10,000 datasets"; JKAN
(https://github.com/timwis/jkan) is the peer.  This script does NOT ship or
copy any JKAN code: you point it at a JKAN checkout that lives elsewhere, e.g.

    git --git-dir=/work/.mirror/timwis+jkan/repo archive HEAD | tar -x -C /tmp/jkan
    python bench/jkan_peer.py --jkan /tmp/jkan --datasets 10000 --runs 3

What it does:
  1. copies the JKAN tree into a temporary folder;
  2. replaces the sample datasets / organisations with N generated datasets in
     JKAN's own front-matter format (schema "default": title, organization,
     notes (markdown), license, category (list), maintainer, maintainer_email,
     resources[name/url/format]) with Japanese titles, plus a few
     organisations in ``_organizations/``;
  3. writes ``_config.ci.yml`` the way JKAN's CI / Netlify plugin do
     (repository, url, branch, baseurl) so jekyll-github-metadata can build
     offline, and -- only if one of the plugins in JKAN's ``_config.yml`` cannot
     be loaded by the local Ruby -- a ``_config.bench.yml`` that drops it;
  4. runs ``jekyll build`` (JEKYLL_ENV=production, as JKAN's CI does) from a
     clean state --runs times, then ``jekyll build --incremental`` after
     editing one dataset file --runs times, and reports medians, the output
     size and file count.

Jekyll is run with JEKYLL_NO_BUNDLER_REQUIRE=true: JKAN's Gemfile.lock pins
gem versions that are not installed system-wide (Debian's jekyll 4.3.1 and
its ruby-jekyll-* plugin packages are used instead).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# --------------------------------------------------------------------------
# synthetic content
# --------------------------------------------------------------------------

TOWNS = [
    ("本町", "honmachi"), ("緑区", "midori"), ("港町", "minatomachi"),
    ("北山村", "kitayama"), ("東浜市", "higashihama"), ("西原町", "nishihara"),
    ("南川市", "minamikawa"), ("中央区", "chuo"), ("桜台", "sakuradai"),
    ("若葉町", "wakaba"),
]

# (Japanese topic, romaji slug, JKAN category names, resource name stem)
TOPICS = [
    ("指定避難所一覧", "hinanjo", ["Public Safety"], "指定避難所"),
    ("AED設置場所一覧", "aed", ["Health / Human Services", "Public Safety"], "AED設置場所"),
    ("人口統計（町丁別）", "jinko", ["Planning / Zoning"], "人口統計"),
    ("公衆トイレ一覧", "toilet", ["Parks / Recreation"], "公衆トイレ"),
    ("バス停留所一覧", "busstop", ["Transportation"], "バス停留所"),
    ("子育て施設一覧", "kosodate", ["Education", "Health / Human Services"], "子育て施設"),
    ("文化財一覧", "bunkazai", ["Arts / Culture / History"], "文化財"),
    ("予算・決算状況", "yosan", ["Budget / Finance"], "予算・決算"),
    ("ごみ収集日カレンダー", "gomi", ["Environment"], "ごみ収集日"),
    ("投票所一覧", "tohyojo", ["Elections / Politics"], "投票所"),
    ("観光施設一覧", "kanko", ["Economy", "Arts / Culture / History"], "観光施設"),
    ("公園一覧", "koen", ["Parks / Recreation", "Environment"], "公園"),
    ("地価公示", "chika", ["Real Estate / Land Records"], "地価公示"),
    ("学校給食の献立", "kyushoku", ["Food", "Education"], "給食献立"),
]

ORGS = [
    ("本町 総務部 防災課", "honmachi-bosai"),
    ("本町 企画部 情報政策課", "honmachi-joho"),
    ("緑区 区民生活課", "midori-kumin"),
    ("港町 都市整備課", "minatomachi-toshi"),
    ("東浜市 健康福祉部", "higashihama-fukushi"),
    ("西原町 教育委員会", "nishihara-kyoiku"),
    ("南川市 財政課", "minamikawa-zaisei"),
    ("中央区 環境政策課", "chuo-kankyo"),
]

LICENSES = [
    "https://creativecommons.org/licenses/by/4.0/",
    "https://creativecommons.org/licenses/by-sa/4.0/",
    "https://creativecommons.org/publicdomain/zero/1.0/",
]

FORMATS = ["csv", "json", "geojson", "xml", "shp", "api", "html", "kml"]


def yq(s: str) -> str:
    """YAML single-quoted scalar."""
    return "'" + s.replace("'", "''") + "'"


def dataset_doc(i: int, rng: random.Random, marker: str = "") -> tuple[str, str]:
    """Return (file stem, file text) for dataset number i."""
    town, town_slug = TOWNS[i % len(TOWNS)]
    topic, topic_slug, cats, res_stem = TOPICS[(i // len(TOWNS)) % len(TOPICS)]
    year = 2015 + (i // (len(TOWNS) * len(TOPICS))) % 10
    edition = i // (len(TOWNS) * len(TOPICS) * 10) + 1
    title = f"{town}の{topic}（{year}年度 第{edition}版）"
    org_title, _ = ORGS[i % len(ORGS)]
    stem = f"{town_slug}-{topic_slug}-{year}-v{edition}"
    base = f"https://opendata.example.jp/{town_slug}/{topic_slug}/{year}/v{edition}"
    notes = (
        f"{town}が公開する{topic}のデータです（{year}年度 第{edition}版）。"
        f"**毎年度4月1日時点**の情報を掲載しています。"
        f"項目の定義は[データ仕様書]({base}/spec.html)を参照してください。"
        f"{marker}"
    )
    lines = [
        "---",
        "schema: default",
        f"title: {yq(title + marker)}",
        f"organization: {yq(org_title)}",
        f"notes: {yq(notes)}",
        "resources:",
    ]
    n_res = 1 + rng.randrange(3)
    fmts = rng.sample(FORMATS, n_res)
    for fmt in fmts:
        lines += [
            f"  - name: {yq(f'{res_stem}データ（{fmt.upper()}形式）')}",
            f"    url: {yq(f'{base}/{topic_slug}.{fmt}')}",
            f"    format: {fmt}",
        ]
    lines.append(f"license: {yq(LICENSES[i % len(LICENSES)])}")
    lines.append("category:")
    lines += [f"  - {yq(c)}" for c in cats]
    lines += [
        f"maintainer: {yq(org_title)}",
        f"maintainer_email: opendata@{town_slug}.example.jp",
        "---",
        "",
    ]
    return stem, "\n".join(lines)


def org_doc(title: str) -> str:
    return "\n".join([
        "---",
        f"title: {yq(title)}",
        f"description: {yq(title + 'が公開するオープンデータです。**ご意見**はお問い合わせフォームからどうぞ。')}",
        "logo: /img/jkan.png",
        "---",
        "",
    ])


# --------------------------------------------------------------------------
# site preparation
# --------------------------------------------------------------------------

def config_plugins(config_text: str) -> list[str]:
    """Plugins listed under `plugins:` in JKAN's _config.yml (no YAML lib needed)."""
    out, inside = [], False
    for line in config_text.splitlines():
        if re.match(r"^plugins:\s*$", line):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s+-\s*['\"]?([^'\"#\s]+)", line)
            if m:
                out.append(m.group(1))
            elif line.strip() and not line.lstrip().startswith("#"):
                break
    return out


def loadable(plugin: str, env: dict) -> bool:
    r = subprocess.run(["ruby", "-e", f"require 'jekyll'; require {plugin!r}"],
                       capture_output=True, env=env)
    return r.returncode == 0


def prepare_site(src: Path, dst: Path, n: int, env: dict, seed: int) -> dict:
    shutil.copytree(src, dst, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", "_site", ".jekyll-cache",
                                                  ".jekyll-metadata", "node_modules"))
    info: dict = {}
    # datasets / organisations: replace the samples with generated ones
    ds_dir, org_dir = dst / "_datasets", dst / "_organizations"
    for d in (ds_dir, org_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
    rng = random.Random(seed)
    stems = []
    for i in range(n):
        stem, text = dataset_doc(i, rng)
        (ds_dir / f"{stem}.md").write_text(text, encoding="utf-8")
        stems.append(stem)
    if len(set(stems)) != n:
        raise SystemExit("internal error: dataset slugs are not unique")
    for title, slug in ORGS:
        (org_dir / f"{slug}.md").write_text(org_doc(title), encoding="utf-8")
    info["stems"] = stems
    info["source_bytes"] = sum(p.stat().st_size for p in ds_dir.iterdir())

    # offline metadata, the way JKAN's CI / Netlify plugin write _config.ci.yml
    (dst / "_config.ci.yml").write_text(
        'repository: example/jkan-portal\nurl: "https://data.example.jp"\n'
        'branch: main\nbaseurl: ""\n', encoding="utf-8")
    configs = ["_config.ci.yml", "_config.yml"]

    plugins = config_plugins((dst / "_config.yml").read_text(encoding="utf-8"))
    missing = [p for p in plugins if not loadable(p, env)]
    info["plugins"], info["disabled"] = plugins, missing
    if missing:
        kept = [p for p in plugins if p not in missing]
        body = "plugins:\n" + "".join(f'  - "{p}"\n' for p in kept) if kept else "plugins: []\n"
        (dst / "_config.bench.yml").write_text(
            "# generated by kokai bench/jkan_peer.py: plugins not installed here\n" + body,
            encoding="utf-8")
        configs.append("_config.bench.yml")
    info["configs"] = ",".join(configs)
    return info


# --------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------

DONE_RE = re.compile(r"done in ([0-9.]+) seconds")


def run_jekyll(site: Path, configs: str, env: dict, incremental: bool,
               timeout: float) -> tuple[float, float | None, str]:
    cmd = ["jekyll", "build", "--config", configs]
    if incremental:
        cmd.append("--incremental")
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, cwd=site, env=env, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"jekyll build timed out after {timeout:.0f} s "
                         f"(try fewer --datasets or a larger --timeout)") from None
    wall = time.perf_counter() - t0
    out = r.stdout + r.stderr
    if r.returncode != 0:
        sys.stderr.write(out[-4000:])
        raise SystemExit(f"jekyll build failed (exit {r.returncode}): {' '.join(cmd)}")
    m = DONE_RE.search(out)
    return wall, (float(m.group(1)) if m else None), out


def clean(site: Path) -> None:
    for name in ("_site", ".jekyll-cache"):
        shutil.rmtree(site / name, ignore_errors=True)
    (site / ".jekyll-metadata").unlink(missing_ok=True)


def tree_stats(d: Path, newer_than: float | None = None) -> tuple[int, int, int]:
    files = size = changed = 0
    for root, _, names in os.walk(d):
        for nm in names:
            st = os.stat(os.path.join(root, nm))
            files += 1
            size += st.st_size
            if newer_than is not None and st.st_mtime >= newer_than:
                changed += 1
    return files, size, changed


def fmt_s(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s  (runs: {', '.join(f'{x:.2f}' for x in xs)})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jkan", required=True, type=Path, help="JKAN checkout (not modified)")
    ap.add_argument("--datasets", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=1800, help="per jekyll run, seconds")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--keep", action="store_true", help="keep the temporary site")
    ap.add_argument("--no-incremental", action="store_true")
    ap.add_argument("--jkan-commit", default="",
                    help="JKAN commit to print when --jkan is not a git checkout")
    a = ap.parse_args(argv)

    if shutil.which("jekyll") is None or shutil.which("ruby") is None:
        raise SystemExit("error: `jekyll` (and `ruby`) not found on PATH; install it, "
                         "e.g. `apt-get install -y jekyll` (Debian bookworm: jekyll 4.3.1) "
                         "plus JKAN's plugins (ruby-jekyll-github-metadata, "
                         "ruby-jekyll-paginate-v2, ruby-jekyll-relative-links, "
                         "ruby-jekyll-titles-from-headings)")
    if not (a.jkan / "_config.yml").is_file() or not (a.jkan / "_layouts" / "dataset.html").is_file():
        raise SystemExit(f"error: {a.jkan} does not look like a JKAN tree "
                         "(no _config.yml / _layouts/dataset.html)")
    if a.datasets < 1 or a.runs < 1:
        raise SystemExit("error: --datasets and --runs must be >= 1")

    env = dict(os.environ, JEKYLL_ENV="production", JEKYLL_NO_BUNDLER_REQUIRE="true",
               LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("JEKYLL_GITHUB_TOKEN", None)
    ver = subprocess.run(["jekyll", "--version"], capture_output=True, text=True,
                         env=env).stdout.strip()
    rubyver = subprocess.run(["ruby", "--version"], capture_output=True, text=True).stdout.strip()
    commit = a.jkan_commit
    if not commit and (a.jkan / ".git").exists():
        commit = subprocess.run(["git", "-C", str(a.jkan), "rev-parse", "HEAD"],
                                capture_output=True, text=True).stdout.strip()

    tmp = Path(tempfile.mkdtemp(prefix="jkan-peer-"))
    site = tmp / "site"
    try:
        t0 = time.perf_counter()
        info = prepare_site(a.jkan, site, a.datasets, env, a.seed)
        gen_s = time.perf_counter() - t0
        print(f"jekyll:        {ver}  ({rubyver})")
        if commit:
            print(f"JKAN commit:   {commit}")
        print(f"site:          {site}")
        print(f"datasets:      {a.datasets} generated (site prepared in {gen_s:.1f} s; "
              f"{info['source_bytes'] / 1e6:.1f} MB of front matter), {len(ORGS)} organisations")
        print(f"plugins:       {', '.join(info['plugins']) or '-'}")
        print(f"disabled:      {', '.join(info['disabled']) or 'none'}")
        print(f"command:       JEKYLL_ENV=production JEKYLL_NO_BUNDLER_REQUIRE=true "
              f"jekyll build --config {info['configs']}")
        sys.stdout.flush()

        # ---- full builds
        walls, inner = [], []
        for k in range(a.runs):
            clean(site)
            w, d, _ = run_jekyll(site, info["configs"], env, False, a.timeout)
            walls.append(w)
            if d is not None:
                inner.append(d)
            print(f"  full build run {k + 1}: {w:.2f} s wall"
                  + (f", jekyll 'done in' {d:.2f} s" if d is not None else ""))
            sys.stdout.flush()
        files, size, _ = tree_stats(site / "_site")
        print(f"full build:    {fmt_s(walls)}  [median wall, incl. ruby start-up]")
        if inner:
            print(f"               {statistics.median(inner):.2f} s median as reported by jekyll")
        print(f"output:        {files} files, {size / 1e6:.1f} MB in _site")
        print(f"peak RSS:      {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB "
              f"(largest child process)")
        sys.stdout.flush()

        # ---- incremental
        if not a.no_incremental:
            clean(site)
            w, d, _ = run_jekyll(site, info["configs"], env, True, a.timeout)
            print(f"  initial --incremental build (clean): {w:.2f} s wall")
            incs, changed_counts, stale = [], [], []
            stem = info["stems"][len(info["stems"]) // 2]
            idx = len(info["stems"]) // 2
            for k in range(a.runs):
                marker = f" [edit{k + 1}]"
                _, text = dataset_doc(idx, random.Random(a.seed), marker)
                time.sleep(1.1)  # mtime granularity
                start = time.time()
                (site / "_datasets" / f"{stem}.md").write_text(text, encoding="utf-8")
                w, d, _ = run_jekyll(site, info["configs"], env, True, a.timeout)
                incs.append(w)
                _, _, changed = tree_stats(site / "_site", newer_than=start)
                changed_counts.append(changed)
                page = (site / "_site" / "datasets" / stem / "index.html").read_text(encoding="utf-8")
                listing = (site / "_site" / "datasets" / "index.html").read_text(encoding="utf-8")
                ok_page, ok_list = marker in page, marker in listing
                if not (ok_page and ok_list):
                    stale.append(f"run {k + 1}: dataset page {'updated' if ok_page else 'STALE'}, "
                                 f"/datasets/ listing {'updated' if ok_list else 'STALE'}")
                print(f"  incremental run {k + 1}: {w:.2f} s wall, {changed} output files rewritten"
                      + (f", jekyll 'done in' {d:.2f} s" if d is not None else ""))
                sys.stdout.flush()
            print(f"incremental:   {fmt_s(incs)}  [one dataset file edited, jekyll build --incremental]")
            print(f"               output files rewritten per edit: {changed_counts}")
            print("               output check: " + ("; ".join(stale) if stale else
                  "edited dataset page and /datasets/ listing both updated"))
        return 0
    finally:
        if a.keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
