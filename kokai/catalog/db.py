"""Engine and sessions for the catalog store.

    engine = get_engine(config)            # cached per URL; schema migrated to head
    with session_scope(config) as session:  # or session_scope(engine)
        session.add(...)                    # committed on exit, rolled back on error

`config.catalog_url` is a SQLAlchemy URL: a SQLite file under the data
directory by default, `postgresql+psycopg://...` for a real deployment.
On SQLite the connection uses WAL, NORMAL sync and foreign keys.

Catalog writes run one at a time (`writer(engine)`): a write transaction takes
the database's write lock when it begins, before it reads anything, so the
package dict it stores is built from what every earlier write committed.
SQLite: `BEGIN IMMEDIATE`. PostgreSQL: a transaction-level advisory lock.
A city catalog sees a few writes a minute; reads never wait for this lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kokai.config import Config
from kokai.errors import KokaiError

WRITE_OPTION = "kokai_catalog_write"  # marks the write engine's connections (for debugging)
PG_WRITE_LOCK_KEY = 0x6B6F6B6169  # "kokai": one advisory lock for catalog writes

_engines: dict[str, Engine] = {}
_sessionmakers: dict[int, sessionmaker[Session]] = {}
_writers: dict[int, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MB page cache per connection
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """Write transactions take SQLite's write lock first (pysqlite would only
    begin before the first INSERT, after the reads that the write depends on)."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_begin(connection) -> None:
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_KEY})")


def change_probe(engine: Engine) -> Callable[[], int] | None:
    """A few-microsecond check whether anything was committed to the database
    since the last call, for caches that would otherwise read a revision row
    on every request: SQLite's `PRAGMA data_version` on a connection of its
    own (it changes when any other connection commits). None for servers
    (PostgreSQL), where the revision row is read instead."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    connection = sqlite3.connect(url.database, check_same_thread=False)
    lock = threading.Lock()

    def data_version() -> int:
        with lock:
            return connection.execute("PRAGMA data_version").fetchone()[0]

    return data_version


def writer(engine: Engine) -> Engine:
    """The engine for catalog write transactions (see the module docstring): it
    shares `engine`'s pool; only it has the `begin` listener, because any
    connection event slows every statement of an engine down."""
    with _lock:
        write_engine = _writers.get(id(engine))
        if write_engine is None:
            write_engine = engine.execution_options(**{WRITE_OPTION: True})
            begin = _sqlite_begin if engine.url.get_backend_name() == "sqlite" else _postgres_begin
            event.listen(write_engine, "begin", begin)
            _writers[id(engine)] = write_engine
    return write_engine


def create_catalog_engine(url: str) -> Engine:
    """A new engine for `url` (no migration); SQLite files get their folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, pool_size=8, max_overflow=16
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=8, max_overflow=16, pool_pre_ping=True)


def get_engine(config: Config | str, migrate: bool = True) -> Engine:
    """The process-wide engine for the config's catalog, migrated to the head revision."""
    url = config if isinstance(config, str) else config.catalog_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_catalog_engine(url)
            if migrate:
                from kokai.catalog.migrations import upgrade

                try:
                    upgrade(engine)
                except OperationalError as exc:
                    engine.dispose()
                    shown = make_url(url).render_as_string(hide_password=True)
                    raise KokaiError(
                        f"カタログのデータベースに接続できません。kokai.toml の [catalog] "
                        f"database_url か KOKAI_DATABASE_URL を確認してください / cannot open "
                        f"the catalog database {shown}: {exc.orig}"
                    ) from exc
            _engines[url] = engine
    return engine


def dispose_engine(config: Config | str) -> None:
    """Close the pooled connections of a cached engine (tests, shutdown)."""
    url = config if isinstance(config, str) else config.catalog_url
    with _lock:
        engine = _engines.pop(url, None)
        if engine is not None:
            _sessionmakers.pop(id(engine), None)
            _writers.pop(id(engine), None)
            engine.dispose()


def sessionmaker_for(engine: Engine) -> sessionmaker[Session]:
    maker = _sessionmakers.get(id(engine))
    if maker is None:
        maker = sessionmaker(bind=engine, expire_on_commit=False)
        _sessionmakers[id(engine)] = maker
    return maker


@contextmanager
def session_scope(config_or_engine: Config | Engine, bind: Engine | None = None) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on an exception
    (`bind`: another connectable for it, e.g. the catalog's `writer`)."""
    engine = (
        config_or_engine if isinstance(config_or_engine, Engine) else get_engine(config_or_engine)
    )
    session = sessionmaker_for(engine)(**({"bind": bind} if bind is not None else {}))
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
