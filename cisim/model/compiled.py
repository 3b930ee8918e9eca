"""Compiled functions whose disk cache can never serve numbers built for other code.

numba's disk cache checks only the source file of the compiled function itself: constants
a kernel module imports from another file (the schema's columns) and helpers it calls in
other files are baked into the cached machine code unchecked.  Change the schema and the
next run would read the wrong columns.

``compiled`` is ``numba.njit`` with the cache keyed instead on a fingerprint of everything
the function's module reads: its own source and the source of every ``cisim`` module it
imports, directly or through others, plus the versions of Python, numba, llvmlite and
numpy.  When any of them changes, the cached code no longer matches and is compiled anew.
If numba's cache machinery is not what this module expects (another numba release), the
functions compile in every process instead, never from a possibly stale cache.
"""

from __future__ import annotations

import ast
import hashlib
import os
import platform
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numba
from numba import njit

#: The folder that holds the ``cisim`` package: module names resolve to files below it.
_ROOT = Path(__file__).resolve().parents[2]
#: Source files of the functions compiled through ``compiled``: only these get the fingerprint.
_GUARDED: set[str] = set()


def _module_file(name: str, root: Path) -> Path | None:
    """The source file of module ``name`` below ``root`` (a package's ``__init__.py``), or None."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_files(path: Path, root: Path) -> set[Path]:
    """The files of the ``cisim`` modules that ``path`` imports (``from a.b import c`` may mean a.b.c)."""
    found: set[Path] = set()
    package = path.relative_to(root).parts[0]
    tree = ast.parse(path.read_bytes())
    # imports only type checkers follow never run
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                   for stmt in node.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] != package:
                continue
            # every package on the way is imported too
            parts = name.split(".")
            for k in range(1, len(parts) + 1):
                f = _module_file(".".join(parts[:k]), root)
                if f is not None:
                    found.add(f)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def source_closure(path: str | Path, root: str | Path | None = None) -> list[Path]:
    """``path`` and every package module it imports, directly or through others, sorted."""
    root = Path(root) if root is not None else _ROOT
    seen: set[Path] = set()
    todo = [Path(path).resolve()]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo += _imported_files(f, root) - seen
    return sorted(seen)


def versions() -> dict[str, str]:
    """The versions compiled code depends on, besides the source."""
    import llvmlite
    import numpy

    return {"python": platform.python_version(), "numba": numba.__version__, "llvmlite": llvmlite.__version__,
            "numpy": numpy.__version__}


def fingerprint(path: str | Path, root: str | Path | None = None, versions_: dict[str, str] | None = None) -> str:
    """A hash of the source closure of ``path`` (contents and paths relative to ``root``) and the versions."""
    root = Path(root) if root is not None else _ROOT
    h = hashlib.sha256()
    for key, value in sorted((versions_ if versions_ is not None else versions()).items()):
        h.update(f"{key}={value}\n".encode())
    for f in source_closure(path, root):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


@cache
def _fingerprint_of(py_file: str) -> str:
    return fingerprint(py_file, _root_of(py_file))


def _root_of(py_file: str) -> Path:
    """The folder holding the top-level package of ``py_file`` (``cisim`` here; a test's copy elsewhere)."""
    p = Path(py_file).resolve().parent
    while (p / "__init__.py").is_file():
        p = p.parent
    return p


def _install_locator() -> bool:
    """Put the fingerprint locator first in numba's list; False if numba's machinery is not as expected."""
    try:
        from numba.core import caching, config
    except ImportError:  # pragma: no cover - another numba layout
        return False
    impl = getattr(caching, "CacheImpl", None)
    base = getattr(caching, "_CacheLocator", None)
    classes = getattr(impl, "_locator_classes", None)
    if impl is None or base is None or not isinstance(classes, list):  # pragma: no cover
        return False
    if getattr(config, "CACHE_LOCATOR_CLASSES", None):
        return False  # the user chose numba's locators: they would bypass the fingerprint

    class FingerprintLocator(base):
        """numba's usual cache folder for the function, with the fingerprint as the source's stamp."""

        def __init__(self, inner, stamp: str):
            self._inner = inner
            self._stamp = stamp

        def ensure_cache_path(self):
            self._inner.ensure_cache_path()

        def get_cache_path(self):
            return self._inner.get_cache_path()

        def get_source_stamp(self):
            return ("cisim-fingerprint", self._stamp)

        def get_disambiguator(self):
            return self._inner.get_disambiguator()

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.realpath(py_file) not in _GUARDED:
                return None
            for other in impl._locator_classes:
                if other is cls:
                    continue
                inner = other.from_function(py_func, py_file)
                if inner is not None:
                    return cls(inner, _fingerprint_of(os.path.realpath(py_file)))
            return None

    if not any(getattr(c, "__name__", "") == "FingerprintLocator" for c in classes):
        classes.insert(0, FingerprintLocator)
    return True


_CACHE_OK = _install_locator()
if not _CACHE_OK:  # pragma: no cover - depends on numba's release and the environment
    warnings.warn("cisim: numba's cache cannot be keyed on the model's source here; the model compiles in "
                  "every process (slower start, same numbers)", RuntimeWarning, stacklevel=1)


def compiled(fn: Callable | None = None, *, nogil: bool = False, inline: bool = False):
    """``numba.njit`` with numpy's error model and a disk cache that follows the model's source.

    Use as ``@compiled``, ``@compiled(nogil=True)`` or ``@compiled(inline=True)``.  ``inline`` asks LLVM
    to always inline the function into its compiled callers (numba's ``forceinline``): LLVM leaves
    large functions out of line by itself, and a call with many arrays costs their unpacked fields
    and keeps the optimizer from working across the call.
    """

    def wrap(f: Callable):
        _GUARDED.add(os.path.realpath(f.__code__.co_filename))
        return njit(cache=_CACHE_OK, error_model="numpy", nogil=nogil, forceinline=inline)(f)

    return wrap(fn) if fn is not None else wrap
