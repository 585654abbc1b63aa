"""memkit-gen command line: read a config, check it, write or check the C outputs.

Output goes through ``say``: when the reader of stdout or stderr goes away
(``memkit-gen ... --check --diff | head -1``), the rest of that stream is
dropped and the run still ends with the status it would have had.
"""
import argparse
import difflib
import hashlib
import os
import sys
from typing import List, Optional, TextIO

from . import VERSION, config, emit, footprint, footprint_map, model, target
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
  memkit-gen memkit.toml -o gen --list-outputs
  memkit-gen memkit.toml --target ilp32 --footprint
  memkit-gen memkit.toml --map footprint.svg"""


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="memkit-gen", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", metavar="CONFIG", help="the memkit.toml to read")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="directory for memkit_config.h and memkit_config.c (created if missing); "
                        "required unless --footprint")
    p.add_argument("--platform", metavar="NAME",
                   help="apply the [platform.NAME] overlay over the base configuration")
    p.add_argument("--target", choices=sorted(target.TARGETS) + ["host"],
                   help="the target the program is compiled for (host: the machine running memkit-gen); a "
                        "config without [memkit] target gets it, one with a target must agree (default: the "
                        f"config's target, else {target.DEFAULT})")
    p.add_argument("--footprint", nargs="?", const="table", choices=("table", "json"),
                   help="print the static footprint (a table, or json) to stdout; with -o, write the outputs too")
    p.add_argument("--map", metavar="PATH",
                   help="write a to-scale SVG picture of the footprint to PATH; with -o, write the outputs too")
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
    if args.output is None and not (args.footprint or args.map or args.list_outputs):
        p.error("the following arguments are required: -o/--output")
    if args.output is None and args.list_outputs:
        p.error("--list-outputs needs -o/--output")
    if args.target == "host":
        args.target = target.host()
    return args


def _drop_rest(stream: TextIO) -> None:
    """Points a stream whose reader has gone at os.devnull, as the Python docs advise for
    BrokenPipeError: what is still buffered, and all that follows, is dropped quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


def say(text: str, stream: Optional[TextIO] = None, end: str = "\n") -> None:
    """Writes `text` and `end` (to stderr unless `stream` is given), unless its reader has gone."""
    stream = stream or sys.stderr
    try:
        stream.write(text + end)
        stream.flush()
    except BrokenPipeError:
        _drop_rest(stream)


def same_text(current: str, generated: str) -> bool:
    """Whether a file on disk holds the generated text, but for CRLF line ends (a checkout
    with git's core.autocrlf = true); any other difference, a lone CR included, counts."""
    return current.replace("\r\n", "\n") == generated


def regenerate_hint(args: argparse.Namespace) -> str:
    words = ["memkit-gen", args.config, "-o", args.output]
    if args.platform:
        words += ["--platform", args.platform]
    if args.target:
        words += ["--target", args.target]
    return "hint: regenerate with: " + " ".join(words)


def run(args: argparse.Namespace) -> int:
    if args.list_outputs:
        for path in emit.output_paths(args.output):
            say(path, sys.stdout)
        return 0

    diag = Diagnostics()
    try:
        source = config.load(args.config, diag)
    except OSError as e:
        say(f"memkit-gen: error: cannot read {args.config}: {e.strerror or e}")
        return 1
    built = model.build(source, args.platform, args.target) if source is not None else None
    for line in diag.render(args.config):
        say(line)
    if built is None or diag.errors:
        return 1
    if args.strict and diag.warnings:
        say(f"memkit-gen: {len(diag.warnings)} warning(s) treated as errors (--strict)")
        return 1

    if args.footprint or args.map:
        fp = footprint.compute(built)
        name = os.path.basename(args.config)
        if args.footprint:
            say(footprint.as_json(fp, name) if args.footprint == "json"
                else footprint.render_table(fp, name, built.target.about), sys.stdout, end="")
        if args.map:
            problem = footprint_map.write(args.map, fp, built, name)
            if problem:
                say(f"memkit-gen: error: {problem}")
                return 1
        if args.output is None:
            return 0

    sha = hashlib.sha256(built.normalized.encode("utf-8")).hexdigest()
    outputs = emit.render(built, emit.banner_for(built, args.config, args.output, sha, args.target))

    if args.check:
        stale = 0
        for name in emit.OUTPUTS:
            path = os.path.join(args.output, name)
            try:
                with open(path, "rb") as f:
                    current = f.read().decode("utf-8", "replace")
            except OSError:
                say(f"memkit-gen: {path} is missing")
                stale += 1
                continue
            if not same_text(current, outputs[name]):
                say(f"memkit-gen: {path} is stale")
                stale += 1
                if args.diff:
                    say("".join(difflib.unified_diff(
                        current.replace("\r\n", "\n").splitlines(True), outputs[name].splitlines(True),
                        fromfile=path, tofile=path + " (generated)")), sys.stdout, end="")
        if stale:
            say(regenerate_hint(args))
            return 1
        return 0

    try:
        os.makedirs(args.output, exist_ok=True)
        written = sum(emit.write_if_changed(os.path.join(args.output, name), outputs[name])
                      for name in emit.OUTPUTS)
    except OSError as e:
        say(f"memkit-gen: error: cannot write to {args.output}: {e.strerror or e}")
        return 1
    if written:
        say(f"memkit-gen: wrote {written} file(s) to {args.output}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    try:
        args = parse_args(argv)  # exits 2 on usage errors, 0 after --help or --version
        try:
            return run(args)
        except KeyboardInterrupt:
            say("memkit-gen: interrupted")
            return 2
        except Exception as e:  # never show a traceback to the user
            say(f"memkit-gen: internal error: {type(e).__name__}: {e}")
            say("hint: please report this together with the config that triggered it")
            return 2
    except BrokenPipeError:  # argparse's own output (usage, --help) to a reader that has gone
        _drop_rest(sys.stdout)
        _drop_rest(sys.stderr)
        # unbuffered output (PYTHONUNBUFFERED) breaks inside argparse: --help and --version
        # still did their job, a usage error still is one
        asked = sys.argv[1:] if argv is None else argv
        return 0 if any(a in ("-h", "--help", "--version") for a in asked) else 2
    finally:
        # --help and --version text is still buffered: flush it here, where a reader that
        # has gone is handled, not at interpreter exit, where it would print a traceback.
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _drop_rest(sys.stdout)
