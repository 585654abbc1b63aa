"""Golden cases: regenerate each tests/golden/<case> into a temp copy, compare byte for byte."""
import difflib
import os
import shutil
import tempfile
import unittest

from . import support
from .update_golden import case_args, cases
from memkit_gen import config, emit, model
from memkit_gen.diagnostics import Diagnostics
from memkit_gen.emit import OUTPUTS

UPDATE = "python3 tests/generator/update_golden.py"


class GoldenTest(unittest.TestCase):
    def test_cases_exist(self):
        self.assertTrue({"basic", "example_handheld", "single_thread", "heap_only", "longlived",
                         "sentinel_no_frame", "prefix_audio", "async", "gpu"} <= set(cases()))

    def test_prefix_adds_only_its_lines(self):
        """prefix_audio without its prefix: only the two lines after the ABI guard and the sha differ."""
        with open(os.path.join(support.GOLDEN, "prefix_audio", "memkit.toml"), "rb") as f:
            text = f.read()
        self.assertIn(b'prefix = "audio"\n', text)

        def render(data):
            source = config.parse_bytes("memkit.toml", data, Diagnostics())
            built = model.build(source)
            return emit.render(built, emit.banner_for(built, "memkit.toml", ".", "SHA"))

        with_prefix, without = render(text), render(text.replace(b'prefix = "audio"\n', b""))
        self.assertEqual(with_prefix["memkit_config.c"], without["memkit_config.c"])
        changed = [line for line in difflib.ndiff(without["memkit_config.h"].splitlines(),
                                                  with_prefix["memkit_config.h"].splitlines())
                   if line[:1] in "+-"]
        self.assertEqual(changed, ["+ ", "+ #define MKG_SYMBOL_PREFIX audio_", "+ #include <memkit/prefix.h>"])
        header = with_prefix["memkit_config.h"]
        guard_end = header.index("#endif\n", header.index("#if MK_RUNTIME_ABI")) + len("#endif\n")
        self.assertTrue(header[guard_end:].startswith(
            "\n#define MKG_SYMBOL_PREFIX audio_\n#include <memkit/prefix.h>\n"))

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

    def test_cases_match_their_sources(self):
        """Cases that copy a config kept elsewhere must stay byte-identical to it."""
        sources = {"basic": "tests/configs/basic.toml", "longlived": "tests/configs/longlived.toml",
                   "example_handheld": "memkit.toml.example"}
        for case, source in sorted(sources.items()):
            with self.subTest(case=case), open(os.path.join(support.REPO, source), "rb") as a, \
                    open(os.path.join(support.GOLDEN, case, "memkit.toml"), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"tests/golden/{case}/memkit.toml must equal {source}")


if __name__ == "__main__":
    unittest.main()
