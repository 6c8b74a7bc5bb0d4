"""Front-end libraries from node_modules: found, copied once, versions read;
a clear message when `npm ci` has not run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kokai.errors import KokaiError
from kokai.site import assets

LEAFLET_FILES = {
    "dist/leaflet.js": b"/* leaflet */ window.L = {};",
    "dist/leaflet.css": b".leaflet-container { color: #333; }",
    "dist/leaflet.js.map": b"{}",
    "dist/images/marker-icon.png": b"\x89PNG marker",
    "dist/images/layers.png": b"\x89PNG layers",
    "LICENSE": b"BSD-2-Clause",
}


@pytest.fixture
def fake_node_modules(tmp_path: Path, monkeypatch) -> Path:
    """A node_modules with a made-up Leaflet and axe-core, named by $KOKAI_NODE_MODULES."""
    root = tmp_path / "node_modules"
    for name, content in LEAFLET_FILES.items():
        path = root / "leaflet" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (root / "leaflet" / "package.json").write_text(json.dumps({"version": "9.8.7"}))
    (root / "axe-core").mkdir()
    (root / "axe-core" / "package.json").write_text(json.dumps({"version": "4.0.1"}))
    monkeypatch.setenv(assets.NODE_MODULES_ENV, str(root))
    return root


def test_environment_variable_names_the_folder(fake_node_modules):
    assert assets.find_node_modules() == fake_node_modules
    assert assets.vendor_versions() == {"leaflet": "9.8.7", "axe-core": "4.0.1"}


def test_copies_the_files_pages_load_and_only_those(fake_node_modules, tmp_path):
    out = tmp_path / "_site"
    written = assets.copy_vendor_assets(out)
    vendor = out / "static" / "vendor" / "leaflet"
    assert sorted(written) == sorted(
        "static/vendor/leaflet/" + name
        for name in ("leaflet.js", "leaflet.css", "images/marker-icon.png",
                     "images/layers.png", "LICENSE")
    )
    assert (vendor / "leaflet.js").read_bytes() == LEAFLET_FILES["dist/leaflet.js"]
    assert (vendor / "images" / "marker-icon.png").read_bytes() == LEAFLET_FILES[
        "dist/images/marker-icon.png"
    ]
    assert not (vendor / "leaflet.js.map").exists()


def test_second_copy_writes_nothing_until_a_library_changes(fake_node_modules, tmp_path):
    out = tmp_path / "_site"
    assert assets.copy_vendor_assets(out)
    assert assets.copy_vendor_assets(out) == []

    source = fake_node_modules / "leaflet" / "dist" / "leaflet.css"
    source.write_bytes(b".leaflet-container { color: #111; }")
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert assets.copy_vendor_assets(out) == ["static/vendor/leaflet/leaflet.css"]
    assert (out / "static/vendor/leaflet/leaflet.css").read_bytes() == source.read_bytes()


def test_missing_node_modules_says_to_run_npm_ci(tmp_path, monkeypatch):
    monkeypatch.setenv(assets.NODE_MODULES_ENV, str(tmp_path / "nowhere"))
    monkeypatch.setattr(assets, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(KokaiError) as caught:
        assets.copy_vendor_assets(tmp_path / "_site")
    message = str(caught.value)
    assert "npm ci" in message and "make setup" in message
    assert "見つかりません" in message
    assert str(tmp_path / "nowhere") in message
    assert not (tmp_path / "_site").exists()


def test_a_file_missing_from_the_package_is_named(fake_node_modules, tmp_path):
    (fake_node_modules / "leaflet" / "dist" / "leaflet.css").unlink()
    with pytest.raises(KokaiError, match="leaflet.css"):
        assets.copy_vendor_assets(tmp_path / "_site")


def test_installed_versions_are_the_locked_ones(monkeypatch):
    """node_modules holds what package-lock.json pins (stale after a lock change
    means `npm ci` / `make setup` was not rerun)."""
    monkeypatch.delenv(assets.NODE_MODULES_ENV, raising=False)
    try:
        node_modules = assets.find_node_modules()
    except KokaiError as error:
        pytest.skip(str(error))
    lock = json.loads((assets.REPO_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    locked = {
        name: lock["packages"][f"node_modules/{name}"]["version"]
        for name in assets.REPORTED_PACKAGES
    }
    assert assets.vendor_versions(node_modules) == locked
