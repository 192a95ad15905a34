"""floop's errors, in one place. Every module raises these; only the CLI turns them into exit
codes (both print one line and exit 2: the run itself failed, not the data)."""

from __future__ import annotations


class FloopError(Exception):
    """Base of floop's own errors."""


class OperationalError(FloopError):
    """A failure of the run itself (not of the data): a missing folder, a locked warehouse, a
    full disk, a failed dbt call. Printed as one line, exit code 2."""


class UsageError(FloopError):
    """Bad input on the command line (a clock, a date, a port, a path). One line, exit code 2."""


class LandingFileError(FloopError):
    """One landing file that cannot be read (truncated or corrupt, not what its name says,
    unreadable). Never reaches the CLI: `floop ingest` records the file as failed in the
    ledger, loads the other files and exits 3."""
