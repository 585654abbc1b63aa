#!/usr/bin/env python3
"""Regenerates every tests/golden/<case>/ output in place.

Each case directory holds memkit.toml (and optionally a `platform` file naming an
overlay); outputs are generated with `-o .` from inside the case directory, which
is exactly what test_golden.py compares against. Review the diff before committing.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.generator import support  # noqa: E402


def case_args(case_dir):
    args = ["memkit.toml", "-o", "."]
    platform_file = os.path.join(case_dir, "platform")
    if os.path.exists(platform_file):
        with open(platform_file, encoding="utf-8") as f:
            args += ["--platform", f.read().strip()]
    return args


def cases():
    return sorted(d for d in os.listdir(support.GOLDEN)
                  if os.path.isfile(os.path.join(support.GOLDEN, d, "memkit.toml")))


def main():
    status = 0
    for case in cases():
        case_dir = os.path.join(support.GOLDEN, case)
        result = support.run_gen(case_args(case_dir), cwd=case_dir)
        sys.stderr.write(f"{case}: " + (result.stderr or "up to date\n"))
        status = status or result.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
