"""The model's derived numbers, overlays and semantic checks."""
import os
import re
import textwrap
import unittest

from . import support
from memkit_gen import config, footprint, model
from memkit_gen.target import TARGETS
from memkit_gen.diagnostics import Diagnostics

BASIC = """\
[memkit]
schema = 1
max_threads = 4
[frame]
arena = "64 KiB"
overflow = "heap"
[pool.small]
classes = [16, 32, 64]
capacity = "192 KiB"
thread_cache = 8
[heap]
size = "1 MiB"
fallback = "none"
[budget]
total = "4 MiB"
[intent.blob]
tier = "heap"
zero_on_free = true
[intent.entity]
tier = "pool"
pool = "small"
budget = "64 KiB"
[intent.particle]
tier = "pool"
on_exhausted = "fallback"
[intent.scratch]
tier = "frame"
budget = "128 KiB"
"""


def build(text, platform=None):
    diag = Diagnostics()
    source = config.parse_bytes("t.toml", textwrap.dedent(text).encode(), diag)
    built = model.build(source, platform) if source else None
    return built, diag


def build_clean(test, text, platform=None):
    """The model of `text`; fails `test` when it draws any diagnostic."""
    built, diag = build(text, platform)
    test.assertEqual(messages(diag), [])
    return built


def messages(diag, no_budget=False):
    """Severity and message of each diagnostic, in file order.

    ML503 (a pool or heap intent without a budget) is left out unless `no_budget`:
    many configs here leave budgets out on purpose; CodedWarningsTest covers it.
    """
    return [f"{d.severity}: {d.message}" for d in diag.sorted()
            if no_budget or d.code != model.ML_NO_BUDGET]


def coded(diag):
    """(line, col, code, message, hint) of each warning, in file order."""
    return [(d.line, d.col, d.code, d.message, d.hint) for d in diag.sorted() if d.severity == "warning"]


class DerivedNumbersTest(unittest.TestCase):
    def setUp(self):
        self.m = build_clean(self, BASIC)

    def test_routes(self):
        r = self.m.routes
        self.assertEqual([x.name for x in r], ["blob", "entity", "particle", "scratch"])
        self.assertEqual([(x.budget, x.tier, x.pool, x.on_exhausted, x.flags_value) for x in r],
                         [(0, "heap", 0, "fail", 0x01), (65536, "pool", 0, "fail", 0x0A),
                          (0, "pool", 0, "fallback", 0x08), (131072, "frame", 0, "fail", 0x02)])

    def test_capacity_split(self):
        p = self.m.pools[0]
        self.assertEqual([(c.size, c.blocks, c.offset) for c in p.classes],
                         [(16, 4096, 0), (32, 2048, 65536), (64, 1024, 131072)])
        self.assertEqual((p.bytes, p.span_shift, p.span_count), (196608, 12, 48))
        self.assertEqual(p.span_class, (0,) * 16 + (1,) * 16 + (2,) * 16)
        self.assertEqual(p.size_class, (0, 0, 1, 2, 2))

    def test_owner_tags_footprint(self):
        p = self.m.pools[0]
        self.assertEqual(p.owner, model.POOL_SHARED)
        self.assertEqual(p.tag_bytes, 196608 >> 4)
        self.assertEqual(self.m.frame.static_bytes, 4 * 2 * 65536)
        self.assertEqual(p.bitmap_words, (64 + 1) + (32 + 1) + (16 + 1))  # 4096, 2048, 1024 blocks
        self.assertEqual(self.m.static_bytes, 524288 + 1048576 + 196608 + 12288 + 8 * p.bitmap_words)
        self.assertEqual(self.m.budget_total, 4 << 20)
        self.assertEqual(self.m.alignment_shift, 4)

    def test_single_owner_has_no_tags(self):
        m, _ = build(BASIC.replace('[intent.particle]\ntier = "pool"', '[intent.particle]\ntier = "heap"'))
        p = m.pools[0]
        self.assertEqual(p.owner, 1)  # entity
        self.assertEqual(p.tag_bytes, 0)


class LayoutTest(unittest.TestCase):
    def test_span_shift(self):
        self.assertEqual(model.span_shift_for(1), 12)
        self.assertEqual(model.span_shift_for(1 << 24), 12)
        self.assertEqual(model.span_shift_for((1 << 24) + 1), 13)
        self.assertEqual(model.span_shift_for(1 << 30), 18)

    def test_counts_and_rounding(self):
        p = model.layout_pool("p", 1, 3, [48, 96], [100, 10], 16, 0, ("a",), 4, "reserve")
        self.assertEqual([(c.index, c.blocks, c.offset, c.region_bytes) for c in p.classes],
                         [(3, 100, 0, 8192), (4, 10, 8192, 4096)])
        self.assertEqual((p.bytes, p.span_count, p.span_class), (12288, 3, (3, 3, 4)))
        self.assertEqual(p.size_class, (3, 3, 3, 3, 4, 4, 4))
        self.assertEqual((p.tag_bytes, p.static_bytes), (0, 0))

    def test_shared_reserve_pool_has_no_tags(self):
        p = model.layout_pool("p", 0, 0, [16], [1], 16, model.POOL_SHARED, (), 0, "reserve")
        self.assertEqual(p.tag_bytes, 0)

    def test_global_class_indices_follow_sorted_pools(self):
        m, diag = build("""\
            [memkit]
            schema = 1
            [pool.zeta]
            classes = [16]
            counts = [1]
            thread_cache = 0
            [pool.alpha]
            classes = [16, 32]
            counts = [1, 1]
            thread_cache = 0
            [intent.a]
            tier = "pool"
            pool = "zeta"
            [intent.b]
            tier = "pool"
            pool = "alpha"
            """)
        self.assertEqual(messages(diag), [])
        self.assertEqual([(p.name, p.first_class, p.owner) for p in m.pools], [("alpha", 0, 1), ("zeta", 2, 0)])
        self.assertEqual([(c.index, c.pool) for c in m.classes], [(0, 0), (1, 0), (2, 1)])
        self.assertEqual([r.pool for r in m.routes], [1, 0])

    def test_minimal_config(self):
        m, diag = build("""\
            [memkit]
            schema = 1
            threads = false
            [heap]
            size = "4 KiB"
            [intent.only]
            tier = "heap"
            """)
        self.assertEqual(messages(diag), [])
        self.assertEqual((m.max_threads, m.frames_in_flight, m.alignment), (1, 2, 16))
        self.assertEqual((m.frame, m.pools, m.classes, m.static_bytes), (None, (), (), 4096))
        self.assertEqual(m.heap.fallback, "system")


class OverlayTest(unittest.TestCase):
    TEXT = BASIC + """\
[platform.small]
frame.arena = "16 KiB"
intent.entity.budget = "32 KiB"
heap.fallback = "system"
"""

    def test_applied(self):
        m = build_clean(self, self.TEXT, "small")
        self.assertEqual(m.platform, "small")
        self.assertEqual(m.frame.arena, 16384)
        self.assertEqual(m.routes[1].budget, 32768)
        self.assertEqual(m.heap.fallback, "system")

    def test_not_applied_without_platform(self):
        m, _ = build(self.TEXT)
        self.assertEqual((m.platform, m.frame.arena), ("", 65536))

    def test_hash_differs_per_platform(self):
        self.assertNotEqual(build(self.TEXT)[0].normalized, build(self.TEXT, "small")[0].normalized)

    def test_overlay_error_points_into_overlay(self):
        _, diag = build(self.TEXT.replace('"16 KiB"', '"16 KB"'))
        self.assertEqual([(d.line, d.col) for d in diag.errors], [(30, 15)])
        self.assertIn("platform 'small': [frame]: arena has an unknown size unit", diag.errors[0].message)

    def test_semantic_error_of_merged_config_points_into_overlay(self):
        _, diag = build(self.TEXT.replace('"16 KiB"', '1000'), "small")
        self.assertEqual([(d.line, d.col, d.message) for d in diag.errors],
                         [(30, 15, "[frame]: arena must be a multiple of alignment 16, got 1000")])

    def test_unknown_platform(self):
        _, diag = build(self.TEXT, "smal")
        self.assertEqual(messages(diag), ["error: unknown platform 'smal' (given with --platform)"])
        self.assertEqual(diag.errors[0].hint, "did you mean 'small'? known platforms: 'small'")

    def test_overlay_cannot_add_pool(self):
        _, diag = build(BASIC + "[platform.p]\npool.big.counts = [1]\n")
        self.assertEqual(messages(diag), ["error: platform 'p': unknown pool 'big'"])


LONGLIVED = BASIC + """\
[handles.meshes]
capacity = 32
block_size = "1 KiB"
[handles.entities]
capacity = 256
block_size = 64
[scratch]
intent = "blob"
cap = "256 KiB"
[deferred]
max_frames = 4
[intent.shared_docs]
tier = "heap"
refcount = "plain"
"""


