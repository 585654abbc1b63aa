"""memkit-lens check: the fixtures in check_fixtures/ give exactly the findings their
`expect MLnnn` comments name (file, line, code), the *_ok.c ones none; the exit statuses; the
JSON and SARIF 2.1.0 output. The fixtures are compiled against memkit's headers and a
memkit_config.h generated from check_fixtures/memkit.toml. Skipped without libclang
(tests/lens/check_ctest.py turns that into ctest's SKIP)."""
import contextlib
import glob
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "generator"))

from memkit_lens import check, cli, clang_loader  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "lens", "check_fixtures")
CONFIG = os.path.join(FIXTURES, "memkit.toml")
EXPECT = re.compile(r"expect (ML[0-9]{3})")
CINDEX, WHY_NOT = clang_loader.load()


def fixture(name):
    return os.path.join(FIXTURES, name)


def expected(path):
    """(file, line, code) for each `expect MLnnn` comment in the fixture."""
    out = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            out += [(path, number, code) for code in EXPECT.findall(line)]
    return out


@unittest.skipIf(CINDEX is None, f"SKIP: {WHY_NOT}")
class CheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.generated = tempfile.mkdtemp(prefix="lens-check-")
        gen = subprocess.run([sys.executable, os.path.join(ROOT, "generator", "memkit-gen"), CONFIG,
                              "-o", cls.generated], capture_output=True, text=True)
        if gen.returncode != 0:
            raise RuntimeError(f"memkit-gen failed: {gen.stdout}{gen.stderr}")
        cls.includes = ["-I", os.path.join(ROOT, "runtime", "include"), "-I", cls.generated]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.generated, ignore_errors=True)

    def lens(self, *argv, config=True):
        out, err = io.StringIO(), io.StringIO()
        args = ["check", *self.includes] + (["--config", CONFIG] if config else []) + list(argv)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(args)
        return status, out.getvalue(), err.getvalue()

    def findings(self, *paths, config=True, extra=()):
        status, out, err = self.lens("--format", "json", *extra, *paths, config=config)
        self.assertIn(status, (0, 1), err)
        found = json.loads(out)
        self.assertEqual(status, 1 if found else 0)
        return sorted((f["file"], f["line"], f["code"]) for f in found)

    def test_fixtures_give_exactly_the_expected_findings(self):
        paths = sorted(glob.glob(os.path.join(FIXTURES, "*.c")))
        self.assertEqual(len(paths), 8)
        for path in paths:
            with self.subTest(fixture=os.path.basename(path)):
                want = sorted(expected(path))
                if path.endswith("_ok.c"):
                    self.assertEqual(want, [])
                else:
                    code = os.path.basename(path)[:5].upper()
                    self.assertTrue(want and all(c == code for _, _, c in want), want)
                self.assertEqual(self.findings(path), want)

    def test_sentinel_build_same_findings(self):
        # sentinel builds wrap the allocation calls in MK__SITE(...): the checks see through it
        path = fixture("ml201_warn.c")
        self.assertEqual(self.findings(path, extra=("-DMK_SENTINEL=1",)), sorted(expected(path)))
        path = fixture("ml501_warn.c")
        self.assertEqual(self.findings(path, extra=("-DMK_SENTINEL=1",)), sorted(expected(path)))

    def test_symbol_prefix_same_findings(self):
        # [memkit] prefix renames the linked functions (audio_mk_alloc_current ...)
        with open(CONFIG, encoding="utf-8") as f:
            text = f.read().replace("schema = 1\n", "schema = 1\nprefix = \"audio\"\n", 1)
        config = os.path.join(self.generated, "prefixed", "memkit.toml")
        os.makedirs(os.path.dirname(config))
        with open(config, "w", encoding="utf-8") as f:
            f.write(text)
        subprocess.run([sys.executable, os.path.join(ROOT, "generator", "memkit-gen"), config,
                        "-o", os.path.dirname(config)], check=True, capture_output=True)
        paths = sorted(glob.glob(os.path.join(FIXTURES, "*_warn.c")))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(["check", "--format", "json", "--config", config,
                               "-I", os.path.join(ROOT, "runtime", "include"),
                               "-I", os.path.dirname(config), "-DMK_SENTINEL=1", *paths])
        self.assertEqual(status, 1, err.getvalue())
        with open(os.path.join(os.path.dirname(config), "memkit_config.h"), encoding="utf-8") as f:
            self.assertIn("#define MKG_SYMBOL_PREFIX audio_", f.read())
        self.assertEqual(sorted((f["file"], f["line"], f["code"]) for f in json.loads(out.getvalue())),
                         sorted(e for p in paths for e in expected(p)))

    def test_without_config_mk_alloc_is_not_known_to_be_frame_memory(self):
        found = self.findings(fixture("ml201_warn.c"), config=False)
        lines = [line for _, line, _ in found]
        self.assertIn(23, lines)          # mk_frame_printf: frame memory whatever the config
        self.assertNotIn(29, lines)       # mk_alloc(MK_INTENT_SCRATCH, ...): needs --config
        self.assertEqual(self.findings(fixture("ml103_warn.c"), config=False),
                         [(fixture("ml103_warn.c"), 10, "ML103")])

    def test_text_format(self):
        path = fixture("ml104_warn.c")
        status, out, _ = self.lens(path)
        self.assertEqual(status, 1)
        lines = out.splitlines()
        self.assertEqual(len(lines), 4)
        self.assertRegex(lines[0], r"^" + re.escape(path) + r":9:28: warning: ML104: checkpoint 'mark' ")
        self.assertIn("return at line 11", lines[0])

    def test_no_findings_exit_zero(self):
        status, out, err = self.lens(fixture("ml104_ok.c"), fixture("ml501_ok.c"))
        self.assertEqual((status, out, err), (0, "", ""))

    def test_parse_error_exit_two(self):
        with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
            f.write("int broken(void) { return undeclared_name; }\n")
        try:
            status, out, err = self.lens(f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(status, 2)
        self.assertEqual(out, "")
        self.assertIn("error: use of undeclared identifier 'undeclared_name'", err)

    def test_missing_file_and_bad_config(self):
        status, out, err = self.lens(fixture("no_such_file.c"), fixture("ml103_warn.c"))
        self.assertEqual(status, 2)
        self.assertIn("no such file", err)
        self.assertIn("ml103_warn.c:10:10: warning: ML103: ", out)   # the other file is still checked
        status, _, err = self.lens("--config", fixture("ml104_ok.c"), fixture("ml104_ok.c"), config=False)
        self.assertEqual(status, 2)
        self.assertIn("error", err)

    def test_usage_error_exit_two(self):
        with contextlib.redirect_stderr(io.StringIO()):
            with self.assertRaises(SystemExit) as e:
                cli.main(["check", "--format", "xml", fixture("ml104_ok.c")])
        self.assertEqual(e.exception.code, 2)

    def test_sarif_structure(self):
        paths = [fixture("ml103_warn.c"), fixture("ml201_warn.c"), fixture("ml104_ok.c")]
        status, out, err = self.lens("--format", "sarif", *paths)
        self.assertEqual(status, 1, err)
        log = json.loads(out)
        # SARIF 2.1.0's required properties, checked by hand (no schema package, no network)
        self.assertEqual(log["version"], "2.1.0")
        self.assertIn("sarif-2.1.0", log["$schema"])
        self.assertEqual(len(log["runs"]), 1)
        run = log["runs"][0]
        driver = run["tool"]["driver"]
        self.assertIsInstance(driver["name"], str)
        rule_ids = [r["id"] for r in driver["rules"]]
        self.assertEqual(rule_ids, check.CODES)
        for rule in driver["rules"]:
            self.assertTrue(rule["shortDescription"]["text"])
            self.assertIn(rule["defaultConfiguration"]["level"], ("none", "note", "warning", "error"))
        self.assertEqual(len(run["results"]), len(expected(paths[0])) + len(expected(paths[1])))
        got = []
        for result in run["results"]:
            self.assertIn(result["ruleId"], rule_ids)
            self.assertEqual(rule_ids[result["ruleIndex"]], result["ruleId"])
            self.assertIn(result["level"], ("none", "note", "warning", "error"))
            self.assertTrue(result["message"]["text"])
            self.assertEqual(len(result["locations"]), 1)
            physical = result["locations"][0]["physicalLocation"]
            uri = physical["artifactLocation"]["uri"]
            self.assertFalse(uri.startswith("/"), uri)     # a URI: absolute paths get file://
            region = physical["region"]
            self.assertGreaterEqual(region["startLine"], 1)
            self.assertGreaterEqual(region["startColumn"], 1)
            got.append((os.path.basename(uri), region["startLine"], result["ruleId"]))
        want = [(os.path.basename(p), line, code) for p in paths[:2] for _, line, code in expected(p)]
        self.assertEqual(sorted(got), sorted(want))

    def test_sarif_uris(self):
        from memkit_lens import sarif
        here = os.getcwd()
        self.assertEqual(sarif.uri(os.path.join(here, "src", "my game.c")), "src/my%20game.c")
        self.assertEqual(sarif.uri("src/a.c"), "src/a.c")
        outside = os.path.join(os.path.dirname(here), os.path.basename(here) + "-other", "a.c")
        self.assertEqual(sarif.uri(outside), "file://" + outside)

    def test_sarif_without_findings_still_lists_rules(self):
        status, out, _ = self.lens("--format", "sarif", fixture("ml501_ok.c"))
        self.assertEqual(status, 0)
        run = json.loads(out)["runs"][0]
        self.assertEqual(run["results"], [])
        self.assertEqual(len(run["tool"]["driver"]["rules"]), 4)


# Runs the ctest entry with `import clang` failing, as on a machine without the bindings.
WITHOUT_CLANG = """
import importlib.abc, runpy, sys
class NoClang(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "clang" or name.startswith("clang."):
            raise ImportError("no clang here")
sys.meta_path.insert(0, NoClang())
runpy.run_path(sys.argv[1], run_name="__main__")
"""


class LoaderTest(unittest.TestCase):
    def test_reason_when_missing(self):
        if CINDEX is None:
            self.assertIn("apt-get install", WHY_NOT)
        else:
            self.assertEqual(WHY_NOT, "")

    def test_ctest_entry_skips_loudly_without_libclang(self):
        entry = os.path.join(ROOT, "tests", "lens", "check_ctest.py")
        run = subprocess.run([sys.executable, "-c", WITHOUT_CLANG, entry], capture_output=True, text=True)
        self.assertEqual(run.returncode, 77, run.stderr)
        self.assertIn("SKIP: memkit-lens check's tests need libclang", run.stderr)
        self.assertIn("python3-clang-14", run.stderr)

    def test_check_says_what_to_install_without_libclang(self):
        code = WITHOUT_CLANG.replace('runpy.run_path(sys.argv[1], run_name="__main__")',
                                     'sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__")')
        run = subprocess.run([sys.executable, "-c", code, os.path.join(ROOT, "tools", "memkit-lens"),
                              "check", fixture("ml104_ok.c")], capture_output=True, text=True)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("memkit-lens: error: libclang's Python bindings are not installed", run.stderr)


if __name__ == "__main__":
    unittest.main()
