"""table_diff: rows added, removed and changed between two versions of a CSV,
by key (primaryKey, an ID field, an ID-like column) and without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kokai.publish.table_diff import diff_stored, diff_tables, key_candidates, spool_utf8

HEADER = "ID,名称,収容人数\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_by_id_column_counts_added_removed_changed(tmp_path):
    before = write(tmp_path / "a.csv", HEADER + "1,市役所,600\n2,第一小,1200\n3,第二小,800\n")
    after = write(tmp_path / "b.csv", HEADER + "1,市役所,650\n3,第二小,800\n4,公民館,300\n5,体育館,900\n")
    diff = diff_tables(before, after)
    assert diff.key == ["ID"]
    assert (diff.added, diff.removed, diff.changed) == (2, 1, 1)
    assert [r["ID"] for r in diff.added_rows] == ["4", "5"]
    assert diff.removed_rows == [{"ID": "2", "名称": "第一小", "収容人数": "1200"}]
    (changed,) = diff.changed_rows
    assert changed.key == {"ID": "1"}
    assert changed.fields == ["収容人数"]
    assert (changed.before["収容人数"], changed.after["収容人数"]) == ("600", "650")
    assert (diff.rows_before, diff.rows_after) == (3, 4)
    assert not diff.unchanged


def test_primary_key_from_schema_wins_over_id_like_names(tmp_path):
    header = "NO,コード,名称\n"
    # NO is renumbered, コード (the primaryKey) stays: one row changed, not all
    before = write(tmp_path / "a.csv", header + "1,A1,甲\n2,B2,乙\n")
    after = write(tmp_path / "b.csv", header + "1,B2,乙\n2,A1,甲改\n")
    diff = diff_tables(before, after, schema={"fields": [], "primaryKey": "コード"})
    assert diff.key == ["コード"]
    assert (diff.added, diff.removed, diff.changed) == (0, 0, 2)
    assert sorted(c.key["コード"] for c in diff.changed_rows) == ["A1", "B2"]


def test_key_not_unique_falls_back_to_whole_rows(tmp_path):
    before = write(tmp_path / "a.csv", HEADER + "1,甲,10\n1,乙,20\n")
    after = write(tmp_path / "b.csv", HEADER + "1,甲,10\n1,丙,30\n")
    diff = diff_tables(before, after)
    assert diff.key == []
    assert (diff.added, diff.removed, diff.changed) == (1, 1, 0)
    assert diff.added_rows == [{"ID": "1", "名称": "丙", "収容人数": "30"}]
    assert diff.removed_rows == [{"ID": "1", "名称": "乙", "収容人数": "20"}]


def test_without_key_duplicates_count_as_a_multiset(tmp_path):
    header = "名称,値\n"
    before = write(tmp_path / "a.csv", header + "甲,1\n甲,1\n乙,2\n")
    after = write(tmp_path / "b.csv", header + "甲,1\n乙,2\n乙,2\n乙,2\n丁,\n")
    diff = diff_tables(before, after)
    assert diff.key == []
    assert (diff.added, diff.removed) == (3, 1)  # 乙 twice more and 丁; one 甲 fewer
    assert {r["名称"] for r in diff.added_rows} == {"乙", "丁"}
    assert diff.removed_rows == [{"名称": "甲", "値": "1"}]
    assert {"名称": "丁", "値": None} in diff.added_rows


def test_identical_tables_are_unchanged(tmp_path):
    text = HEADER + "1,甲,10\n2,乙,20\n"
    diff = diff_tables(write(tmp_path / "a.csv", text), write(tmp_path / "b.csv", text))
    assert diff.unchanged and not diff.truncated
    assert (diff.added, diff.removed, diff.changed) == (0, 0, 0)


def test_rows_shown_are_capped_and_the_rest_counted(tmp_path):
    before = write(tmp_path / "a.csv", HEADER + "".join(f"{i},x,{i}\n" for i in range(100)))
    after = write(tmp_path / "b.csv", HEADER + "".join(f"{i},y,{i}\n" for i in range(50, 200)))
    diff = diff_tables(before, after, limit=5)
    assert (diff.added, diff.removed, diff.changed) == (100, 50, 50)
    assert (len(diff.added_rows), len(diff.removed_rows), len(diff.changed_rows)) == (5, 5, 5)
    assert diff.truncated


def test_values_compare_as_text(tmp_path):
    before = write(tmp_path / "a.csv", "ID,コード\n1,001\n")
    after = write(tmp_path / "b.csv", "ID,コード\n1,1\n")
    diff = diff_tables(before, after)
    assert diff.changed == 1 and diff.changed_rows[0].fields == ["コード"]


def test_columns_added_and_removed_are_reported(tmp_path):
    before = write(tmp_path / "a.csv", "ID,名称,旧列\n1,甲,x\n")
    after = write(tmp_path / "b.csv", "ID,名称,新列\n1,甲,y\n")
    diff = diff_tables(before, after)
    assert (diff.columns_added, diff.columns_removed) == (["新列"], ["旧列"])
    assert diff.changed == 0 and not diff.unchanged


def test_key_candidates_order():
    schema = {"primaryKey": ["a", "b"], "fields": [{"name": "x", "kokai:role": "id"},
                                                 {"name": "y", "constraints": {"unique": True}}]}
    assert key_candidates(schema, ["ID", "NO"]) == [["a", "b"], ["x"], ["y"], ["ID"], ["NO"]]
    assert key_candidates(None, ["名称"]) == []


def test_stored_cp932_and_bom_files_are_read(tmp_path):
    before = (HEADER + "1,避難所,10\n").encode("cp932")
    after = b"\xef\xbb\xbf" + (HEADER + "1,避難所,10\n2,公民館,5\n").encode("utf-8")
    diff = diff_stored(iter([before[:7], before[7:]]), iter([after]))
    assert diff.key == ["ID"]
    assert diff.added == 1 and diff.added_rows[0]["名称"] == "公民館"
    assert diff.removed == 0 and diff.changed == 0


def test_spool_splits_multibyte_characters_across_chunks(tmp_path):
    data = "名称\n避難所\n".encode()
    spool_utf8(iter([data[:4], data[4:]]), tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text("utf-8") == "名称\n避難所\n"


@pytest.mark.parametrize("schema_name", ["gsi-shelters", "evacuation-sites"])
def test_bundled_schemas_give_a_key_for_the_demo_tables(schema_name):
    from kokai.validators.schemas import load_schema

    assert key_candidates(load_schema(schema_name), ["NO", "ID"])


def test_tab_separated_tables(tmp_path):
    before = write(tmp_path / "a.tsv", "ID\t名称\n1\t甲,乙\n")
    after = write(tmp_path / "b.tsv", "ID\t名称\n1\t甲、乙\n")
    diff = diff_tables(before, after, separator="\t")
    assert diff.key == ["ID"] and diff.changed == 1
    assert diff.changed_rows[0].before["名称"] == "甲,乙"
