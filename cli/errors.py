"""One place that maps library errors to exit codes and one-line messages.

Exit codes: 0 done; 2 bad usage or bad input (one line naming the place); 1 unexpected error
(short message; the traceback only with ``--debug``).
"""
from __future__ import annotations

import functools
import os
import sys
from typing import Any, Callable, TypeVar

import click

__all__ = ["EXIT_OK", "EXIT_UNEXPECTED", "EXIT_INPUT", "handle_errors", "debug_enabled", "fail"]

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])


def debug_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("debug") or (isinstance(ctx.obj, dict) and ctx.obj.get("debug")):
            return True
        ctx = ctx.parent
    return os.environ.get("PILOTQA_DEBUG", "") not in ("", "0")


def fail(message: str, code: int = EXIT_INPUT) -> None:
    """Print ``pilotqa: error: message`` to stderr and exit with ``code``."""
    click.echo(f"pilotqa: error: {message}", err=True)
    raise SystemExit(code)


def handle_errors(fn: F) -> F:
    """Decorator for command bodies: PilotqaError -> exit 2, anything unexpected -> exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pilotqa.errors import PilotqaError

        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except PilotqaError as exc:
            if debug_enabled():
                raise
            fail(str(exc).replace("\n", " "), EXIT_INPUT)
        except Exception as exc:  # noqa: BLE001 - the one place that catches everything
            if debug_enabled():
                raise
            name = type(exc).__name__
            click.echo(
                f"pilotqa: internal error: {name}: {exc} (run with --debug for the traceback)",
                err=True,
            )
            sys.exit(EXIT_UNEXPECTED)

    return wrapper  # type: ignore[return-value]
