"""Import rules of the architecture (design/architecture.md), checked on the source with `ast`.

Imports point one way: `web` -> `workflows` services -> ports. Only `workflows/engine.py` imports
SpiffWorkflow, only `web/` imports Flask, only `integrations/storage` imports minio, and nothing
outside `web/` imports `web`. Packages still empty pass trivially; the rules catch regressions.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("workflows", "web", "documents", "signing", "integrations")


@dataclass(frozen=True)
class Import:
    """One module imported by one source file (`path` is relative to the scanned root, POSIX style)."""

    path: str
    line: int
    module: str

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.module}"


def _package_of(relative: Path) -> list[str]:
    """Dotted package parts that a relative import in this file starts from."""
    # For a/b/__init__.py that is a.b, for a/b/c.py also a.b.
    return list(relative.parent.parts)


def _literal_module(call: ast.Call) -> str | None:
    """The module named by `importlib.import_module("x")` / `__import__("x")` with a literal name."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("import_module", "__import__") or not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and not first.value.startswith("."):
        return first.value
    return None


def imports_in(root: Path, relative: Path) -> Iterator[Import]:
    """Every absolute module a file imports, relative imports resolved against its package."""
    source = (root / relative).read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(relative))
    where = relative.as_posix()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(where, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                package = _package_of(relative)
                package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                base = ".".join([*package, *([node.module] if node.module else [])])
            if node.module is None:
                # `from . import x` imports submodules x of the package.
                for alias in node.names:
                    yield Import(where, node.lineno, f"{base}.{alias.name}" if base else alias.name)
            else:
                yield Import(where, node.lineno, base)
        elif isinstance(node, ast.Call):
            module = _literal_module(node)
            if module is not None:
                yield Import(where, node.lineno, module)


def all_imports(root: Path) -> list[Import]:
    """Imports of every .py file under the layered packages below `root`."""
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found.extend(imports_in(root, path.relative_to(root)))
    return found


Rule = Callable[[Import], bool]


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def spiff_outside_engine(i: Import) -> bool:
    return i.top == "SpiffWorkflow" and i.path != "workflows/engine.py"


def flask_outside_web(i: Import) -> bool:
    return (i.top == "flask" or i.top.startswith("flask_")) and not _under(i.path, "web")


def minio_outside_storage(i: Import) -> bool:
    return i.top == "minio" and not _under(i.path, "integrations/storage")


def workflows_imports_web(i: Import) -> bool:
    return i.top == "web" and _under(i.path, "workflows")


def adapter_imports_web(i: Import) -> bool:
    return i.top == "web" and any(_under(i.path, p) for p in ("documents", "signing", "integrations"))


RULES: dict[str, Rule] = {
    "only workflows/engine.py imports SpiffWorkflow": spiff_outside_engine,
    "only web/ imports flask and flask_* extensions": flask_outside_web,
    "only integrations/storage imports minio": minio_outside_storage,
    "workflows never imports web": workflows_imports_web,
    "documents, signing and integrations never import web": adapter_imports_web,
}


@pytest.fixture(scope="module")
def repo_imports() -> list[Import]:
    return all_imports(REPO)


def test_layered_packages_are_scanned(repo_imports: list[Import]) -> None:
    """Guards against the rules passing vacuously because nothing was found."""
    assert any(i.path == "workflows/engine.py" and i.top == "SpiffWorkflow" for i in repo_imports)
    assert any(_under(i.path, "workflows") and i.top == "sqlalchemy" for i in repo_imports)


@pytest.mark.parametrize("rule", list(RULES), ids=list(RULES))
def test_import_rule_holds_for_the_code_base(rule: str, repo_imports: list[Import]) -> None:
    offending = [str(i) for i in repo_imports if RULES[rule](i)]
    assert not offending, f"{rule}:\n  " + "\n  ".join(offending)


def _write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def test_each_rule_catches_a_violation_in_a_bad_tree(tmp_path: Path) -> None:
    """The checker itself: every rule reports a planted violation, with file and line."""
    _write(tmp_path, "workflows/engine.py", "from SpiffWorkflow.bpmn import BpmnWorkflow\n")
    _write(tmp_path, "workflows/cases.py", "import os\n\nimport SpiffWorkflow\nfrom flask import g\n")
    _write(tmp_path, "workflows/sub/__init__.py", "from ...web import views\n")
    _write(tmp_path, "documents/render.py", "import importlib\nimportlib.import_module('minio')\n")
    _write(tmp_path, "signing/seal.py", "from web.errors import to_http\n")
    _write(tmp_path, "integrations/storage/s3.py", "import minio\nimport flask_babel\n")
    _write(tmp_path, "web/app.py", "from flask import Flask\nimport minio.error\n")
    found = all_imports(tmp_path)

    def hits(rule: str) -> set[str]:
        return {str(i) for i in found if RULES[rule](i)}

    assert hits("only workflows/engine.py imports SpiffWorkflow") == {
        "workflows/cases.py:3 imports SpiffWorkflow"
    }
    assert hits("only web/ imports flask and flask_* extensions") == {
        "workflows/cases.py:4 imports flask",
        "integrations/storage/s3.py:2 imports flask_babel",
    }
    assert hits("only integrations/storage imports minio") == {
        "documents/render.py:2 imports minio",
        "web/app.py:2 imports minio.error",
    }
    assert hits("workflows never imports web") == {"workflows/sub/__init__.py:1 imports web"}
    assert hits("documents, signing and integrations never import web") == {
        "signing/seal.py:1 imports web.errors"
    }


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("workflows/cases.py", "from . import db\n", "workflows.db"),
        ("workflows/cases.py", "from .db import Database\n", "workflows.db"),
        ("workflows/__init__.py", "from .engine import Engine\n", "workflows.engine"),
        ("integrations/storage/s3.py", "from .. import ports\n", "integrations.ports"),
        ("integrations/storage/s3.py", "from ..web import x\n", "integrations.web"),
        ("integrations/storage/s3.py", "from ...web import x\n", "web"),
    ],
)
def test_relative_imports_resolve_against_the_package(
    tmp_path: Path, relative: str, source: str, expected: str
) -> None:
    _write(tmp_path, relative, source)
    assert [i.module for i in imports_in(tmp_path, Path(relative))] == [expected]


def test_unparseable_source_is_reported_not_skipped(tmp_path: Path) -> None:
    _write(tmp_path, "web/broken.py", "def (:\n")
    with pytest.raises(SyntaxError):
        all_imports(tmp_path)
