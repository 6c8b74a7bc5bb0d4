"""Files and columns: required, recommended and unknown files; required and unknown columns."""

from __future__ import annotations

from kokai.gtfs.archive import GTFS_FILE_NAMES
from kokai.gtfs.rules_common import CheckContext
from kokai.gtfs.schema import JP_FILES, SCHEMA
from kokai.gtfs.translations import translation_form
from kokai.validators.report import Findings, Rule, Text

MISSING_REQUIRED_FILE = Rule(
    "missing_required_file",
    "error",
    "必須ファイル {path} がありません。{why}GTFS の zip の最上位に {path} を入れてください。",
    "Required file {path} is missing. {why}Add it at the root of the zip.",
    source="mobilitydata",
)
# feed_info.txt is conditionally required: MobilityData's MissingFeedInfoValidator
# reports missing_required_file (ERROR) when translations.txt exists, else
# missing_recommended_file (WARNING).
_ALWAYS = Text("", "")
FEED_INFO_FOR_TRANSLATIONS = Text(
    "translations.txt があるため、GTFS では feed_info.txt が必須です（翻訳の基準の言語 "
    "feed_lang を示すため）。feed_publisher_name、feed_publisher_url、feed_lang"
    "（日本語なら ja）、feed_start_date、feed_end_date を書いてください"
    "（`kokai gtfs fix` で agency.txt と calendar.txt から作れます）。",
    "GTFS requires feed_info.txt when translations.txt is present (feed_lang is the "
    "language translations are from); `kokai gtfs fix` can make it from agency.txt. ",
)
MISSING_CALENDAR_FILES = Rule(
    "missing_calendar_and_calendar_date_files",
    "error",
    "calendar.txt と calendar_dates.txt のどちらもありません。運行日を示すため、少なくとも"
    "どちらか一方を入れてください。",
    "Neither calendar.txt nor calendar_dates.txt is present; add at least one.",
    source="mobilitydata",
)
MISSING_RECOMMENDED_FILE = Rule(
    "missing_recommended_file",
    "warning",
    "推奨ファイル {path} がありません。提供者名・URL・有効期間を示すため {path} を入れてください。",
    "Recommended file {path} is missing; add it (publisher, URL, validity dates).",
    source="mobilitydata",
)
UNKNOWN_FILE = Rule(
    "unknown_file",
    "info",
    "{path} は GTFS で定められたファイルではないため、検査していません。"
    "ファイル名の綴りを確かめてください（意図した追加ファイルならそのままで構いません）。",
    "{path} is not a GTFS file and was not checked. Check its spelling (fine if intended).",
    source="mobilitydata",
)
MISSING_REQUIRED_COLUMN = Rule(
    "missing_required_column",
    "error",
    "{path} に必須の列「{field}」がありません。1 行目に列名「{field}」を加え、値を入れてください。",
    "{path} lacks required column {field!r}. Add it to the header and fill it.",
    source="mobilitydata",
)
UNKNOWN_COLUMN = Rule(
    "unknown_column",
    "info",
    "{path} の列「{field}」は GTFS で定められていないため、検査していません。"
    "列名の綴りを確かめてください（意図した追加列ならそのままで構いません）。",
    "{path}: column {field!r} is not defined by GTFS and was not checked. Check its spelling.",
    source="mobilitydata",
)
REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")


def check_files(ctx: CheckContext) -> Findings:
    feed = ctx.feed
    out = Findings()
    present = set(feed.names)
    for name in REQUIRED_FILES:
        if name == "stops.txt" and "locations.geojson" in present:
            continue  # GTFS-Flex feeds may use locations instead of stops
        if name not in present:
            out.append(MISSING_REQUIRED_FILE.finding(path=name, why=_ALWAYS))
    if "calendar.txt" not in present and "calendar_dates.txt" not in present:
        out.append(MISSING_CALENDAR_FILES.finding(path="calendar.txt"))
    if "feed_info.txt" not in present:
        if "translations.txt" in present:
            out.append(
                MISSING_REQUIRED_FILE.finding(path="feed_info.txt", why=FEED_INFO_FOR_TRANSLATIONS)
            )
        else:
            out.append(MISSING_RECOMMENDED_FILE.finding(path="feed_info.txt"))
    for name in feed.names:
        if name in GTFS_FILE_NAMES or (ctx.profile == "jp" and name in JP_FILES):
            continue
        out.append(UNKNOWN_FILE.finding(path=name))
    return out


def check_columns(ctx: CheckContext) -> Findings:
    out = Findings()
    for name, frame in ctx.feed.files.items():
        spec = SCHEMA.get(name)
        if spec is None:
            continue
        columns = frame.columns
        if name == "translations.txt" and translation_form(columns) == "v2":
            if ctx.profile == "jp":
                continue  # the GTFS-JP v2 form; the jp profile checks it
        for column in spec.columns:
            if column.required and column.name not in columns:
                # Fields the spec requires only in some cases are checked by row rules.
                out.append(MISSING_REQUIRED_COLUMN.finding(path=name, field=column.name))
        known = spec.column_names
        for column in columns:
            if column in known:
                continue
            if ctx.profile == "jp" and column.startswith("jp_"):
                continue  # GTFS-JP extension columns, checked by the jp profile
            out.append(UNKNOWN_COLUMN.finding(path=name, field=column))
    return out
