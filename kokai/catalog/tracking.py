"""Server-side download counts: tables, recording, CKAN ``tracking_summary``, feed consumers.

CKAN's tracking plugin counts page views and *browser clicks* on resource
links, reported by JavaScript; downloads by curl, ckanapi, harvesters and
routing services are invisible to it (ckan/ckan#3878). kokai counts on the
server, in the download route itself, so every client that fetches the file
counts: browsers, API and command-line clients, and GTFS consumers alike.

No client address is stored. A visitor is identified for one UTC day by
``sha256(daily salt + IP + User-Agent)``; the salt is a random row per UTC day
in ``tracking_salt`` and is deleted once the day is over, after which the keys
can no longer be linked to an address, even by someone holding the database.

Counting follows CKAN's semantics (``ckan tracking update``): one count per
visitor per URL per day; ``recent`` is the last 14 days including today.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from kokai.catalog.models import Base
from kokai.catalog.user_agents import ConsumerFamily, consumer_family

RECENT_DAYS = 14


class TrackingSalt(Base):
    """One random salt per UTC day; rows of past days are deleted."""

    __tablename__ = "tracking_salt"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64), nullable=False)


class TrackingDownload(Base):
    """One row per (day, URL, visitor); ``count`` keeps the raw number of fetches."""

    __tablename__ = "tracking_download"
    __table_args__ = (
        UniqueConstraint("day", "url", "visitor_key", name="uq_tracking_download_visit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    package_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    resource_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    url: Mapped[str] = mapped_column(String(1000), nullable=False)
    visitor_key: Mapped[str] = mapped_column(String(64), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class GtfsFeedFetch(Base):
    """Per day, dataset and consumer family: full fetches (200) and checks (304)."""

    __tablename__ = "gtfs_feed_fetch"
    __table_args__ = (
        UniqueConstraint("day", "package_id", "family", name="uq_gtfs_feed_fetch_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    package_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    family: Mapped[str] = mapped_column(String(32), nullable=False)
    fetches: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


_DOWNLOADS = TrackingDownload.__table__
_SUMMARY_COLUMNS = (
    _DOWNLOADS.c.package_id,
    _DOWNLOADS.c.resource_id,
    func.count(),
    func.sum(case((_DOWNLOADS.c.day >= bindparam("recent_from"), 1), else_=0)),
)
_SUMMARY_ONE = (
    select(*_SUMMARY_COLUMNS)
    .where(_DOWNLOADS.c.package_id == bindparam("package_id"))
    .group_by(_DOWNLOADS.c.package_id, _DOWNLOADS.c.resource_id)
)
_SUMMARY_MANY = (
    select(*_SUMMARY_COLUMNS)
    .where(_DOWNLOADS.c.package_id.in_(bindparam("package_ids", expanding=True)))
    .group_by(_DOWNLOADS.c.package_id, _DOWNLOADS.c.resource_id)
)


def utc_today(now: datetime | None = None) -> date:
    """Today's UTC date; a naive ``now`` is taken as UTC (as CKAN stores times)."""
    now = now or datetime.now(UTC)
    return (now.astimezone(UTC) if now.tzinfo else now).date()


def daily_salt(session: Session, day: date) -> str:
    """The salt of ``day``, created on first use; salts of earlier days are deleted."""
    salt = session.scalar(select(TrackingSalt.salt).where(TrackingSalt.day == day))
    if salt is not None:
        return salt
    purge_expired_salts(session, day)
    try:
        # A savepoint, so that losing the race to another worker leaves the
        # caller's transaction usable; the winner's salt is then read back.
        with session.begin_nested():
            session.add(TrackingSalt(day=day, salt=secrets.token_hex(32)))
    except IntegrityError:
        pass
    return session.scalars(select(TrackingSalt.salt).where(TrackingSalt.day == day)).one()


def purge_expired_salts(session: Session, today: date | None = None) -> int:
    """Delete the salts of days before ``today`` (UTC); returns how many went.

    Runs by itself with the first download of each day; a deployment with days
    without any download can also run it from a daily job."""
    result = session.execute(delete(TrackingSalt).where(TrackingSalt.day < (today or utc_today())))
    return int(result.rowcount or 0)


