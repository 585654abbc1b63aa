"""memkit-gen command line: read a config, check it, write or check the C outputs."""
import argparse
import difflib
import hashlib
import os
import sys
from typing import List, Optional

from . import VERSION, config, emit, model
from .diagnostics import Diagnostics

DESCRIPTION = """\
Generate memkit's C configuration (memkit_config.h, memkit_config.c) from a
memkit.toml. The output is deterministic and is written only when it changes.

Problems are reported as FILE:LINE:COL: error: MESSAGE or
FILE:LINE:COL: warning: MLnnn: MESSAGE (codes: docs/diagnostics.md), followed by a
'hint:' line where one helps. The schema is documented in docs/config.md."""

EPILOG = """\
exit status:
  0  success (warnings alone do not fail unless --strict)
  1  configuration errors, stale outputs with --check, or I/O errors
  2  usage errors or an internal error

examples:
  memkit-gen memkit.toml -o gen
  memkit-gen memkit.toml -o gen --platform handheld
  memkit-gen memkit.toml -o gen --check --diff
  memkit-gen memkit.toml -o gen --list-outputs"""


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="memkit-gen", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", metavar="CONFIG", help="the memkit.toml to read")
    p.add_argument("-o", "--output", metavar="DIR", required=True,
                   help="directory for memkit_config.h and memkit_config.c (created if missing)")
    p.add_argument("--platform", metavar="NAME",
                   help="apply the [platform.NAME] overlay over the base configuration")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when an output in DIR is missing or stale")
    p.add_argument("--diff", action="store_true", help="with --check: print a unified diff of stale outputs")
    p.add_argument("--list-outputs", action="store_true",
                   help="print the output paths, one per line, and exit (the config is not read)")
    p.add_argument("--version", action="version", version=f"memkit-gen {VERSION}")
    args = p.parse_args(argv)
    if args.diff and not args.check:
        p.error("--diff needs --check")
    return args


def regenerate_hint(args: argparse.Namespace) -> str:
    words = ["memkit-gen", args.config, "-o", args.output]
    if args.platform:
        words += ["--platform", args.platform]
    return "hint: regenerate with: " + " ".join(words)


def run(args: argparse.Namespace) -> int:
    if args.list_outputs:
        for path in emit.output_paths(args.output):
            print(path)
        return 0

    diag = Diagnostics()
    try:
        source = config.load(args.config, diag)
    except OSError as e:
        print(f"memkit-gen: error: cannot read {args.config}: {e.strerror or e}", file=sys.stderr)
        return 1
    built = model.build(source, args.platform) if source is not None else None
    for line in diag.render(args.config):
        print(line, file=sys.stderr)
    if built is None or diag.errors:
        return 1
    if args.strict and diag.warnings:
        print(f"memkit-gen: {len(diag.warnings)} warning(s) treated as errors (--strict)", file=sys.stderr)
        return 1

    sha = hashlib.sha256(built.normalized.encode("utf-8")).hexdigest()
    outputs = emit.render(built, emit.banner_for(built, args.config, args.output, sha))

    if args.check:
        stale = 0
        for name in emit.OUTPUTS:
            path = os.path.join(args.output, name)
            try:
                with open(path, "rb") as f:
                    current = f.read().decode("utf-8", "replace")
            except OSError:
                print(f"memkit-gen: {path} is missing", file=sys.stderr)
                stale += 1
                continue
            if current != outputs[name]:
                print(f"memkit-gen: {path} is stale", file=sys.stderr)
                stale += 1
                if args.diff:
                    sys.stdout.writelines(difflib.unified_diff(
                        current.splitlines(True), outputs[name].splitlines(True),
                        fromfile=path, tofile=path + " (generated)"))
        if stale:
            print(regenerate_hint(args), file=sys.stderr)
            return 1
        return 0

    try:
        os.makedirs(args.output, exist_ok=True)
        written = sum(emit.write_if_changed(os.path.join(args.output, name), outputs[name])
                      for name in emit.OUTPUTS)
    except OSError as e:
        print(f"memkit-gen: error: cannot write to {args.output}: {e.strerror or e}", file=sys.stderr)
        return 1
    if written:
        print(f"memkit-gen: wrote {written} file(s) to {args.output}", file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)  # exits 2 on usage errors
    try:
        return run(args)
    except KeyboardInterrupt:
        print("memkit-gen: interrupted", file=sys.stderr)
        return 2
    except Exception as e:  # never show a traceback to the user
        print(f"memkit-gen: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        print("hint: please report this together with the config that triggered it", file=sys.stderr)
        return 2
