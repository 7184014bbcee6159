"""Modules under 300 lines, functions under 60 (the house's sizes), over the product code and the
bench: prints each one over and fails. Tests and migrations are not held to it.

    python tools/check_sizes.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
ROOTS = ["libs", "services", "cli", "tools"]


def checked_files() -> list[Path]:
    files = []
    for root in ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            if not {"tests", "migrations", ".venv", "build"} & set(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def oversized(path: Path) -> list[str]:
    text = path.read_text()
    rel = path.relative_to(ROOT)
    found = []
    if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
        found.append(f"{rel}: {lines} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{rel}:{node.lineno}: {node.name} is {length} lines (max {MAX_FUNCTION_LINES})")
    return found


def main() -> int:
    found = [line for path in checked_files() for line in oversized(path)]
    print("\n".join(found) if found else f"sizes: {len(checked_files())} modules within the limits")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
