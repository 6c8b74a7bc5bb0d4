"""The staff UI's describe → publish → history / diff / rollback (issue 11, points 4 and 5),
driven through the real app with TestClient and users signed in through the login form."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from kokai.catalog.client import LocalCatalog
from kokai.config import Config
from kokai.site.build import SiteBuilder
from kokai.web.staff import drafts
from kokai.web.staff.upload_store import save_upload

EMAIL_ROW_NOTE = "連絡は taro.yamada@gmail.com まで"


@dataclass
class City:
    """The test's copy of the demo city (tests/web/staff/conftest.py's staff_config)."""

    config: Config

    @property
    def datasets(self) -> Path:
        return Path(self.config.datasets_dir)

    def catalog(self) -> LocalCatalog:
        return LocalCatalog(self.config).as_site()

    def stored_blobs(self) -> set[str]:
        root = Path(self.config.storage_location)
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def city(staff_config) -> City:
    return City(staff_config)


@pytest.fixture
def app(staff_app):
    return staff_app


@pytest.fixture
def client_for(app, signed_in):
    """A browser signed in as a user through the login form."""
    return lambda user: signed_in(TestClient(app), user)


def upload(city: City, path: Path, user: str = "editor", dataset: str | None = "shelters",
           resource: str | None = "shelters", organization: str | None = None) -> str:
    """The file as the upload page stores it; its upload id."""
    with path.open("rb") as handle:
        record = save_upload(city.config, user=user, filename=path.name, source=handle, dataset=dataset,
                             resource=resource, organization=organization)  # fmt: skip
    return record.id


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def post_form(client: TestClient, page_url: str, action: str, data: dict, **kwargs):
    """Post `data` as the form on `page_url` would (with that page's CSRF token)."""
    token = csrf_of(client.get(page_url).text)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False, **kwargs)


def folder_bytes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def describe_values(city: City, name: str, **changes) -> dict[str, str]:
    """The describe form as the page fills it in, with `changes`."""
    from kokai.web.staff.describe import form_values

    _, descriptor = drafts.read_descriptor(city.datasets / name)
    return {**form_values(descriptor, city.config, name), **changes}


def shelters_csv(city: City) -> str:
    return (city.datasets / "shelters" / "shelters.csv").read_text("utf-8")


# ---------------------------------------------------------------- describe


def test_describe_errors_are_shown_in_japanese_next_to_their_fields(city, app, client_for):
    editor = client_for("editor")
    before = folder_bytes(city.datasets / "shelters")
    page = editor.get("/staff/datasets/shelters/describe")
    assert page.status_code == 200
    assert 'value="指定避難所一覧"' in page.text
    assert "出典：" in page.text and "公共データ利用規約" in page.text  # licences with their credit line
    assert ">随時</option>" in page.text and ">毎年</option>" in page.text
    url = "/staff/datasets/shelters/describe"
    values = describe_values(city, "shelters", title="", keywords="防災、避難・所", min_lon="東経137")
    answer = post_form(editor, url, url, values)
    assert answer.status_code == 422
    html = answer.text
    summary = html[html.index('id="error-summary"'):html.index("</div>", html.index('id="error-summary"'))]
    for anchor in ("#title", "#keywords", "#min_lon"):
        assert f'href="{anchor}"' in summary
    title_input = re.search(r'<input type="text" id="title"[^>]*>', html).group(0)
    assert 'aria-describedby="title-hint title-error"' in title_input and 'aria-invalid="true"' in title_input
    title_errors = re.search(r'<ul class="field-errors" id="title-error">(.*?)</ul>', html, re.S).group(1)
    assert "title" in title_errors and "ありません" in title_errors  # the gate's package_field_missing
    keyword_errors = re.search(r'id="keywords-error">(.*?)</ul>', html, re.S).group(1)
    assert "「避難・所」はカタログのタグにできません" in keyword_errors
    assert "最小経度を数値" in re.search(r'id="spatial-error">(.*?)</ul>', html, re.S).group(1)
    assert folder_bytes(city.datasets / "shelters") == before  # nothing saved


