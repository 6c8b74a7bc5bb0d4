"""活用事例 (reuses): ckanext-showcase's actions with a kind, a unique URL, linked
datasets and moderation; an entry is public only once approved; 二次利用件数."""

from __future__ import annotations

import json

import pytest

from kokai.catalog.client import LocalCatalog
from kokai.cli import main
from kokai.config import load_config
from tests.conftest import dataset


@pytest.fixture
def city(sqlite_catalog):
    """Two organizations with admins and an editor, four datasets (one private)."""
    c = sqlite_catalog
    c.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
    c.ok("organization_create", {"name": "other-city", "title": "となり町"})
    for name, org in (("shelters", "sample-city"), ("population", "sample-city"),
                      ("aed", "other-city")):  # fmt: skip
        c.ok("package_create", dataset(name, org=org))
    c.ok("package_create", dataset("internal", private=True))
    c.editor = c.user("editor", org="sample-city")
    c.outsider = c.user("outsider", org="other-city")
    c.city_admin = c.user("city-admin")
    c.ok(
        "organization_member_create",
        {"id": "sample-city", "username": "city-admin", "role": "admin"},
    )
    c.both_admin = c.user("both-admin")
    for org in ("sample-city", "other-city"):
        c.ok("organization_member_create", {"id": org, "username": "both-admin", "role": "admin"})
    return c


def reuse(url="https://app.example.jp/map", datasets=("shelters",), **fields) -> dict:
    return {"title": "避難所マップ", "url": url, "reuse_type": "app",
            "datasets": list(datasets) if datasets is not None else None, **fields}  # fmt: skip


def error_of(response) -> dict:
    assert response.status_code == 409, response.text
    return response.json()["error"]


def test_a_reuse_needs_a_web_url_a_kind_and_at_least_one_readable_dataset(city):
    for missing in ({"datasets": []}, {"datasets": None}):
        error = error_of(city.call("reuse_create", reuse(**missing), token=city.editor))
        assert any("At least one dataset" in m for m in error["datasets"])
    no_datasets = {k: v for k, v in reuse().items() if k != "datasets"}
    assert "datasets" in error_of(city.call("reuse_create", no_datasets, token=city.editor))
    error = error_of(city.call("reuse_create", reuse(datasets=["shelters", "nosuch"]),
                               token=city.editor))  # fmt: skip
    assert error["datasets"] == [
        "データセット 'nosuch' が見つかりません / Dataset not found: nosuch"
    ]
    # A private dataset the caller may not read cannot be linked (nor revealed).
    error = error_of(city.call("reuse_create", reuse(datasets=["internal"]), token=city.outsider))
    assert "Dataset not found: internal" in error["datasets"][0]
    for url in (
        "javascript:alert(1)",
        "/relative/path",
        "ftp://files.example.jp/x",
        "app.example.jp",
    ):
        error = error_of(city.call("reuse_create", reuse(url=url), token=city.editor))
        assert any("http:// or https://" in m for m in error["url"]), url
    assert "url" in error_of(city.call("reuse_create", reuse(url=""), token=city.editor))
    assert "reuse_type" in error_of(
        city.call("reuse_create", reuse(reuse_type="game"), token=city.editor)
    )
    assert city.call("reuse_create", reuse(), token=None).status_code == 403
    created = city.ok("reuse_create", reuse(datasets=["shelters", "population"]), token=city.editor)
    assert created["moderation_state"] == "pending" and created["reuse_type"] == "app"
    assert created["num_datasets"] == 2 and created["name"].startswith("reuse-")


def test_the_url_is_unique_among_reuses(city):
    first = city.ok("reuse_create", reuse("https://app.example.jp/map"), token=city.editor)
    for same in ("http://APP.example.jp/map/", "https://app.example.jp:443/map#top"):
        error = error_of(city.call("reuse_create", reuse(same), token=city.editor))
        assert error["url"] == [
            f"同じ URL の活用事例がすでに登録されています（{first['name']}）"
            f" / A reuse with this URL already exists: {first['name']}"
        ]
    # ckanext-showcase's own create and updates are held to the same rule.
    error = error_of(city.call("ckanext_showcase_create",
                               {"name": "copy", "url": "https://app.example.jp/map"},
                               token=city.sysadmin_token))  # fmt: skip
    assert "already exists" in error["url"][0]
    other = city.ok("reuse_create", reuse("https://app.example.jp/other"), token=city.editor)
    error = error_of(
        city.call(
            "package_patch",
            {"id": other["id"], "url": "https://app.example.jp/map"},
            token=city.sysadmin_token,
        )
    )
    assert "already exists" in error["url"][0]
    # Once deleted, the URL may be registered again.
    city.ok("ckanext_showcase_delete", {"id": first["id"]})
    again = city.ok("reuse_create", reuse("https://app.example.jp/map"), token=city.editor)
    assert again["name"] != first["name"]


