"""kokai's own actions for the DX office's figures: the metrics report and
the import of web-server access logs (kokai.catalog.metrics, kokai.catalog.access_log)."""

from __future__ import annotations

from typing import Any

from kokai.catalog.access_log import ParsedLog, import_parsed
from kokai.catalog.actions import action
from kokai.catalog.auth import check_access
from kokai.catalog.context import Context
from kokai.catalog.errors import ValidationError
from kokai.catalog.metrics import PeriodError, build_report, default_period, parse_bound
from kokai.catalog.validation import asbool


def _bound(data_dict: dict, key: str, end: bool):
    value = data_dict.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValidationError({key: ["Must be a string (YYYY-MM or YYYY-MM-DD)"]})
    try:
        return parse_bound(value, end)
    except PeriodError as exc:
        raise ValidationError({key: [str(exc)]}) from None


@action(side_effect_free=True)
def metrics_report(context: Context, data_dict: dict) -> dict[str, Any]:
    """The KPIs of the city's DX plan for a period: from, to (YYYY-MM or
    YYYY-MM-DD, both included; default: the last 12 months). Datasets published
    per month (and cumulative), downloads by month and dataset, unique
    downloaders (daily unique visitors summed per month), GTFS feed fetches and
    checks by consumer family, 二次利用件数 (approved reuses), and whether
    generated demo data is included. Per-dataset figures cover the datasets the
    caller may read."""
    check_access("metrics_report", context, data_dict)
    start, end = default_period()
    start = _bound(data_dict, "from", end=False) or start
    end = _bound(data_dict, "to", end=True) or end
    try:
        return build_report(context, start, end)
    except PeriodError as exc:
        raise ValidationError({"to": [str(exc)]}) from None


@action()
def access_log_import(context: Context, data_dict: dict) -> dict[str, Any]:
    """Add the downloads of a web-server access log (`kokai metrics import-log`):
    log (a log read by kokai.catalog.access_log.parse_log: in-process only),
    demo (generated demo data). An identical file is never counted twice;
    overlapping logs count each visitor once per URL per day. Sysadmins only."""
    check_access("access_log_import", context, data_dict)
    log = data_dict.get("log")
    if not isinstance(log, ParsedLog):
        raise ValidationError(
            {"log": ["Must be an access log read by kokai.catalog.access_log.parse_log "
                     "(use `kokai metrics import-log`)"]}
        )  # fmt: skip
    return import_parsed(context, log, demo=asbool(data_dict.get("demo")))
