#!/usr/bin/env python3
"""Validates a recording and a snapshot against docs/recording.md, field by field.

usage: check_recording.py RECORDING SNAPSHOT EXPECTED

RECORDING and SNAPSHOT are what tests/runtime/test_record.c wrote through
mk_record_write_json and mk_stats_write_json (config tests/configs/record.toml);
EXPECTED holds the figures mk_stats_get gave that test after each frame, which
the rows must repeat. Exit status 1 with one line per problem.
"""
import json
import sys

TIERS = ("frame", "pool", "heap", "async")
ROW_WIDTHS = {"intents": 5, "phases": 3, "tiers": 2, "async_pools": 2, "gpu_heaps": 2}


class Checker:
    def __init__(self) -> None:
        self.problems = []

    def expect(self, cond: bool, where: str, what: str) -> bool:
        if not cond:
            self.problems.append(f"{where}: {what}")
        return cond

    def is_int(self, value, where: str) -> bool:
        return self.expect(isinstance(value, int) and not isinstance(value, bool) and value >= 0, where,
                           f"a non-negative JSON integer, got {value!r}")

    def keys(self, obj, required, where: str) -> bool:
        if not self.expect(isinstance(obj, dict), where, f"an object, got {type(obj).__name__}"):
            return False
        missing = [k for k in required if k not in obj]
        return self.expect(not missing, where, f"missing {', '.join(missing)}")

    def document(self, doc, kind: str) -> None:
        """Every field docs/recording.md lists, with its type; `kind` is recording or snapshot."""
        top = ["format", "version", "config", "target", "intents", "budget_total", "pools", "async_pools",
               "gpu_heaps", "tiers", "phases", "frames", "histogram", "trace"]
        if kind == "recording":
            top.append("dropped_frames")
        if not self.keys(doc, top, kind):
            return
        self.expect(doc["format"] == f"memkit-{kind}", kind, f"format {doc['format']!r}")
        self.expect(doc["version"] == 1, kind, f"version {doc['version']!r}")
        if kind == "snapshot":
            self.expect("dropped_frames" not in doc, kind, "a snapshot has no dropped_frames")
            self.expect(len(doc["frames"]) == 1, kind, f"one frame, got {len(doc['frames'])}")
        if self.keys(doc["config"], ["source", "sha256", "platform"], "config"):
            self.expect(all(isinstance(doc["config"][k], str) for k in ("source", "sha256", "platform")),
                        "config", "strings")
            self.expect(len(doc["config"]["sha256"]) == 64, "config.sha256", "64 hex digits")
        if self.keys(doc["target"], ["pointer_bytes", "threads", "max_threads", "frames_in_flight"], "target"):
            t = doc["target"]
            self.expect(t["pointer_bytes"] in (4, 8), "target.pointer_bytes", repr(t["pointer_bytes"]))
            self.expect(isinstance(t["threads"], bool), "target.threads", "a boolean")
            self.is_int(t["max_threads"], "target.max_threads")
            self.is_int(t["frames_in_flight"], "target.frames_in_flight")
        pools = [p.get("name") for p in doc["pools"] if isinstance(p, dict)]
        for i, intent in enumerate(doc["intents"]):
            where = f"intents[{i}]"
            if self.keys(intent, ["name", "tier", "pool", "budget"], where):
                self.expect(intent["tier"] in TIERS, where, f"tier {intent['tier']!r}")
                if intent["tier"] == "pool":
                    self.expect(intent["pool"] in pools, where, f"pool {intent['pool']!r} is not in pools")
                else:
                    self.expect(intent["pool"] is None, where, "pool is null for a tier other than pool")
                self.is_int(intent["budget"], where + ".budget")
        self.is_int(doc["budget_total"], "budget_total")
        for i, pool in enumerate(doc["pools"]):
            if self.keys(pool, ["name", "classes"], f"pools[{i}]"):
                c = pool["classes"]
                self.expect(all(isinstance(x, int) for x in c) and c == sorted(c), f"pools[{i}].classes",
                            "increasing integers")
        for i, a in enumerate(doc["async_pools"]):
            self.keys(a, ["name", "count", "block"], f"async_pools[{i}]")
        for i, g in enumerate(doc["gpu_heaps"]):
            self.keys(g, ["name", "block"], f"gpu_heaps[{i}]")
        self.expect(isinstance(doc["tiers"], list) and all(isinstance(t, str) for t in doc["tiers"]), "tiers",
                    "a list of names")
        self.expect(all(isinstance(p, str) for p in doc["phases"]), "phases", "a list of names")
        counts = {"intents": len(doc["intents"]), "tiers": len(doc["tiers"]),
                  "async_pools": len(doc["async_pools"]), "gpu_heaps": len(doc["gpu_heaps"])}
        last = -1
        for n, row in enumerate(doc["frames"]):
            where = f"frames[{n}]"
            if not self.keys(row, ["frame", "intents", "phases", "tiers", "async_pools", "gpu_heaps", "hazards"],
                             where):
                continue
            self.is_int(row["frame"], where + ".frame")
            self.expect(row["frame"] > last, where, "frames oldest first, each index once")
            last = row["frame"]
            for key, width in ROW_WIDTHS.items():
                rows = row[key]
                if key == "phases":
                    self.expect(len(rows) <= len(doc["phases"]), where + ".phases", "at most one row per phase")
                else:
                    self.expect(len(rows) == counts[key], f"{where}.{key}", f"{counts[key]} rows, got {len(rows)}")
                for r in rows:
                    if self.expect(isinstance(r, list) and len(r) == width, f"{where}.{key}", f"rows of {width}"):
                        for x in r:
                            self.is_int(x, f"{where}.{key}")
            for h in row["hazards"]:
                self.expect(isinstance(h, list) and len(h) == 2 and isinstance(h[0], str) and h[0].startswith("ML")
                            and isinstance(h[1], int) and h[1] > 0, where + ".hazards", f"[code, count], got {h!r}")
        if kind == "recording":
            self.is_int(doc["dropped_frames"], "dropped_frames")
        self.expect(doc["histogram"] == [], "histogram", "[] without [record] histogram")
        self.expect(doc["trace"] == {"dropped": 0, "events": []}, "trace", "empty without [record] trace_events")

    def figures(self, doc, expected) -> None:
        """The rows against what mk_stats_get said after each frame (tests/runtime/test_record.c)."""
        names = [i["name"] for i in doc["intents"]]
        entity, scratch = names.index("entity"), names.index("scratch")
        kept = expected["frames"][-expected["kept"]:]
        self.expect(len(doc["frames"]) == expected["kept"], "frames", f"the last {expected['kept']} frames")
        self.expect(doc["dropped_frames"] == expected["dropped"], "dropped_frames",
                    f"{expected['dropped']}, got {doc['dropped_frames']}")
        for row, want in zip(doc["frames"], kept):
            where = f"frame {want['frame']}"
            self.expect(row["frame"] == want["frame"], where, f"row of frame {row['frame']}")
            live, peak, allocs, frees, failures = row["intents"][entity]
            self.expect([allocs, frees, failures] == want["entity"], where,
                        f"entity [allocs, frees, failures] {[allocs, frees, failures]}, mk_stats_get said "
                        f"{want['entity']}")
            self.expect(peak >= live, where, "entity peak below live")
            self.expect(row["intents"][scratch][2] == want["scratch"][0], where,
                        f"scratch allocs {row['intents'][scratch][2]}, mk_stats_get said {want['scratch'][0]}")
            tiers = dict(zip(doc["tiers"], row["tiers"]))
            self.expect(tiers["frame"][1] > 0, where, "the frame tier's capacity")
        # Per-frame differences: frame f allocates f entity blocks in "update" (and the budget run in frame 3).
        by_frame = {r["frame"]: r for r in doc["frames"]}
        frames = sorted(by_frame)
        update = doc["phases"].index("update")
        for a, b in zip(frames, frames[1:]):
            entries = by_frame[b]["phases"][update][0] - by_frame[a]["phases"][update][0]
            self.expect(entries == 1, f"frame {b}", f"phase update entered once, got {entries}")
        failures = [by_frame[f]["intents"][entity][4] for f in frames]
        self.expect(failures == sorted(failures), "frames", "failures are cumulative")
        render = doc["phases"].index("render")
        first_render = min(f for f in frames if len(by_frame[f]["phases"]) > render)
        self.expect(by_frame[first_render]["phases"][render][0] >= 1, f"frame {first_render}", "render entered")
        hazards = {f: dict(by_frame[f]["hazards"]) for f in frames}
        seen = [f for f in frames if "ML502" in hazards[f]]
        self.expect(len(seen) == 1 and hazards[seen[0]]["ML502"] == expected["ml502_reports"], "hazards",
                    f"ML502 once, in one frame: {hazards}")


def main(argv) -> int:
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    docs = []
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            docs.append(json.load(f))
    recording, snapshot, expected = docs
    c = Checker()
    c.document(recording, "recording")
    c.document(snapshot, "snapshot")
    if not c.problems:
        c.figures(recording, expected)
    for p in c.problems:
        print(f"check_recording: {p}", file=sys.stderr)
    print(f"check_recording: {len(recording['frames'])} frames, {len(c.problems)} problem(s)")
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