class LongLivedTest(unittest.TestCase):
    """Handle tables, scratch buffers, deferred frees and reference counting."""

    def setUp(self):
        self.m = build_clean(self, LONGLIVED)

    def test_handle_tables_sorted_with_footprint(self):
        t = self.m.handle_tables
        self.assertEqual([(x.name, x.index, x.capacity, x.block_size, x.blocks_bytes) for x in t],
                         [("entities", 0, 256, 64, 16384), ("meshes", 1, 32, 1024, 32768)])
        self.assertEqual([x.static_bytes for x in t], [16384 + 256 * 20, 32768 + 32 * 20])
        base, _ = build(BASIC)
        self.assertEqual(self.m.static_bytes - base.static_bytes, 21504 + 33408)

    def test_scratch_and_deferred(self):
        self.assertEqual(self.m.scratch, model.Scratch("blob", 0, 262144))
        self.assertEqual(self.m.deferred, model.Deferred(1024, 4))

    def test_defaults_without_sections(self):
        m, _ = build(BASIC)
        self.assertEqual((m.handle_tables, m.scratch, m.deferred), ((), None, model.Deferred(1024, 8)))
        self.assertEqual({r.refcount for r in m.routes}, {"atomic"})

    def test_plain_refcount_flag(self):
        r = {x.name: x for x in self.m.routes}
        self.assertEqual((r["shared_docs"].refcount, r["shared_docs"].flags_value,
                          r["shared_docs"].flags), ("plain", 0x04, ("MK_ROUTE_PLAIN_REFCOUNT",)))
        self.assertEqual((r["blob"].refcount, r["blob"].flags_value), ("atomic", 0x01))

    def test_single_thread_makes_every_intent_plain(self):
        m = build_clean(self, LONGLIVED.replace("max_threads = 4", "threads = false"))
        self.assertEqual([(x.refcount, x.flags_value) for x in m.routes],
                         [("plain", 0x05), ("plain", 0x0E), ("plain", 0x0C), ("plain", 0x06), ("plain", 0x04)])

    def test_overlay_overrides_new_keys(self):
        m, diag = build(LONGLIVED + """\
[platform.p]
handles.entities.capacity = 64
scratch.cap = "64 KiB"
deferred.max_frames = 2
deferred.capacity = 16
intent.blob.refcount = "plain"
""", "p")
        self.assertEqual(messages(diag), [])
        self.assertEqual(m.handle_tables[0].capacity, 64)
        self.assertEqual((m.scratch.cap, m.deferred), (65536, model.Deferred(16, 2)))
        self.assertEqual(m.routes[0].flags_value, 0x05)

    def test_overlay_may_add_scratch_and_deferred(self):
        m, diag = build(BASIC + '[platform.p]\nscratch.intent = "entity"\nscratch.cap = 4096\n'
                                'deferred.capacity = 8\n', "p")
        self.assertEqual(messages(diag), [])
        self.assertEqual((m.scratch, m.deferred), (model.Scratch("entity", 1, 4096), model.Deferred(8, 8)))

    def test_overlay_cannot_add_handle_table(self):
        _, diag = build(LONGLIVED + "[platform.p]\nhandles.entitys.capacity = 1\n")
        self.assertEqual(messages(diag), ["error: platform 'p': unknown handle table 'entitys'"])
        self.assertEqual(diag.errors[0].hint,
                         "did you mean 'entities'? (an overlay cannot add a new handle table)")

    def test_hints(self):
        cases = [
            ('intent = "blob"', 'intent = "blb"', "[scratch]: unknown intent 'blb'", "did you mean 'blob'?"),
            ('intent = "blob"', 'intent = "scratch"',
             "[scratch]: intent 'scratch' has tier = \"frame\", but scratch buffers need a pool or heap intent",
             "frame memory is released with its frame and cannot be kept for reuse; "
             "pool or heap intents: 'blob', 'entity', 'particle', 'shared_docs'"),
            ("capacity = 256", "capcity = 256", "handle table 'entities': unknown key 'capcity'",
             "did you mean 'capacity'?"),
            ("capacity = 256\n", "", "handle table 'entities': missing required key 'capacity'",
             "add capacity = 256 (the most handles live at once)"),
            ('block_size = "1 KiB"', "block_size = 1000",
             "handle table 'meshes': block_size 1000 is not a multiple of alignment 16", "use 1008"),
            ('refcount = "plain"', 'refcount = "plane"',
             "intent 'shared_docs': refcount has an unknown value 'plane'", "did you mean 'plain'?"),
        ]
        for old, new, message, hint in cases:
            with self.subTest(new=new):
                _, diag = build(LONGLIVED.replace(old, new))
                self.assertEqual((diag.errors[0].message, diag.errors[0].hint), (message, hint))

    def test_limits(self):
        for old, new, fragment in [
                ("capacity = 256", "capacity = 16777217", "capacity must be between 1 and 16777216"),
                ('block_size = "1 KiB"', 'block_size = "2 MiB"', "block_size must be at most 1 MiB"),
                ("block_size = 64", "block_size = 8", "block_size 8 is smaller than alignment 16"),
                ("max_frames = 4", "max_frames = 0", "max_frames must be between 1 and 255, got 0"),
                ("max_frames = 4", "capacity = 1048577", "capacity must be between 1 and 1048576"),
                ('cap = "256 KiB"', "cap = 0", "[scratch]: cap must be greater than 0, got 0")]:
            with self.subTest(new=new):
                _, diag = build(LONGLIVED.replace(old, new))
                self.assertIn(fragment, diag.errors[0].message)
        m, _ = build(LONGLIVED.replace("capacity = 256", "capacity = 16777216"))
        self.assertEqual(m.handle_tables[0].blocks_bytes, 1 << 30)


class CodedWarningsTest(unittest.TestCase):
    """memkit-gen's best-practice warnings and their docs/diagnostics.md codes."""
    HEADER = "[memkit]\nschema = 1\n"

    def build(self, body, platform=None):
        return build(self.HEADER + textwrap.dedent(body), platform)

    def test_ml503_intent_without_budget(self):
        m, diag = self.build("""\
            [pool.small]
            classes = [16]
            counts = [4]
            thread_cache = 0
            [heap]
            size = "1 MiB"
            [intent.blobs]
            tier = "heap"
            [intent.items]
            tier = "pool"
            zero_on_free = true
            [intent.kept]
            tier = "pool"
            budget = 64
            """)
        self.assertIsNotNone(m)  # a warning, not an error
        self.assertEqual(coded(diag), [
            (9, 1, "ML503", "intent 'blobs' has no budget", "add budget = ... to bound it"),
            (11, 1, "ML503", "intent 'items' has no budget", "add budget = ... to bound it")])
        self.assertEqual(diag.render("t.toml")[:2], [
            "t.toml:9:1: warning: ML503: intent 'blobs' has no budget",
            "hint: add budget = ... to bound it"])

    def test_ml503_quiet_for_frame_intents(self):
        _, diag = self.build("""\
            [frame]
            arena = "64 KiB"
            [intent.ui]
            tier = "frame"
            """)
        self.assertEqual(coded(diag), [])

    def test_ml503_budget_from_overlay(self):
        text = """\
            [heap]
            size = "1 MiB"
            [intent.blobs]
            tier = "heap"
            [platform.small]
            intent.blobs.budget = "64 KiB"
            """
        self.assertEqual([d.code for d in self.build(text)[1].warnings], ["ML503"])
        self.assertEqual(self.build(text, "small")[1].warnings, [])

    def test_ml504_frame_without_frame_intent(self):
        _, diag = self.build("""\
            [frame]
            arena = "64 KiB"
            [heap]
            size = "1 MiB"
            [intent.blobs]
            tier = "heap"
            budget = "64 KiB"
            """)
        self.assertEqual(coded(diag), [(3, 1, "ML504", "[frame] is declared but no intent has tier = \"frame\"",
                                        "remove [frame], or route an intent to it")])
        self.assertEqual(diag.render("t.toml")[0],
                         "t.toml:3:1: warning: ML504: [frame] is declared but no intent has tier = \"frame\"")

    def test_ml505_unused_pool(self):
        _, diag = self.build("""\
            [pool.used]
            classes = [16]
            counts = [4]
            thread_cache = 0
            [pool.spare]
            classes = [32]
            counts = [4]
            thread_cache = 0
            [intent.items]
            tier = "pool"
            pool = "used"
            budget = 64
            """)
        self.assertEqual(coded(diag), [(7, 1, "ML505", "pool 'spare' is not used by any intent",
                                        "route an intent to it with tier = \"pool\" and pool = \"spare\", "
                                        "or remove it")])
        self.assertEqual(diag.render("t.toml")[0],
                         "t.toml:7:1: warning: ML505: pool 'spare' is not used by any intent")

    def test_ml506_budgets_over_total(self):
        _, diag = self.build("""\
            [heap]
            size = "1 MiB"
            [budget]
            total = "1 MiB"
            [intent.a]
            tier = "heap"
            budget = "1 MiB"
            [intent.b]
            tier = "heap"
            budget = "512 KiB"
            """)
        self.assertEqual(coded(diag), [(6, 9, "ML506", "[budget]: intent budgets add up to 1536 KiB, more than "
                                        "total 1 MiB", "the intents cannot all reach their budgets at once")])
        self.assertEqual(diag.render("t.toml")[0], "t.toml:6:9: warning: ML506: [budget]: intent budgets add up "
                                                   "to 1536 KiB, more than total 1 MiB")

    def test_ml508_async_intent_without_pool_or_arena(self):
        text = """\
            [intent.net]
            tier = "async"
            [intent.jobs]
            tier = "async"
            [intent.idle]
            tier = "async"
            [async.pool.requests]
            block = 64
            count = 4
            intent = "net"
            [async.arena.work]
            chunk = 256
            max_chunks = 4
            intent = "jobs"
            """
        m, diag = self.build(text)
        self.assertIsNotNone(m)
        self.assertEqual(coded(diag), [(7, 1, "ML508", "intent 'idle' has tier = \"async\" but no async pool or "
                                        "task arena serves it", "add intent = \"idle\" to an [async.pool.NAME] or "
                                        "[async.arena.NAME], or remove the intent")])
        self.assertEqual(diag.render("t.toml")[0], "t.toml:7:1: warning: ML508: intent 'idle' has tier = \"async\" "
                                                   "but no async pool or task arena serves it")
        _, diag = self.build(text.replace('intent = "net"', 'intent = "idle"'))
        self.assertEqual([w[3] for w in coded(diag)], ["intent 'net' has tier = \"async\" but no async pool or "
                                                       "task arena serves it"])

    def test_every_code_is_documented(self):
        codes = sorted(v for k, v in vars(model).items() if k.startswith("ML_"))
        self.assertEqual(codes, ["ML503", "ML504", "ML505", "ML506", "ML507", "ML508", "ML509"])
        with open(os.path.join(support.REPO, "docs", "diagnostics.md"), encoding="utf-8") as f:
            catalogue = f.read()
        with open(os.path.join(support.REPO, "docs", "config.md"), encoding="utf-8") as f:
            reference = f.read()
        for code in codes:
            with self.subTest(code=code):
                self.assertIn(f"\n| {code} | warning | ", catalogue)
                self.assertIn(f"\n### {code} — ", catalogue)
                self.assertIn(f"\n| `{code}` | ", reference)

    def test_errors_have_no_code(self):
        _, diag = self.build("alignment = 12\n[intent.a]\ntier = \"heap\"\n")
        self.assertTrue(diag.errors)
        self.assertTrue(all(d.code is None for d in diag.errors))
        self.assertTrue(all(": error: ML" not in line for line in diag.render("t.toml")))


