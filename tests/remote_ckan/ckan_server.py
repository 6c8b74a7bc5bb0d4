"""A real CKAN 2.12.0 on 127.0.0.1 for kokai's integration tests.

CKAN comes from PyPI into its own virtualenv, `.tools/ckan-2.12.0/`, made by
`make ckan` (CKAN pins its own SQLAlchemy, Flask, alembic ..., so it never
shares the project's .venv). `RealCkan.start()` follows the recipe in
../shared/reference/ckan-api.md, section 14:

  throwaway PostgreSQL cluster -> Solr stand-in -> `ckan generate config`
  -> sqlalchemy.url, ckan.site_url, solr_url, ckan.storage_path
  -> `ckan db init` -> `ckan sysadmin add --create` -> `ckan user token add`
  -> `ckan run` without the reloader -> wait for status_show.

Everything runs as separate processes against CKAN's own interpreter; this
module only drives them and is imported by the project's pytest.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import PostgresCluster, find_postgres_bin, free_port

from .solr_standin import SolrStandIn

CKAN_VERSION = "2.12.0"
REPO_ROOT = Path(__file__).resolve().parents[2]
CKAN_VENV = REPO_ROOT / ".tools" / f"ckan-{CKAN_VERSION}"
# Written by `make ckan` as its last step: a venv without it is half-installed.
INSTALLED_STAMP = CKAN_VENV / ".installed"

SYSADMIN = "kokai-sysadmin"
START_TIMEOUT_S = 90
CLI_TIMEOUT_S = 180


class PrerequisiteMissing(RuntimeError):
    """CKAN's virtualenv or PostgreSQL's server binaries are not on this machine."""


class CkanStartError(RuntimeError):
    pass


def installed_ckan_venv(venv: Path = CKAN_VENV) -> Path:
    """The CKAN virtualenv, or PrerequisiteMissing saying how to get it."""
    if not (venv / ".installed").exists() or not (venv / "bin" / "ckan").exists():
        raise PrerequisiteMissing(
            f"CKAN {CKAN_VERSION} is not installed in {venv}: "
            "run `make ckan` (pip install from PyPI, about a minute)"
        )
    return venv


def _set_ini_options(ini: Path, options: dict[str, str]) -> None:
    """Set `key = value` lines of the generated ckan.ini in place (all the
    keys we set are present in [app:main] of CKAN's generated file)."""
    text = ini.read_text()
    for key, value in options.items():
        pattern = re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)
        if not pattern.search(text):
            raise CkanStartError(f"{ini}: no `{key}` line in the generated config")
        text = pattern.sub(lambda _m, k=key, v=value: f"{k} = {v}", text, count=1)
    ini.write_text(text)


