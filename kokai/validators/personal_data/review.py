"""The city's record that it reviewed a dataset's personal data, read from its
datapackage.yaml:

    kokai:personal_data_review:
      by: 総務課 山田太郎          # who reviewed it
      date: 2026-04-01            # when (YYYY-MM-DD, not in the future)
      reason: 議員の氏名は法令に基づき公表している
      fields: [氏名]              # optional: only these columns (default: all)

With a valid review the personal-data findings of the dataset's tables are
reported as info naming the reviewer, and no longer block publishing. A review
that is there but malformed is an error of its own, and does not apply."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from kokai.validators.personal_data.rules import PERSONAL_DATA_REVIEW_INVALID
from kokai.validators.report import Finding, Text

REVIEW_KEY = "kokai:personal_data_review"
KEYS = ("by", "date", "reason", "fields")
# What the messages ask staff to fill in: a review still holding these was pasted unedited.
BY_PLACEHOLDER = "確認した人の所属と氏名"
REASON_PLACEHOLDER = "公開してよい理由"
EXAMPLE = (
    f"{REVIEW_KEY}: {{ by: 総務課 山田太郎, date: 2026-04-01, "
    "reason: 議員の氏名は法令に基づき公表している }"
)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class Review:
    by: str
    date: str  # YYYY-MM-DD
    reason: str
    fields: frozenset[str] | None = None  # None: every column

    def covers(self, field: str | None) -> bool:
        return self.fields is None or field in self.fields


def paste_yaml(today: dt.date | None = None) -> str:
    """The one line to add to datapackage.yaml, with today's date."""
    day = (today or dt.date.today()).isoformat()
    # spaces inside the braces: YAML's flow mapping, and no "{by:…}" a template could mistake
    return f"{REVIEW_KEY}: {{ by: {BY_PLACEHOLDER}, date: {day}, reason: {REASON_PLACEHOLDER} }}"


def _text(value: Any, placeholder: str) -> str | None:
    if isinstance(value, str) and value.strip() and value.strip() != placeholder:
        return value.strip()
    return None


def _date(value: Any, today: dt.date) -> tuple[str | None, tuple[str, str] | None]:
    """(YYYY-MM-DD, None) or (None, the problem in ja and en)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return None, (f"date「{value}」は存在しない日付です", f"date {value!r} does not exist")
    if not isinstance(value, dt.date):
        return None, (
            f"date「{value}」は YYYY-MM-DD の形（例: 2026-04-01）ではありません",
            f"date {value!r} is not YYYY-MM-DD (e.g. 2026-04-01)",
        )
    # a day of slack: CI in UTC runs behind a reviewer in Japan
    if value > today + dt.timedelta(days=1):
        return None, (
            f"date「{value.isoformat()}」が未来の日付です。確認した日を書いてください",
            f"date {value.isoformat()} is in the future; write the day of the review",
        )
    return value.isoformat(), None


def read_review(
    descriptor: dict[str, Any], path: str, today: dt.date | None = None
) -> tuple[Review | None, list[Finding]]:
    """The dataset's review (None when it has none or it is malformed) and the
    finding that says why a malformed one does not count."""
    if REVIEW_KEY not in descriptor:
        return None, []
    raw = descriptor[REVIEW_KEY]
    if not isinstance(raw, dict):
        problem = ("by・date・reason を持つマッピングではありません", "it is not a mapping of by, date and reason")
        return None, [_invalid(path, [problem])]
    problems: list[tuple[str, str]] = []
    by = _text(raw.get("by"), BY_PLACEHOLDER)
    reason = _text(raw.get("reason"), REASON_PLACEHOLDER)
    day: str | None = None
    missing = [k for k in ("by", "date", "reason") if raw.get(k) in (None, "")]
    if missing:
        problems.append((f"{'・'.join(missing)} がありません", f"{', '.join(missing)} missing"))
    if "by" not in missing and by is None:
        problems.append(("by に確認した人の所属と氏名を書いてください", "by must name who reviewed it"))
    if "reason" not in missing and reason is None:
        problems.append(("reason に公開してよい理由を書いてください", "reason must say why it may be published"))
    if "date" not in missing:
        day, problem = _date(raw.get("date"), today or dt.date.today())
        if problem:
            problems.append(problem)
    fields = raw.get("fields")
    if fields is not None and (
        not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f for f in fields)
    ):
        problems.append(("fields は列名のリスト（例: [氏名]）で書いてください", "fields must be a list of column names"))
    unknown = sorted(str(k) for k in raw if k not in KEYS)
    if unknown:
        problems.append((
            f"知らないキー {'・'.join(unknown)} があります（書けるのは by・date・reason・fields）",
            f"unknown keys {', '.join(unknown)} (only by, date, reason, fields)",
        ))  # fmt: skip
    if problems:
        return None, [_invalid(path, problems)]
    assert by is not None and reason is not None and day is not None
    return Review(by=by, date=day, reason=reason, fields=frozenset(fields) if fields else None), []


def _invalid(path: str, problems: list[tuple[str, str]]) -> Finding:
    problem = Text("。".join(p[0] for p in problems), "; ".join(p[1] for p in problems))
    return PERSONAL_DATA_REVIEW_INVALID.finding(path=path, field=REVIEW_KEY, problem=problem, expected=EXAMPLE)
