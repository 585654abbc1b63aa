"""report: the fixture's page has every chart with the right series and numbers, and loads
nothing from outside itself."""
import os
import tempfile
import unittest

from tests.lens.report_page import ReportPage, check_fixture_page
from tests.lens.support import GAME, OTHER, RECORDING, fixture_doc, run_lens, save_doc


def report(doc=None, config=GAME):
    with tempfile.TemporaryDirectory() as d:
        path = RECORDING
        if doc is not None:
            path = save_doc(d, doc)
        out = os.path.join(d, "report.html")
        r = run_lens(["report", path, "--config", config, "-o", out])
        if r.returncode:
            raise AssertionError(r.stderr)
        with open(out, encoding="utf-8") as f:
            return f.read()


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.html = report()
        cls.page = ReportPage(cls.html)

    def test_charts_and_series(self):
        check_fixture_page(self, self.page)

    def test_budget_use(self):
        # live bytes / budget: physics 4000, 12000, 16000, 12000 of 16384
        self.assertEqual(self.page.values("chart-budget", "physics"), [24.41, 73.24, 97.66, 73.24])
        self.assertEqual(self.page.values("chart-budget", "assets"), [38.15, 57.22, 95.37, 95.37])
        self.assertIn('data-series="budget"', self.html)

    def test_tiers(self):
        # heap: 100000 .. 250000 of 1 MiB; frame 16000 of 2 threads x 2 slots x 64 KiB
        self.assertEqual(self.page.values("chart-tiers", "heap"), [9.54, 14.31, 23.84, 23.84])
        self.assertEqual(self.page.values("chart-tiers", "frame")[2], 6.1)

    def test_phases_per_frame(self):
        # differences of the cumulative bytes; render's missing first row reads as zeros
        self.assertEqual(self.page.values("chart-phases", "ai"), [112, 96, 50, 0])
        self.assertEqual(self.page.values("chart-phases", "render"), [0, 9000, 11000, 15000])

    def test_timeline(self):
        timeline = self.page.charts["chart-timeline"]
        self.assertEqual(set(timeline), {"failures:assets", "failures:entities", "failures:physics",
                                         "hazard:ML607"})
        import re
        marks = re.findall(r'<g data-series="([^"]+)"[^>]*>\s*<circle[^>]*data-frame="(\d+)" data-count="(\d+)"',
                           self.html)
        self.assertEqual(sorted(marks), [("failures:assets", "13", "1"), ("failures:entities", "12", "1"),
                                         ("failures:physics", "13", "1"), ("hazard:ML607", "13", "2")])

    def test_size_class_fit(self):
        # 24 B in a 32 B block wastes 8, 40 + 60 + 50 B in three 64 B blocks waste 42
        self.assertEqual(self.page.fit, {"small": 50})
        self.assertNotIn("No histogram recorded", self.html)

    def test_intent_table(self):
        self.assertIn("<td>physics</td><td>frame</td><td>16,384</td><td>16,000</td><td>97.66%</td><td>4</td>"
                      "<td>1</td>", self.html)


class Variants(unittest.TestCase):
    def test_no_histogram(self):
        doc = fixture_doc()
        doc["histogram"] = []
        html = report(doc)
        self.assertIn("No histogram recorded", html)
        self.assertEqual(ReportPage(html).fit, {})

    def test_snapshot(self):
        doc = fixture_doc()
        doc["format"] = "memkit-snapshot"
        doc["frames"] = doc["frames"][-1:]
        del doc["dropped_frames"]
        html = report(doc)
        page = ReportPage(html)
        self.assertEqual(page.values("chart-intents", "physics"), [12000])
        self.assertIn("a snapshot counts the whole run", html)
        # its one row counts the whole run, not one frame
        self.assertEqual(page.values("chart-phases", "render"), [0])

    def test_dropped_frames(self):
        doc = fixture_doc()
        doc["dropped_frames"] = 3
        html = report(doc)
        self.assertEqual(ReportPage(html).values("chart-phases", "ai"), [0, 96, 50, 0])
        self.assertIn("3 older frame(s) fell out of the ring", html)

    def test_other_config_budgets(self):
        # the budget chart reads budgets from the config given: other.toml has physics at 12 KiB
        # and none for assets
        page = ReportPage(report(config=OTHER))
        self.assertEqual(set(page.charts["chart-budget"]), {"entities", "physics", "budget"})
        self.assertEqual(page.values("chart-budget", "physics")[0], round(100 * 4000 / 12288, 2))

    def test_names_are_escaped(self):
        doc = fixture_doc()
        doc["phases"][1] = "<b>render&co</b>"
        html = report(doc)
        self.assertNotIn("<b>render", html)
        self.assertIn("render&amp;co", html)


if __name__ == "__main__":
    unittest.main()
