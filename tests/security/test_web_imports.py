"""kokai/web imports kokai's own modules plainly: a missing or broken kokai module
must fail loudly at import, never be skipped by try/except ImportError."""

from __future__ import annotations

import ast
from pathlib import Path

import kokai.web

WEB = Path(kokai.web.__file__).parent
GUARDS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _catches_import_errors(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        isinstance(n, ast.Name | ast.Attribute) and ast.unparse(n).split(".")[-1] in GUARDS
        for n in names
    )


def _kokai_imports(nodes) -> list[str]:
    found = []
    for node in nodes:
        for child in ast.walk(node):
            if isinstance(child, ast.ImportFrom) and (child.module or "").split(".")[0] == "kokai":
                found.append(child.module)
            elif isinstance(child, ast.Import):
                found += [a.name for a in child.names if a.name.split(".")[0] == "kokai"]
            elif isinstance(child, ast.Call) and ast.unparse(child.func).endswith("import_module"):
                found.append(ast.unparse(child))
    return found


def guarded_kokai_imports(source: str) -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Try) and any(_catches_import_errors(h) for h in node.handlers):
            problems += [f"line {node.lineno}: {name}" for name in _kokai_imports(node.body)]
    return problems


def test_the_checker_finds_a_guarded_import():
    source = "try:\n    from kokai.catalog import dcat\nexcept ImportError:\n    dcat = None\n"
    assert guarded_kokai_imports(source) == ["line 1: kokai.catalog"]
    assert guarded_kokai_imports("try:\n    import yaml\nexcept ImportError:\n    pass\n") == []


def test_no_kokai_import_in_web_is_guarded_by_except_import_error():
    files = sorted(WEB.rglob("*.py"))
    assert files
    problems = {
        str(path.relative_to(WEB)): found
        for path in files
        if (found := guarded_kokai_imports(path.read_text(encoding="utf-8")))
    }
    assert problems == {}
