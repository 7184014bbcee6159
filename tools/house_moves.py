"""The per-service folders (issue 30): moves each service's modules into `api/`, `app/`, `domain/` and
`store/`, and rewrites every reference to an old module path across the tree.

Idempotent: run it again after merging a branch written against the old layout, and it moves the
files that branch added at old paths and rewrites their imports; files already in place are left
alone.

    python tools/house_moves.py                 # move what is left at old paths, rewrite references
    python tools/house_moves.py --service capture
    python tools/house_moves.py --rewrite-only  # only the references (files already moved)

What it rewrites, in every tracked text file (code, tests, Makefile, Dockerfiles, pyproject, docs):
- `from leadflow_x import old, other` → one `from leadflow_x.<layer> import new as old` per moved name
- `from leadflow_x.old import name` and `import leadflow_x.old` → the new module
- dotted mentions in strings and text (`leadflow_x.old`) and paths (`leadflow_x/old.py`)
- the migrations' directory in `main.py` and in each pyproject's package data
Then ruff sorts the imports of the Python files it changed.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One sentence per folder: each folder's __init__.py says it (docs/architecture.md says the same).
FOLDERS = {
    "api": "HTTP: thin routes that read the request, call one use case of `app` and shape the answer.",
    "app": "Use cases and consumers: each state change in one unit of work; reads through store queries.",
    "domain": "Pure rules and typed objects: no I/O, no framework, unit-tested on their own.",
    "store": "PostgreSQL: tables, the repository and queries returning typed objects, and migrations.",
}

# old module (or directory) → new dotted path, relative to the service's package.
MOVES: dict[str, dict[str, str]] = tomllib.loads((ROOT / "tools" / "house_moves.toml").read_text())
TEXT_SUFFIXES = {".py", ".toml", ".md", ".cfg", ".ini", ".yml", ".yaml", ".txt", ".mako", ".json", ".html"}
TEXT_NAMES = {"Makefile", "Dockerfile"}


def package(service: str) -> str:
    return f"leadflow_{service}"


def package_dir(service: str) -> Path:
    return ROOT / "services" / service / package(service)


def git(*args: str) -> None:
    subprocess.run(["git", *args], cwd=ROOT, check=True)


# -- moving files ---------------------------------------------------------------------------------


def ensure_folders(service: str) -> None:
    for folder, sentence in FOLDERS.items():
        init = package_dir(service) / folder / "__init__.py"
        if not init.exists():
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text(f'"""{sentence}"""\n')
            git("add", str(init))


def move_service(service: str) -> list[str]:
    """Moves what still sits at an old path; returns what moved."""
    ensure_folders(service)
    base = package_dir(service)
    moved = []
    for old, new in MOVES[service].items():
        new_rel = new.replace(".", "/")
        old_rel = old.replace(".", "/")
        old_dir, new_dir = base / old_rel, base / new_rel
        old_file, new_file = base / f"{old_rel}.py", base / f"{new_rel}.py"
        if old_dir.is_dir() and old not in FOLDERS:
            for path in sorted(p for p in old_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                target = new_dir / path.relative_to(old_dir)
                if target.exists():
                    print(f"both exist, left alone: {path.relative_to(ROOT)} and {target.relative_to(ROOT)}")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                git("mv", str(path), str(target))
                moved.append(str(path.relative_to(ROOT)))
        elif old_file.is_file():
            if new_file.exists():
                print(f"both exist, left alone: {old_file.relative_to(ROOT)}, {new_file.relative_to(ROOT)}")
                continue
            new_file.parent.mkdir(parents=True, exist_ok=True)
            git("mv", str(old_file), str(new_file))
            moved.append(str(old_file.relative_to(ROOT)))
    return moved


# -- rewriting references -------------------------------------------------------------------------


def _is_module_move(service: str, old: str) -> bool:
    """A module (old.py), not a directory (web/, migrations/)."""
    return old not in {"web", "migrations"}


def _new_submodules(service: str, parent: str) -> set[str]:
    """Names that are modules of a new folder (`api`, `domain`): what makes `from x.api import y` new."""
    news = [new for new in MOVES[service].values() if new.startswith(parent + ".")]
    names = {new.split(".")[1] for new in news}
    folder = package_dir(service) / parent
    if folder.is_dir():
        names |= {p.stem for p in folder.glob("*.py")} | {p.name for p in folder.iterdir() if p.is_dir()}
    return names


def _old_module(service: str, module: str, names: list[str]) -> tuple[str, str] | None:
    """The move that an import of `module` (dotted, with the package) still names, if any."""
    pkg = package(service)
    for old, new in MOVES[service].items():
        dotted = f"{pkg}.{old}"
        if module == dotted:
            if old in FOLDERS and names and all(n in _new_submodules(service, old) for n in names):
                return None  # `from leadflow_x.api import leads`: already the new layout
            return old, new
        if module.startswith(dotted + ".") and not _is_module_move(service, old):
            return old, new
    return None


def _rewrite_import_from(node: ast.ImportFrom, service: str) -> str | None:
    """`from pkg import old` and `from pkg.web import choices`: each moved name on its own line;
    `from pkg.old import name`: the new module."""
    pkg = package(service)
    if node.level or not node.module or not (node.module == pkg or node.module.startswith(pkg + ".")):
        return None
    moves = MOVES[service]
    prefix = node.module[len(pkg) + 1 :]
    names = [a.name for a in node.names]

    def key(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    moved = [a for a in node.names if key(a.name) in moves]
    kept = [a for a in node.names if key(a.name) not in moves]
    if prefix and moved and prefix in FOLDERS and all(n in _new_submodules(service, prefix) for n in names):
        return None  # `from leadflow_x.api import leads`: already the new layout
    module = node.module
    found = _old_module(service, module, [a.name for a in kept]) if prefix and kept else None
    if not moved and found is None:
        return None
    lines = []
    if kept:
        if found is not None:
            old, new = found
            module = f"{pkg}.{new}" + node.module[len(f"{pkg}.{old}") :]
        lines.append(f"from {module} import " + ", ".join(_alias(a.name, a.asname) for a in kept))
    for a in moved:
        parent, _, leaf = f"{pkg}.{moves[key(a.name)]}".rpartition(".")
        local = a.asname or a.name
        lines.append(f"from {parent} import {_alias(leaf, local if local != leaf else None)}")
    return "\n".join(lines)


def _rewrite_import(node: ast.Import, service: str) -> str | None:
    pkg = package(service)
    changed = False
    parts = []
    for a in node.names:
        found = _old_module(service, a.name, []) if a.name.startswith(pkg + ".") else None
        if found:
            old, new = found
            parts.append(_alias(f"{pkg}.{new}" + a.name[len(f"{pkg}.{old}") :], a.asname))
            changed = True
        else:
            parts.append(_alias(a.name, a.asname))
    return "import " + ", ".join(parts) if changed else None


def _alias(name: str, asname: str | None) -> str:
    return f"{name} as {asname}" if asname else name


def rewrite_python_imports(text: str, services: list[str]) -> str:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    edits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for service in services:
            if isinstance(node, ast.ImportFrom):
                new = _rewrite_import_from(node, service)
            else:
                new = _rewrite_import(node, service)
            if new is not None:
                edits.append((node, new))
                break
    if not edits:
        return text
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode()))
    data = text.encode()
    for node, new in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[(node.end_lineno or node.lineno) - 1] + (node.end_col_offset or 0)
        indent = " " * node.col_offset
        data = data[:start] + new.replace("\n", "\n" + indent).encode() + data[end:]
    return data.decode()


def rewrite_text(text: str, services: list[str], *, python: bool) -> str:
    if python:
        text = rewrite_python_imports(text, services)
    for service in services:
        pkg = package(service)
        for old, new in MOVES[service].items():
            # An old module that shares its name with a new folder (api, domain) is rewritten in
            # imports only (above): elsewhere `leadflow_x.api` more likely names the folder.
            tail = r"(?!\w)"
            if old not in FOLDERS:  # `leadflow_x.api` in config names the new folder
                text = re.sub(rf"\b{pkg}\.{re.escape(old)}{tail}", f"{pkg}.{new}", text)
            new_path = new.replace(".", "/")
            old_path = old.replace(".", "/")
            if _is_module_move(service, old):
                text = re.sub(rf"\b{pkg}/{old_path}\.py\b", f"{pkg}/{new_path}.py", text)
            else:
                text = re.sub(rf"\b{pkg}/{old_path}(?=/|\b)(?!\.py)", f"{pkg}/{new_path}", text)
    return text


def rewrite_special(path: Path, text: str, services: list[str]) -> str:
    """The migrations' directory as main.py finds it, and the package data as pyproject lists it."""
    if not any(f"services/{service}/" in str(path) for service in services):
        return text
    if path.name == "main.py" and path.parent.name.startswith("leadflow_"):
        old, new = '/ "migrations"', '/ "store" / "migrations"'
        text = text.replace(f"Path(__file__).parent {old}", f"Path(__file__).parent {new}")
    if path.name == "pyproject.toml" and path.parent.parent.name == "services":
        text = re.sub(r'"migrations/', '"store/migrations/', text)
        if path.parent.name == "console":
            text = re.sub(r'"web/', '"api/web/', text)
    return text


def tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    files = []
    for rel in out.splitlines():
        path = ROOT / rel
        if rel.startswith("tools/house_moves.py") or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            files.append(path)
    return files


def rewrite_tree(services: list[str]) -> list[Path]:
    changed = []
    for path in tracked_text_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        new = rewrite_special(path, rewrite_text(text, services, python=path.suffix == ".py"), services)
        if new != text:
            path.write_text(new)
            changed.append(path)
    python = [str(p) for p in changed if p.suffix == ".py"]
    if python:
        ruff = Path(sys.executable).parent / "ruff"
        command = [str(ruff) if ruff.exists() else "ruff", "check", "--quiet", "--fix", "--select=I", *python]
        subprocess.run(command, cwd=ROOT, check=False)
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", action="append", choices=sorted(MOVES), help="default: every service")
    parser.add_argument("--rewrite-only", action="store_true")
    options = parser.parse_args()
    services = options.service or sorted(MOVES)
    if not options.rewrite_only:
        for service in services:
            for moved in move_service(service):
                print(f"moved {moved}")
    # References are rewritten for every service whose files have moved, wherever they are.
    moved_services = [s for s in sorted(MOVES) if (package_dir(s) / "store" / "__init__.py").exists()]
    for path in rewrite_tree(moved_services):
        print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
