"""simulate: the fixture trace replayed against its own config reproduces the recorded failures;
against other.toml it predicts what the test works out by hand (see the comments)."""
import json
import unittest

from tests.lens.support import GAME, OTHER, RECORDING, model_of, run_lens

from memkit_lens.recording import load
from memkit_lens.simulate import replay


def outcome(config, bounded=True):
    return replay(load(RECORDING), model_of(config)[1], bounded)


class OwnConfig(unittest.TestCase):
    def test_reproduces_the_recording(self):
        rec = load(RECORDING)
        out = outcome(GAME)
        for i, it in enumerate(rec.intents):
            o = out.intents[it.name]
            self.assertEqual(o.failures, rec.frames[-1].intents[i][4], it.name)
            self.assertEqual(o.peak_bytes, rec.peak(i), it.name)
        self.assertEqual(out.intents["entities"].first_failure_frame, 12)     # 3rd 64-byte block of 2
        self.assertEqual(dict(out.intents["entities"].reasons), {"class 64 full": 1})
        self.assertEqual(out.intents["physics"].first_failure_frame, 13)      # 8000 + 9008 > 16 KiB
        self.assertEqual(dict(out.intents["assets"].reasons), {"budget": 1})  # 250000 + 30000 > 256 KiB
        self.assertEqual(out.unknown_frees, 1)                               # id 99


class OtherConfig(unittest.TestCase):
    def test_prediction(self):
        out = outcome(OTHER)
        physics = out.intents["physics"]
        # budget 12 KiB: frame 11 holds 4000 + 8000; frame 12 adds 8000 to 8000 (frame 10 released);
        # frame 13 holds 9008, then 4000 more fails
        self.assertEqual((physics.peak_bytes, physics.failures, physics.first_failure_frame), (12000, 2, 12))
        assets = out.intents["assets"]
        # no budget; heap 256 KiB, fallback none: 250000 + 30000 does not fit
        self.assertEqual((assets.peak_bytes, assets.failures, assets.first_failure_frame), (250000, 1, 13))
        self.assertEqual(dict(assets.reasons), {"heap full": 1})
        entities = out.intents["entities"]
        # four 64-byte blocks: the third fits; 32 + 64 + 64 + 64 charged
        self.assertEqual((entities.peak_bytes, entities.failures, entities.first_failure_frame), (224, 0, None))
        self.assertEqual(out.intents["ui"].peak_bytes, 1008)
        self.assertEqual(out.class_peaks, {("small", 16): 1, ("small", 32): 1, ("small", 64): 3})
        self.assertEqual(out.heap_peak, 250000)

    def test_unbounded_is_the_demand(self):
        out = outcome(GAME, bounded=False)
        self.assertEqual(out.intents["physics"].peak_bytes, 8000 + 9008 + 4000)
        self.assertEqual(out.intents["assets"].peak_bytes, 280000)
        self.assertEqual(sum(o.failures for o in out.intents.values()), 0)
        self.assertEqual(out.total_peak, 280000 + 224 + 21008)

    def test_command_line_json(self):
        r = run_lens(["simulate", RECORDING, "--config", OTHER, "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["intents"]["physics"]["failures"], 2)
        self.assertEqual(doc["intents"]["physics"]["first_failure_frame"], 12)
        self.assertEqual(doc["intents"]["assets"]["reasons"], {"heap full": 1})
        self.assertEqual(doc["pool_class_peak_blocks"], {"small:16": 1, "small:32": 1, "small:64": 3})
        self.assertTrue(any("fragmentation" in s for s in doc["simplifications"]))

    def test_command_line_text(self):
        r = run_lens(["simulate", RECORDING, "--config", OTHER])
        self.assertEqual(r.returncode, 0, r.stderr)
        line = next(x for x in r.stdout.splitlines() if x.strip().startswith("physics"))
        self.assertEqual(line.split()[:5], ["physics", "frame", "12288", "12000", "2"])
        self.assertIn("frame 12 (budget: 2)", line)
        self.assertIn("no fragmentation", r.stdout)

    def test_missing_intent_is_reported(self):
        import os
        import tempfile
        with open(OTHER) as f:
            text = f.read()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "no_ui.toml")
            with open(path, "w") as f:
                f.write(text.replace('[intent.ui]\ntier = "frame"\n', ""))
            r = run_lens(["simulate", RECORDING, "--config", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"ui        (not in {path}: not replayed)", r.stdout)

    def test_no_trace_is_an_error(self):
        import os
        import tempfile
        from tests.lens.support import fixture_doc, save_doc
        doc = fixture_doc()
        doc["trace"] = {"dropped": 0, "events": []}
        with tempfile.TemporaryDirectory() as d:
            path = save_doc(d, doc)
            r = run_lens(["simulate", path, "--config", OTHER])
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no trace events", r.stderr)


if __name__ == "__main__":
    unittest.main()
