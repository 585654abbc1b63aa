#!/usr/bin/env python3
"""Writes the seed corpus of the memkit fuzz harness (tests/fuzz/corpus/).

Each seed is a short program in the harness's byte language (see fuzz_ops.c):
an opcode byte, then its argument bytes. The seeds reach every operation and
every tier, policy and failure of tests/fuzz/fuzz.toml; libFuzzer mutates
from there. Run it again after changing the op encoding:

    python3 tests/fuzz/make_corpus.py
"""
import os
import random
import sys

# opcodes (fuzz_ops.c)
ALLOC, ALIGNED, CALLOC, FREE, FREE_SIZED, REALLOC, BEGIN, END, MARK, REWIND, GROW, TRANSFER, XFER, STATS, OOM, TOUCH = range(16)
# intents of fuzz.toml, in memkit-gen's (alphabetical) order
FR_BUDGET, FR_CB, FR_FAIL, HP_CB, HP_FAIL, HP_ZERO, PL_BIG, PL_CB, PL_FAIL, PL_FB = range(10)
BAD_INTENT = 255
FRAME = [FR_BUDGET, FR_CB, FR_FAIL]
POOL = [PL_BIG, PL_CB, PL_FAIL, PL_FB]
HEAP = [HP_CB, HP_FAIL, HP_ZERO]
ALL = FRAME + HEAP + POOL

# size table entries (index into k_sizes, encoded as 128 + index)
T = {0: 0, 1: 1, 8: 2, 15: 3, 16: 4, 17: 5, 24: 6, 31: 7, 32: 8, 33: 9, 48: 10, 63: 11, 64: 12, 65: 13,
     96: 14, 127: 15, 128: 16, 129: 17, 200: 18, 255: 19, 256: 20, 257: 21, 511: 22, 512: 23, 1000: 24,
     1023: 25, 1024: 26, 1025: 27, 2047: 28, 2048: 29, 4095: 30, 4096: 31, 4097: 32, 8191: 33, 8192: 34,
     8193: 35, 12000: 36, 16368: 37, 16376: 38, 16384: 39, 16385: 40, 24576: 41, 32768: 42, 65535: 43,
     65536: 44, 65537: 45, 131072: 46, 200000: 47, 262144: 48, 262160: 49, 300000: 50, 'MiB': 51,
     'GiB': 52, 'half': 53, 'half+1': 54, 'max-64': 55, 'max-16': 56, 'max-15': 57, 'max-14': 58,
     'max-8': 59, 'max-1': 60, 'max': 61}


def size(n):
    """Bytes encoding a size for rd_size."""
    if isinstance(n, int) and n < 128:
        return [n]
    if n in T:
        return [128 + T[n]]
    assert isinstance(n, int) and n < 65536
    return [192, n & 255, n >> 8]


def align(a):
    """Bytes encoding an alignment for rd_align (0: the default)."""
    if a == 0:
        return [0]
    odd = [3, 12, 24, 48, 96, 100, 3000, 1 << 20]
    if a in odd and (a & (a - 1)) != 0 or a == 1 << 20:
        return [224 + odd.index(a)]
    return [96 + a.bit_length() - 1]


def alloc(intent, n): return [ALLOC, intent] + size(n)
def aligned(intent, n, a): return [ALIGNED, intent] + size(n) + align(a)
def calloc(intent, count, n, swap=0): return [CALLOC, intent] + size(count) + [n & 63, swap]
def free(slot): return [FREE, slot]
def free_sized(slot): return [FREE_SIZED, slot]
def realloc(sel, n, intent): return [REALLOC, sel] + size(n) + [intent]
def grow(sel, add, flags): return [GROW, sel] + size(add) + [flags]
def transfer(slot, off_sel, n, mode): return [TRANSFER, slot, off_sel] + size(n) + [mode]
def xfer(b): return [XFER, b]
def oom(mode): return [OOM, mode]


def prog(*parts):
    out = []
    for p in parts:
        out += p if isinstance(p, list) else [p]
    return bytes(out)


