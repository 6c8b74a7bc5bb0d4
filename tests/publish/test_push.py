"""`kokai push`: the plan as a pure function, applying it, and the command
end to end against kokai's own CKAN-compatible API served live on 127.0.0.1
as the remote."""

from __future__ import annotations

import hashlib
import socket

import ckanapi
import pytest
import requests

from kokai.cli import main
from kokai.publish.remote_ckan import (
    BODIK_STANDARD_TAG,
    CREATE,
    DELETE,
    MARK,
    REFUSED,
    UNCHANGED,
    UPDATE,
    Applier,
    CountingClient,
    DesiredDataset,
    PushOptions,
    WriteCounter,
    bodik_tags,
    desired_dataset,
    plan_dataset,
    plan_push,
    push,
    refusal_message,
)

SITE = "https://opendata.example.jp"
STANDARDS = {"evacuation-sites": "指定緊急避難場所一覧", "population-by-area-age": "地域・年齢別人口"}


def local_package(name: str = "evacuation-sites", **changes) -> dict:
    """A package dict as kokai's catalog shows a published dataset."""
    package = {
        "name": name, "title": "指定緊急避難場所一覧", "notes": "市の避難場所。", "license_id": "cc-by-4.0",
        "organization": {"name": "shiomi-city-bousai", "title": "潮見市 危機管理課"},
        "tags": [{"name": "防災"}, {"name": "避難場所"}],
        "extras": [{"key": "lg_code", "value": "229997"}, {"key": "update_frequency", "value": "随時"},
                   {"key": "kokai_quality", "value": "{}"}, {"key": "kokai_validation", "value": "{}"}],
        "resources": [{"id": "r1", "name": "evacuation-sites", "description": "一覧", "format": "CSV",
                       "url": f"{SITE}/dataset/p1/resource/r1/download/evacuation_sites.csv",
                       "url_type": "upload", "hash": "a" * 64, "size": 120, "kokai_schema": "evacuation-sites"}],
    }  # fmt: skip
    package.update(changes)
    return package


def as_remote(want: DesiredDataset, **changes) -> dict:
    """What a CKAN's package_show returns after `want` was pushed."""
    resources = [
        {"id": f"remote-{r.name}", "name": r.name, "description": r.description, "format": r.format,
         "url": f"http://ckan.example/download/{r.filename}", "url_type": "upload", "hash": r.sha256,
         "size": r.size, "mimetype": "text/csv", "kokai_schema": r.schema}
        for r in want.resources
    ]  # fmt: skip
    package = {
        "id": "remote-id", "name": want.name, "state": "active", "private": False,
        "organization": {"name": want.organization, "title": want.organization_title},
        "metadata_modified": "2026-11-27T00:00:00", **want.fields, "resources": resources,
    }  # fmt: skip
    package.update(changes)
    return package


def want(**changes) -> DesiredDataset:
    return desired_dataset(local_package(**changes), site_url=SITE, standards=STANDARDS)


# ---------------------------------------------------------------- what the remote should hold


def test_desired_dataset_carries_bodik_tags_extras_and_the_mark():
    desired = want()
    tags = [t["name"] for t in desired.fields["tags"]]
    assert BODIK_STANDARD_TAG in tags and "指定緊急避難場所" in tags and "指定緊急避難場所一覧" in tags
    assert {"防災", "避難場所"} <= set(tags)
    extras = {e["key"]: e["value"] for e in desired.fields["extras"]}
    assert extras == {"lg_code": "229997", "update_frequency": "随時", MARK: SITE}
    assert desired.organization == "shiomi-city-bousai"
    assert desired.resources[0].sha256 == "a" * 64 and desired.resources[0].filename == "evacuation_sites.csv"


def test_no_bodik_tags_without_a_standard_layout():
    package = local_package(resources=[{**local_package()["resources"][0], "kokai_schema": "gsi-shelters"}])
    tags = {t["name"] for t in desired_dataset(package, site_url=SITE, standards=STANDARDS).fields["tags"]}
    assert BODIK_STANDARD_TAG not in tags


