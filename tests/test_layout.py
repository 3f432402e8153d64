"""The shape of the package: no import circle, no module over 400 lines, and
the README's "Use it from Python" example runs as written."""

import ast
import os
import re
import shutil
import subprocess
import sys

from tests.conftest import EXAMPLES, ROOT

PKG = os.path.join(ROOT, "eeo_reconcile")


def _modules():
    for dirpath, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                yield (rel[: -len(".__init__")] if rel.endswith(".__init__") else rel), path


def _imports(name, path):
    """Modules of the package that `name` imports (statically, anywhere in it)."""
    is_pkg = path.endswith("__init__.py")
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("eeo_reconcile"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([node.module]
                                                                     if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("eeo_reconcile"):
                out.add(mod)
                out.update(f"{mod}.{a.name}" for a in node.names)
    return out


def test_no_import_circle():
    mods = dict(_modules())
    graph = {m: {i for i in _imports(m, p) if i in mods and i != m} for m, p in mods.items()}
    # a package's __init__ re-exports its modules; importing a package is not a
    # dependency of those modules on each other, so edges *into* a package's
    # own __init__ from inside it are dropped
    for m in graph:
        graph[m] = {i for i in graph[m] if not m.startswith(i + ".")}
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, cycles


def test_no_module_over_400_lines():
    long = {}
    for name, path in _modules():
        with open(path, encoding="utf-8") as fh:
            n = sum(1 for _ in fh)
        if n > 400:
            long[name] = n
    assert not long


def test_readme_python_example_runs_as_written(tmp_path):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = readme.split("## Use it from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shutil.copytree(EXAMPLES, tmp_path / "rosters",
                    ignore=shutil.ignore_patterns("eeo.state.json*"))
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "### eeo-reconcile plan" in r.stdout and "addCourseStudentMultiple" in r.stdout
