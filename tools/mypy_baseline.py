"""mypy's baseline: the error codes each module still has, written into pyproject.toml as one
override per module, so `make lint` passes today and every module not listed is held to the whole
check. Shrink it by fixing a module and running this again; it never needs to grow for new code.

    python tools/mypy_baseline.py          # rewrite the baseline from what mypy finds now
    python tools/mypy_baseline.py --check  # fail when the baseline is out of date
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
BEGIN, END = "# mypy baseline: begin (tools/mypy_baseline.py)", "# mypy baseline: end"
TARGETS = ["libs/common/leadflow_common", "services", "cli/leadflow_cli", "tools"]
ERROR = re.compile(r"^(?P<path>[^:]+\.py):\d+: error: .*\[(?P<code>[a-z-]+)\]$")


def module_of(path: str) -> str:
    parts = Path(path).with_suffix("").parts
    for i, part in enumerate(parts):
        if part.startswith("leadflow_") or part == "tools":
            return ".".join(p for p in parts[i:] if p != "__init__")
    return ".".join(parts)


def without_baseline(text: str) -> str:
    return re.sub(rf"\n{re.escape(BEGIN)}.*?{re.escape(END)}\n", "\n", text, flags=re.S)


def run_mypy() -> dict[str, set[str]]:
    original = PYPROJECT.read_text()
    PYPROJECT.write_text(without_baseline(original))
    try:
        mypy = Path(sys.executable).parent / "mypy"
        targets = [t for t in TARGETS if (ROOT / t).exists()]
        done = subprocess.run([str(mypy), *targets], cwd=ROOT, capture_output=True, text=True)
    finally:
        PYPROJECT.write_text(original)
    codes: dict[str, set[str]] = defaultdict(set)
    for line in done.stdout.splitlines():
        if match := ERROR.match(line):
            codes[module_of(match["path"])].add(match["code"])
    return codes


def render(codes: dict[str, set[str]]) -> str:
    lines = [BEGIN]
    for module in sorted(codes):
        lines += [
            "[[tool.mypy.overrides]]",
            f'module = "{module}"',
            "disable_error_code = [" + ", ".join(f'"{c}"' for c in sorted(codes[module])) + "]",
        ]
    return "\n".join([*lines, END])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args()
    baseline = render(run_mypy())
    text = without_baseline(PYPROJECT.read_text()).rstrip("\n") + "\n\n" + baseline + "\n"
    if options.check:
        same = text == PYPROJECT.read_text()
        print("mypy baseline: up to date" if same else "mypy baseline: out of date")
        return 0 if same else 1
    PYPROJECT.write_text(text)
    print(f"mypy baseline: {baseline.count('[[tool.mypy.overrides]]')} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
