"""Where batch work runs: in this process (``"local"``, the default) or as tasks on a Ray cluster (``"ray"``).

Work is a sequence of independent items and one module-level function (Ray workers import it by name, so
iklearn must be installed on every node of a cluster). :func:`map_tasks` yields ``(index, result)`` pairs in
completion order; callers place or write each result by its index, so the outcome does not depend on the
number of workers or on which of them finished first.

Ray is an optional extra (``pip install 'iklearn[distributed]'``), imported only when ``engine="ray"``.
With ``address=None`` a local Ray instance is started for the call and stopped after it; it listens on
127.0.0.1 only. ``address="auto"`` joins the cluster started on this machine with ``ray start``, and
``"HOST:PORT"`` joins the cluster whose head listens there. A task whose worker dies (a killed process, a
lost node) is re-run by Ray up to ``max_retries`` times; an error raised by the function itself is not
retried and is re-raised here as it was raised on the worker.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from typing import Any, Callable, Iterable, Iterator, Sequence

from iklearn.errors import IKLearnError, require

ENGINES: tuple[str, ...] = ("local", "ray")
_ADDRESS = re.compile(r"^(auto|[A-Za-z0-9_.\-]+:\d{1,5}|\[[0-9A-Fa-f:]+\]:\d{1,5})$")


class EngineError(IKLearnError, RuntimeError):
    """An engine was misconfigured, a cluster cannot be reached, or a task failed on every retry."""


def check_engine(engine: str, address: str | None = None) -> tuple[str, str | None]:
    """Validate ``engine`` (``'local'`` / ``'ray'``) and ``address`` (None, ``'auto'`` or ``HOST:PORT``)."""
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r} (--engine); choose one of {', '.join(ENGINES)}")
    if address is not None:
        if engine != "ray":
            raise EngineError("--address joins a Ray cluster; it needs --engine ray")
        address = str(address).strip()
        if not _ADDRESS.match(address) or (":" in address and not 0 < int(address.rsplit(":", 1)[1]) < 65536):
            raise EngineError(f"--address must be 'auto' or HOST:PORT of a Ray head node, got {address!r}")
    if engine == "ray" and "ray" not in sys.modules:
        import importlib.util

        if importlib.util.find_spec("ray") is None:  # fail before any work, without importing ray yet
            import_ray()
    return engine, address


def import_ray():
    """The ``ray`` module, or :class:`~iklearn.errors.MissingExtraError` naming the ``distributed`` extra."""
    return require("ray", "distributed")


@contextlib.contextmanager
def ray_runtime(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """Connect to Ray for the duration of the block (reusing a connection that already exists).

    ``address=None`` starts a local instance bound to 127.0.0.1 (``num_cpus`` CPUs, default all) and stops
    it on exit; otherwise joins the cluster at ``address`` and disconnects on exit.
    """
    if address is None:
        # Ray treats a node with cluster mode off as loopback-only: its servers bind 127.0.0.1, not 0.0.0.0.
        # This must be set before ray is first imported (ray reads it at import time).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        if "ray" not in sys.modules and not any(
                k in os.environ for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")):
            # token authentication with a token that lives in this process and its children only (Ray's
            # default would write one to ~/.ray/auth_token); ray reads the mode when first imported
            import secrets

            os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    import logging

    kw: dict[str, Any] = dict(log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    if address is None:
        kw.update(num_cpus=num_cpus, include_dashboard=False, object_store_memory=512 * 2**20)
    else:
        kw.update(address=address)
    for attempt in (1, 2):  # Ray gives a new node 30 s to register: a busy machine can miss that once
        try:
            with _loopback_only(address is None):
                ray.init(**kw)
            break
        except Exception as exc:  # noqa: BLE001 - ray.init raises plain Exception on a start-up time-out
            with contextlib.suppress(Exception):
                ray.shutdown()
            if attempt == 2 or address is not None:
                where = f"the Ray cluster at {address} (--address)" if address else "a local Ray instance"
                why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise EngineError(f"cannot start or reach {where}: {why}") from None
    if address is None and ray.util.get_node_ip_address() != "127.0.0.1":
        ray.shutdown()
        raise EngineError("this Ray version would not bind a local instance to 127.0.0.1 only; start one with "
                          "`ray start --head` and pass --address")
    try:
        yield ray
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _loopback_only(on: bool) -> Iterator[None]:
    """While Ray starts a local instance, make it take 127.0.0.1 as the node's address (so its servers bind
    there) even when ray was imported before the environment variable was set."""
    from ray._private import ray_constants

    old = getattr(ray_constants, "ENABLE_RAY_CLUSTER", None)
    if on:
        ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if on:
            ray_constants.ENABLE_RAY_CLUSTER = old


def _run(fn: Callable[[Any], Any], item: Any, threads: int) -> Any:
    """Body of a Ray task: cap numba's threads at the task's CPU reservation, then call ``fn(item)``."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    return fn(item)


