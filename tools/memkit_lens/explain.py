"""`memkit-lens explain MLnnn`: prints a diagnostic code's entry from docs/diagnostics.md (its
catalogue row and its section), the one place codes are described."""
import difflib
import sys

from . import catalogue

HELP = "print what a diagnostic code (MLnnn) means, with its example and fix"


def add_arguments(parser) -> None:
    parser.add_argument("code", metavar="MLnnn", help="a diagnostic code, e.g. ML201")


def render(entry: catalogue.Entry) -> str:
    title = entry.title or entry.meaning
    lines = [f"{entry.code} — {title}", "",
             f"severity: {entry.severity}",
             f"found by: {entry.found_by}",
             f"what it means: {entry.meaning}"]
    if entry.body:
        lines += ["", entry.body]
    return "\n".join(lines) + "\n"


def run(args) -> int:
    try:
        entries = catalogue.load()
    except OSError as e:
        print(f"memkit-lens: error: cannot read {catalogue.DOC}: {e.strerror or e}", file=sys.stderr)
        return 2
    code = args.code.strip().upper()
    if code in entries:
        sys.stdout.write(render(entries[code]))
        return 0
    print(f"memkit-lens: error: unknown diagnostic code '{args.code}'", file=sys.stderr)
    close = difflib.get_close_matches(code, sorted(entries), n=3, cutoff=0.6)
    if close:
        print(f"hint: did you mean {' or '.join(close)}?", file=sys.stderr)
    else:
        known = sorted(entries)
        print(f"hint: codes are {known[0]} to {known[-1]}, listed in {catalogue.DOC}", file=sys.stderr)
    return 2
