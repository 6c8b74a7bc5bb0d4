"""Catalog API benchmark: 10,000 Japanese datasets, one uvicorn worker.

    .venv/bin/python bench/api.py [--datasets 10000] [--seconds 10] [--connections 8]
                                  [--database-url URL]

Loads generated datasets straight into the store (not through HTTP), starts
`kokai.catalog` under one uvicorn worker in a subprocess, and drives it from a
second process on 127.0.0.1 with a small keep-alive HTTP/1.1 client written
on asyncio (a Python client is itself a bottleneck on 2 cores, so the first
scenario measures that ceiling against the trivial `/api` endpoint). Prints
requests/s and p50/p99 latency per scenario and each against the targets
(SQLite, one worker: package_show >= 1500 req/s, selective search >= 800,
broad two-character search >= 300, p99 < 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WARDS = ["中央区", "北区", "東区", "南区", "西区", "港区", "緑区", "若葉区", "花見川区", "美浜区"]
TOPICS = {  # broad words, each in about 20% of datasets
    "避難": ["指定緊急避難場所", "避難所の収容人数", "避難経路", "福祉避難所"],
    "人口": ["町丁別人口", "年齢別人口", "人口動態", "将来推計人口"],
    "バス": ["コミュニティバス時刻表", "バス停留所", "バス路線", "路線バス運行状況"],
}
OTHER = [
    "AED設置場所",
    "公衆トイレ",
    "公園",
    "図書館",
    "保育園",
    "ごみ収集日",
    "観光施設",
    "文化財",
    "医療機関",
    "給水所",
    "消防水利",
    "子育て施設",
    "介護サービス事業所",
    "地域・年齢別世帯数",
    "公共施設",
    "Wi-Fiアクセスポイント",
    "イベント情報",
    "食品等営業許可",
    "学校給食献立",
]
SENTENCES = [
    "本データは市が保有する情報をオープンデータとして公開するものです。",
    "毎月末時点の情報を翌月上旬に更新します。",
    "位置情報は世界測地系（JGD2011）の緯度経度で記載しています。",
    "自治体標準オープンデータセットの項目定義に準拠しています。",
    "利用にあたっては出典を明記してください。",
    "CSV形式のほか、GeoJSON形式でも提供しています。",
    "施設の名称、所在地、電話番号、開設時間を掲載しています。",
    "データの正確性については万全を期していますが、保証するものではありません。",
]
TAGS = [
    "防災",
    "福祉",
    "子育て",
    "交通",
    "観光",
    "医療",
    "教育",
    "環境",
    "人口統計",
    "施設",
    "自治体標準ODS",
    "推奨データセット",
    "GTFS",
    "地図",
    "健康",
    "高齢者",
    "文化",
    "スポーツ",
    "ごみ",
    "上下水道",
    "道路",
    "公園",
    "安全",
    "統計",
    "財政",
    "議会",
    "選挙",
    "住宅",
    "産業",
    "農業",
    "商業",
    "雇用",
    "国際",
    "男女共同参画",
    "消防",
    "救急",
    "気象",
    "水道",
    "図書",
    "生涯学習",
    "都市計画",
    "景観",
    "公共交通",
    "自転車",
    "駐車場",
    "災害",
    "ハザードマップ",
    "バリアフリー",
    "子ども",
    "障害者",
]
FORMATS = [("CSV", "text/csv"), ("JSON", "application/json"), ("GeoJSON", "application/geo+json"),
           ("PDF", "application/pdf"), ("XLSX", None)]  # fmt: skip
LICENSES = ["cc-by-4.0", "cc-by", "cc0-1.0", "gov-jp-2.0"]


def generate_catalog(config, count: int, seed: int = 4) -> dict:
    """Insert `count` datasets (30 organizations) directly through the store."""
    from sqlalchemy import bindparam, insert, update

    from kokai.catalog.db import get_engine, session_scope
    from kokai.catalog.dictize import build_package_dicts, dumps
    from kokai.catalog.models import (
        CatalogRevision,
        Group,
        Package,
        PackageExtra,
        PackageTag,
        Resource,
        SearchGram,
        Tag,
        utcnow,
    )  # fmt: skip
    from kokai.catalog.search import build_document, document_fields

    rng = random.Random(seed)
    engine = get_engine(config)
    now = utcnow()
    orgs = [
        {"id": str(uuid.uuid4()), "name": f"dept-{i:02d}", "title": f"{rng.choice(WARDS)}役所 第{i}課",
         "description": "", "image_url": "", "type": "organization", "is_organization": True,
         "approval_status": "approved", "state": "active", "created": now}
        for i in range(30)
    ]  # fmt: skip
    tags = [{"id": str(uuid.uuid4()), "name": name, "vocabulary_id": None} for name in TAGS]
    packages, resources, package_tags, extras, grams = [], [], [], [], []
    topic_words = list(TOPICS)
    for pk in range(1, count + 1):
        org = rng.choice(orgs)
        roll = rng.random()
        topic = topic_words[int(roll / 0.2)] if roll < 0.6 else None
        subject = rng.choice(TOPICS[topic]) if topic else rng.choice(OTHER)
        ward = rng.choice(WARDS)
        title = f"{ward}の{subject}（{2015 + pk % 11}年度）"
        notes = f"{ward}の{subject}に関するデータです。" + "".join(rng.sample(SENTENCES, 4))
        chosen_tags = rng.sample(tags, rng.randint(2, 5))
        package_id = str(uuid.uuid4())
        modified = now - timedelta(minutes=pk)
        resource_names = []
        for position in range(rng.randint(1, 3)):
            fmt, mimetype = rng.choice(FORMATS)
            name = f"{subject} {fmt}"
            resource_names.append(name)
            resources.append(
                {"id": str(uuid.uuid4()), "package_id": package_id, "position": position,
                 "url": f"https://example.jp/data/{pk}/{position}.{fmt.lower()}", "format": fmt,
                 "name": name, "description": None, "hash": "", "mimetype": mimetype,
                 "created": modified, "metadata_modified": modified, "extras": "{}",
                 "state": "active"}
            )  # fmt: skip
        fields = document_fields(
            f"dataset-{pk:05d}",
            title,
            notes,
            [t["name"] for t in chosen_tags],
            org["title"],
            [],
            resource_names,
        )
        search_text, doc_grams = build_document(fields)
        packages.append(
            {"pk": pk, "id": package_id, "name": f"dataset-{pk:05d}", "title": title,
             "notes": notes, "license_id": rng.choice(LICENSES), "type": "dataset",
             "owner_org": org["id"], "metadata_created": modified, "metadata_modified": modified,
             "private": pk % 50 == 0, "state": "active", "search_text": search_text}
        )  # fmt: skip
        package_tags += [
            {"package_id": package_id, "tag_id": t["id"], "state": "active"} for t in chosen_tags
        ]
        extras.append({"package_id": package_id, "key": "update_frequency", "value": "monthly"})
        grams += [{"gram": g, "package_pk": pk, "weight": w} for g, w in doc_grams.items()]
    with engine.begin() as connection:  # Core executemany: no ORM objects
        for model, rows in ((Group, orgs), (Tag, tags), (Package, packages),
                            (Resource, resources), (PackageTag, package_tags),
                            (PackageExtra, extras), (SearchGram, grams)):  # fmt: skip
            connection.execute(insert(model.__table__), rows)
        connection.execute(update(CatalogRevision.__table__).values(revision=1))
    # The stored package_show JSON, as package writes keep it.
    with session_scope(engine) as session:
        package_t = Package.__table__
        for first in range(1, count + 1, 500):
            built = build_package_dicts(session, list(range(first, min(first + 500, count + 1))))
            session.connection().execute(
                update(package_t).where(package_t.c.pk == bindparam("row_pk")),
                [{"row_pk": row["pk"], "data_json": dumps(data).decode()} for row, data in built],
            )
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    return {
        "datasets": count,
        "organizations": [o["name"] for o in orgs],
        "tags": TAGS,
        "names": [p["name"] for p in packages if not p["private"]],
        "grams": len(grams),
    }


# ---------------------------------------------------------------- load client


async def _worker(host, port, paths, offset, deadline, latencies, errors):
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    while time.perf_counter() < deadline:
        path = paths[i % len(paths)]
        i += 7
        started = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if not head.startswith(b"HTTP/1.1 200"):
            errors.append(head.split(b"\r\n", 1)[0].decode())
    writer.close()


async def _drive(host, port, paths, seconds, connections):
    latencies: list[float] = []
    errors: list[str] = []
    # warm-up, not measured
    await asyncio.gather(*(
        _worker(host, port, paths, n, time.perf_counter() + 1, [], []) for n in range(connections)
    ))  # fmt: skip
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(
        _worker(host, port, paths, n, deadline, latencies, errors) for n in range(connections)
    ))  # fmt: skip
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def drive_main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    result = asyncio.run(
        _drive(spec["host"], spec["port"], spec["paths"], spec["seconds"], spec["connections"])
    )
    print(json.dumps(result))


def serve_main(database_url: str, port: int) -> None:
    import uvicorn

    from kokai.config import Config
    from kokai.web.app import create_app

    config = Config(root=Path(tempfile.gettempdir()), database_url=database_url)
    uvicorn.run(
        create_app(config),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        workers=None,
    )


# ---------------------------------------------------------------- main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def action_path(name: str, **params) -> str:
    return f"/api/3/action/{name}?" + urlencode(params, quote_via=quote)


def run_scenarios(args, workdir: Path, database_url: str, scenarios, cache: bool) -> list[dict]:
    """Start one server, drive each scenario from a second process, print a row each."""
    port = free_port()
    env = {**os.environ, "KOKAI_SEARCH_RESULT_CACHE": "1" if cache else "0"}
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", database_url, str(port)], cwd=str(REPO), env=env
    )
    results = []
    try:
        wait_ready(port)
        for title, paths, target in scenarios:
            spec = workdir / "spec.json"
            spec.write_text(json.dumps({
                "host": "127.0.0.1", "port": port, "paths": paths,
                "seconds": args.seconds, "connections": args.connections,
            }))  # fmt: skip
            out = subprocess.run(
                [sys.executable, __file__, "--drive", str(spec)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(out.stdout.strip().splitlines()[-1])
            verdict = ""
            if target:
                rps_target, p99_target = target
                ok = (rps_target is None or result["rps"] >= rps_target) and (
                    result["p99_ms"] < p99_target
                )
                goal = f">= {rps_target} req/s, " if rps_target else ""
                verdict = f"{'OK  ' if ok else 'MISS'} ({goal}p99 < {p99_target} ms)"
            if result["errors"]:
                verdict += f"  {result['errors']} errors: {result['first_error']}"
            print(f"{title:<48} {result['rps']:>8.0f} {result['p50_ms']:>8.2f} "
                  f"{result['p99_ms']:>8.2f}  {verdict}", flush=True)  # fmt: skip
            results.append({"scenario": title, **result})
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp dir")
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--drive", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_main(args.serve[0], int(args.serve[1]))
        return 0
    if args.drive:
        drive_main(args.drive)
        return 0

    from kokai.catalog.db import dispose_engine
    from kokai.config import Config

    workdir = Path(tempfile.mkdtemp(prefix="kokai-bench-"))
    try:
        database_url = args.database_url or f"sqlite:///{workdir / 'catalog.sqlite3'}"
        config = Config(root=workdir, database_url=database_url)
        started = time.perf_counter()
        catalog = generate_catalog(config, args.datasets)
        dispose_engine(config)
        print(
            f"loaded {catalog['datasets']} datasets ({catalog['grams']} index bigrams) "
            f"in {time.perf_counter() - started:.1f} s into {database_url.split('://')[0]}"
        )
        rng = random.Random(7)
        names = catalog["names"]
        orgs, tags = catalog["organizations"], catalog["tags"]
        facet_fields = json.dumps(["organization", "tags", "res_format", "license_id"])
        scenarios = [
            ("client ceiling (GET /api)", ["/api"], None),
            ("package_show", [action_path("package_show", id=rng.choice(names)) for _ in range(2000)],
             (1500, 50)),
            ("selective package_search (fq org + tag)",
             [action_path("package_search", fq=f'organization:{rng.choice(orgs)} AND tags:"{rng.choice(tags)}"')
              for _ in range(500)], (800, 50)),
            ("broad 2-char search (q=避難/人口/バス)",
             [action_path("package_search", q=word, start=start)
              for word in TOPICS for start in (0, 10, 20)], (300, 50)),
            ("faceted search (q + 4 facets)",
             [action_path("package_search", q=word, **{"facet.field": facet_fields})
              for word in TOPICS], (None, 50)),
        ]  # fmt: skip
        print(f"client: {args.connections} keep-alive connections, {args.seconds:g} s per scenario "
              "after 1 s of warm-up; server: 1 uvicorn worker")  # fmt: skip
        print(f"{'scenario':<48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  target")
        results = run_scenarios(args, workdir, database_url, scenarios, cache=True)
        # The same searches with the per-revision result cache off: every request
        # matches, sorts and counts facets again (the cost of a first-time query).
        uncached = [(f"{title} [no result cache]", paths, target)
                    for title, paths, target in scenarios[3:]]  # fmt: skip
        run_scenarios(args, workdir, database_url, uncached, cache=False)
        ceiling = results[0]["rps"]
        print(
            f"(package_show runs at {results[1]['rps'] / ceiling:.0%} of the client+server ceiling)"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the database too, unless given by URL
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
