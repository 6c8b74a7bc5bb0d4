"""Benchmark of the static site's search index (kokai/site/search_index.py).

Generates N Japanese-like datasets (default 10,000), then prints:
- full build seconds (median of 3) and one-dataset update seconds (median of 5,
  alternating an edit of an existing dataset and the addition of a new one);
- total index size, number of files, largest shard;
- bytes a browser transfers for typical queries: meta.json + modified.json +
  the shards of the query's tokens + the doc chunks of the first 20 results,
  measured by running search.js itself in node against the built files.

Usage: .venv/bin/python bench/search_index.py [N]
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from kokai.site.search_index import SearchDoc, SearchIndex

ROOT = Path(__file__).resolve().parents[1]
SEARCH_JS = ROOT / "kokai" / "site" / "static" / "search.js"
QUERIES = ["避難", "バス", "人口 統計", "AED"]

PLACES = [
    "潮見市", "北区", "南区", "中央区", "東区", "西区", "港区", "緑区", "青葉区", "桜台",
    "山手町", "浜町", "川辺地区", "旭ヶ丘", "本町", "駅前", "新田", "若葉台", "大野", "松原",
]
TOPICS = [
    ("指定避難所一覧", ["防災", "避難所"], "防災危機管理課"),
    ("指定緊急避難場所", ["防災", "避難所"], "防災危機管理課"),
    ("避難行動要支援者名簿の集計", ["防災", "福祉"], "福祉政策課"),
    ("AED設置箇所一覧", ["AED", "救急"], "消防本部"),
    ("人口統計（町丁目別）", ["人口", "統計"], "市民課"),
    ("年齢別人口", ["人口", "統計"], "市民課"),
    ("世帯数の推移", ["人口", "統計"], "市民課"),
    ("コミュニティバス時刻表", ["交通", "バス"], "交通政策課"),
    ("コミュニティバス停留所一覧", ["交通", "バス", "バス停"], "交通政策課"),
    ("路線バス乗降客数", ["交通", "バス"], "交通政策課"),
    ("公共施設一覧", ["公共施設"], "資産経営課"),
    ("公衆トイレ一覧", ["公共施設", "観光"], "環境課"),
    ("子育て支援施設一覧", ["子育て"], "子ども家庭課"),
    ("保育所の入所状況", ["子育て", "保育"], "保育課"),
    ("介護サービス事業所一覧", ["介護", "福祉"], "介護保険課"),
    ("図書館の蔵書数", ["図書館", "教育"], "中央図書館"),
    ("図書館一覧", ["図書館", "公共施設"], "中央図書館"),
    ("文化財一覧", ["文化財", "観光"], "文化振興課"),
    ("観光施設一覧", ["観光"], "観光課"),
    ("医療機関一覧", ["医療", "健康"], "健康増進課"),
    ("ごみ収集日カレンダー", ["ごみ", "環境"], "環境課"),
    ("消防水利の位置", ["消防", "防災"], "消防本部"),
    ("都市計画道路", ["都市計画"], "都市計画課"),
    ("市税の収納状況", ["財政", "税"], "税務課"),
    ("予算の概要", ["財政"], "財政課"),
    ("Wi-Fiアクセスポイント一覧", ["Wi-Fi", "観光"], "情報政策課"),
    ("学校給食の献立", ["教育", "給食"], "学校教育課"),
    ("小中学校一覧", ["教育", "学校"], "学校教育課"),
    ("地域・年齢別の投票者数", ["選挙"], "選挙管理委員会事務局"),
    ("イベント一覧", ["イベント", "観光"], "広報課"),
]
SENTENCES = [
    "{place}の{topic}を掲載しています。",
    "令和{year}年度の{topic}です。毎年{month}月に更新します。",
    "データは{org}が作成し、内容に変更があった場合は随時更新します。",
    "位置情報は世界測地系（JGD2011）の緯度経度で記載しています。",
    "推奨データセットの項目定義に準拠しています。",
    "収容人数や電話番号、バリアフリー対応の有無を含みます。",
    "災害時には最新の情報を市のホームページで確認してください。",
    "コミュニティバスの運行は平日のみです。祝日は運休します。",
    "住民基本台帳に基づく{month}月1日現在の人口と世帯数です。",
    "AED（自動体外式除細動器）は施設の開館時間内に利用できます。",
    "子育て世帯向けの支援制度の概要を含みます。",
    "介護保険の指定を受けた事業所の名称、所在地、サービス種別です。",
    "図書館ごとの開館時間と休館日を含みます。",
    "CSV形式とExcel形式で提供しています。文字コードはUTF-8です。",
    "個人情報は含みません。",
    "統計表の数値は四捨五入しているため、合計と内訳が一致しない場合があります。",
    "GTFS-JP形式の標準的なバス情報フォーマットで提供しています。",
    "公共施設の床面積、建築年、耐震化の状況を掲載しています。",
]
LICENSES = [("cc-by-4.0", "クリエイティブ・コモンズ 表示 4.0 国際"), ("cc0-1.0", "CC0 1.0"),
            ("odc-by", "Open Data Commons Attribution")]


def romanize(i: int) -> str:
    return f"ds-{i:05d}"


def generate(count: int, seed: int = 1) -> list[SearchDoc]:
    rng = random.Random(seed)
    orgs = sorted({org for _, _, org in TOPICS})
    docs = []
    for i in range(count):
        topic, tags, org = rng.choice(TOPICS)
        place = rng.choice(PLACES)
        year = rng.randint(1, 8)
        title = f"{place} {topic}" if rng.random() < 0.6 else f"{topic}（令和{year}年度）"
        fields = {
            "place": place, "topic": topic, "year": year, "month": rng.randint(1, 12), "org": org,
        }
        notes = "".join(
            rng.choice(SENTENCES).format(**fields) for _ in range(rng.randint(3, 12))
        )
        formats = rng.choice([("CSV",), ("CSV", "XLSX"), ("GeoJSON", "CSV"), ("PDF",),
                              ("GTFS",) if "バス" in topic else ("JSON",)])
        lic = rng.choice(LICENSES)
        docs.append(SearchDoc(
            name=romanize(i),
            title=title,
            notes=notes,
            organization=f"org-{orgs.index(org):02d}",
            organization_title=org,
            tags=tuple(tags + rng.sample(PLACES[:6], rng.randint(0, 1))),
            formats=formats,
            license_id=lic[0],
            license_title=lic[1],
            modified=f"20{rng.randint(18, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            path=f"dataset/{romanize(i)}/",
        ))
    return docs


NODE_QUERY = r"""
const fs = require('fs');
const path = require('path');
const {createSearcher} = require(process.argv[1]);
const root = process.argv[2];
const queries = JSON.parse(process.argv[3]);
(async () => {
  const out = [];
  for (const q of queries) {
    const searcher = createSearcher('', async (p) => JSON.parse(fs.readFileSync(path.join(root, p), 'utf8')));
    const t0 = process.hrtime.bigint();
    const result = await searcher.search(q, {});
    const docs = await result.page(0);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    out.push({q, total: result.total, shown: docs.length, files: searcher.fetched, ms,
              top: docs.slice(0, 3).map(d => d.title)});
  }
  console.log(JSON.stringify(out));
})();
"""


def median_time(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_queries(root: Path, queries: list[str]) -> list[dict]:
    """Run search.js in node on the built index under `root` (…/search/): for each
    query, its hits, the files a browser fetches and their bytes (raw and gzipped)."""
    result = subprocess.run(
        ["node", "-e", NODE_QUERY, str(SEARCH_JS), str(root) + "/", json.dumps(queries)],
        capture_output=True, text=True, check=True,
    )
    out = []
    for query in json.loads(result.stdout):
        query["bytes"] = sum((root / p).stat().st_size for p in query["files"])
        query["gzipped"] = sum(len(gzip.compress((root / p).read_bytes())) for p in query["files"])
        out.append(query)
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    docs = generate(count)
    work = Path(tempfile.mkdtemp(prefix="kokai-search-bench-"))
    try:
        index = SearchIndex(work / "site", work / "state")
        build = median_time(lambda: index.build(docs), 3)

        rng = random.Random(7)
        updates, cpu, rewritten = [], [], []
        for i in range(5):
            if i % 2 == 0:  # an existing dataset republished with a new resource
                doc = rng.choice(docs)
                changed = replace(doc, modified="2026-11-27", formats=(*doc.formats, "JSON"))
            else:  # a new dataset
                changed = replace(generate(1, seed=100 + i)[0], name=f"new-{i}",
                                  path=f"dataset/new-{i}/")
            start, start_cpu = time.perf_counter(), time.process_time()
            rewritten.append(len(index.update([changed], [])))
            updates.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        update = statistics.median(updates)

        sizes = index.sizes()
        print(f"datasets: {count:,}")
        print(f"full build: {build:.3f} s (median of 3)")
        print(f"one-dataset update: {update * 1000:.1f} ms wall, "
              f"{statistics.median(cpu) * 1000:.1f} ms CPU (median of 5; edit/new/edit/new/edit "
              f"runs {', '.join(f'{t * 1000:.0f}' for t in updates)} ms wall, "
              f"{', '.join(f'{t * 1000:.0f}' for t in cpu)} ms CPU; "
              f"files rewritten {rewritten}); update / full build = {update / build:.3f}")
        print(f"index: {sizes['total_bytes'] / 1e6:.2f} MB in {sizes['files']:,} files "
              f"({sizes['shards']} shards, largest {sizes['largest_shard'] / 1e3:.1f} kB; "
              f"{sizes['chunks']} doc chunks, largest {sizes['largest_chunk'] / 1e3:.1f} kB; "
              f"modified.json {sizes['modified_bytes'] / 1e3:.1f} kB)")

        for query in measure_queries(work / "site" / "search", QUERIES):
            print(f"query {query['q']!r}: {query['total']:,} hits, {len(query['files'])} files, "
                  f"{query['bytes'] / 1e3:.1f} kB ({query['gzipped'] / 1e3:.1f} kB gzipped), "
                  f"node search+first page {query['ms']:.1f} ms; top: {query['top']}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