def test_save_keeps_the_other_keys_and_writes_no_temp_file(city, app, client_for):
    folder = city.datasets / "shelters"
    path = folder / "datapackage.yaml"
    original = yaml.safe_load(path.read_text("utf-8"))
    path.write_text(path.read_text("utf-8") + "x-city-note:\n  checked_by: 危機管理課\n", "utf-8")
    editor = client_for("editor")
    url = "/staff/datasets/shelters/describe"
    values = describe_values(city, "shelters", title="指定避難所の一覧（令和8年度）", keywords="防災、避難所、福祉避難所",
                             update_frequency="毎年")  # fmt: skip
    answer = post_form(editor, url, url, values)
    assert answer.status_code == 303, answer.text
    saved = yaml.safe_load(path.read_text("utf-8"))
    assert saved["title"] == "指定避難所の一覧（令和8年度）"
    assert saved["keywords"] == ["防災", "避難所", "福祉避難所"]
    assert saved["kokai:update_frequency"] == "毎年"
    assert saved["x-city-note"] == {"checked_by": "危機管理課"}
    for key in ("name", "description", "licenses", "kokai:organization", "kokai:spatial", "resources"):
        assert saved[key] == original[key], key
    assert list(saved)[: len(original)] == list(original)  # key order kept
    assert sorted(p.name for p in folder.iterdir()) == ["datapackage.yaml", "shelters.csv"]
    assert "保存しました" in editor.get(answer.headers["location"]).text


def test_organisation_choices_are_the_users_own(city, app, client_for):
    editor = client_for("editor")
    html = editor.get("/staff/datasets/shelters/describe").text
    options = re.search(r'<select id="organization".*?</select>', html, re.S).group(0)
    assert 'value="shiomi-city-bousai"' in options and 'value="shiomi-city-kikaku"' not in options
    url = "/staff/datasets/shelters/describe"
    moved = post_form(editor, url, url, describe_values(city, "shelters", organization="shiomi-city-kikaku"))
    assert moved.status_code == 422
    assert "には公開できません" in re.search(r'id="organization-error">(.*?)</ul>', moved.text, re.S).group(1)


def test_a_descriptor_that_cannot_be_read_is_not_overwritten(city, app, client_for):
    path = city.datasets / "shelters" / "datapackage.yaml"
    path.write_text("title: [壊れた\n", "utf-8")
    editor = client_for("editor")
    url = "/staff/datasets/shelters/describe"
    page = editor.get(url)
    assert page.status_code == 409 and "datapackage.yaml を読めません" in page.text
    answer = editor.post(url, data={"csrf_token": csrf_of(page.text), **describe_values_of_demo()})
    assert answer.status_code == 422 and "datapackage.yaml を読めません" in answer.text
    assert path.read_text("utf-8") == "title: [壊れた\n"


def describe_values_of_demo() -> dict[str, str]:
    return {"title": "指定避難所一覧", "description": "説明です。", "license": "cc-by-4.0", "keywords": "防災",
            "update_frequency": "随時", "organization": "shiomi-city-bousai",
            "min_lon": "137.88", "min_lat": "34.665", "max_lon": "138.04", "max_lat": "34.755"}  # fmt: skip


# ---------------------------------------------------------------- publish


def test_publishing_an_edited_description_makes_a_new_version(city, app, client_for):
    editor = client_for("editor")
    url = "/staff/datasets/shelters/describe"
    text = "潮見市の指定避難所の一覧です。危機管理課が更新します。"
    assert post_form(editor, url, url, describe_values(city, "shelters", description=text)).status_code == 303
    answer = post_form(editor, "/staff/datasets/shelters", "/staff/datasets/shelters/publish", {})
    assert answer.status_code == 200, answer.text
    assert "公開しました（版 2）" in answer.text and "description" in answer.text
    package = city.catalog().action.package_show(id="shelters")
    assert package["notes"] == text
    record = city.catalog().action.publish_record_list(id="shelters", limit=1)[0]
    assert (record["version"], record["by"], record["changes"]["metadata"]) == (2, "editor", ["description"])
    page = editor.get("/staff/datasets/shelters").text
    history = page[page.index('id="history-heading"'):]
    assert re.search(r"<th scope=\"row\">版 2</th>\s*<td[^>]*>\d{4}年\d+月\d+日 \d\d:\d\d</td>\s*<td[^>]*>editor</td>", history)
    # publishing again with nothing changed writes nothing
    again = post_form(editor, "/staff/datasets/shelters", "/staff/datasets/shelters/publish", {})
    assert "変更はありません（版 2 のまま）" in again.text


