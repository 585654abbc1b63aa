"""Targets, what they can address, and the footprint (memkit-gen --target, --footprint).

The footprint's rows are checked here against the model and against sizes
measured once from gcc (x86-64, -m32) and arm-none-eabi-gcc; the footprint
test (tests/footprint/check_footprint.py) compares them with what those
compilers build, symbol by symbol, every time.
"""
import doctest
import json
import os
import re
import shutil
import tempfile
import unittest

from . import support
from memkit_gen import config, footprint, layout, model
from memkit_gen.diagnostics import Diagnostics
from memkit_gen.target import DEFAULT, TARGETS, host
from .test_model import BASIC, build, build_clean

CONFIGS = os.path.join(support.REPO, "tests", "configs")
EVERYTHING = os.path.join(support.REPO, "tests", "footprint", "everything.toml")


def load(path, target=None, platform=None):
    diag = Diagnostics()
    source = config.load(path, diag)
    m = model.build(source, platform, target)
    if m is None:
        raise AssertionError(diag.render(path))
    return m


def rows(fp, group):
    return {r.symbol or r.what: r for r in fp.rows if r.group == group}


class LayoutTest(unittest.TestCase):
    def test_doc_examples(self):
        self.assertEqual(doctest.testmod(layout).failed, 0)

    def test_padding_and_alignment(self):
        u8, u32, u64 = layout.CType(1, 1), layout.CType(4, 4), layout.CType(8, 8)
        self.assertEqual(layout.struct(u32, u64, u8), layout.CType(24, 8))
        self.assertEqual(layout.struct(u32, layout.CType(8, 4), u8), layout.CType(16, 4))   # i386's uint64_t
        self.assertEqual(layout.struct(layout.array(u8, 3), u8), layout.CType(4, 1))
        self.assertEqual(layout.aligned(layout.CType(100, 1), 64), layout.CType(128, 64))


class TargetTest(unittest.TestCase):
    def test_targets(self):
        self.assertEqual(DEFAULT, "lp64")
        self.assertEqual({n: t.pointer_bytes for n, t in TARGETS.items()}, {"lp64": 8, "ilp32": 4, "i386": 4})
        self.assertIn(host(), TARGETS)

    def test_default_and_declared(self):
        self.assertEqual(build_clean(self, BASIC).target.name, "lp64")
        text = BASIC.replace("schema = 1\n", "schema = 1\ntarget = \"ilp32\"\n")
        self.assertEqual(build_clean(self, text).target.name, "ilp32")

    def test_overlay_sets_the_target(self):
        m = load(os.path.join(support.INVALID, "target_32bit_in_overlay.toml"))
        self.assertEqual(m.target.name, "lp64")   # the base: a reserved 3 GiB heap is fine on lp64

    def test_contract_sizes_follow_the_target(self):
        m64, m32 = load(EVERYTHING), load(EVERYTHING, "ilp32")
        self.assertEqual([c.msg_bytes for c in m64.async_channels + m32.async_channels], [16, 8])
        cache64, cache32 = m64.async_pools[0], m32.async_pools[0]
        self.assertEqual((cache64.name, cache64.slot_bytes, cache32.slot_bytes), ("cache", 32, 24))
        self.assertEqual(m64.static_bytes - m32.static_bytes, 13 * 8 + 5 * 8)   # the ring, cache's evict slots


