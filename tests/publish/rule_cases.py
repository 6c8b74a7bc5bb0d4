"""One change to the demo city per publish-gate rule, and the finding it must give.

A plain module (not collected): test_publish_rule_cases.py runs every case.
A case edits a copy of the demo datasets (tests/publish/conftest.py), then
publishes one dataset on a given day; the dataset must be refused (or, for a
warning, published) with a finding of that code on that field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tests.publish.conftest import DEMO_TODAY


@dataclass(frozen=True)
class PublishCase:
    dataset: str
    change: Callable[[Path], None]  # edits the dataset's folder
    field: str | None
    today: date = DEMO_TODAY
    fault: str | None = None  # "module:attribute" to break (no input reaches the rule)


def edit(name: str, old: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def unchanged(folder: Path) -> None:
    return None


def link_table(folder: Path) -> None:
    table = folder / "shelters.csv"
    table.rename(folder / "elsewhere.csv")
    table.symlink_to(folder / "elsewhere.csv")


def remove_descriptor(folder: Path) -> None:
    (folder / "datapackage.yaml").unlink()


PUBLISH_RULE_CASES: dict[str, PublishCase] = {
    "publish_descriptor_missing": PublishCase("shelters", remove_descriptor, None),
    "publish_name_invalid": PublishCase("shelters", edit("datapackage.yaml", "name: shelters", "name: Shelters"), "name"),
    "publish_organization_missing": PublishCase(
        "shelters", edit("datapackage.yaml", "kokai:organization: shiomi-city-bousai\n", ""), "kokai:organization"),
    "publish_organization_invalid": PublishCase(
        "shelters", edit("datapackage.yaml", "kokai:organization: shiomi-city-bousai", "kokai:organization: 危機管理課"),
        "kokai:organization"),
    "publish_update_frequency_unknown": PublishCase(
        "shelters", edit("datapackage.yaml", 'kokai:update_frequency: "随時"', 'kokai:update_frequency: "ときどき"'),
        "kokai:update_frequency"),
    "publish_keyword_invalid": PublishCase(
        "shelters", edit("datapackage.yaml", '"福祉避難所"]', '"福祉避難所", "避難所・避難場所"]'), "keywords"),
    "publish_resource_name_twice": PublishCase(
        "shelters", edit("datapackage.yaml", "    schema: gsi-shelters\n",
                         "    schema: gsi-shelters\n  - name: shelters\n    path: shelters.csv\n"), "resources"),
    "publish_gtfs_service_ended": PublishCase("community-bus", unchanged, "community-bus-gtfs", today=date(2027, 4, 2)),
    # feed_info.txt claims a later end than the calendar's: only the calendar tells
    "publish_gtfs_service_ends_soon": PublishCase(
        "community-bus", edit("feed/feed_info.txt", ",20270331,", ",20280331,"), "community-bus-gtfs",
        today=date(2027, 3, 20)),
    "publish_symlink": PublishCase("shelters", link_table, "resources"),
    "publish_catalog_refused": PublishCase(
        "shelters", unchanged, None, fault="kokai.publish.mapping:licence_id"),
}  # fmt: skip
