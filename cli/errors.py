"""One place that maps library errors to exit codes and one-line messages.

Exit codes: 0 done; 2 bad usage or bad input (one line naming the place); 1 unexpected error
(short message; the traceback only with ``--debug``).

Every message is one line: control characters that came from the input (a cell holding a line
break, an escape sequence …) are shown as escapes, and a very long message keeps its beginning
(the place) and its end (what is wrong). Warnings of the libraries underneath (numpy, scipy,
openpyxl …) never reach stderr unless ``--debug`` is given. Click's own usage errors (a missing
input, a bad option value) are one line as well (:class:`OneLineUsageGroup`).
"""
from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from typing import Any, Callable, TypeVar

import click

__all__ = ["EXIT_OK", "EXIT_UNEXPECTED", "EXIT_INPUT", "handle_errors", "debug_enabled", "fail",
           "one_line", "OneLineUsageGroup", "MAX_MESSAGE_CHARS"]

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_INPUT = 2

#: Longest message printed; a longer one keeps its first and last parts.
MAX_MESSAGE_CHARS = 1000

F = TypeVar("F", bound=Callable[..., Any])

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in "\n\t":
        return " "
    return {"\r": "\\r"}.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` as one printable line: line breaks become spaces, other control characters
    escapes (``\\r``, ``\\x1b``); longer than ``limit``, the middle is cut (`` … ``).

    >>> one_line("row 3: '12\\r\\n4' is not a number")
    "row 3: '12\\\\r 4' is not a number"
    """
    text = _CONTROL.sub(_escape, text)
    if len(text) > limit:
        head = (limit * 7) // 10
        text = text[:head] + " … " + text[-(limit - head - 3):]
    return text


def debug_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("debug") or (isinstance(ctx.obj, dict) and ctx.obj.get("debug")):
            return True
        ctx = ctx.parent
    return os.environ.get("PILOTQA_DEBUG", "") not in ("", "0")


def fail(message: str, code: int = EXIT_INPUT) -> None:
    """Print ``pilotqa: error: message`` (one line) to stderr and exit with ``code``."""
    click.echo(f"pilotqa: error: {one_line(message)}", err=True)
    raise SystemExit(code)


def handle_errors(fn: F) -> F:
    """Decorator for command bodies: PilotqaError -> exit 2, anything unexpected -> exit 1.

    Warnings raised while the command runs are silenced unless ``--debug`` (or
    ``PILOTQA_DEBUG``) is set; pilotqa's own advice is printed as ``pilotqa: warning:`` lines.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pilotqa.errors import PilotqaError

        debug = debug_enabled()
        try:
            with warnings.catch_warnings():
                if not debug:
                    warnings.simplefilter("ignore")
                return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except PilotqaError as exc:
            if debug:
                raise
            fail(str(exc), EXIT_INPUT)
        except MemoryError:
            if debug:
                raise
            fail("out of memory reading or analysing the input", EXIT_UNEXPECTED)
        except Exception as exc:  # noqa: BLE001 - the one place that catches everything
            if debug:
                raise
            name = type(exc).__name__
            click.echo(
                f"pilotqa: internal error: {one_line(f'{name}: {exc}')} (run with --debug for the "
                "traceback)",
                err=True,
            )
            sys.exit(EXIT_UNEXPECTED)

    return wrapper  # type: ignore[return-value]


class OneLineUsageGroup(click.Group):
    """A click group whose usage errors (missing argument, bad option value, a path that does
    not exist) are one stderr line, ``pilotqa: error: …``, exit 2 — not click's block of usage
    lines."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            hint = ""
            ctx = getattr(exc, "ctx", None)
            message = exc.format_message()
            if isinstance(exc, click.UsageError) and ctx is not None:
                hint = f" (see '{ctx.command_path} --help')"
                if type(exc).__name__ == "NoArgsIsHelpError":  # bare `pilotqa`: help on stdout
                    click.echo(ctx.get_help())
                    message = "no command given"
            click.echo(f"pilotqa: error: {one_line(message)}{hint}", err=True)
            sys.exit(EXIT_INPUT)
        except click.exceptions.Abort:
            click.echo("pilotqa: error: aborted", err=True)
            sys.exit(EXIT_UNEXPECTED)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)