class ReachTest(unittest.TestCase):
    """What 32-bit targets refuse, at their boundaries (tests/invalid/target_* hold the messages)."""

    HEAP = "[memkit]\nschema = 1\ntarget = \"{t}\"\n[heap]\nsize = {size}\nstorage = \"reserve\"\n" \
           "[intent.a]\ntier = \"heap\"\nbudget = {budget}\n"

    def errors(self, target, size, budget=64):
        _, diag = build(self.HEAP.format(t=target, size=size, budget=budget))
        return [d.message for d in diag.errors]

    def test_region_below_2_gib(self):
        for target in ("ilp32", "i386"):
            self.assertEqual(self.errors(target, 3 << 29), [])
            self.assertRegex(self.errors(target, 2 << 30)[0], r"^\[heap\]: the heap would take one region of 2 GiB")
            # one region short of 2 GiB is not refused as a region, but with the runtime it passes 2 GiB in all
            self.assertRegex(self.errors(target, (2 << 30) - 16)[0], r"^\[heap\]: static and reserved storage")
        self.assertEqual(self.errors("lp64", 8 << 30), [])

    def test_budgets_below_4_gib(self):
        self.assertEqual(self.errors("ilp32", 4096, (4 << 30) - 1), [])
        self.assertRegex(self.errors("ilp32", 4096, 4 << 30)[0], "budget 4 GiB can never be reached on target ilp32")
        self.assertEqual(self.errors("lp64", 4096, 4 << 30), [])

    def test_static_and_reserved_together(self):
        text = ("[memkit]\nschema = 1\ntarget = \"i386\"\nmax_threads = 1\nframes_in_flight = 1\n"
                "[frame]\narena = \"1 GiB\"\nstorage = \"reserve\"\n"
                "[heap]\nsize = {heap}\nstorage = \"reserve\"\n"
                "[intent.a]\ntier = \"frame\"\n[intent.b]\ntier = \"heap\"\nbudget = 64\n")
        m = build_clean(self, text.format(heap=256 << 20))
        room = (1 << 30) - footprint.compute(m).static_bytes     # 2 GiB less the arena and the static storage
        self.assertIsNotNone(build_clean(self, text.format(heap=room // 4096 * 4096)))
        _, diag = build(text.format(heap=room // 4096 * 4096 + 4096))
        self.assertEqual([(d.line, d.message[:60]) for d in diag.errors], [
            (7, "[frame]: static and reserved storage are more than the 2 GiB")])

    def test_cli_target_must_agree(self):
        diag = Diagnostics()
        source = config.load(os.path.join(support.INVALID, "target_32bit_budget.toml"), diag)
        self.assertIsNone(model.build(source, None, "lp64"))
        self.assertEqual([d.message for d in diag.errors],
                         ["[memkit]: target = \"ilp32\", but memkit-gen was asked for --target lp64"])


class FootprintTest(unittest.TestCase):
    def test_config_rows_are_the_generated_arrays(self):
        for name in ("basic", "async", "longlived", "prefault", "single"):
            for target in TARGETS:
                m = load(os.path.join(CONFIGS, name + ".toml"), target)
                fp = footprint.compute(m)
                with self.subTest(config=name, target=target):
                    self.assertEqual(fp.total("config"), m.static_bytes)
                    self.assertTrue(all(r.symbol.startswith("mkg_") and r.section == ".bss"
                                        for r in fp.rows if r.group == "config"))

    def test_pool_rows(self):
        fp = footprint.compute(load(os.path.join(CONFIGS, "basic.toml")))
        config = rows(fp, "config")
        blocks = config["mkg_pool_small_storage"]
        self.assertEqual((blocks.bytes, blocks.what), (196608, "[pool.small] blocks"))
        self.assertIn("196,608 B of blocks + 0 B rounding each class to 4 KiB spans", blocks.detail)
        self.assertEqual(config["mkg_pool_small_tags"].bytes, 196608 // 16)
        self.assertEqual(config["mkg_frame_storage"].detail, "4 threads x 2 frame slots x 64 KiB")
        # classes that do not fill their spans: 100 x 32 B -> one 4 KiB span each
        fp = footprint.compute(load(EVERYTHING))
        small = rows(fp, "config")["mkg_pool_small_storage"]
        self.assertEqual(small.bytes, 4 * 4096)
        self.assertIn("10,688 B of blocks + 5,696 B rounding", small.detail)

    def test_runtime_rows_measured(self):
        """Sizes gcc and arm-none-eabi-gcc gave for tests/configs/basic.toml (thread slots, heap front)."""
        measured = {"lp64": (25992, 5120, 1153), "i386": (17720, 3608, 1153), "ilp32": (12792, 2368, None)}
        for target, (rt, unattached, bins) in measured.items():
            fp = footprint.compute(load(os.path.join(CONFIGS, "basic.toml"), target))
            runtime = rows(fp, "runtime")
            with self.subTest(target=target):
                self.assertEqual(runtime["mk__rt"].bytes, rt)
                self.assertEqual((runtime["mk__thread_unattached"].bytes, runtime["mk__thread_unattached"].section),
                                 (unattached, ".data"))
                # no lock-free 64-bit atomics on Cortex-M: no heap front, no bin table
                self.assertEqual(runtime["mk__heap_bin_table"].bytes if "mk__heap_bin_table" in runtime else None,
                                 bins)
                self.assertEqual(fp.types["mk__runtime_t"][0], rt)

    def test_breakdown_adds_up(self):
        fp = footprint.compute(load(os.path.join(CONFIGS, "basic.toml")))
        rt = rows(fp, "runtime")["mk__rt"]
        parts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) B", rt.detail)]
        counts = [int(n) for n in re.findall(r"(\d+) (?:thread slots|size classes) x", rt.detail)]
        self.assertEqual(counts, [4, 3])
        self.assertEqual(counts[0] * parts[0] + counts[1] * parts[1] + parts[2] + parts[3], rt.bytes)

    def test_threads_false_has_no_thread_local_storage(self):
        fp = footprint.compute(load(os.path.join(CONFIGS, "single.toml")))
        self.assertEqual(fp.total("tls"), 0)
        runtime = rows(fp, "runtime")
        self.assertEqual((runtime["mk__last_error"].section, runtime["mk__self_tracking0"].section), (".bss", ".data"))
        self.assertNotIn("mk__fork_locks", runtime)
        fp = footprint.compute(load(os.path.join(CONFIGS, "basic.toml")))
        self.assertEqual({r.symbol: r.section for r in fp.rows if r.group == "tls"},
                         {"mk__self_tracking0": ".tdata", "mk__last_error": ".tbss", "mk__policy_depth": ".tbss"})

    def test_prefix_sentinel_gpu(self):
        fp = footprint.compute(load(EVERYTHING))
        runtime, tls = rows(fp, "runtime"), rows(fp, "tls")
        self.assertIn("fp_mk__rt", runtime)                 # exported: renamed by [memkit] prefix
        self.assertIn("mk__deferred", runtime)              # static to its file: not renamed
        self.assertIn("mk__sentinel", runtime)
        self.assertIn("mk__site_file", tls)
        self.assertIn("fp_mk__gpu", runtime)
        self.assertEqual(len([r for r in fp.rows if r.symbol == "mk__handle_tables"]), 1)
        self.assertNotIn("mk__gpu", rows(footprint.compute(load(os.path.join(CONFIGS, "basic.toml"))), "runtime"))

    def test_reserve_rows(self):
        fp = footprint.compute(load(EVERYTHING))
        reserve = {r.what: r.bytes for r in fp.rows if r.group == "reserve"}
        big = load(EVERYTHING).pools[0]
        self.assertEqual(big.name, "big")
        self.assertEqual(reserve, {
            "[pool.big] blocks": big.bytes, "[pool.big] free bitmaps": 8 * big.bitmap_words,   # dedicated: no tags
            "[async.pool.uploads] blocks, free stack, evict slots": 3 * 4096 + 16 + 3 * 32})
        self.assertEqual(fp.total("reserve"), sum(reserve.values()))
        gpu = {r.what: r.bytes for r in fp.rows if r.group == "gpu_reserve"}
        self.assertEqual(gpu["GPU buffer records"], 65536 * 80)
        self.assertEqual(gpu["[gpu.heap.device] TLSF metadata"], 8193 * (40 + 4))   # nodes and owners

    def test_table_and_json(self):
        m = load(os.path.join(CONFIGS, "basic.toml"))
        fp = footprint.compute(m)
        table = footprint.render_table(fp, "basic.toml", m.target.about)
        self.assertIn(f"static storage in all: {fp.static_bytes:,} B", table)
        self.assertIn("mkg_heap_storage", table)
        doc = json.loads(footprint.as_json(fp, "basic.toml"))
        self.assertEqual(doc["totals"]["static"], fp.static_bytes)
        self.assertEqual(sum(r["bytes"] for r in doc["rows"] if r["group"] in ("config", "runtime")),
                         doc["totals"]["static"])


class DocsTest(unittest.TestCase):
    def test_example_in_docs_is_what_memkit_gen_prints(self):
        with open(os.path.join(support.REPO, "docs", "footprint.md"), encoding="utf-8") as f:
            text = f.read()
        toml = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
        table = re.search(r"```\n\$ memkit-gen memkit.toml --footprint\n(.*?)```", text, re.S).group(1)
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "memkit.toml"), "w", encoding="utf-8") as f:
                f.write(toml)
            r = support.run_gen(["memkit.toml", "--footprint"], cwd=tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, table, "docs/footprint.md: paste the table memkit-gen prints for its example")


class CliFootprintTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="memkit-gen-test-")
        self.addCleanup(shutil.rmtree, self.tmp)
        shutil.copy(os.path.join(CONFIGS, "basic.toml"), os.path.join(self.tmp, "memkit.toml"))

    def gen(self, *args):
        return support.run_gen(list(args), cwd=self.tmp)

    def read(self, *parts):
        with open(os.path.join(self.tmp, *parts), encoding="utf-8") as f:
            return f.read()

    def test_footprint_alone_writes_nothing(self):
        r = self.gen("memkit.toml", "--footprint")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("memkit footprint of memkit.toml on target lp64"))
        self.assertEqual(os.listdir(self.tmp), ["memkit.toml"])
        r = self.gen("memkit.toml", "--footprint", "json", "--target", "i386")
        self.assertEqual(json.loads(r.stdout)["target"], "i386")
        self.assertEqual(self.gen("memkit.toml").returncode, 2)     # neither -o nor --footprint

    def test_banner_has_the_totals(self):
        r = self.gen("memkit.toml", "--footprint", "json", "-o", "gen")   # both: the outputs are written
        self.assertEqual(r.returncode, 0, r.stderr)
        totals = json.loads(r.stdout)["totals"]
        header = self.read("gen", "memkit_config.h")
        self.assertIn(f" * target: lp64 (64-bit pointers); footprint (memkit-gen --footprint lists it):\n"
                      f" *   {totals['static']:,} B static (config {totals['config']:,} + runtime "
                      f"{totals['runtime']:,}), {totals['tls']:,} B thread-local per thread,\n"
                      f" *   {totals['reserve']:,} B mapped by mk_init\n", header)
        self.assertEqual(header.split("*/")[0].replace("memkit_config.h", "X"),
                         self.read("gen", "memkit_config.c").split("*/")[0].replace("memkit_config.c", "X"))
        self.assertIn(f"#define MKG_STATIC_BYTES {totals['config']}\n", header)
        self.assertIn('#define MKG_TARGET "lp64"\n#define MKG_TARGET_POINTER_BYTES 8\n', header)

    def test_target_option(self):
        self.assertEqual(self.gen("memkit.toml", "-o", "plain").returncode, 0)
        self.assertEqual(self.gen("memkit.toml", "-o", "lp64", "--target", "lp64").returncode, 0)
        self.assertEqual(self.gen("memkit.toml", "-o", "i386", "--target", "i386").returncode, 0)
        sha = {d: re.search(r'MKG_CONFIG_SHA256 "(\w+)"', self.read(d, "memkit_config.h")).group(1)
               for d in ("plain", "lp64", "i386")}
        self.assertEqual(sha["plain"], sha["lp64"])      # the default, said or not: the same config
        self.assertNotEqual(sha["plain"], sha["i386"])
        header = self.read("i386", "memkit_config.h")
        self.assertIn("#define MKG_TARGET_POINTER_BYTES 4\n", header)
        self.assertIn(" * regenerate: memkit-gen memkit.toml --target i386 -o i386\n", header)
        r = self.gen("memkit.toml", "-o", "i386", "--target", "i386", "--check")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.gen("memkit.toml", "-o", "host", "--target", "host")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f'#define MKG_TARGET "{host()}"', self.read("host", "memkit_config.h"))
        self.assertEqual(self.gen("memkit.toml", "-o", "x", "--target", "arm").returncode, 2)

    def test_map(self):
        r = self.gen("memkit.toml", "--map", "map.svg")   # alone: the map and nothing else
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["map.svg", "memkit.toml"])
        svg = self.read("map.svg")
        fp = footprint.compute(load(os.path.join(self.tmp, "memkit.toml")))
        self.assertTrue(svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" id="footprint-map" '))
        self.assertIn(f'data-static-bytes="{fp.static_bytes}"', svg)
        drawn = sum(int(n) for n in re.findall(r'data-group="config"[^>]*data-bytes="(\d+)"', svg))
        self.assertEqual(drawn, fp.total("config"))
        r = self.gen("memkit.toml", "--map", "map.svg", "--footprint", "-o", "gen")   # all three
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("memkit footprint of memkit.toml"))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "gen", "memkit_config.h")))
        r = self.gen("memkit.toml", "--map", os.path.join("missing", "map.svg"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("memkit-gen: error: cannot write missing/map.svg", r.stderr)


if __name__ == "__main__":
    unittest.main()
