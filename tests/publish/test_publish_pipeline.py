"""`kokai publish` on the demo city: what the catalog holds afterwards, unchanged
data changing nothing, a refused dataset changing nothing, versions, history
and rollback."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from kokai.cli import main
from tests.publish.conftest import DEMO_TODAY

DEMO = ("community-bus", "evacuation-sites", "population", "public-facilities", "shelters")


def extras(package: dict) -> dict[str, str]:
    return {e["key"]: e["value"] for e in package["extras"]}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(city) -> dict:
    """The catalog as the API shows it, and the stored files."""
    catalog = city.catalog()
    packages = {n: catalog.action.package_show(id=n) for n in catalog.action.package_list()}
    return {"packages": packages, "files": city.stored_blobs()}


def test_the_demo_city_publishes_with_its_metadata_mapped(city):
    outcomes = city.publish()
    assert [(o.name, o.status, o.version) for o in outcomes] == [(n, "published", 1) for n in DEMO]
    catalog = city.catalog()
    shelters = catalog.action.package_show(id="shelters")
    assert shelters["title"] == "指定避難所一覧"
    assert shelters["license_id"] == "cc-by-4.0"
    assert shelters["organization"]["name"] == "shiomi-city-bousai"
    assert shelters["organization"]["title"] == "潮見市 危機管理課"  # kokai.toml [organizations]
    assert {t["name"] for t in shelters["tags"]} == {"防災", "避難所", "指定避難所", "福祉避難所"}
    found = extras(shelters)
    assert found["update_frequency"] == "随時"
    assert found["frequency"].endswith("/UPDATE_CONT")
    assert found["lg_code"] == "229997"
    assert json.loads(found["spatial"])["coordinates"][0][0] == [137.88, 34.665]
    assert json.loads(found["kokai_validation"])["errors"] == 0
    assert json.loads(found["kokai_quality"])  # scored
    (resource,) = shelters["resources"]
    assert resource["url_type"] == "upload"
    assert resource["hash"] == sha256(city.datasets / "shelters" / "shelters.csv")
    assert resource["kokai_rows"] == 25
    assert resource["kokai_schema"] == "gsi-shelters"
    assert resource["kokai_validation"] == {"errors": 0, "warnings": 0, "infos": 0}
    assert resource["url"].endswith("/download/shelters.csv")

    bus = catalog.action.package_show(id="community-bus")
    (feed,) = bus["resources"]
    assert feed["format"] == "GTFS"
    assert feed["gtfs_feed_url"] == f"{city.config.site_url}/gtfs/community-bus/feed.zip"
    assert (feed["gtfs_service_start"], feed["gtfs_service_end"]) == ("2026-04-01", "2027-03-31")
    assert extras(bus)["temporal_end"] == "2027-03-31"


def test_unchanged_data_changes_nothing_and_says_so(city, capsys):
    city.publish()
    before = snapshot(city)
    outcomes = city.publish()
    assert {o.status for o in outcomes} == {"unchanged"}
    assert snapshot(city) == before  # metadata_modified included
    assert len(city.catalog().action.publish_record_list()) == len(DEMO)
    code = main(["--config", str(city.root / "kokai.toml"), "publish", "--date", DEMO_TODAY.isoformat()])
    assert code == 0
    assert capsys.readouterr().out.count("変更はありません") == len(DEMO)


def test_a_changed_file_makes_a_new_version_with_its_changes(city):
    city.publish()
    csv = city.datasets / "shelters" / "shelters.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(lines[:-1]), encoding="utf-8")  # one row fewer
    population_before = city.catalog().action.package_show(id="population")
    outcomes = {o.name: o for o in city.publish()}
    assert outcomes["shelters"].status == "published"
    assert outcomes["shelters"].version == 2
    assert outcomes["shelters"].changes["changed"] == [{
        "name": "shelters", "format": "csv", "rows_before": 25, "rows_after": 24,
        "size_before": outcomes["shelters"].changes["changed"][0]["size_before"],
        "size_after": csv.stat().st_size,
    }]  # fmt: skip
    assert outcomes["population"].status == "unchanged"
    assert city.catalog().action.package_show(id="population") == population_before
    resource = city.catalog().action.package_show(id="shelters")["resources"][0]
    assert resource["hash"] == sha256(csv)
    assert resource["kokai_rows"] == 24


def test_changed_metadata_alone_is_published_and_named(city):
    city.publish("shelters")
    descriptor = city.datasets / "shelters" / "datapackage.yaml"
    descriptor.write_text(descriptor.read_text(encoding="utf-8").replace(
        'title: "指定避難所一覧"', 'title: "指定避難所の一覧"'), encoding="utf-8")  # fmt: skip
    (outcome,) = city.publish("shelters")
    assert outcome.status == "published"
    assert outcome.changes["metadata"] == ["title"]
    assert outcome.changes["changed"] == []
    assert city.catalog().action.package_show(id="shelters")["title"] == "指定避難所の一覧"


def test_a_refused_dataset_changes_nothing_but_the_log(city, capsys):
    city.publish()
    before = snapshot(city)
    csv = city.datasets / "shelters" / "shelters.csv"
    text = csv.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("緯度")] = "北緯35度"
    csv.write_text("\n".join([text[0], ",".join(row), *text[2:]]) + "\n", encoding="utf-8")
    code = main(["--config", str(city.root / "kokai.toml"), "publish", "--date", DEMO_TODAY.isoformat(),
                 str(city.datasets / "shelters")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "公開できません" in out and "緯度" in out
    assert snapshot(city) == before
    (refusal,) = city.catalog().action.publish_record_list(id="shelters", status="refused")
    assert refusal["summary"]["errors"] >= 1 and refusal["version"] is None


def test_a_gtfs_feed_whose_service_has_ended_is_refused_and_one_ending_soon_warned(city):
    (ended,) = city.publish("community-bus", today=date(2027, 4, 1))
    assert ended.status == "refused"
    assert "publish_gtfs_service_ended" in ended.summary["codes"]
    (soon,) = city.publish("community-bus", today=date(2027, 3, 10))
    assert soon.status == "published"
    # feed_info's end date says so already (MobilityData's warning): no second warning
    assert soon.summary["codes"] == {"feed_expiration_date30_days": 1}
    (feed,) = city.catalog().action.package_show(id="community-bus")["resources"]
    assert feed["kokai_validation"] == {"errors": 0, "warnings": 1, "infos": 0}


def test_an_unchanged_feed_is_rezipped_to_the_same_bytes_and_no_new_file_version(city):
    city.publish("community-bus")
    catalog = city.catalog()
    feed = catalog.action.package_show(id="community-bus")["resources"][0]
    for path in (city.datasets / "community-bus" / "feed").iterdir():
        path.touch()  # new modification times: the zip must not change
    descriptor = city.datasets / "community-bus" / "datapackage.yaml"
    descriptor.write_text(descriptor.read_text(encoding="utf-8").replace("ダイヤ改正", "ダイヤの改正"),
                          encoding="utf-8")  # fmt: skip
    (outcome,) = city.publish("community-bus")
    assert outcome.status == "published" and outcome.changes["changed"] == []
    again = catalog.action.package_show(id="community-bus")["resources"][0]
    assert again["hash"] == feed["hash"]
    assert len(catalog.action.resource_file_list(id=feed["id"])) == 1


def test_history_and_rollback_through_the_gate(city, capsys):
    city.publish("shelters")
    csv = city.datasets / "shelters" / "shelters.csv"
    original = sha256(csv)
    csv.write_text("".join(csv.read_text(encoding="utf-8").splitlines(keepends=True)[:-2]), encoding="utf-8")
    city.publish("shelters")
    config = str(city.root / "kokai.toml")
    assert main(["--config", config, "history", "shelters"]) == 0
    history = capsys.readouterr().out
    assert "版 2" in history and "25 → 23 行" in history
    assert main(["--config", config, "rollback", "shelters", "1", "--date", DEMO_TODAY.isoformat()]) == 0
    assert "公開しました（版 3）" in capsys.readouterr().out
    resource = city.catalog().action.package_show(id="shelters")["resources"][0]
    assert resource["hash"] == original and resource["kokai_rows"] == 25
    (latest, *_) = city.catalog().action.publish_record_list(id="shelters")
    assert latest["version"] == 3 and "版 1 に戻しました" in latest["message"]
    assert main(["--config", config, "rollback", "shelters", "9"]) == 2


def test_json_output_is_one_summary(city, capsys):
    code = main(["--config", str(city.root / "kokai.toml"), "publish", "--format", "json",
                 "--date", DEMO_TODAY.isoformat()])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"] == {"published": len(DEMO), "unchanged": 0, "refused": 0}
    assert [d["name"] for d in summary["datasets"]] == list(DEMO)


PEOPLE = "氏名,生年月日,電話番号,住所\n潮見 花子,1980-04-01,090-1234-5678,潮見市本町1-2-3\n網代 太郎,1975-11-20,080-2345-6789,潮見市港町4-5\n"


def add_people_table(city) -> None:
    folder = city.datasets / "volunteers"
    folder.mkdir()
    (folder / "volunteers.csv").write_text(PEOPLE, encoding="utf-8")
    (folder / "datapackage.yaml").write_text(
        'name: volunteers\ntitle: "防災ボランティア名簿"\n'
        'description: "潮見市の防災ボランティアの名簿です。氏名・生年月日・連絡先を載せています。"\n'
        "licenses:\n  - name: CC-BY-4.0\nkeywords: [\"防災\"]\nkokai:organization: shiomi-city-bousai\n"
        'kokai:update_frequency: "毎年"\nresources:\n  - name: volunteers\n    path: volunteers.csv\n'
        "    format: csv\n",
        encoding="utf-8",
    )


def test_personal_data_blocks_publishing_until_the_city_records_its_review(city, capsys):
    add_people_table(city)
    config = str(city.root / "kokai.toml")
    folder = str(city.datasets / "volunteers")
    assert main(["--config", config, "publish", folder]) == 1
    out = capsys.readouterr().out
    assert "公開できません" in out and "personal_data_review" in out  # says what to do
    assert "潮見 花子" not in out and "090-1234-5678" not in out  # never echoed
    assert "volunteers" not in city.catalog().action.package_list()
    descriptor = city.datasets / "volunteers" / "datapackage.yaml"
    descriptor.write_text(descriptor.read_text(encoding="utf-8") + (
        "kokai:personal_data_review:\n  by: 危機管理課 潮見一郎\n  date: 2026-11-20\n"
        "  reason: 本人の同意を得て公開する名簿である\n"), encoding="utf-8")  # fmt: skip
    assert main(["--config", config, "publish", folder]) == 0
    assert "volunteers" in city.catalog().action.package_list()


def test_a_facility_table_with_its_own_phone_and_address_is_not_flagged(city):
    (outcome,) = city.publish("public-facilities")
    assert outcome.status == "published"
    assert not [c for c in outcome.summary["codes"] if c.startswith("personal_")]


def test_unchanged_datasets_skip_the_gate_whatever_the_size_of_the_log(city, monkeypatch):
    city.publish()
    monkeypatch.setattr("kokai.publish.pipeline.PAGE", 2)  # the log is read in pages

    def gate_must_not_run(*args, **kwargs):
        raise AssertionError("the gate ran on unchanged data")

    monkeypatch.setattr("kokai.publish.pipeline.check_dataset", gate_must_not_run)
    assert {o.status for o in city.publish()} == {"unchanged"}


def test_undoing_a_refused_change_ends_the_refusal_without_a_new_version(city, capsys):
    city.publish("shelters")
    csv = city.datasets / "shelters" / "shelters.csv"
    good = csv.read_bytes()
    csv.write_bytes(good.replace(b"34.", b"X4.", 1))
    (refused,) = city.publish("shelters")
    assert refused.status == "refused"
    config = str(city.root / "kokai.toml")
    day = ["--date", DEMO_TODAY.isoformat()]
    assert main(["--config", config, "status", *day]) == 1  # the refusal needs staff
    capsys.readouterr()
    csv.write_bytes(good)
    before = snapshot(city)
    (outcome,) = city.publish("shelters")
    assert (outcome.status, outcome.version) == ("unchanged", 1)
    assert snapshot(city) == before
    newest = city.catalog().action.publish_record_list(id="shelters", limit=1)[0]
    assert (newest["status"], newest["version"]) == ("restored", None)
    assert main(["--config", config, "status", *day]) == 0
    assert main(["--config", config, "history", "shelters"]) == 0
    assert "公開中の版に戻りました" in capsys.readouterr().out
    (again,) = city.publish("shelters")  # nothing more to record
    assert len(city.catalog().action.publish_record_list(id="shelters")) == 3 and again.status == "unchanged"
