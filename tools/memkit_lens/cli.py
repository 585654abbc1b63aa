"""memkit-lens's command line: one subcommand per module of this package.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int`` (the exit status). A module that is not there yet leaves its
subcommand out."""
import argparse
import importlib
import sys
from typing import List, Optional

SUBCOMMANDS = ("report", "map", "explain", "check", "suggest", "simulate")


def parse_args(argv: Optional[List[str]]):
    p = argparse.ArgumentParser(prog="memkit-lens", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"memkit_lens.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"memkit_lens.{name}":
                continue
            raise
        sp = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sp)
        sp.set_defaults(run=module.run)
    return p.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("memkit-lens: interrupted", file=sys.stderr)
        return 130