def map_tasks(
    fn: Callable[[Any], Any],
    items: Sequence[Any] | Iterable[Any],
    *,
    engine: str = "local",
    address: str | None = None,
    num_cpus: int = 1,
    max_retries: int = 3,
    in_flight: int | None = None,
) -> Iterator[tuple[int, Any]]:
    """Apply ``fn`` to every item; yield ``(index, fn(items[index]))`` as each finishes.

    ``engine='local'`` calls ``fn`` here, in order. ``engine='ray'`` submits each item as a task reserving
    ``num_cpus`` CPUs, keeps at most ``in_flight`` tasks queued (default: twice the cluster's CPUs, so
    results never pile up in the object store) and cancels the rest if the caller stops early.
    """
    engine, address = check_engine(engine, address)
    items = list(items)
    if engine == "local":
        for i, item in enumerate(items):
            yield i, fn(item)
        return
    with ray_runtime(address) as ray:
        yield from _ray_map(ray, fn, items, num_cpus, max_retries, in_flight)


def _ray_map(ray, fn, items, num_cpus: int, max_retries: int, in_flight: int | None) -> Iterator[tuple[int, Any]]:
    from ray import exceptions as rex

    cpus = int(ray.cluster_resources().get("CPU", 0))
    if cpus < num_cpus:
        raise EngineError(f"the Ray cluster has {cpus} CPU(s); each task needs {num_cpus}")
    task = ray.remote(_run).options(num_cpus=num_cpus, max_retries=max_retries, retry_exceptions=False,
                                    name=f"iklearn.{getattr(fn, '__name__', 'task')}")
    fn_ref = ray.put(fn)
    window = in_flight or max(2, 2 * cpus // num_cpus)
    pending: dict[Any, int] = {}
    nxt = 0
    try:
        while nxt < len(items) or pending:
            while nxt < len(items) and len(pending) < window:
                pending[task.remote(fn_ref, items[nxt], num_cpus)] = nxt
                nxt += 1
            done, _ = ray.wait(list(pending), num_returns=1)
            i = pending.pop(done[0])
            try:
                result = ray.get(done[0])
            except rex.RayTaskError as exc:  # the function raised: re-raise its own exception
                cause = getattr(exc, "cause", None)
                if isinstance(cause, BaseException):
                    raise cause from None
                raise EngineError(f"task {i} failed on the cluster: {str(exc).splitlines()[0]}") from None
            except rex.RaySystemError as exc:  # e.g. the function cannot be unpickled on the worker
                raise EngineError(f"task {i} cannot run on the cluster's workers ({str(exc).strip().splitlines()[-1]}); "
                                  "is the same iklearn installed on every node?") from None
            except (rex.WorkerCrashedError, rex.NodeDiedError, rex.TaskCancelledError,
                    rex.ObjectLostError) as exc:
                raise EngineError(f"task {i} failed on every one of {max_retries + 1} tries "
                                  f"({type(exc).__name__}); is the cluster short of memory?") from None
            yield i, result
    finally:
        for ref in pending:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