class ChecksTest(unittest.TestCase):
    def test_warnings(self):
        _, diag = build("""\
            [memkit]
            schema = 1
            [frame]
            arena = "64 KiB"
            [pool.unused]
            classes = [16]
            counts = [1]
            thread_cache = 0
            [heap]
            size = "1 MiB"
            [budget]
            total = "1 MiB"
            [intent.a]
            tier = "heap"
            budget = "1 MiB"
            [intent.b]
            tier = "heap"
            budget = "1 KiB"
            """)
        self.assertEqual(messages(diag), [
            "warning: [frame] is declared but no intent has tier = \"frame\"",
            "warning: pool 'unused' is not used by any intent",
            "warning: [budget]: intent budgets add up to 1025 KiB, more than total 1 MiB"])
        self.assertEqual([d.code for d in diag.sorted()], ["ML504", "ML505", "ML506"])

    def test_all_errors_collected(self):
        _, diag = build("""\
            [memkit]
            schema = 1
            alignment = 12
            max_threads = 0
            [intent.a]
            tier = "heap"
            bogus = 1
            """)
        self.assertEqual(len(diag.errors), 4)

    def test_too_many_classes(self):
        pools = "".join(f"[pool.p{i}]\nclasses = [{', '.join(str(16 * (j + 1)) for j in range(100))}]\n"
                        f"counts = [{', '.join(['1'] * 100)}]\n" for i in range(3))
        _, diag = build("[memkit]\nschema = 1\n" + pools + "[intent.a]\ntier = \"pool\"\npool = \"p0\"\n")
        self.assertIn("pool 'p2': too many size classes: 300 across all pools, the limit is 255",
                      [d.message for d in diag.errors])




ASYNC = """\
[memkit]
schema = 1
alignment = 32
[heap]
size = "1 MiB"
[intent.assets]
tier = "heap"
budget = "64 KiB"
[intent.net]
tier = "async"
budget = "1 MiB"
[async.pool.requests]
block = "4 KiB"
count = 64
intent = "net"
[async.pool.cache]
block = 1024
count = 16
intent = "assets"
backpressure = "evict"
prefault = true
[async.pool.uploads]
block = "64 KiB"
count = 8
intent = "net"
backpressure = "timeout"
timeout = "250 ms"
storage = "reserve"
[async.channel.decoded]
capacity = 64
[async.channel.outbox]
capacity = 8
backpressure = "timeout"
timeout = "2 s"
[async.arena.jobs]
chunk = "64 KiB"
max_chunks = 32
intent = "net"
[async.arena.big]
chunk = "1 MiB"
max_chunks = 4
intent = "assets"
storage = "reserve"
"""


