"""`kokai gtfs validate`: load a feed, run the generic (MobilityData-coded)
rules, and in the jp profile the GTFS-JP rules, into one Report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from kokai.gtfs import (
    rules_calendar,
    rules_entities,
    rules_fields,
    rules_files,
    rules_keys,
    rules_shapes,
    rules_stop_times,
)
from kokai.gtfs.feed import Feed, load_feed
from kokai.gtfs.jp import check_jp, jp_version, looks_japanese
from kokai.gtfs.rules_common import CheckContext
from kokai.validators.report import Finding, Findings, Report

Check = Callable[[CheckContext], Findings]

# Checks of files, headers and values: always run; their errors mark a table "broken".
STRUCTURE_CHECKS: tuple[Check, ...] = (
    rules_files.check_files,
    rules_files.check_columns,
    rules_fields.check_fields,
    rules_keys.check_primary_keys,
)
# The other checks, with the tables they read: as MobilityData does, a check is
# skipped when one of its tables is broken, so one bad file does not cascade.
# (Foreign keys and the finer parts of some checks gate themselves with ctx.usable.)
TABLE_CHECKS: tuple[tuple[Check, tuple[str, ...]], ...] = (
    (rules_keys.check_foreign_keys, ()),
    (rules_entities.check_agencies, ("agency.txt", "routes.txt", "fare_attributes.txt")),
    (rules_entities.check_routes, ("routes.txt",)),
    (rules_entities.check_stops, ()),
    (rules_entities.check_frequencies, ("frequencies.txt",)),
    (rules_stop_times.check_stop_times, ("stop_times.txt",)),
    (rules_stop_times.check_trip_usage, ("trips.txt", "stop_times.txt", "stops.txt")),
    (rules_calendar.check_calendar, ("calendar.txt", "calendar_dates.txt")),
    (rules_calendar.check_services_run, ("calendar.txt", "calendar_dates.txt")),
    (rules_calendar.check_trip_coverage,
     ("trips.txt", "calendar.txt", "calendar_dates.txt", "frequencies.txt")),
    (rules_calendar.check_feed_info, ("feed_info.txt",)),
    (rules_shapes.check_shapes, ("shapes.txt", "trips.txt")),
    (rules_shapes.check_stops_near_shapes,
     ("shapes.txt", "stop_times.txt", "trips.txt", "stops.txt", "routes.txt")),
)  # fmt: skip
# Errors that make a table broken (file-level codes like unknown_file do not).
_TABLE_ERRORS_EXCLUDED = frozenset({"duplicate_key"})


def choose_profile(feed: Feed, profile: str | None) -> str:
    if profile:
        return profile
    return "jp" if looks_japanese(feed) else "gtfs"


def check_structure(
    feed: Feed, today: date, profile: str = "gtfs", load_findings: list[Finding] | None = None
) -> tuple[CheckContext, Findings]:
    """The context every other check runs on, after the structure checks: their
    findings, and `ctx.broken` (tables with errors from loading or from them)."""
    ctx = CheckContext(feed=feed, today=today, profile=profile)
    findings = Findings()
    for check in STRUCTURE_CHECKS:
        findings.extend(check(ctx))
    ctx.broken = {
        f.path
        for f in [*(load_findings or []), *findings]
        if f.severity == "error" and f.path in feed.files and f.code not in _TABLE_ERRORS_EXCLUDED
    }
    return ctx, findings


def run_rules(
    feed: Feed, today: date, profile: str = "gtfs", load_findings: list[Finding] | None = None
) -> Findings:
    """The generic rules, and in the jp profile the GTFS-JP ones, on a loaded feed."""
    ctx, findings = check_structure(feed, today, profile, load_findings)
    for check, tables in TABLE_CHECKS:
        if ctx.usable(*tables):
            findings.extend(check(ctx))
    if profile == "jp":
        findings.extend(check_jp(ctx))
    return findings


def validate_feed(
    path: str | Path, profile: str | None = None, today: date | None = None
) -> Report:
    """Validates a GTFS / GTFS-JP feed (zip or folder). Never raises on bad input."""
    today = today or date.today()
    report = Report()
    feed, load_findings = load_feed(path)
    if feed is None:
        report.add_source(str(path), "gtfs", profile=profile)
        report.extend(load_findings)
        return report
    chosen = choose_profile(feed, profile)
    report.add_source(
        str(path),
        "gtfs",
        profile=chosen,
        gtfs_jp_version=jp_version(feed),
        files=len(feed.files),
        stop_times=feed.files["stop_times.txt"].height if "stop_times.txt" in feed.files else 0,
        validation_date=today.isoformat(),
    )
    report.extend(load_findings)
    report.extend(run_rules(feed, today, chosen, load_findings))
    return report
