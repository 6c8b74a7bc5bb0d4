"""The fragment store: spliced bodies equal a fresh join, and a store whose
files do not match its index (the site's files changed since, or cut short) is
treated as empty, so every fragment is made anew."""

from __future__ import annotations

import os

from kokai.site.fragments import FILES, FragmentStore
from kokai.site.output import Pieces, SiteOutput

HEADS = {"pod": b'{"@type":"dcat:Catalog","dataset":[', "dcat": b'{"@id":"x","dcat:dataset":['}


def fragment(name: str, version: int) -> dict[str, bytes]:
    return {
        "pod": f'{{"title":"{name} v{version}"}}'.encode(),
        "dcat": f'{{"@id":"{name}","n":"{"x" * version}"}}'.encode(),
        "atom": f"<entry>{name}, 第{version}版</entry>".encode(),
    }


def build(folder, out, versions: dict[str, int], newest: list[str] = ()) -> FragmentStore:
    """What the site build does: put what changed, write the site's files through
    SiteOutput (slices of the last files copied into the new ones), save."""
    store = FragmentStore(folder, out)
    store.invalidate()
    for name, version in versions.items():
        if store.modified(name) != str(version):
            store.put(name, str(version), **fragment(name, version))
    store.keep(versions)
    out.mkdir(exist_ok=True)
    output = SiteOutput(out, {})
    for part, file in FILES.items():
        output.write(file, Pieces([HEADS[part], *store.body(part), b"]}"]))
    store.save(newest)
    return store


def expected(versions: dict[str, int], part: str) -> bytes:
    return b",".join(fragment(n, versions[n])[part] for n in sorted(versions))


def body_in_site(out, part: str) -> bytes:
    content = (out / FILES[part]).read_bytes()
    assert content.startswith(HEADS[part]) and content.endswith(b"]}")
    return content[len(HEADS[part]) : -2]


def test_changes_added_and_removed_names_splice_into_what_a_fresh_store_joins(tmp_path):
    folder, out = tmp_path / "fragments", tmp_path / "_site"
    first = {f"dataset-{i:02d}": 1 for i in range(12)}
    build(folder, out, first, newest=["dataset-04", "dataset-05"])

    second = {
        **first,
        "dataset-03": 7,
        "dataset-10": 2,
        "dataset-11": 3,
        "dataset-05a": 1,
        "dataset-99": 1,
    }
    del second["dataset-07"], second["dataset-00"]
    store = FragmentStore(folder, out)
    assert store.modified("dataset-03") == "1"  # the first build's store is trusted
    assert store.atom_entry("dataset-04") == fragment("dataset-04", 1)["atom"]
    assert store.atom_entry("dataset-06") is None  # Atom entries are kept for the newest only
    build(folder, out, second, newest=["dataset-99", "dataset-03"])
    for part in FILES:
        assert body_in_site(out, part) == expected(second, part)

    reloaded = FragmentStore(folder, out)
    assert sorted(reloaded.entries) == sorted(second)
    assert reloaded.joined("dcat") == expected(second, "dcat")
    assert reloaded.atom_entry("dataset-03") == fragment("dataset-03", 7)["atom"]
    assert reloaded.atom_entry("dataset-04") is None
    assert sorted(p.name for p in folder.iterdir()) == ["index.marshal"]


def test_a_site_file_changed_since_is_not_trusted(tmp_path):
    folder, out = tmp_path / "fragments", tmp_path / "_site"
    build(folder, out, {"a": 1, "b": 1})
    catalog = out / "catalog.jsonld"
    catalog.write_bytes(catalog.read_bytes())  # the same bytes, written again by another tool
    stat = catalog.stat()
    os.utime(catalog, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later clock tick
    store = FragmentStore(folder, out)
    assert store.entries == {} and store.modified("a") is None
    build(folder, out, {"a": 1, "b": 1})
    assert FragmentStore(folder, out).joined("dcat") == expected({"a": 1, "b": 1}, "dcat")


def test_a_build_stopped_before_its_index_was_saved_is_not_trusted(tmp_path):
    folder, out = tmp_path / "fragments", tmp_path / "_site"
    build(folder, out, {"a": 1, "b": 1})
    store = FragmentStore(folder, out)
    store.invalidate()
    store.put("a", "2", **fragment("a", 2))  # the same length as version 1
    (out / "data.json").write_bytes(HEADS["pod"] + store.joined("pod") + b"]}")  # then it stopped
    assert FragmentStore(folder, out).entries == {}


def test_an_empty_catalog(tmp_path):
    store = build(tmp_path / "fragments", tmp_path / "_site", {})
    assert store.joined("pod") == b""
    assert FragmentStore(tmp_path / "fragments", tmp_path / "_site").joined("dcat") == b""
