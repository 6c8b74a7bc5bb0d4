"""Fixtures for the catalog: the app on SQLite and on a throwaway PostgreSQL,
a module-wide app (`server`), and a live uvicorn server on a free 127.0.0.1
port for ckanapi. Users and tokens are made with the catalog's own actions
(`user_create`, `organization_member_create`, `api_token_create`) run by
the app's `LocalCatalog` as the site, as `kokai user add` does."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine, get_engine
from kokai.catalog.errors import NotFound
from kokai.config import Config

# The real-browser fixtures, here once for every browser folder: the session's one
# Chromium (two Playwright instances cannot run in one thread).
from tests.browser_support import (  # noqa: F401 - pytest finds fixtures by name
    axe_violations,
    browser,
    node_modules,
    outside_requests,
    page,
    static_server,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_postgres_bin() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A PostgreSQL cluster in a temp dir on a free loopback port, run as the
    `postgres` OS user when we are root (initdb refuses root)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="kokai-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.sockets.mkdir()
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            self.prefix = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self.counter = itertools.count()

    def run(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, *args], check=True, cwd=self.root, capture_output=True, timeout=120
        )

    def start(self) -> None:
        self.run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                 "-A", "trust", "-E", "UTF8", "--no-locale")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                 str(self.root / "server.log"), "-w", "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        try:
            self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres").replace("+psycopg", ""), autocommit=True) as c:
            c.execute(sql)

    def new_database(self, template: str | None = None) -> str:
        name = f"kokai_{next(self.counter)}"
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_cluster():
    bindir = find_postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb/pg_ctl); `make postgres` installs them")
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        cluster.stop()
        pytest.fail(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}")
    # A migrated template: each test's database is a cheap copy of it.
    template_url = cluster.new_database()
    get_engine(template_url)
    dispose_engine(template_url)
    cluster.template = template_url.rsplit("/", 1)[1]
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite catalog; each test copies it instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "catalog.sqlite3"
    url = f"sqlite:///{path}"
    engine = get_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    dispose_engine(url)
    return path


def fresh_sqlite_url(template: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, folder / "catalog.sqlite3")
    return f"sqlite:///{folder / 'catalog.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, monkeypatch, sqlite_template) -> str:
    """A fresh, empty catalog database on each backend."""
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    if request.param == "sqlite":
        return fresh_sqlite_url(sqlite_template, tmp_path)
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database(template=cluster.template)


def make_config(root: Path, database_url: str, site_url: str = "http://testserver") -> Config:
    return Config(
        root=root,
        city_name="テスト市",
        city_code="999990",
        site_url=site_url,
        database_url=database_url,
        storage_dir=root / "storage",
    )


def add_user(
    catalog: LocalCatalog, name: str, org: str | None = None, sysadmin: bool = False
) -> str:
    """A new user's API token (an editor of `org` when given, which is created
    when missing), made through the actions as the site."""
    site = catalog.as_site()
    site.action.user_create(name=name, sysadmin=sysadmin)
    if org:
        try:
            site.action.organization_show(id=org)
        except NotFound:
            site.action.organization_create(name=org, title=org)
        site.action.organization_member_create(id=org, username=name, role="editor")
    return site.action.api_token_create(user=name, name="test")["token"]


@dataclass
class Catalog:
    """A catalog app with a sysadmin token and an HTTP client."""

    config: Config
    client: object
    sysadmin_token: str

    def call(self, action: str, data: dict | None = None, token: str | None = None,
             method: str = "POST", **kwargs):  # fmt: skip
        headers = {"Authorization": token} if token else {}
        url = f"/api/3/action/{action}"
        if method == "GET":
            return self.client.get(url, params=data or {}, headers=headers)
        if "files" in kwargs:
            return self.client.post(url, data=data or {}, headers=headers, **kwargs)
        return self.client.post(url, json=data or {}, headers=headers)

    def ok(self, action: str, data: dict | None = None, token: str | None = "sysadmin", **kwargs):
        """The result of a call that must succeed (as sysadmin unless a token or None)."""
        token = self.sysadmin_token if token == "sysadmin" else token
        response = self.call(action, data, token=token, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True
        return body["result"]

    @property
    def local(self) -> LocalCatalog:
        """The app's own LocalCatalog (shares its sessions and package cache)."""
        return self.client.app.state.catalog

    def user(self, name: str, org: str | None = None, sysadmin: bool = False) -> str:
        """A new user's token (an editor of `org` when given)."""
        return add_user(self.local, name, org=org, sysadmin=sysadmin)


@contextmanager
def app_catalog(config: Config, **client_options) -> Iterator[Catalog]:
    """The app of `config` behind a TestClient, with a sysadmin `admin`."""
    from fastapi.testclient import TestClient

    from kokai.web.app import create_app

    app = create_app(config)
    token = add_user(app.state.catalog, "admin", sysadmin=True)
    try:
        with TestClient(app, **client_options) as client:
            yield Catalog(config, client, token)
    finally:
        dispose_engine(config)


@pytest.fixture
def catalog(tmp_path, database_url):
    with app_catalog(make_config(tmp_path, database_url)) as catalog:
        yield catalog


@pytest.fixture
def sqlite_catalog(tmp_path, monkeypatch, sqlite_template):
    """The catalog on SQLite only (for tests about the HTTP layer)."""
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    config = make_config(tmp_path, fresh_sqlite_url(sqlite_template, tmp_path))
    with app_catalog(config) as catalog:
        yield catalog


