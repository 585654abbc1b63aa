"""memkit-lens explain: each code's entry comes from docs/diagnostics.md, and every code the
runtime, the async and GPU tiers or memkit-gen can report has a catalogue row and a section."""
import contextlib
import io
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "generator"))

from memkit_lens import catalogue, cli  # noqa: E402

# A code as sources spell it: "ML503", MK__ML401 (an identifier ending in one), never ML3xx.
SOURCE_CODE = re.compile(r"(?<![A-Za-z0-9])ML([0-9]{3})(?![0-9])")
SCANNED = ("runtime", "async", "gpu", "generator")
SOURCE_EXTENSIONS = (".c", ".h", ".py", ".j2", ".cpp", ".hpp")


def lens(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(list(argv))
    return status, out.getvalue(), err.getvalue()


def codes_in_sources():
    found = {}
    for top in SCANNED:
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            for name in sorted(files):
                if not name.endswith(SOURCE_EXTENSIONS):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number in SOURCE_CODE.findall(f.read()):
                        found.setdefault("ML" + number, os.path.relpath(path, ROOT))
    return found


class ExplainTest(unittest.TestCase):
    def test_prints_row_and_section(self):
        status, out, err = lens("explain", "ML201")
        self.assertEqual(status, 0, err)
        self.assertTrue(out.startswith("ML201 — frame data crossing threads without a transfer"), out)
        self.assertIn("severity: error", out)
        self.assertIn("mk_transfer", out)          # from the section's example and fix
        self.assertNotIn("### ML202", out)         # stops at the next heading

    def test_lowercase_code(self):
        status, out, _ = lens("explain", "ml104")
        self.assertEqual(status, 0)
        self.assertIn("mk_frame_mark_release", out)

    def test_unknown_code_suggests(self):
        status, out, err = lens("explain", "ML207")
        self.assertEqual(status, 2)
        self.assertEqual(out, "")
        self.assertIn("unknown diagnostic code 'ML207'", err)
        self.assertIn("did you mean", err)
        self.assertIn("ML202", err)

    def test_not_a_code(self):
        status, _, err = lens("explain", "banana")
        self.assertEqual(status, 2)
        self.assertIn("unknown diagnostic code 'banana'", err)


class CatalogueTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(catalogue.DOC, encoding="utf-8") as f:
            cls.text = f.read()
        cls.entries = catalogue.parse(cls.text)
        cls.sections = set(catalogue.section_codes(cls.text))

    def test_sources_scanned(self):
        self.assertGreater(len(codes_in_sources()), 20)   # the scan itself works

    def test_every_code_in_the_sources_is_catalogued(self):
        for code, where in sorted(codes_in_sources().items()):
            with self.subTest(code=code):
                self.assertIn(code, self.entries, f"{code} (used in {where}) has no catalogue row")
                self.assertIn(code, self.sections, f"{code} (used in {where}) has no ### section")

    def test_every_row_has_a_section_and_fields(self):
        for code, entry in sorted(self.entries.items()):
            with self.subTest(code=code):
                self.assertIn(code, self.sections)
                self.assertIn(entry.severity, ("info", "warning", "error"))
                self.assertTrue(entry.meaning and entry.found_by and entry.body)

    def test_every_section_has_a_row(self):
        self.assertEqual(sorted(self.sections - set(self.entries)), [])

    def test_fenced_hash_lines_are_not_headings(self):
        text = ("| ML900 | info | x | sentinel |\n\n### ML900 — t (info)\n\n"
                "```c\n# define X\n```\nafter\n## next\nno\n")
        entry = catalogue.parse(text)["ML900"]
        self.assertIn("after", entry.body)
        self.assertNotIn("no", entry.body.split("\n"))


if __name__ == "__main__":
    unittest.main()
