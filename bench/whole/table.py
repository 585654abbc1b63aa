"""Prints hyperfine's JSON export of bench/whole/run.sh as a Markdown table.

    python3 bench/whole/table.py RESULTS.json FRAMES

One row per command (named with hyperfine -n): median and range of the whole
process's wall time, frames per second over that median, that rate as a ratio
to the command named "memkit" (above 1: faster than memkit), and the mean CPU
time (user + system, all threads), which a loaded machine disturbs less than
the wall time. Standard library only.
"""
import json
import sys


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: table.py RESULTS.json FRAMES")
    with open(argv[1], encoding="utf-8") as f:
        results = json.load(f)["results"]
    frames = int(argv[2])
    base = next((r["median"] for r in results if r["command"] == "memkit"), None)
    print(f"| build ({frames} frames, {len(results[0]['times'])} runs) | median s | min–max s | frames/s | vs memkit "
          "| CPU s (user+sys, mean) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        ratio = f"{base / r['median']:.2f}" if base else "-"
        print(f"| {r['command']} | {r['median']:.3f} | {r['min']:.3f}–{r['max']:.3f} "
              f"| {frames / r['median']:.0f} | {ratio} | {r['user'] + r['system']:.3f} |")


if __name__ == "__main__":
    main(sys.argv)
