"""A dataset folder given where a feed is expected (`kokai gtfs info/validate/fix
DATASET_DIR`): the feed is the folder's resource of format GTFS (or GTFS-JP),
as its datapackage.yaml says."""

from __future__ import annotations

from pathlib import Path

from kokai.errors import KokaiError
from kokai.vocab.gtfs import is_gtfs_format


def resolve_feed(path: str | Path) -> Path:
    """`path` itself, unless it is a folder with a datapackage descriptor and no
    feed files at its root: then the path of its first GTFS resource. Raises
    KokaiError when such a dataset folder has no GTFS resource."""
    p = Path(path)
    if not p.is_dir() or (p / "agency.txt").exists() or (p / "stops.txt").exists():
        return p
    from kokai.validators.datapackage import find_descriptor, load_descriptor

    descriptor = find_descriptor(p)
    if descriptor is None:
        return p
    loaded = load_descriptor(descriptor)
    if isinstance(loaded, str):
        raise KokaiError(loaded)
    for resource in loaded.get("resources") or []:
        if isinstance(resource, dict) and is_gtfs_format(resource.get("format")):
            where = resource.get("path")
            if isinstance(where, str) and where:
                return p / where
    raise KokaiError(
        f"データセット「{p}」の {descriptor.name} に format: gtfs のリソースがありません。"
        f"GTFS のリソースに format: gtfs を書くか、フィード（zip またはフォルダ）を直接指定してください。"
        f" / {descriptor.name} in {p} has no resource of format gtfs"
    )