def test_a_refused_publish_changes_nothing(city, app, client_for, tmp_path):
    SiteBuilder(city.config, city.config.site_dir).build()
    broken = tmp_path / "shelters.csv"
    lines = shelters_csv(city).splitlines()
    lines[1] += EMAIL_ROW_NOTE  # 備考 is the last column
    broken.write_text("\n".join(lines) + "\n", "utf-8")
    upload_id = upload(city, broken)
    catalog = city.catalog()
    package_before = catalog.action.package_show(id="shelters")
    blobs_before = city.stored_blobs()
    folder_before = folder_bytes(city.datasets / "shelters")
    site_before = folder_bytes(city.config.site_dir)
    editor = client_for("editor")
    answer = post_form(editor, "/staff/datasets/shelters", "/staff/datasets/shelters/publish", {"upload": upload_id})
    assert answer.status_code == 422
    assert "公開できません" in answer.text and "個人のアドレス" in answer.text
    assert "t***@gmail.com" in answer.text and "taro.yamada@gmail.com" not in answer.text
    assert ".staging" not in answer.text and str(city.config.root) not in answer.text  # no server paths
    assert "datasets/shelters/shelters.csv" in answer.text  # but the dataset's own folder
    assert catalog.action.package_show(id="shelters") == package_before
    assert city.stored_blobs() == blobs_before
    assert folder_bytes(city.datasets / "shelters") == folder_before
    assert folder_bytes(city.config.site_dir) == site_before
    assert not any((city.datasets / drafts.STAGING).iterdir())
    assert catalog.action.publish_record_list(id="shelters", limit=1)[0]["status"] == "refused"


def test_an_upload_is_published_with_the_diff_of_the_change_and_can_be_rolled_back(city, app, client_for, tmp_path):
    SiteBuilder(city.config, city.config.site_dir).build()
    original = shelters_csv(city)
    lines = original.splitlines()
    header, rows = lines[0], lines[1:]
    first = rows[0].split(",")
    first[2] = first[2] + "（体育館）"  # 施設・場所名 of NO 1 changed
    new_row = ",".join(["99", "E2299900099111", "潮見新公民館", "静岡県潮見市本町一丁目9-9", "", "", "", "34.71", "137.95", ""])
    updated = [header, ",".join(first), *rows[1:-1], new_row]  # last row removed, one added
    table = tmp_path / "避難所.csv"
    table.write_text("\n".join(updated) + "\n", "utf-8")
    upload_id = upload(city, table)
    editor = client_for("editor")
    site_before = folder_bytes(city.config.site_dir)
    form = editor.get(f"/staff/datasets/shelters?upload={upload_id}")  # where the upload report leads
    assert f'<input type="hidden" name="upload" value="{upload_id}">' in form.text and "避難所.csv" in form.text
    other_page = client_for("other_editor").get(f"/staff/datasets/shelters?upload={upload_id}")
    assert other_page.status_code == 200 and upload_id not in other_page.text  # not theirs: no form
    answer = editor.post("/staff/datasets/shelters/publish", data={"upload": upload_id, "csrf_token": csrf_of(form.text)})
    assert answer.status_code == 200, answer.text
    assert "公開しました（版 2）" in answer.text
    assert shelters_csv(city) == table.read_text("utf-8")  # the folder now holds the published file
    assert folder_bytes(city.config.site_dir) != site_before  # the built site was updated
    page = editor.get("/staff/datasets/shelters").text
    assert "追加 1 行・削除 1 行・変更 1 行" in page
    assert "「NO」で対応づけています" in page
    assert "潮見新公民館" in page and "潮見第一小学校（体育館）" in page
    versions = {r["version"]: r for r in city.catalog().action.publish_record_list(id="shelters", status="published")}
    confirm = editor.get("/staff/datasets/shelters/rollback/1")
    assert confirm.status_code == 200 and "版 1 に戻しますか" in confirm.text
    done = post_form(editor, "/staff/datasets/shelters/rollback/1", "/staff/datasets/shelters/rollback/1", {})
    assert done.status_code == 200, done.text
    assert "版 1 の内容で公開しました（版 3）" in done.text
    resource = city.catalog().action.package_show(id="shelters")["resources"][0]
    assert resource["hash"] == versions[1]["manifest"]["shelters"]["sha256"]
    history = editor.get("/staff/datasets/shelters/history").text
    assert "版 1 に戻しました" in history
    assert shelters_csv(city) == original  # the folder holds version 1 again
    again = post_form(editor, "/staff/datasets/shelters", "/staff/datasets/shelters/publish", {})
    assert "変更はありません（版 3 のまま）" in again.text  # publishing the folder does not undo the rollback
    assert editor.post("/staff/datasets/shelters/rollback/9", data={"csrf_token": csrf_of(again.text)}).status_code == 404


