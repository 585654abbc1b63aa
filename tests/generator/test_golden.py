"""Golden cases: regenerate each tests/golden/<case> into a temp copy, compare byte for byte."""
import os
import shutil
import tempfile
import unittest

from . import support
from .update_golden import case_args, cases
from memkit_gen.emit import OUTPUTS

UPDATE = "python3 tests/generator/update_golden.py"


class GoldenTest(unittest.TestCase):
    def test_cases_exist(self):
        self.assertTrue({"basic", "example_handheld", "single_thread", "heap_only"} <= set(cases()))

    def test_golden_outputs(self):
        for case in cases():
            with self.subTest(case=case), tempfile.TemporaryDirectory() as tmp:
                case_dir = os.path.join(support.GOLDEN, case)
                shutil.copy(os.path.join(case_dir, "memkit.toml"), tmp)
                result = support.run_gen(case_args(case_dir), cwd=tmp)
                self.assertEqual(result.returncode, 0, result.stderr)
                for name in OUTPUTS:
                    with open(os.path.join(tmp, name), "rb") as f:
                        got = f.read()
                    with open(os.path.join(case_dir, name), "rb") as f:
                        want = f.read()
                    self.assertTrue(got == want, f"{case}/{name} differs from the generator's output; "
                                                 f"if the change is intended, run: {UPDATE}")

    def test_basic_matches_test_config(self):
        with open(os.path.join(support.REPO, "tests", "configs", "basic.toml"), "rb") as a, \
                open(os.path.join(support.GOLDEN, "basic", "memkit.toml"), "rb") as b:
            self.assertEqual(a.read(), b.read(), "tests/golden/basic/memkit.toml must equal tests/configs/basic.toml")


if __name__ == "__main__":
    unittest.main()
