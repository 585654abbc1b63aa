"""Reserved names: generated identifiers must never redefine one of the runtime's.

memkit_gen/reserved.py keeps a committed list of the runtime identifiers that a
config's table names would generate. These tests keep it true: the runtime
(runtime/, async/ and gpu/) is scanned for every identifier of a
generated family, and the templates for every family they spell.
"""
import glob
import os
import re
import unittest

from . import support
from .test_model import build
from memkit_gen import reserved

# The runtime and the tiers built over it: each is compiled with the generated header.
RUNTIMES = ("runtime", "async", "gpu")
TEMPLATES = os.path.join(support.REPO, "templates")
# Comments, string and character literals: identifiers there name nothing.
NOT_CODE = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)
IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
# Template collections -> the config section their names come from.
SECTION_OF = {"routes": "intent", "pools": "pool", "handle_tables": "handles", "async_pools": "async.pool",
              "async_channels": "async.channel", "async_arenas": "async.arena", "gpu_heaps": "gpu.heap",
              "gpu_intents": "gpu.intent"}


def runtime_sources():
    """Every runtime header and source (a runtime directory not there yet has none)."""
    patterns = ("include/memkit/*.h", "src/*.h", "src/*.c", "src/*/*.h", "src/*/*.c")
    return sorted(p for root in RUNTIMES for pattern in patterns
                  for p in glob.glob(os.path.join(support.REPO, root, pattern)))


def runtime_identifiers():
    """identifier -> the runtime files (relative to the repository) whose code uses it."""
    found = {}
    for path in runtime_sources():
        with open(path, encoding="utf-8") as f:
            code = NOT_CODE.sub(" ", f.read())
        for ident in set(IDENTIFIER.findall(code)):
            found.setdefault(ident, []).append(os.path.relpath(path, support.REPO).replace(os.sep, "/"))
    return found


