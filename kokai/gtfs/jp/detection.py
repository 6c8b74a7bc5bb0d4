"""Is a feed GTFS-JP, and which edition: `looks_japanese` picks the jp profile,
`jp_version` goes in the report header; and the rule that the feed follows one
edition only (`jp_mixed_versions`)."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.feed import Feed
from kokai.gtfs.jp.common import is_japanese_language, jp_rule
from kokai.gtfs.rules_common import CheckContext
from kokai.gtfs.schema import JP_FILES
from kokai.gtfs.translations import READING_LANGUAGE, translation_form
from kokai.validators.report import Findings
from kokai.vocab.text import JAPANESE_CHAR

MIXED_VERSIONS = jp_rule(
    "jp_mixed_versions",
    "warning",
    "第2版の要素（{v2}）と第3版の要素（{v3}）が混在しています。どちらかの版にそろえてください"
    "（第3版では routes_jp.txt の内容は pattern_jp.txt に移り、translations.txt は GTFS の形式です）。",
    "The feed mixes GTFS-JP v2 parts ({v2}) with v3 parts ({v3}); follow one version.",
)


def _first_value(frame: pl.DataFrame | None, column: str) -> str | None:
    if frame is None or column not in frame.columns or frame.height == 0:
        return None
    return frame[column][0]


def looks_japanese(feed: Feed) -> bool:
    """True when the feed says it is Japanese: feed_lang ja, a `*_jp.txt` file,
    ja-Hrkt translations, or an Asia/Tokyo agency with Japanese names.
    Reads only small tables (and one column of translations.txt)."""
    if any(name in feed.files for name in JP_FILES):
        return True
    feed_lang = _first_value(feed.files.get("feed_info.txt"), "feed_lang")
    if feed_lang and is_japanese_language(feed_lang):
        return True
    translations = feed.files.get("translations.txt")
    if translations is not None:
        for column in ("language", "lang"):
            if column in translations.columns and (translations[column] == READING_LANGUAGE).any():
                return True
    agency = feed.files.get("agency.txt")
    if agency is not None and "agency_timezone" in agency.columns:
        in_tokyo = agency.filter(pl.col("agency_timezone") == "Asia/Tokyo")
        if in_tokyo.height:
            if "agency_lang" in agency.columns and any(
                map(is_japanese_language, in_tokyo["agency_lang"].drop_nulls())
            ):
                return True
            if (
                "agency_name" in agency.columns
                and in_tokyo["agency_name"].str.contains(JAPANESE_CHAR).any()
            ):
                return True
    return False


def _version_signals(feed: Feed) -> tuple[list[str], list[str]]:
    """What in the feed belongs to GTFS-JP v2 and to v3 (file/column names)."""
    v2, v3 = [], []
    if "routes_jp.txt" in feed.files:
        v2.append("routes_jp.txt")
    if "pattern_jp.txt" in feed.files:
        v3.append("pattern_jp.txt")
    trips = feed.files.get("trips.txt")
    if (
        trips is not None
        and "jp_pattern_id" in trips.columns
        and trips["jp_pattern_id"].is_not_null().any()
    ):
        v3.append("trips.jp_pattern_id")
    translations = feed.files.get("translations.txt")
    if translations is not None:
        form = translation_form(translations.columns)
        if form == "v2":
            v2.append("translations.txt (trans_id)")
        elif form == "v3":
            v3.append("translations.txt (table_name)")
    return v2, v3


def jp_version(feed: Feed) -> str | None:
    """The GTFS-JP edition the feed follows, "v2" or "v3"; None when nothing
    tells or the feed does not look Japanese. JP files decide before the
    translations header, because v3-form translations are also plain GTFS."""
    if not looks_japanese(feed):
        return None
    v2, v3 = _version_signals(feed)
    if "pattern_jp.txt" in v3 or "trips.jp_pattern_id" in v3:
        return "v3"
    if v2:
        return "v2"
    if v3:
        return "v3"
    return None


def check_version_mixture(ctx: CheckContext) -> Findings:
    out = Findings()
    v2, v3 = _version_signals(ctx.feed)
    # v3-form translations are plain GTFS and fine next to routes_jp.txt only when
    # nothing else is v3; a v2 header next to pattern_jp is the real mixture.
    v3_strict = [s for s in v3 if not s.startswith("translations")]
    if v2 and v3_strict or ("routes_jp.txt" in v2 and v3):
        out.append(MIXED_VERSIONS.finding(v2="、".join(v2), v3="、".join(v3)))
    return out
