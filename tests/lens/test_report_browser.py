#!/usr/bin/env python3
"""Loads the fixture's report in headless Chromium: the page loads, its DOM has every chart with
the right series, the console stays silent, and a screenshot is kept as the test's artifact.

A script (CTest runs it; exit 77 is a SKIP when Chromium is missing), not a unittest module:

    python3 tests/lens/test_report_browser.py [ARTIFACT_DIR]

ARTIFACT_DIR (default build/lens-browser) receives report.html, dom.html, console.txt and
report.png. Before trusting a silent console, the test loads a page that throws and checks that
the error is seen, so a Chromium that logs nothing cannot pass it."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, REPO)

from tests.lens.report_page import ReportPage, check_fixture_page  # noqa: E402
from tests.lens.support import GAME, RECORDING, run_lens  # noqa: E402

SKIP = 77
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium(browser: str, profile: str, url: str, *extra: str):
    """Runs headless Chromium on `url`; returns (stdout, console lines from stderr)."""
    r = subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
                        f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, url],
                       capture_output=True, text=True, timeout=120)
    console = [x for x in r.stderr.splitlines() if ":CONSOLE" in x or "Uncaught" in x]
    return r.returncode, r.stdout, console


def main(argv) -> int:
    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        print("SKIP: test_report_browser: no Chromium (apt-get install chromium); the report was not loaded "
              "in a browser", file=sys.stderr)
        return SKIP
    out = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(REPO, "build", "lens-browser"))
    os.makedirs(out, exist_ok=True)
    check = unittest.TestCase()
    with tempfile.TemporaryDirectory() as profile:
        canary = os.path.join(out, "canary.html")
        with open(canary, "w") as f:
            f.write("<!DOCTYPE html><html><body><script>memkit_lens_canary();</script></body></html>\n")
        _, _, console = chromium(browser, profile, "file://" + canary, "--dump-dom")
        if not any("memkit_lens_canary" in x for x in console):
            print(f"FAIL: {browser} did not report the canary page's error: console errors cannot be seen",
                  file=sys.stderr)
            return 1

        html = os.path.join(out, "report.html")
        r = run_lens(["report", RECORDING, "--config", GAME, "-o", html])
        if r.returncode:
            print(f"FAIL: memkit-lens report: {r.stderr}", file=sys.stderr)
            return 1
        rc, dom, console = chromium(browser, profile, "file://" + html, "--dump-dom")
        with open(os.path.join(out, "dom.html"), "w", encoding="utf-8") as f:
            f.write(dom)
        with open(os.path.join(out, "console.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(console) + "\n")
        try:
            check.assertEqual(rc, 0, "chromium --dump-dom failed")
            check.assertIn("memkit report: game.json", dom)
            check_fixture_page(check, ReportPage(dom))
            check.assertEqual(console, [], "console messages")
        except AssertionError as e:
            print(f"FAIL: {e} (artifacts in {out})", file=sys.stderr)
            return 1

        png = os.path.join(out, "report.png")
        if os.path.exists(png):
            os.remove(png)
        chromium(browser, profile, "file://" + html, f"--screenshot={png}", "--window-size=1100,3400",
                 "--hide-scrollbars")
        with open(png, "rb") if os.path.exists(png) else open(os.devnull, "rb") as f:
            head = f.read(8)
        if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(png) < 20000:
            print(f"FAIL: no screenshot at {png}", file=sys.stderr)
            return 1
    print(f"ok: the report loads in {browser} with every chart and a silent console; screenshot {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