def template_families():
    """(section, prefix, suffix) of every identifier the templates build from a table name."""
    families = set()
    for path in sorted(glob.glob(os.path.join(TEMPLATES, "*.j2"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        loops = dict(re.findall(r"\{%-?\s*for\s+(\w+)\s+in\s+m\.(\w+)", text))
        uses = [(loops[v], p + "_", "") for v, p in
                re.findall(r"\{\{\s*(\w+)\.name\s*\|\s*c_const\(\"(\w+)\"\)", text)]
        # macros.id_enum("tag", "PREFIX", m.collection ...) spells PREFIX_NAME for each table
        uses += [(c, p + "_", "") for p, c in re.findall(r"id_enum\(\"\w+\",\s*\"(\w+)\",\s*m\.(\w+)", text)]
        uses += [(loops[v], p, s) for p, v, s in re.findall(r"(\w*)\{\{\s*(\w+)\.name\s*\}\}(\w*)", text) if p or s]
        uses += [(loops[v], p, s) for p, v, s in re.findall(r"\"(\w*)\"\s*~\s*(\w+)\.name\s*~\s*\"(\w*)\"", text)]
        for collection, prefix, suffix in uses:
            families.add((SECTION_OF[collection], prefix, suffix))
    return families


class ReservedNamesTest(unittest.TestCase):
    def test_every_runtime_name_of_a_generated_family_is_reserved(self):
        """Fails when the runtime defines an identifier that some config name would generate."""
        self.assertGreater(len(runtime_sources()), 20)
        missing = []
        for ident, files in sorted(runtime_identifiers().items()):
            for family in reserved.FAMILIES:
                name = reserved.name_of(family, ident)
                if name is not None and re.match(r"^[a-z][a-z0-9_]*$", name) and ident not in reserved.RUNTIME_NAMES:
                    missing.append(f"{ident} ({', '.join(files)}): {family[0]} '{name}'")
        self.assertEqual(missing, [], "the runtime defines identifiers that these config names would generate "
                                      "too; add each to RUNTIME_NAMES in generator/memkit_gen/reserved.py")

    def test_every_reserved_name_is_in_the_runtime_where_it_says(self):
        """A stale entry would forbid a name for nothing."""
        found = runtime_identifiers()
        for ident, where in sorted(reserved.RUNTIME_NAMES.items()):
            with self.subTest(ident=ident):
                header = where.split(":")[0]  # memkit/x.h (ROOT/include/) or src/x.h (ROOT/)
                places = {f"{root}/{sub}{header}" for root in RUNTIMES for sub in ("include/", "")}
                self.assertTrue(places & set(found.get(ident, [])),
                                f"{ident} is no longer in {header}: update or drop its entry")

    def test_templates_spell_only_known_families(self):
        families = template_families()
        self.assertGreaterEqual(len(families), 20)
        self.assertEqual(sorted(families - set(reserved.FAMILIES)), [],
                         "templates/ build identifiers from names in a family that reserved.FAMILIES lacks")

    def test_each_reserved_name_is_rejected(self):
        sections = {"intent": "[intent.{}]\ntier = \"heap\"\nbudget = 64\n",
                    "pool": "[pool.{}]\nclasses = [16]\ncounts = [64]\nthread_cache = 0\n",
                    "handles": "[handles.{}]\ncapacity = 4\nblock_size = 16\n",
                    "async.pool": "[async.pool.{}]\nblock = 16\ncount = 4\nintent = \"other\"\n",
                    "async.channel": "[async.channel.{}]\ncapacity = 4\n",
                    "async.arena": "[async.arena.{}]\nchunk = 256\nmax_chunks = 4\nintent = \"other\"\n",
                    "gpu.heap": "[gpu.heap.{}]\nmemory = \"upload\"\nblock = \"64 KiB\"\nkind = \"ring\"\n",
                    "gpu.intent": "[gpu.intent.{}]\nheap = \"h\"\nusage = [\"vertex\"]\n"
                                  "[gpu.heap.h]\nmemory = \"device_local\"\nblock = \"64 KiB\"\n"}
        checked = 0
        for family in reserved.FAMILIES:
            for ident in sorted(reserved.RUNTIME_NAMES):
                name = reserved.name_of(family, ident)
                if name is None:
                    continue
                with self.subTest(ident=ident):
                    text = ("[memkit]\nschema = 1\n[heap]\nsize = \"64 KiB\"\n[intent.other]\ntier = \"heap\"\n"
                            "budget = 64\n" + sections[family[0]].format(name))
                    m, diag = build(text)
                    self.assertIsNone(m)
                    self.assertEqual([d.message for d in diag.errors if ident in d.message and
                                      f"'{name}' is reserved" in d.message and d.line == 8], [diag.errors[0].message])
                    checked += 1
        self.assertEqual(checked, len(reserved.RUNTIME_NAMES))

    def test_stack_depth(self):
        """The name that broke the build: intent stack_depth -> MK_INTENT_STACK_DEPTH, a fastpath.h macro."""
        self.assertEqual(reserved.clash("intent", "stack_depth"),
                         ("MK_INTENT_STACK_DEPTH", "memkit/limits.h: how deep mk_intent_push may nest"))
        self.assertIsNone(reserved.clash("intent", "stack"))
        self.assertIsNone(reserved.clash("pool", "stack_depth"))

    def test_name_of(self):
        self.assertEqual(reserved.name_of(("intent", "MK_INTENT_", ""), "MK_INTENT_AI"), "ai")
        self.assertIsNone(reserved.name_of(("intent", "MK_INTENT_", ""), "MK_INTENT_"))
        self.assertIsNone(reserved.name_of(("intent", "MK_INTENT_", ""), "MK_INTENT_Ai"))
        self.assertEqual(reserved.name_of(("pool", "mkg_pool_", "_tags"), "mkg_pool_small_tags"), "small")
        self.assertIsNone(reserved.name_of(("pool", "mkg_pool_", "_tags"), "mkg_pool_shapes"))


if __name__ == "__main__":
    unittest.main()