class AsyncTest(unittest.TestCase):
    """[async.pool.*], [async.channel.*], [async.arena.*] and tier = "async" intents."""

    def setUp(self):
        self.m = build_clean(self, ASYNC)

    def test_pools_sorted_with_defaults(self):
        self.assertEqual(self.m.async_pools, (
            model.AsyncPool("cache", 0, 1024, 16, "assets", 0, "evict", 0, "static", True, 32),
            model.AsyncPool("requests", 1, 4096, 64, "net", 1, "wait", 0, "static", False, 32),
            model.AsyncPool("uploads", 2, 65536, 8, "net", 1, "timeout", 250_000_000, "reserve", False, 32)))
        self.assertEqual([p.evict_slots for p in self.m.async_pools], [True, False, False])

    def test_channels(self):
        self.assertEqual(self.m.async_channels, (model.AsyncChannel("decoded", 0, 64, "wait", 0, 16),
                                                 model.AsyncChannel("outbox", 1, 8, "timeout", 2 * 10 ** 9, 16)))

    def test_arena_chunk_pools_follow_the_pools(self):
        big, jobs = self.m.async_arenas
        self.assertEqual((big.name, big.index, big.pool_index, jobs.name, jobs.index, jobs.pool_index),
                         ("big", 0, 3, "jobs", 1, 4))
        self.assertEqual(jobs.chunk_pool, model.AsyncPool("jobs", 4, 65536, 32, "net", 1, "fail", 0, "static", False,
                                                          32))
        self.assertEqual(big.chunk_pool.storage, "reserve")

    def test_static_bytes(self):
        cache, requests, uploads = self.m.async_pools
        self.assertEqual(cache.static_bytes, 16 * 1024 + 16 * 4 + 16 * 32)    # blocks, free stack, evict slots
        self.assertEqual(requests.static_bytes, 64 * 4096 + 64 * 4)
        self.assertEqual(uploads.static_bytes, 0)                            # reserved
        self.assertEqual([c.static_bytes for c in self.m.async_channels], [64 * 16, 8 * 16])
        self.assertEqual([a.static_bytes for a in self.m.async_arenas], [0, 32 * 65536 + 32 * 4])
        without, _ = build(ASYNC[:ASYNC.index("[async.")])
        self.assertEqual(self.m.static_bytes - without.static_bytes,
                         16 * 1060 + 64 * 4100 + 64 * 16 + 8 * 16 + 32 * 65540)

    def test_routes(self):
        self.assertEqual([(r.name, r.tier, r.pool, r.budget, r.flags) for r in self.m.routes],
                         [("assets", "heap", 0, 65536, ("MK_ROUTE_BUDGETED",)),
                          ("net", "async", 0, 1 << 20, ("MK_ROUTE_BUDGETED",))])

    def test_no_budget_warning_for_async_intents(self):
        _, diag = build(ASYNC.replace('budget = "1 MiB"\n', ""))
        self.assertEqual([d.code for d in diag.warnings], [])

    def test_without_async_sections(self):
        m = build_clean(self, BASIC)
        self.assertEqual((m.async_pools, m.async_channels, m.async_arenas), ((), (), ()))

    def test_overlay_changes_async_tables(self):
        m = build_clean(self, ASYNC + """\
[platform.small]
async.pool.requests.count = 8
async.pool.requests.backpressure = "timeout"
async.pool.requests.timeout = "50 us"
async.channel.decoded.capacity = 4
async.arena.jobs.max_chunks = 2
""", "small")
        requests = m.async_pools[1]
        self.assertEqual((requests.count, requests.backpressure, requests.timeout_ns), (8, "timeout", 50_000))
        self.assertEqual((m.async_channels[0].capacity, m.async_arenas[1].max_chunks), (4, 2))
        self.assertEqual(m.static_bytes, self.m.static_bytes - 56 * 4100 - 60 * 16 - 30 * 65540)

    def test_overlay_error_points_into_overlay(self):
        text = ASYNC + '[platform.small]\nasync.pool.requests.backpressure = "timeout"\n'
        self.assertIsNotNone(build_clean(self, text))   # checked, but not applied
        _, diag = build(text, "small")
        self.assertEqual([(d.line, d.col, d.message) for d in diag.errors],
                         [(45, 36, "async pool 'requests': backpressure = \"timeout\" needs a timeout")])
        _, diag = build(ASYNC + '[platform.small]\nasync.arena.jobs.chunk = 100\n')
        self.assertEqual([(d.line, d.col, d.message) for d in diag.errors],
                         [(45, 26, "platform 'small': task arena 'jobs': chunk must be at least 256 B, got 100 B")])

    def test_overlay_cannot_add_async_tables(self):
        for line, message, hint in [
                ("async.pool.request.count = 1", "unknown async pool 'request'",
                 "did you mean 'requests'? (an overlay cannot add a new async pool)"),
                ("async.channel.inbox.capacity = 1", "unknown channel 'inbox'",
                 "declared channels: 'decoded', 'outbox' (an overlay cannot add a new channel)"),
                ("async.arena.jbs.max_chunks = 1", "unknown task arena 'jbs'",
                 "did you mean 'jobs'? (an overlay cannot add a new task arena)")]:
            with self.subTest(line=line):
                _, diag = build(ASYNC + "[platform.p]\n" + line + "\n")
                self.assertEqual([(d.line, d.col, d.message, d.hint) for d in diag.errors],
                                 [(45, line.index(".", 6) + 2, "platform 'p': " + message, hint)])
        _, diag = build(BASIC + "[platform.p]\nasync.pool.requests.count = 1\n")
        self.assertEqual([(d.message, d.hint) for d in diag.errors], [(
            "platform 'p': unknown async pool 'requests'",
            "no declared async pools are defined (an overlay cannot add a new async pool)")])

    def test_deterministic(self):
        from memkit_gen import emit

        def render(text):
            built = build_clean(self, text)
            return emit.render(built, emit.banner_for(built, "memkit.toml", ".", "SHA"))

        # the same tables written in another order give the same C
        head, tables = ASYNC[:ASYNC.index("[async.")], re.split(r"(?=\[async\.)", ASYNC[ASYNC.index("[async."):])
        self.assertEqual(len(tables), 8)
        self.assertEqual(render(ASYNC), render(head + "".join(reversed(tables))))

    def test_errors_with_hints(self):
        cases = [
            ('intent = "assets"\nbackpressure', 'intent = "asets"\nbackpressure',
             "async pool 'cache': unknown intent 'asets'", "did you mean 'assets'?"),
            ("count = 16", "cuont = 16", "async pool 'cache': unknown key 'cuont'", "did you mean 'count'?"),
            ("capacity = 64", "capacty = 64", "channel 'decoded': unknown key 'capacty'",
             "did you mean 'capacity'?"),
            ('backpressure = "evict"', 'backpressure = "evcit"', "async pool 'cache': backpressure has an "
             "unknown value 'evcit'", "did you mean 'evict'?"),
            ('capacity = 64', 'capacity = 64\nbackpressure = "evict"', "channel 'decoded': backpressure cannot be "
             "\"evict\"", "channels never drop messages: a full channel makes its senders wait, fail or time out; "
             "choose 'wait', 'fail' or 'timeout'"),
            ('capacity = 64', 'capacity = 64\ntimeout = "1 s"', "channel 'decoded': timeout is only meaningful "
             "with backpressure = \"timeout\", not backpressure = \"wait\"",
             "remove timeout, or set backpressure = \"timeout\""),
            ('timeout = "2 s"', 'timeout = "2 sec"', "channel 'outbox': timeout has an unknown duration unit 'sec': "
             "\"2 sec\"", "write \"2 s\": durations use the units ns, us, ms, s"),
            ('timeout = "2 s"', "timeout = 2", "channel 'outbox': timeout must be a duration, not an integer",
             "write a duration such as \"50 ms\" (units: ns, us, ms, s)"),
            ('chunk = "64 KiB"', 'chunk = 1000', "task arena 'jobs': chunk 1000 is not a multiple of alignment 32",
             "use 1024"),
            ('block = 1024', 'block = 16', "async pool 'cache': block 16 is smaller than alignment 32", "use 32"),
            ('max_chunks = 32', 'max_chunks = 32\nbackpressure = "fail"', "task arena 'jobs': unknown key "
             "'backpressure'", "valid keys: 'chunk', 'max_chunks', 'intent', 'storage', 'prefault'"),
            ('max_chunks = 4', 'max_chunks = 1073741824', "task arena 'big': max_chunks must be between 1 and "
             "16777216, got 1073741824", None),
            ('[async.arena.big]', '[async.arena.big.x]', "task arena 'big': unknown key 'x'",
             "valid keys: 'chunk', 'max_chunks', 'intent', 'storage', 'prefault'"),
            ('[async.arena.big]', '[async.arenas.big]', "unknown section [async.arenas]", "did you mean 'arena'?"),
            ('tier = "async"', 'tier = "async"\noversize = "fail"', "intent 'net': oversize is only meaningful "
             "with tier = \"pool\", not tier = \"async\"", "remove oversize, or set tier = \"pool\""),
            ('tier = "async"', 'tier = "async"\npool = "x"', "intent 'net': pool is only meaningful with "
             "tier = \"pool\", not tier = \"async\"", "remove pool, or set tier = \"pool\""),
        ]
        for old, new, message, hint in cases:
            with self.subTest(new=new):
                self.assertIn(old, ASYNC)
                m, diag = build(ASYNC.replace(old, new, 1))
                self.assertIsNone(m)
                self.assertEqual((diag.errors[0].message, diag.errors[0].hint), (message, hint))

    def test_places(self):
        _, diag = build(ASYNC.replace("count = 16", "count = 0"))
        self.assertEqual([(d.line, d.col) for d in diag.errors], [(18, 9)])
        _, diag = build(ASYNC.replace('timeout = "2 s"', 'timeout = "2 h"'))
        self.assertEqual([(d.line, d.col) for d in diag.errors], [(34, 11)])
        _, diag = build(ASYNC.replace("[async.arena.big]", "[async]\nbig = 1\n[async.arena.big]"))
        self.assertEqual([(d.line, d.col, d.message) for d in diag.errors], [(40, 1, "[async]: unknown key 'big'")])
        self.assertEqual(diag.errors[0].hint,
                         "[async] holds only tables: [async.arena.NAME], [async.channel.NAME], [async.pool.NAME]")

    def test_limits(self):
        intent = '[memkit]\nschema = 1\n[intent.a]\ntier = "async"\n'
        pools = "".join(f"[async.pool.p{i}]\nblock = 16\ncount = 1\nintent = \"a\"\n" for i in range(200))
        arenas = "".join(f"[async.arena.a{i}]\nchunk = 256\nmax_chunks = 1\nintent = \"a\"\n" for i in range(56))
        _, diag = build(intent + pools + arenas)
        self.assertEqual([(d.message, d.hint) for d in diag.errors], [(
            "too many async pools and task arenas: 256, the limit is 255",
            "each task arena takes an async pool for its chunks")])
        self.assertIsNotNone(build_clean(self, intent + pools + arenas[:arenas.rindex("[async")]))
        channels = "".join(f"[async.channel.c{i}]\ncapacity = 1\n" for i in range(256))
        _, diag = build(intent + pools[:pools.index("[async", 1)] + channels)
        self.assertEqual([d.message for d in diag.errors], ["too many channels: 256, the limit is 255"])
        _, diag = build(intent + "[async.pool.x]\nblock = \"1 GiB\"\ncount = 1025\nintent = \"a\"\n")
        self.assertEqual([(d.message, d.hint) for d in diag.errors], [(
            "async pool 'x': count x block is 1100585369600 bytes, more than the 1024 GiB limit",
            "lower count or block")])
        m = build_clean(self, intent + "[async.pool.x]\nblock = \"1 GiB\"\ncount = 1024\nintent = \"a\"\n"
                              "storage = \"reserve\"\n")
        self.assertEqual((m.async_pools[0].bytes, m.static_bytes), (1 << 40, 0))

    def test_async_intent_errors(self):
        for old, new, message, hint in [
                ('tier = "async"', 'tier = "async"\nrefcount = "atomic"',
                 "intent 'net': refcount has no effect on an async intent",
                 "shared buffers live in pool or heap memory: set refcount on a pool or heap intent"),
                ('tier = "async"', 'tier = "async"\non_exhausted = "fallback"',
                 "intent 'net': on_exhausted = \"fallback\" is not available for an async intent",
                 "an async pool's backpressure says what a full pool does, and there is no tier to fall back to: "
                 "choose \"fail\", \"callback\" or \"panic\""),
                ('[async.pool.requests]', '[scratch]\nintent = "net"\ncap = 64\n[async.pool.requests]',
                 "[scratch]: intent 'net' has tier = \"async\", but scratch buffers need a pool or heap intent",
                 "async intents are served by async pools and task arenas, not by mk_alloc; pool or heap "
                 "intents: 'assets'")]:
            with self.subTest(new=new):
                _, diag = build(ASYNC.replace(old, new, 1))
                self.assertEqual([(d.message, d.hint) for d in diag.errors], [(message, hint)])
        for policy in ("fail", "callback", "panic"):
            build_clean(self, ASYNC.replace('tier = "async"', f'tier = "async"\non_exhausted = "{policy}"'))

    def test_tier_hints(self):
        _, diag = build(ASYNC.replace('tier = "async"', 'tier = "gpu"'))
        self.assertEqual([(d.message, d.hint) for d in diag.errors], [(
            "intent 'net': tier cannot be \"gpu\"",
            "GPU buffers have intents of their own: declare [gpu.intent.NAME] with a heap and a usage list; an "
            "[intent.NAME] is CPU memory ('frame', 'pool', 'heap' or 'async')")])
        _, diag = build(ASYNC.replace('tier = "async"\n', ""))
        self.assertEqual(diag.errors[0].hint, "add tier = \"frame\", \"pool\", \"heap\" or \"async\"")
        _, diag = build("[memkit]\nschema = 1\n[gpu.heap.x]\nmemory = 1\n")
        self.assertEqual(diag.errors[0].message, "gpu heap 'x': memory must be a string, not an integer")


