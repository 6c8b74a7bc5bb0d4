"""signage.js's pure functions run in node against the hand-made feed's embedded
data: a weekday, a holiday removed from the weekday service by calendar_dates,
after midnight (the previous service day's 24:xx trips), the end of the day."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from kokai.gtfs.timetable import load_timetable, services_on, signage_data
from tests.site.test_gtfs_timetable import write_hand_feed

NODE = shutil.which("node") or "/usr/bin/node"
SIGNAGE_JS = Path(__file__).resolve().parents[2] / "kokai" / "site" / "static" / "signage.js"

pytestmark = pytest.mark.skipif(not Path(NODE).exists(), reason="node is not installed")

RUNNER = """
const signage = require(process.argv[2]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.calls.map(([fn, stop, arg]) => {
  const data = input.data[stop];
  if (fn === 'next') return signage.nextDepartures(data, new Date(arg), 5);
  if (fn === 'services') return signage.activeServices(data, arg).map(i => data.services[i]);
  throw new Error(fn);
});
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def timetable(tmp_path_factory):
    return load_timetable(write_hand_feed(tmp_path_factory.mktemp("signage")))


@pytest.fixture(scope="module")
def run(timetable, tmp_path_factory):
    runner = tmp_path_factory.mktemp("node") / "runner.js"
    runner.write_text(RUNNER, encoding="utf-8")
    data = {stop: signage_data(timetable, stop) for stop in timetable.departures}

    def call(*calls):
        result = subprocess.run(
            [NODE, str(runner), str(SIGNAGE_JS)],
            input=json.dumps({"data": data, "calls": list(calls)}),
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return json.loads(result.stdout)

    return call


def shown(result):
    return [(i["time"], i["route"], i["headsign"], i["minutes"]) for i in result["items"]]


def test_weekday_morning(run):
    (result,) = run(["next", "S1", "2026-12-01T07:55:00+09:00"])  # Tuesday
    assert shown(result) == [("8:00", "1 駅前線", "病院", 5), ("23:50", "1 駅前線", "車庫", 955)]
    assert result["ended"] is False
    assert result["items"][0]["serviceDay"] == "20261201"


def test_clock_is_japan_time_whatever_the_offset_given(run):
    # 22:55 UTC on Nov 30 is 07:55 on Dec 1 in Japan.
    utc, jst = run(["next", "S1", "2026-11-30T22:55:00Z"], ["next", "S1", "2026-12-01T07:55:00+09:00"])
    assert utc == jst
    assert utc["today"]["ymd"] == "20261201" and utc["today"]["weekday"] == 1


def test_holiday_removed_from_weekday_service(run):
    (result,) = run(["next", "S1", "2026-11-23T09:00:00+09:00"])  # Monday, 勤労感謝の日
    assert shown(result) == [("10:00", "1 駅前線", "病院", 60)]
    (services,) = run(["services", "S1", "20261123"])
    assert services == ["HO"]  # not WD, removed by calendar_dates


def test_added_date_runs_the_saturday_timetable(run):
    (result,) = run(["next", "S1", "2026-12-30T07:00:00+09:00"])  # Wednesday
    assert shown(result) == [("9:00", "1 駅前線", "病院", 120)]


def test_after_midnight_shows_the_previous_service_day(run):
    s2, s3 = run(["next", "S2", "2026-12-02T00:40:00+09:00"],
                 ["next", "S 3/?", "2026-12-02T01:00:00+09:00"])  # fmt: skip
    # 24:45 of Tuesday's service is 00:45 on Wednesday; then Wednesday's 08:10.
    assert shown(s2)[0] == ("0:45", "1 駅前線", "車庫", 5)
    assert s2["items"][0]["serviceDay"] == "20261201"
    assert shown(s2)[1] == ("8:10", "1 駅前線", "病院", 450)
    assert s2["items"][1]["serviceDay"] == "20261202"
    # 25:10 on Dec 1 is shown at 01:10 on Dec 2.
    assert shown(s3)[0] == ("1:10", "1 駅前線", "車庫", 10)
    assert s3["items"][0]["serviceDay"] == "20261201"
    assert shown(s3)[1][0] == "7:00"  # R/2 夜 leaves S 3/? on Wednesday morning


def test_end_of_service_shows_the_next_day(run):
    (result,) = run(["next", "S1", "2026-12-01T23:55:00+09:00"])
    assert result["ended"] is True and result["noService"] is False
    assert result["items"] == []
    assert result["next"]["serviceDay"] == "20261202"
    assert [i["time"] for i in result["next"]["items"]] == ["8:00", "23:50"]
    (expired,) = run(["next", "S1", "2027-04-05T12:00:00+09:00"])  # after the calendar
    assert expired["ended"] is True and expired["noService"] is True and expired["next"] is None


def test_service_days_match_python(run, timetable):
    data_services = signage_data(timetable, "S 3/?")["services"]
    days = [date(2026, 10, 30) + timedelta(days=n) for n in range(160)]
    results = run(*[["services", "S 3/?", d.strftime("%Y%m%d")] for d in days])
    for day, services in zip(days, results, strict=True):
        expected = sorted(services_on(timetable.calendar, day) & set(data_services))
        assert services == expected, day
