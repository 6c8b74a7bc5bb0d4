"""Auth functions of the metrics actions.

The report: anyone (download counts are public in CKAN's tracking_summary;
the report itself limits per-dataset figures to the datasets the caller may
read). Importing access logs: sysadmins only (the site, as the CLI runs it).
"""

from __future__ import annotations

from kokai.catalog.auth import allow_anyone, auth_function, is_sysadmin, refuse
from kokai.catalog.context import Context

allow_anyone("metrics_report")


@auth_function
def access_log_import(context: Context, data_dict: dict) -> None:
    if not is_sysadmin(context):
        raise refuse(context, "import access logs")
