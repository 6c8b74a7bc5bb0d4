"""The rules of Japanese cell values, declared once (stable codes, severities,
Japanese messages that say how to fix, 機械可読性ルール IDs). The checks that
raise them live beside this module (cells, rows, duplicates); `kokai fix` maps
some of them to repairs.

A parameter whose wording differs by language (the meaning of a flag symbol,
a hint) is a `Text`; `expected`, where a rule has it, is the value to write.

Severities. A rule that comes from the format a standard dataset defines
(postal code as 7 digits, the phone and date notation, flags as `1`/blank) is
declared an error, and is an error where the column belongs to the standard
layout the file follows (a schema detected, given or declared); elsewhere its
findings are warnings (`severity=` on the finding, see `claimed_severity`) and
say 「標準の書き方ではありません」 when the value is right but written another
way. One code per fact: the severity varies, the code does not."""

from __future__ import annotations

from kokai.validators.report import Rule
from kokai.vocab.geo import LAT_MAX, LAT_MIN, LON_MAX, LON_MIN

_JAPAN_JA = f"緯度 {LAT_MIN:g}〜{LAT_MAX:g}、経度 {LON_MIN:g}〜{LON_MAX:g}"
_JAPAN_EN = f"latitude {LAT_MIN:g}–{LAT_MAX:g}, longitude {LON_MIN:g}–{LON_MAX:g}"