SEEDS = {}
SEEDS['01_alloc_each_intent'] = prog(*[alloc(i, 24) for i in ALL], STATS, *[free(0) for _ in ALL], STATS)
SEEDS['02_alloc_sizes'] = prog(*[alloc(i, n) for i in (PL_FB, HP_FAIL, FR_FAIL) for n in (0, 1, 16, 17, 64, 65, 128, 129, 1024, 4096)], STATS)
SEEDS['03_aligned'] = prog(*[aligned(i, 40, a) for i in (FR_FAIL, PL_FB, HP_FAIL, PL_BIG) for a in (0, 1, 16, 32, 64, 256, 4096)], STATS,
                           aligned(PL_FB, 8, 48), aligned(HP_FAIL, 8, 100), aligned(FR_FAIL, 8, 3000), aligned(HP_CB, 8, 1 << 20), STATS)
SEEDS['04_calloc'] = prog(calloc(PL_FB, 4, 8), calloc(HP_ZERO, 100, 40), calloc(FR_FAIL, 3, 33), calloc(PL_BIG, 0, 5),
                          calloc(HP_FAIL, 'max', 2), calloc(HP_FAIL, 'max', 2, 1), STATS)
SEEDS['05_free_sized'] = prog(*[alloc(i, n) for i in POOL for n in (1, 16, 20, 33, 100, 200)], *[free_sized(k) for k in range(24)], STATS)
SEEDS['06_realloc_pool_heap'] = prog(alloc(PL_FB, 20), realloc(0, 60, PL_FB), realloc(0, 10, PL_FB), realloc(0, 500, PL_FB),
                                     alloc(HP_FAIL, 100), realloc(1, 3000, HP_FAIL), realloc(1, 50, HP_FAIL), free_sized(0), free(0), STATS)
SEEDS['07_realloc_frame'] = prog(alloc(FR_FAIL, 40), realloc(0, 100, FR_FAIL), realloc(0, 30, PL_FB), realloc(1, 2000, HP_CB), STATS,
                                 BEGIN, END, BEGIN, STATS)
SEEDS['08_realloc_null_zero'] = prog(realloc(250, 33, PL_CB), realloc(250, 0, FR_FAIL), realloc(0, 0, 0), realloc(250, 64, BAD_INTENT), STATS)
SEEDS['09_frames'] = prog(*[alloc(FR_FAIL, 1000), alloc(FR_CB, 500), BEGIN, END, STATS] * 4)
SEEDS['10_frame_spill'] = prog(*[alloc(FR_FAIL, 5000) for _ in range(5)], STATS, BEGIN, *[alloc(FR_FAIL, 12000) for _ in range(3)], STATS, BEGIN, BEGIN, STATS)
SEEDS['11_frame_budget'] = prog(*[alloc(FR_BUDGET, 1000) for _ in range(6)], STATS, BEGIN, BEGIN, *[alloc(FR_BUDGET, 1000) for _ in range(3)], STATS)
SEEDS['12_mark_rewind'] = prog(alloc(FR_FAIL, 100), MARK, alloc(FR_FAIL, 200), alloc(FR_CB, 300), MARK, alloc(FR_BUDGET, 64),
                               [REWIND, 1], STATS, [REWIND, 0], STATS, alloc(FR_FAIL, 16), STATS)
SEEDS['13_rewind_old_frame'] = prog(MARK, alloc(FR_FAIL, 100), BEGIN, [REWIND, 0], BEGIN, [REWIND, 0], STATS)
SEEDS['14_rewind_spill'] = prog(alloc(FR_FAIL, 16000), MARK, alloc(FR_FAIL, 3000), alloc(FR_FAIL, 3000), STATS, [REWIND, 0], STATS)
SEEDS['15_grow'] = prog(alloc(FR_FAIL, 40), grow(0, 100, 0), grow(0, 1000, 0), STATS, alloc(FR_CB, 10), grow(1, 50, 0),
                        grow(0, 20000, 0), grow(0, 5, 0x20), STATS)
