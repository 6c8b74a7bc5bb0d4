"""kokai and gtfs-guru (a Rust port of MobilityData's validator, same notice
codes) must report the same ERROR notices, with the same counts, for every
code kokai implements: on every corpus feed and on the tiny feed broken in
each of the ways test_rules.py breaks it. Warnings and infos of implemented
codes are compared too (asserted on the corpus, where they agree today).

Deliberate differences are listed below with their reason; anything else
that differs fails the test."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from kokai.gtfs.validate import validate_feed
from kokai.rules import all_rules
from tests.gtfs.conftest import CORPUS_GTFS
from tests.gtfs.rule_cases import EXTRA_CASES, GTFS_RULE_CASES

gtfs_guru = pytest.importorskip("gtfs_guru")

TODAY = date(2026, 11, 21)
IMPLEMENTED = {code for (source, code) in all_rules() if source == "mobilitydata"}

# (case or feed, code) -> reason. Keep this small and explain each entry.
DELIBERATE: dict[tuple[str, str], str] = {
    ("invalid_language_code", "invalid_language_code"): (
        "gtfs-guru accepts any text as a language code; kokai requires a well-formed "
        "BCP 47 tag (ja, ja-Hrkt, en), as the GTFS reference does, because 日本語 in "
        "agency_lang is a real mistake of Japanese publishers."
    ),
    # A quote that is never closed, or a stray quote inside a value: gtfs-guru's reader
    # guesses where the value ends and reports what the guessed rows lack; kokai does
    # not guess and reports the file as not CSV (csv_parsing_failed), checking no row.
    **{
        (case, code): "kokai refuses a file whose quotes do not pair (no guessing)"
        for case in ("csv_parsing_failed", "stray_quote")
        for code in ("csv_parsing_failed", "invalid_row_length", "stop_without_location",
                     "foreign_key_violation")
    },  # fmt: skip
    ("empty_row", "empty_row"): (
        "gtfs-guru's reader skips an empty line silently; kokai reports one in the middle "
        "of a file (a warning): it is often a row deleted by hand in Excel, and the line "
        "numbers of the rows below it are easier to follow when it is pointed out."
    ),
}
# Not a difference in the generic (gtfs) profile, listed for the docs: in the jp profile
# kokai reads GTFS-JP v2 translations (trans_id,lang,translation) instead of reporting
# missing_required_column ×3 as generic validators do (Gifu, Rinko sample).

SMALL_FEEDS = (
    "minato_chiibus.zip",
    "gifu_city_community_bus.zip",
    "kumagaya_yuyu_bus.zip",
    "rinko_bus_mlit_sample.zip",
)
LARGE_FEEDS = ("vilnius.zip", "metro_north_railroad.zip")


def _guru_counts(path: Path, today: date) -> Counter:
    result = gtfs_guru.validate(str(path), date=today.isoformat())
    return Counter((n.code, n.severity.lower()) for n in result.notices if n.code in IMPLEMENTED)


def _kokai_counts(path: Path, today: date) -> Counter:
    report = validate_feed(path, profile="gtfs", today=today)
    out: Counter = Counter()
    for (_, code, severity), n in report.counts.items():
        if code in IMPLEMENTED:
            out[(code, severity)] += n
    return out


def _differences(name: str, guru: Counter, kokai: Counter, severities: set[str]) -> dict:
    keys = {k for k in guru.keys() | kokai.keys() if k[1] in severities}
    return {
        f"{code}/{severity}": {"gtfs-guru": guru[(code, severity)], "kokai": kokai[(code, severity)]}
        for code, severity in sorted(keys)
        if guru[(code, severity)] != kokai[(code, severity)] and (name, code) not in DELIBERATE
    }


@pytest.mark.corpus
@pytest.mark.parametrize("feed", [*SMALL_FEEDS, *LARGE_FEEDS])
def test_corpus_feed_same_notices_as_gtfs_guru(feed: str) -> None:
    path = CORPUS_GTFS / feed
    if not path.exists():
        pytest.skip(f"corpus feed {feed} not available")
    guru, kokai = _guru_counts(path, TODAY), _kokai_counts(path, TODAY)
    assert _differences(feed, guru, kokai, {"error"}) == {}
    assert _differences(feed, guru, kokai, {"warning", "info"}) == {}


# The generic cases of rule_cases.py (MobilityData codes): the tiny feed broken in one
# place, in a zip.
TINY_CASES = {
    name: case
    for name, case in sorted({**GTFS_RULE_CASES, **EXTRA_CASES}.items())
    if case.base == "tiny" and case.build is None and case.code in IMPLEMENTED
}


def test_broken_tiny_feeds_same_errors_as_gtfs_guru(tmp_path: Path) -> None:
    today = date(2026, 1, 15)  # the date rule_cases.py validates with
    differences = {}
    for i, (case, rule_case) in enumerate(TINY_CASES.items()):
        path = rule_case.write(tmp_path / str(i))
        guru, kokai = _guru_counts(path, today), _kokai_counts(path, today)
        if diff := _differences(case, guru, kokai, {"error", "warning"}):
            differences[case] = diff
        # Each case breaks something: an empty comparison would prove nothing.
        assert kokai, case
    assert differences == {}
