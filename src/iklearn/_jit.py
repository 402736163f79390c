"""The decorator of iklearn's numba kernels: numba is imported on a kernel's first call, not with the module.

Importing numba and loading even cached kernels costs about 1.5 s of a new process on a 2-core machine, ten
times what a one-target solve needs. Every kernel module decorates with :func:`njit` from here instead of
numba's: a kernel is a :class:`Kernel` that builds the real dispatcher (``numba.njit(**options)``, cached on disk
as before) on its first call, so importing iklearn's modules never loads numba.

Inside :func:`interpreted` (entered by the LM solver for a call of a few targets when the CLI allowed it with
:func:`allow_interpreted`), kernels run as the plain Python functions they are written as: numba code is
Python, and one target solves in 5-80 ms that way, before numba would have loaded. Once numba is loaded,
kernels are compiled code for good (the names in iklearn's modules are rebound to the dispatchers). The operations are the
same IEEE ones (numba compiles without fast-math), so the answers are the compiled ones (tests/test_jit.py
compares them to the last bit on several arms); the solver hands anything not solved within a few hundred
interpreted iterations to the compiled kernels, which then start from scratch.

Numba sees a :class:`Kernel` held in another kernel's globals as its dispatcher (a ``typeof`` rule registered
when numba is loaded), and ``prange`` / ``uint64`` of the kernel modules are replaced by numba's own then.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Any, Callable, Iterator

import numpy as np

#: stands in for :func:`numba.prange` until numba is loaded (a plain ``range`` in Python)
def prange(*args: int) -> range:
    return range(*args)


#: stands in for :data:`numba.uint64` until numba is loaded (NumPy's: the same wrap-around arithmetic)
uint64 = np.uint64

_numba: Any = None  # the numba module once loaded through here
_on_load: list[Callable[[], None]] = []
_modules: set[str] = set()  # modules that decorate kernels with njit from here
_lock = threading.RLock()
_local = threading.local()  # .depth: nesting of interpreted() in this thread
_active = 0  # interpreted() blocks open in all threads
_allowed = False
_interpreted_s = 0.0  # seconds spent in interpreted kernels in this process
#: a process spends at most this long in interpreted kernels; later calls compile (a long loop of small calls
#: is faster compiled after the first second)
INTERPRETED_BUDGET_S = 0.5
#: the largest call (targets) that runs interpreted
INTERPRETED_MAX_TARGETS = 4


class Kernel:
    """A numba kernel that compiles (or loads from the disk cache) on first call; ``py_func`` is the function."""

    def __init__(self, func: Callable[..., Any], options: dict[str, Any]) -> None:
        self.py_func = func
        self.options = options
        self._dispatcher: Any = None
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__module__ = func.__module__
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def dispatcher(self) -> Any:
        """The numba dispatcher (numba is loaded on the first call of any kernel)."""
        d = self._dispatcher
        if d is None:
            with _lock:
                if self._dispatcher is None:
                    self._dispatcher = load_numba().njit(**self.options)(self.py_func)
                d = self._dispatcher
        return d

    def __call__(self, *args: Any) -> Any:
        # _active first: a module global is ~20 ns, the thread-local look-up ~0.7 us when unset
        if _active and getattr(_local, "depth", 0):
            return self.py_func(*args)
        d = self._dispatcher
        if d is None:
            d = self.dispatcher()
        return d(*args)

    def __getattr__(self, name: str) -> Any:  # targetoptions, signatures, ...: the dispatcher's
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)

    def __repr__(self) -> str:
        return f"<iklearn kernel {self.__module__}.{self.__qualname__}>"


def njit(*args: Any, **options: Any) -> Any:
    """``numba.njit`` with the same options, deferred: ``@njit`` or ``@njit(cache=True, parallel=True)``
    (once numba is loaded, the real dispatcher at once)."""
    def wrap(func: Callable[..., Any]) -> Any:
        if _numba is not None:
            return _numba.njit(**options)(func)
        _modules.add(func.__module__)
        return Kernel(func, options)

    if args and callable(args[0]) and not options:
        return wrap(args[0])
    return wrap


_PRANGE, _UINT64 = prange, uint64  # the stand-ins, to recognise them in the kernel modules


def load_numba() -> Any:
    """Import numba (once): first SciPy's BLAS shortcut, then the ``typeof`` rule for kernels, numba's
    ``prange`` / ``uint64`` in the kernel modules, every iklearn module's kernels rebound to their dispatchers
    (a call then skips the :class:`Kernel` wrapper, ~0.4 us; :func:`interpreted` has no effect from here on),
    and the callbacks of :func:`on_load`."""
    global _numba, prange, uint64
    if _numba is not None:
        return _numba
    with _lock:
        if _numba is not None:
            return _numba
        from iklearn._fast_blas import preload_cython_blas

        preload_cython_blas()  # before numba's target starts: it would import all of scipy.linalg
        import numba
        from numba.extending import typeof_impl

        @typeof_impl.register(Kernel)
        def _typeof_kernel(val: Kernel, c: Any) -> Any:  # a kernel held somewhere numba looks
            return typeof_impl(val.dispatcher(), c)

        for name in list(_modules):
            mod = sys.modules.get(name)
            if mod is None:
                continue
            if mod.__dict__.get("prange") is _PRANGE:
                mod.prange = numba.prange  # type: ignore[attr-defined]
            if mod.__dict__.get("uint64") is _UINT64:
                mod.uint64 = numba.uint64  # type: ignore[attr-defined]
        prange, uint64 = numba.prange, numba.uint64  # for kernel modules imported from now on
        _numba = numba
        for name, mod in list(sys.modules.items()):
            if mod is None or not (name == "iklearn" or name.startswith("iklearn.")):
                continue
            d = vars(mod)
            for key, value in list(d.items()):
                if isinstance(value, Kernel):
                    d[key] = value.dispatcher()
        callbacks = list(_on_load)
        _on_load.clear()
    for fn in callbacks:
        fn()
    return numba


def on_load(fn: Callable[[], None]) -> None:
    """Call ``fn()`` once numba is loaded through here (at once if it is already)."""
    if _numba is not None:
        fn()
    else:
        _on_load.append(fn)


def allow_interpreted(allowed: bool = True) -> None:
    """Let small solver calls run their kernels interpreted while numba is not loaded (the CLI's one-shot
    ``solve``; a library user's process is long-lived, so its calls compile)."""
    global _allowed
    _allowed = allowed


def small_call(n_targets: int) -> bool:
    """Whether a solver call of ``n_targets`` should run interpreted (see :func:`allow_interpreted`)."""
    return (_allowed and _numba is None and n_targets <= INTERPRETED_MAX_TARGETS
            and _interpreted_s < INTERPRETED_BUDGET_S)


@contextlib.contextmanager
def interpreted(active: bool = True) -> Iterator[None]:
    """Run kernels called in this block (in this thread) as plain Python; a no-op when not ``active``."""
    global _interpreted_s, _active
    if not active:
        yield
        return
    with _lock:
        _active += 1
    _local.depth = getattr(_local, "depth", 0) + 1
    t0 = time.perf_counter()
    try:
        with np.errstate(over="ignore"):  # splitmix64 relies on uint64 wrap-around, as compiled code does
            yield
    finally:
        _local.depth -= 1
        with _lock:
            _active -= 1
            _interpreted_s += time.perf_counter() - t0
