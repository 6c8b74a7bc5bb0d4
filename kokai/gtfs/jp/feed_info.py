"""feed_info.txt in GTFS-JP: required, with the publisher's name and URL, feed_lang
ja, and the validity period (feed_start_date, feed_end_date)."""

from __future__ import annotations

from kokai.gtfs.jp.common import is_japanese_language, jp_rule
from kokai.gtfs.rules_common import CheckContext
from kokai.validators.report import Findings, Text

MISSING_FEED_INFO = jp_rule(
    "jp_missing_feed_info",
    "error",
    "feed_info.txt がありません。GTFS-JP では必須です。feed_publisher_name、feed_publisher_url、"
    "feed_lang（ja）、feed_start_date、feed_end_date を書いた feed_info.txt を追加してください。",
    "feed_info.txt is missing; GTFS-JP requires it with feed_publisher_name, "
    "feed_publisher_url, feed_lang=ja, feed_start_date and feed_end_date.",
)
MISSING_FEED_INFO_FIELD = jp_rule(
    "jp_missing_feed_info_field",
    "error",
    "feed_info.txt の {field} がありません（{row} 行目）。GTFS-JP では必須です。{hint}を入れてください。",
    "feed_info.txt row {row}: {field} is empty; GTFS-JP requires it ({hint}).",
)
MISSING_FEED_INFO_DATE = jp_rule(
    "jp_missing_feed_info_date",
    "warning",
    "feed_info.txt の {field} がありません（{row} 行目）。{hint}を YYYYMMDD で入れてください。"
    "経路検索サービスは有効期間でデータの新旧を判断します。",
    "feed_info.txt row {row}: {field} is empty. Enter {hint} as YYYYMMDD; routing "
    "services use it to tell which data is current.",
)
FEED_LANG_NOT_JA = jp_rule(
    "jp_feed_lang_not_ja",
    "error",
    "feed_info.txt の {row} 行目の feed_lang が「{value}」です。GTFS-JP では ja と書いてください。",
    "feed_info.txt row {row}: feed_lang is {value!r}; GTFS-JP requires ja.",
)

# What to write in each field (the `hint` of the findings).
_REQUIRED = {
    "feed_publisher_name": Text("公開者（事業者または自治体）の名前", "the publisher's name"),
    "feed_publisher_url": Text("公開者のウェブサイトの URL", "the publisher's web site URL"),
    "feed_lang": Text("ja", "ja"),
}
_DATES = {
    "feed_start_date": Text("データの有効期間の開始日（ダイヤ改正日）", "the first valid date"),
    "feed_end_date": Text("有効期間の終了日（1 年程度先を推奨）", "the last valid date"),
}


def check_feed_info(ctx: CheckContext) -> Findings:
    """The first row of feed_info.txt (a feed has one). A value of white space only,
    such as a full-width space, counts as missing."""
    out = Findings()
    info = ctx.frame("feed_info.txt")
    if info is None:
        # With translations.txt the generic rules already report MobilityData's
        # missing_required_file (an error): one problem, one finding.
        if "translations.txt" not in ctx.feed.names:
            out.append(MISSING_FEED_INFO.finding(path="feed_info.txt"))
        return out
    if info.height == 0:
        return out  # the generic rules report the empty file
    row = info.row(0, named=True)
    line = row["__line__"]
    for rule, fields in ((MISSING_FEED_INFO_FIELD, _REQUIRED), (MISSING_FEED_INFO_DATE, _DATES)):
        for column, hint in fields.items():
            if not (row.get(column) or "").strip():
                out.append(rule.finding(path="feed_info.txt", row=line, field=column, hint=hint))
    lang = (row.get("feed_lang") or "").strip()
    if lang and not is_japanese_language(lang):
        out.append(
            FEED_LANG_NOT_JA.finding(path="feed_info.txt", row=line, field="feed_lang", value=lang)
        )
    return out