def test_the_fixed_copy_of_an_upload_can_be_published(city, app, client_for, tmp_path):
    from kokai.web.staff.common import StaffUser
    from kokai.web.staff.upload_store import get_upload, update_record

    lines = shelters_csv(city).splitlines()
    broken = tmp_path / "shelters.csv"
    broken.write_text("\n".join([lines[0], lines[1].replace(",1,", ",0,", 1), *lines[2:]]) + "\n", "utf-8")
    upload_id = upload(city, broken)
    editor = client_for("editor")
    record = get_upload(city.config, upload_id, StaffUser("", "editor", "", False))
    fixed = record.path.with_name("shelters_修正.csv")
    fixed.write_text("\n".join(lines[:-1]) + "\n", "utf-8")  # what `kokai fix` would have written
    record.fixed_path, record.error_count = fixed, 1
    update_record(record)
    form = editor.get(f"/staff/datasets/shelters?upload={upload_id}")
    assert 'name="fixed" value="1" checked' in form.text
    answer = editor.post("/staff/datasets/shelters/publish",
                         data={"upload": upload_id, "fixed": "1", "csrf_token": csrf_of(form.text)})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert shelters_csv(city) == fixed.read_text("utf-8")


def test_another_organisations_editor_gets_403(city, app, client_for):
    other = client_for("other_editor")
    before = folder_bytes(city.datasets / "shelters")
    package_before = city.catalog().action.package_show(id="shelters")
    page = other.get("/staff/datasets/shelters")  # public dataset: visible, but nothing to do
    assert page.status_code == 200
    assert "/staff/datasets/shelters/publish" not in page.text and "公開の記録" not in page.text
    token = csrf_of(page.text)  # a valid token of their own session
    for path in ("/staff/datasets/shelters/publish", "/staff/datasets/shelters/rollback/1",
                 "/staff/datasets/shelters/describe"):  # fmt: skip
        answer = other.post(path, data={"csrf_token": token, **describe_values(city, "shelters", title="乗っ取り")})
        assert answer.status_code == 403, path
    assert other.get("/staff/datasets/shelters/describe").status_code == 403
    assert other.get("/staff/datasets/shelters/history").status_code == 403
    assert folder_bytes(city.datasets / "shelters") == before
    assert city.catalog().action.package_show(id="shelters") == package_before


def test_the_publish_button_is_refused_without_a_csrf_token_or_a_sign_in(city, app, client_for):
    editor = client_for("editor")
    assert editor.post("/staff/datasets/shelters/publish", data={}).status_code == 403
    anonymous = TestClient(app)
    assert anonymous.get("/staff/datasets/shelters", follow_redirects=False).status_code == 303
    assert len(city.catalog().action.publish_record_list(id="shelters")) == 1


def test_a_new_dataset_from_an_upload(city, app, client_for, tmp_path):
    table = tmp_path / "aed.csv"
    table.write_text("ID,名称,緯度,経度\nA1,潮見市役所,34.710299,137.951162\nA2,潮見市立図書館,34.7131,137.9544\n", "utf-8")
    upload_id = upload(city, table, dataset=None, resource=None, organization="shiomi-city-bousai")
    editor = client_for("editor")
    form = editor.get(f"/staff/new?upload={upload_id}")
    assert form.status_code == 200 and 'value="aed"' in form.text  # the title starts as the file's name
    values = {"name": "aed-locations", "title": "AED設置箇所一覧", "description": "市の施設のAEDの場所です。",
              "license": "cc-by-4.0", "keywords": "防災、AED", "update_frequency": "毎年",
              "organization": "shiomi-city-bousai", "min_lon": "137.88", "min_lat": "34.665",
              "max_lon": "138.04", "max_lat": "34.755", "upload": upload_id}  # fmt: skip
    created = post_form(editor, f"/staff/new?upload={upload_id}", "/staff/new", values)
    assert created.status_code == 303, created.text
    assert created.headers["location"].endswith("/staff/datasets/aed-locations")
    folder = city.datasets / "aed-locations"
    descriptor = yaml.safe_load((folder / "datapackage.yaml").read_text("utf-8"))
    assert descriptor["kokai:organization"] == "shiomi-city-bousai"
    assert descriptor["resources"] == [{"name": "aed", "path": "aed.csv", "format": "csv", "mediatype": "text/csv"}]
    assert (folder / "aed.csv").read_bytes() == table.read_bytes()
    answer = post_form(editor, "/staff/datasets/aed-locations", "/staff/datasets/aed-locations/publish", {})
    assert answer.status_code == 200, answer.text
    assert "新しく公開しました（版 1）" in answer.text
    package = city.catalog().action.package_show(id="aed-locations")
    assert package["organization"]["name"] == "shiomi-city-bousai" and package["title"] == "AED設置箇所一覧"