SEEDS['16_grow_null_einval'] = prog(grow(0, 64, 0x40), grow(0, 64, 0x80), grow(0, 0, 0x42), STATS)
SEEDS['17_grow_after_mark'] = prog(alloc(FR_FAIL, 48), MARK, grow(0, 200, 0), [REWIND, 0], STATS, grow(0, 16, 0), STATS)
SEEDS['18_transfer_block'] = prog(alloc(PL_FB, 40), alloc(HP_FAIL, 300), transfer(0, 0, 40, 0), transfer(1, 0, 200, 1),
                                  transfer(0, 0, 0, 0x80), transfer(1, 0, 1, 2), [XFER, 0], STATS)
SEEDS['19_transfer_frame'] = prog(alloc(FR_FAIL, 256), transfer(0, 5, 64, 0), transfer(0, 9, 32, 2), BEGIN, [XFER, 0],
                                  transfer(0, 0, 16, 2), BEGIN, BEGIN, [XFER, 0], STATS)
SEEDS['20_transfer_pending_end'] = prog(alloc(HP_CB, 64), alloc(PL_BIG, 300), transfer(0, 0, 64, 3), transfer(1, 0, 256, 2), FREE, 0, STATS, [XFER, 0x81])
SEEDS['21_pool_exhaust'] = prog(*[alloc(PL_FAIL, 64) for _ in range(20)], STATS, *[alloc(PL_FB, 128) for _ in range(10)], STATS)
SEEDS['22_pool_big'] = prog(*[alloc(PL_BIG, 1000) for _ in range(4)], *[alloc(PL_BIG, 200) for _ in range(6)], alloc(PL_BIG, 2000), STATS)
SEEDS['23_callback_free'] = prog(oom(1), *[alloc(PL_CB, 100) for _ in range(8)], STATS, oom(2), alloc(PL_CB, 120), oom(0), alloc(PL_CB, 120), STATS)
SEEDS['24_callback_frame_heap'] = prog(oom(1), *[alloc(FR_CB, 3000) for _ in range(5)], *[alloc(HP_CB, 60000) for _ in range(6)], STATS)
SEEDS['25_heap_exhaust'] = prog(*[alloc(HP_CB, 60000) for _ in range(5)], alloc(HP_FAIL, 60000), alloc(HP_ZERO, 9000), alloc(HP_ZERO, 9000), STATS)
SEEDS['26_huge_sizes'] = prog(*[alloc(i, n) for i in (FR_FAIL, FR_CB, PL_FB, HP_FAIL) for n in ('max', 'max-8', 'half', 'GiB', 300000)],
                              calloc(PL_FB, 'max', 63), STATS)
SEEDS['27_bad_intent'] = prog(alloc(BAD_INTENT, 16), aligned(BAD_INTENT, 16, 64), calloc(BAD_INTENT, 1, 1), STATS)
SEEDS['28_touch'] = prog(alloc(PL_FB, 60), alloc(FR_FAIL, 60), [TOUCH, 0], [TOUCH, 1], realloc(0, 100, PL_FB), STATS)
SEEDS['29_zero_on_free'] = prog(alloc(PL_FB, 64), alloc(HP_ZERO, 100), free(0), free(0), alloc(PL_FB, 64), alloc(HP_ZERO, 100), STATS)
SEEDS['30_total_budget'] = prog(*[alloc(HP_CB, 50000) for _ in range(4)], *[alloc(PL_FB, 128) for _ in range(30)], *[alloc(FR_FAIL, 12000) for _ in range(4)], STATS)

# a few longer random programs over every op (deterministic)
rng = random.Random(20240601)
for k in range(4):
    body = []
    for _ in range(60):
        op = rng.randrange(16)
        body.append(op)
        body += [rng.randrange(256) for _ in range(4)]
    SEEDS[f'9{k}_random'] = bytes(b if b not in (0xb6, 0xb5) else 0x10 for b in body)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    total = 0
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
        total += len(data)
    print(f'wrote {len(SEEDS)} seeds ({total} bytes) to {out}', file=sys.stderr)


if __name__ == '__main__':
    main()