def showcase_search(city, token=None, **params) -> int:
    query = {"fq": "dataset_type:showcase", "include_private": True, **params}
    return city.ok("package_search", query, token=token)["count"]


def test_pending_and_rejected_reuses_are_hidden_from_everyone_but_those_allowed(city):
    created = city.ok("reuse_create", reuse(), token=city.editor)
    name = created["name"]

    def hidden_from(token) -> None:
        assert city.ok("ckanext_showcase_list", token=token) == []
        assert city.call("ckanext_showcase_show", {"id": name}, token=token).status_code == 403
        assert city.call("ckanext_showcase_package_list", {"showcase_id": name},
                         token=token).status_code == 403  # fmt: skip
        assert (
            city.ok("ckanext_package_showcase_list", {"package_id": "shelters"}, token=token) == []
        )
        assert city.call("package_show", {"id": name}, token=token).status_code == 403
        assert showcase_search(city, token) == 0
        assert showcase_search(city, token, q="避難所マップ") == 0
        assert city.ok("reuse_list", token=token) == []
        assert city.ok("reuse_count", token=token)["total"] == 0

    def shown_to(token) -> None:
        assert [s["name"] for s in city.ok("ckanext_showcase_list", token=token)] == [name]
        assert city.ok("ckanext_showcase_show", {"id": name}, token=token)["name"] == name
        assert [r["name"] for r in city.ok("reuse_list", token=token)] == [name]

    for token in (None, city.outsider):
        hidden_from(token)
    shown_to(city.editor)  # its creator
    shown_to(city.city_admin)  # an admin of a linked dataset's organization
    shown_to(city.sysadmin_token)
    assert city.ok("ckanext_showcase_show", {"id": name})["moderation_state"] == "pending"
    assert showcase_search(city, city.sysadmin_token) == 1

    city.ok("reuse_moderate", {"id": name, "moderation_state": "approved"})
    for token in (None, city.outsider):
        shown_to(token)
        assert showcase_search(city, token) == 1
        assert city.ok("package_show", {"id": name}, token=token)["private"] is False
        uses = city.ok("ckanext_package_showcase_list", {"package_id": "shelters"}, token=token)
        assert [u["moderation_state"] for u in uses] == ["approved"]
        assert city.ok("reuse_count", token=token)["total"] == 1

    city.ok("reuse_moderate", {"id": created["url"], "moderation_state": "rejected"})
    for token in (None, city.outsider):
        hidden_from(token)
    assert city.ok("reuse_list", {"moderation_state": "rejected"})[0]["name"] == name


def test_only_sysadmins_and_admins_of_every_linked_organization_moderate(city):
    both = city.ok("reuse_create", reuse("https://a.example.jp/", datasets=["shelters", "aed"]),
                   token=city.editor)  # fmt: skip
    approve = {"id": both["name"], "moderation_state": "approved"}
    for token in (None, city.editor, city.outsider, city.city_admin):
        assert city.call("reuse_moderate", approve, token=token).status_code == 403, token
    refused = city.call("reuse_moderate", approve, token=city.city_admin)
    assert refused.json()["error"]["message"].endswith(
        f"not authorized to moderate showcase {both['name']}"
    )
    city.ok("reuse_moderate", approve, token=city.both_admin)
    ours = city.ok("reuse_create", reuse("https://b.example.jp/"), token=city.editor)
    city.ok("reuse_moderate", {"id": ours["name"], "moderation_state": "approved"},
            token=city.city_admin)  # fmt: skip
    city.ok("reuse_moderate", {"id": ours["name"], "moderation_state": "rejected"})  # sysadmin
    bad_state = city.call("reuse_moderate", {"id": ours["name"], "moderation_state": "maybe"},
                          token=city.sysadmin_token)  # fmt: skip
    assert "moderation_state" in error_of(bad_state)
    assert city.call("reuse_moderate", {"id": "https://none.example.jp/", "moderation_state":
                                        "approved"}, token=city.sysadmin_token).status_code == 404  # fmt: skip


