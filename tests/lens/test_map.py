"""map: memkit-lens map and memkit-gen --map draw the same SVG, to scale, from the footprint rows."""
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

from tests.lens.support import GAME, GENERATOR, model_of, run_lens

from memkit_gen import footprint
from memkit_gen.footprint_map import WIDTH

SVG = "{http://www.w3.org/2000/svg}"


def draw(config=GAME):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "map.svg")
        r = run_lens(["map", config, "-o", out])
        if r.returncode:
            raise AssertionError(r.stderr)
        with open(out, encoding="utf-8") as f:
            return f.read()


def rects(svg_text):
    return [e.attrib for e in ET.fromstring(svg_text).iter(SVG + "rect") if "data-bytes" in e.attrib]


class Map(unittest.TestCase):
    def test_every_byte_of_every_group(self):
        _, m = model_of(GAME)
        fp = footprint.compute(m)
        drawn = rects(draw())
        for group in ("config", "runtime", "tls"):
            self.assertEqual(sum(int(r["data-bytes"]) for r in drawn if r["data-group"] == group), fp.total(group))
        self.assertEqual(ET.fromstring(draw()).get("data-static-bytes"), str(fp.static_bytes))

    def test_pool_classes_with_span_rounding(self):
        small = {r["data-what"]: int(r["data-bytes"]) for r in rects(draw()) if r["data-table"] == "[pool.small]"}
        # 8 x 16, 4 x 32, 2 x 64 blocks, each class rounded up to a 4 KiB span
        self.assertEqual(small["class 16 blocks"], 128)
        self.assertEqual(small["class 16 span rounding"], 4096 - 128)
        self.assertEqual(small["class 32 blocks"], 128)
        self.assertEqual(small["class 64 blocks"], 128)
        self.assertEqual(small["class 64 span rounding"], 4096 - 128)
        self.assertEqual(small["[pool.small] free bitmaps"], 48)

    def test_to_scale(self):
        drawn = rects(draw())
        config = [r for r in drawn if r["data-group"] == "config"]   # the largest group fills the width
        total = sum(int(r["data-bytes"]) for r in config)
        before = 0
        for r in config:   # each rectangle starts where the bytes before it end
            self.assertAlmostEqual(float(r["x"]), before * WIDTH / total, delta=0.01)
            before += int(r["data-bytes"])
        heap = next(r for r in config if r["data-table"] == "[heap]")
        frame = next(r for r in config if r["data-table"] == "[frame]")
        self.assertAlmostEqual(float(heap["width"]) / float(frame["width"]), 1048576 / 262144, places=2)

    def test_arena_cells(self):
        root = ET.fromstring(draw())
        bar = next(g for g in root.iter(SVG + "g") if g.get("data-group-bar") == "config")
        self.assertEqual(len(list(bar.iter(SVG + "line"))), 2 * 2 - 1)   # 2 threads x 2 slots

    def test_memkit_gen_draws_the_same(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "map.svg")
            r = subprocess.run([sys.executable, os.path.join(GENERATOR, "memkit-gen"), GAME, "--map", out],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, "")
            with open(out, encoding="utf-8") as f:
                self.assertEqual(f.read(), draw())

    def test_unwritable_output(self):
        r = run_lens(["map", GAME, "-o", "/nonexistent/dir/map.svg"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("memkit-lens: error: cannot write /nonexistent/dir/map.svg", r.stderr)

    def test_bad_config(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.toml")
            with open(path, "w") as f:
                f.write("[memkit]\nschema = 1\nbogus = 3\n")
            r = run_lens(["map", path, "-o", os.path.join(d, "m.svg")])
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{path}:3:1: error:", r.stderr)
        self.assertIn(f"memkit-lens: error: {path} has errors (see above)", r.stderr)


if __name__ == "__main__":
    unittest.main()