def test_bodik_tags_drop_what_a_ckan_tag_cannot_hold():
    assert bodik_tags("地域・年齢別人口") == [BODIK_STANDARD_TAG, "地域年齢別人口"]
    assert bodik_tags("AED設置箇所一覧") == [BODIK_STANDARD_TAG, "AED設置箇所", "AED設置箇所一覧"]


def test_one_remote_organization_with_org_and_links_with_link():
    desired = desired_dataset(local_package(), site_url=SITE, org="shiomi-city", org_title="潮見市",
                              link=True, standards=STANDARDS)  # fmt: skip
    assert (desired.organization, desired.organization_title) == ("shiomi-city", "潮見市")
    assert desired.resources[0].sha256 == "" and desired.resources[0].url.endswith("/download/evacuation_sites.csv")


# ---------------------------------------------------------------- the plan


def test_a_missing_dataset_is_created_with_its_files_uploaded():
    step = plan_dataset(want(), None)
    assert step.action == CREATE
    assert [(r.op, r.name, r.upload) for r in step.resources] == [("create", "evacuation-sites", True)]


def test_the_same_dataset_is_unchanged():
    desired = want()
    assert plan_dataset(desired, as_remote(desired)).action == UNCHANGED


def test_none_and_empty_text_are_the_same():
    desired = want(notes="")
    remote = as_remote(desired, notes=None)
    remote["resources"][0]["description"] = "一覧"
    assert plan_dataset(desired, remote).action == UNCHANGED


def test_a_changed_title_patches_only_the_title():
    step = plan_dataset(want(title="新しいタイトル"), as_remote(want()))
    assert step.action == UPDATE
    assert step.patch == {"title": "新しいタイトル"} and step.resources == []


def test_changed_tags_and_extras_are_sent_whole():
    before = want()
    after = want(tags=[{"name": "防災"}], extras=[{"key": "lg_code", "value": "229997"}])
    step = plan_dataset(after, as_remote(before))
    assert step.changes == ["extras", "tags"]
    assert {e["key"] for e in step.patch["extras"]} == {"lg_code", MARK}


def test_a_changed_file_is_uploaded_again_and_metadata_alone_is_not():
    desired = want()
    remote = as_remote(desired)
    remote["resources"][0]["hash"] = "b" * 64
    step = plan_dataset(desired, remote)
    assert [(r.op, r.upload, r.remote_id) for r in step.resources] == [("update", True, "remote-evacuation-sites")]
    remote = as_remote(desired)
    remote["resources"][0]["description"] = "古い説明"
    step = plan_dataset(desired, remote)
    assert [(r.op, r.upload, r.changes) for r in step.resources] == [("update", False, ["description"])]


def test_a_file_of_another_size_is_uploaded_again():
    desired = want()
    remote = as_remote(desired)
    remote["resources"][0]["size"] = 119
    assert plan_dataset(desired, remote).resources[0].upload is True


def test_remote_resources_kokai_does_not_have_are_deleted():
    desired = want()
    remote = as_remote(desired)
    remote["resources"].append({**remote["resources"][0], "id": "old", "name": "古いファイル"})
    step = plan_dataset(desired, remote)
    assert [(r.op, r.remote_id) for r in step.resources] == [("delete", "old")]


def test_a_remote_dataset_kokai_did_not_push_is_refused_unless_adopted():
    desired = want()
    foreign = as_remote(desired, extras=[{"key": "lg_code", "value": "229997"}])
    step = plan_dataset(desired, foreign)
    assert step.action == REFUSED and "kokai が送ったものではありません" in step.reason
    other_kokai = as_remote(desired, extras=[{"key": MARK, "value": "https://other.example"}])
    assert plan_dataset(desired, other_kokai).action == REFUSED
    adopted = plan_dataset(desired, foreign, adopt=True)
    assert adopted.action == UPDATE and adopted.changes == ["extras"]


