"""Click front end of pilotqa (installed as the package ``pilotqa_cli``; console script ``pilotqa``).

Importing it sets two allocator options. First, before polars loads: polars allocates with jemalloc, which by
default keeps freed pages for 10 s before returning them to the system. ``pilotqa analyze`` reads the
whole export (the reader's raw frame is freed once the measurement frame exists) and then computes, so
the reader's freed pages would stay resident through the analysis: at 10^6 readings the peak was
~530 MB with the default and ~430 MB with ``dirty_decay_ms:0`` (issue 16, benchmarks/bench_pipeline.py;
about 1 s more CPU at that size, nothing measurable on a pilot-sized file). A value the user has set
in ``_RJEM_MALLOC_CONF`` is kept; the library (:mod:`pilotqa`) itself never touches the environment.
polars, when imported, writes its own defaults (``dirty_decay_ms:500,muzzy_decay_ms:1000``) in front
of the variable, and a child of a Python process that imported polars inherits them: those are not a
user's choice, so the option is appended after them (jemalloc takes the last value of an option).
Second, one glibc malloc arena for all threads (:func:`one_malloc_arena`).
"""
import os

ALLOCATOR_ENV = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:0")
_POLARS_DEFAULTS = ("dirty_decay_ms:500", "muzzy_decay_ms:1000")


def allocator_conf(current: str | None) -> str:
    """The ``_RJEM_MALLOC_CONF`` value to run with: ``current`` plus ``dirty_decay_ms:0`` unless a
    ``dirty_decay_ms`` other than polars' own default is already in it (the user's choice)."""
    parts = [p.strip() for p in (current or "").split(",") if p.strip()]
    if any(p.startswith("dirty_decay_ms:") and p not in _POLARS_DEFAULTS for p in parts):
        return ",".join(parts)
    return ",".join([*parts, ALLOCATOR_ENV[1]])


os.environ[ALLOCATOR_ENV[0]] = allocator_conf(os.environ.get(ALLOCATOR_ENV[0]))


def one_malloc_arena() -> bool:
    """Ask glibc's malloc for one arena for all threads (``mallopt(M_ARENA_MAX, 1)``), unless the
    user set ``MALLOC_ARENA_MAX``; True when set. numpy and Python allocate through malloc: the
    analysis's second thread (:mod:`pilotqa.threads`) would otherwise get its own arena, which
    keeps memory the thread freed — at 10^6 readings the peak was 483 MB with two arenas and
    441 MB with one (issue 16). polars allocates with jemalloc and is not affected. Elsewhere than
    glibc (no ``mallopt``) nothing is changed."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        import ctypes

        return bool(ctypes.CDLL("libc.so.6").mallopt(-8, 1))  # M_ARENA_MAX = -8 (malloc.h)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False


one_malloc_arena()

__all__: list[str] = ["ALLOCATOR_ENV", "allocator_conf", "one_malloc_arena"]
