"""What the target can address: the last checks, made on the built model.

On every target the static storage of the config and the runtime together
(footprint.py) must stay under what a program can link (x86-64's code model
on lp64). On 32-bit targets, besides: no region (a static array, a mapping of
mk_init, a mapped GPU block) may span 2 GiB or more, static and reserved
storage together may not pass 2 GiB, and no budget may be 4 GiB or more,
which a 32-bit program could never hold. Each error points at the key to
change, the largest offender first.
"""
from typing import Any, Dict, List, NamedTuple

from . import footprint
from .config import KeyPath, Places
from .diagnostics import Diagnostics
from .schema import fmt_size


class Region(NamedTuple):
    bytes: int            # its largest array or mapping
    total: int            # all its arrays, or all its mappings
    storage: str          # static | reserve (handle tables and channels are always static)
    path: KeyPath         # the key that sizes it
    what: str             # "[pool.small]"
    noun: str             # how a message names its largest region: "the pool's blocks"
    lower: str            # the hint: what to lower
    can_reserve: bool     # storage = "reserve" would take it out of static storage


def regions(m, pools: Dict[str, Any], fp: footprint.Footprint) -> List[Region]:
    """The config's large regions, in declaration order; `fp` is m's footprint."""

    def total(table: str, storage: str, static_bytes: int) -> int:
        """What the table's arrays weigh, or what mk_init maps for it."""
        return static_bytes if storage == "static" else \
            sum(r.bytes for r in fp.rows if r.group == "reserve" and r.table == table)

    out: List[Region] = []
    if m.frame:
        n = m.max_threads * m.frames_in_flight * m.frame.arena
        out.append(Region(n, n, m.frame.storage, ("frame", "arena"), "[frame]",
                          f"the arenas of {m.max_threads} threads x {m.frames_in_flight} frame slots x "
                          f"{fmt_size(m.frame.arena)}", "lower arena or max_threads", True))
    if m.heap:
        out.append(Region(m.heap.size, m.heap.size, m.heap.storage, ("heap", "size"), "[heap]", "the heap",
                          "lower size", True))
    for p in m.pools:
        key, what = "capacity" if "capacity" in pools[p.name] else "counts", f"[pool.{p.name}]"
        out.append(Region(p.bytes, total(what, p.storage, p.static_bytes), p.storage, ("pool", p.name, key), what,
                          "the pool's blocks", f"lower {key}, or split the pool in two", True))
    for t in m.handle_tables:
        out.append(Region(t.blocks_bytes, t.static_bytes, "static", ("handles", t.name, "capacity"),
                          f"[handles.{t.name}]", "the table's blocks", "lower capacity or block_size", False))
    for kind, key, tables in (("pool", "count", m.async_pools), ("arena", "max_chunks", m.async_arenas)):
        for a in tables:
            p, what = (a if kind == "pool" else a.chunk_pool), f"[async.{kind}.{a.name}]"
            out.append(Region(p.bytes, total(what, p.storage, p.static_bytes), p.storage,
                              ("async", kind, a.name, key), what,
                              "the pool's blocks" if kind == "pool" else "the arena's chunks", f"lower {key}", True))
    for ch in m.async_channels:
        out.append(Region(ch.static_bytes, ch.static_bytes, "static", ("async", "channel", ch.name, "capacity"),
                          f"[async.channel.{ch.name}]", "the ring", "lower capacity", False))
    return out


def check(m, pools: Dict[str, Any], places: Places, diag: Diagnostics) -> bool:
    """False after reporting what `m`'s target cannot address."""
    t = m.target
    fp = footprint.compute(m)
    ok = _budgets(m, places, diag) and _regions(m, pools, fp, places, diag)
    if ok and t.max_static is not None and fp.static_bytes > t.max_static:
        ok = _too_much(m, pools, places, diag, fp, fp.static_bytes, t.max_static, static_only=True)
    if ok and t.max_total is not None and fp.static_bytes + fp.total("reserve") > t.max_total:
        ok = _too_much(m, pools, places, diag, fp, fp.static_bytes + fp.total("reserve"), t.max_total,
                       static_only=False)
    return ok