class HandleTableLimitTest(unittest.TestCase):
    def test_more_than_256_tables_is_an_error(self):
        tables = "".join(f"[handles.t{i}]\ncapacity = 1\nblock_size = 16\n" for i in range(257))
        text = '[memkit]\nschema = 1\n[heap]\nsize = "64 KiB"\n[intent.a]\ntier = "heap"\n' + tables
        _, diag = build(text)
        self.assertIn("error: too many handle tables: 257, the limit is 256", messages(diag))


class SentinelTest(unittest.TestCase):
    def test_debug_sentinel_defaults_off_and_turns_on(self):
        base, diag = build(BASIC)
        self.assertFalse(base.sentinel)
        on = build_clean(self, BASIC + "\n[debug]\nsentinel = true\n")
        self.assertTrue(on.sentinel)

    def test_debug_rejects_unknown_keys(self):
        _, diag = build(BASIC + "\n[debug]\nsentinal = true\n")
        self.assertTrue(any("sentinal" in m for m in messages(diag)))


POOL_ONLY = """\
[memkit]
schema = 1
max_threads = 2
[pool.small]
classes = [16, 32, 64, 128, 256]
capacity = "80 KiB"
thread_cache = 4
[intent.items]
tier = "pool"
budget = "16 KiB"
"""
HEAP = '[heap]\nsize = "1 MiB"\n'


class OversizeTest(unittest.TestCase):
    """[intent.NAME] oversize: what a pool intent does with requests above its largest class."""

    def routes(self, text, platform=None):
        return {r.name: (r.oversize, r.flags) for r in build_clean(self, text, platform).routes}

    def test_default_follows_the_heap(self):
        self.assertEqual(self.routes(POOL_ONLY)["items"], ("fail", ("MK_ROUTE_BUDGETED",)))
        self.assertEqual(self.routes(POOL_ONLY + HEAP)["items"],
                         ("heap", ("MK_ROUTE_BUDGETED", "MK_ROUTE_OVERSIZE_HEAP")))

    def test_explicit_values_and_other_tiers(self):
        text = POOL_ONLY + 'oversize = "fail"\n' + HEAP + '[intent.blobs]\ntier = "heap"\nbudget = 64\n'
        m = build_clean(self, text)
        self.assertEqual([(r.name, r.oversize, r.flags_value) for r in m.routes],
                         [("blobs", None, 0x02), ("items", "fail", 0x02)])
        self.assertEqual(self.routes(POOL_ONLY + 'oversize = "fail"\n')["items"][0], "fail")

    def test_overlay(self):
        text = POOL_ONLY + HEAP + '[platform.tight]\nintent.items.oversize = "fail"\n'
        self.assertEqual(self.routes(text)["items"][0], "heap")
        self.assertEqual(self.routes(text, "tight")["items"], ("fail", ("MK_ROUTE_BUDGETED",)))

    def test_errors(self):
        for text, message, hint in [
                (POOL_ONLY + 'oversize = "heap"\n', 'intent \'items\': oversize = "heap" needs a [heap] section',
                 'add a [heap] section with a size, or choose oversize = "fail"'),
                (POOL_ONLY + 'oversize = "malloc"\n', "intent 'items': oversize has an unknown value 'malloc'",
                 "valid values: 'fail', 'heap'"),
                (POOL_ONLY + HEAP + '[intent.blobs]\ntier = "heap"\noversize = "fail"\n',
                 'intent \'blobs\': oversize is only meaningful with tier = "pool", not tier = "heap"',
                 'remove oversize, or set tier = "pool"')]:
            with self.subTest(message=message):
                m, diag = build(text)
                self.assertIsNone(m)
                self.assertEqual([(d.message, d.hint) for d in diag.errors], [(message, hint)])


class SentinelPoolTest(unittest.TestCase):
    """Sentinel mode: a pool request of n bytes takes a class >= header + n + canary, else the heap."""
    SENTINEL = "[debug]\nsentinel = true\n"

    def test_pool_intents_need_a_heap(self):
        m, diag = build(POOL_ONLY + self.SENTINEL)
        self.assertIsNone(m)
        self.assertEqual([(d.line, d.col, d.message, d.hint) for d in diag.errors], [(
            12, 12, "[debug]: sentinel = true needs a [heap] for pool intents: with 96 bytes of sentinel header "
            "and canary per block, pool 'small' serves requests up to 160 B, not up to its largest class, 256 B",
            "add [heap] with a size: sentinel mode serves the pool requests that no longer fit a class from "
            "the heap")])

    def test_header_rounds_up_to_the_alignment(self):
        text = POOL_ONLY.replace("max_threads = 2", "max_threads = 2\nalignment = 64").replace(
            "[16, 32, 64, 128, 256]", "[64, 128, 192]") + self.SENTINEL
        _, diag = build(text)
        self.assertIn("with 144 bytes of sentinel header and canary per block, pool 'small' serves requests "
                      "up to 48 B, not up to its largest class, 192 B", diag.errors[0].message)

    def test_every_pool_is_named(self):
        text = POOL_ONLY + '[pool.tiny]\nclasses = [16, 96]\ncounts = [64, 64]\nthread_cache = 0\n' \
            '[intent.bits]\ntier = "pool"\npool = "tiny"\nbudget = 64\n' + self.SENTINEL
        _, diag = build(text.replace('[intent.items]\ntier = "pool"', '[intent.items]\ntier = "pool"\npool = "small"'))
        self.assertIn("pool 'small' serves requests up to 160 B, not up to its largest class, 256 B; "
                      "pool 'tiny' (classes up to 96 B) serves no request", diag.errors[0].message)

    def test_fine_with_a_heap_or_without_pool_intents(self):
        self.assertTrue(build_clean(self, POOL_ONLY + HEAP + self.SENTINEL).sentinel)
        no_pool = '[memkit]\nschema = 1\n' + HEAP + '[intent.blobs]\ntier = "heap"\nbudget = 64\n' + self.SENTINEL
        self.assertTrue(build_clean(self, no_pool).sentinel)
        self.assertFalse(build_clean(self, POOL_ONLY).sentinel)

    def test_sentinel_from_an_overlay(self):
        text = POOL_ONLY + "[platform.debug]\ndebug.sentinel = true\n"
        self.assertIsNotNone(build_clean(self, text))
        _, diag = build(text, "debug")
        self.assertEqual([(d.line, d.col) for d in diag.errors], [(12, 18)])


