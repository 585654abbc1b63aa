"""The command line: determinism, write-only-when-changed, --check, --strict, --list-outputs."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from . import support
from memkit_gen import VERSION

EXAMPLE = os.path.join(support.REPO, "memkit.toml.example")

WARNING_CONFIG = """\
[memkit]
schema = 1
[heap]
size = "1 MiB"
[budget]
total = "1 MiB"
[intent.a]
tier = "heap"
budget = "1 MiB"
[intent.b]
tier = "heap"
budget = "1 MiB"
"""


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="memkit-gen-test-")
        self.addCleanup(shutil.rmtree, self.tmp)
        shutil.copy(EXAMPLE, os.path.join(self.tmp, "memkit.toml"))

    def gen(self, *args, env=None):
        return support.run_gen(list(args), cwd=self.tmp, env=env)

    def read(self, *parts):
        with open(os.path.join(self.tmp, *parts), "rb") as f:
            return f.read()

    def test_version(self):
        r = self.gen("--version")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, f"memkit-gen {VERSION}"))

    def test_help_and_usage_errors(self):
        r = self.gen("--help")
        self.assertEqual(r.returncode, 0)
        for option in ("--platform", "--strict", "--check", "--diff", "--list-outputs", "--version"):
            self.assertIn(option, r.stdout)
        self.assertEqual(self.gen("memkit.toml").returncode, 2)  # -o is required
        self.assertEqual(self.gen("memkit.toml", "-o", "gen", "--diff").returncode, 2)

    def test_list_outputs(self):
        r = self.gen("whatever.toml", "-o", "gen", "--list-outputs")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.splitlines(), [os.path.join("gen", "memkit_config.h"),
                                                 os.path.join("gen", "memkit_config.c")])

    def test_deterministic_across_hash_seeds_and_locales(self):
        outputs = []
        for seed, locale in (("0", "C"), ("12345", "C.UTF-8"), ("random", "POSIX")):
            env = dict(os.environ, PYTHONHASHSEED=seed, LC_ALL=locale, LANG=locale)
            shutil.rmtree(os.path.join(self.tmp, "out"), ignore_errors=True)
            r = self.gen("memkit.toml", "--platform", "handheld", "-o", "out", env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            outputs.append((self.read("out", "memkit_config.h"), self.read("out", "memkit_config.c")))
        self.assertEqual(outputs[0], outputs[1])
        self.assertEqual(outputs[0], outputs[2])
        self.assertNotIn(self.tmp.encode(), outputs[0][0] + outputs[0][1])

    def test_written_only_when_changed(self):
        self.assertEqual(self.gen("memkit.toml", "-o", "gen").returncode, 0)
        paths = [os.path.join(self.tmp, "gen", n) for n in ("memkit_config.h", "memkit_config.c")]
        for p in paths:
            os.utime(p, ns=(1_000_000_000, 1_000_000_000))
        r = self.gen("memkit.toml", "-o", "gen")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual([os.stat(p).st_mtime_ns for p in paths], [1_000_000_000] * 2)

    def test_check(self):
        r = self.gen("memkit.toml", "-o", "gen", "--check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("memkit-gen: gen/memkit_config.h is missing", r.stderr)
        self.assertIn("hint: regenerate with: memkit-gen memkit.toml -o gen", r.stderr)
        self.gen("memkit.toml", "-o", "gen")
        r = self.gen("memkit.toml", "-o", "gen", "--check")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        with open(os.path.join(self.tmp, "gen", "memkit_config.c"), "ab") as f:
            f.write(b"/* edited */\n")
        r = self.gen("memkit.toml", "-o", "gen", "--check", "--diff")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines()[0], "memkit-gen: gen/memkit_config.c is stale")
        self.assertIn("-/* edited */", r.stdout)
        r = self.gen("memkit.toml", "-o", "gen", "--check", "--platform", "handheld")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--platform handheld", r.stderr)

    def test_check_ignores_crlf_line_ends(self):
        """A checkout with git's core.autocrlf = true holds the outputs with CRLF: not stale."""
        self.gen("memkit.toml", "-o", "gen")
        for name in ("memkit_config.h", "memkit_config.c"):
            path = os.path.join(self.tmp, "gen", name)
            with open(path, "rb") as f:
                data = f.read()
            with open(path, "wb") as f:
                f.write(data.replace(b"\n", b"\r\n"))
        r = self.gen("memkit.toml", "-o", "gen", "--check")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        # Any other difference still counts: a lone CR, or a changed line among CRLF ones.
        path = os.path.join(self.tmp, "gen", "memkit_config.c")
        with open(path, "rb") as f:
            crlf = f.read()
        for changed in (crlf.replace(b"\r\n", b"\r", 1), crlf.replace(b"mkg_config", b"mkg_konfig", 1)):
            with open(path, "wb") as f:
                f.write(changed)
            r = self.gen("memkit.toml", "-o", "gen", "--check", "--diff")
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.splitlines()[0], "memkit-gen: gen/memkit_config.c is stale")
        self.assertIn("-const mk_config_t mkg_konfig = {\n+const mk_config_t mkg_config = {\n", r.stdout)

    def gen_to_closed_pipe(self, *args):
        """Runs memkit-gen with stdout a pipe whose reader has already gone (`... | head -0`)."""
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            r = subprocess.run([sys.executable, support.SCRIPT] + list(args), cwd=self.tmp, stdout=write_end,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8")
        finally:
            os.close(write_end)
        return r

    def test_closed_stdout_is_no_error(self):
        self.gen("memkit.toml", "-o", "gen")
        with open(os.path.join(self.tmp, "gen", "memkit_config.c"), "ab") as f:
            f.write(b"/* edited */\n")
        r = self.gen_to_closed_pipe("memkit.toml", "-o", "gen", "--check", "--diff")
        # the status --check owes (stale: 1), its stderr as usual, and nothing about the pipe
        self.assertEqual((r.returncode, r.stderr.splitlines()),
                         (1, ["memkit-gen: gen/memkit_config.c is stale",
                              "hint: regenerate with: memkit-gen memkit.toml -o gen"]))
        for args in (("--help",), ("--version",), ("memkit.toml", "-o", "gen", "--list-outputs")):
            with self.subTest(args=args):
                r = self.gen_to_closed_pipe(*args)
                self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_banner_is_relative(self):
        self.gen("memkit.toml", "-o", "gen/sub", "--platform", "handheld")
        header = self.read("gen", "sub", "memkit_config.h").decode()
        self.assertIn(" * regenerate: memkit-gen memkit.toml --platform handheld -o gen/sub\n", header)
        self.assertIn("from memkit.toml (platform handheld).", header)

    def test_strict_turns_warnings_into_errors(self):
        with open(os.path.join(self.tmp, "warn.toml"), "w", encoding="utf-8") as f:
            f.write(WARNING_CONFIG)
        r = self.gen("warn.toml", "-o", "gen")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stderr.startswith(
            "warn.toml:6:9: warning: ML506: [budget]: intent budgets add up to 2 MiB, more than total 1 MiB\n"))
        r = self.gen("warn.toml", "-o", "gen2", "--strict")
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "gen2")))

    def test_example_has_no_warnings(self):
        r = self.gen("memkit.toml", "-o", "gen", "--strict")
        self.assertEqual((r.returncode, r.stderr), (0, "memkit-gen: wrote 2 file(s) to gen\n"))

    def test_intent_without_budget(self):
        with open(os.path.join(self.tmp, "nobudget.toml"), "w", encoding="utf-8") as f:
            f.write("[memkit]\nschema = 1\n[heap]\nsize = \"1 MiB\"\n[intent.ui]\ntier = \"heap\"\n")
        r = self.gen("nobudget.toml", "-o", "gen")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.splitlines()[:2], ["nobudget.toml:5:1: warning: ML503: intent 'ui' has no budget",
                                                     "hint: add budget = ... to bound it"])
        r = self.gen("nobudget.toml", "-o", "gen2", "--strict")
        self.assertEqual(r.returncode, 1)
        self.assertIn("memkit-gen: 1 warning(s) treated as errors (--strict)", r.stderr)

    def test_missing_file(self):
        r = self.gen("nope.toml", "-o", "gen")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("memkit-gen: error: cannot read nope.toml"))
        self.assertNotIn("Traceback", r.stderr)

    def test_errors_are_collected(self):
        with open(os.path.join(self.tmp, "bad.toml"), "w", encoding="utf-8") as f:
            f.write("[memkit]\nschema = 1\nalignment = 3\n[intent.a]\ntier = \"stak\"\nbudgett = 1\n")
        r = self.gen("bad.toml", "-o", "gen")
        self.assertEqual(r.returncode, 1)
        errors = [line for line in r.stderr.splitlines() if ": error: " in line]
        self.assertEqual(len(errors), 3, r.stderr)


if __name__ == "__main__":
    unittest.main()
