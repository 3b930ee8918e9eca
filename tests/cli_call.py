"""Run the ``cisim`` command in-process, for the tests of its commands."""

from __future__ import annotations

import contextlib
import io

from cisim.interfaces.cli import main


def call(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:
            status = exc.code
    return status or 0, out.getvalue(), err.getvalue()
