"""Two threads for one analysis: independent stages side by side (issue 16).

The statistics stage has two independent halves of about equal cost at scale: the readings'
shape (normality, the distribution fits and each feature's capability model: numpy arrays,
during whose arithmetic numpy releases the interpreter lock) and the other families (stability,
drift, lots, streams: polars group-bys, which run without the lock). :func:`concurrent` runs the
first on a second thread while the caller computes the second. Both halves also run Python that
needs the lock, so the gain is less than the shorter half: at 10^6 readings on two cores the command
took 7.2 s instead of ~8.1 s on one thread (10.4–11.6× the polars floor against 12×), for 0.5–1.4 s
more CPU (``benchmarks/bench_pipeline.py``, README › Performance).

The numbers do not depend on it: each half reads only its own inputs (frames are immutable) and
returns new objects; nothing is shared but read-only data, so the results are the same objects
with the same values whichever thread computes them and in whatever order (the golden JSON and
``tests/test_threads.py`` run both ways).

One thing is shared: Python's warning filters. The statistics silence scipy's numeric warnings
with ``warnings.catch_warnings()``, which saves and restores the process-wide filters and so is not
thread-safe — the two threads' blocks may interleave, one thread's exit restoring what the other
set. The numbers are not affected (no decision reads a warning); at worst a numeric warning is
shown or hidden while the threads run (the ``pilotqa`` command hides them all anyway unless
``--debug``). The caller restores the filters once both threads are done
(:func:`pilotqa.stats.compute` holds one ``catch_warnings`` around the block), so nothing leaks out
of an analysis; ``tests/test_threads.py`` checks that.

``PILOTQA_THREADS=1`` in the environment runs everything on the calling thread, one half after the
other (e.g. when many pilotqa processes share a machine, or to time each stage alone); unset, or
any larger number, uses the second thread when the process may run on more than one CPU.
"""
from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from pilotqa.errors import PolicyError

__all__ = ["THREADS_ENV", "concurrent", "preload", "thread_count"]

#: Environment variable naming how many threads one analysis may use (1 = none besides the caller's).
THREADS_ENV = "PILOTQA_THREADS"

T = TypeVar("T")


def thread_count() -> int:
    """Threads one analysis uses: ``PILOTQA_THREADS`` when set (a positive integer, capped at 2, the
    number of independent halves), else 2 when the process may run on more than one CPU, else 1.

    Raises
    ------
    pilotqa.errors.PolicyError
        ``PILOTQA_THREADS`` set to anything but a positive integer.
    """
    text = os.environ.get(THREADS_ENV, "").strip()
    if text:
        try:
            n = int(text)
        except ValueError:
            n = 0
        if n < 1:
            raise PolicyError(f"{THREADS_ENV} must be a positive whole number of threads, not {text!r}")
        return min(n, 2)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return 2 if cpus > 1 else 1


class _Later(Future[T]):
    """``fn(*args)`` as a future run on the calling thread when its result is first asked for (its
    value, or its exception raised): one thread computes the halves one after the other, and
    what the deferred half holds is not held while the other half runs (the peak memory of one
    thread is that of the stages in their order)."""

    def __init__(self, fn: Callable[..., T], *args: Any) -> None:
        super().__init__()
        self._call: tuple[Callable[..., T], tuple[Any, ...]] | None = (fn, args)

    def result(self, timeout: float | None = None) -> T:
        if self._call is not None:
            fn, args = self._call
            self._call = None
            try:
                self.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 - re-raised below, as a worker's would be
                self.set_exception(exc)
        return super().result(timeout)


@contextmanager
def concurrent() -> Iterator[Callable[..., Future[Any]]]:
    """A ``run(fn, *args) -> Future`` for the block: ``fn`` runs on a second thread while the block
    goes on (or, when :func:`thread_count` is 1, on the calling thread when ``.result()`` is first
    called). ``.result()`` gives its value or raises its exception; leaving the block waits for the
    thread."""
    if thread_count() < 2:
        yield _Later
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pilotqa") as pool:
        yield pool.submit


def preload(modules: tuple[str, ...]) -> threading.Thread | None:
    """Import ``modules`` on a background thread (when :func:`thread_count` is 2) and return it.

    The command imports the analysis modules (scipy.stats among them, ~0.6 s) while the reader
    parses the export: polars parses without the interpreter lock, so the imports overlap with
    that part of the read (the reader's own Python waits for the lock meanwhile). The main
    thread's own ``import`` of such a module later waits for this one (Python's per-module import
    locks) and then finds it loaded. An import that fails here is
    ignored: the main thread's import of the same module raises the error where it is reported."""
    if thread_count() < 2:
        return None

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - raised again by the main thread's own import
                return

    thread = threading.Thread(target=load, name="pilotqa-preload", daemon=True)
    thread.start()
    return thread
