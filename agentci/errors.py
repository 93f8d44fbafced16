"""Expected errors: one clear message, never a traceback (see cli.main)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


class AgentciError(Exception):
    """An error the user can cause and fix. Printed as one line (plus an optional hint)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(AgentciError):
    """Bad flags or arguments."""


def internal_error_text(exc: BaseException) -> str:
    """What the CLI prints for an unexpected exception (a bug), without the traceback."""
    return (
        f"agentci: internal error: {type(exc).__name__}: {exc}\n"
        "  This is a bug in agentci. Re-run with --debug for the traceback and report it at "
        "https://github.com/agentci/agentci/issues"
    )