class StaticLimitTest(unittest.TestCase):
    """Static storage (the config's and the runtime's) above 1.5 GiB cannot link on x86-64's default code model."""

    def heap(self, size, storage="static"):
        return build(f'[memkit]\nschema = 1\n[heap]\nsize = {size}\nstorage = "{storage}"\n'
                     '[intent.blobs]\ntier = "heap"\nbudget = 64\n')

    def test_limit(self):
        limit = TARGETS["lp64"].max_static
        self.assertEqual(limit, 1536 << 20)
        m, diag = self.heap('"1 GiB"')
        runtime = footprint.compute(m).total("runtime")     # the same for any heap this large
        room = (limit - runtime) // 16 * 16                 # heap sizes are multiples of the alignment
        m, diag = self.heap(room)
        self.assertEqual((m.static_bytes, diag.errors), (room, []))
        self.assertLessEqual(footprint.compute(m).static_bytes, limit)
        m, diag = self.heap(room + 16)
        self.assertIsNone(m)
        self.assertEqual([(d.line, d.col, d.message, d.hint) for d in diag.errors], [(
            4, 8, f"[heap]: static storage is more than the 1536 MiB that a program can link on x86-64's default "
            f"code model: MKG_STATIC_BYTES {room + 16} B and about {footprint.human(runtime)} of the runtime's "
            "static storage (memkit-gen --footprint lists them)", "use storage = \"reserve\" for the large tiers, mapped by mk_init instead of linked into the "
            f"program: [heap] ({room + 16} B)")])
        m, diag = self.heap('"4 GiB"', "reserve")
        self.assertEqual((m.static_bytes, diag.errors), (0, []))

    def test_points_at_the_largest_tier(self):
        m, diag = build("""\
            [memkit]
            schema = 1
            max_threads = 64
            [frame]
            arena = "8 MiB"
            [heap]
            size = "512 MiB"
            [handles.big]
            capacity = 512
            block_size = "1 MiB"
            [intent.blobs]
            tier = "heap"
            budget = 64
            [intent.work]
            tier = "frame"
            """)
        self.assertEqual([(d.line, d.col, d.hint) for d in diag.errors], [(
            5, 9, "use storage = \"reserve\" for the large tiers, mapped by mk_init instead of linked into the "
                  "program: [frame] (1 GiB)")])

    def test_async_tables(self):
        """Async pools and arenas can be reserved; channels cannot."""
        text = ('[memkit]\nschema = 1\n[intent.a]\ntier = "async"\n'
                '[async.pool.big]\nblock = "1 MiB"\ncount = 1024\nintent = "a"\n'
                '[async.arena.work]\nchunk = "1 MiB"\nmax_chunks = 512\nintent = "a"\n'
                '[async.channel.wide]\ncapacity = 16777216\n')
        _, diag = build(text)
        self.assertEqual([(d.line, d.col, d.message, d.hint) for d in diag.errors], [(
            7, 9, "[async.pool.big]: static storage is more than the 1536 MiB that a program can link on x86-64's "
            "default code model: MKG_STATIC_BYTES 1835014 KiB and about 72.9 KiB of the runtime's static storage "
            "(memkit-gen --footprint lists them)",
            "use storage = \"reserve\" for the large tiers, mapped by mk_init instead of linked into the program: "
            "[async.pool.big] (1048580 KiB)")])   # 1 GiB of blocks + 4 KiB of free stack
        # 7 x 256 MiB of channels alone are over the limit
        _, diag = build(text + "".join(f"[async.channel.w{i}]\ncapacity = 16777216\n" for i in range(6)))
        self.assertEqual(diag.errors[0].hint, "channels are always static: lower their capacity; use storage = "
                         "\"reserve\" for the large tiers, mapped by mk_init instead of linked into the program: "
                         "[async.pool.big] (1048580 KiB), [async.arena.work] (524290 KiB)")

    def test_handle_tables_only(self):
        _, diag = build('[memkit]\nschema = 1\n' + HEAP + '[intent.blobs]\ntier = "heap"\nbudget = 64\n'
                        '[handles.a]\ncapacity = 1024\nblock_size = "1 MiB"\n'
                        '[handles.b]\ncapacity = 1024\nblock_size = "1 MiB"\n')
        self.assertEqual([(d.line, d.message[:13], d.hint) for d in diag.errors], [
            (9, "[handles.a]: ", "handle tables are always static: lower their capacity or block_size; use "
                                "storage = \"reserve\" for the large tiers, mapped by mk_init instead of linked into "
                                "the program: [heap] (1 MiB)")])


class ThreadCacheWarningTest(unittest.TestCase):
    """ML507: all thread caches full at once would hold half or more of a class."""

    def warnings(self, text):
        _, diag = build(text)
        return [(d.line, d.col, d.message, d.hint) for d in diag.warnings if d.code == model.ML_THREAD_CACHE]

    def test_half_warns(self):
        # 4 x 2 = 8 blocks parked; class 16 has 16 blocks: exactly half
        text = POOL_ONLY.replace('capacity = "80 KiB"', "counts = [16, 17, 100, 100, 16]")
        self.assertEqual(self.warnings(text), [(
            7, 16, "pool 'small': thread caches can hold 8 blocks per class (thread_cache 4 x max_threads 2), "
                   "half or more of classes 16 (16 blocks), 256 (16 blocks)",
            "blocks parked in idle threads' caches are missing from the class; lower thread_cache, "
            "or give the class more blocks")])
        self.assertEqual(self.warnings(text.replace("thread_cache = 4", "thread_cache = 3")), [])
        self.assertEqual(self.warnings(text.replace("thread_cache = 4", "thread_cache = 0")), [])

    def test_defaults_and_single_thread(self):
        text = POOL_ONLY.replace("thread_cache = 4\n", "").replace("max_threads = 2", "max_threads = 1")
        text = text.replace('capacity = "80 KiB"', "counts = [64, 64, 64, 64, 65]")
        self.assertEqual([w[2] for w in self.warnings(text)], [
            "pool 'small': thread caches can hold 32 blocks per class (thread_cache 32 x max_threads 1), "
            "half or more of classes 16 (64 blocks), 32 (64 blocks), 64 (64 blocks), 128 (64 blocks)"])
        self.assertEqual(self.warnings(text.replace("max_threads = 1", "threads = false")),
                         self.warnings(text))
        self.assertTrue(self.warnings(text.replace("65]", "64]"))[0][2].endswith(
            "half or more of classes 16 (64 blocks), 32 (64 blocks), 64 (64 blocks), 128 (64 blocks) and 1 more"))

    def test_overlay_counts(self):
        text = POOL_ONLY + "[platform.many]\nmemkit.max_threads = 64\n"
        self.assertEqual(self.warnings(text), [])
        _, diag = build(text, "many")
        self.assertEqual([d.code for d in diag.warnings], ["ML507"])


HEAP_ONLY = """\
[memkit]
schema = 1
max_threads = 4
[heap]
size = "16 MiB"
fallback = "none"
[budget]
total = "16 MiB"
[intent.blob]
tier = "heap"
"""


class HeapCacheTest(unittest.TestCase):
    """[heap] thread_cache: blocks per size bin in each thread's heap front (issue 8)."""

    def test_bins_match_the_runtime(self):
        # 16-byte steps to 256 B, then 8 per doubling to 16 KiB (memkit/fastpath.h)
        self.assertEqual(len(model.HEAP_BIN_SIZES), 64)
        self.assertEqual(model.HEAP_BIN_SIZES[:3], (16, 32, 48))
        self.assertEqual(model.HEAP_BIN_SIZES[15:18], (256, 288, 320))
        self.assertEqual(model.HEAP_BIN_SIZES[-1], 16384)

    def test_default_stays_under_half_the_heap(self):
        self.assertEqual(build_clean(self, HEAP_ONLY).heap.thread_cache, 8)  # 8 x 199 KiB x 4 < 8 MiB
        small = build_clean(self, HEAP_ONLY.replace('"16 MiB"', '"4 MiB"'))
        self.assertEqual(small.heap.thread_cache, 2)
        tiny = build_clean(self, HEAP_ONLY.replace('"16 MiB"', '"1 MiB"'))
        self.assertEqual(tiny.heap.thread_cache, 0)  # no front at all: it would crowd the heap

    def test_explicit_value_that_crowds_warns(self):
        text = HEAP_ONLY.replace('fallback = "none"', 'fallback = "none"\nthread_cache = 16')
        m, diag = build(text)
        self.assertEqual(m.heap.thread_cache, 16)
        warned = [(d.line, d.col, d.message) for d in diag.warnings if d.code == model.ML_THREAD_CACHE]
        self.assertEqual(warned, [(7, 16, "[heap]: thread caches can hold 12736 KiB (thread_cache 16 blocks in "
                                          "each of 64 size bins x max_threads 4), half or more of the 16 MiB heap")])
        off = build_clean(self, text.replace("thread_cache = 16", "thread_cache = 0"))
        self.assertEqual(off.heap.thread_cache, 0)

    def test_prefault_reaches_every_tier(self):
        text = HEAP_ONLY.replace('fallback = "none"', 'fallback = "none"\nprefault = true')
        self.assertTrue(build_clean(self, text).heap.prefault)
        self.assertFalse(build_clean(self, HEAP_ONLY).heap.prefault)
        pooled = build_clean(self, POOL_ONLY.replace("thread_cache = 4", "thread_cache = 4\nprefault = true"))
        self.assertTrue(pooled.pools[0].prefault)
        _, diag = build(HEAP_ONLY.replace('fallback = "none"', 'fallback = "none"\nprefault = "yes"'))
        self.assertEqual([(d.line, d.col) for d in diag.errors], [(7, 12)])  # the value, not a bool