LGCODE_LEADING_ZERO = Rule(
    "lgcode_leading_zero_dropped", "error",
    "{field} の「{value}」は {expected} の先頭の 0 が落ちています。"
    "表計算ソフトで数値として扱われたためです。列を文字列にして「{expected}」と書いてください。",
    "{field} '{value}' is {expected} with its leading 0 dropped (read as a number). "
    "Store the column as text and write '{expected}'.",
)  # fmt: skip
LGCODE_CHECK_DIGIT = Rule(
    "lgcode_check_digit", "error",
    "{field} の「{value}」は全国地方公共団体コードの検査数字（6桁目）が合いません。"
    "先頭5桁が {body} なら正しいコードは「{expected}」です。総務省のコード表で確かめて直してください。",
    "{field} '{value}': wrong check digit. With the first five digits {body} the code is "
    "'{expected}'; check it against the MIC code list.",
)  # fmt: skip
LGCODE_FORMAT = Rule(
    "lgcode_format", "error",
    "{field} の「{value}」は全国地方公共団体コードの形（半角数字6桁、例: 131016）ではありません。"
    "検査数字を含む6桁で書いてください。",
    "{field} '{value}' is not a 全国地方公共団体コード (6 half-width digits incl. the check digit).",
)  # fmt: skip
LGCODE_OTHER_BODY = Rule(
    "lgcode_other_body", "warning",
    "{field} の「{value}」は正しい全国地方公共団体コードですが、設定（kokai.toml）の団体コード "
    "{city_code} とは別の団体のコードです。別の団体の施設やデータならこのままで構いません（書き換えないでください）。"
    "報告の最初に表示される設定が自団体のものかを確かめてください。",
    "{field} '{value}' is a valid 全国地方公共団体コード, but of another body than the code "
    "{city_code} in kokai.toml. For another body's facility or data it is right as it is (do not "
    "change it); check that the settings named at the top of the report are your own city's.",
)  # fmt: skip
HOUJIN_CHECK_DIGIT = Rule(
    "houjin_check_digit", "error",
    "{field} の「{value}」は法人番号の検査数字（先頭の1桁）が合いません。残り12桁が {base} なら"
    "「{expected}」です。国税庁法人番号公表サイトで確かめて直してください。",
    "{field} 法人番号 '{value}': wrong check digit (the first digit); with the base {base} it "
    "would be '{expected}'. Check it on the NTA 法人番号 site.",
)  # fmt: skip
HOUJIN_FORMAT = Rule(
    "houjin_format", "error",
    "{field} の「{value}」は法人番号の形（半角数字13桁）ではありません。13桁の数字だけを書いてください。",
    "{field} '{value}' is not a 法人番号 (13 half-width digits).",
)  # fmt: skip
HOUJIN_BRANCH_SUFFIX = Rule(
    "houjin_branch_suffix", "error",
    "{field} の「{value}」に枝番「{suffix}」が付いています。表の法人番号の列には13桁の番号"
    "「{expected}」だけを書き、事業所の区別は別の列にしてください。",
    "{field} '{value}' carries a branch suffix '{suffix}'; write only the 13-digit number "
    "'{expected}' and put the branch in its own column.",
    machine_readability="L1-07",
)  # fmt: skip
COORDINATE_NOT_NUMBER = Rule(
    "coordinate_not_number", "error",
    "{field} の「{value}」は数値ではありません。緯度・経度は半角の10進数の度（例: 35.681236）で書いてください。",
    "{field} '{value}' is not a number; write decimal degrees (e.g. 35.681236).",
    machine_readability="L2-01",
)  # fmt: skip
COORDINATES_SWAPPED = Rule(
    "coordinates_swapped", "error",
    "緯度「{lat}」と経度「{lon}」が入れ替わっています（入れ替えると日本国内の地点になります）。"
    "緯度に「{lon}」、経度に「{lat}」を書いてください。",
    "Latitude '{lat}' and longitude '{lon}' are swapped (swapped they fall inside Japan): "
    "write latitude {lon} and longitude {lat}.",
)  # fmt: skip
COORDINATE_OUTSIDE_JAPAN = Rule(
    "coordinate_outside_japan", "error",
    "{field} の「{value}」は日本の範囲（" + _JAPAN_JA + "）の外です。"
    "度の10進数（世界測地系）で書かれているか、桁や符号の誤りがないか確かめてください。",
    "{field} '{value}' is outside Japan (" + _JAPAN_EN + "); check the "
    "decimal degrees for a wrong digit, sign or projected coordinates.",
)  # fmt: skip
COORDINATE_OUTSIDE_CITY = Rule(
    "coordinate_outside_city", "warning",
    "緯度「{lat}」・経度「{lon}」は市の範囲（経度 {min_lon}〜{max_lon}、緯度 {min_lat}〜{max_lat}）"
    "の外です。市外の施設でなければ、座標を地図で確かめて直してください。",
    "Latitude {lat}, longitude {lon} is outside the city's bounding box; unless the place is "
    "outside the city, check the coordinates on a map.",
)  # fmt: skip
WAREKI_DATE = Rule(
    "wareki_date", "error",
    "{field} の「{value}」は和暦です。西暦の ISO 8601 形式で「{expected}」と書いてください。",
    "{field} '{value}' is a Japanese-era date; write the ISO 8601 date '{expected}'.",
    machine_readability="L3-05",
)  # fmt: skip
NON_ISO_DATE = Rule(
    "non_iso_date", "error",
    "{field} の「{value}」は日付の標準の書き方（ISO 8601 形式）ではありません。「{expected}」と書いてください。",
    "{field} '{value}' is a date not written the standard way (ISO 8601); write '{expected}'.",
    machine_readability="L3-05",
)  # fmt: skip
INVALID_DATE = Rule(
    "invalid_date", "error",
    "{field} の「{value}」は日付として読めません（存在しない日付か、形が不明です）。"
    "YYYY-MM-DD（例: 2024-04-01）で正しい日付を書いてください。",
    "{field} '{value}' is not a date kokai can read; write a real date as YYYY-MM-DD.",
    machine_readability="L3-05",
)  # fmt: skip
FULLWIDTH_CHARACTERS = Rule(
    "fullwidth_characters", "error",
    "{field} の「{value}」に全角の数字・英字・記号があります。数値やコードの列は半角で"
    "「{expected}」と書いてください。",
    "{field} '{value}' contains full-width digits, letters or symbols; numbers and codes must "
    "be half-width: '{expected}'.",
    machine_readability="L2-01",
)  # fmt: skip
FULLWIDTH_DIGITS_IN_TEXT = Rule(
    "fullwidth_digits_in_text", "warning",
    "{field} の「{value}」に全角数字があります。住所や町名の数字は半角にして「{expected}」と書いてください。",
    "{field} '{value}' has full-width digits; write half-width digits: '{expected}'.",
)  # fmt: skip
NUMBER_WITH_UNIT = Rule(
    "number_with_unit", "error",
    "{field} の「{value}」は数値に単位「{unit}」が付いています。数値の列には数値だけを"
    "「{expected}」と書き、単位は項目名かデータの説明に書いてください。",
    "{field} '{value}' carries the unit '{unit}'; write only the number '{expected}' and put "
    "the unit in the column name or the description.",
    machine_readability="L2-01",
)  # fmt: skip
THOUSANDS_SEPARATOR = Rule(
    "thousands_separator", "error",
    "{field} の「{value}」に桁区切りのカンマがあります。数値は区切りなしで「{expected}」と書いてください。",
    "{field} '{value}' has thousands separators; write '{expected}'.",
    machine_readability="L2-01",
)  # fmt: skip
FLAG_VALUE = Rule(
    "flag_value", "error",
    "{field} の「{value}」はフラグの標準の書き方ではありません。該当する場合は「1」、しない場合は空欄です。"
    "「{value}」は{meaning}なので、{instruction}。",
    "{field} '{value}' is not a flag written the standard way: use '1' for yes and an empty cell for no; "
    "'{value}' means {meaning}, so {instruction}.",
    machine_readability="L2-04",
)  # fmt: skip
FLAG_AMBIGUOUS = Rule(
    "flag_ambiguous", "error",
    "{field} の「{value}」は該当する（1）かしない（空欄）か決められません。担当者が判断して"
    "「1」か空欄にしてください。条件付きなどの説明は備考の列に書いてください。",
    "{field} '{value}' is neither yes nor no: a person must decide '1' or empty, and put "
    "conditions in the 備考 column.",
    machine_readability="L2-04",
)  # fmt: skip
MODEL_DEPENDENT_CHARACTER = Rule(
    "model_dependent_character", "warning",
    "{field} の「{value}」に機種依存文字「{chars}」があります。環境によって文字化けするので、"
    "{replacements} のように書き換えてください。",
    "{field} '{value}' contains platform-dependent characters '{chars}'; replace them "
    "({replacements}).",
    machine_readability="L1-08",
)  # fmt: skip
IDEOGRAPHIC_SPACE = Rule(
    "ideographic_space_in_name", "warning",
    "{field} の「{value}」に全角スペースがあります。見た目を整えるための空白は取り除くか、"
    "区切りが必要なら半角スペースにしてください（例:「{expected}」）。",
    "{field} '{value}' contains an ideographic space (U+3000); remove it or use a half-width "
    "space: '{expected}'.",
    machine_readability="L1-06",
)  # fmt: skip
DUPLICATE_RECORD = Rule(
    "duplicate_record", "error",
    "{row} 行目は {first_row} 行目とすべての列が同じです。重複している行を削除してください。",
    "Row {row} repeats row {first_row} exactly; delete the duplicate.",
)  # fmt: skip
DUPLICATE_ID = Rule(
    "duplicate_id", "error",
    "{field} の「{value}」は {first_row} 行目と重複しています。ID は行ごとに一意の値にしてください。",
    "{field} '{value}' repeats the ID of row {first_row}; IDs must be unique.",
)  # fmt: skip
# {problem}: 「郵便番号の標準の書き方ではありません」 for a postal code written
# another way (650-0025), 「郵便番号の形ではありません」 for what is none at all.
POSTAL_CODE_FORMAT = Rule(
    "postal_code_format", "error",
    "{field} の「{value}」は{problem}。{hint}",
    "{field} '{value}' {problem}. {hint}",
)  # fmt: skip
PHONE_FORMAT = Rule(
    "phone_format", "error",
    "{field} の「{value}」は{problem}。{hint}",
    "{field} '{value}' {problem}. {hint}",
)  # fmt: skip
PHONE_SEVERAL = Rule(
    "phone_several", "error",
    "{field} の「{value}」には複数の電話番号が1つのセルに入っています。1つのセルには1つの"
    "番号だけを書き、2つめの番号（夜間など）は別の列に書いてください。",
    "{field} '{value}' holds several phone numbers in one cell; one number per cell, the "
    "others in a column of their own.",
    machine_readability="L1-07",
)  # fmt: skip
PHONE_WITH_NOTE = Rule(
    "phone_with_note", "warning",
    "{field} の「{value}」は電話番号「{expected}」に注記「{note}」が付いています。この列には番号だけを"
    "「{expected}」と書き、「{note}」は{where}に移してください。",
    "{field} '{value}' is the number '{expected}' with the note '{note}'; write only "
    "'{expected}' here and move '{note}' to {where}.",
    machine_readability="L1-07",
)  # fmt: skip
URL_FORMAT = Rule(
    "url_format", "error",
    "{field} の「{value}」は URL の形ではありません。http:// か https:// で始まり、空白や全角文字を"
    "含まない URL を書いてください{hint}。",
    "{field} '{value}' is not a URL: write an http:// or https:// address without spaces or "
    "full-width characters{hint}.",
)  # fmt: skip
EMAIL_FORMAT = Rule(
    "email_format", "error",
    "{field} の「{value}」はメールアドレスの形ではありません。半角で「名前@ドメイン」の形"
    "（1つのセルに1つ）で書いてください{hint}。",
    "{field} '{value}' is not an e-mail address: one half-width address per cell{hint}.",
)  # fmt: skip
POPULATION_TOTAL_MISMATCH = Rule(
    "population_total_mismatch", "error",
    "{total_field}（{total}）が {male_field}（{male}）と {female_field}（{female}）の合計"
    "（{expected}）と合いません。元の集計表と照らして直してください。",
    "{total_field} ({total}) is not {male_field} ({male}) + {female_field} ({female}) = "
    "{expected}; check the source tables.",
)  # fmt: skip
POPULATION_BANDS_MISMATCH = Rule(
    "population_bands_mismatch", "error",
    "年齢別の{sex}の合計（{bands}）が {field}（{value}）と合いません（差 {difference}）。"
    "年齢区分の列か {field} を元の集計表と照らして直してください。",
    "The {sex} age bands add up to {bands}, not {field} ({value}) (difference "
    "{difference}); check against the source tables.",
)  # fmt: skip
TEXT_IN_NUMBER = Rule(
    "text_in_number", "error",
    "{field} の「{value}」は数値の列に文章や記号が書かれています。この列には数値（半角）だけを書き、"
    "内訳や条件などの説明は備考の列か別の列に書いてください。",
    "{field} '{value}' puts text in a number column; write only a half-width number and move "
    "the explanation to 備考 or a column of its own.",
    machine_readability="L2-01",
)  # fmt: skip
KANA_FORMAT = Rule(
    "kana_format", "warning",
    "{field} の「{value}」にひらがなや半角カナがあります。読み仮名は全角カタカナで「{expected}」と書いてください。",
    "{field} '{value}' has hiragana or half-width kana; write full-width katakana: '{expected}'.",
)  # fmt: skip
# An error in number and code columns (the value no longer matches), a
# warning in text columns (名称, 備考: the spaces only lay the text out).
SURROUNDING_SPACE = Rule(
    "surrounding_space", "error",
    "{field} の「{value}」の前後に{space}があります。空白を取り除いて「{expected}」と書いてください。",
    "{field} '{value}' has {space} around it; write '{expected}'.",
    machine_readability="L1-06",
)  # fmt: skip
NEGATIVE_COUNT = Rule(
    "negative_count", "error",
    "{field} の「{value}」は負の数です。人数や件数は 0 以上の整数で書いてください。",
    "{field} '{value}' is negative; counts must be 0 or more.",
)  # fmt: skip
SEVERAL_VALUES_IN_CELL = Rule(
    "several_values_in_cell", "warning",
    "{field} の「{value}」には {count} 個の値（{parts}）が「{separator}」で区切って1つのセルに入っています"
    "（この列の {rows} 行が同じ書き方です）。1つのセルには1つの値だけを書いてください。選択肢ごとに列を分けて"
    "該当する列に「1」を書く（例:「{field}_{first}」列）か、値ごとに行を分けてください。",
    "{field} '{value}' packs {count} values ({parts}) separated by '{separator}' into one cell "
    "({rows} rows of this column do the same); one value per cell: one column per choice "
    "with '1' (e.g. '{field}_{first}'), or one row per value.",
    machine_readability="L1-07",
)  # fmt: skip
EMPTY_COLUMN = Rule(
    "empty_column", "warning",
    "{field} 列はすべての行が空欄です。{hint}",
    "column {field} is empty in every row. {hint}",
)  # fmt: skip
