"""[limits] and its kin in [debug] and [gpu] (generator/memkit_gen/limits.py), and
MKG_LAYOUT_HASH (runtime_layout.layout_hash): the public ABI of issue 11."""
import dataclasses
import os
import unittest

from . import support
from memkit_gen import emit, limits, runtime_layout
from memkit_gen.target import TARGETS
from .test_model import BASIC, build_clean


def rendered(m):
    return emit.render(m, emit.banner_for(m, "t.toml", "gen", "0" * 64))


def header(m):
    return rendered(m)["memkit_config.h"]


class LimitsTest(unittest.TestCase):
    def test_defaults_are_the_old_knobs(self):
        """Without the keys, every constant has the value its #ifndef had."""
        m = build_clean(self, BASIC)
        self.assertEqual(m.limits, limits.defaults())
        self.assertEqual((m.limits["MKG_MAX_PHASES"], m.limits["MKG_MARK_DEPTH"], m.limits["MKG_GPU_MAX_BUFFERS"]),
                         (32, 64, 65536))

    def test_each_key_reaches_its_constant(self):
        """A value for every key lands in memkit_config.h, under its own constant only."""
        sections = {}
        for i, lim in enumerate(limits.LIMITS):
            sections.setdefault(lim.section, []).append(f"{lim.key} = {lim.lo + i + 1}")
        text = BASIC + "".join(f"[{s}]\n" + "\n".join(keys) + "\n" for s, keys in sections.items())
        m = build_clean(self, text)
        h = header(m)
        for i, lim in enumerate(limits.LIMITS):
            with self.subTest(key=lim.key):
                self.assertEqual(m.limits[lim.macro], lim.lo + i + 1)
                self.assertIn(f"#define {lim.macro} {lim.lo + i + 1} /* ", h)

    def test_the_footprint_counts_the_values(self):
        """The lifecycle stacks are per thread slot: more phases cost every slot more."""
        small = build_clean(self, BASIC)
        big = build_clean(self, BASIC + "[limits]\nphases = 64\n")
        rt_small, rt_big = runtime_layout.RuntimeLayout(small), runtime_layout.RuntimeLayout(big)
        self.assertEqual(rt_big.thread.size, rt_small.thread.size)   # users' part: unchanged
        self.assertEqual(rt_big.slot.size - rt_small.slot.size, 3 * 32 * 8)

    def test_every_limit_is_documented(self):
        with open(os.path.join(support.REPO, "docs", "config.md"), encoding="utf-8") as f:
            doc = f.read()
        for lim in limits.LIMITS:
            with self.subTest(key=lim.key):
                self.assertIn(f"| `{lim.key}` | integer {lim.lo}..{lim.hi} | `{lim.default}` | {lim.what} "
                              f"(`{lim.macro}`) |", doc)

    def test_public_names_alias_the_constants(self):
        """memkit/limits.h: each old public name is its constant, and a -D of it is an #error."""
        with open(os.path.join(support.REPO, "runtime", "include", "memkit", "limits.h"), encoding="utf-8") as f:
            text = f.read()
        for old in ("MK_MAX_PHASES", "MK_PHASE_DEPTH", "MK_INTENT_STACK_DEPTH", "MK_MARK_DEPTH",
                    "MK_MAX_FRAME_CALLBACKS", "MK_MAX_GROUPS", "MK_SHARED_NAME_MAX", "MK_FRAME_VEC_MIN_BYTES"):
            with self.subTest(name=old):
                self.assertIn(f"#define {old} MKG_{old[3:]}", text)
                self.assertIn(f"defined({old})", text)


class LayoutHashTest(unittest.TestCase):
    def test_stable_for_one_input(self):
        a, b = build_clean(self, BASIC), build_clean(self, BASIC)
        self.assertEqual(runtime_layout.layout_hash(a), runtime_layout.layout_hash(b))
        self.assertIn(f"#define MKG_LAYOUT_HASH 0x{runtime_layout.layout_hash(a):016x}u", header(a))

    def test_changes_with_what_users_compile_against(self):
        base = build_clean(self, BASIC)
        h = runtime_layout.layout_hash(base)
        variants = {
            "a limit": build_clean(self, BASIC + "[limits]\nmark_depth = 8\n"),
            "another target": dataclasses.replace(base, target=TARGETS["i386"]),
            "another config": build_clean(self, BASIC.replace("max_threads = 4", "max_threads = 5")),
        }
        for what, m in variants.items():
            with self.subTest(what=what):
                self.assertNotEqual(runtime_layout.layout_hash(m), h)

    def test_config_c_carries_it(self):
        m = build_clean(self, BASIC)
        c = rendered(m)["memkit_config.c"]
        self.assertIn("MK_RUNTIME_ABI, MKG_LAYOUT_HASH,", c)


if __name__ == "__main__":
    unittest.main()