def test_ckanapi_style_showcases_are_approved_only_with_a_url_and_a_dataset(city):
    city.ok(
        "ckanext_showcase_create", {"name": "hinan-app", "title": "避難アプリ"}, token=city.editor
    )
    shown = city.ok("ckanext_showcase_show", {"id": "hinan-app"})
    assert (shown["moderation_state"], shown["reuse_type"], shown["private"]) == (
        "pending",
        "other",
        True,
    )
    approve = {"id": "hinan-app", "moderation_state": "approved"}
    error = error_of(city.call("reuse_moderate", approve, token=city.sysadmin_token))
    assert len(error["moderation_state"]) == 2  # no URL, no dataset
    city.ok("package_patch", {"id": "hinan-app", "url": "https://hinan.example.jp/"})
    link = {"showcase_id": "hinan-app", "package_id": "shelters"}
    city.ok("ckanext_showcase_package_association_create", link, token=city.editor)
    city.ok("reuse_moderate", approve)
    # An approved reuse keeps at least one dataset.
    error = error_of(city.call("ckanext_showcase_package_association_delete", link,
                               token=city.sysadmin_token))  # fmt: skip
    assert "at least one dataset" in error["package_id"][0]
    city.ok("ckanext_showcase_package_association_create",
            {"showcase_id": "hinan-app", "package_id": "population"})  # fmt: skip
    city.ok("ckanext_showcase_package_association_delete", link)
    assert city.ok("ckanext_showcase_show", {"id": "hinan-app"}, token=None)["num_datasets"] == 1


def test_only_moderation_publishes_a_showcase(city):
    created = city.ok("reuse_create", reuse(), token=city.editor)
    for data in ({"private": False}, {"private": "false", "title": "変更"}):
        city.ok("package_patch", {"id": created["id"], **data})
        assert showcase_search(city) == 0
        assert city.ok("ckanext_showcase_list", token=None) == []
    # A showcase made with package_create is moderated too.
    city.ok("package_create", {"name": "direct", "type": "showcase", "private": False,
                               "url": "https://direct.example.jp/"})  # fmt: skip
    assert city.ok("ckanext_showcase_list", token=None) == []
    city.ok("ckanext_showcase_package_association_create",
            {"showcase_id": "direct", "package_id": "aed"})  # fmt: skip
    city.ok("reuse_moderate", {"id": "direct", "moderation_state": "approved"})
    assert [s["name"] for s in city.ok("ckanext_showcase_list", token=None)] == ["direct"]
    approved = city.ok("package_patch", {"id": "direct", "private": True})
    assert approved["private"] is False  # the flag follows moderation only


def test_contact_is_shown_to_moderators_only(city):
    contact = "tanaka.contact@example.jp"
    created = city.ok("reuse_create", reuse(contact=contact), token=city.editor)
    assert contact not in json.dumps(created, ensure_ascii=False)
    city.ok("reuse_moderate", {"id": created["name"], "moderation_state": "approved"})
    public = [
        city.call("ckanext_showcase_show", {"id": created["name"]}),
        city.call("ckanext_showcase_list"),
        city.call("ckanext_package_showcase_list", {"package_id": "shelters"}),
        city.call("package_show", {"id": created["name"]}),
        city.call("package_search", {"fq": "dataset_type:showcase"}),
        city.call("reuse_list"),
        city.call("reuse_list", token=city.editor),
        city.call("reuse_count"),
        city.call("metrics_report"),
    ]
    for response in public:
        assert response.status_code == 200, response.text
        assert contact not in response.text
    assert city.ok("reuse_list")[0]["contact"] == contact  # sysadmin
    assert city.ok("reuse_list", token=city.city_admin)[0]["contact"] == contact


def test_reuse_counts_overall_by_kind_and_per_dataset(catalog):
    """二次利用件数 on SQLite and PostgreSQL: approved reuses only."""
    c = catalog
    c.ok("organization_create", {"name": "sample-city"})
    for name in ("shelters", "population", "aed"):
        c.ok("package_create", dataset(name))
    c.ok("package_create", dataset("internal", private=True))
    plan = [
        ("https://a.example.jp/", "app", ["shelters", "population"], "approved"),
        ("https://b.example.jp/", "visualization", ["shelters"], "approved"),
        ("https://c.example.jp/", "article", ["shelters"], None),  # pending
        ("https://d.example.jp/", "api", ["population"], "rejected"),
        ("https://e.example.jp/", "service", ["aed"], "approved"),  # deleted below
        ("https://f.example.jp/", "other", ["internal"], "approved"),
    ]
    names = {}
    for url, kind, datasets, state in plan:
        created = c.ok("reuse_create", reuse(url, datasets=datasets, reuse_type=kind))
        names[url] = created["name"]
        if state:
            c.ok("reuse_moderate", {"id": created["name"], "moderation_state": state})
    c.ok("ckanext_showcase_delete", {"id": names["https://e.example.jp/"]})
    counts = c.ok("reuse_count", token=None)
    assert counts["total"] == 3
    assert counts["by_type"] == {"app": 1, "visualization": 1, "article": 0, "api": 0,
                                 "service": 0, "other": 1}  # fmt: skip
    assert [(d["name"], d["count"]) for d in counts["datasets"]] == [
        ("shelters", 2),
        ("population", 1),
    ]
    assert [(d["name"], d["count"]) for d in c.ok("reuse_count")["datasets"]] == [
        ("shelters", 2), ("internal", 1), ("population", 1)
    ]  # fmt: skip
    one = c.ok("reuse_count", {"dataset": "aed"}, token=None)
    assert one["datasets"] == [{"id": one["datasets"][0]["id"], "name": "aed",
                                "title": "aed のデータ", "count": 0}]  # fmt: skip
    report = c.ok("metrics_report", token=None)["reuses"]
    assert report["total"] == 3 and report["by_type"]["app"] == 1
    assert [(d["name"], d["count"]) for d in report["by_dataset"]] == [
        ("shelters", 2),
        ("population", 1),
    ]
    listed = c.ok("reuse_list", {"dataset": "shelters"}, token=None)
    assert sorted(r["url"] for r in listed) == ["https://a.example.jp/", "https://b.example.jp/"]


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def cli_city(tmp_path, monkeypatch):
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    (tmp_path / "kokai.toml").write_text('[city]\nname = "テスト市"\n', encoding="utf-8")
    site = LocalCatalog(load_config(tmp_path / "kokai.toml")).as_site()
    site.action.organization_create(name="sample-city")
    for name in ("shelters", "aed"):
        site.action.package_create(**dataset(name))
    return ["--config", str(tmp_path / "kokai.toml")]


