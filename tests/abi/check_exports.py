#!/usr/bin/env python3
"""check_exports.py — what a memkit runtime exports (the public ABI of issue 11).

  check_exports.py --prefix PREFIX --archive libmemkit.a --shared libprobe.so --own probe_

1. The static library: every global symbol it defines with default
   visibility is a public name, PREFIX + "mk_" + a letter (PREFIX is the
   config's [memkit] prefix plus "_", or empty); every other global it defines
   (mk__ internals, mkg_ generated tables) is hidden.
2. A shared library that links the runtime whole (exports_probe.c): its
   dynamic symbol table holds the public names and the library's own (--own
   names them by prefix), nothing else, and the public functions users call
   are among them.
Exit 0 when both hold, 1 with every offending symbol listed.
"""
import argparse
import re
import subprocess
import sys

# Public functions every runtime defines (prefixed as the config says).
REQUIRED = ("mk_shutdown", "mk_stats_get", "mk_validate", "mk_begin_frame", "mk_status_str")


def archive_symbols(path):
    """(name, binding, visibility) of each symbol the archive's objects define."""
    out = subprocess.run(["readelf", "-sW", path], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(f) >= 8 and f[0].endswith(":") and f[6] != "UND" and f[4] in ("GLOBAL", "WEAK"):
            rows.append((f[7], f[4], f[5]))
    return rows


def dynamic_symbols(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True, capture_output=True, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--prefix", default="")
    p.add_argument("--archive", required=True)
    p.add_argument("--shared", required=True)
    p.add_argument("--own", required=True, help="name prefix of the shared library's own exports")
    a = p.parse_args()
    public = re.compile(re.escape(a.prefix) + r"mk_[a-z0-9]")
    problems = []

    defined = archive_symbols(a.archive)
    for name, bind, vis in defined:
        if vis == "DEFAULT" and not public.match(name):
            problems.append(f"{a.archive}: {name} is exported ({bind}, default visibility): not a public name")
        if vis != "DEFAULT" and public.match(name):
            problems.append(f"{a.archive}: public {name} is {vis}")
    hidden = sum(1 for _, _, vis in defined if vis == "HIDDEN")

    exported = dynamic_symbols(a.shared)
    for name in exported:
        if not public.match(name) and not name.startswith(a.own):
            problems.append(f"{a.shared}: exports {name}")
    for name in REQUIRED:
        if a.prefix + name not in exported:
            problems.append(f"{a.shared}: does not export {a.prefix + name}")

    if problems:
        print("FAIL: the runtime exports more or less than its public API:")
        for line in problems:
            print("  " + line)
        return 1
    n = sum(1 for name in exported if public.match(name))
    print(f"ok: {a.shared} exports {n} public names and its own; the runtime hides {hidden} symbols of its own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
