"""Per-request cost of the catalog app in-process (no sockets, no client):
the ASGI app is called directly, so the figures are steadier than bench/api.py's
on a busy 2-core machine.

    .venv/bin/python bench/api_asgi.py [--datasets 2000] [--requests 3000] [--runs 3]
                                       [--repo PATH]

`--repo` measures another checkout of kokai (e.g. an older commit in a git
worktree) with the same data and the same loop, to compare two versions in
one run. Prints the median of `--runs` runs in CPU microseconds per request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = [
    ("package_show", "/api/3/action/package_show", "id={name}"),
    ("selective package_search", "/api/3/action/package_search", "fq=organization:{org}"),
    ("broad 2-char search", "/api/3/action/package_search", "q=避難"),
    ("faceted search", "/api/3/action/package_search",
     "q=人口&facet.field=[\"organization\",\"tags\",\"res_format\",\"license_id\"]"),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    sys.path.insert(0, str(args.repo))
    from sqlalchemy import text

    from bench.api import generate_catalog
    from kokai.catalog.db import get_engine
    from kokai.config import Config

    try:
        from kokai.web.app import create_app
    except ImportError:  # before the HTTP layer moved to kokai/web
        from kokai.catalog.app import create_app

    root = Path(tempfile.mkdtemp(prefix="kokai-bench-"))
    config = Config(root=root, database_url=f"sqlite:///{root / 'catalog.sqlite3'}")
    generate_catalog(config, args.datasets)
    app = create_app(config)
    with get_engine(config).connect() as connection:
        names = [row[0] for row in connection.execute(text("SELECT name FROM package WHERE NOT private LIMIT 100"))]
        orgs = [row[0] for row in connection.execute(text("SELECT name FROM \"group\" LIMIT 10"))]

    async def call(path: str, query: str) -> None:
        scope = {
            "type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "scheme": "http",
            "root_path": "", "http_version": "1.1", "asgi": {"version": "3.0"},
        }  # fmt: skip

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start" and message["status"] != 200:
                raise SystemExit(f"{path}?{query}: HTTP {message['status']}")

        await app(scope, receive, send)

    async def measure(path: str, pattern: str) -> float:
        queries = [pattern.format(name=names[i % len(names)], org=orgs[i % len(orgs)])
                   for i in range(args.requests)]  # fmt: skip
        for query in queries[:200]:  # warm the caches
            await call(path, query)
        start = time.process_time()  # CPU time: steadier than wall time on a shared machine
        for query in queries:
            await call(path, query)
        return (time.process_time() - start) / len(queries) * 1e6

    print(f"kokai at {args.repo}; {args.datasets} datasets, SQLite; median of {args.runs} runs")
    for label, path, pattern in SCENARIOS:
        runs = [asyncio.run(measure(path, pattern)) for _ in range(args.runs)]
        print(f"{label:<28} {statistics.median(runs):8.0f} µs/request")


if __name__ == "__main__":
    main()
