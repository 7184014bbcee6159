"""Counts that say how far the code is from the house's shape (issue 30), re-runnable at any commit.

    python tools/house_counts.py            # a table
    python tools/house_counts.py --json     # the same as JSON
    python tools/house_counts.py --list any # the places behind one count

Only product code counts: libs/common, services/*/leadflow_*, cli; tests and migrations do not.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILTIN_ERRORS = {"Exception", "ValueError", "RuntimeError", "KeyError", "LookupError", "TypeError"}
# Values some status column or field takes somewhere in the services.
STATUS_WORDS = {
    "pending",
    "succeeded",
    "failed",
    "sent",
    "skipped",
    "offered",
    "accepted",
    "declined",
    "waiting",
    "queued",
    "closed",
    "open",
    "reassigned",
    "expired",
    "escalated",
    "delivered",
    "active",
    "paused",
    "disabled",
    "unassigned",
    "assigned",
    "new",
}


def product_files() -> Iterator[Path]:
    roots = [ROOT / "libs", ROOT / "services", ROOT / "cli"]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & {"tests", "migrations", ".venv", "build"}:
                continue
            yield path


def _mentions_any(node: ast.AST | None) -> bool:
    if node is None:
        return False
    return any(
        (isinstance(n, ast.Name) and n.id == "Any") or (isinstance(n, ast.Attribute) and n.attr == "Any")
        for n in ast.walk(node)
    )


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    args = fn.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    return every


def _mentions_status(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Name) and "status" in n.id.lower())
        or (isinstance(n, ast.Attribute) and "status" in n.attr.lower())
        or (isinstance(n, ast.Constant) and n.value == "status")
        or (isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and n.slice.value == "status")
        for n in ast.walk(node)
    )


def _status_literals(tree: ast.AST) -> Iterator[ast.Constant]:
    """String constants naming a status where a status is compared, stored or typed."""

    def words(node: ast.AST) -> Iterator[ast.Constant]:
        for n in ast.walk(node):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in STATUS_WORDS:
                yield n

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and _mentions_status(node):
            yield from words(node)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and "status" in str(key.value):
                    yield from words(value)
        elif isinstance(node, ast.keyword) and node.arg and "status" in node.arg:
            yield from words(node.value)
        elif isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(_mentions_status(t) for t in targets) and node.value is not None:
                yield from words(node.value)
            if isinstance(node, ast.AnnAssign) and _mentions_status(node.target):
                yield from words(node.annotation)


Classes = dict[str, tuple[Path, int, list[str]]]


def _names_app(node: ast.expr) -> bool:
    """`app` or `request.app`: the application's state, not some other object's."""
    return (isinstance(node, ast.Name) and node.id == "app") or (
        isinstance(node, ast.Attribute) and node.attr == "app"
    )


def _classes(trees: Mapping[Path, ast.AST]) -> Classes:
    found: Classes = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
                found[node.name] = (path, node.lineno, bases)
    return found


def _is_error(name: str, classes: Classes, seen: frozenset[str] = frozenset()) -> bool:
    if name in BUILTIN_ERRORS or name in seen:
        return name in BUILTIN_ERRORS
    if name not in classes:
        return False
    return any(_is_error(base, classes, seen | {name}) for base in classes[name][2])


def _in_family(name: str, classes: Classes, seen: frozenset[str] = frozenset()) -> bool:
    if name == "LeadflowError":
        return True
    if name in seen or name not in classes:
        return False
    return any(_in_family(base, classes, seen | {name}) for base in classes[name][2])


def measure() -> dict[str, list[str]]:
    trees = {p: ast.parse(p.read_text(), str(p)) for p in product_files()}
    places: dict[str, list[str]] = {
        k: []
        for k in (
            "any_functions",
            "unannotated_params",
            "app_state_outside_providers",
            "bare_status_strings",
            "error_classes",
            "error_classes_outside_family",
            "modules_over_300",
            "functions_over_60",
        )
    }
    for path, tree in trees.items():
        rel = str(path.relative_to(ROOT))
        lines = len(path.read_text().splitlines())
        if lines > 300:
            places["modules_over_300"].append(f"{rel} ({lines})")
        for fn in _functions(tree):
            where = f"{rel}:{fn.lineno} {fn.name}"
            length = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            if length > 60:
                places["functions_over_60"].append(f"{where} ({length})")
            params = _params(fn)
            if _mentions_any(fn.returns) or any(_mentions_any(a.annotation) for a in params):
                places["any_functions"].append(where)
            for a in params:
                if a.annotation is None and a.arg not in {"self", "cls"}:
                    places["unannotated_params"].append(f"{where}({a.arg})")
        provider = path.name in {"deps.py", "container.py"} or path.parent.name == "deps"
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "state"
                and _names_app(node.value.value)
                and isinstance(node.ctx, ast.Load)
                and not provider
            ):
                places["app_state_outside_providers"].append(f"{rel}:{node.lineno} .state.{node.attr}")
        for const in _status_literals(tree):
            places["bare_status_strings"].append(f"{rel}:{const.lineno} {const.value!r}")
    classes = _classes(trees)
    for name, (path, line, _bases) in sorted(classes.items()):
        if _is_error(name, classes) or _in_family(name, classes):
            where = f"{path.relative_to(ROOT)}:{line} {name}"
            places["error_classes"].append(where)
            if not _in_family(name, classes):
                places["error_classes_outside_family"].append(where)
    places["bare_status_strings"] = sorted(set(places["bare_status_strings"]))
    return places


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--list", metavar="COUNT", help="print the places behind one count (prefix match)")
    options = parser.parse_args()
    places = measure()
    if options.list:
        for key, items in places.items():
            if key.startswith(options.list):
                print("\n".join(items))
        return 0
    counts = {key: len(items) for key, items in places.items()}
    if options.json:
        print(json.dumps(counts, indent=2))
    else:
        for key, count in counts.items():
            print(f"{key:32} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
