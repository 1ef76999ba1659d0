"""Module attributes imported on first use (PEP 562), for light package imports."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a package's ``__getattr__`` and ``__dir__`` for lazily imported names.

    Parameters
    ----------
    package
        The package's ``__name__`` (for error messages).
    exports
        Attribute name -> module that defines it.
    namespace
        The package's ``globals()``: a loaded attribute is cached there, so the
        module is imported once.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(namespace.get("__all__", exports))

    return __getattr__, __dir__


def lazy_module(name: str) -> ModuleType:
    """Return module ``name``, executed only when one of its attributes is first read.

    The standard library's :class:`importlib.util.LazyLoader`, for heavy imports a
    command needs late: ``ctcg snv`` loads :mod:`scipy.special` while its worker
    processes count alleles instead of before.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