def test_delete_only_with_delete_and_only_datasets_this_kokai_pushed():
    desired = [want()]
    gone = {"id": "g1", "name": "old-data", "state": "active", "extras": [{"key": MARK, "value": SITE}]}
    foreign = {"id": "f1", "name": "their-data", "state": "active", "extras": []}
    other = {"id": "o1", "name": "other-kokai", "state": "active", "extras": [{"key": MARK, "value": "https://x"}]}
    remote = {"evacuation-sites": as_remote(desired[0])}
    orgs = {"shiomi-city-bousai": {"name": "shiomi-city-bousai", "title": "潮見市 危機管理課"}}
    kept = plan_push(desired, remote, orgs, site_url=SITE, remote_marked=[gone, foreign, other])
    assert [d.action for d in kept.datasets] == [UNCHANGED] and kept.writes == 0
    plan = plan_push(desired, remote, orgs, site_url=SITE, delete=True, remote_marked=[gone, foreign, other])
    assert [(d.action, d.name) for d in plan.datasets] == [(UNCHANGED, "evacuation-sites"), (DELETE, "old-data")]


def test_organizations_are_created_or_retitled():
    desired = [want()]
    plan = plan_push(desired, {}, {"shiomi-city-bousai": None}, site_url=SITE)
    assert [(a, o.name, o.title) for a, o in plan.organizations] == [(CREATE, "shiomi-city-bousai", "潮見市 危機管理課")]
    plan = plan_push(desired, {}, {"shiomi-city-bousai": {"title": "旧名"}}, site_url=SITE)
    assert [a for a, _ in plan.organizations] == [UPDATE]
    plan = plan_push(desired, {}, {"shiomi-city-bousai": {"title": "潮見市 危機管理課"}}, site_url=SITE)
    assert plan.organizations == []


# ---------------------------------------------------------------- applying it


class RefusingRemote:
    """A remote that refuses package_create of one name as a ckanext-scheming
    site does (a required field kokai does not send), and records the rest."""

    def __init__(self, refuse: str):
        self.refuse = refuse
        self.calls: list[tuple[str, dict]] = []

    def call_action(self, action, data_dict=None, files=None):
        self.calls.append((action, dict(data_dict or {})))
        if action == "package_create" and data_dict["name"] == self.refuse:
            raise ckanapi.ValidationError({"contact_point": ["Missing value"], "__type": "Validation Error"})
        if files:
            files["upload"][1].read()
        return {"id": f"id-{data_dict.get('name', 'r')}"}


def test_a_refused_dataset_is_reported_in_japanese_and_ckans_words_and_the_others_go_through():
    import io

    desired = [want(name="aaa"), want(name="bbb"), want(name="ccc")]
    plan = plan_push(desired, {}, {"shiomi-city-bousai": {"title": "潮見市 危機管理課"}}, site_url=SITE)
    remote = RefusingRemote("bbb")
    applier = Applier(CountingClient(remote, WriteCounter()), lambda r: io.BytesIO(b"x"))
    for step in plan.datasets:
        applier.dataset(step)
    assert [(d.name, d.action) for d in plan.datasets] == [("aaa", CREATE), ("bbb", REFUSED), ("ccc", CREATE)]
    refused = plan.datasets[1]
    assert "リモートの CKAN がデータセット「bbb」を受け付けませんでした" in refused.reason
    assert "contact_point" in refused.reason and "Missing value" in refused.reason
    created = [d["name"] for a, d in remote.calls if a == "package_create"]
    assert created == ["aaa", "bbb", "ccc"]
    uploads = [d for a, d in remote.calls if a == "resource_create"]
    assert [u["package_id"] for u in uploads] == ["id-aaa", "id-ccc"] and uploads[0]["hash"] == "a" * 64


def test_not_authorized_says_what_to_check():
    message = refusal_message("aed", ckanapi.NotAuthorized({"message": "Access denied"}))
    assert "KOKAI_REMOTE_CKAN_TOKEN" in message and "Access denied" in message


# ---------------------------------------------------------------- end to end against a live kokai


@pytest.fixture
def published(city):
    outcomes = city.publish()
    assert {o.status for o in outcomes} == {"published"}
    return city