@pytest.fixture(scope="module")
def server(request, tmp_path_factory, sqlite_template):
    """One app for a whole test module, on a fresh SQLite catalog, as a dict:
    `client` (TestClient), `call(action, **request kwargs)` (as the sysadmin;
    the result, asserting success), `token`, `org` (organization `test-city`),
    `app`, `config`, `catalog` (conftest's Catalog). A module changes it with
    `SERVER_OPTIONS`: `site_url`, `org_title`, and TestClient options
    (`client=(ip, port)`, `follow_redirects`)."""
    options = dict(getattr(request.module, "SERVER_OPTIONS", {}))
    site_url = options.pop("site_url", "http://testserver")
    org_title = options.pop("org_title", "テスト市")
    root = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
        config = make_config(root, fresh_sqlite_url(sqlite_template, root), site_url=site_url)
        with app_catalog(config, **options) as catalog:

            def call(action: str, **kwargs):
                headers = {"Authorization": catalog.sysadmin_token}
                response = catalog.client.post(f"/api/3/action/{action}", headers=headers, **kwargs)
                assert response.status_code == 200, response.text
                return response.json()["result"]

            org = call("organization_create", json={"name": "test-city", "title": org_title})
            yield {
                "client": catalog.client, "call": call, "token": catalog.sysadmin_token,
                "org": org, "app": catalog.client.app, "config": config, "catalog": catalog,
            }  # fmt: skip


class LiveServer:
    """uvicorn serving a catalog in a thread, on a socket bound to a free port."""

    def __init__(self, config_root: Path, monkeypatch, template: Path):
        import uvicorn

        from kokai.web.app import create_app

        monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = make_config(
            config_root, fresh_sqlite_url(template, config_root), site_url=self.url
        )
        self.app = create_app(self.config)
        self.catalog: LocalCatalog = self.app.state.catalog  # the server's own
        self.token = add_user(self.catalog, "admin", sysadmin=True)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        dispose_engine(self.config)


@pytest.fixture
def live_server(tmp_path, monkeypatch, sqlite_template):
    with LiveServer(tmp_path / "live", monkeypatch, sqlite_template) as server:
        yield server


@pytest.fixture
def second_live_server(tmp_path, monkeypatch, sqlite_template):
    with LiveServer(tmp_path / "live2", monkeypatch, sqlite_template) as server:
        yield server


def dataset(name: str, org: str = "sample-city", **fields) -> dict:
    """A package_create dict with Japanese text."""
    return {
        "name": name,
        "title": fields.pop("title", f"{name} のデータ"),
        "owner_org": org,
        "notes": fields.pop("notes", "市が公開するオープンデータです。"),
        "license_id": fields.pop("license_id", "cc-by-4.0"),
        "tags": [{"name": t} for t in fields.pop("tags", ["オープンデータ"])],
        "resources": fields.pop(
            "resources", [{"url": f"https://example.jp/{name}.csv", "name": "CSV", "format": "CSV"}]
        ),
        **fields,
    }


def seed(catalog: Catalog) -> Catalog:
    """Two organizations, a group and five datasets (one private)."""
    catalog.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
    catalog.ok("organization_create", {"name": "other-city", "title": "となり町"})
    catalog.ok("group_create", {"name": "bousai", "title": "防災"})
    catalog.ok("package_create", dataset(
        "shelters", title="指定緊急避難場所一覧", notes="市内の避難所と収容人数。",
        tags=["防災", "避難所"], groups=[{"name": "bousai"}],
        extras=[{"key": "spatial", "value": '{"type":"Point","coordinates":[130.4,33.6]}'}],
    ))  # fmt: skip
    catalog.ok("package_create", dataset(
        "population", title="町丁別人口", notes="住民基本台帳による人口と世帯数。",
        tags=["人口統計"], license_id="cc-by",
        resources=[{"url": "https://example.jp/p.csv", "format": "CSV", "name": "人口"},
                   {"url": "https://example.jp/p.xlsx", "format": "XLSX", "name": "人口表"}],
    ))  # fmt: skip
    catalog.ok("package_create", dataset(
        "bus-gtfs", title="コミュニティバス GTFS-JP", notes="バス停と時刻表。",
        tags=["交通", "GTFS"], resources=[{"url": "https://example.jp/feed.zip", "format": "GTFS"}],
    ))  # fmt: skip
    catalog.ok("package_create", dataset(
        "aed", org="other-city", title="AED設置場所", notes="となり町のAED。", tags=["防災"],
    ))  # fmt: skip
    catalog.ok("package_create", dataset(
        "internal-ebpm", title="EBPM 内部集計（避難訓練）", private=True, tags=["内部"],
    ))  # fmt: skip
    return catalog


@pytest.fixture
def seeded(catalog):
    return seed(catalog)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def module_catalog(request, tmp_path_factory, sqlite_template) -> Iterator[Catalog]:
    """A catalog for a module-scoped fixture parametrized over BACKENDS."""
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        url = fresh_sqlite_url(sqlite_template, root)
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        url = cluster.new_database(template=cluster.template)
    with app_catalog(make_config(root, url)) as catalog:
        yield catalog


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_shared(request, tmp_path_factory, sqlite_template):
    """A seeded catalog shared by a module's read-only tests (one per backend)."""
    with module_catalog(request, tmp_path_factory, sqlite_template) as catalog:
        yield seed(catalog)


@pytest.fixture
def make_dataset():
    """The `dataset(name, org=..., **fields)` helper, for tests."""
    return dataset
