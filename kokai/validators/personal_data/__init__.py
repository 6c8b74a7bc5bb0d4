"""The personal-data (個人情報) check: what in a table must not be published.

- `people`: which columns hold personal data (氏名, 生年月日, 個人番号, 電話番号,
  住所…) and whether the table is a table of people (a facility's own phone
  number and address are normal open data and never flagged);
- `cells`: values that are personal anywhere: 12-digit numbers that pass the
  個人番号 check digit, addresses at personal mail services;
- `review`: the city's record in datapackage.yaml (`kokai:personal_data_review`)
  that turns the findings of a reviewed dataset from errors into info;
- `rules`: the Rule declarations; `check`: `check_personal_data`, which runs them;
- `masking`: `redact` masks personal text in the table's other findings too (a report
  goes to CI logs; it must not publish what this check stops).

`validate_table` runs it on every table (so `kokai validate`, the city's CI and
the publish gate all see it); `validate_package` reads the review. Findings
never hold a personal value in full (masked: `山***`, `1234-****-****`,
`t***@gmail.com`). Everything is a polars expression over the text columns;
Python touches only the cells a report keeps.
"""

from kokai.validators.personal_data.check import check_personal_data
from kokai.validators.personal_data.masking import redact
from kokai.validators.personal_data.review import REVIEW_KEY, Review, read_review

__all__ = ["REVIEW_KEY", "Review", "check_personal_data", "read_review", "redact"]
