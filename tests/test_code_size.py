"""The project's size rules, enforced: no module over 400 lines and no function over 60 (its
decorators included) in bot/, jobs/ and storage/. Migrations are exempt: they are written once
and never changed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("bot", "jobs", "storage")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules(package: str) -> list[Path]:
    migrations = ROOT / "storage" / "migrations" / "versions"
    return [p for p in sorted((ROOT / package).rglob("*.py")) if migrations not in p.parents]


def oversized(path: Path, root: Path = ROOT) -> list[str]:
    """What in the module breaks a size rule, one line each."""
    source = path.read_text(encoding="utf-8")
    where = path.relative_to(root)
    found = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{where}: {lines} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION_LINES:
                found.append(
                    f"{where}:{node.lineno} {node.name}: {length} lines"
                    f" (at most {MAX_FUNCTION_LINES})"
                )
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_or_function_is_too_long(package: str) -> None:
    found = [line for path in modules(package) for line in oversized(path)]
    assert found == []


def test_a_long_function_and_a_long_module_are_found(tmp_path: Path) -> None:
    body = "".join(f"    x{n} = {n}\n" for n in range(MAX_FUNCTION_LINES - 2))
    fits = tmp_path / "fits.py"
    fits.write_text(f"@decorated\ndef short() -> None:\n{body}", encoding="utf-8")
    assert oversized(fits, tmp_path) == []
    long = tmp_path / "long.py"
    long.write_text(f"@decorated\n@twice\ndef long() -> None:\n{body}" + "\n" * 340)
    assert oversized(long, tmp_path) == [
        "long.py: 401 lines (at most 400)",
        "long.py:3 long: 61 lines (at most 60)",
    ]
