"""The public 活用事例 form, its moderation queue and the KPI dashboard (issue 11 points 6, 7).

The demo city (tests/web/staff/conftest.py) starts with one approved reuse
(「避難所マップ（テスト）」 on shelters), so the 二次利用件数 starts at 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from kokai.catalog import tracking
from kokai.catalog.client import LocalCatalog
from kokai.site.build import SiteBuilder
from kokai.web.staff.reuse_forms import HONEYPOT, SUBMISSIONS_PER_HOUR
from tests.web.staff.conftest import csrf_of, signed_in_client

NEW_URL = "https://apps.example.jp/shelter-finder"
CONTACT = "secret-contact@example.jp"


@pytest.fixture
def visitor(staff_app) -> Iterator[TestClient]:
    """An anonymous visitor of the public form (its own cookies)."""
    with TestClient(staff_app) as client:
        yield client


@pytest.fixture
def admin(staff_app) -> Iterator[TestClient]:
    with TestClient(staff_app) as client:
        yield signed_in_client(client, "admin")


@pytest.fixture
def editor(staff_app) -> Iterator[TestClient]:
    with TestClient(staff_app) as client:
        yield signed_in_client(client, "editor")


def site_catalog(config) -> LocalCatalog:
    return LocalCatalog(config).as_site()


def submission(token: str, **changes) -> dict:
    data = {
        "csrf_token": token,
        "title": "避難所さがしアプリ",
        "url": NEW_URL,
        "reuse_type": "app",
        "datasets": ["shelters", "evacuation-sites"],
        "description": "近くの避難所を探せます",
        "contact": CONTACT,
        HONEYPOT: "",
    }
    data.update(changes)
    return data


def submit(client: TestClient, **changes):
    form = client.get("/reuses/new")
    assert form.status_code == 200, form.text
    return client.post(
        "/reuses/new", data=submission(csrf_of(form.text), **changes), follow_redirects=False
    )


def api(client: TestClient, name: str, **params) -> dict:
    """An Action API call with no credentials (an anonymous reader)."""
    response = client.get(f"/api/3/action/{name}", params=params)
    return response.json()


def public_urls(client: TestClient) -> set[str]:
    """Every reuse URL an anonymous caller can find through the API."""
    client.cookies.clear()
    urls = {s["url"] for s in api(client, "ckanext_showcase_list")["result"]}
    urls |= {r["url"] for r in api(client, "reuse_list")["result"]}
    urls |= {
        s["url"]
        for s in api(client, "ckanext_package_showcase_list", package_id="shelters")["result"]
    }
    search = api(client, "package_search", q="避難所さがし", include_private="true")["result"]
    urls |= {p.get("url") for p in search["results"]}
    return urls


def reuse_total(client: TestClient) -> int:
    client.cookies.clear()
    return api(client, "metrics_report")["result"]["reuses"]["total"]


def find_reuse(config, url: str = NEW_URL) -> dict | None:
    items = site_catalog(config).action.reuse_list()
    return next((item for item in items if item["url"] == url), None)


def moderate(client: TestClient, reuse_id: str, decision: str):
    page = client.get("/staff/reuses")
    return client.post(
        f"/staff/reuses/{reuse_id}/{decision}",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


# ---------------------------------------------------------------- the public form


def test_the_form_lists_public_datasets_and_preselects_one(visitor):
    page = visitor.get("/reuses/new?dataset=shelters")
    assert page.status_code == 200
    html = page.text
    assert 'lang="ja"' in html and "<script>" not in html
    assert re.search(r'id="dataset-shelters" name="datasets" value="shelters" checked', html)
    assert not re.search(r'id="dataset-evacuation-sites"[^>]*checked', html)
    assert 'id="dataset-community-bus"' in html
    # private datasets are never offered
    assert "private-staff" not in html and "kikaku-private" not in html
    for field in ("title", "url", "reuse_type", "description", "contact"):
        assert f'<label for="{field}">' in html
    assert 'name="csrf_token"' in html and f'name="{HONEYPOT}"' in html
    # every kind of the catalog's vocabulary is offered, in Japanese
    for kind, label in (("app", "アプリ"), ("visualization", "可視化"), ("service", "サービス")):
        assert f'<option value="{kind}">{label}</option>' in html


def test_a_submission_is_public_only_after_approval_and_then_counted(visitor, admin, staff_config):
    before = reuse_total(visitor)
    response = submit(visitor)
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("/reuses/thanks")
    thanks = visitor.get(response.headers["location"])
    assert "承認" in thanks.text and "公開されません" in thanks.text

    created = find_reuse(staff_config)
    assert created is not None and created["moderation_state"] == "pending"
    assert {d["name"] for d in created["datasets"]} == {"shelters", "evacuation-sites"}
    assert created["contact"] == CONTACT  # kept for the moderators
    assert NEW_URL not in public_urls(visitor)
    shown = api(visitor, "ckanext_showcase_show", id=created["id"])
    assert shown["success"] is False
    assert api(visitor, "package_show", id=created["id"])["success"] is False
    assert reuse_total(visitor) == before

    queue = admin.get("/staff/reuses")
    assert queue.status_code == 200
    assert "避難所さがしアプリ" in queue.text and CONTACT in queue.text
    assert moderate(admin, created["id"], "approve").status_code == 303
    done = admin.get(f"/staff/reuses?done={created['id']}")
    assert "を承認しました" in done.text

    assert NEW_URL in public_urls(visitor)
    assert reuse_total(visitor) == before + 1
    counts = api(visitor, "reuse_count", dataset="evacuation-sites")["result"]
    assert counts["datasets"] == [
        {"id": counts["datasets"][0]["id"], "name": "evacuation-sites",
         "title": counts["datasets"][0]["title"], "count": 1}
    ]  # fmt: skip
    # the contact never reaches anonymous readers, even once approved
    shown = api(visitor, "ckanext_showcase_show", id=created["id"])
    assert shown["success"] is True
    listed = visitor.get("/api/3/action/reuse_list").text
    package = visitor.get("/api/3/action/package_show", params={"id": created["id"]})
    assert package.json()["success"] is True
    assert CONTACT not in str(shown) and CONTACT not in listed and CONTACT not in package.text


def test_a_rejected_submission_never_appears(visitor, admin, staff_config):
    before = reuse_total(visitor)
    assert submit(visitor).status_code == 303
    created = find_reuse(staff_config)
    assert moderate(admin, created["id"], "reject").status_code == 303
    assert find_reuse(staff_config)["moderation_state"] == "rejected"
    assert NEW_URL not in public_urls(visitor)
    assert reuse_total(visitor) == before
    decided = admin.get("/staff/reuses").text
    assert "却下" in decided and "避難所さがしアプリ" in decided


def test_an_editor_cannot_moderate(visitor, editor, staff_config):
    assert submit(visitor).status_code == 303
    created = find_reuse(staff_config)
    assert editor.get("/staff/reuses").status_code == 403
    token = csrf_of(editor.get("/staff/").text)
    refused = editor.post(
        f"/staff/reuses/{created['id']}/approve", data={"csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 403
    assert "権限がありません" in refused.text
    assert find_reuse(staff_config)["moderation_state"] == "pending"
    assert NEW_URL not in public_urls(visitor)


def test_anonymous_moderation_is_refused(visitor, staff_config):
    assert submit(visitor).status_code == 303
    created = find_reuse(staff_config)
    token = csrf_of(visitor.get("/reuses/new").text)
    refused = visitor.post(
        f"/staff/reuses/{created['id']}/approve", data={"csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 401
    assert visitor.get("/staff/reuses", follow_redirects=False).status_code == 303
    assert find_reuse(staff_config)["moderation_state"] == "pending"


def test_a_post_without_the_csrf_token_is_refused(visitor, staff_config):
    visitor.get("/reuses/new")  # the visitor has the cookie, but the form does not send the token
    data = submission("")
    del data["csrf_token"]
    refused = visitor.post("/reuses/new", data=data, follow_redirects=False)
    assert refused.status_code == 403
    forged = visitor.post("/reuses/new", data=submission("forged.token"), follow_redirects=False)
    assert forged.status_code == 403
    assert find_reuse(staff_config) is None


def test_the_honeypot_refuses_bots(visitor, staff_config):
    refused = submit(visitor, **{HONEYPOT: "http://spam.example/"})
    assert refused.status_code == 400
    assert "送信を受け付けられませんでした" in refused.text
    assert find_reuse(staff_config) is None


def test_errors_are_shown_in_japanese_next_to_their_fields(visitor, staff_config):
    refused = submit(
        visitor, title="", url="ftp://files.example.jp/x", reuse_type="game",
        datasets=["private-staff"], contact="not-an-address",
    )  # fmt: skip
    assert refused.status_code == 400
    html = refused.text
    for field, message in (
        ("title", "タイトルを入力してください"),
        ("url", "http:// か https:// で始まる"),
        ("reuse_type", "種類を選んでください"),
        ("datasets", "一覧にあるデータセットから選んでください"),
        ("contact", "メールアドレス"),
    ):
        errors = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', html, re.S)
        assert errors and message in errors.group(1), field
        assert re.search(rf'aria-describedby="[^"]*{field}-error"', html), field
    assert 'value="ftp://files.example.jp/x"' in html  # what was typed is kept
    assert find_reuse(staff_config, "ftp://files.example.jp/x") is None
    assert "private-staff" not in {
        d["name"]
        for item in site_catalog(staff_config).action.reuse_list()
        for d in item["datasets"]
    }


def test_the_catalogs_own_refusal_is_shown_at_its_field(visitor):
    """A URL already registered: the catalog's reuse_create refuses it."""
    refused = submit(visitor, url="https://example.jp/hinanjo-map/")
    assert refused.status_code == 400
    errors = re.search(r'<ul class="field-errors" id="url-error">(.*?)</ul>', refused.text, re.S)
    assert errors and "同じ URL の活用事例がすでに登録されています" in errors.group(1)
    assert "already exists" not in refused.text  # the Japanese half only


