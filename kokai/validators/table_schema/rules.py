"""The Table Schema rules (frictionless' codes and meaning) and the words their
messages are made of: a type's name and how to write it, a constraint's
problem, a column's level (必須/推奨/任意)."""

from __future__ import annotations

from typing import Any

from kokai.validators.report import Rule, Text

TYPE_ERROR = Rule(
    "type-error", "error",
    "「{field}」の値「{value}」は{type}として読めません。{fix}",
    "{field}: {value!r} is not a valid {type}. {fix}",
    machine_readability="L2-01", source="frictionless",
)  # fmt: skip
CONSTRAINT_ERROR = Rule(
    "constraint-error", "error",
    "「{field}」: {problem}",
    "{field}: {problem}",
    source="frictionless",
)
UNIQUE_ERROR = Rule(
    "unique-error", "error",
    "「{field}」の値「{value}」が {first} 行目と重複しています。この列の値は一意にしてください。",
    "{field}: {value!r} repeats the value on line {first}; values in this column must be unique.",
    source="frictionless",
)
PRIMARY_KEY_ERROR = Rule(
    "primary-key", "error",
    "主キー（{key}）の値 {value} が{problem}。主キーの組み合わせは空でなく一意にしてください。",
    "primary key ({key}) {value}: {problem}. Primary key values must be filled and unique.",
    source="frictionless",
)
MISSING_LABEL = Rule(
    "missing-label", "error",
    "{level}の列「{field}」がありません。{hint}",
    "the {level} column {field!r} is missing. {hint}",
    machine_readability="L2-02", source="frictionless",
)
EXTRA_LABEL = Rule(
    "extra-label", "warning",
    "列「{field}」はスキーマ「{schema}」にありません。{hint}",
    "column {field!r} is not in the schema {schema!r}. {hint}",
    source="frictionless",
)
LABEL_NOT_EXACT = Rule(
    "label_not_exact", "warning",
    "列名「{value}」はスキーマの「{field}」と全角・半角や空白、先頭の番号（「1.」など）が違います。"
    "「{field}」と書いてください。",
    "column name {value!r} differs from the schema's {field!r} in width, spaces or a leading "
    "number (1.); write {field!r}.",
)
LABEL_ORDER = Rule(
    "label_order", "warning",
    "列の順序がスキーマと違います（「{field}」が「{before}」より前にあります）。"
    "標準の順序は {expected} です。kokai は列名で照合するので検証は続けます。{note}",
    "columns are in a different order than the schema ({field!r} comes before {before!r}); "
    "the standard order is {expected}. kokai matches columns by name.{note}",
)
# a column order that no confirmed source states is never more than a warning
UNCONFIRMED_ORDER_NOTE = (
    "このスキーマの列順は{label}（参考資料で確認されていない）なので、警告にとどめます。",
    " The schema's column order is {label} (not confirmed by the sources), so this stays a warning.",
)
PATTERN_EXPECTATION = Rule(
    "pattern_expectation", "warning",
    "「{field}」の値「{value}」は推奨される形（{pattern}）ではありません。{hint}",
    "{field}: {value!r} does not have the recommended form ({pattern}). {hint}",
)
SCHEMA_INVALID = Rule(
    "schema_invalid", "error",
    "スキーマを使えません（{reason}）。Table Schema の書き方を確認してください。",
    "the schema cannot be used ({reason}). Check the Table Schema descriptor.",
    fatal=True,
)

