"""The rules of the personal-data (個人情報) check, declared once.

Every finding is an error (it blocks publishing) unless the dataset's
datapackage.yaml records that the city reviewed it
(`kokai:personal_data_review: {by, date, reason}`); then the same finding is
reported as info and says who reviewed it and when. The `{action}` parameter
carries that difference: what to do (remove, aggregate, or record a review,
with the YAML to paste), or who reviewed it. No finding echoes a personal
value in full: `value` and the parameters hold masked text (`山***`,
`1234-****-****`, `t***@gmail.com`)."""

from __future__ import annotations

from kokai.validators.report import Rule

PERSONAL_DATA_COLUMN = Rule(
    "personal_data_column", "error",
    "「{path}」の列「{field}」は{kind}の列で、この表は個人の一覧と見られます（{why}）。"
    "{filled} 行に値があります（最初は {first_row} 行目）。{action}",
    "{path}: the column {field!r} holds {kind} and the table looks like a list of people "
    "({why}); {filled} rows have a value (the first is row {first_row}). {action}",
)  # fmt: skip
PERSONAL_NUMBER = Rule(
    "personal_number", "error",
    "「{path}」の {row} 行目、列「{field}」の {value} は個人番号（マイナンバー）と見られる"
    "12桁の数字です（{why}）。{action}",
    "{path} row {row}, column {field!r}: {value} looks like a 個人番号 (My Number), "
    "12 digits ({why}). {action}",
)  # fmt: skip
PERSONAL_EMAIL = Rule(
    "personal_email", "error",
    "「{path}」の {row} 行目、列「{field}」のメールアドレス {value} は{kind}（{service}）の"
    "アドレスで、個人のアドレスと見られます。{action}",
    "{path} row {row}, column {field!r}: the address {value} is at a {kind} ({service}), "
    "so it is probably a person's own address. {action}",
)  # fmt: skip
PERSONAL_DATA_REVIEW_INVALID = Rule(
    "personal_data_review_invalid", "error",
    "datapackage.yaml の「{field}」が正しくありません: {problem}。次の形で書いてください"
    "（by は確認した人、date は確認した日、reason は公開してよい理由）: {expected}"
    " 正しく書くまで、個人情報の検出はエラーのままです。",
    "the data package's {field!r} is invalid: {problem}. Write it as (by: who reviewed, "
    "date: when, reason: why it may be published): {expected} Until it is valid, "
    "personal-data findings stay errors.",
)  # fmt: skip
