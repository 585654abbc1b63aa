#!/usr/bin/env python3
"""memkit-lens simulate and suggest on a trace the runtime recorded (ctest record_trace_simulate).

usage: check_simulate_runtime.py RECORDING CONFIG

RECORDING is test_record_trace's run (tests/runtime/test_record_trace.c) with CONFIG. Replayed
against the config it ran with, simulate must predict what the runtime saw: each intent's
failures and peak bytes as the recording's last frame row has them. Replayed against the config
with the heap intent's budget doubled, it must predict no failures (what-if tuning). suggest must
size that budget from the trace's demand, above the one that failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from memkit_lens.recording import load  # noqa: E402

LENS = os.path.join(ROOT, "tools", "memkit-lens")
LIVE, PEAK, ALLOCS, FREES, FAILURES = range(5)


def lens(*args: str) -> str:
    run = subprocess.run([sys.executable, LENS, *args], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"FAIL: memkit-lens {' '.join(args)} exited {run.returncode}:\n{run.stderr}")
    return run.stdout


def main() -> int:
    recording, config = sys.argv[1], sys.argv[2]
    rec = load(recording)
    failures = []

    def check(cond: bool, what: str) -> None:
        if not cond:
            failures.append(what)

    check(bool(rec.trace) and rec.trace_dropped == 0, f"a whole trace (events {len(rec.trace)}, "
                                                      f"dropped {rec.trace_dropped})")
    check(any(e.op == "x" for e in rec.trace), "the run's failed requests are in the trace")
    last = rec.frames[-1]
    predicted = json.loads(lens("simulate", recording, "--config", config, "--json"))
    for i, it in enumerate(rec.intents):
        got = predicted["intents"][it.name]
        seen = last.intents[i]
        check(got["failures"] == seen[FAILURES],
              f"{it.name}: predicted {got['failures']} failures, the runtime had {seen[FAILURES]}")
        check(got["peak_bytes"] == seen[PEAK],
              f"{it.name}: predicted a peak of {got['peak_bytes']} bytes, the runtime's was {seen[PEAK]}")
    check(any(last.intents[i][FAILURES] for i in range(len(rec.intents))), "the run has failures to predict")

    # what if: the failing heap intent with twice its budget
    with open(config, encoding="utf-8") as f:
        text = f.read()
    bigger, n = re.subn(r'(\[intent\.blob\][^\[]*budget = )"4 KiB"', r'\1"8 KiB"', text)
    check(n == 1, "the config's blob budget is 4 KiB")
    with tempfile.TemporaryDirectory() as tmp:
        other = os.path.join(tmp, "bigger.toml")
        with open(other, "w", encoding="utf-8") as f:
            f.write(bigger)
        what_if = json.loads(lens("simulate", recording, "--config", other, "--json"))
    check(what_if["intents"]["blob"]["failures"] == 0, f"an 8 KiB blob budget predicts no failures: "
                                                      f"{what_if['intents']['blob']}")

    patch = lens("suggest", recording, "--config", config)
    m = re.search(r'^\+budget = "(\d+) KiB"', patch.split("[intent.blob]")[-1], re.M)
    check(m is not None and int(m.group(1)) * 1024 > 4096, f"suggest raises blob's budget:\n{patch}")

    for f in failures:
        print(f"FAIL: {f}")
    if not failures:
        print(f"simulate and suggest on a runtime trace of {len(rec.trace)} events: the prediction matches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