@pytest.fixture
def run_push(capsys, monkeypatch):
    """`kokai push` through the CLI: (exit code, stdout, stderr)."""

    def run(city, url, *args, token="x"):
        monkeypatch.setenv("KOKAI_REMOTE_CKAN_TOKEN", token)
        code = main(["--config", str(city.root / "kokai.toml"), "push", "--ckan-url", url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def modified(remote) -> dict[str, str]:
    return {n: remote.action.package_show(id=n)["metadata_modified"] for n in remote.action.package_list()}


def test_push_mirrors_the_catalog_then_a_second_push_writes_nothing(published, live_server, run_push):
    remote = ckanapi.RemoteCKAN(live_server.url, apikey=live_server.token)
    code, out, err = run_push(published, live_server.url, "--dry-run", token=live_server.token)
    assert code == 0 and "--dry-run" in out and "作成予定" in out
    assert remote.action.package_list() == []  # the plan wrote nothing

    code, out, err = run_push(published, live_server.url, token=live_server.token)
    assert code == 0, err
    assert "作成 5 件" in out
    local = published.catalog()
    assert sorted(remote.action.package_list()) == sorted(local.action.package_list())
    shown = remote.action.package_show(id="evacuation-sites")
    mine = local.action.package_show(id="evacuation-sites")
    assert shown["organization"]["name"] == "shiomi-city-bousai"
    assert shown["organization"]["title"] == "潮見市 危機管理課"
    assert shown["title"] == mine["title"] and shown["notes"] == mine["notes"]
    assert shown["license_id"] == mine["license_id"]
    extras = {e["key"]: e["value"] for e in shown["extras"]}
    assert extras["lg_code"] == "229997" and extras["update_frequency"] == "随時" and extras[MARK] == published.config.site_url
    tags = {t["name"] for t in shown["tags"]}
    assert {t["name"] for t in mine["tags"]} | {BODIK_STANDARD_TAG, "指定緊急避難場所"} <= tags
    assert BODIK_STANDARD_TAG not in {t["name"] for t in remote.action.package_show(id="shelters")["tags"]}
    for name in remote.action.package_list():
        for theirs, ours in zip(remote.action.package_show(id=name)["resources"],
                                local.action.package_show(id=name)["resources"], strict=True):  # fmt: skip
            body = requests.get(theirs["url"], timeout=10).content
            assert hashlib.sha256(body).hexdigest() == ours["hash"] == theirs["hash"]
            assert theirs["url_type"] == "upload" and theirs["url"].startswith(live_server.url)

    before = modified(remote)
    code, out, err = run_push(published, live_server.url, token=live_server.token)
    assert code == 0 and "変更はありません" in out and "変更なし 5 件" in out
    assert modified(remote) == before  # no write reached the remote


def test_push_counts_no_write_call_the_second_time(published, live_server):
    from kokai.catalog.client import LocalCatalog

    def make_client():
        return ckanapi.RemoteCKAN(live_server.url, apikey=live_server.token)

    first = push(LocalCatalog(published.config), make_client, live_server.url, PushOptions())
    assert first.write_calls == 4 + 5 * 2  # 4 organizations, then package_create + resource_create each
    second = push(LocalCatalog(published.config), make_client, live_server.url, PushOptions())
    assert second.write_calls == 0 and second.count(UNCHANGED) == 5


def test_one_changed_dataset_is_one_update(published, live_server, run_push):
    code, _, err = run_push(published, live_server.url, token=live_server.token)
    assert code == 0, err
    descriptor = published.datasets / "shelters" / "datapackage.yaml"
    descriptor.write_text(descriptor.read_text("utf-8").replace('title: "指定避難所一覧"', 'title: "指定避難所の一覧"'), "utf-8")
    csv = published.datasets / "shelters" / "shelters.csv"
    csv.write_bytes(csv.read_bytes().rstrip(b"\r\n").rsplit(b"\n", 1)[0] + b"\n")  # one row fewer
    assert [o.status for o in published.publish("shelters")] == ["published"]
    code, out, err = run_push(published, live_server.url, token=live_server.token)
    assert code == 0, err
    assert "更新 1 件" in out and "変更なし 4 件" in out and "shelters: 更新" in out
    remote = ckanapi.RemoteCKAN(live_server.url)
    shown = remote.action.package_show(id="shelters")
    assert shown["title"] == "指定避難所の一覧"
    assert requests.get(shown["resources"][0]["url"], timeout=10).content == csv.read_bytes()


def test_delete_removes_only_what_this_kokai_pushed(published, live_server, run_push):
    remote = ckanapi.RemoteCKAN(live_server.url, apikey=live_server.token)
    run_push(published, live_server.url, token=live_server.token)
    org = remote.action.organization_show(id="shiomi-city-bousai")
    remote.action.package_create(name="their-own", title="県のデータ", owner_org=org["id"])
    published.catalog().action.package_delete(id="population")
    code, out, _ = run_push(published, live_server.url, token=live_server.token)
    assert "削除 0 件" in out and "population" in remote.action.package_list()
    code, out, _ = run_push(published, live_server.url, "--delete", "--dry-run", token=live_server.token)
    assert "population: 削除予定" in out and "population" in remote.action.package_list()
    code, out, _ = run_push(published, live_server.url, "--delete", token=live_server.token)
    assert code == 0 and "削除 1 件" in out
    names = remote.action.package_list()
    assert "population" not in names and "their-own" in names


def test_a_foreign_dataset_of_the_same_name_fails_alone_with_exit_1(published, live_server, run_push):
    remote = ckanapi.RemoteCKAN(live_server.url, apikey=live_server.token)
    org = remote.action.organization_create(name="ken", title="県")
    remote.action.package_create(name="shelters", title="県の避難所", owner_org=org["id"])
    code, out, _ = run_push(published, live_server.url, token=live_server.token)
    assert code == 1
    assert "× shelters" in out and "失敗 1 件" in out and "作成 4 件" in out
    assert remote.action.package_show(id="shelters")["title"] == "県の避難所"


def test_link_points_at_kokais_counted_download_urls(published, live_server, run_push):
    code, _, err = run_push(published, live_server.url, "--link", "--org", "shiomi-city", token=live_server.token)
    assert code == 0, err
    remote = ckanapi.RemoteCKAN(live_server.url)
    shown = remote.action.package_show(id="evacuation-sites")
    assert shown["organization"]["name"] == "shiomi-city"
    ours = published.catalog().action.package_show(id="evacuation-sites")["resources"][0]
    assert shown["resources"][0]["url"] == ours["url"] and shown["resources"][0]["url_type"] != "upload"
    bus = remote.action.package_show(id="community-bus")["resources"][0]
    assert bus["url"] == f"{published.config.site_url}/gtfs/community-bus/feed.zip"
    code, out, _ = run_push(published, live_server.url, "--link", "--org", "shiomi-city", token=live_server.token)
    assert "変更はありません" in out


def test_a_remote_that_cannot_be_reached_is_said_so_without_a_traceback(published, run_push):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        code, out, err = run_push(published, f"http://127.0.0.1:{port}")
    assert code == 2
    assert "接続できませんでした" in err and "データの問題ではありません" in err
    assert "Traceback" not in err and "内部エラー" not in err


def test_push_without_a_token_says_which_variable(published, capsys, monkeypatch):
    monkeypatch.delenv("KOKAI_REMOTE_CKAN_TOKEN", raising=False)
    code = main(["--config", str(published.root / "kokai.toml"), "push", "--ckan-url", "http://127.0.0.1:9"])
    assert code == 2 and "KOKAI_REMOTE_CKAN_TOKEN" in capsys.readouterr().err


@pytest.fixture
def not_a_ckan():
    """A web server on 127.0.0.1 that answers every request with an HTML page."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>Not Found</body></html>")

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_that_is_not_a_ckan_is_said_so(published, run_push, not_a_ckan):
    code, out, err = run_push(published, not_a_ckan)
    assert code == 2 and "CKAN の API として応答しませんでした" in err and "Traceback" not in err


def test_import_from_a_server_that_is_not_a_ckan_is_said_so(city, not_a_ckan, capsys):
    code = main(["--config", str(city.root / "kokai.toml"), "import", "--ckan-url", not_a_ckan,
                 "--out", str(city.root / "imported")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "CKAN の API として応答しませんでした" in err and "Traceback" not in err
