"""マイデータセット (/staff/) and the staff layout (issue 11 point 2)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized, NotFound
from kokai.web.staff.common import StaffUser
from kokai.web.staff.datasets import my_datasets
from tests.web.staff.conftest import KIKAKU_PRIVATE, csrf_of, sign_in, signed_in_client

BOUSAI = {"evacuation-sites", "shelters", "private-staff"}
KIKAKU = {"community-bus", KIKAKU_PRIVATE}
EVERY = BOUSAI | KIKAKU | {"population", "public-facilities"}


def listed(html: str) -> set[str]:
    """The dataset names of the rows of the page's table."""
    return set(re.findall(r'<tr id="dataset-([a-z0-9_-]+)"', html))


def row_of(html: str, name: str) -> str:
    start = html.index(f'<tr id="dataset-{name}"')
    return html[start : html.index("</tr>", start)]


def page_for(app, user: str, password: str | None = None) -> str:
    with TestClient(app) as client:
        assert sign_in(client, user, password=password).status_code == 303
        response = client.get("/staff/")
        assert response.status_code == 200
        return response.text


def staff_user(config, name: str) -> StaffUser:
    shown = LocalCatalog(config).as_site().action.user_show(id=name)
    return StaffUser(shown["id"], shown["name"], shown["fullname"] or "", shown["sysadmin"])


def test_an_editor_sees_the_datasets_of_their_organisation_only(staff_app):
    html = page_for(staff_app, "editor")
    assert listed(html) == BOUSAI
    assert "非公開の職員名簿" in html  # the organisation's private dataset too
    assert "企画課の非公開データ" not in html
    assert "潮見市 危機管理課" in html


def test_another_organisations_editor_sees_theirs(staff_app):
    html = page_for(staff_app, "other_editor")
    assert listed(html) == KIKAKU
    assert "非公開の職員名簿" not in html


def test_a_sysadmin_sees_every_dataset(staff_app):
    html = page_for(staff_app, "admin")
    assert listed(html) == EVERY
    assert "すべての組織" in html


def test_each_row_shows_state_update_quality_and_downloads(staff_app, staff_config):
    html = page_for(staff_app, "editor")
    shelters = row_of(html, "shelters")
    assert "公開中" in shelters
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", shelters)
    site = LocalCatalog(staff_config).as_site()
    package = site.action.package_show(id="shelters")
    downloads = package["tracking_summary"]["total"]
    assert downloads > 0  # the demo access log counted some
    assert f"{downloads:,} 回" in shelters
    quality = json.loads(next(e["value"] for e in package["extras"] if e["key"] == "kokai_quality"))
    assert f"{quality['percent']}%" in shelters
    assert 'href="/staff/datasets/shelters"' in shelters
    assert "非公開" in row_of(html, "private-staff")
    assert 'href="/staff/upload"' in html and "新しいデータセット" in html


def test_states_come_from_the_publish_log_and_freshness(staff_app, staff_config):
    site = LocalCatalog(staff_config).as_site()
    site.action.publish_record_create(
        package_name="shelters", status="refused", by="editor", message="個人情報が見つかりました",
        summary={"errors": 2, "warnings": 0, "infos": 0, "codes": {"personal_data_column": 2}},
    )  # fmt: skip
    html = page_for(staff_app, "editor")
    shelters = row_of(html, "shelters")
    assert "前回の公開は拒否" in shelters
    assert "個人情報の指摘あり" in shelters
    assert "検査で拒否されました" in shelters  # what to do, from kokai status' alert
    evacuation = row_of(html, "evacuation-sites")
    assert "前回の公開は拒否" not in evacuation and "個人情報" not in evacuation
    # monthly updates: overdue a year later, not now; 随時 is never overdue
    package = site.action.package_show(id="evacuation-sites")
    extras = [
        e if e["key"] != "update_frequency" else {**e, "value": "毎月"} for e in package["extras"]
    ]
    site.action.package_patch(id="evacuation-sites", extras=extras)
    editor = staff_user(staff_config, "editor")
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=400)
    _, rows = my_datasets(LocalCatalog(staff_config).as_user("editor"), editor, later)
    badges = {row.name: [label for label, _ in row.badges] for row in rows}
    assert "更新期限切れ" in badges["evacuation-sites"]
    assert "更新期限切れ" not in badges["shelters"]  # 随時
    assert "更新期限切れ" not in badges["private-staff"]  # no update frequency: not judged
    _, rows_now = my_datasets(
        LocalCatalog(staff_config).as_user("editor"), editor, datetime.now(UTC).replace(tzinfo=None)
    )
    assert all("更新期限切れ" not in [label for label, _ in row.badges] for row in rows_now)


def test_upload_links_only_where_the_catalog_allows_an_update(staff_app, staff_config):
    site = LocalCatalog(staff_config).as_site()
    site.action.user_create(name="reader", password="reader-password-1")
    site.action.organization_member_create(
        id="shiomi-city-bousai", username="reader", role="member"
    )
    editor_html = page_for(staff_app, "editor")
    assert 'href="/staff/datasets/shelters/upload"' in row_of(editor_html, "shelters")
    reader_html = page_for(staff_app, "reader", password="reader-password-1")
    assert listed(reader_html) == BOUSAI  # members read the private dataset too
    assert not re.search(r'href="/staff/datasets/[^"]+/upload"', reader_html)
    assert "閲覧のみ" in row_of(reader_html, "shelters")


def test_a_hidden_dataset_of_another_organisation_cannot_be_fetched(staff_app, staff_config):
    as_editor = LocalCatalog(staff_config).as_user("editor")
    with pytest.raises((NotAuthorized, NotFound)):
        as_editor.action.package_show(id=KIKAKU_PRIVATE)
    assert not as_editor.check_access("package_update", {"id": "community-bus"})
    token = (
        LocalCatalog(staff_config)
        .as_site()
        .action.api_token_create(user="editor", name="test")["token"]
    )
    with TestClient(staff_app) as client:
        api = client.get(
            f"/api/3/action/package_show?id={KIKAKU_PRIVATE}", headers={"Authorization": token}
        )
        assert api.status_code in (403, 404)
        assert "企画課の非公開データ" not in api.text
        signed_in_client(client, "editor")
        page = client.get(
            f"/staff/datasets/{KIKAKU_PRIVATE}", follow_redirects=False
        )  # the dataset page
        assert page.status_code in (403, 404)
        assert "企画課の非公開データ" not in page.text


def test_the_layout_names_the_city_the_user_and_the_menu(staff_app):
    with TestClient(staff_app) as client:
        signed_in_client(client, "editor")
        html = client.get("/staff/").text
        assert '<html lang="ja">' in html
        assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html
        assert "潮見市 職員ページ" in html and "防災 花子" in html
        for label in ("マイデータセット", "アップロード", "KPI"):
            assert f">{label}</a>" in html
        assert "活用事例の承認" not in html  # for admins only
        assert 'aria-current="page">マイデータセット' in html
        logout = html[html.index('action="/staff/logout"') :]
        logout = logout[: logout.index("</form>")]
        assert csrf_of(logout) and "ログアウト" in logout
        assert "<script>" not in html and "style=" not in html
        assert 'href="/staff/static/site.css?v=' in html
    with TestClient(staff_app) as admin:
        signed_in_client(admin, "admin")
        assert "活用事例の承認" in admin.get("/staff/").text


def test_an_anonymous_visitor_is_sent_to_sign_in(staff_client):
    response = staff_client.get("/staff/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=")
    assert staff_client.get("/staff", follow_redirects=False).headers["location"] == "/staff/"
