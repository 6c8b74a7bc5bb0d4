"""The publish gate: what must hold before a dataset goes out.

Everything `kokai validate` checks (metadata, tables, GTFS feeds, personal
data), plus what only publishing needs: a dataset name the catalog accepts,
an owning organisation, an update frequency from the shared vocabulary, one
name per resource, and a GTFS feed whose service has not ended (a feed that
ends within 30 days is a warning). Any error refuses the dataset.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from kokai.catalog.validation import TAG_RE
from kokai.config import Config
from kokai.errors import KokaiError
from kokai.gtfs.info import describe_feed
from kokai.gtfs.validate import validate_feed
from kokai.publish.mapping import organization_ref
from kokai.publish.source import DatasetSource
from kokai.validators.datapackage import validate_package
from kokai.validators.report import Report, Rule
from kokai.vocab.frequency import find_frequency, frequency_words

EXPIRY_WARNING_DAYS = 30
_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")

DESCRIPTOR_MISSING = Rule(
    "publish_descriptor_missing", "error",
    "フォルダ「{path}」に datapackage.yaml がありません。データセットのフォルダには、名前・説明・ライセンス・"
    "ファイルを書いた datapackage.yaml が必要です（datasets/README.md を参照）。",
    "the folder {path} has no datapackage.yaml; a dataset folder needs one.",
    fatal=True,
)  # fmt: skip
NAME_INVALID = Rule(
    "publish_name_invalid", "error",
    "データセット名「{value}」はカタログで使えません。英小文字・数字・「-」・「_」の2〜100文字にしてください"
    "（datapackage.yaml の name。無いときはフォルダ名を使います）。",
    "the dataset name {value!r} is not a valid catalog name (2-100 of a-z 0-9 - _).",
)  # fmt: skip
ORGANIZATION_MISSING = Rule(
    "publish_organization_missing", "error",
    "担当部署（kokai:organization）がありません。公開するデータセットには担当部署の ID が必要です"
    "（例: kokai:organization: shiomi-city-bousai）。",
    "kokai:organization is missing; a published dataset needs its department id.",
)  # fmt: skip
ORGANIZATION_INVALID = Rule(
    "publish_organization_invalid", "error",
    "担当部署の ID「{value}」はカタログで使えません。英小文字・数字・「-」・「_」の2〜100文字にしてください"
    "（例: shiomi-city-bousai）。日本語の部署名は、kokai:organization の下に name: shiomi-city-bousai と"
    " title: 危機管理課 を分けて書きます。",
    "the department id {value!r} is not a valid catalog name (2-100 of a-z 0-9 - _).",
)  # fmt: skip
FREQUENCY_UNKNOWN = Rule(
    "publish_update_frequency_unknown", "error",
    "更新頻度「{value}」は使えません。kokai:update_frequency には {allowed} のどれかを書いてください"
    "（更新が遅れていないかを kokai status が確かめるのに使います）。",
    "update frequency {value!r} is not one of {allowed}.",
)  # fmt: skip
KEYWORD_INVALID = Rule(
    "publish_keyword_invalid", "error",
    "キーワード「{value}」はカタログのタグにできません。タグは2〜100文字で、文字・数字・空白・「-」「_」「.」"
    "だけが使えます（「・」や「、」は使えません）。例えば「地域・年齢別人口」は「地域別人口」「年齢別人口」の"
    "2つに分けてください。",
    "the keyword {value!r} cannot be a catalog tag (2-100 letters, digits, spaces, - _ .).",
)  # fmt: skip
RESOURCE_NAME_TWICE = Rule(
    "publish_resource_name_twice", "error",
    "resources に名前「{value}」のファイルが {count} つあります。公開するファイルは名前で区別するので、"
    "それぞれ別の name を付けてください。",
    "{count} resources are named {value!r}; give each its own name.",
)  # fmt: skip
SYMLINK = Rule(
    "publish_symlink", "error",
    "「{value}」はシンボリックリンクです。公開するファイルは、リンクではなく実際のファイルをフォルダに置いてください"
    "（リンク先の思わぬファイルが公開されるのを防ぐためです）。",
    "{value!r} is a symbolic link; put the real file in the dataset folder.",
)  # fmt: skip
CATALOG_REFUSED = Rule(
    "publish_catalog_refused", "error",
    "カタログがこのデータセットを受け付けませんでした（{errors}）。datapackage.yaml の該当する項目を直してください。",
    "the catalog refused the dataset ({errors}); fix those fields in datapackage.yaml.",
)  # fmt: skip
GTFS_SERVICE_ENDED = Rule(
    "publish_gtfs_service_ended", "error",
    "GTFS フィード「{field}」の運行期間は {end} で終わっています（{days} 日前）。終わったダイヤを経路検索サービスに"
    "配ると、走っていないバスが案内されます。calendar.txt / calendar_dates.txt を新しいダイヤの期間にした"
    "フィードを公開してください。",
    "the GTFS feed {field!r} ended its service on {end} ({days} days ago); publish a feed for the current timetable.",
)  # fmt: skip
GTFS_SERVICE_ENDS_SOON = Rule(
    "publish_gtfs_service_ends_soon", "warning",
    "GTFS フィード「{field}」の運行期間はあと {days} 日（{end}）で終わります。経路検索サービスが期限切れの"
    "データを使わないよう、次のダイヤのフィードを早めに公開してください。",
    "the GTFS feed {field!r} ends its service in {days} days ({end}); publish the next timetable soon.",
)  # fmt: skip


def check_dataset(source: DatasetSource, config: Config, today: date) -> Report:
    """The gate's report on one dataset folder (never raises on bad input)."""
    report = Report()
    if source.descriptor_path is None:
        report.add_source(str(source.folder), "datapackage")
        report.add(DESCRIPTOR_MISSING.finding(path=str(source.folder)))
        return report
    validate_package(
        source.descriptor_path, report, config=config,
        feed_validator=lambda path: validate_feed(path, today=today),
    )  # fmt: skip
    descriptor = source.descriptor
    if descriptor is None:  # validate_package has said why it cannot be read
        return report
    shown = str(source.descriptor_path)
    if not _NAME.match(source.name):
        report.add(NAME_INVALID.finding(path=shown, field="name", value=source.name))
    organization, _ = organization_ref(descriptor)
    if not organization:
        report.add(ORGANIZATION_MISSING.finding(path=shown, field="kokai:organization"))
    elif not _NAME.match(organization):
        report.add(ORGANIZATION_INVALID.finding(path=shown, field="kokai:organization", value=organization))
    frequency = descriptor.get("kokai:update_frequency")
    if frequency is not None and find_frequency(frequency) is None:
        report.add(
            FREQUENCY_UNKNOWN.finding(
                path=shown, field="kokai:update_frequency", value=frequency, allowed=frequency_words()
            )
        )
    keywords = descriptor.get("keywords")
    for keyword in keywords if isinstance(keywords, list) else []:
        text = str(keyword).strip()
        if not (2 <= len(text) <= 100 and TAG_RE.fullmatch(text)):
            report.add(KEYWORD_INVALID.finding(path=shown, field="keywords", value=keyword))
    names = Counter(f.resource for f in source.files)
    for name, count in names.items():
        if count > 1:
            report.add(RESOURCE_NAME_TWICE.finding(path=shown, field="resources", value=name, count=count))
    for link in _symlinks(source):
        report.add(SYMLINK.finding(path=shown, field="resources", value=str(link.relative_to(source.folder))))
    for file in source.files:
        if file.is_gtfs:  # read once; the catalog entry gets the same period
            period = source.service_periods[file.resource] = gtfs_service_period(str(file.path), today)
            _check_service_period(report, shown, file.resource, period[1], today)
    return report


