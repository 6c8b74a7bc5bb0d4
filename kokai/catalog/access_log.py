"""Downloads from web-server access logs (`kokai metrics import-log`).

A city that serves its files from a static host or a CDN never sends the
downloads through kokai's own download routes, so kokai.catalog.tracking
never sees them. This module reads the host's access logs (Apache / nginx
**combined** format, plain or gzip) and adds what they show to the same
tables, counted the way the server counts (tracking.py):

- ``/dataset/{id or name}/resource/{resource id}/download/{file}``: a GET
  answered **200** is a download, counted **once per visitor per URL per UTC
  day** (``tracking_download``; ``count`` keeps the raw number of fetches).
- ``/gtfs/{dataset}/feed.zip`` and ``/gtfs/{dataset}/{version}.zip``: a GET
  answered 200 is a feed fetch (and a download of the feed's resource, as the
  server records it), 304 a check; both per consumer family of the
  User-Agent (``gtfs_feed_fetch``, kokai.catalog.user_agents).
- The same paths under the site URL's path prefix (``https://city.example/
  opendata`` → ``/opendata/dataset/...``) are recognised too. Query strings
  are ignored. HEAD requests, 206 partial content, redirects and errors are
  not counted (a log does not say where a range started, so 206 cannot be
  told from the continuation of an interrupted download).

Reading is separate from writing: ``parse_log`` reads a file into a
``ParsedLog`` (aggregated in memory per day, URL and client; a cheap test on
the path comes before the regular expression), outside any transaction; the
``access_log_import`` action then writes it in one short transaction
(``import_parsed``), in bulk.

**Privacy: no address and no User-Agent is stored.** Addresses and
User-Agents live only in memory while a file is imported. Each visitor is
stored as a keyed hash, ``sha256(salt of the day ‖ address ‖ User-Agent)``,
where the salt is a random value per UTC day of the log, kept in
``access_log_salt``.

- **Idempotence across overlapping logs.** Because the salt of a day is kept
  for a while, the same request seen in two logs (``access.log`` and
  ``access.log.1``, or two CDN exports that overlap) gives the same key, so it
  is counted once; a raw ``count`` is merged as the larger of the two.
- **Identical files.** The sha256 of each imported file's content (after
  gunzip) is kept in ``access_log_import`` forever: the same file, plain or
  gzipped, is never counted twice, even after the salt is gone.
- **The trade-off.** While a day's salt exists, someone holding the database
  *and* a candidate address and User-Agent could test whether that client
  downloaded a given file that day (the key can be recomputed; it cannot be
  reversed). The server's own salts last one day (tracking.py); import salts
  last ``SALT_RETENTION_DAYS`` (35) days after the day they belong to, long
  enough for weekly-rotated logs kept four weeks, and are then deleted, after
  which the keys of that day cannot be linked to anyone. Lines of days older
  than that get a salt that is deleted at the end of the same import: those
  days are counted, but a *different* file overlapping them imported later
  would count them again (the result says how many such days there were).
- Keys from logs and keys from kokai's own server never match (different
  salts): do not import the logs of a proxy in front of kokai's download
  routes, whose downloads the server already counts.

Days are UTC days, as the server counts them (09:00 JST starts a day).
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
import re
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from kokai.catalog.models import Base, Package, Resource, utcnow
from kokai.catalog.tracking import GtfsFeedFetch, TrackingDownload, utc_today
from kokai.catalog.user_agents import consumer_family
from kokai.vocab.gtfs import feed_resource

SALT_RETENTION_DAYS = 35
CHUNK_SIZE = 4 * 1024 * 1024
PARALLEL_MIN_BYTES = 32 * 1024 * 1024  # smaller logs: one process (no start-up cost)
SHOWN_UNREADABLE = 10  # line numbers of unreadable lines kept for the report
_IN_CHUNK = 500  # values per IN (...) list


class AccessLogSalt(Base):
    """A random salt per UTC day of imported logs; deleted after SALT_RETENTION_DAYS."""

    __tablename__ = "access_log_salt"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64), nullable=False)


class AccessLogImport(Base):
    """One imported file: its content's sha256 (an identical file is never
    counted twice) and what it added. `demo`: generated demo data."""

    __tablename__ = "access_log_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    imported: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    lines: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unreadable: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    counted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    downloads_added: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    feed_fetches_added: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    feed_checks_added: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AccessLogFeedVisit(Base):
    """GTFS feed requests from logs per (day, feed URL, visitor, fetch|check):
    what lets a second, overlapping log add only what is new to gtfs_feed_fetch."""

    __tablename__ = "access_log_feed_visit"
    __table_args__ = (
        UniqueConstraint("day", "url", "visitor_key", "kind", name="uq_access_log_feed_visit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    url: Mapped[str] = mapped_column(String(300), nullable=False)
    visitor_key: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # fetch | check
    package_id: Mapped[str] = mapped_column(String(100), nullable=False)
    family: Mapped[str] = mapped_column(String(32), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


# ---------------------------------------------------------------- reading

# host ident user [time] "request" status size "referer" "user-agent" (more fields may follow)
_LINE = re.compile(
    rb"(\S+) \S+ \S+ \[(\d\d/[A-Za-z]{3}/\d{4}:\d\d:\d\d):\d\d ([+-]\d{4})\] "
    rb'"([A-Z]+) (\S+)[^"\\]*(?:\\.[^"\\]*)*" (\d{3}) \S+ '
    rb'"[^"\\]*(?:\\.[^"\\]*)*" "([^"\\]*(?:\\.[^"\\]*)*)"'
)
_MONTHS = {
    m.encode(): i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_DOWNLOAD = re.compile(r"/dataset/([^/]+)/resource/([^/]+)/download/[^/]+")
_FEED = re.compile(r"/gtfs/([^/]+)/(feed|[0-9]{1,9})\.zip")

Route = tuple[
    str, str, str
]  # ("download", dataset ref, resource id) | ("feed", dataset ref, version)


@dataclass
class ParsedLog:
    """One access log, read and aggregated; addresses and User-Agents only in memory.

    `requests`: {(UTC day, route, status): {(address, User-Agent): requests}}
    for GETs answered 200 or 304 on a download or feed path."""

    name: str
    fingerprint: str
    lines: int = 0
    unreadable: int = 0
    unreadable_lines: list[int] = field(default_factory=list)
    requests: dict[tuple[date, Route, int], dict[tuple[str, str], int]] = field(
        default_factory=dict
    )


def site_path_prefix(site_url: str) -> str:
    """The path of the site URL, without its trailing slash ("" at the root)."""
    return urlsplit(site_url or "").path.rstrip("/")


def route_of(path: str, prefix: str = "") -> Route | None:
    """The download or feed route a request path names, or None."""
    if path.startswith(("http://", "https://")):  # absolute-form request target
        path = urlsplit(path).path
    path = path.split("?", 1)[0].split("#", 1)[0]
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    match = _DOWNLOAD.fullmatch(path)
    if match:
        return ("download", unquote(match.group(1)), unquote(match.group(2)))
    match = _FEED.fullmatch(path)
    if match:
        return ("feed", unquote(match.group(1)), match.group(2))
    return None


def _utc_day(minute: bytes, zone: bytes) -> date | None:
    """The UTC day of "10/Oct/2026:13:55" at "+0900"; None when it is not a date."""
    if (
        len(minute) != 17
        or minute[2:3] != b"/"
        or minute[6:7] != b"/"
        or minute[11:12] != b":"
        or minute[14:15] != b":"
        or len(zone) != 5
        or zone[:1] not in (b"+", b"-")
        or not (minute[:2] + minute[7:11] + minute[12:14] + minute[15:] + zone[1:]).isdigit()
    ):
        return None
    try:
        month = _MONTHS.get(minute[3:6])
        if month is None:
            return None
        local = datetime(int(minute[7:11]), month, int(minute[0:2]), int(minute[12:14]),
                         int(minute[15:17]))  # fmt: skip
        offset = int(zone[1:3]) * 60 + int(zone[3:5])
        if zone[:1] == b"-":
            offset = -offset
        return (local - timedelta(minutes=offset)).date()
    except (ValueError, OverflowError):
        return None


def _fields(line: bytes) -> tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes] | None:
    """(address, minute, zone, method, path, status, User-Agent) of a combined
    line, by the regular expression (the slow path: escaped quotes, odd spacing)."""
    found = _LINE.match(line)
    return found.groups() if found is not None else None  # type: ignore[return-value]


def _scan(
    lines: list[bytes],
    lineno: int,
    agg: dict,
    days: dict,
    bad: list[int],
) -> int:
    """Read lines into `agg` {(day, path, status, ip, ua): n}; returns the last
    line number. `bad` is [count, first line numbers...].

    The hot loop: a substring test on every line; candidates are cut at their
    quotes (``ip - - [time] "request" status size "referer" "agent"``), the
    regular expression only when that does not fit; a quote count is the
    sanity check of the other lines."""
    get = agg.get
    day_of = days.get
    for line in lines:
        lineno += 1
        if b"/download/" in line or b"/gtfs/" in line:
            parts = line.split(b'"')
            fields = None
            if len(parts) >= 7 and b"\\" not in line:
                head, request, middle = parts[0], parts[1], parts[2]
                at = head.find(b"[")
                if at > 0 and head[-2:] == b"] " and len(head) == at + 29 and middle[:1] == b" ":
                    request = request.split(b" ")
                    if len(request) >= 2:
                        fields = (head[: head.find(b" ")], head[at + 1 : at + 18],
                                  head[at + 22 : at + 27], request[0], request[1],
                                  middle[1:4], parts[5])  # fmt: skip
            if fields is None:
                fields = _fields(line)
                if fields is None:
                    bad[0] += 1
                    if len(bad) <= SHOWN_UNREADABLE:
                        bad.append(lineno)
                    continue
            ip, minute, zone, method, path, status, agent = fields
            if method != b"GET" or (status != b"200" and status != b"304"):
                continue
            day = day_of((minute, zone))
            if day is None:
                day = _utc_day(minute, zone)
                if day is None:
                    bad[0] += 1
                    if len(bad) <= SHOWN_UNREADABLE:
                        bad.append(lineno)
                    continue
                days[(minute, zone)] = day
            key = (day, path, status, ip, agent)
            agg[key] = get(key, 0) + 1
        elif line.count(b'"') < 6 and line.strip():
            bad[0] += 1
            if len(bad) <= SHOWN_UNREADABLE:
                bad.append(lineno)
    return lineno


def _unescape(value: bytes) -> str:
    """A logged field as text: Apache's \\" and nginx's \\xHH escapes undone."""
    if b"\\" in value:
        value = re.sub(
            rb"\\x([0-9A-Fa-f]{2})|\\(.)",
            lambda m: bytes([int(m.group(1), 16)]) if m.group(1) else m.group(2),
            value,
        )
    return value.decode("utf-8", "replace")


def _blocks(stream, digest) -> Iterator[bytes]:
    """Whole lines, about CHUNK_SIZE bytes at a time (the last block may lack its
    final newline), hashing everything read into `digest`."""
    rest = b""
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if not chunk:
            break
        digest.update(chunk)
        cut = chunk.rfind(b"\n")
        if cut == -1:
            rest += chunk
            continue
        yield rest + chunk[: cut + 1] if rest else chunk[: cut + 1]
        rest = chunk[cut + 1 :]
    if rest:
        yield rest


_WORKER_DAYS: dict[tuple[bytes, bytes], date] = {}


def _scan_block(block: bytes) -> tuple[int, list[int], dict]:
    """(lines, [unreadable, first line numbers in the block...], aggregate) of a
    block of whole lines; runs in a worker process."""
    lines = block.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    agg: dict[tuple, int] = {}
    bad = [0]
    return _scan(lines, 0, agg, _WORKER_DAYS, bad), bad, agg


def _parallel(blocks: Iterable[bytes], workers: int) -> Iterator[tuple[int, list[int], dict]]:
    """`_scan_block` of each block in `workers` processes, results in order, with
    a bounded number of blocks in flight (memory stays flat on huge logs)."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque = deque()
        for block in blocks:
            pending.append(pool.submit(_scan_block, block))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def default_workers(size: int) -> int:
    """Two processes for logs over PARALLEL_MIN_BYTES where fork is available
    (the parse is CPU-bound; the write that follows is one transaction)."""
    cpus = os.cpu_count() or 1
    if (
        size < PARALLEL_MIN_BYTES
        or cpus < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 1
    return min(2, cpus)


def parse_log(
    path: str | os.PathLike,
    *,
    prefix: str = "",
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> ParsedLog:
    """Read one access log (combined format; gzip when it starts like one).

    `progress(bytes read, file size)` is called after each block of the file
    (compressed bytes for a gzip file). Lines that are not combined-format
    are counted and the first few line numbers kept; reading goes on.
    `workers`: processes that read blocks in parallel (default: `default_workers`)."""
    path = Path(path)
    digest = hashlib.sha256()
    agg: dict[tuple, int] = {}
    days: dict[tuple[bytes, bytes], date] = {}
    bad = [0]
    lineno = 0
    with path.open("rb") as raw:
        total = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        workers = default_workers(total) if workers is None else workers
        if workers <= 1:
            for block in _blocks(stream, digest):
                lines = block.split(b"\n")
                if lines[-1] == b"":
                    lines.pop()
                lineno = _scan(lines, lineno, agg, days, bad)
                if progress is not None:
                    progress(raw.tell(), total)
        else:
            get = agg.get
            for count, part_bad, part in _parallel(_blocks(stream, digest), workers):
                if agg:
                    for key, value in part.items():
                        agg[key] = get(key, 0) + value
                else:
                    agg = part
                    get = agg.get
                bad[0] += part_bad[0]
                bad.extend(lineno + n for n in part_bad[1 : SHOWN_UNREADABLE + 2 - len(bad)])
                lineno += count
                if progress is not None:
                    progress(raw.tell(), total)
    parsed = ParsedLog(
        name=path.name,
        fingerprint=digest.hexdigest(),
        lines=lineno,
        unreadable=bad[0],
        unreadable_lines=bad[1:],
    )
    routes: dict[bytes, Route | None] = {}
    texts: dict[bytes, str] = {}
    requests = parsed.requests
    for (day, raw_path, status, ip, agent), count in agg.items():
        route = routes.get(raw_path, False)
        if route is False:
            route = routes[raw_path] = route_of(_unescape(raw_path), prefix)
        if route is None:
            continue
        visitors = requests.setdefault((day, route, int(status)), {})
        address = texts.get(ip)
        if address is None:
            address = texts[ip] = ip.decode("ascii", "replace")
        user_agent = texts.get(agent)
        if user_agent is None:
            user_agent = texts[agent] = _unescape(agent)
        client = (address, user_agent)
        visitors[client] = visitors.get(client, 0) + count
    return parsed


# ---------------------------------------------------------------- writing



@dataclass(frozen=True)
class _Target:
    kind: str  # download | feed
    package_id: str
    resource_id: str
    download_url: str  # the URL tracking_download counts, as the server records it
    feed_url: str = ""


def _chunks(values: Iterable, size: int = _IN_CHUNK) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _resolve(context: Any, routes: set[Route]) -> dict[Route, _Target]:
    """The catalog resources the routes name (active datasets only)."""
    session: Session = context.session
    resource_ids = {r[2] for r in routes if r[0] == "download"}
    resources: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(resource_ids):
        rows = session.execute(
            select(Resource.id, Package.id, Package.name)
            .join(Package, Package.id == Resource.package_id)
            .where(
                Resource.id.in_(chunk),
                Resource.state == "active",
                Package.state == "active",
                Package.type == "dataset",
            )
        )
        for resource_id, package_id, package_name in rows:
            resources[resource_id] = (package_id, package_name)
    targets: dict[Route, _Target] = {}
    feeds: dict[str, tuple[str, dict] | None] = {}
    for route in routes:
        kind, ref, last = route
        if kind == "download":
            found = resources.get(last)
            if found is not None and ref in found:
                package_id = found[0]
                url = f"/dataset/{package_id}/resource/{last}/download"
                targets[route] = _Target("download", package_id, last, url)
            continue
        if ref not in feeds:
            entry = context.cache.get_ref(session, ref)
            resource = None
            if entry is not None and entry.type == "dataset" and entry.state == "active":
                resource = feed_resource(entry.data)
            feeds[ref] = (entry.id, resource) if resource is not None else None
        feed = feeds[ref]
        if feed is not None:
            package_id, resource = feed
            targets[route] = _Target(
                "feed",
                package_id,
                resource["id"],
                f"/dataset/{package_id}/resource/{resource['id']}/download",
                f"/gtfs/{package_id}/{last}.zip",
            )
    return targets


def _salts(session: Session, days: list[date]) -> dict[date, str]:
    """The salt of each day, created (random) for the days that have none."""
    salts: dict[date, str] = {}
    for chunk in _chunks(days):
        rows = session.execute(
            select(AccessLogSalt.day, AccessLogSalt.salt).where(AccessLogSalt.day.in_(chunk))
        )
        salts.update({day: salt for day, salt in rows})
    missing = [{"day": day, "salt": secrets.token_hex(32)} for day in days if day not in salts]
    if missing:
        session.execute(insert(AccessLogSalt), missing)
        salts.update({row["day"]: row["salt"] for row in missing})
    return salts


def purge_salts(session: Session, today: date | None = None) -> int:
    """Delete import salts older than SALT_RETENTION_DAYS; returns how many went."""
    cutoff = (today or utc_today()) - timedelta(days=SALT_RETENTION_DAYS)
    result = session.execute(delete(AccessLogSalt).where(AccessLogSalt.day < cutoff))
    return int(result.rowcount or 0)


def _existing(session: Session, table, columns, days: list[date], urls: set[str]) -> dict:
    """{(day, url, visitor_key[, kind]): (id, count)} of the rows already stored."""
    found = {}
    if not days or not urls:
        return found
    first, last = min(days), max(days)
    key_columns = [getattr(table.c, name) for name in columns]
    for chunk in _chunks(urls):
        rows = session.connection().execute(
            select(table.c.id, table.c.count, *key_columns).where(
                table.c.day >= first, table.c.day <= last, table.c.url.in_(chunk)
            )
        )
        for row in rows:
            found[tuple(row[2:])] = (row[0], row[1])
    return found


def _bulk_insert(session: Session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT `rows` (tuples in the order of `columns`) with one executemany
    straight to the driver: SQLAlchemy's per-row parameter processing would
    cost more than SQLite's insert. Dates must already be in the driver's form
    (`_day_param`)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    connection.exec_driver_sql(sql, rows)


def _day_param(session: Session) -> Callable[[date], Any]:
    """A date as the driver takes it for a Date column (SQLite: ISO text)."""
    dialect = session.connection().dialect
    process = Date().dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda day: day)


def _merge(
    session: Session,
    table,
    columns: tuple[str, ...],
    wanted: dict,
    extra_columns: tuple[str, ...],
    extra: Callable[[tuple], tuple],
) -> tuple[int, dict]:
    """Insert the rows of `wanted` {key: count} that are new; raise the count of
    those stored with a smaller one (the larger of two overlapping logs wins).
    `extra(key)` gives the values of `extra_columns` of a new row.
    Returns (rows inserted, {key: count added})."""
    days = sorted({key[0] for key in wanted})
    urls = {key[1] for key in wanted}
    stored = _existing(session, table, columns, days, urls)
    day_param = _day_param(session)
    day_params = {day: day_param(day) for day in days}
    new_rows, raised, added = [], [], {}
    for key, count in wanted.items():
        old = stored.get(key)
        if old is None:
            new_rows.append((day_params[key[0]], *key[1:], count, *extra(key)))
            added[key] = count
        elif count > old[1]:
            raised.append({"row_id": old[0], "new_count": count})
            added[key] = count - old[1]
    new_rows.sort()  # in index order: fewer pages touched, a smaller transaction
    _bulk_insert(session, table, (*columns, "count", *extra_columns), new_rows)
    if raised:
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(count=bindparam("new_count")),
            raised,
        )
    return len(new_rows), added


def _add_feed_counts(session: Session, counts: dict[tuple[date, str, str], list[int]]) -> None:
    """gtfs_feed_fetch += [fetches, checks] per (day, dataset, family): existing
    rows updated and new ones inserted in bulk; when the server inserts one of
    the same rows meanwhile (today's), row by row in savepoints instead."""
    if not counts:
        return
    table = GtfsFeedFetch.__table__
    days = sorted({day for day, _package, _family in counts})
    packages = sorted({package for _day, package, _family in counts})
    stored: dict[tuple[date, str, str], int] = {}
    for chunk in _chunks(packages):
        rows = session.connection().execute(
            select(table.c.id, table.c.day, table.c.package_id, table.c.family).where(
                table.c.day >= days[0], table.c.day <= days[-1], table.c.package_id.in_(chunk)
            )
        )
        stored.update({(day, package, family): row_id for row_id, day, package, family in rows})
    increments = [
        {"row_id": stored[key], "add_fetches": fetches, "add_checks": checks}
        for key, (fetches, checks) in counts.items()
        if key in stored
    ]
    if increments:
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                fetches=table.c.fetches + bindparam("add_fetches"),
                not_modified=table.c.not_modified + bindparam("add_checks"),
            ),
            increments,
        )
    new_rows = [
        {"day": day, "package_id": package, "family": family, "fetches": f, "not_modified": c}
        for (day, package, family), (f, c) in counts.items()
        if (day, package, family) not in stored
    ]
    if not new_rows:
        return
    try:
        with session.begin_nested():
            session.connection().execute(insert(table), new_rows)
        return
    except IntegrityError:
        pass
    for row in new_rows:
        _add_feed_count(session, row)