# type -> (name, how to write it)
_TYPES: dict[str, tuple[Text, Text]] = {
    "string": (Text("文字列", "string"), Text("", "")),
    "integer": (Text("整数", "integer"),
                Text("半角数字の整数で書いてください（単位・「,」・小数点なし、例: 120）。",
                     "Write a whole number with half-width digits, no units or commas (e.g. 120).")),
    "number": (Text("数値", "number"),
               Text("半角数字で書いてください（単位や「,」は付けない、例: 34.6832）。",
                    "Write a number with half-width digits, no units or commas (e.g. 34.6832).")),
    "boolean": (Text("真偽値", "boolean"),
                Text("{values} のどれかで書いてください。", "Use one of {values}.")),
    "date": (Text("日付", "date"),
             Text("西暦の YYYY-MM-DD 形式で書いてください（例: 2024-04-01）。",
                  "Write an ISO date YYYY-MM-DD (e.g. 2024-04-01).")),
    "time": (Text("時刻", "time"),
             Text("hh:mm:ss 形式で書いてください（例: 09:00:00）。", "Write hh:mm:ss (e.g. 09:00:00).")),
    "datetime": (Text("日時", "datetime"),
                 Text("YYYY-MM-DDThh:mm:ss 形式で書いてください。", "Write YYYY-MM-DDThh:mm:ss.")),
    "year": (Text("年", "year"),
             Text("西暦4桁で書いてください（例: 2024）。", "Write a 4-digit year (e.g. 2024).")),
    "yearmonth": (Text("年月", "year-month"),
                  Text("YYYY-MM 形式で書いてください（例: 2024-04）。", "Write YYYY-MM (e.g. 2024-04).")),
    "geopoint": (Text("座標", "geopoint"),
                 Text("「経度, 緯度」の形で書いてください（例: 139.7, 35.6）。",
                      "Write 'lon, lat' (e.g. 139.7, 35.6).")),
}  # fmt: skip

# kokai:level -> (name, severity of a missing column)
LEVELS: dict[str | None, tuple[Text, str]] = {
    "required": (Text("必須", "required"), "error"),
    "recommended": (Text("推奨", "recommended"), "warning"),
    "optional": (Text("任意", "optional"), "info"),
}
SCHEMA_LEVEL = (Text("スキーマ", "schema"), "error")


def type_params(field: Any) -> dict[str, Any]:
    """The type-error parameters of a field: its type's name and how to write it."""
    name, fix = _TYPES.get(field.type, (Text(field.type, field.type), Text("", "")))
    if field.format and field.format != "default":
        name = Text(f"{name.ja}（{field.format}）", f"{name.en} ({field.format})")
        if field.type in ("date", "time", "datetime"):
            fix = Text(f"形式 {field.format} で書いてください。", f"Use the format {field.format}.")
    if field.type == "boolean":
        values = "、".join(list(field.true_values) + list(field.false_values))
        fix = Text(fix.ja.format(values=values), fix.en.format(values=values))
    return {"type": name, "fix": fix}


PROBLEM_KEYS = frozenset({
    "required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "pattern", "enum",
})  # fmt: skip


def problem(key: str, value: Any) -> dict[str, Any]:
    """The constraint-error parameters: what is wrong, the constraint and its value."""
    if key not in PROBLEM_KEYS:
        return {"problem": Text(key, key), "constraint": key}
    shown = "、".join(map(str, value)) if isinstance(value, list) else str(value)
    ja = {
        "required": "必須の値が空です。値を入力してください。",
        "minimum": f"値が最小値 {shown} より小さいです。{shown} 以上の値にしてください。",
        "maximum": f"値が最大値 {shown} より大きいです。{shown} 以下の値にしてください。",
        "exclusiveMinimum": f"値は {shown} より大きくなければなりません。",
        "exclusiveMaximum": f"値は {shown} より小さくなければなりません。",
        "minLength": f"文字数が {shown} 文字より少ないです。",
        "maxLength": f"文字数が {shown} 文字を超えています。",
        "pattern": f"値が決められた形（正規表現 {shown}）に合いません。全角文字や余分な空白がないか確認してください。",
        "enum": f"値は {shown} のどれかにしてください（空欄はそのまま）。",
    }[key]
    en = {
        "required": "a required value is empty; fill it in.",
        "minimum": f"the value is below the minimum {shown}.",
        "maximum": f"the value is above the maximum {shown}.",
        "exclusiveMinimum": f"the value must be greater than {shown}.",
        "exclusiveMaximum": f"the value must be less than {shown}.",
        "minLength": f"shorter than {shown} characters.",
        "maxLength": f"longer than {shown} characters.",
        "pattern": f"the value does not match the pattern {shown}; check for full-width characters or spaces.",
        "enum": f"the value must be one of {shown} (or blank).",
    }[key]
    out: dict[str, Any] = {"problem": Text(ja, en), "constraint": key}
    if key != "required":
        out["limit"] = value
    return out
