"""/gtfs/<dataset>/feed.zip and /gtfs/<dataset>/<version>.zip: validators, 304s, consumer counts."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from kokai.catalog.tracking import feed_consumer_counts

# Real-looking User-Agents of the consumers (see kokai/catalog/user_agents.py for
# which strings are documented and which are matched on the product name).
GOOGLE = "Google-Transit"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
NAVITIME = "NAVITIME GTFS Fetcher/1.0 (+https://www.navitime.co.jp/)"
JORUDAN = "Mozilla/5.0 (compatible; Jorudan-Crawler/2.0; +https://www.jorudan.co.jp/)"
GTFS_DATA_JP = "gtfs-data.jp/1.0 (+https://gtfs-data.jp/)"
CURL = "curl/8.5.0"


def gtfs_zip(feed_version: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "agency.txt",
            "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
            "8000020130001,テスト市コミュニティバス,https://example.jp,Asia/Tokyo,ja\n",
        )
        archive.writestr(
            "feed_info.txt",
            "feed_publisher_name,feed_publisher_url,feed_lang,feed_version\n"
            f"テスト市,https://example.jp,ja,{feed_version}\n",
        )
    return buffer.getvalue()


V1, V2 = gtfs_zip("2026-04-01"), gtfs_zip("2026-10-01")


# conftest's module-wide `server`, seen from a fixed client address.
SERVER_OPTIONS = {"client": ("198.51.100.23", 40000)}


def make_dataset(
    server, *, fmt="GTFS", tags=(), filename="feed.zip", private=False, versions=(V1, V2)
):
    call = server["call"]
    package = call(
        "package_create",
        json={
            "name": f"bus-{uuid.uuid4().hex[:8]}",
            "title": "コミュニティバス GTFS-JP",
            "owner_org": server["org"]["id"],
            "private": private,
            "tags": [{"name": t} for t in tags],
        },
    )
    # A first resource that is not the feed, so that selection is exercised.
    call("resource_create", json={"package_id": package["id"], "name": "時刻表", "url": "https://example.jp/timetable.pdf", "format": "PDF"})  # fmt: skip
    resource = call(
        "resource_create",
        data={"package_id": package["id"], "name": filename, "format": fmt},
        files={"upload": (filename, versions[0], "application/zip")},
    )
    for content in versions[1:]:
        call(
            "resource_patch",
            data={"id": resource["id"]},
            files={"upload": (filename, content, "application/zip")},
        )
    return package


@pytest.fixture()
def feed(server):
    return server["client"], make_dataset(server)


def counts(server, package):
    with server["app"].state.catalog.session() as session:
        return feed_consumer_counts(session, package["id"])


def test_feed_zip_is_the_current_version_with_validators(feed):
    client, package = feed
    for ref in (package["name"], package["id"]):
        response = client.get(f"/gtfs/{ref}/feed.zip")
        assert response.status_code == 200
        assert response.content == V2
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["etag"] == f'"{hashlib.sha256(V2).hexdigest()}"'
        assert "max-age=300" in response.headers["cache-control"]
        assert "public" in response.headers["cache-control"]
        assert parsedate_to_datetime(response.headers["last-modified"]).year >= 2026


def test_version_urls_serve_past_versions(feed):
    client, package = feed
    first = client.get(f"/gtfs/{package['name']}/1.zip")
    second = client.get(f"/gtfs/{package['name']}/2.zip")
    assert first.content == V1 and second.content == V2
    assert first.headers["etag"] == f'"{hashlib.sha256(V1).hexdigest()}"'
    assert first.headers["etag"] != second.headers["etag"]
    assert "immutable" in first.headers["cache-control"]
    for missing in ("3", "0", "latest", "-1"):
        response = client.get(f"/gtfs/{package['name']}/{missing}.zip")
        assert response.status_code == 404, missing
        assert response.json()["error"]["__type"] == "Not Found Error"


@pytest.mark.parametrize(
    "if_none_match",
    ["{etag}", "W/{etag}", '"other", {etag}', "*", 'W/"x",W/{etag}'],
)
def test_if_none_match_gives_304(feed, if_none_match):
    client, package = feed
    url = f"/gtfs/{package['name']}/feed.zip"
    etag = client.head(url).headers["etag"]
    response = client.get(url, headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert "last-modified" in response.headers


def test_if_modified_since_and_if_none_match_wins(feed):
    client, package = feed
    url = f"/gtfs/{package['name']}/feed.zip"
    last_modified = client.head(url).headers["last-modified"]
    stamp = parsedate_to_datetime(last_modified)
    earlier = format_datetime(stamp - timedelta(seconds=1), usegmt=True)
    later = format_datetime(stamp + timedelta(days=1), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": later}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "not a date"}).status_code == 200
    # A stale ETag with a fresh date: If-None-Match decides (RFC 9110 §13.2.2).
    stale = client.get(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": later})
    assert stale.status_code == 200
    assert stale.content == V2
    # An old version's ETag does not match the current feed.
    old_etag = client.head(f"/gtfs/{package['name']}/1.zip").headers["etag"]
    assert client.get(url, headers={"If-None-Match": old_etag}).status_code == 200


def test_fetches_and_checks_are_counted_per_consumer(server, feed):
    client, package = feed
    url = f"/gtfs/{package['name']}/feed.zip"
    etag = client.head(url, headers={"User-Agent": GOOGLE}).headers["etag"]  # HEAD: not counted
    for agent in (GOOGLE, GOOGLEBOT, NAVITIME, JORUDAN, GTFS_DATA_JP, CURL, CURL):
        assert client.get(url, headers={"User-Agent": agent}).status_code == 200
    assert client.get(f"/gtfs/{package['name']}/1.zip", headers={"User-Agent": NAVITIME}).status_code == 200  # fmt: skip
    for agent in (GOOGLE, JORUDAN):
        response = client.get(url, headers={"User-Agent": agent, "If-None-Match": etag})
        assert response.status_code == 304
    assert counts(server, package) == {
        "google": {"fetches": 2, "not_modified": 1},
        "navitime": {"fetches": 2, "not_modified": 0},
        "jorudan": {"fetches": 1, "not_modified": 1},
        "gtfs-data-jp": {"fetches": 1, "not_modified": 0},
        "other": {"fetches": 2, "not_modified": 0},
    }
    # A full fetch is also a download of the resource: one per consumer per day.
    shown = client.get("/api/3/action/package_show", params={"id": package["id"]}).json()
    assert shown["result"]["tracking_summary"]["total"] == 6


def test_feed_found_by_tag_and_zip_name(server):
    client = server["client"]
    package = make_dataset(server, fmt="ZIP", tags=("GTFS-JP", "バス"), filename="gtfs-jp.zip", versions=(V1,))  # fmt: skip
    response = client.get(f"/gtfs/{package['name']}/feed.zip")
    assert response.status_code == 200
    assert response.content == V1


def test_datasets_without_a_feed_or_private_are_404(server):
    client = server["client"]
    untagged_zip = make_dataset(server, fmt="ZIP", versions=(V1,))
    private = make_dataset(server, private=True, versions=(V1,))
    for ref in (untagged_zip["name"], private["name"], "no-such-dataset"):
        response = client.get(f"/gtfs/{ref}/feed.zip")
        assert response.status_code == 404, ref
        assert response.json()["success"] is False