def _add_feed_count(session: Session, row: dict[str, Any]) -> None:
    """One gtfs_feed_fetch increment: UPDATE, else INSERT in a savepoint, retried."""
    match = (
        GtfsFeedFetch.day == row["day"],
        GtfsFeedFetch.package_id == row["package_id"],
        GtfsFeedFetch.family == row["family"],
    )
    for _attempt in range(3):
        changed = session.execute(
            update(GtfsFeedFetch)
            .where(*match)
            .values(
                fetches=GtfsFeedFetch.fetches + row["fetches"],
                not_modified=GtfsFeedFetch.not_modified + row["not_modified"],
            )
        ).rowcount
        if changed:
            return
        try:
            with session.begin_nested():
                session.add(GtfsFeedFetch(**row))
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"could not count GTFS feed fetches of {row['package_id']} on {row['day']}")


def import_parsed(context: Any, log: ParsedLog, demo: bool = False) -> dict[str, Any]:
    """Add a parsed log to the download counts (the access_log_import action)."""
    session: Session = context.session
    result: dict[str, Any] = {
        "name": log.name,
        "fingerprint": log.fingerprint,
        "lines": log.lines,
        "unreadable": log.unreadable,
        "unreadable_lines": list(log.unreadable_lines),
        "demo": bool(demo),
        "already_imported": False,
        "counted": 0,
        "unknown": 0,
        "downloads_added": 0,
        "feed_fetches_added": 0,
        "feed_checks_added": 0,
        "first_day": None,
        "last_day": None,
        "days_beyond_retention": 0,
    }
    previous = session.scalar(
        select(AccessLogImport).where(AccessLogImport.fingerprint == log.fingerprint)
    )
    if previous is not None:
        result["already_imported"] = True
        result["previous"] = {"name": previous.name, "imported": previous.imported.isoformat()}
        return result
    targets = _resolve(context, {route for _day, route, _status in log.requests})
    days = sorted({day for day, route, _status in log.requests if route in targets})
    salts = _salts(session, days)
    today = utc_today()
    cutoff = today - timedelta(days=SALT_RETENTION_DAYS)
    result["days_beyond_retention"] = sum(1 for day in days if day < cutoff)
    downloads: dict[tuple[date, str, str], int] = {}
    download_ids: dict[str, tuple[str, str]] = {}
    feeds: dict[tuple[date, str, str, str], int] = {}
    feed_ids: dict[tuple[date, str, str, str], tuple[str, str]] = {}
    visitor_keys: dict[tuple[date, tuple[str, str]], str] = {}
    families: dict[str, str] = {}

    def family_of(agent: str) -> str:
        family = families.get(agent)
        if family is None:
            family = families[agent] = consumer_family(agent).value
        return family

    counted = unknown = 0
    for (day, route, status), visitors in log.requests.items():
        target = targets.get(route)
        if target is None:
            unknown += sum(visitors.values())
            continue
        if target.kind == "download" and status != 200:
            continue  # a 304 on a download URL is not a download
        keyed = hashlib.sha256((salts[day] + "\x1f").encode("utf-8"))
        for client, count in visitors.items():
            visitor = visitor_keys.get((day, client))
            if visitor is None:
                hasher = keyed.copy()
                hasher.update(f"{client[0]}\x1f{client[1]}".encode("utf-8", "replace"))
                visitor = visitor_keys[(day, client)] = hasher.hexdigest()
            counted += count
            if status == 200:
                key = (day, target.download_url, visitor)
                downloads[key] = downloads.get(key, 0) + count
                download_ids[target.download_url] = (target.package_id, target.resource_id)
            if target.kind == "feed":
                kind = "fetch" if status == 200 else "check"
                feed_key = (day, target.feed_url, visitor, kind)
                feeds[feed_key] = feeds.get(feed_key, 0) + count
                feed_ids[feed_key] = (target.package_id, family_of(client[1]))
    new_downloads, _added = _merge(
        session,
        TrackingDownload.__table__,
        ("day", "url", "visitor_key"),
        downloads,
        ("package_id", "resource_id"),
        lambda key: download_ids[key[1]],
    )
    _new_visits, feed_added = _merge(
        session,
        AccessLogFeedVisit.__table__,
        ("day", "url", "visitor_key", "kind"),
        feeds,
        ("package_id", "family"),
        lambda key: feed_ids[key],
    )
    per_family: dict[tuple[date, str, str], list[int]] = {}
    for key, count in feed_added.items():
        package_id, family = feed_ids[key]
        sums = per_family.setdefault((key[0], package_id, family), [0, 0])
        sums[0 if key[3] == "fetch" else 1] += count
    _add_feed_counts(session, per_family)
    result.update(
        counted=counted,
        unknown=unknown,
        downloads_added=new_downloads,
        feed_fetches_added=sum(c for k, c in feed_added.items() if k[3] == "fetch"),
        feed_checks_added=sum(c for k, c in feed_added.items() if k[3] == "check"),
        first_day=days[0].isoformat() if days else None,
        last_day=days[-1].isoformat() if days else None,
    )
    session.add(
        AccessLogImport(
            fingerprint=log.fingerprint,
            name=log.name[:255],
            imported=utcnow(),
            demo=bool(demo),
            lines=log.lines,
            unreadable=log.unreadable,
            counted=counted,
            first_day=days[0] if days else None,
            last_day=days[-1] if days else None,
            downloads_added=result["downloads_added"],
            feed_fetches_added=result["feed_fetches_added"],
            feed_checks_added=result["feed_checks_added"],
        )
    )
    purge_salts(session, today)
    session.flush()
    return result