class PrefixTest(unittest.TestCase):
    def test_symbol_prefix(self):
        self.assertEqual(build_clean(self, POOL_ONLY).symbol_prefix, "")
        text = POOL_ONLY.replace("max_threads = 2", 'max_threads = 2\nprefix = "audio"')
        m = build_clean(self, text)
        self.assertEqual(m.symbol_prefix, "audio_")
        self.assertNotEqual(m.normalized, build_clean(self, POOL_ONLY).normalized)
        self.assertEqual(build_clean(self, text.replace('"audio"', '"a' + "b" * 23 + '"')).symbol_prefix,
                         "a" + "b" * 23 + "_")

    def test_invalid(self):
        for value, message, hint in [
                ('"Audio"', "[memkit]: prefix 'Audio' is not valid", None),
                ('"a' + "b" * 24 + '"', "[memkit]: prefix '" + "a" + "b" * 24 + "' is not valid", None),
                ('"2d"', "[memkit]: prefix '2d' is not valid", None),
                ('"audio-fx"', "[memkit]: prefix 'audio-fx' is not valid", None),
                ('""', "[memkit]: prefix '' is not valid", None),
                ("true", "[memkit]: prefix must be a string, not a boolean", None),
                ('"mkaudio"', "[memkit]: prefix 'mkaudio' starts with 'mk'",
                 "mk_, mk__ and mkg_ are memkit's own prefixes: name the component, e.g. prefix = \"audio\""),
                ('"mk"', "[memkit]: prefix 'mk' starts with 'mk'",
                 "mk_, mk__ and mkg_ are memkit's own prefixes: name the component, e.g. prefix = \"audio\""),
                ('"mk_net"', "[memkit]: prefix 'mk_net' starts with 'mk'",
                 "mk_, mk__ and mkg_ are memkit's own prefixes: name the component, e.g. prefix = \"net\"")]:
            with self.subTest(value=value):
                _, diag = build(POOL_ONLY.replace("max_threads = 2", f"max_threads = 2\nprefix = {value}"))
                self.assertEqual([d.message for d in diag.errors], [message])
                if hint:
                    self.assertEqual(diag.errors[0].hint, hint)
                else:
                    self.assertIn("1 to 24 lowercase letters", diag.errors[0].hint)


GPU_BASE = """\
[memkit]
schema = 1
frames_in_flight = 2
[heap]
size = "1 MiB"
[intent.a]
tier = "heap"
budget = 64
"""


class GpuTest(unittest.TestCase):
    """[gpu], [gpu.heap.NAME] and [gpu.intent.NAME]: flags, usage folding, defaults, checks, overlays."""

    def heap(self, memory, kind="tlsf", extra=""):
        text = GPU_BASE + f"[gpu.heap.h]\nmemory = \"{memory}\"\nblock = \"1 MiB\"\nkind = \"{kind}\"\n" + extra
        if kind != "ring":
            text += "[gpu.intent.i]\nheap = \"h\"\nusage = [\"storage\"]\n"
        return build_clean(self, text).gpu_heaps[0]

    def test_memory_flags(self):
        """(required, preferred, not preferred): DEVICE_LOCAL 1, HOST_VISIBLE 2, HOST_COHERENT 4, HOST_CACHED 8."""
        expected = {"device_local": (0, 0x1, 0x2, False), "upload": (0x2, 0x4, 0x8 | 0x1, True),
                    "readback": (0x2, 0x8, 0x1, True), "unified": (0x2, 0x1 | 0x4, 0, True)}
        for memory, flags in expected.items():
            with self.subTest(memory=memory):
                h = self.heap(memory)
                self.assertEqual((h.required, h.preferred, h.not_preferred, h.mapped), flags)
                self.assertEqual(h.memory, memory)

    def test_usage_folds_into_buffer_usage_flags(self):
        m = build_clean(self, GPU_BASE + textwrap.dedent("""\
            [gpu.heap.device]
            memory = "device_local"
            block = "64 MiB"
            [gpu.intent.all]
            heap = "device"
            usage = ["vertex", "index", "uniform", "storage", "transfer_src", "transfer_dst", "indirect"]
            [gpu.intent.meshes]
            heap = "device"
            usage = ["vertex", "index", "transfer_dst"]
            [gpu.intent.uniforms]
            heap = "device"
            usage = ["uniform"]
            """))
        flags = {i.name: i.usage_flags for i in m.gpu_intents}
        self.assertEqual(flags, {"all": 0x1F3, "meshes": 0x80 | 0x40 | 0x2, "uniforms": 0x10})
        self.assertEqual(m.gpu_intents[1].usage, ("transfer_dst", "index", "vertex"))  # in flag order
        self.assertEqual([(i.index, i.heap_index) for i in m.gpu_intents], [(0, 0), (1, 0), (2, 0)])

    def test_defaults(self):
        m = build_clean(self, GPU_BASE + textwrap.dedent("""\
            [gpu.heap.device]
            memory = "device_local"
            block = "64 MiB"
            [gpu.intent.meshes]
            heap = "device"
            usage = ["vertex"]
            """))
        h, i = m.gpu_heaps[0], m.gpu_intents[0]
        self.assertEqual((m.gpu_frames_in_flight, m.gpu_budget), (2, 0))  # [memkit] frames_in_flight
        self.assertEqual((h.kind, h.min_blocks, h.max_blocks, h.budget, h.intents), ("tlsf", 0, 64, 0, ("meshes",)))
        self.assertEqual((i.budget, i.on_exhausted), (0, "fail"))

    def test_max_blocks_default_covers_the_budget(self):
        def max_blocks(gpu, heap):
            m = build_clean(self, GPU_BASE + gpu + "[gpu.heap.h]\nmemory = \"upload\"\nblock = \"64 MiB\"\n" + heap
                            + "[gpu.intent.i]\nheap = \"h\"\nusage = [\"uniform\"]\n")
            return m.gpu_heaps[0].max_blocks
        self.assertEqual(max_blocks("", "budget = \"100 MiB\"\n"), 2)            # rounded up
        self.assertEqual(max_blocks("[gpu]\nbudget = \"1 GiB\"\n", ""), 16)     # the [gpu] budget
        self.assertEqual(max_blocks("[gpu]\nbudget = \"1 GiB\"\n", "budget = \"128 MiB\"\n"), 2)
        self.assertEqual(max_blocks("", "min_blocks = 100\n"), 100)             # never below min_blocks
        self.assertEqual(max_blocks("", "max_blocks = 7\n"), 7)

    def test_frames_and_budget(self):
        m = build_clean(self, GPU_BASE + "[gpu]\nframes_in_flight = 3\nbudget = \"1536 MiB\"\n")
        self.assertEqual((m.gpu_frames_in_flight, m.gpu_budget, m.gpu_heaps, m.gpu_intents), (3, 1536 << 20, (), ()))

    def test_no_gpu(self):
        m = build_clean(self, GPU_BASE)
        self.assertEqual((m.gpu_heaps, m.gpu_intents, m.gpu_budget, m.gpu_frames_in_flight), ((), (), 0, 2))

    def test_ring_needs_cpu_written_memory(self):
        self.assertEqual(self.heap("upload", "ring").kind, "ring")
        self.assertTrue(self.heap("unified", "ring").mapped)
        self.assertEqual(self.heap("readback", "linear").kind, "linear")  # per-frame readback: allowed
        for memory in ("device_local", "readback"):
            with self.subTest(memory=memory):
                m, diag = build(GPU_BASE + f"[gpu.heap.h]\nmemory = \"{memory}\"\nblock = \"1 MiB\"\nkind = \"ring\"\n")
                self.assertIsNone(m)
                self.assertEqual(messages(diag), [f"error: gpu heap 'h': kind = \"ring\" needs memory the CPU writes, "
                                                  f"not memory = \"{memory}\""])

    def test_unused_heap_warns_unless_ring(self):
        text = GPU_BASE + textwrap.dedent("""\
            [gpu.heap.idle]
            memory = "device_local"
            block = "1 MiB"
            [gpu.heap.staging]
            memory = "upload"
            block = "1 MiB"
            kind = "ring"
            """)
        m, diag = build(text)
        self.assertIsNotNone(m)
        self.assertEqual(coded(diag), [(9, 1, "ML509", "gpu heap 'idle' is not used by any gpu intent",
                                        "name it in a gpu intent with heap = \"idle\", or remove it")])

    def test_budget_sums_warn(self):
        text = GPU_BASE + textwrap.dedent("""\
            [gpu]
            budget = "256 MiB"
            [gpu.heap.a]
            memory = "device_local"
            block = "64 MiB"
            budget = "192 MiB"
            [gpu.heap.b]
            memory = "upload"
            block = "64 MiB"
            budget = "128 MiB"
            [gpu.intent.x]
            heap = "a"
            usage = ["vertex"]
            budget = "128 MiB"
            [gpu.intent.y]
            heap = "a"
            usage = ["index"]
            budget = "128 MiB"
            [gpu.intent.z]
            heap = "b"
            usage = ["uniform"]
            """)
        m, diag = build(text)
        self.assertIsNotNone(m)
        self.assertEqual([(d[0], d[2], d[3]) for d in coded(diag)], [
            (10, "ML506", "[gpu]: heap budgets add up to 320 MiB, more than budget 256 MiB"),
            (14, "ML506", "gpu heap 'a': intent budgets add up to 256 MiB, more than its budget 192 MiB")])

    def test_cpu_intent_tier_gpu_points_to_gpu_intents(self):
        m, diag = build(GPU_BASE.replace('tier = "heap"', 'tier = "gpu"'))
        self.assertIsNone(m)
        self.assertEqual(messages(diag), ["error: intent 'a': tier cannot be \"gpu\""])
        self.assertIn("[gpu.intent.NAME]", diag.errors[0].hint)

    def test_names_are_separate_from_cpu_intents(self):
        m = build_clean(self, GPU_BASE + textwrap.dedent("""\
            [gpu.heap.a]
            memory = "device_local"
            block = "1 MiB"
            [gpu.intent.a]
            heap = "a"
            usage = ["vertex"]
            """))
        self.assertEqual(([r.name for r in m.routes], [i.name for i in m.gpu_intents]), (["a"], ["a"]))

    def test_overlay_changes_gpu_tables(self):
        text = GPU_BASE + textwrap.dedent("""\
            [gpu]
            budget = "1 GiB"
            [gpu.heap.device]
            memory = "device_local"
            block = "64 MiB"
            [gpu.intent.meshes]
            heap = "device"
            usage = ["vertex"]
            [platform.uma]
            gpu.frames_in_flight = 3
            gpu.budget = "512 MiB"
            gpu.heap.device.memory = "unified"
            gpu.heap.device.block = "32 MiB"
            gpu.intent.meshes.usage = ["vertex", "storage"]
            gpu.intent.meshes.on_exhausted = "panic"
            """)
        base = build_clean(self, text)
        uma = build_clean(self, text, "uma")
        self.assertEqual((base.gpu_heaps[0].max_blocks, base.gpu_heaps[0].required), (16, 0))
        self.assertEqual((uma.gpu_frames_in_flight, uma.gpu_budget), (3, 512 << 20))
        h, i = uma.gpu_heaps[0], uma.gpu_intents[0]
        self.assertEqual((h.memory, h.block, h.max_blocks, h.required, h.preferred, h.mapped),
                         ("unified", 32 << 20, 16, 0x2, 0x5, True))
        self.assertEqual((i.usage_flags, i.on_exhausted), (0xA0, "panic"))

    def test_overlay_cannot_add_gpu_tables(self):
        text = GPU_BASE + textwrap.dedent("""\
            [gpu.heap.device]
            memory = "device_local"
            block = "64 MiB"
            [gpu.intent.meshes]
            heap = "device"
            usage = ["vertex"]
            [platform.p]
            gpu.heap.extra.block = "1 MiB"
            gpu.intent.mesh.budget = 64
            """)
        m, diag = build(text)
        self.assertIsNone(m)
        self.assertEqual(messages(diag), ["error: platform 'p': unknown gpu heap 'extra'",
                                          "error: platform 'p': unknown gpu intent 'mesh'"])
        self.assertIn("an overlay cannot add a new gpu intent", diag.errors[1].hint)


