"""GTFS-JP (標準的なバス情報フォーマット) profile rules, on top of the generic GTFS rules.

`validate_feed` (kokai.gtfs.validate) calls `looks_japanese` to pick the
profile, `jp_version` for the report header, and `check_jp` for the rules.
Sources: the GTFS-JP 第2版 text and the v3 field table, summarised in
shared/reference/gtfs-jp.md §1; docs/gtfs-jp-rules.md lists every code.

One module a topic: `detection` (is it GTFS-JP, which edition, mixed
editions), `agency` (法人番号, time zone, language), `feed_info`, `fares`,
`translations` (readings), `files` (agency_jp, office_jp, routes_jp,
pattern_jp), `network` (route types, platform codes).

Severities follow the spec: a 必須 item that is missing is an error, a 推奨
one a warning. The checks run on the same CheckContext as the generic rules:
a table the generic rules found broken (unreadable rows, missing required
columns, invalid values) is skipped here too, so one bad file does not cascade.
"""

from __future__ import annotations

from collections.abc import Callable

from kokai.gtfs.jp import agency, fares, feed_info, files, network, translations
from kokai.gtfs.jp.detection import check_version_mixture, jp_version, looks_japanese
from kokai.gtfs.rules_common import CheckContext
from kokai.validators.report import Findings

__all__ = ["JP_CHECKS", "check_jp", "jp_version", "looks_japanese"]

# (check, the tables it reads): skipped when one of them is broken. Checks that
# only look at which files and columns exist need none; those that read several
# independent tables skip each broken one themselves.
JP_CHECKS: tuple[tuple[Callable[[CheckContext], Findings], tuple[str, ...]], ...] = (
    (agency.check_agency, ()),
    (feed_info.check_feed_info, ("feed_info.txt",)),
    (fares.check_fares, ("fare_attributes.txt",)),
    (translations.check_translation_file, ()),
    (translations.check_readings, ("translations.txt",)),
    (translations.check_translation_targets, ("translations.txt",)),
    (files.check_jp_files, ()),
    (network.check_routes_and_stops, ()),
    (check_version_mixture, ()),
)


def check_jp(ctx: CheckContext) -> Findings:
    """Every GTFS-JP profile rule, on a context the generic structure checks have
    run on (so that `ctx.broken` is known)."""
    out = Findings()
    for check, tables in JP_CHECKS:
        if ctx.usable(*tables):
            out.extend(check(ctx))
    return out