class RealCkan:
    """One running CKAN with its database, Solr stand-in and storage folder.

    Attributes for tests: `url`, `token` (a sysadmin API token), `storage_path`,
    `version`; `remote()` gives a fresh ckanapi.RemoteCKAN; `purge_all()`
    empties the catalog between tests."""

    def __init__(
        self,
        venv: Path | None = None,
        plugins: tuple[str, ...] = (),
        plugin_migrations: tuple[str, ...] = (),
        with_redis: bool = False,
    ):
        """`plugins` go into ckan.plugins; `plugin_migrations` names those whose
        tables `ckan db upgrade -p NAME` creates; `with_redis` starts a
        throwaway Redis (Debian's redis-server) for plugins that queue work."""
        self.venv = installed_ckan_venv(venv or CKAN_VENV)
        self.plugins = plugins
        self.plugin_migrations = plugin_migrations
        self.redis_bin: Path | None = None
        if with_redis:
            found = shutil.which("redis-server")
            if found is None:
                raise PrerequisiteMissing(
                    "no redis-server (Debian package); `make ckan` installs it"
                )
            self.redis_bin = Path(found)
        self.redis: subprocess.Popen | None = None
        self.ckan_bin = self.venv / "bin" / "ckan"
        postgres_bin = find_postgres_bin()
        if postgres_bin is None:
            raise PrerequisiteMissing(
                "no PostgreSQL server binaries (initdb/pg_ctl); `make postgres` installs them"
            )
        self.postgres_bin = postgres_bin
        self.workdir = Path(tempfile.mkdtemp(prefix="kokai-ckan-"))
        self.ini = self.workdir / "ckan.ini"
        self.storage_path = self.workdir / "storage"
        self.log_path = self.workdir / "ckan.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self.version = CKAN_VERSION
        self.postgres: PostgresCluster | None = None
        self.solr: SolrStandIn | None = None
        self.process: subprocess.Popen | None = None
        self.startup_seconds = 0.0

    # -- life cycle -------------------------------------------------------

    def start(self) -> RealCkan:
        began = time.monotonic()
        try:
            self._start_postgres()
            self.solr = SolrStandIn(
                self.venv_site_packages() / "ckan" / "config" / "solr" / "schema.xml"
            ).start()
            self._start_redis()
            self._configure()
            self.cli("db", "init")
            for plugin in self.plugin_migrations:
                self.cli("db", "upgrade", "-p", plugin)
            self.cli("sysadmin", "add", "--create", SYSADMIN,
                      f"email={SYSADMIN}@example.invalid", "password=kokai-test-password")  # fmt: skip
            out = self.cli("user", "token", "add", SYSADMIN, "kokai-tests", "--quiet")
            self.token = out.strip().splitlines()[-1].strip()
            self._run_server()
        except BaseException:
            self.stop(keep_logs=True)
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self, keep_logs: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            # `ckan run` leads its own process group (start_new_session), so
            # this ends the server and nothing else.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.process = None
        if self.redis is not None:
            self.redis.terminate()
            try:
                self.redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
                self.redis.wait(timeout=10)
            self.redis = None
        if self.solr is not None:
            self.solr.stop()
            self.solr = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
        if not keep_logs:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> RealCkan:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- for tests --------------------------------------------------------

    def remote(self, anonymous: bool = False):
        """A fresh ckanapi.RemoteCKAN on this CKAN, as the sysadmin (or as
        nobody, to see what the public sees)."""
        import ckanapi

        key = None if anonymous else self.token
        return ckanapi.RemoteCKAN(self.url, apikey=key, user_agent="kokai-tests")

    def purge_all(self) -> None:
        """Purge every dataset (any state, public or private), organization and
        group, through CKAN's own purge actions. The ids come from CKAN's
        database: package_list hides private and deleted datasets, and
        searching would ask the Solr stand-in, which knows nothing."""
        packages = self.query("SELECT id FROM package")
        groups = self.query('SELECT id, is_organization FROM "group"')
        with self.remote() as ckan:
            for (package_id,) in packages:
                ckan.action.dataset_purge(id=package_id)
            for group_id, is_organization in groups:
                if is_organization:
                    ckan.action.organization_purge(id=group_id)
                else:
                    ckan.action.group_purge(id=group_id)
        # Purging keeps uploaded files; a clean slate has none.
        shutil.rmtree(self.storage_path / "resources", ignore_errors=True)

    def uploaded_file(self, resource_id: str) -> Path:
        """Where CKAN's default uploader keeps an uploaded resource's bytes."""
        return self.storage_path / "resources" / resource_id[:3] / resource_id[3:6] / resource_id[6:]

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no CKAN log)"
        return "\n".join(text.splitlines()[-lines:])

    def venv_site_packages(self) -> Path:
        found = sorted((self.venv / "lib").glob("python3*/site-packages"))
        if not found:
            raise CkanStartError(f"no site-packages in {self.venv}")
        return found[-1]

    @property
    def database_url(self) -> str:
        assert self.postgres is not None
        return f"postgresql://postgres@127.0.0.1:{self.postgres.port}/ckan"

    # -- steps ------------------------------------------------------------

    def _start_postgres(self) -> None:
        self.postgres = PostgresCluster(self.postgres_bin)
        try:
            self.postgres.start()
        except subprocess.CalledProcessError as exc:
            raise CkanStartError(
                f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}"
            ) from exc
        self.postgres.execute("CREATE DATABASE ckan")

    def _configure(self) -> None:
        assert self.solr is not None
        self.storage_path.mkdir()
        self.cli("generate", "config", str(self.ini), with_config=False)
        _set_ini_options(self.ini, {
            "sqlalchemy.url": self.database_url,
            "ckan.site_url": self.url,
            "solr_url": self.solr.solr_url,
            "ckan.storage_path": str(self.storage_path),
            # Nothing to watch: the server must not restart when tests write files.
            "ckan.devserver.watch_patterns": "",
            # Without our own Redis, a port nobody listens on (CKAN then keeps
            # sessions in cookies and logs that it could not connect) rather than
            # some other Redis on the machine's default port.
            "ckan.redis.url": f"redis://127.0.0.1:{self.redis_port}/0",
            "ckan.plugins": " ".join(self.plugins),
        })  # fmt: skip

    def _start_redis(self) -> None:
        self.redis_port = free_port()
        if self.redis_bin is None:
            return
        self.redis = subprocess.Popen(
            [str(self.redis_bin), "--bind", "127.0.0.1", "--port", str(self.redis_port),
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1):
                    return
            except OSError:
                if self.redis.poll() is not None or time.monotonic() > deadline:
                    raise CkanStartError("redis-server did not start") from None
                time.sleep(0.05)

    def _env(self) -> dict[str, str]:
        """CKAN's processes get the machine's environment without the
        project's virtualenv and without CKAN_* overrides (CKAN reads e.g.
        CKAN_SQLALCHEMY_URL before its ini)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CKAN_") and k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
        }
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def cli(self, *args: str, with_config: bool = True) -> str:
        """Run `ckan [-c ckan.ini] ARGS...` with CKAN's interpreter; its output
        goes to CKAN's log too. CkanStartError when it fails."""
        command = [str(self.ckan_bin), *(["-c", str(self.ini)] if with_config else []), *args]
        result = subprocess.run(
            command, cwd=self.workdir, env=self._env(), capture_output=True, text=True,
            timeout=CLI_TIMEOUT_S, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        with self.log_path.open("a") as log:
            log.write(f"$ ckan {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise CkanStartError(
                f"`ckan {' '.join(args)}` failed (exit {result.returncode}):\n"
                f"{result.stdout}{result.stderr}"[-4000:]
            )
        return result.stdout

    def _run_server(self) -> None:
        log = self.log_path.open("a")
        log.write("$ ckan run\n")
        log.flush()
        self.process = subprocess.Popen(
            [str(self.ckan_bin), "-c", str(self.ini), "run", "--host", "127.0.0.1",
             "--port", str(self.port), "--disable-reloader", "--disable-debugger",
             "--threaded"],
            cwd=self.workdir, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        status_url = f"{self.url}/api/3/action/status_show"
        while True:
            if self.process.poll() is not None:
                raise CkanStartError(
                    f"`ckan run` exited with {self.process.returncode} before answering; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(status_url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise CkanStartError(
                    f"CKAN did not answer {status_url} within {START_TIMEOUT_S} s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def query(self, sql: str) -> list[tuple]:
        """Rows from CKAN's own database (for what no action shows)."""
        import psycopg

        with psycopg.connect(self.database_url) as connection:
            return list(connection.execute(sql))
