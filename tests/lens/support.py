"""Shared paths and helpers for the memkit-lens tests."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(REPO, "tools")
GENERATOR = os.path.join(REPO, "generator")
LENS = os.path.join(TOOLS, "memkit-lens")
FIXTURES = os.path.join(REPO, "tests", "lens", "fixtures")
RECORDING = os.path.join(FIXTURES, "game.json")
GAME = os.path.join(FIXTURES, "game.toml")
OTHER = os.path.join(FIXTURES, "other.toml")

for path in (GENERATOR, TOOLS):
    if path not in sys.path:
        sys.path.insert(0, path)


def run_lens(args, cwd=None):
    """Runs memkit-lens with this interpreter; returns the CompletedProcess (text)."""
    return subprocess.run([sys.executable, LENS] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, encoding="utf-8")


def fixture_doc():
    """The fixture recording as a fresh JSON document, for tests that break it."""
    import json
    with open(RECORDING, encoding="utf-8") as f:
        return json.load(f)


def save_doc(directory, doc, name="r.json"):
    """Writes a recording document into `directory`; returns its path."""
    import json
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


def model_of(path, platform=None):
    from memkit_lens.common import load_config
    return load_config(path, platform)