class RecordTest(unittest.TestCase):
    """[record]: the frame ring's row size and static storage (docs/recording.md)."""

    def test_off_by_default(self):
        m = build_clean(self, BASIC)
        self.assertEqual((m.record.frames, m.record.histogram, m.record.trace_events), (0, False, 0))
        self.assertEqual((m.record.static_arrays, m.record.static_bytes), ((), 0))

    def test_ring_is_counted_in_static_bytes(self):
        base = build_clean(self, BASIC)
        m = build_clean(self, BASIC + "[limits]\nphases = 8\n[record]\nframes = 10\n")
        # frame index and phase count, 5 per intent (4), 3 per phase (8), 2 per tier (5), 8 hazard slots
        self.assertEqual(m.record.row_words, 2 + 5 * 4 + 3 * 8 + 2 * 5 + 8)
        self.assertEqual(m.record.static_arrays, (("rows", 8 * 10 * 64),))
        self.assertEqual(m.static_bytes - base.static_bytes, 8 * 10 * 64)
        rows = [r for r in footprint.compute(m).rows if r.symbol == "mkg_record_rows"]
        self.assertEqual([(r.bytes, r.detail) for r in rows], [(5120, "10 x 512 B")])

    def test_histogram_buckets_per_pool(self):
        # pool small: sizes 0..64 in 16-byte steps (5 buckets) and one above; 3 classes
        m = build_clean(self, BASIC + "[record]\nhistogram = true\n")
        self.assertEqual((m.record.hist_base, m.record.hist_buckets), ((0, 6), 6))
        self.assertEqual(m.record.static_arrays, ())
        two = BASIC.replace("[heap]", "[pool.big]\nclasses = [128, 512]\ncounts = [64, 64]\nthread_cache = 2\n[heap]") \
            .replace("on_exhausted = \"fallback\"", "pool = \"small\"\non_exhausted = \"fallback\"") \
            + "[intent.mesh]\ntier = \"pool\"\npool = \"big\"\n[record]\nhistogram = true\n"
        m = build_clean(self, two)
        self.assertEqual([p.name for p in m.pools], ["big", "small"])
        self.assertEqual(m.record.hist_base, (0, 34, 40))  # big: 512 / 16 + 2 buckets

    def test_histogram_grows_the_thread_slot(self):
        off, on = build_clean(self, BASIC), build_clean(self, BASIC + "[record]\nhistogram = true\n")
        slot = [r for r in footprint.compute(off).rows if r.symbol == "mk__rt"][0].bytes
        grown = [r for r in footprint.compute(on).rows if r.symbol == "mk__rt"][0].bytes
        # per thread slot (4): 6 bucket counters and 3 class byte counters, 8 bytes each
        self.assertEqual(grown - slot, 4 * 8 * (6 + 3))

    def test_trace_ring_is_counted_in_static_bytes(self):
        base = build_clean(self, BASIC)
        m = build_clean(self, BASIC + "[record]\ntrace_events = 1000\n")
        self.assertEqual(m.record.static_arrays, (("trace", 32 * 1000),))
        self.assertEqual(m.static_bytes - base.static_bytes, 32 * 1000)
        rows = [r for r in footprint.compute(m).rows if r.symbol == "mkg_record_trace"]
        self.assertEqual([(r.bytes, r.detail) for r in rows], [(32000, "1000 x 32 B")])

    def test_histogram_needs_a_pool(self):
        _, diag = build("[memkit]\nschema = 1\n[heap]\nsize = \"1 MiB\"\n[intent.a]\ntier = \"heap\"\n"
                        "budget = \"1 KiB\"\n[record]\nhistogram = true\n")
        self.assertEqual([d.message for d in diag.errors],
                         ["[record]: histogram counts pool requests, and this config has no [pool.*]"])

OVERRIDE = """\
[memkit]
schema = 1
[pool.small]
classes = [16, 32, 64]
capacity = "192 KiB"
thread_cache = 8
[frame]
arena = "64 KiB"
[heap]
size = "1 MiB"
fallback = "none"
[intent.app]
tier = "pool"
pool = "small"
oversize = "heap"
[intent.db]
tier = "heap"
[intent.tick]
tier = "frame"
"""


class OverrideTest(unittest.TestCase):
    """[override]: libmemkit_override's attribution table (docs/override.md)."""

    def test_absent_by_default(self):
        self.assertIsNone(build_clean(self, OVERRIDE).override)

    def test_rules_keep_their_order_and_bounds(self):
        m = build_clean(self, OVERRIDE + "[override]\ndefault = \"app\"\nrules = [\n"
                        "  { module = \"libsqlite3.so*\", intent = \"db\" },\n"
                        "  { min_size = \"1 KiB\", max_size = 4096, intent = \"app\" },\n"
                        "  { module = \"<main>\", min_size = 16, intent = \"db\" },\n]\n")
        o = m.override
        self.assertEqual((o.default, o.default_index), ("app", 0))
        self.assertEqual([(r.module, r.min_size, r.max_size, r.intent, r.intent_index) for r in o.rules],
                         [("libsqlite3.so*", 0, None, "db", 1), (None, 1024, 4096, "app", 0),
                          ("<main>", 16, None, "db", 1)])

    def test_refusals(self):
        cases = {
            'default = "tick"': "[override]: default: intent 'tick' has tier = \"frame\", but malloc calls need a "
                                "pool or heap intent",
            'default = "app"\nrules = [{ intent = "db" }]': "[override]: rule 1: matches every call, so the rules "
                                                           "after it and default never apply",
            'default = "app"\nrules = [{ module = "a/b.so", intent = "db" }]':
                "[override]: rule 1: module 'a/b.so' holds a '/'",
            'default = "app"\nrules = [{ module = "x" }]': "[override]: rule 1: missing required key 'intent'",
            'default = "app"\nrules = "x"': "[override]: rules must be an array of tables, not a string",
            'rules = []': "[override]: missing required key 'default'",
        }
        for body, message in cases.items():
            with self.subTest(body=body):
                _, diag = build(OVERRIDE + "[override]\n" + body + "\n")
                self.assertEqual([d.message for d in diag.errors][:1], [message])

    def test_too_many_rules(self):
        rules = ", ".join(f'{{ module = "lib{i}.so", intent = "db" }}' for i in range(65))
        _, diag = build(OVERRIDE + "[override]\ndefault = \"app\"\nrules = [" + rules + "]\n")
        self.assertEqual([d.message for d in diag.errors], ["[override]: rules has 65 rules, more than 64"])


if __name__ == "__main__":
    unittest.main()
