"""tests/invalid/*.toml: each file's first line is '# expect: <first diagnostic line>'."""
import glob
import os
import tempfile
import unittest

from . import support

PREFIX = "# expect: "


class InvalidConfigTest(unittest.TestCase):
    def test_each_invalid_config(self):
        files = sorted(glob.glob(os.path.join(support.INVALID, "*.toml")))
        self.assertGreater(len(files), 30)
        for path in files:
            name = os.path.basename(path)
            with self.subTest(config=name):
                with open(path, "rb") as f:
                    first = f.readline().decode("utf-8").rstrip("\n")
                self.assertTrue(first.startswith(PREFIX), f"{name}: first line must be '{PREFIX}...'")
                with tempfile.TemporaryDirectory() as out:
                    result = support.run_gen([name, "-o", out], cwd=support.INVALID)
                self.assertNotIn("Traceback", result.stderr)
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertEqual(result.stderr.splitlines()[0], first[len(PREFIX):])


if __name__ == "__main__":
    unittest.main()
