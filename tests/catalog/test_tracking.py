"""Download counting: CKAN's tracking_summary semantics, daily salts, no addresses stored."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text

from kokai.catalog import tracking
from kokai.catalog.db import dispose_engine, get_engine, session_scope
from kokai.catalog.user_agents import ConsumerFamily, consumer_family

CLIENT_IP = "203.0.113.77"
NOW = datetime(2026, 11, 21, 12, 0, 0)


@pytest.fixture()
def engine(database_url):
    """A fresh catalog on SQLite and on PostgreSQL (conftest's ``database_url``)."""
    engine = get_engine(database_url)
    yield engine
    dispose_engine(database_url)


def download(session, *, ua="Mozilla/5.0", ip=CLIENT_IP, now=NOW, resource_id="r1", url=None):
    tracking.record_download(
        session,
        package_id="p1",
        resource_id=resource_id,
        url=url or f"/dataset/p1/resource/{resource_id}/download",
        client_ip=ip,
        user_agent=ua,
        now=now,
    )


def test_migration_creates_the_tracking_tables(engine):
    names = set(inspect(engine).get_table_names())
    assert {"tracking_salt", "tracking_download", "gtfs_feed_fetch"} <= names


def test_one_count_per_visitor_per_url_per_day(engine):
    with session_scope(engine) as session:
        download(session)
        download(session)  # same client, same day: still one
        assert tracking.tracking_summaries(session, "p1", now=NOW)["total"] == 1
        download(session, ua="curl/8.5.0")  # another client (API / command line) counts
        download(session, ip="198.51.100.1")
        download(session, now=NOW + timedelta(days=1))  # same client, next day
        summary = tracking.tracking_summaries(session, "p1", now=NOW + timedelta(days=1))
    assert summary["total"] == 4
    assert summary["recent"] == 4
    assert summary["resources"] == {"r1": {"total": 4, "recent": 4}}


def test_recent_is_the_last_14_days(engine):
    with session_scope(engine) as session:
        download(session, now=NOW - timedelta(days=13))  # inside the window
        download(session, now=NOW - timedelta(days=14))  # just outside
        download(session, now=NOW - timedelta(days=40))
        download(session, now=NOW, resource_id="r2")
        summary = tracking.tracking_summaries(session, "p1", now=NOW)
        many = tracking.tracking_summaries_many(session, ["p1", "unknown"], now=NOW)
    assert (summary["total"], summary["recent"]) == (4, 2)
    assert summary["resources"]["r1"] == {"total": 3, "recent": 1}
    assert summary["resources"]["r2"] == {"total": 1, "recent": 1}
    assert many["unknown"] == {"total": 0, "recent": 0, "resources": {}}
    assert many["p1"]["total"] == 4


def test_salts_of_past_days_are_deleted_and_keys_do_not_link_days(engine):
    with session_scope(engine) as session:
        download(session, now=NOW)
        download(session, now=NOW + timedelta(days=1))
        salts = session.execute(select(tracking.TrackingSalt.day)).scalars().all()
        keys = session.execute(select(tracking.TrackingDownload.visitor_key)).scalars().all()
    assert salts == [date(2026, 11, 22)]
    assert len(set(keys)) == 2  # the same client is not recognisable across days
    with session_scope(engine) as session:
        assert tracking.purge_expired_salts(session, date(2026, 11, 23)) == 1
        assert session.execute(select(tracking.TrackingSalt)).first() is None


def test_no_client_address_is_stored(engine):
    with session_scope(engine) as session:
        download(session)
        download(session, ua="ckanapi/4.11 (+https://github.com/ckan/ckanapi)")
        tracking.record_feed_fetch(session, package_id="p1", user_agent="x", not_modified=False)
    dump = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dump.append(" ".join(str(value) for value in row))
    everything = "\n".join(dump)
    assert "tracking" in " ".join(inspect(engine).get_table_names())
    assert len(dump) >= 3
    assert CLIENT_IP not in everything
    assert "203.0.113" not in everything


def test_feed_consumer_counts_per_family_and_since(engine):
    day1, day2 = NOW - timedelta(days=3), NOW
    with session_scope(engine) as session:
        for ua, not_modified, now in [
            ("Google-Transit", False, day1),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                True,
                day2,
            ),
            ("NAVITIME-GTFS/1.0", False, day2),
            ("NAVITIME-GTFS/1.0", False, day2),
            ("curl/8.5.0", True, day2),
        ]:
            tracking.record_feed_fetch(
                session, package_id="bus", user_agent=ua, not_modified=not_modified, now=now
            )
        all_time = tracking.feed_consumer_counts(session, "bus")
        recent = tracking.feed_consumer_counts(session, "bus", since=day2.date())
        other_dataset = tracking.feed_consumer_counts(session, "nothing")
    assert all_time["google"] == {"fetches": 1, "not_modified": 1}
    assert all_time["navitime"] == {"fetches": 2, "not_modified": 0}
    assert all_time["other"] == {"fetches": 0, "not_modified": 1}
    assert all_time["jorudan"] == {"fetches": 0, "not_modified": 0}
    assert recent["google"] == {"fetches": 0, "not_modified": 1}
    assert set(other_dataset) == {family.value for family in ConsumerFamily}


@pytest.mark.parametrize(
    ("user_agent", "family"),
    [
        ("Google-Transit", "google"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "google"),
        ("GoogleOther", "google"),
        ("FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)", "google"),
        ("Google-HTTP-Java-Client/1.43.3 (gzip)", "other"),  # a library anyone uses
        ("NAVITIME Transit Feed Fetcher/2.0", "navitime"),
        ("Mozilla/5.0 (compatible; JorudanBot/1.0)", "jorudan"),
        ("ジョルダン乗換案内 GTFS取得", "jorudan"),
        ("gtfs-data.jp feed checker (+https://gtfs-data.jp/)", "gtfs-data-jp"),
        ("curl/8.5.0", "other"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_consumer_family(user_agent, family):
    assert consumer_family(user_agent).value == family


def test_migration_0002_matches_the_tracking_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kokai.catalog.models import Base

    ours = {"tracking_salt", "tracking_download", "gtfs_feed_fetch"}
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diffs if any(name in repr(d) for name in ours)] == []
