"""Validating tables does not load the GTFS code, pandas or geopandas: they
cost about half a second of start-up on every `kokai validate` and only a
data package with a feed needs them."""

from __future__ import annotations

import subprocess
import sys


def test_kokai_validate_on_a_table_loads_no_gtfs_pandas_or_geopandas(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("名称,電話番号\n潮見市役所,053-430-0001\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from kokai.cli import main\n"
        f"main(['validate', {str(table)!r}])\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'geopandas')"
        " or m.startswith('kokai.gtfs')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED []"


def test_a_table_checked_against_a_bundled_schema_loads_no_frictionless(tmp_path):
    """frictionless takes about 0.7 s to import; a bundled schema needs no
    profile check and its types are all read by polars."""
    table = tmp_path / "t.csv"
    table.write_text("名称,緯度,経度\n潮見市役所,34.710299,137.951162\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from kokai.cli import main\n"
        "try:\n"
        f"    main(['validate', {str(table)!r}, '--schema', 'evacuation-sites'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('LOADED', 'frictionless' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED False"
