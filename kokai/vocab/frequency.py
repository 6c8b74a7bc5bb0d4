"""Update frequencies (更新頻度) a dataset declares as `kokai:update_frequency`.

The seven Japanese words the publish issue names, each with the EU
Publications Office frequency code that DCAT-AP uses for
`dct:accrualPeriodicity` (http://publications.europa.eu/resource/authority/frequency/)
and the longest time a dataset may go without an update before it is
overdue. 随時 (whenever something changes) has no schedule, so it is never
overdue. The allowances are the calendar's longest period (31-day months,
92-day quarters, 366-day years), so a dataset updated on the same date every
month is never reported a day early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"


@dataclass(frozen=True)
class UpdateFrequency:
    word: str  # as staff write it in datapackage.yaml
    eu_code: str  # DCAT-AP frequency code
    english: str
    allowance: timedelta | None  # None: no schedule, never overdue

    @property
    def uri(self) -> str:
        return EU_FREQUENCY + self.eu_code


UPDATE_FREQUENCIES: tuple[UpdateFrequency, ...] = (
    UpdateFrequency("随時", "UPDATE_CONT", "as needed", None),
    UpdateFrequency("毎日", "DAILY", "daily", timedelta(days=1)),
    UpdateFrequency("毎週", "WEEKLY", "weekly", timedelta(days=7)),
    UpdateFrequency("毎月", "MONTHLY", "monthly", timedelta(days=31)),
    UpdateFrequency("四半期", "QUARTERLY", "quarterly", timedelta(days=92)),
    UpdateFrequency("半年", "ANNUAL_2", "every six months", timedelta(days=184)),
    UpdateFrequency("毎年", "ANNUAL", "yearly", timedelta(days=366)),
)

_BY_WORD = {f.word: f for f in UPDATE_FREQUENCIES}


def find_frequency(word: object) -> UpdateFrequency | None:
    """The frequency staff wrote (surrounding spaces ignored); None when unknown."""
    return _BY_WORD.get(word.strip()) if isinstance(word, str) else None


def frequency_words() -> str:
    """The allowed words, for messages: 随時、毎日、…"""
    return "、".join(f.word for f in UPDATE_FREQUENCIES)
