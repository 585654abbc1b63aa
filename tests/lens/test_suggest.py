"""suggest: the exact patch for the fixture, that it applies and builds, headroom stated, the
user's comments kept, overlays edited where they set the value."""
import os
import shutil
import subprocess
import tempfile
import unittest

from tests.lens.support import GAME, RECORDING, fixture_doc, model_of, run_lens, save_doc

from memkit_lens.recording import load, parse
from memkit_lens.suggest import round_size, size_text, suggest, with_headroom


def changed(patch):
    """(removed, added) lines of a unified diff, without the file headers."""
    lines = patch.splitlines()
    return ([x[1:] for x in lines if x.startswith("-") and not x.startswith("---")],
            [x[1:] for x in lines if x.startswith("+") and not x.startswith("+++")])


class Arithmetic(unittest.TestCase):
    def test_headroom_rounds_up(self):
        self.assertEqual(with_headroom(16000, 25), 20000)
        self.assertEqual(with_headroom(3, 25), 4)
        self.assertEqual(with_headroom(7, 0), 7)

    def test_round_size(self):
        self.assertEqual(round_size(20000, 16), 20480)
        self.assertEqual(round_size(200, 16), 208)
        self.assertEqual(round_size(1, 16), 16)

    def test_size_text(self):
        self.assertEqual(size_text(20480, True), '"20 KiB"')
        self.assertEqual(size_text(2 << 20, True), '"2 MiB"')
        self.assertEqual(size_text(208, True), "208")
        self.assertEqual(size_text(20480, False), "20480")


class WithTrace(unittest.TestCase):
    def test_patch(self):
        source, m = model_of(GAME)
        notes, patch = suggest(load(RECORDING), source, m, 25)
        self.assertTrue(notes[0].startswith("headroom: 25% over the recorded peaks"))
        removed, added = changed(patch)
        # demand from the trace (the budgets refused some of it): assets 280000, entities 224,
        # physics 21008, jointly 301232; pool classes at most 1, 1, 3 blocks
        self.assertEqual(removed, ['counts = [8, 4, 2]       # blocks per class',
                                   'total = "2 MiB"          # all intents together',
                                   'budget = "256 KiB"       # streamed level data',
                                   'budget = 1024',
                                   'budget = "16 KiB"        # contacts'])
        self.assertEqual(added, ['counts = [2, 2, 4]       # blocks per class',
                                 'total = "368 KiB"        # all intents together',   # 301232 * 1.25 -> 368 KiB
                                 'budget = "342 KiB"       # streamed level data',     # 280000 * 1.25 -> 342 KiB
                                 'budget = 288',                                       # 224 * 1.25 = 280 -> 288
                                 'budget = "26 KiB"        # contacts'])               # 21008 * 1.25 -> 26 KiB
        self.assertTrue(patch.startswith(f"--- a/{GAME}\n+++ b/{GAME}\n"))

    @unittest.skipUnless(shutil.which("patch"), "patch(1) not installed")
    def test_patch_applies_and_builds(self):
        r = run_lens(["suggest", RECORDING, "--config", "tests/lens/fixtures/game.toml", "--headroom", "50"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("# headroom: 50%", r.stdout)
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "tests", "lens", "fixtures"))
            target = os.path.join(d, "tests", "lens", "fixtures", "game.toml")
            shutil.copy(GAME, target)
            p = subprocess.run(["patch", "-p1", "-d", d], input=r.stdout, text=True, capture_output=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            _, m = model_of(target)
        budgets = {x.name: x.budget for x in m.routes}   # 280000, 224, 21008 x 1.5, rounded up
        self.assertEqual(budgets, {"assets": 411 * 1024, "entities": 336, "physics": 31 * 1024, "ui": 0})
        self.assertEqual([c.blocks for c in m.pools[0].classes], [2, 2, 5])


class WithoutTrace(unittest.TestCase):
    def test_peaks_only(self):
        doc = fixture_doc()
        doc["trace"] = {"dropped": 0, "events": []}
        source, m = model_of(GAME)
        notes, patch = suggest(parse(doc, "r.json"), source, m, 25)
        removed, added = changed(patch)
        # recorded peaks: assets 250000, entities 160, physics 16000, ui 1008 (sum 267168)
        self.assertEqual(added, ['total = "327 KiB"        # all intents together',
                                 'budget = "306 KiB"       # streamed level data',
                                 'budget = 208',
                                 'budget = "20 KiB"        # contacts'])
        self.assertIn("pools: no trace in the recording, counts left as they are "
                      "(record one with [record] trace_events)", notes)
        self.assertTrue(any(n.startswith("intent physics: failed 1 time(s)") and "record a trace" in n for n in notes))


class NothingRecorded(unittest.TestCase):
    def test_no_use_changes_nothing(self):
        doc = fixture_doc()
        doc["trace"] = {"dropped": 0, "events": []}
        for f in doc["frames"]:
            f["intents"] = [[0, 0, 0, 0, 0] for _ in f["intents"]]
        source, m = model_of(GAME)
        notes, patch = suggest(parse(doc, "r.json"), source, m, 25)
        self.assertEqual(patch, "")
        self.assertIn("[budget] total: no use recorded, left as it is", notes)
        self.assertIn("intent physics: no use recorded, budget left as it is", notes)

    def test_empty_recording_is_an_error(self):
        doc = fixture_doc()
        doc["frames"], doc["trace"] = [], {"dropped": 0, "events": []}
        with tempfile.TemporaryDirectory() as d:
            path = save_doc(d, doc)
            r = run_lens(["suggest", path, "--config", GAME])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"memkit-lens: error: {path} has no frames and no trace: nothing to size "
                                   f"budgets from\n")


class Overlay(unittest.TestCase):
    def test_edits_the_overlay_that_sets_it(self):
        with open(GAME) as f:
            text = f.read()
        text += '\n[platform.handheld.intent.physics]\nbudget = "8 KiB"   # small screen\n'
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "game.toml")
            with open(path, "w") as f:
                f.write(text)
            source, m = model_of(path, "handheld")
            _, patch = suggest(load(RECORDING), source, m, 25, "handheld")
        removed, added = changed(patch)
        self.assertIn('budget = "8 KiB"   # small screen', removed)
        self.assertIn('budget = "26 KiB"  # small screen', added)
        self.assertNotIn('budget = "16 KiB"        # contacts', removed)   # the base is not what applies


class Capacity(unittest.TestCase):
    def test_capacity_becomes_counts(self):
        with open(GAME) as f:
            text = f.read().replace("counts = [8, 4, 2]       # blocks per class", 'capacity = "12 KiB"  # even split')
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "game.toml")
            with open(path, "w") as f:
                f.write(text)
            source, m = model_of(path)
            _, patch = suggest(load(RECORDING), source, m, 25)
        removed, added = changed(patch)
        self.assertIn('capacity = "12 KiB"  # even split', removed)
        self.assertIn("counts = [2, 2, 4]", added)


if __name__ == "__main__":
    unittest.main()
