"""recording.py: the fixture reads as written, bad input is refused naming the field."""
import os
import tempfile
import unittest

from tests.lens.support import GAME, RECORDING, fixture_doc, run_lens, save_doc

from memkit_lens.recording import RecordingError, deltas, load, parse


class Fixture(unittest.TestCase):
    def test_reads_the_fixture(self):
        rec = load(RECORDING)
        self.assertEqual([it.name for it in rec.intents], ["assets", "entities", "physics", "ui"])
        self.assertEqual([f.frame for f in rec.frames], [10, 11, 12, 13])
        self.assertEqual(rec.peak(2), 16000)
        self.assertEqual(rec.column(0, 0), [100000, 150000, 250000, 250000])
        self.assertEqual(rec.frames[0].phase(1), (0, 0, 0))   # render first seen in frame 11
        self.assertEqual(rec.histogram[0].wasted(), [(16, 1, 16, 0), (32, 1, 24, 8), (64, 3, 150, 42)])
        self.assertEqual(len(rec.trace), 18)
        self.assertEqual(rec.trace[6].op, "f")

    def test_optional_sections_read_as_empty(self):
        doc = fixture_doc()
        for key in ("histogram", "trace", "dropped_frames", "async_pools", "gpu_heaps", "pools"):
            del doc[key]
        doc["unknown_future_field"] = {"ignored": True}
        rec = parse(doc)
        self.assertEqual((rec.histogram, rec.trace, rec.dropped_frames), ((), (), 0))


class Deltas(unittest.TestCase):
    def test_from_zero(self):
        self.assertEqual(deltas([1, 3, 6], True), [1, 2, 3])

    def test_first_row_unknown_after_drops(self):
        self.assertEqual(deltas([5, 7, 7], False), [0, 2, 0])

    def test_restarted_counter_counts_from_zero(self):
        self.assertEqual(deltas([5, 9, 2], True), [5, 4, 2])


class Errors(unittest.TestCase):
    def refused(self, edit, message):
        doc = fixture_doc()
        edit(doc)
        with self.assertRaises(RecordingError) as cm:
            parse(doc)
        self.assertEqual(str(cm.exception), message)

    def test_format(self):
        self.refused(lambda d: d.update(format="memkit-trace"),
                     'format: expected "memkit-recording" or "memkit-snapshot", got \'memkit-trace\'')

    def test_version(self):
        self.refused(lambda d: d.update(version=2), "version: this memkit-lens reads version 1, the file is version 2")

    def test_missing_frames(self):
        self.refused(lambda d: d.pop("frames"), "frames: missing")

    def test_intent_row_length(self):
        self.refused(lambda d: d["frames"][1]["intents"][2].pop(), "frames[1].intents[2]: expected 5 integers, got 4")

    def test_intent_rows_count(self):
        self.refused(lambda d: d["frames"][0]["intents"].pop(), "frames[0].intents: expected 4 rows, got 3")

    def test_negative_counter(self):
        self.refused(lambda d: d["frames"][3]["tiers"][0].__setitem__(0, -1),
                     "frames[3].tiers[0][0]: expected an integer >= 0, got -1")

    def test_more_phase_rows_than_phases(self):
        self.refused(lambda d: d["frames"][0]["phases"].extend([[0, 0, 0]] * 2),
                     "frames[0].phases: expected at most 2 rows, got 3")

    def test_frames_out_of_order(self):
        self.refused(lambda d: d["frames"][2].update(frame=11), "frames[2].frame: frames must be oldest first, "
                                                                "11 follows 11")

    def test_intent_tier(self):
        self.refused(lambda d: d["intents"][0].update(tier="gpu"),
                     "intents[0].tier: expected one of frame, pool, heap, async, got 'gpu'")

    def test_trace_op(self):
        self.refused(lambda d: d["trace"]["events"][0].__setitem__(1, "q"),
                     "trace.events[0][1]: expected \"a\", \"f\" or \"x\", got 'q'")

    def test_trace_unknown_intent_only_on_frees(self):
        self.refused(lambda d: d["trace"]["events"][0].__setitem__(2, -1),
                     "trace.events[0][2]: expected an integer >= 0, got -1")

    def test_trace_intent_range(self):
        self.refused(lambda d: d["trace"]["events"][3].__setitem__(2, 4),
                     "trace.events[3][2]: intent index 4 out of range (the recording has 4 intents)")

    def test_hazard_shape(self):
        self.refused(lambda d: d["frames"][3]["hazards"][0].pop(), "frames[3].hazards[0]: expected [code, count], "
                                                                   "got 1 items")

    def test_snapshot_has_one_frame(self):
        self.refused(lambda d: d.update(format="memkit-snapshot"),
                     "frames: a snapshot has exactly one frame row, this one has 4")

    def test_command_line_names_file_and_field(self):
        doc = fixture_doc()
        doc["frames"][0]["intents"][0][0] = "many"
        with tempfile.TemporaryDirectory() as d:
            path = save_doc(d, doc, "bad.json")
            r = run_lens(["report", path, "--config", GAME, "-o", os.path.join(d, "r.html")])
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr, f'memkit-lens: error: {path}: frames[0].intents[0][0]: expected an integer, '
                                       f'got "many"\n')
            self.assertFalse(os.path.exists(os.path.join(d, "r.html")))

    def test_not_json(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.json")
            with open(path, "w") as f:
                f.write("{")
            with self.assertRaisesRegex(RecordingError, "bad.json: not JSON"):
                load(path)


if __name__ == "__main__":
    unittest.main()
