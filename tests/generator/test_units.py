"""Unit tests: sizes, the locator, did-you-mean, filters."""
import unittest

from . import support  # noqa: F401  (puts generator/ on sys.path)
from memkit_gen import emit
from memkit_gen.config import Locator
from memkit_gen.diagnostics import Diagnostics, choice_hint, did_you_mean, printable
from memkit_gen.schema import DURATION, fmt_quantity, fmt_size, parse_quantity, parse_size


class SizeTest(unittest.TestCase):
    def test_valid(self):
        for value, expected in [(0, 0), (4096, 4096), ("64 KiB", 65536), ("64KiB", 65536),
                                ("1 MiB", 1 << 20), ("2 GiB", 2 << 30), ("100 B", 100), ("1024 GiB", 1 << 40)]:
            with self.subTest(value=value):
                self.assertEqual(parse_size(value), (expected, None, None))

    def test_invalid(self):
        for value, fragment in [(-1, "negative"), (True, "boolean"), (1.5, "float"), ([1], "array"),
                                ("64 KB", "unknown size unit 'KB'"), ("1.5 MiB", "is not a size"),
                                ("64", "without a unit"), ("-5 KiB", "is not a size"),
                                ((1 << 40) + 1, "absurdly large"), ("2048 GiB", "absurdly large")]:
            with self.subTest(value=value):
                n, problem, _ = parse_size(value)
                self.assertIsNone(n)
                self.assertIn(fragment, problem)

    def test_unit_hints(self):
        self.assertIn('"64 KiB"', parse_size("64 KB")[2])
        self.assertIn('"3 MiB"', parse_size("3 mb")[2])
        self.assertIn('"1 KiB"', parse_size("1k")[2])

    def test_fmt_size(self):
        self.assertEqual([fmt_size(n) for n in (100, 65536, 3 << 20, 1 << 30, 1536)],
                         ["100 B", "64 KiB", "3 MiB", "1 GiB", "1536 B"])


class DurationTest(unittest.TestCase):
    def test_valid(self):
        for value, ns in [("250 ns", 250), ("100 us", 100_000), ("50 ms", 50_000_000), ("2 s", 2_000_000_000),
                          ("50ms", 50_000_000), ("  7 s ", 7_000_000_000), ("0 ms", 0), ("3600 s", 3600 * 10 ** 9)]:
            with self.subTest(value=value):
                self.assertEqual(parse_quantity(value, DURATION), (ns, None, None))

    def test_invalid(self):
        hint = 'write a duration such as "50 ms" (units: ns, us, ms, s)'
        for value, problem, expected_hint in [
                (50, "must be a duration, not an integer", hint),
                (True, "must be a duration, not a boolean", hint),
                (0.5, "must be a duration, not a float", hint),
                ("50", 'is a string without a unit: "50"', hint),
                ("1.5 s", 'is not a duration: "1.5 s"', hint),
                ("-5 ms", 'is not a duration: "-5 ms"', hint),
                ("5 min", "has an unknown duration unit 'min': \"5 min\"", hint),
                ("50 msec", "has an unknown duration unit 'msec': \"50 msec\"",
                 'write "50 ms": durations use the units ns, us, ms, s'),
                ("2 sec", "has an unknown duration unit 'sec': \"2 sec\"",
                 'write "2 s": durations use the units ns, us, ms, s'),
                ("10 \u00b5s", "has an unknown duration unit '\u00b5s': \"10 \u00b5s\"",
                 'write "10 us": durations use the units ns, us, ms, s'),
                ("3 MS", "has an unknown duration unit 'MS': \"3 MS\"",
                 'write "3 ms": durations use the units ns, us, ms, s')]:
            with self.subTest(value=value):
                self.assertEqual(parse_quantity(value, DURATION), (None, problem, expected_hint))

    def test_fmt_duration(self):
        self.assertEqual([fmt_quantity(n, DURATION) for n in (250, 50_000_000, 2 * 10 ** 9, 1500, 3600 * 10 ** 9)],
                         ["250 ns", "50 ms", "2 s", "1500 ns", "3600 s"])


