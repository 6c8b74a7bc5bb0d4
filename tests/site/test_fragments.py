"""The fragment store: spliced bodies equal a fresh join, and a store whose
files do not match its index is treated as empty (every fragment made anew)."""

from __future__ import annotations

from kokai.site.fragments import INDEX, FragmentStore


def fragment(name: str, version: int) -> dict[str, bytes]:
    return {
        "pod": f'{{"title":"{name} v{version}"}}'.encode(),
        "dcat": f'{{"@id":"{name}","n":"{"x" * version}"}}'.encode(),
        "atom": f"<entry>{name}, 第{version}版</entry>".encode(),
    }


def fill(store: FragmentStore, versions: dict[str, int]) -> None:
    for name, version in versions.items():
        if store.modified(name) != str(version):
            store.put(name, str(version), **fragment(name, version))
    store.keep(versions)


def expected(versions: dict[str, int], part: str) -> bytes:
    return b",".join(fragment(n, versions[n])[part] for n in sorted(versions))


def test_changes_added_and_removed_names_splice_into_what_a_fresh_store_joins(tmp_path):
    folder = tmp_path / "fragments"
    first = {f"dataset-{i:02d}": 1 for i in range(12)}
    store = FragmentStore(folder)
    fill(store, first)
    store.save()

    second = {**first, "dataset-03": 7, "dataset-10": 2, "dataset-11": 3, "dataset-05a": 1, "dataset-99": 1}
    del second["dataset-07"], second["dataset-00"]
    store = FragmentStore(folder)
    assert store.modified("dataset-03") == "1"
    fill(store, second)
    for part in ("pod", "dcat", "atom"):
        assert store.joined(part) == expected(second, part)
    assert bytes(store.get("dataset-04", "atom")) == fragment("dataset-04", 1)["atom"]
    store.save()

    reloaded = FragmentStore(folder)
    assert sorted(reloaded.entries) == sorted(second)
    assert bytes(reloaded.get("dataset-03", "dcat")) == fragment("dataset-03", 7)["dcat"]
    assert reloaded.joined("pod") == expected(second, "pod")
    # one generation on disk: the old bodies are gone
    assert sorted(p.name for p in folder.iterdir()) == sorted([INDEX, "atom.2", "dcat.2", "pod.2"])


def test_nothing_changed_writes_nothing(tmp_path):
    folder = tmp_path / "fragments"
    versions = {"a": 1, "b": 2}
    store = FragmentStore(folder)
    fill(store, versions)
    store.save()
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    store = FragmentStore(folder)
    fill(store, versions)
    store.save()
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_a_body_that_does_not_match_its_index_is_not_trusted(tmp_path):
    folder = tmp_path / "fragments"
    store = FragmentStore(folder)
    fill(store, {"a": 1, "b": 1})
    store.save()
    (folder / "dcat.1").write_bytes(b"{}")  # cut short, as by a full disk
    store = FragmentStore(folder)
    assert store.entries == {} and store.modified("a") is None
    fill(store, {"a": 1, "b": 1})
    store.save()
    assert FragmentStore(folder).joined("dcat") == expected({"a": 1, "b": 1}, "dcat")


def test_an_empty_catalog(tmp_path):
    store = FragmentStore(tmp_path / "fragments")
    fill(store, {})
    assert store.joined("pod") == b""
    store.save()
    assert FragmentStore(tmp_path / "fragments").joined("dcat") == b""