def visitor_key(salt: str, client_ip: str | None, user_agent: str | None) -> str:
    """sha256 of the daily salt, address and User-Agent; not reversible once the salt is gone."""
    material = "\x1f".join((salt, client_ip or "", user_agent or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def record_download(
    session: Session,
    *,
    package_id: str,
    resource_id: str,
    url: str,
    client_ip: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> None:
    """Count one download of ``url`` (one per visitor per URL per day)."""
    day = utc_today(now)
    key = visitor_key(daily_salt(session, day), client_ip, user_agent)
    _increment(
        session,
        TrackingDownload,
        match={"day": day, "url": url, "visitor_key": key},
        create={"package_id": package_id, "resource_id": resource_id, "count": 1},
        counter="count",
    )


def record_feed_fetch(
    session: Session,
    *,
    package_id: str,
    user_agent: str | None,
    not_modified: bool,
    now: datetime | None = None,
) -> ConsumerFamily:
    """Count a GTFS feed fetch (200) or check (304) for the consumer's family."""
    family = consumer_family(user_agent)
    counter = "not_modified" if not_modified else "fetches"
    _increment(
        session,
        GtfsFeedFetch,
        match={"day": utc_today(now), "package_id": package_id, "family": family.value},
        create={"fetches": 0 if not_modified else 1, "not_modified": 1 if not_modified else 0},
        counter=counter,
    )
    return family


def tracking_summaries(
    session: Session, package_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """CKAN's ``tracking_summary`` for a package and each of its resources.

    ``{"total": int, "recent": int, "resources": {resource_id: {"total", "recent"}}}``.
    Unlike CKAN, which only counts browser clicks reported by JavaScript, these
    are real downloads counted by the server, including API and command-line
    clients (curl, ckanapi, harvesters, routing services).
    """
    return tracking_summaries_many(session, [package_id], now)[package_id]


def tracking_summaries_many(
    session: Session, package_ids: Iterable[str], now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """``tracking_summaries`` for several packages in one query (for search results)."""
    ids = list(dict.fromkeys(package_ids))
    result: dict[str, dict[str, Any]] = {
        pid: {"total": 0, "recent": 0, "resources": {}} for pid in ids
    }
    if not ids:
        return result
    recent_from = utc_today(now) - timedelta(days=RECENT_DAYS - 1)
    # A prebuilt Core statement on the session's connection: package_show calls
    # this on every request, and ORM statement building would dominate its cost.
    rows = session.connection().execute(
        _SUMMARY_ONE if len(ids) == 1 else _SUMMARY_MANY,
        {"package_id": ids[0], "recent_from": recent_from}
        if len(ids) == 1
        else {"package_ids": ids, "recent_from": recent_from},
    )
    for package_id, resource_id, total, recent in rows:
        summary = result[package_id]
        summary["resources"][resource_id] = {"total": int(total), "recent": int(recent or 0)}
        summary["total"] += int(total)
        summary["recent"] += int(recent or 0)
    return result


def feed_consumer_counts(
    session: Session, dataset_id: str, since: date | None = None
) -> dict[str, dict[str, int]]:
    """GTFS feed fetches per consumer family: ``{family: {"fetches", "not_modified"}}``.

    Every family is present (zeros included), so metrics pages can show a fixed table.
    """
    counts = {family.value: {"fetches": 0, "not_modified": 0} for family in ConsumerFamily}
    query = (
        select(
            GtfsFeedFetch.family,
            func.sum(GtfsFeedFetch.fetches),
            func.sum(GtfsFeedFetch.not_modified),
        )
        .where(GtfsFeedFetch.package_id == dataset_id)
        .group_by(GtfsFeedFetch.family)
    )
    if since is not None:
        query = query.where(GtfsFeedFetch.day >= since)
    for family, fetches, not_modified in session.execute(query):
        entry = counts.setdefault(family, {"fetches": 0, "not_modified": 0})
        entry["fetches"] += int(fetches or 0)
        entry["not_modified"] += int(not_modified or 0)
    return counts


def _increment(
    session: Session,
    model: type[Base],
    *,
    match: dict[str, Any],
    create: dict[str, Any],
    counter: str,
) -> None:
    """Add 1 to ``counter`` of the row matching ``match``, creating it when absent.

    Portable across SQLite and PostgreSQL: an UPDATE first (the common case once
    a row exists), else an INSERT in a savepoint; a concurrent insert by another
    worker surfaces as an IntegrityError, after which the UPDATE is retried.
    """
    column = getattr(model, counter)
    condition = [getattr(model, key) == value for key, value in match.items()]
    for _attempt in range(3):
        changed = session.execute(
            update(model).where(*condition).values({counter: column + 1})
        ).rowcount
        if changed:
            return
        try:
            with session.begin_nested():
                session.add(model(**match, **create))
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"could not count {model.__tablename__} {match}")