class LocatorTest(unittest.TestCase):
    TEXT = """\
# comment [not.a.table]
[memkit]
schema = 1   # trailing
  alignment = 16

[pool.small]
classes = [16,
    32, 48]  # multi-line
"quoted key" = 'x'
inline = { a = 1, b = [2, 3] }
s = \"\"\"
[fake.header]
x = 1
\"\"\"

[platform.handheld]
frame.arena = "512 KiB"
intent."assets".budget = 5
[[arr.tab]]
k = 1
"""

    def setUp(self):
        self.loc = Locator(self.TEXT)

    def test_keys_and_values(self):
        self.assertEqual(self.loc.key(("memkit",)), (2, 1))
        self.assertEqual(self.loc.key(("memkit", "schema")), (3, 1))
        self.assertEqual(self.loc.value(("memkit", "schema")), (3, 10))
        self.assertEqual(self.loc.key(("memkit", "alignment")), (4, 3))
        self.assertEqual(self.loc.key(("pool", "small")), (6, 1))
        self.assertEqual(self.loc.value(("pool", "small", "classes", 0)), (7, 12))
        self.assertEqual(self.loc.value(("pool", "small", "classes", 2)), (8, 9))
        self.assertEqual(self.loc.key(("pool", "small", "quoted key")), (9, 1))
        self.assertEqual(self.loc.key(("pool", "small", "inline", "b")), (10, 19))
        self.assertEqual(self.loc.value(("pool", "small", "inline", "b", 1)), (10, 27))
        self.assertEqual(self.loc.key(("platform", "handheld", "frame", "arena")), (17, 7))
        self.assertEqual(self.loc.key(("platform", "handheld", "intent", "assets", "budget")), (18, 17))
        self.assertEqual(self.loc.key(("arr", "tab", "k")), (20, 1))

    def test_strings_hide_headers(self):
        self.assertFalse(self.loc.has(("fake", "header")))

    def test_fallback_to_parent(self):
        self.assertEqual(self.loc.key(("pool", "small", "capacity")), (6, 1))
        self.assertEqual(self.loc.key(("heap", "size")), (1, 1))
        self.assertEqual(self.loc.value(("memkit", "threads")), (2, 1))

    def test_never_raises_on_odd_text(self):
        for text in ["", "[", "a = [1, 2", "a = \"unterminated", "x = {", "= 3", "[a.\"b", "'''"]:
            Locator(text).key(("a", "b"))


class DidYouMeanTest(unittest.TestCase):
    def test_close_match(self):
        self.assertEqual(did_you_mean("budgett", ["budget", "tier", "pool"]), "budget")
        self.assertIsNone(did_you_mean("zzz", ["budget", "tier"]))

    def test_choice_hint(self):
        self.assertEqual(choice_hint("hepa", ["fail", "heap"]), "did you mean 'heap'?")
        self.assertEqual(choice_hint("x", ["fail", "heap"]), "valid values: 'fail', 'heap'")


class FilterTest(unittest.TestCase):
    def test_unsigned(self):
        self.assertEqual(emit.c_unsigned(16), "16u")
        self.assertEqual(emit.c_unsigned(0xFFFFFFFF), "4294967295u")
        self.assertEqual(emit.c_unsigned(1 << 32), "4294967296ull")

    def test_const_flags_string(self):
        self.assertEqual(emit.c_const("heap", "MK_TIER"), "MK_TIER_HEAP")
        self.assertEqual(emit.c_flags(()), "0")
        self.assertEqual(emit.c_flags(("A", "B")), "A | B")
        self.assertEqual(emit.c_string('a"b\\c?é'), '"a\\"b\\\\c\\077\\303\\251"')

    def test_array(self):
        self.assertEqual(emit.c_array(["1", "2"]), "{ 1, 2 }")
        self.assertEqual(emit.c_array([str(i % 10) for i in range(17)]),
                         "{\n    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n    6\n}")


class PrintableTest(unittest.TestCase):
    def test_escapes_line_breaks_and_controls(self):
        self.assertEqual(printable("plain 'é' text"), "plain 'é' text")
        self.assertEqual(printable("a\nb\tc\x1b[0m\u2028\x00"), "a\\nb\\tc\\x1b[0m\\u2028\\x00")

    def test_render_keeps_one_line_per_diagnostic(self):
        diag = Diagnostics()
        diag.error((2, 1), "unknown key 'a\nb'", "did you mean 'a\rb'?")
        diag.warning((3, 1), "intent 'x' has no budget", "add budget = ... to bound it", "ML503")
        self.assertEqual(diag.render("t.toml"), [
            "t.toml:2:1: error: unknown key 'a\\nb'", "hint: did you mean 'a\\x0db'?",
            "t.toml:3:1: warning: ML503: intent 'x' has no budget", "hint: add budget = ... to bound it"])


if __name__ == "__main__":
    unittest.main()


class RuntimeAbiTest(unittest.TestCase):
    def test_generator_abi_matches_runtime(self):
        import os
        import re
        from memkit_gen import RUNTIME_ABI
        header = os.path.join(os.path.dirname(__file__), "..", "..", "runtime", "include", "memkit", "config.h")
        with open(header, encoding="utf-8") as f:
            found = re.search(r"#define MK_RUNTIME_ABI (\d+)", f.read())
        self.assertIsNotNone(found)
        self.assertEqual(int(found.group(1)), RUNTIME_ABI,
                         "bump RUNTIME_ABI in generator/memkit_gen/__init__.py with the runtime's MK_RUNTIME_ABI")