def test_submissions_are_rate_limited_per_address(visitor, staff_config):
    for n in range(SUBMISSIONS_PER_HOUR):
        assert submit(visitor, url=f"https://apps.example.jp/{n}").status_code == 303
    refused = submit(visitor, url="https://apps.example.jp/one-more")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "分後にもう一度送信してください" in refused.text
    assert 'value="https://apps.example.jp/one-more"' in refused.text  # nothing typed is lost
    assert find_reuse(staff_config, "https://apps.example.jp/one-more") is None


# ---------------------------------------------------------------- the site links to the form


def test_the_site_links_to_the_form(staff_config, tmp_path):
    out = tmp_path / "_site"
    SiteBuilder(staff_config, out, base_url="https://static.example.jp/open").build()
    server = staff_config.site_url.rstrip("/")
    dataset_page = (out / "dataset" / "shelters" / "index.html").read_text("utf-8")
    assert f'<a href="{server}/reuses/new?dataset=shelters">活用事例を投稿する</a>' in dataset_page
    reuses_page = (out / "reuses" / "index.html").read_text("utf-8")
    assert f'<a href="{server}/reuses/new">活用事例を投稿する</a>' in reuses_page


# ---------------------------------------------------------------- the KPI dashboard

PERIOD = {"from": "2024-01", "to": "2024-03"}


