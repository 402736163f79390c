"""Let numba start without importing all of ``scipy.linalg``.

When numba's CPU target starts (the first call of any compiled kernel, cached or not), ``numba.np.arraymath``
checks for BLAS with ``import scipy.linalg.cython_blas``, and that import runs ``scipy.linalg``'s package
``__init__`` (its whole public API): about 0.3-0.4 s of CPU, a quarter of a one-target ``iklearn solve``.
:func:`preload_cython_blas` loads the ``cython_blas`` extension module by itself under its own name, so the
check finds it in ``sys.modules``; a later ``import scipy.linalg`` runs as usual and reuses it. Anything that
goes wrong leaves things as they were (numba then imports scipy.linalg itself). A one-shot import hook gives
``scipy.linalg`` its ``cython_blas`` attribute when that package is imported later, as a plain import would.
"""

from __future__ import annotations

import sys

_NAME = "scipy.linalg.cython_blas"


class _LinkWhenLoaded:
    """Meta-path finder, used once: when ``scipy.linalg`` is imported, set its ``cython_blas`` attribute to the
    preloaded module after the package has run (an import of the submodule would have set it)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "scipy.linalg":
            return None
        import importlib.machinery

        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module) -> None:
            run(module)
            if _NAME in sys.modules:
                module.cython_blas = sys.modules[_NAME]

        spec.loader.exec_module = exec_module
        return spec


def preload_cython_blas() -> None:
    """Put SciPy's ``cython_blas`` in ``sys.modules`` without running ``scipy.linalg/__init__`` (a no-op when
    either is loaded already or SciPy is missing)."""
    if _NAME in sys.modules or "scipy.linalg" in sys.modules:
        return
    try:
        import importlib.machinery
        import importlib.util
        import os

        import scipy

        spec = importlib.machinery.PathFinder.find_spec(_NAME, [os.path.join(os.path.dirname(scipy.__file__),
                                                                              "linalg")])
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
        sys.meta_path.insert(0, _LinkWhenLoaded())
    except Exception:  # noqa: BLE001 - an optimisation only: fall back to numba's own import
        sys.modules.pop(_NAME, None)
