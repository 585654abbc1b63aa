#!/usr/bin/env python3
"""CTest's entry for `memkit-lens check`'s tests: a loud SKIP (exit 77) when libclang's Python
bindings or library are missing, else tests/lens/test_check.py."""
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, ROOT)

from memkit_lens import clang_loader  # noqa: E402

SKIP = 77

if __name__ == "__main__":
    cindex, why = clang_loader.load()
    if cindex is None:
        print(f"SKIP: memkit-lens check's tests need libclang: {why}", file=sys.stderr)
        sys.exit(SKIP)
    os.chdir(ROOT)
    suite = unittest.defaultTestLoader.loadTestsFromName("tests.lens.test_check")
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
