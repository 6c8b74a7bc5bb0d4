"""agency.txt in GTFS-JP: agency_id is required (also in routes.txt) and is the
operator's 法人番号 (13 digits with a valid check digit, optional branch suffix
`_1`); the time zone is Asia/Tokyo and the language ja."""

from __future__ import annotations

import re

import polars as pl

from kokai.gtfs.columns import blank
from kokai.gtfs.jp.common import jp_rule
from kokai.gtfs.rules_common import CheckContext, emit
from kokai.validators.report import Findings, Text
from kokai.vocab.checkdigits import is_valid_houjin_bangou

# 法人番号 (13 digits), optionally followed by a branch suffix `_1`, `_2`, ...
_HOUJIN_WITH_BRANCH = re.compile(r"([0-9]{13})(?:_[0-9]+)?")
_NOT_13_DIGITS = Text(
    "13 桁の数字（と任意の _枝番）ではありません", "not 13 digits (+ optional _N)"
)
_WRONG_CHECK_DIGIT = Text("先頭のチェックディジットが合いません", "wrong check digit")

MISSING_AGENCY_ID = jp_rule(
    "jp_missing_agency_id",
    "error",
    "{path} の {row} 行目に agency_id がありません。GTFS-JP では事業者が 1 つでも agency_id は"
    "必須です。事業者の法人番号（13 桁）を入れてください。",
    "{path} row {row}: agency_id is empty. GTFS-JP requires agency_id even for a single "
    "agency: enter the operator's 13-digit corporate number (法人番号).",
)
MISSING_AGENCY_ID_COLUMN = jp_rule(
    "jp_missing_agency_id_column",
    "error",
    "{path} に agency_id 列がありません。GTFS-JP では agency_id は必須です。agency_id 列を追加し、"
    "事業者の法人番号（13 桁）を入れてください。",
    "{path} has no agency_id column. GTFS-JP requires agency_id: add the column with the "
    "operator's 13-digit corporate number.",
)
INVALID_HOUJIN_BANGOU = jp_rule(
    "jp_invalid_houjin_bangou",
    "error",
    "{path} の {row} 行目の agency_id「{value}」は正しい法人番号ではありません（{reason}）。"
    "国税庁法人番号公表サイトで 13 桁の法人番号を確かめてください（営業所を分けるときは "
    "末尾に _1 などを付けます）。コミュニティバスは委託元の自治体の法人番号です。",
    "{path} row {row}: agency_id {value!r} is not a valid corporate number ({reason}). "
    "Look up the 13-digit 法人番号 (branch suffix _1, _2 allowed); for a community bus use "
    "the commissioning municipality's number.",
)
AGENCY_TIMEZONE_NOT_TOKYO = jp_rule(
    "jp_agency_timezone_not_tokyo",
    "error",
    "{path} の {row} 行目の agency_timezone が「{value}」です。GTFS-JP では Asia/Tokyo と"
    "書いてください。",
    "{path} row {row}: agency_timezone is {value!r}; GTFS-JP requires Asia/Tokyo.",
)
AGENCY_LANG_NOT_JA = jp_rule(
    "jp_agency_lang_not_ja",
    "error",
    "{path} の {row} 行目の agency_lang が「{value}」です。GTFS-JP では ja と書いてください。",
    "{path} row {row}: agency_lang is {value!r}; GTFS-JP expects ja.",
)


def houjin_problem(agency_id: str) -> Text | None:
    """Why `agency_id` is not a 法人番号 (with optional branch suffix), or None
    when it is one."""
    match = _HOUJIN_WITH_BRANCH.fullmatch(agency_id)
    if match is None:
        return _NOT_13_DIGITS
    if not is_valid_houjin_bangou(match.group(1)):
        return _WRONG_CHECK_DIGIT
    return None


def check_agency(ctx: CheckContext) -> Findings:
    out = Findings()
    for name in ("agency.txt", "routes.txt"):
        frame = ctx.frame(name)
        if frame is None or not ctx.usable(name):
            continue
        if "agency_id" not in frame.columns:
            out.append(MISSING_AGENCY_ID_COLUMN.finding(path=name, field="agency_id"))
            continue
        emit(out, MISSING_AGENCY_ID, frame.filter(blank("agency_id")), path=name,
             field="agency_id")  # fmt: skip
    agency = ctx.frame("agency.txt")
    if agency is None or not ctx.usable("agency.txt"):
        return out
    path = "agency.txt"
    if "agency_id" in agency.columns:
        for line, value in (
            agency.filter(~blank("agency_id")).select("__line__", "agency_id").iter_rows()
        ):
            reason = houjin_problem(value.strip())
            if reason:
                out.append(INVALID_HOUJIN_BANGOU.finding(
                    path=path, row=line, field="agency_id", value=value, reason=reason
                ))  # fmt: skip
    if "agency_timezone" in agency.columns:
        other_zone = ~blank("agency_timezone") & (pl.col("agency_timezone") != "Asia/Tokyo")
        emit(out, AGENCY_TIMEZONE_NOT_TOKYO, agency.filter(other_zone), path=path,
             field="agency_timezone", value="agency_timezone")  # fmt: skip
    if "agency_lang" in agency.columns:
        not_ja = ~blank("agency_lang") & ~pl.col("agency_lang").str.to_lowercase().str.contains(
            r"^\s*ja(-|\s*$)"
        )
        emit(out, AGENCY_LANG_NOT_JA, agency.filter(not_ja), path=path, field="agency_lang",
             value="agency_lang")  # fmt: skip
    return out
