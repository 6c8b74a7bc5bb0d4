"""Front-end libraries for the built site, taken from node_modules at build time.

The libraries are installed by `npm ci` from package-lock.json (pinned), never
committed; the site build copies the few files a page loads into
`_site/static/vendor/<package>/`, so the built site makes no outside request
other than the map tiles."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from kokai.errors import KokaiError

# Files of each package the pages load, relative to the package's folder in
# node_modules → where they go under static/vendor/<package>/. Leaflet's CSS finds
# its marker and layer images in images/ next to it.
VENDOR_FILES: dict[str, dict[str, str]] = {
    "leaflet": {
        "dist/leaflet.js": "leaflet.js",
        "dist/leaflet.css": "leaflet.css",
        "dist/images": "images",
        "LICENSE": "LICENSE",
    },
}

# Packages whose versions are reported: the ones shipped with the site, and the
# accessibility checker the tests run (named on the accessibility page).
REPORTED_PACKAGES = ("leaflet", "axe-core")

NODE_MODULES_ENV = "KOKAI_NODE_MODULES"
REPO_ROOT = Path(__file__).resolve().parents[2]


def find_node_modules() -> Path:
    """The node_modules folder holding the site's libraries: $KOKAI_NODE_MODULES,
    else the repository's (next to the kokai package), else the current folder's."""
    candidates: list[Path] = []
    if os.environ.get(NODE_MODULES_ENV):
        candidates.append(Path(os.environ[NODE_MODULES_ENV]))
    candidates += [REPO_ROOT / "node_modules", Path.cwd() / "node_modules"]
    for folder in candidates:
        if (folder / "leaflet" / "package.json").is_file():
            return folder
    looked = "、".join(str(folder) for folder in dict.fromkeys(candidates))
    raise KokaiError(
        "公開サイトの地図ライブラリ（Leaflet）が見つかりません。リポジトリの直下で "
        "`npm ci`（または `make setup`）を実行してください。"
        f"探した場所: {looked} / "
        "The site's front-end libraries are not installed (node_modules/leaflet is "
        f"missing): run `npm ci` (or `make setup`) in the repository. Looked in: {looked}"
    )


def copy_vendor_assets(out_dir: Path, node_modules: Path | None = None) -> list[str]:
    """Copy the libraries' files into out_dir/static/vendor/; returns the paths
    (relative to out_dir, "/"-separated) actually written. A file whose size and
    modification time match the installed one is left alone, so a rebuild copies
    nothing when the libraries did not change."""
    source_root = node_modules or find_node_modules()
    written: list[str] = []
    for package, files in VENDOR_FILES.items():
        package_dir = source_root / package
        target_dir = Path(out_dir) / "static" / "vendor" / package
        for source_name, target_name in files.items():
            source = package_dir / source_name
            if not source.exists():
                raise KokaiError(
                    f"{package} の {source_name} がありません。`npm ci` をやり直してください。 / "
                    f"{source} is missing: run `npm ci` again."
                )
            pairs = (
                [(path, target_dir / target_name / path.relative_to(source))
                 for path in sorted(source.rglob("*")) if path.is_file()]
                if source.is_dir()
                else [(source, target_dir / target_name)]
            )
            for src, dst in pairs:
                if _copy_if_changed(src, dst):
                    written.append(dst.relative_to(out_dir).as_posix())
    return written


def _copy_if_changed(source: Path, target: Path) -> bool:
    stat = source.stat()
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    if existing and existing.st_size == stat.st_size and existing.st_mtime_ns == stat.st_mtime_ns:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    # copy2 keeps the modification time, which is what the next build compares.
    shutil.copy2(source, target)
    return True


def vendor_versions(node_modules: Path | None = None) -> dict[str, str]:
    """Installed version of each reported package ({"leaflet": "1.9.4", ...});
    a package that is not installed is left out."""
    root = node_modules or find_node_modules()
    versions: dict[str, str] = {}
    for package in REPORTED_PACKAGES:
        manifest = root / package / "package.json"
        if manifest.is_file():
            versions[package] = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return versions