def seed_metrics(config) -> None:
    """Downloads and feed pulls on known days of a period the demo log does not touch."""
    catalog = site_catalog(config)
    ids = {name: catalog.action.package_show(id=name)["id"]
           for name in ("shelters", "evacuation-sites", "community-bus")}  # fmt: skip
    with catalog.session() as session:

        def download(name: str, day: str, ip: str) -> None:
            tracking.record_download(
                session, package_id=ids[name], resource_id="r-" + name,
                url=f"/dataset/{ids[name]}/resource/r-{name}/download", client_ip=ip,
                user_agent="Mozilla/5.0", now=datetime.fromisoformat(day + "T05:00:00"),
            )  # fmt: skip

        def pull(day: str, agent: str, not_modified: bool, times: int) -> None:
            for _ in range(times):
                tracking.record_feed_fetch(
                    session, package_id=ids["community-bus"], user_agent=agent,
                    not_modified=not_modified, now=datetime.fromisoformat(day + "T05:00:00"),
                )  # fmt: skip

        download("shelters", "2023-12-31", "192.0.2.1")  # before the period
        download("shelters", "2024-01-10", "192.0.2.1")
        download("shelters", "2024-01-10", "192.0.2.1")  # the same visitor, URL and day: once
        download("shelters", "2024-01-10", "192.0.2.2")
        download("evacuation-sites", "2024-02-03", "192.0.2.1")
        download("shelters", "2024-04-01", "192.0.2.1")  # after the period
        pull("2024-01-15", "Google-Transit/1.0", False, 2)
        pull("2024-03-02", "NAVITIME-Fetcher/2.0", True, 3)


