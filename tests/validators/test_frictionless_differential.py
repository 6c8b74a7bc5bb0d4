"""kokai's vectorised Table Schema checks flag the same (row, field, code) as
frictionless itself, on small fixtures, for the errors both cover."""

from __future__ import annotations

import frictionless
import pytest

from kokai.validators.reading import read_table
from kokai.validators.report import Report
from kokai.validators.table_schema import check_table_schema

COVERED = {
    "type-error", "constraint-error", "unique-error", "primary-key",
    "missing-cell", "extra-cell", "blank-row",
}  # fmt: skip

CASES = {
    "types": (
        "id,count,ratio,flag,day,year,month\n"
        "1,10,0.5,true,2024-04-01,2024,2024-04\n"
        "2,3階,1.5e3,yes,2024/04/01,24,2024-13\n"
        "3,-4, 2.5 ,FALSE,2024-2-30,1999,1999-1\n"
        "4,1.0,abc,0,令和6年4月1日,２０２４,x\n"
        "5, 7 ,NaN,○,2023-02-28,+999,2024-00\n",
        {
            "fields": [
                {"name": "id", "type": "integer"},
                {"name": "count", "type": "integer"},
                {"name": "ratio", "type": "number"},
                {"name": "flag", "type": "boolean"},
                {"name": "day", "type": "date"},
                {"name": "year", "type": "year"},
                {"name": "month", "type": "yearmonth"},
            ]
        },
    ),
    "constraints": (
        "code,name,lat,capacity,kind,memo\n"
        "011002,公民館,34.7,100,1,ok\n"
        "11002,,137.9,-5,○,toolongvalue\n"
        "０１１００２,図書館,19,0,,x\n"
        "0110021,体育館,46.5,abc,1.0,\n",
        {
            "fields": [
                {"name": "code", "type": "string", "constraints": {"pattern": "[0-9]{6}"}},
                {"name": "name", "type": "string", "constraints": {"required": True}},
                {"name": "lat", "type": "number", "constraints": {"minimum": 20, "maximum": 46.5}},
                {"name": "capacity", "type": "integer", "constraints": {"minimum": 0}},
                {"name": "kind", "type": "string", "constraints": {"enum": ["1"]}},
                {"name": "memo", "type": "string", "constraints": {"minLength": 2, "maxLength": 5}},
            ]
        },
    ),
    "unique": (
        "ID,名称\nA,公民館\nB,図書館\nA,体育館\n,空\n,空2\nB,再\n",
        {
            "fields": [
                {"name": "ID", "type": "string", "constraints": {"unique": True}},
                {"name": "名称", "type": "string", "constraints": {"unique": True}},
            ]
        },
    ),
    "primary-key": (
        "地域コード,調査年月日,人口\n"
        "001,2024-04-01,10\n001,2025-04-01,11\n001,2024-04-01,12\n,,13\n002,2024-04-01,14\n",
        {
            "fields": [
                {"name": "地域コード", "type": "string"},
                {"name": "調査年月日", "type": "date"},
                {"name": "人口", "type": "integer"},
            ],
            "primaryKey": ["地域コード", "調査年月日"],
        },
    ),
    "cells": (
        "a,b,c\n1,2,3\n4,5\n6,7,8,9\n,,\n10,11,12\n13\n",
        {
            "fields": [
                {"name": "a", "type": "integer"},
                {"name": "b", "type": "integer", "constraints": {"required": True}},
                {"name": "c", "type": "integer"},
            ]
        },
    ),
    "missing-values": (
        "a,b\n1,-\n2,NA\n-,x\n3,\n",
        {
            "fields": [
                {"name": "a", "type": "integer", "constraints": {"required": True}},
                {"name": "b", "type": "number"},
            ],
            "missingValues": ["-", "NA"],
        },
    ),
}


def frictionless_hits(tmp_path, text: str, schema: dict) -> set[tuple]:
    (tmp_path / "t.csv").write_text(text, encoding="utf-8")
    resource = frictionless.Resource(
        path="t.csv", basepath=str(tmp_path), schema=frictionless.Schema.from_descriptor(schema)
    )
    report = frictionless.validate(resource)
    out = set()
    for error in report.tasks[0].errors:
        if error.type in COVERED:
            field = None if error.type in ("extra-cell", "blank-row", "primary-key") else error.field_name
            out.add((error.row_number, field, error.type))
    return out


def kokai_hits(tmp_path, text: str, schema: dict) -> set[tuple]:
    path = tmp_path / "k.csv"
    path.write_text(text, encoding="utf-8")
    table = read_table(path)
    report = Report()
    report.extend(table.findings)
    check_table_schema(table, schema, report)
    out = set()
    for f in report.findings:
        if f.code == "missing-cell":  # one finding per short row, naming its missing cells
            count, width = f.params["count"], f.params["width"]
            assert f.params["missing"] == width - count and f.field == table.header[count]
            out.update((f.row, name, f.code) for name in table.header[count:width])
        elif f.code in COVERED:
            field = None if f.code in ("extra-cell", "blank-row", "primary-key") else f.field
            out.add((f.row, field, f.code))
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_rows_and_fields_as_frictionless(tmp_path, case):
    text, schema = CASES[case]
    expected = frictionless_hits(tmp_path, text, schema)
    assert expected, "the fixture must trigger errors"
    assert kokai_hits(tmp_path, text, schema) == expected


def test_a_valid_file_is_valid_for_both(tmp_path):
    text = "id,name\n1,公民館\n2,図書館\n"
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}
    assert frictionless_hits(tmp_path, text, schema) == set()
    assert kokai_hits(tmp_path, text, schema) == set()
