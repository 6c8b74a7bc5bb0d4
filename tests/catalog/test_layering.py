"""The catalog is a library: no web framework, no web or CLI code (DESIGN.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kokai.catalog

CATALOG = Path(kokai.catalog.__file__).parent
WEB_IMPORT = re.compile(r"^\s*(from|import)\s+(fastapi|starlette|kokai\.web|kokai\.cli)\b", re.M)


def test_catalog_sources_import_no_web_code():
    for path in sorted(CATALOG.rglob("*.py")):
        assert not WEB_IMPORT.search(path.read_text(encoding="utf-8")), path


def test_running_actions_loads_no_web_framework(tmp_path):
    code = (
        "import sys\n"
        "from kokai.catalog.actions import action_names, get_action\n"
        "from kokai.catalog.auth import auth_function_names\n"
        "from kokai.catalog.client import LocalCatalog\n"
        "from kokai.config import Config\n"
        "from pathlib import Path\n"
        f"catalog = LocalCatalog(Config(root=Path({str(tmp_path)!r})))\n"
        "catalog.action.status_show(); catalog.action.package_search(q='x')\n"
        "[get_action(n) for n in action_names()]; auth_function_names()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette')))\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
