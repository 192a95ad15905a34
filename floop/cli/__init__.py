"""The one `floop` command: argument parsing, exit codes and one-line errors. Nothing imports
this package; it imports the library (and `orchestration` for `floop run`).

Exit codes: 0 success (rejected lines are data, not errors); 1 a run or check failed (`floop
run`, `floop export --verify`); 2 bad input or an operational error (one line on stderr); 3 some
landing files could not be loaded (`floop ingest`); 130 interrupted. Subcommands may add their
own (documented in their --help).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from floop.cli import dashboard, docs, export, goldens, ingest, run, simulate, trace_import
from floop.cli.args import Parser
from floop.errors import FloopError

COMMANDS = (ingest, run, simulate, export, dashboard, docs, trace_import, goldens)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="floop",
        description="floop: the feedback-loop warehouse for AI systems. "
        "`floop COMMAND --help` describes each command with an example.",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or bad input already reported in one line
        return exc.code if isinstance(exc.code, int) else 2
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except FloopError as exc:
        print(f"floop {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"floop {args.command}: interrupted", file=sys.stderr)
        return 130
