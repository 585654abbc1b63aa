"""`memkit-lens check FILES...`: static checks of C sources with libclang, per function:
ML501 (mk_alloc_current without an intent scope), ML201 (frame memory reaching a global, a
static or a new thread without a transfer), ML103 (frame memory used after mk_end_frame),
ML104 (a checkpoint left open on some path). docs/lens-check.md gives each check's limits."""
import json
import os
import sys
from typing import FrozenSet, List

from . import c_checks, catalogue, clang_loader, sarif

HELP = "check C sources for frame, checkpoint, intent and transfer mistakes (ML103, ML104, ML201, ML501)"
CODES = ["ML103", "ML104", "ML201", "ML501"]
EXIT_FINDINGS, EXIT_USAGE = 1, 2
IGNORE = "memkit-lens: ignore"


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="C sources to check")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                        help="text (file:line:col: warning: MLnnn: ...), json (a list of findings) "
                             "or sarif (SARIF 2.1.0, for code scanning)")
    parser.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                        help="add an include directory (memkit's runtime/include and the generated one)")
    parser.add_argument("-D", dest="define", action="append", default=[], metavar="NAME[=VALUE]",
                        help="define a macro")
    parser.add_argument("--config", metavar="memkit.toml",
                        help="the memkit.toml the sources are built with: mk_alloc with one of its "
                             "frame intents then counts as frame memory")
    parser.add_argument("--std", default="c11", help="C standard to parse with (default c11)")


def err(message: str, hint: str = "") -> int:
    print(f"memkit-lens: error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    return EXIT_USAGE


def frame_intents(path: str):
    """MK_INTENT_* constants of the config's frame intents, or a list of error lines."""
    from memkit_gen import config, emit, model
    from memkit_gen.diagnostics import Diagnostics
    diag = Diagnostics()
    try:
        source = config.load(path, diag)
    except OSError as e:
        return [f"memkit-lens: error: cannot read {path}: {e.strerror or e}"]
    built = model.build(source) if source is not None else None
    if built is None or diag.errors:
        return list(diag.render(path)) or [f"memkit-lens: error: {path} is not a valid memkit config"]
    return frozenset(emit.c_const(r.name, "MK_INTENT") for r in built.routes if r.tier == "frame")


def unsuppressed(findings: List, path: str) -> List:
    """Findings less those a `memkit-lens: ignore MLnnn` comment names, on their line or the
    line above (for code the check cannot follow, such as a helper its callers scope)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()

    def ignored(line: int) -> set:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        at = text.find(IGNORE)
        return set(catalogue.CODE.findall(text[at:])) if at >= 0 else set()

    return [f for f in findings if f.code not in ignored(f.line) | ignored(f.line - 1)]


def parse_errors(tu) -> List[str]:
    out = []
    for d in tu.diagnostics:
        if d.severity >= d.Error:   # errors and fatal errors
            where = f"{d.location.file.name}:{d.location.line}:{d.location.column}" if d.location.file else tu.spelling
            out.append(f"{where}: error: {d.spelling}")
    return out


def run(args) -> int:
    cindex, why = clang_loader.load()
    if cindex is None:
        return err(why)
    intents: FrozenSet[str] = frozenset()
    if args.config:
        got = frame_intents(args.config)
        if not isinstance(got, frozenset):
            for line in got:
                print(line, file=sys.stderr)
            return EXIT_USAGE
        intents = got
    clang_args = ["-x", "c", f"-std={args.std}"] + [f"-I{d}" for d in args.include] + \
                 [f"-D{d}" for d in args.define]
    index = cindex.Index.create()
    findings = []
    failed = False
    for path in args.files:
        if not os.path.isfile(path):
            failed = True
            err(f"cannot read {path}: no such file")
            continue
        try:
            tu = index.parse(path, args=clang_args)
        except cindex.TranslationUnitLoadError as e:
            failed = True
            err(f"libclang cannot parse {path}: {e}")
            continue
        problems = parse_errors(tu)
        if problems:
            failed = True
            for line in problems:
                print(line, file=sys.stderr)
            print(f"hint: {path} does not compile as C; pass -I for memkit's runtime/include and the "
                  "generated memkit_config.h, and -D for the macros the build defines", file=sys.stderr)
            continue
        findings.extend(unsuppressed(c_checks.check_translation_unit(cindex, tu, path, intents), path))
    if args.format == "json":
        print(json.dumps([{"file": f.path, "line": f.line, "column": f.column, "code": f.code,
                           "level": "warning", "message": f.message} for f in findings], indent=2))
    elif args.format == "sarif":
        print(json.dumps(sarif.document(findings, CODES, catalogue.load()), indent=2))
    else:
        for f in findings:
            print(f"{f.path}:{f.line}:{f.column}: warning: {f.code}: {f.message}")
    if failed:   # the files that parsed are reported all the same
        return EXIT_USAGE
    return EXIT_FINDINGS if findings else 0
