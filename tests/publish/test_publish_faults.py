"""A publish killed at any moment (SIGKILL) leaves the previous state, and the
next publish completes; two publishes at once are serialised.

The demo city is published once; then two datasets change (a table loses a
row, a bus stop gains a description) and a publish of both runs in
a forked child that kills itself at one of 20+ points spread over all its I/O
events (tests/publish/kill_runner.py). After each kill, every dataset is
either exactly as before or exactly at its new version, every file the
catalog names is in storage with its sha256, and the log agrees; a second,
normal publish then completes with one new version per changed dataset.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
from pathlib import Path

import pytest

from kokai.catalog.blobs import blob_store
from kokai.catalog.db import dispose_engine
from kokai.config import load_config
from tests.publish.conftest import DEMO_TODAY, City, make_city
from tests.publish.kill_runner import run_killed, start

CHANGED = ("community-bus", "shelters")
KILL_POINTS = 22


def change_datasets(datasets: Path) -> None:
    csv = datasets / "shelters" / "shelters.csv"
    csv.write_text("".join(csv.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    stops = datasets / "community-bus" / "feed" / "stops.txt"
    stops.write_text(stops.read_text(encoding="utf-8").replace("1001,1001,潮見駅,,", "1001,1001,潮見駅,北口,", 1),
                     encoding="utf-8")


def run_publish(root: Path, kill_at: int) -> tuple[int, int]:
    """Publish the changed datasets in a forked child killed at event `kill_at`
    (0: never); (exit code, events seen)."""
    events_file = root / "events"
    folders = [str(root / "datasets" / n) for n in CHANGED]
    argv = ["--config", str(root / "kokai.toml"), "publish", "--date", DEMO_TODAY.isoformat(), *folders]
    code = run_killed(kill_at, argv, events_file)
    return code, int(events_file.read_text()) if events_file.exists() else -1


def state(city: City) -> dict[str, tuple]:
    """Per dataset: (package dict, newest published version); and checks that
    every file the catalog names is stored with its sha256."""
    catalog = city.catalog()
    store = blob_store(city.config)
    out = {}
    for name in catalog.action.package_list():
        package = catalog.action.package_show(id=name)
        for resource in package["resources"]:
            data = b"".join(store.open_range(resource["hash"], 0, None))
            assert hashlib.sha256(data).hexdigest() == resource["hash"], (name, resource["name"])
        records = catalog.action.publish_record_list(id=name, status="published")
        versions = [r["version"] for r in records]
        assert versions == sorted(set(versions), reverse=True)  # no duplicate versions
        out[name] = (package, versions[0])
    return out


@pytest.fixture
def baseline(tmp_path, sqlite_template):
    """The demo city published once, then changed; closed so it can be copied."""
    root = tmp_path / "baseline"
    (root / "_data").mkdir(parents=True)
    shutil.copyfile(sqlite_template, root / "_data" / "catalog.sqlite3")
    city = make_city(root, "")  # the default catalog, root/_data/catalog.sqlite3: copies stay apart
    city.publish()
    before = state(city)
    change_datasets(city.datasets)
    dispose_engine(city.config)
    return root, before


def copy_city(baseline_root: Path, to: Path) -> City:
    shutil.copytree(baseline_root, to)
    return City(to, load_config(to / "kokai.toml"))


def test_a_publish_killed_at_any_point_leaves_the_previous_state_and_the_next_completes(tmp_path, baseline):
    root, before = baseline
    counting = copy_city(root, tmp_path / "count")
    code, events = run_publish(counting.root, 0)
    assert code == 0
    expected = state(counting)
    dispose_engine(counting.config)
    assert events >= KILL_POINTS * 2
    points = sorted({1 + (events - 1) * i // (KILL_POINTS - 1) for i in range(KILL_POINTS)})
    assert len(points) >= 20
    outcomes = {"old": 0, "new": 0}
    for point in points:
        city = copy_city(root, tmp_path / f"kill-{point}")
        code, _ = run_publish(city.root, point)
        assert code == -signal.SIGKILL, point
        after_kill = state(city)
        assert set(after_kill) == set(before)
        for name, (package, version) in after_kill.items():
            if name in CHANGED and version == 2:
                outcomes["new"] += 1
                assert [r["hash"] for r in package["resources"]] == [
                    r["hash"] for r in expected[name][0]["resources"]
                ]
            else:
                outcomes["old"] += 1
                assert (package, version) == before[name], (point, name)
        dispose_engine(city.config)
        assert {o.status for o in city.publish(*CHANGED)} <= {"published", "unchanged"}, point
        final = state(city)
        for name, (package, version) in final.items():
            want_package, want_version = expected[name]
            assert version == want_version, (point, name)
            assert [r["hash"] for r in package["resources"]] == [r["hash"] for r in want_package["resources"]]
        dispose_engine(city.config)
        shutil.rmtree(city.root)
    assert outcomes["old"] and outcomes["new"], outcomes  # the points fell before and after commits
    print(f"{events} events, kill points {points}, states after the kills {outcomes}")


def test_two_publishes_at_once_are_serialised(tmp_path, baseline):
    """Two folders of the same dataset with different rows publish at the same
    moment; each pauses while holding the write lock, so without the lock
    they would interleave. One becomes version 2 and the other version 3,
    and version 3's changes are counted from version 2's rows."""
    root, _ = baseline
    city = copy_city(root, tmp_path / "both")
    other = city.datasets / "shelters-other"
    shutil.copytree(city.datasets / "shelters", other)
    csv = other / "shelters.csv"
    csv.write_text("".join(csv.read_text(encoding="utf-8").splitlines(keepends=True)[:-3]), encoding="utf-8")
    config = str(city.root / "kokai.toml")
    children = [
        start(["--config", config, "publish", "--date", DEMO_TODAY.isoformat(), str(folder)],
              tmp_path / f"events-{i}", pause_on="INSERT INTO publish_record")
        for i, folder in enumerate((city.datasets / "shelters", other))
    ]  # fmt: skip
    for child in children:
        child.join(120)
    assert [c.exitcode for c in children] == [0, 0]
    records = city.catalog().action.publish_record_list(id="shelters", status="published")
    assert [r["version"] for r in records] == [3, 2, 1]
    newest, middle, first = records
    (change,) = newest["changes"]["changed"]
    assert change["rows_before"] == middle["manifest"]["shelters"]["rows"]
    assert middle["changes"]["changed"][0]["rows_before"] == first["manifest"]["shelters"]["rows"] == 25
    package = city.catalog().action.package_show(id="shelters")
    assert package["resources"][0]["hash"] == newest["manifest"]["shelters"]["sha256"]
    assert package["resources"][0]["kokai_rows"] == newest["manifest"]["shelters"]["rows"]