def test_cli_reuse_add_list_approve_reject(cli_city, capsys):
    config = cli_city
    add = [*config, "reuse", "add", "--title", "避難所マップ", "--url", "https://app.example.jp/",
           "--type", "app", "--dataset", "shelters", "--dataset", "aed", "--contact", "担当 田中"]  # fmt: skip
    assert main(add) == 0
    assert "承認待ち" in capsys.readouterr().out
    assert main(add) == 2
    assert "同じ URL の活用事例がすでに登録されています" in capsys.readouterr().err
    unknown = [*config, "reuse", "add", "--title", "x", "--url", "https://x.example.jp/",
               "--type", "article", "--dataset", "nosuch"]  # fmt: skip
    assert main(unknown) == 2
    assert "データセット 'nosuch' が見つかりません" in capsys.readouterr().err
    none = [
        *config,
        "reuse",
        "add",
        "--title",
        "x",
        "--url",
        "https://x.example.jp/",
        "--type",
        "api",
    ]
    assert main(none) == 2
    assert "少なくとも1つ" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # argparse: choices
        main([*config, "reuse", "add", "--title", "x", "--url", "https://y.example.jp/",
              "--type", "game", "--dataset", "aed"])  # fmt: skip
    assert usage.value.code == 2
    capsys.readouterr()

    assert main([*config, "reuse", "list"]) == 0
    assert "承認済みの活用事例はありません" in capsys.readouterr().out
    assert main([*config, "reuse", "list", "--all", "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [(i["moderation_state"], i["contact"]) for i in items] == [("pending", "担当 田中")]
    assert main([*config, "reuse", "approve", "https://APP.example.jp"]) == 0
    assert "承認しました" in capsys.readouterr().out
    assert main([*config, "reuse", "list"]) == 0
    out = capsys.readouterr().out
    assert "[承認済み] 避難所マップ (アプリ) https://app.example.jp/" in out
    assert "担当 田中" not in out
    assert main([*config, "reuse", "reject", items[0]["name"]]) == 0
    assert "却下しました" in capsys.readouterr().out
    assert main([*config, "reuse", "approve", "https://nothing.example.jp/"]) == 2
    assert "見つかりません" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main([*config, "reuse", "approve"])
    assert usage.value.code == 2


def test_cli_approving_an_incomplete_entry_is_a_problem_found(cli_city, capsys):
    site = LocalCatalog(load_config(cli_city[1])).as_site()
    site.action.ckanext_showcase_create(name="bare", title="URL なし")
    assert main([*cli_city, "reuse", "approve", "bare"]) == 1
    err = capsys.readouterr().err
    assert "承認できません" in err and "URL" in err


def test_the_migration_approves_the_showcases_that_were_public(tmp_path):
    from sqlalchemy import text

    from kokai.catalog.db import create_catalog_engine
    from kokai.catalog.migrations import upgrade

    engine = create_catalog_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        upgrade(engine, "0003_resource_size_bigint")
        with engine.begin() as connection:
            for n, private in enumerate((False, True)):
                connection.execute(
                    text(
                        "INSERT INTO package (id, name, title, type, metadata_created, "
                        "metadata_modified, private, state, search_text, data_json) VALUES "
                        "(:id, :name, '', 'showcase', '2025-04-01 00:00:00', "
                        "'2025-04-01 00:00:00', :private, 'active', '', '')"
                    ),
                    {"id": f"showcase-{n}", "name": f"showcase-{n}", "private": private},
                )
        upgrade(engine, "0006_reuses_metrics")
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT showcase_id, reuse_type, moderation_state FROM reuse ORDER BY 1")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("showcase-0", "other", "approved"),
        ("showcase-1", "other", "pending"),
    ]