def test_other_editor_cannot_create_a_dataset_in_another_organisation(city, app, client_for):
    other = client_for("other_editor")
    values = {"name": "not-mine", "title": "よその部署のデータ", "description": "説明です。", "license": "cc-by-4.0",
              "keywords": "", "update_frequency": "毎年", "organization": "shiomi-city-bousai",
              "min_lon": "", "min_lat": "", "max_lon": "", "max_lat": ""}  # fmt: skip
    answer = post_form(other, "/staff/new", "/staff/new", values)
    assert answer.status_code in (403, 422)
    assert not (city.datasets / "not-mine").exists()


# ---------------------------------------------------------------- staging


def test_an_upload_of_another_type_changes_the_resource(tmp_path):
    folder = tmp_path / "bus"
    (folder / "feed").mkdir(parents=True)
    (folder / "feed" / "agency.txt").write_text("agency_id\n1\n", "utf-8")
    (folder / "datapackage.yaml").write_text(
        "name: bus\nx-note: keep\nresources:\n  - name: gtfs\n    path: feed\n    format: gtfs\n    encoding: utf-8\n", "utf-8"
    )
    feed = tmp_path / "new-feed.zip"
    feed.write_bytes(b"PK\x05\x06" + bytes(18))
    assert drafts.put_upload(folder, "gtfs", feed, "new-feed.zip", "gtfs") == "gtfs"
    descriptor = yaml.safe_load((folder / "datapackage.yaml").read_text("utf-8"))
    assert descriptor["x-note"] == "keep"
    assert descriptor["resources"] == [{"name": "gtfs", "path": "feed.zip", "format": "gtfs", "mediatype": "application/zip"}]
    assert not (folder / "feed").exists() and (folder / "feed.zip").read_bytes() == feed.read_bytes()


def test_move_into_place_keeps_the_old_folder_until_the_new_one_is_in(tmp_path):
    target = tmp_path / "datasets" / "a"
    target.mkdir(parents=True)
    (target / "old.txt").write_text("old", "utf-8")
    staged = tmp_path / "stage" / "a"
    staged.mkdir(parents=True)
    (staged / "new.txt").write_text("new", "utf-8")
    drafts.move_into_place(staged, target)
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert not staged.exists() and not (staged.parent / "a.previous").exists()


def test_an_upload_never_writes_through_a_link_or_outside_the_folder(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("秘密\n", "utf-8")
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "data.csv").symlink_to(outside)
    (folder / "datapackage.yaml").write_text("resources:\n  - name: data\n    path: data.csv\n", "utf-8")
    new = tmp_path / "new.csv"
    new.write_text("名称\n新しい\n", "utf-8")
    drafts.put_upload(folder, "data", new, "new.csv", "csv")
    assert outside.read_text("utf-8") == "秘密\n"
    assert not (folder / "data.csv").is_symlink() and (folder / "data.csv").read_bytes() == new.read_bytes()
    (folder / "datapackage.yaml").write_text("resources:\n  - name: data\n    path: ../outside.csv\n", "utf-8")
    with pytest.raises(drafts.DraftError):
        drafts.put_upload(folder, "data", new, "new.csv", "csv")
    assert outside.read_text("utf-8") == "秘密\n"


def test_staging_never_writes_into_the_dataset_folders_files(city):
    """Staged files are hard links to the dataset folder's: replacing one in
    the copy must leave the folder's file as it was."""
    folder = city.datasets / "shelters"
    (folder / "extra.xlsx").write_bytes(b"old workbook")
    before = folder_bytes(folder)
    workbook = city.config.root / "new.xlsx"
    workbook.write_bytes(b"PK new workbook")
    with drafts.staged_copy(city.config, "shelters") as staged:
        assert (staged / "shelters.csv").stat().st_ino == (folder / "shelters.csv").stat().st_ino
        drafts.put_upload(staged, "shelters", workbook, "new.xlsx", "excel")  # shelters.csv → shelters.xlsx
        drafts.put_upload(staged, "extra", workbook, "new.xlsx", "excel")  # a new resource: extra.xlsx exists
        assert (staged / "extra.xlsx").read_bytes() == b"PK new workbook"
    assert folder_bytes(folder) == before