def csv_table(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel opens it
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_kpi_csv_has_the_figures_of_the_period(editor, staff_config):
    seed_metrics(staff_config)
    response = editor.get("/staff/kpi.csv", params=PERIOD)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    assert "2024-01-01_2024-03-31.csv" in response.headers["content-disposition"]
    rows = csv_table(response.content)
    assert rows[0] == ["区分", "月", "データセット", "タイトル", "種別", "指標", "値"]
    figures = {(r[0], r[1], r[2], r[4], r[5]): r[6] for r in rows[1:]}
    assert figures[("注記", "", "", "", "期間")] == "2024-01-01〜2024-03-31"
    monthly = {
        m: figures[("ダウンロード数", m, "", "", "ダウンロード")]
        for m in ("2024-01", "2024-02", "2024-03")
    }
    assert monthly == {"2024-01": "2", "2024-02": "1", "2024-03": "0"}
    assert (
        figures[("データセット別ダウンロード数", "2024-01", "shelters", "", "ダウンロード")] == "2"
    )
    assert figures[("GTFS取得", "2024-01", "", "Google", "取得(200)")] == "2"
    assert figures[("GTFS取得", "2024-03", "", "NAVITIME", "確認(304)")] == "3"
    assert figures[("GTFS取得", "2024-03", "", "NAVITIME", "取得(200)")] == "0"
    assert figures[("二次利用件数", "", "", "", "承認済み（合計）")] == "1"
    assert not any(r[1] in ("2023-12", "2024-04") for r in rows[1:])


def test_the_kpi_csv_follows_approvals(visitor, admin, staff_config):
    assert submit(visitor).status_code == 303
    moderate(admin, find_reuse(staff_config)["id"], "approve")
    rows = csv_table(admin.get("/staff/kpi.csv").content)
    figures = {(r[0], r[5], r[4]): r[6] for r in rows[1:]}
    assert figures[("二次利用件数", "承認済み（合計）", "")] == "2"
    assert figures[("二次利用件数", "承認済み", "アプリ")] == "2"


def test_the_kpi_page_draws_charts_with_tables_and_freshness(editor, staff_config):
    seed_metrics(staff_config)
    page = editor.get("/staff/kpi", params=PERIOD)
    assert page.status_code == 200
    html = page.text
    assert 'value="2024-01"' in html and 'value="2024-03"' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 5
    downloads = html[html.index('id="downloads-caption"') :]
    downloads = downloads[: downloads.index("</table>")]
    rows = re.findall(r'<th scope="row">(.+?)</th><td class="num">(\d+)</td>', downloads)
    assert rows == [("2024年1月", "2"), ("2024年2月", "1"), ("2024年3月", "0"), ("合計", "3")]
    assert 'data-value="2"' in html  # January's bar
    assert "/staff/kpi.csv?from=2024-01-01&amp;to=2024-03-31" in html
    assert "更新の状況（kokai status）" in html
    # the demo feed runs until 2027-03-31: whatever today is, the page says what `kokai status` says
    assert ("対応が必要なものが" in html) or ("問題なし" in html)
    assert "<script>" not in html


def test_the_kpi_page_explains_a_wrong_period(editor):
    page = editor.get("/staff/kpi", params={"from": "2024-13", "to": "2024-03"})
    assert page.status_code == 400
    errors = re.search(
        r'<ul class="field-errors" id="period-from-error">(.*?)</ul>', page.text, re.S
    )
    assert errors and "YYYY-MM" in errors.group(1)
    assert 'aria-invalid="true"' in page.text


def test_the_kpi_pages_need_a_signed_in_user(visitor):
    assert visitor.get("/staff/kpi", follow_redirects=False).status_code == 303
    assert visitor.get("/staff/kpi.csv", follow_redirects=False).status_code == 303


def refuse_publish(config, name: str) -> None:
    site_catalog(config).action.publish_record_create(
        package_name=name, status="refused", by="tester", summary={"errors": 3}
    )


def freshness_section(html: str) -> str:
    start = html.index('<h2 id="freshness">')
    return html[start : html.index('<h2 id="kpi-summary">')]


def test_freshness_alerts_are_those_of_kokai_status_the_user_may_see(editor, admin, staff_config):
    """A refused publish of shelters (the editor's organisation) and of
    community-bus (another's): the publish log is shown to those who may edit."""
    refuse_publish(staff_config, "shelters")
    refuse_publish(staff_config, "community-bus")
    mine = freshness_section(editor.get("/staff/kpi").text)
    assert "公開の拒否（1 件）" in mine
    assert "（shelters）の最後の公開" in mine and "エラー 3 件" in mine
    assert 'href="/staff/datasets/shelters"' in mine
    assert "community-bus" not in mine
    everything = freshness_section(admin.get("/staff/kpi").text)
    assert "公開の拒否（2 件）" in everything
    assert (
        "（shelters）の最後の公開" in everything and "（community-bus）の最後の公開" in everything
    )


def test_an_organisation_admin_moderates_only_its_own_datasets_reuses(
    visitor, staff_app, staff_config
):
    """The catalog decides: an admin of bousai approves a reuse of bousai's
    datasets, but not one that also uses kikaku's community-bus."""
    site_catalog(staff_config).action.organization_member_create(
        id="shiomi-city-bousai", username="editor", role="admin"
    )
    assert submit(visitor).status_code == 303  # shelters + evacuation-sites (bousai)
    mixed_url = "https://apps.example.jp/bus-and-shelters"
    assert submit(visitor, url=mixed_url, datasets=["shelters", "community-bus"]).status_code == 303
    own, mixed = find_reuse(staff_config), find_reuse(staff_config, mixed_url)
    with TestClient(staff_app) as client:
        bousai_admin = signed_in_client(client, "editor")
        queue = bousai_admin.get("/staff/reuses")
        assert queue.status_code == 200
        assert f"/staff/reuses/{own['id']}/approve" in queue.text
        assert f"/staff/reuses/{mixed['id']}/approve" not in queue.text
        assert moderate(bousai_admin, mixed["id"], "approve").status_code == 403
        assert moderate(bousai_admin, own["id"], "approve").status_code == 303
    assert find_reuse(staff_config)["moderation_state"] == "approved"
    assert find_reuse(staff_config, mixed_url)["moderation_state"] == "pending"