def _symlinks(source: DatasetSource) -> list[Path]:
    """The resources' paths, and the files of feed folders, that are symbolic links."""
    found = []
    for resource in (source.descriptor or {}).get("resources") or []:
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            continue
        path = source.folder / resource["path"]
        if path.is_symlink():
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_symlink())
    return found


def gtfs_service_period(path: str, today: date) -> tuple[str | None, str | None]:
    """(first, last) service date of a feed as ISO dates; (None, None) when unknown."""
    try:
        validity = describe_feed(path, today=today)["validity"]
    except KokaiError:  # unreadable: the feed's own validation reports why
        return None, None
    return validity["first_service_date"], validity["last_service_date"]


def _check_service_period(report: Report, shown: str, name: str, last: str | None, today: date) -> None:
    """The service period from calendar.txt / calendar_dates.txt (what routing
    services use), not feed_info's end date, which MobilityData's
    feed_expiration_date* warnings already cover: this adds the refusal, and
    the warning only where those did not fire (a feed without feed_info)."""
    if last is None:
        return
    days = (date.fromisoformat(last) - today).days
    if days < 0:
        report.add(GTFS_SERVICE_ENDED.finding(path=shown, field=name, end=last, days=-days))
    elif days <= EXPIRY_WARNING_DAYS and not any(
        code.startswith("feed_expiration_date") for code in report.codes()
    ):
        report.add(GTFS_SERVICE_ENDS_SOON.finding(path=shown, field=name, end=last, days=days))