def _budgets(m, places: Places, diag: Diagnostics) -> bool:
    """Budgets a 32-bit program could never hold: 4 GiB or more."""
    t, ok = m.target, True
    if t.pointer_bytes == 8:
        return True
    limits = [(r.budget, ("intent", r.name, "budget"), f"intent '{r.name}': budget") for r in m.routes]
    limits.append((m.budget_total, ("budget", "total"), "[budget]: total"))
    if m.scratch:
        limits.append((m.scratch.cap, ("scratch", "cap"), "[scratch]: cap"))
    for n, path, what in limits:
        if n >= t.address_space:
            diag.error(places.value(path), f"{what} {fmt_size(n)} can never be reached on target {t.name}: a "
                       f"{t.bits}-bit program addresses {fmt_size(t.address_space)} in all, its code and stacks "
                       "included", "lower it, or generate for a 64-bit target (target = \"lp64\")")
            ok = False
    return ok


def _regions(m, pools: Dict[str, Any], fp: footprint.Footprint, places: Places, diag: Diagnostics) -> bool:
    """Arrays and mappings larger than one region can be on the target."""
    t, ok = m.target, True
    limit = (f"on target {t.name} a region stays below 2 GiB (PTRDIFF_MAX: the largest array or mapping a "
             f"{t.bits}-bit program can index)" if t.pointer_bytes == 4 else
             f"on target {t.name} a region stays within {fmt_size(t.max_region)}")
    for r in regions(m, pools, fp):
        if r.bytes > t.max_region:
            diag.error(places.value(r.path), f"{r.what}: {r.noun} would take one region of {fmt_size(r.bytes)}; "
                       f"{limit}", r.lower)
            ok = False
    for h in m.gpu_heaps:
        if h.mapped and h.block > t.max_region:
            diag.error(places.value(("gpu", "heap", h.name, "block")), f"gpu heap '{h.name}': each block of "
                       f"{fmt_size(h.block)} is mapped into the program in one piece; {limit}",
                       "lower block: a host-visible heap keeps every block mapped")
            ok = False
    return ok


def _too_much(m, pools: Dict[str, Any], places: Places, diag: Diagnostics, fp: footprint.Footprint, total: int,
              limit: int, static_only: bool) -> bool:
    """One error, at the largest region counted, for storage over the target's limit, with a hint:
    the fewest regions whose reservation is enough (static storage), or the largest ones."""
    t = m.target
    counted = [r for r in regions(m, pools, fp) if r.storage == "static" or not static_only]
    counted.sort(key=lambda r: (-r.total, r.what))
    # The runtime's part is rounded: it moves with the runtime's structures, the config's does not.
    parts = (f"MKG_STATIC_BYTES {fmt_size(fp.total('config'))} and about {footprint.human(fp.total('runtime'))} "
             "of the runtime's static storage (memkit-gen --footprint lists them)")
    if static_only:
        what = f"static storage is more than the {fmt_size(limit)} {t.static_reason}: {parts}"
        over, chosen = total - limit, []
        for r in counted:  # the fewest regions, largest first, whose reservation is enough
            if r.can_reserve and over > 0:
                chosen.append(f"{r.what} ({fmt_size(r.total)})")
                over -= r.total
        hint = ("use storage = \"reserve\" for the large tiers, mapped by mk_init instead of linked into the "
                "program: " + ", ".join(chosen)) if chosen else ""
        if over > 0:
            fixed = [text for text, present in (
                ("handle tables are always static: lower their capacity or block_size", m.handle_tables),
                ("channels are always static: lower their capacity", m.async_channels)) if present]
            hint = "; ".join(fixed + ([hint] if hint else []))
    else:
        what = (f"static and reserved storage are more than the {fmt_size(limit)} a program on target {t.name} "
                f"can count on: {fmt_size(fp.total('reserve'))} mapped by mk_init, {parts}")
        largest = ", ".join(f"{r.what} ({fmt_size(r.total)})" for r in counted[:3])
        hint = f"{t.total_reason}: lower the largest tiers: {largest}"
    if counted:
        diag.error(places.value(counted[0].path), f"{counted[0].what}: {what}", hint)
    else:  # the runtime alone: max_threads
        diag.error(places.value(("memkit", "max_threads")), f"[memkit]: {what}", "lower max_threads")
    return False
