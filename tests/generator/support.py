"""Shared paths and helpers for the generator tests."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = os.path.join(REPO, "generator")
SCRIPT = os.path.join(GENERATOR, "memkit-gen")
GOLDEN = os.path.join(REPO, "tests", "golden")
INVALID = os.path.join(REPO, "tests", "invalid")

if GENERATOR not in sys.path:
    sys.path.insert(0, GENERATOR)


def run_gen(args, cwd=None, env=None):
    """Runs memkit-gen with this interpreter; returns the CompletedProcess (text)."""
    return subprocess.run([sys.executable, SCRIPT] + list(args), cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
