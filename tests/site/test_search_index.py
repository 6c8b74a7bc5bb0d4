"""The site's search index: tokens, weights, sharding, and incremental updates
that write exactly what a full build of the same datasets writes."""

from __future__ import annotations

import json
import marshal
import random
from dataclasses import replace
from pathlib import Path

import pytest

from kokai.site import search_index
from kokai.site.search_index import (
    SearchDoc,
    SearchIndex,
    decode_postings,
    doc_tokens,
    edit_postings,
    encode_postings,
    token_hash,
    tokenize,
)


def make_doc(name: str, title: str, notes: str = "", **fields) -> SearchDoc:
    values = dict(
        name=name,
        title=title,
        notes=notes,
        organization="bousai",
        organization_title="防災危機管理課",
        tags=(),
        formats=("CSV",),
        license_id="cc-by-4.0",
        license_title="CC BY 4.0",
        modified="2026-04-01",
        path=f"dataset/{name}/",
    )
    values.update(fields)
    return SearchDoc(**values)


def sample_docs(count: int, seed: int = 1) -> list[SearchDoc]:
    rng = random.Random(seed)
    titles = ["指定避難所一覧", "コミュニティバス時刻表", "人口統計", "AED設置箇所", "図書館一覧",
              "子育て支援施設", "介護事業所一覧", "公共施設一覧"]
    words = ["避難", "バス停", "人口", "令和6年度", "更新します", "CSV形式", "子育て", "介護",
             "図書館", "公共施設", "地図", "住所", "電話番号"]
    orgs = [("bousai", "防災危機管理課"), ("kotsu", "交通政策課"), ("shimin", "市民課")]
    docs = []
    for i in range(count):
        org, org_title = rng.choice(orgs)
        docs.append(make_doc(
            f"ds-{i:03d}",
            f"{rng.choice(['北区', '南区', '潮見市'])} {rng.choice(titles)}",
            "。".join(rng.choice(words) for _ in range(rng.randint(2, 12))),
            organization=org,
            organization_title=org_title,
            tags=tuple(rng.sample(["防災", "交通", "人口", "福祉"], rng.randint(0, 2))),
            formats=tuple(rng.sample(["CSV", "GeoJSON", "PDF", "GTFS"], rng.randint(1, 2))),
            license_id=rng.choice(["cc-by-4.0", "cc0-1.0"]),
            modified=f"202{rng.randint(0, 6)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        ))
    return docs


def public_files(out: Path) -> dict[str, bytes]:
    root = out / "search"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_tokenize_bigrams_kanji_kana_runs_and_keeps_words():
    assert tokenize("指定避難所一覧") == ["指定", "定避", "避難", "難所", "所一", "一覧"]
    assert tokenize("コミュニティバス")[-1] == "バス"
    assert tokenize("ＡＥＤ設置 COVID-19 ５件") == ["aed", "設置", "covid", "19", "5", "件"]
    assert tokenize("市・区") == ["市", "区"]  # the middle dot separates; one-char runs stay
    assert tokenize("😀、。") == []


def test_weights_rank_title_over_tags_over_organisation_over_notes():
    doc = make_doc("x", "避難所", "図書館の案内。図書館は…図書館、図書館", tags=("介護",),
                   organization_title="交通政策課")
    weights = doc_tokens(doc)
    assert weights["避難"] > weights["介護"] > weights["交通"] > weights["図書"] > 0
    # A title token outweighs every other field together, which search.js relies on.
    everything_but_title = make_doc("y", "", "避難" * 5, tags=("避難",), organization_title="避難",
                                    formats=("避難",))
    assert doc_tokens(everything_but_title)["避難"] < search_index.W_TITLE
    assert weights["\x01org:bousai"] == 0 and "\x01fmt:csv" in weights
    assert "\x01lic:cc-by-4.0" in weights


def test_notes_are_indexed_up_to_the_limit():
    doc = make_doc("x", "題", "あ" * search_index.NOTES_LIMIT + "避難")
    assert "避難" not in doc_tokens(doc)


def test_postings_encoding_round_trips_and_edits_in_place():
    rng = random.Random(5)
    for size in (0, 1, 3, search_index.LONG_LIST, search_index.LONG_LIST + 1, 3000):
        postings = {s: rng.randint(0, 40) for s in rng.sample(range(20000), size)}
        text = encode_postings(postings)
        assert decode_postings(text) == postings
        for _ in range(20):
            edit = {rng.randrange(20500): rng.choice([None, 0, 7, 32]) for _ in range(3)}
            if postings and rng.random() < 0.5:
                edit[rng.choice(list(postings))] = None
            expected = {**postings, **{s: w for s, w in edit.items() if w is not None}}
            for slot in [s for s, w in edit.items() if w is None]:
                expected.pop(slot, None)
            assert edit_postings(text, edit) == encode_postings(expected)


def test_build_writes_meta_shards_and_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(search_index, "POSTINGS_PER_SHARD", 40)
    docs = sample_docs(60)
    index = SearchIndex(tmp_path / "site", tmp_path / "state")
    index.build(docs)
    root = tmp_path / "site" / "search"
    meta = json.loads((root / "meta.json").read_text())
    assert meta["docs"] == 60 and meta["shards"] > 1
    assert meta["shards"] & (meta["shards"] - 1) == 0  # a power of two
    # A token lives in the shard its hash names, and points at the doc's chunk.
    token = "避難"
    shard = json.loads((root / "s" / f"{token_hash(token) & (meta['shards'] - 1)}.json").read_text())
    slots = decode_postings(json.dumps(shard[token]))
    titles = []
    for slot in slots:
        chunk = json.loads((root / "docs" / f"{slot // meta['chunk']}.json").read_text())
        titles.append(chunk[str(slot)][0])
    expected = {d.title for d in docs if "避難" in d.title + d.notes}
    assert set(titles) == expected
    assert len(json.loads((root / "modified.json").read_text())["days"]) >= 60
    sizes = index.sizes()
    assert sizes["shards"] == meta["shards"]
    assert sizes["total_bytes"] == sum(len(b) for b in public_files(tmp_path / "site").values())


@pytest.mark.parametrize("postings_per_shard", [2500, 40])
def test_update_writes_what_a_full_build_writes(tmp_path, monkeypatch, postings_per_shard):
    monkeypatch.setattr(search_index, "POSTINGS_PER_SHARD", postings_per_shard)
    docs = sample_docs(40)
    incremental = SearchIndex(tmp_path / "a", tmp_path / "a-state")
    incremental.build(docs)
    current = {d.name: d for d in docs}
    rng = random.Random(2)
    extra = sample_docs(70, seed=9)
    for step in range(12):
        changed, removed = [], []
        for _ in range(rng.randint(1, 3)):
            action = rng.random()
            if action < 0.4:  # a new dataset
                new = replace(extra.pop(), name=f"new-{step}-{len(changed)}")
                changed.append(new)
            elif action < 0.7:  # an edit
                doc = current[rng.choice(sorted(current))]
                changed.append(replace(doc, title=doc.title + " 改訂", modified="2026-11-27",
                                       formats=("XLSX",)))
            else:
                removed.append(rng.choice(sorted(current)))
        for name in removed:
            current.pop(name, None)
        for doc in changed:
            current[doc.name] = doc
        before = public_files(tmp_path / "a")
        rewritten = incremental.update(changed, removed)
        after = public_files(tmp_path / "a")
        differing = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        assert differing <= rewritten

        full = SearchIndex(tmp_path / f"b{step}", tmp_path / f"b{step}-state")
        full.build(current.values())
        assert after == public_files(tmp_path / f"b{step}")


def test_update_of_one_dataset_rewrites_few_files(tmp_path):
    docs = sample_docs(200)
    index = SearchIndex(tmp_path / "site", tmp_path / "state")
    index.build(docs)
    total = index.sizes()["files"]
    touched = index.update([replace(docs[10], modified="2026-11-27")], [])
    # Only the date changed: the doc's chunk and the dates, no shard.
    assert not any(path.startswith("search/s/") for path in touched)
    assert touched == {f"search/docs/{_slot_chunk(tmp_path, docs[10].name)}.json",
                       "search/modified.json"}
    touched = index.update([replace(docs[11], title="新しい題名 避難所")], [])
    assert 0 < len(touched) < total


def _slot_chunk(tmp_path: Path, name: str) -> int:
    state = marshal.loads((tmp_path / "state" / "index.marshal").read_bytes())
    return state["slots"][name] // search_index.CHUNK


def test_removing_everything_and_updating_nothing(tmp_path):
    docs = sample_docs(5)
    index = SearchIndex(tmp_path / "site", tmp_path / "state")
    index.build(docs)
    assert index.update([], []) == set()
    assert index.update([], ["no-such-dataset"]) == set()
    index.update([], [d.name for d in docs])
    root = tmp_path / "site" / "search"
    assert json.loads((root / "meta.json").read_text())["docs"] == 0
    assert not list((root / "docs").glob("*.json"))
    empty = SearchIndex(tmp_path / "empty", tmp_path / "empty-state")
    empty.build([])
    assert public_files(tmp_path / "site") == public_files(tmp_path / "empty")


def test_update_without_a_build_says_so(tmp_path):
    with pytest.raises(FileNotFoundError):
        SearchIndex(tmp_path / "site", tmp_path / "state").update([sample_docs(1)[0]], [])
