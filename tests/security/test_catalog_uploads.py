"""Files uploaded by a transaction that never committed are cleaned up (issue 13, item 4)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from kokai.catalog import storage
from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.catalog.errors import ValidationError
from tests.conftest import make_config

KILLED_MID_WRITE = """
import io, os, signal, sys
from pathlib import Path
from kokai.catalog.client import LocalCatalog
from kokai.config import Config
config = Config(root=Path(sys.argv[1]), database_url=sys.argv[2], storage_dir=Path(sys.argv[1]) / "storage",
                site_url="http://testserver")
with LocalCatalog(config).as_site().transaction() as ckan:
    ckan.action.resource_create(package_id="pkg", name="orphan", upload=("orphan.csv", io.BytesIO(b"a\\n1\\n")))
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 before the commit
"""


@pytest.fixture
def site(tmp_path, database_url):
    config = make_config(tmp_path, database_url)
    catalog = LocalCatalog(config).as_site()
    catalog.action.organization_create(name="city", title="市")
    catalog.action.package_create(name="pkg", title="データ", owner_org="city")
    yield catalog
    dispose_engine(config)


def _version_dirs(config) -> list[Path]:
    return sorted(Path(config.storage_dir).glob("resources/*/[0-9]*"))


def test_a_rolled_back_upload_is_deleted_at_once(site):
    with pytest.raises(ValidationError):
        with site.transaction() as ckan:
            ckan.action.resource_create(package_id="pkg", name="a", upload=("a.csv", io.BytesIO(b"x\n1\n")))
            assert len(_version_dirs(site.config)) == 1  # stored, pending
            ckan.action.resource_create(package_id="pkg", url="javascript:alert(1)")
    assert _version_dirs(site.config) == []
    assert site.action.package_show(id="pkg")["resources"] == []


def test_a_pending_version_is_never_served(site):
    kept = site.action.resource_create(package_id="pkg", name="a", upload=("a.csv", io.BytesIO(b"v1\n")))
    with site.transaction() as ckan:
        ckan.action.resource_patch(id=kept["id"], upload=("a.csv", io.BytesIO(b"v2\n")))
        current = storage.current_file(site.config, kept["id"])
        assert current.path.read_bytes() == b"v1\n"  # v2 is not committed yet
    assert storage.current_file(site.config, kept["id"]).path.read_bytes() == b"v2\n"


def test_uploads_of_a_killed_process_are_swept(site, tmp_path):
    kept = site.action.resource_create(package_id="pkg", name="kept", upload=("kept.csv", io.BytesIO(b"k\n")))
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_MID_WRITE, str(tmp_path), site.config.catalog_url],
        capture_output=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert proc.returncode == -9, proc.stderr.decode()
    leftovers = [d for d in _version_dirs(site.config) if d.parent.name != kept["id"]]
    assert len(leftovers) == 1  # the orphan is on disk, pending
    assert [r["name"] for r in site.action.package_show(id="pkg")["resources"]] == ["kept"]

    # A live upload (younger than the grace period) is left alone ...
    assert site.sweep_storage() == (0, 0)
    assert leftovers[0].exists()
    # ... an abandoned one is deleted; the committed file stays.
    old = time.time() - storage.SWEEP_AFTER.total_seconds() - 60
    for path in [leftovers[0], *leftovers[0].iterdir()]:
        os.utime(path, (old, old))
    confirmed, deleted = storage.sweep(site.config, lambda rid, sha: False, older_than=timedelta(0))
    assert (confirmed, deleted) == (0, 1)
    assert not leftovers[0].exists()
    assert storage.current_file(site.config, kept["id"]).path.read_bytes() == b"k\n"


def test_a_version_committed_before_the_crash_is_confirmed_by_the_sweep(site):
    resource = site.action.resource_create(package_id="pkg", name="a", upload=("a.csv", io.BytesIO(b"a\n")))
    version_dir = storage.current_file(site.config, resource["id"]).path.parent
    meta = (version_dir / "meta.json").read_text(encoding="utf-8")
    # As if the process died between the commit and the confirmation:
    (version_dir / "meta.json").write_text(meta[:-1] + ', "pending": true}', encoding="utf-8")
    assert storage.current_file(site.config, resource["id"]) is None
    old = time.time() - storage.SWEEP_AFTER.total_seconds() - 60
    os.utime(version_dir, (old, old))
    assert site.sweep_storage() == (1, 0)
    assert storage.current_file(site.config, resource["id"]).path.read_bytes() == b"a\n"
