"""tests/invalid/*.toml: each file's first line is '# expect: <first error line>'.

An optional second line '# platform: NAME' runs the case with --platform NAME.

The first error line is the first line of stderr that is neither a warning (such as
ML503, an intent without a budget) nor the hint of one: warnings printed before the
error do not matter to these cases.
"""
import glob
import os
import tempfile
import unittest

from . import support

PREFIX = "# expect: "
PLATFORM = "# platform: "


def first_error(stderr):
    """The first stderr line that is not a warning or a warning's hint."""
    after_warning = False
    for line in stderr.splitlines():
        if ": warning: " in line:
            after_warning = True
        elif not (after_warning and line.startswith("hint: ")):
            return line
        else:
            after_warning = False
    return None


class InvalidConfigTest(unittest.TestCase):
    def test_each_invalid_config(self):
        files = sorted(glob.glob(os.path.join(support.INVALID, "*.toml")))
        self.assertGreater(len(files), 30)
        for path in files:
            name = os.path.basename(path)
            with self.subTest(config=name):
                with open(path, "rb") as f:
                    first = f.readline().decode("utf-8").rstrip("\n")
                    second = f.readline().decode("utf-8", "replace").rstrip("\n")
                platform = ["--platform", second[len(PLATFORM):]] if second.startswith(PLATFORM) else []
                self.assertTrue(first.startswith(PREFIX), f"{name}: first line must be '{PREFIX}...'")
                with tempfile.TemporaryDirectory() as out:
                    result = support.run_gen([name, "-o", out] + platform, cwd=support.INVALID)
                self.assertNotIn("Traceback", result.stderr)
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertEqual(first_error(result.stderr), first[len(PREFIX):])


if __name__ == "__main__":
    unittest.main()
