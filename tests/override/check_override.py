#!/usr/bin/env python3
"""check_override.py — runs a program without and with libmemkit_override
preloaded and checks what the preloaded run shows (tests/override/CMakeLists.txt).

  check_override.py --lib LIB --dir DIR MODE -- PROGRAM [ARGS...]

Both runs must exit alike with identical output (the budget mode expects the
program's own out-of-memory error instead). The preloaded run writes
memkit's statistics at exit (MEMKIT_OVERRIDE_STATS, docs/override.md): the
memkit-snapshot JSON, and the interposer's own counters in PATH.override.
MODE says which intents must show the program's allocations and how they
must balance. Exit 0 when every check holds, 1 with each failure listed.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.environ.get("OVERRIDE_TESTS", os.path.dirname(os.path.abspath(__file__)))
FIELDS = ("live", "peak", "allocs", "frees", "failures")  # docs/recording.md: frames[].intents[i]


def run(cmd, stdin_path, env):
    with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as stdin:
        p = subprocess.run(cmd, stdin=stdin, capture_output=True, env=env, timeout=100)
    return p.returncode, p.stdout, p.stderr


def load_stats(path):
    with open(path) as f:
        doc = json.load(f)
    row = doc["frames"][-1]
    names = [i["name"] for i in doc["intents"]]
    intents = {n: dict(zip(FIELDS, v)) for n, v in zip(names, row["intents"])}
    with open(path + ".override") as f:
        own = json.load(f)
    return intents, own


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("mode", choices=("api", "cpp", "sqlite", "lua", "python", "budget"))
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    stdin = os.path.join(HERE, "workload.sql") if a.mode in ("sqlite", "budget") else None
    stats = os.path.join(a.dir, f"override_{a.mode}.json")
    for old in (stats, stats + ".override"):
        if os.path.exists(old):
            os.remove(old)
    problems = []

    def check(ok, what):
        if not ok:
            problems.append(what)

    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "MEMKIT_OVERRIDE_STATS")}
    plain = run(cmd, stdin, env)
    env_pre = dict(env, LD_PRELOAD=os.path.abspath(a.lib), MEMKIT_OVERRIDE_STATS=stats)
    pre = run(cmd, stdin, env_pre)
    print(f"plain: exit {plain[0]}, {len(plain[1])} bytes out; preloaded: exit {pre[0]}, {len(pre[1])} bytes out")
    if a.mode == "budget":
        err = pre[1] + pre[2]
        check(plain[0] == 0, f"the plain run fails: exit {plain[0]}: {plain[2][-300:]!r}")
        check(pre[0] > 0, f"the run on a small budget exits {pre[0]}, not an error status (a signal is < 0)")
        check(b"out of memory" in err, f"sqlite3 does not say 'out of memory': {err[-300:]!r}")
    elif a.mode == "api":
        # glibc itself fails some of the checks (aligned_alloc(3, n) succeeds before glibc 2.38): no plain run to match
        check(pre[0] == 0 and pre[1] == b"ok\n", f"preloaded: exit {pre[0]}: {pre[1][-300:]!r} {pre[2][-800:]!r}")
    else:
        check(plain[0] == 0 and pre[0] == 0, f"exit status: plain {plain[0]}, preloaded {pre[0]}: "
              f"{pre[2][-500:]!r}")
        check(plain[1] == pre[1], "the outputs differ:\n--- plain\n" + plain[1][-800:].decode(errors="replace")
              + "\n--- preloaded\n" + pre[1][-800:].decode(errors="replace"))
    if not os.path.exists(stats) or not os.path.exists(stats + ".override"):
        problems.append(f"no statistics written to {stats}")
        return report(problems)
    intents, own = load_stats(stats)
    print("intents:", json.dumps(intents))
    print("override:", json.dumps(own))
    for name, i in intents.items():
        # balance: what was allocated is freed or still live
        check(i["allocs"] >= i["frees"], f"intent {name}: more frees than allocations: {i}")
        check(i["live"] != 0 or i["allocs"] == i["frees"],
              f"intent {name}: no live bytes, but allocations {i['allocs']} != frees {i['frees']}")
        check(i["live"] <= i["peak"], f"intent {name}: live above peak: {i}")
        if a.mode not in ("budget", "cpp", "api"):  # those ask for impossible sizes on purpose
            check(i["failures"] == 0, f"intent {name}: {i['failures']} failed allocations")
    check(a.mode == "budget" or own["budget_refusals"] == 0, f"budget refusals without a budget: {own}")

    if a.mode == "sqlite":
        s = intents["sqlite"]
        check(s["allocs"] > 10000, f"libsqlite3's calls are not on the sqlite intent: {s}")
        check(s["peak"] > 1 << 20, f"the sqlite intent peaked at {s['peak']} bytes: too little for the workload")
        check(intents["app"]["allocs"] > 0, "nothing on the default intent (the shell's own calls, libc's)")
        # the shell closes its database at exit: sqlite has freed all it allocated
        check(s["allocs"] == s["frees"] and s["live"] == 0, f"the sqlite intent does not balance: {s}")
    elif a.mode == "budget":
        s = intents["sqlite"]
        check(own["budget_refusals"] > 0 and s["failures"] > 0, f"no budget refusal counted: {s} {own}")
        check(s["peak"] <= 192 * 1024, f"the sqlite intent went past its budget: {s}")
    elif a.mode == "lua":
        m = intents["main"]
        check(m["allocs"] > 50000, f"lua5.4's own calls (the <main> rule) are not on the main intent: {m}")
        check(intents["sqlite"]["allocs"] == 0, "calls on the sqlite intent from a program without libsqlite3")
        # lua.c closes its state at exit: the interpreter has freed all it allocated
        check(m["allocs"] == m["frees"] and m["live"] == 0, f"the main intent does not balance: {m}")
    elif a.mode == "python":
        m = intents["main"]
        check(m["allocs"] > 1000, f"python3's own calls (the <main> rule) are not on the main intent: {m}")
    elif a.mode == "cpp":
        m = intents["main"]
        # the program frees everything it allocates: the <main> rule's intent ends empty
        check(m["allocs"] > 20000, f"the program's new/delete are not on the main intent: {m}")
        check(m["allocs"] == m["frees"] and m["live"] == 0, f"the main intent does not balance: {m}")
        check(own["libc_allocs"] > 0, "no call took glibc, though 10 threads ran at once with max_threads = 6")
    elif a.mode == "api":
        check(own["foreign_frees"] >= 3 and own["foreign_reallocs"] >= 2,
              f"the test's glibc blocks were not seen as foreign: {own}")
        # libsqlite3 is installed with the build's packages (the Makefile's APT_PACKAGES)
        s = intents["sqlite"]
        check(s["allocs"] >= 100 and own["rescans"] >= 2,
              f"the dlopen'ed libsqlite3's calls did not take its rule (is libsqlite3.so.0 installed?): {s} {own}")
        m = intents["main"]
        check(m["allocs"] >= 2000 and m["allocs"] - m["frees"] <= 16,
              f"the program's calls on the main intent do not balance: {m}")
    return report(problems)


def report(problems):
    for p in problems:
        print("FAILED:", p)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
