#!/usr/bin/env python3
"""check_vma_json.py DUMP — checks that a GPU tier dump (mk_gpu_stats_json)
follows Vulkan Memory Allocator's vmaBuildStatsString schema, as VMA's
GpuMemDump.schema.json and its GpuMemDumpVis.py read it: the keys and their
types, the suballocation type names, suballocations that tile each block in
offset order, and statistics that add up. Exit status 0 when it does."""
import json
import sys

STATS = ("BlockCount", "BlockBytes", "AllocationCount", "AllocationBytes", "UnusedRangeCount")
TYPES = ("BUFFER", "IMAGE_UNKNOWN", "IMAGE_LINEAR", "IMAGE_OPTIMAL", "UNKNOWN")
TYPE_FLAGS = ("DEVICE_LOCAL", "HOST_VISIBLE", "HOST_COHERENT", "HOST_CACHED", "LAZILY_ALLOCATED", "PROTECTED")
HEAP_FLAGS = ("DEVICE_LOCAL", "MULTI_INSTANCE")
problems = []


def need(cond, what):
    if not cond:
        problems.append(what)
    return cond


def uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def check_stats(s, where):
    if not need(isinstance(s, dict), f"{where}: statistics are not an object"):
        return
    for k in STATS:
        need(uint(s.get(k)), f"{where}: {k} missing or not an unsigned integer")
    extra = set(s) - set(STATS) - {"AllocationSizeMin", "AllocationSizeMax", "UnusedRangeSizeMin", "UnusedRangeSizeMax"}
    need(not extra, f"{where}: unknown keys {sorted(extra)}")
    need(("AllocationSizeMin" in s) == (s.get("AllocationCount", 0) > 1), f"{where}: AllocationSizeMin iff count > 1")
    need(("UnusedRangeSizeMin" in s) == (s.get("UnusedRangeCount", 0) > 1), f"{where}: UnusedRangeSizeMin iff count > 1")


def check_flags(flags, names, where):
    ok = isinstance(flags, list) and all(isinstance(f, str) and f in names or uint(f) for f in flags)
    need(ok, f"{where}: Flags {flags!r} are not VMA's flag names")


def check_allocation(a, where, with_offset):
    need(a.get("Type") in TYPES, f"{where}: Type {a.get('Type')!r} is not one of VMA's")
    need(uint(a.get("Size")) and a["Size"] > 0, f"{where}: Size")
    need(uint(a.get("Usage")), f"{where}: Usage (GpuMemDumpVis reads it)")
    need(not with_offset or uint(a.get("Offset")), f"{where}: Offset")


def check_block(b, where, totals):
    for k in ("MapRefCount", "TotalBytes", "UnusedBytes", "Allocations", "UnusedRanges"):
        need(uint(b.get(k)), f"{where}: {k}")
    subs = b.get("Suballocations")
    if not need(isinstance(subs, list), f"{where}: Suballocations is not a list"):
        return
    at = used = allocations = unused = 0
    for i, s in enumerate(subs):
        w = f"{where} suballocation {i}"
        need(s.get("Offset") == at, f"{w}: Offset {s.get('Offset')} where {at} was expected (sorted, no gaps)")
        if s.get("Type") == "FREE":
            need(set(s) == {"Offset", "Type", "Size"}, f"{w}: a FREE range has keys {sorted(s)}")
            unused += 1
        else:
            check_allocation(s, w, True)
            used += s.get("Size", 0)
            allocations += 1
        at = s.get("Offset", at) + s.get("Size", 0)
    need(at == b.get("TotalBytes"), f"{where}: suballocations cover {at} of {b.get('TotalBytes')} bytes")
    need(b.get("UnusedBytes") == b.get("TotalBytes", 0) - used, f"{where}: UnusedBytes")
    need(b.get("Allocations") == allocations and b.get("UnusedRanges") == unused, f"{where}: counts")
    totals["BlockCount"] += 1
    totals["BlockBytes"] += b.get("TotalBytes", 0)
    totals["AllocationCount"] += allocations
    totals["AllocationBytes"] += used
    totals["UnusedRangeCount"] += unused


def main(path):
    with open(path, "rb") as f:
        d = json.load(f)
    need(list(d) == ["General", "Total", "MemoryInfo", "DefaultPools", "CustomPools"], f"root keys {list(d)}")
    g = d.get("General", {})
    need(g.get("API") == "Vulkan", "General.API must be \"Vulkan\" (GpuMemDumpVis checks it)")
    need(isinstance(g.get("GPU"), str), "General.GPU is required by the schema")
    check_stats(d.get("Total"), "Total")
    for name, heap in d.get("MemoryInfo", {}).items():
        need(name.startswith("Heap ") and name[5:].isdigit(), f"MemoryInfo key {name!r}")
        check_flags(heap.get("Flags"), HEAP_FLAGS, name)
        need(uint(heap.get("Size")), f"{name}: Size")
        budget = heap.get("Budget", {})
        need(uint(budget.get("BudgetBytes")) and uint(budget.get("UsageBytes")), f"{name}: Budget")
        check_stats(heap.get("Stats"), f"{name} Stats")
        for tname, t in heap.get("MemoryPools", {}).items():
            need(tname.startswith("Type ") and tname[5:].isdigit(), f"{name}: MemoryPools key {tname!r}")
            check_flags(t.get("Flags"), TYPE_FLAGS, f"{name} {tname}")
            check_stats(t.get("Stats"), f"{name} {tname} Stats")
    need(isinstance(d.get("DefaultPools"), dict), "DefaultPools must be an object")
    totals = dict.fromkeys(STATS, 0)
    things = 0
    for tname, pools in d.get("CustomPools", {}).items():
        need(tname.startswith("Type ") and tname[5:].isdigit(), f"CustomPools key {tname!r}")
        if not need(isinstance(pools, list), f"CustomPools {tname}: not a list of pools"):
            continue
        names = [p.get("Name") for p in pools]
        need(len(set(names)) == len(names), f"CustomPools {tname}: pool names repeat (GpuMemDumpVis keys by Name)")
        for p in pools:
            w = f"{tname} pool {p.get('Name')!r}"
            need(set(p) == {"Name", "PreferredBlockSize", "Blocks", "DedicatedAllocations"}, f"{w}: keys {sorted(p)}")
            need(uint(p.get("PreferredBlockSize")), f"{w}: PreferredBlockSize")
            for bid, b in p.get("Blocks", {}).items():
                need(bid.isdigit(), f"{w}: block id {bid!r}")
                check_block(b, f"{w} block {bid}", totals)
                things += 1
            for i, a in enumerate(p.get("DedicatedAllocations", [])):
                check_allocation(a, f"{w} dedicated {i}", False)
                totals["BlockCount"] += 1
                totals["BlockBytes"] += a.get("Size", 0)
                totals["AllocationCount"] += 1
                totals["AllocationBytes"] += a.get("Size", 0)
                things += 1
    need(things > 0, "no block and no dedicated allocation: GpuMemDumpVis has nothing to draw")
    for k in STATS:
        need(d.get("Total", {}).get(k) == totals[k], f"Total.{k} is {d.get('Total', {}).get(k)}, the pools add up to {totals[k]}")
    for p in problems:
        print(f"{path}: {p}", file=sys.stderr)
    print(f"{path}: {'VMA schema: ok' if not problems else f'{len(problems)} problem(s)'} ({things} blocks and dedicated allocations)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_vma_json.py DUMP.json")
    sys.exit(main(sys.argv[1]))
