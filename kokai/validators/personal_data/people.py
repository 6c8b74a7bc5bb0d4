"""Which columns hold personal data, and whether a table is a table of people.

A column's name says what it may hold (kinds: name, kana, birth, number,
phone, address, email). Phone numbers, addresses and e-mail addresses are
normal open data when they are a facility's, so the column names alone do not
decide; the table does:

- a table is **of people** when it has a birth-date column or a 個人番号 /
  マイナンバー column, or a home address (自宅住所, 現住所, 本籍), or a
  person-name column (氏名, 姓, 名前 whose values look like people's names…)
  that comes before any column naming a facility or place (名称, 施設名,
  避難所名, 事業所名…), and no national standard schema for facilities was
  detected or given;
- in a table of people every such column is flagged; when the table also names
  facilities (施設名 beside 氏名 and 生年月日: 入所者の一覧) only the columns
  that can only be a person's are (names, birth dates, 個人番号, and contacts
  whose name says 自宅, 携帯, 本人, 個人…), not a generic 電話番号 or 住所;
- a table that is not of people is never flagged by its column names.

Columns whose name says they count or aggregate (件数, 交付率, 人口, …別) and
contacts whose name says they are an organisation's (勤務先電話, 事業所住所,
所在地) are never personal columns."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import polars as pl

from kokai.validators.frame import key
from kokai.validators.report import Text

KINDS: dict[str, Text] = {
    "name": Text("個人の氏名", "a person's name"),
    "kana": Text("個人の氏名の読み（フリガナ）", "the reading (furigana) of a person's name"),
    "birth": Text("生年月日", "a date of birth"),
    "number": Text("個人番号（マイナンバー）", "a 個人番号 (My Number)"),
    "phone": Text("個人の電話番号", "a person's phone number"),
    "address": Text("個人の住所", "a person's address"),
    "email": Text("個人のメールアドレス", "a person's e-mail address"),
}

# strength: "strong" = only a person has it; "contact" = a facility may have it too;
# "weak" = a name that may be a facility's (名前, 者名): its values decide
STRONG, CONTACT, WEAK = "strong", "contact", "weak"

_AGGREGATE = re.compile(r"数|率|割合|件|合計|平均|人口|別|交付|カード")
_ORGANISATION = re.compile(
    r"勤務先|会社|事業所|事業者|施設|法人|団体|店舗|事務所|学校|医療機関|病院|所在地|窓口|担当課|部署|庁舎|代表電話"
)
_PERSONAL_CUE = re.compile(r"自宅|携帯|個人|本人|緊急連絡|保護者|私用|現住所|本籍|居所|住民票|mobile|cell")
_HOME = re.compile(r"自宅|現住所|本籍|居所|住民票")
_NUMBER = re.compile(r"個人番号|マイナンバー|mynumber|my_number")
_BIRTH = re.compile(r"(?<!発)生年|誕生日|生まれ|birthday|birthdate|dateofbirth|date_of_birth|^dob$")
_KANA = re.compile(r"カナ|かな|ガナ|がな|仮名|ヨミ|よみ|kana|furigana|yomi")
_NAME_STRONG = re.compile(r"氏名|姓名|フルネーム|fullname|full_name|なまえ")
_NAME_PARTS = {
    "姓", "氏", "苗字", "名字", "ファーストネーム", "ラストネーム", "first_name", "last_name",
    "firstname", "lastname", "surname", "given_name", "givenname", "family_name", "familyname",
}  # fmt: skip
_NAME_WEAK = re.compile(r"^名前$|^名$|^name$|者名$|人名$")
_PHONE = re.compile(r"電話|(?:^|[^a-z])tel(?:$|[^a-z])|携帯|phone|mobile|fax|ファックス|ファクス|^(緊急)?連絡先$")
_ADDRESS = re.compile(r"住所|居所|本籍|address")
_EMAIL = re.compile(r"メール|mail")
# a column that names a facility or place: the table is about those
_FACILITY = re.compile(
    r"名称|施設|場所|避難所|事業所|店舗|法人|団体|会社|機関|学校|病院|公園|poi|共通id"
)
# values that look like a person's name: kanji/kana, at most one space, 2–12 characters
_PERSON_NAME_VALUE = (
    r"^(?:[\p{Han}\p{Hiragana}\p{Katakana}ー々ヶ]{1,6}[ \u3000]?[\p{Han}\p{Hiragana}\p{Katakana}ー々ヶ]{1,6}"
    r"|[A-Z][a-z]+ [A-Z][a-z]+)$"
)
_FACILITY_VALUE = (
    r"(館|所|園|校|院|場|署|局|店|社|寺|宮|堂|会|室|庁|団地|住宅|ビル|棟|丁目|町|村|市|区|県|駅|橋"
    r"|センター|ホール|プラザ|ハウス|クラブ|ルーム|公園|広場|プール|図書|会館|病院|クリニック|薬局)$"
    r"|株式会社|有限会社|合同会社|法人|協会|組合|[0-9０-９]"
)
PERSON_NAME_SHARE = 0.6  # of the sampled values, for a weak name column to count
_SAMPLE = 1000


@dataclass(frozen=True)
class PersonalColumn:
    index: int
    name: str
    kind: str  # a key of KINDS
    strength: str  # STRONG, CONTACT or WEAK

    @property
    def key(self) -> str:
        return key(self.index)


def normalise(name: str) -> str:
    """NFKC, no spaces, lower case, without the suffix reading adds to a repeated name."""
    n = unicodedata.normalize("NFKC", name).replace(" ", "").replace("\u3000", "").lower()
    return re.sub(r"__(?:col)?[0-9]+$", "", n)


def classify(name: str) -> tuple[str, str] | None:
    """(kind, strength) of a column by its name, or None."""
    n = normalise(name)
    if not n or _AGGREGATE.search(n) and not _NAME_STRONG.search(n):
        return None
    if _NUMBER.search(n) and "法人" not in n:
        return "number", STRONG
    if _BIRTH.search(n):
        return "birth", STRONG
    if _KANA.search(n):
        if "名称" in n or _FACILITY.search(n):
            return None
        if _NAME_STRONG.search(n) or "者" in n or "姓" in n:
            return "kana", STRONG
        return "kana", WEAK  # bare フリガナ: a person's when the table has a person's name
    if "名称" in n:
        return None
    if _NAME_STRONG.search(n) or n in _NAME_PARTS:
        return "name", STRONG
    if _NAME_WEAK.search(n):
        if _ORGANISATION.search(n) or re.search(r"事業|設置|開設|運営|管理|発注|受注|契約|業", n):
            return None
        return "name", WEAK
    for kind, pattern in (("phone", _PHONE), ("email", _EMAIL), ("address", _ADDRESS)):
        if pattern.search(n):
            if kind == "phone" and "内線" in n or kind == "email" and re.search(r"url|form|フォーム", n):
                return None
            if _ORGANISATION.search(n):
                return None
            return kind, STRONG if _PERSONAL_CUE.search(n) else CONTACT
    return None


def is_facility_column(name: str) -> bool:
    n = normalise(name)
    return bool(_FACILITY.search(n)) and classify(name) is None


@dataclass
class Verdict:
    """Whether the table is of people, why, and the columns to flag."""

    people: bool
    why: Text | None
    flagged: list[PersonalColumn]


def _why(columns: list[PersonalColumn], mixed: bool) -> Text:
    names = "、".join(f"「{c.name}」" for c in columns[:3])
    names_en = ", ".join(repr(c.name) for c in columns[:3])
    if mixed:
        return Text(
            f"{names}の列があるため。施設の列もあるので、個人にしかない列だけを挙げています",
            f"it has {names_en}; it also names facilities, so only columns only a person has are listed",
        )
    return Text(f"{names}の列があり、施設や場所の名称の列がないため", f"it has {names_en} and no facility or place name")


def relevant_columns(header: list[str]) -> list[int]:
    """The columns `judge` looks at: personal by name, or naming facilities."""
    return [i for i, name in enumerate(header) if classify(name) or is_facility_column(name)]


def judge(
    header: list[str], sample: pl.DataFrame, filled: dict[int, int], standard_schema: bool
) -> Verdict:
    """Decide from the header, the first rows (`sample`, positional) and the
    number of filled cells (over all checked rows) of the `relevant_columns`."""
    candidates: list[PersonalColumn] = []
    facility_at: list[int] = []
    for index, name in enumerate(header):
        if not filled.get(index):
            continue
        found = classify(name)
        if found:
            candidates.append(PersonalColumn(index, name, *found))
        elif is_facility_column(name):
            facility_at.append(index)
    weak_names = [c for c in candidates if c.kind == "name" and c.strength == WEAK]
    confirmed = set(_person_names(sample, weak_names))
    names = [
        c for c in candidates
        if c.kind == "name" and (c.strength == STRONG or c.index in confirmed)
        or c.kind == "kana" and c.strength == STRONG
    ]  # fmt: skip
    decisive = [
        c for c in candidates
        if c.kind in ("birth", "number") or c.kind == "address" and _HOME.search(normalise(c.name))
    ]  # fmt: skip
    first_facility = -1 if standard_schema else min(facility_at, default=len(header))
    leading_names = [c for c in names if c.index < first_facility]
    if not decisive and not leading_names:
        return Verdict(False, None, [])
    mixed = standard_schema or bool(facility_at)
    flagged = []
    for c in candidates:
        if c.kind == "name" and c not in names:
            continue  # 名前 holding facility names
        if c.kind == "kana" and c.strength == WEAK and not names:
            continue  # a bare フリガナ beside no person's name
        if mixed and c.strength == CONTACT:
            continue
        flagged.append(c)
    return Verdict(True, _why(decisive + leading_names or names, mixed), flagged)


def _person_names(sample: pl.DataFrame, columns: list[PersonalColumn]) -> list[int]:
    """The weak name columns whose first values mostly look like people's names."""
    out = []
    for c in columns:
        values = (
            sample.select(pl.col(c.key).fill_null("").str.strip_chars().alias("v"))
            .filter(pl.col("v") != "")
            .head(_SAMPLE)
            .get_column("v")
        )
        if values.is_empty():
            continue
        person = values.str.contains(_PERSON_NAME_VALUE) & ~values.str.contains(_FACILITY_VALUE)
        if person.sum() >= PERSON_NAME_SHARE * values.len():
            out.append(c.index)
    return out
