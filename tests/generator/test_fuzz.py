"""Fuzzing memkit-gen: mutated and random TOML never crashes it.

Two kinds of input go through the generator, in-process (argv into the command line's
own parse_args + run, so an exception escapes with its traceback instead of being
turned into exit status 2 by main()):

- mutations of the real configs (tests/configs/*.toml, memkit.toml.example,
  tests/golden/*/memkit.toml): lines deleted, duplicated, swapped or borrowed from
  another config, characters flipped, random bytes inserted (NUL and non-UTF-8
  included), numbers made negative, huge, float or strings, values changed to
  another type (string, integer, boolean, array, inline table, date), keys and
  table headers renamed, the file truncated;
- random TOML documents: half of them valid by construction (random shapes, sizes,
  routes and overlays; some then mutated), half random sections, names, keys and
  values loosely shaped like the schema.

Each case must end in exit status 0 (valid output) or 1 (a diagnostic), never in
an uncaught exception, and every stderr line must be a diagnostic
(``FILE:LINE:COL: error|warning: ``), a ``hint: `` line or a ``memkit-gen: `` line.
Exit 1 needs an error line; exit 0 may have none. A sample of the successful
outputs (at most MEMKIT_FUZZ_COMPILE, default 10) is compiled with
``cc -std=c11 -Wall -Wextra -Wpedantic -Wconversion -Werror -fsyntax-only``
(skipped when there is no C compiler; $CC picks one).

The run is deterministic. Environment variables for longer or other runs:

    MEMKIT_FUZZ_SEED=7 MEMKIT_FUZZ_CASES=100000 \\
        python3 -m unittest tests.generator.test_fuzz

- ``MEMKIT_FUZZ_SEED``: the random seed (default 1).
- ``MEMKIT_FUZZ_CASES``: cases in all (default 3000; two thirds mutations, one third
  random documents).
- ``MEMKIT_FUZZ_COMPILE``: successful outputs compiled (default 10; 0: none).

A failing case is written to a temp file named in the failure message together with
the command line that reproduces it.
"""
import contextlib
import glob
import io
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import traceback
import unittest
from unittest import mock

from . import support
from memkit_gen import cli, model
from memkit_gen.schema import SECTIONS, Key, fmt_size

SEED = int(os.environ.get("MEMKIT_FUZZ_SEED", "1"))
CASES = int(os.environ.get("MEMKIT_FUZZ_CASES", "3000"))
COMPILE = int(os.environ.get("MEMKIT_FUZZ_COMPILE", "10"))

LINE_OK = re.compile(r"^[^:]+:\d+:\d+: (error|warning): |^hint: |^memkit-gen: ")
ERROR_LINE = re.compile(r"^[^:]+:\d+:\d+: error: |^memkit-gen: error: |^memkit-gen: .*--strict")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Werror", "-fsyntax-only"]


def corpus():
    """(name, bytes) of every config the mutations start from."""
    paths = sorted(glob.glob(os.path.join(support.REPO, "tests", "configs", "*.toml")))
    paths.append(os.path.join(support.REPO, "memkit.toml.example"))
    paths += sorted(glob.glob(os.path.join(support.GOLDEN, "*", "memkit.toml")))
    out = []
    for path in paths:
        with open(path, "rb") as f:
            out.append((os.path.relpath(path, support.REPO), f.read()))
    return out


# -- values and keys ------------------------------------------------------------------

WILD_NUMBERS = ["-1", "-4096", "0", "1", "3", "7", "17", "255", "256", "1023", "65535", "4294967295",
                "4294967296", "18446744073709551616", "9223372036854775807", "-9223372036854775808",
                "1099511627776", "1099511627777", "100000000000000000000000000000", "1.5", "-0.0",
                "1e300", "inf", "-inf", "nan", "0x10", "0o17", "0b101", "1_024", "+5",
                "\"12\"", "\"-1 KiB\"", "\"1.5 MiB\"", "\"99999999999999 GiB\"", "true"]
WILD_STRINGS = ["", "frame", "pool", "heap", "async", "gpu", "fail", "fallback", "callback", "panic",
                "static", "reserve", "system", "none", "atomic", "plain", "small", "large", "shared",
                "64 KiB", "1 MiB", "4 GiB", "1024 GiB", "1025 GiB", "64 KB", "64", "KiB", " 8 B ",
                "Ünïcødé", "a\\nb", "tab\\there", "quote\\\"d", "\\u0000", "*/", "%s%n", "x" * 300]
VALUES = ["\"frame\"", "\"heap\"", "\"pool\"", "42", "0", "-3", "true", "false", "[]", "[1, 2]",
          "[16, 32, 64]", "[\"a\", 1]", "[[16], [32]]", "{}", "{ a = 1 }", "{ tier = \"heap\" }",
          "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00", "3.25", "\"64 KiB\"", "'literal'",
          "\"\"\"multi\nline\"\"\"", "[{ x = 1 }]", "\"1 MiB\"", "16", "4096"]
ALL_KEYS = sorted({k for _, keys in SECTIONS.values() for k in keys})
NAMES = ["a", "b", "small", "large", "physics", "assets", "ui", "x1", "shared", "Bad", "9lives",
         "with-dash", "\"quoted name\"", "\"a.b\"", "\"\"", "\"line\\nbreak\"", "\"\\u00e9t\\u00e9\"",
         "handheld", "p"]
SECTION_NAMES = sorted(list(SECTIONS) + ["platform", "memkitt", "intents", "Frame", "gpu.heaps"])


def random_string(rng):
    return "\"" + rng.choice(WILD_STRINGS) + "\""


def random_scalar(rng):
    r = rng.random()
    if r < 0.35:
        return rng.choice(WILD_NUMBERS)
    if r < 0.6:
        return random_string(rng)
    return rng.choice(VALUES)


# -- mutations ------------------------------------------------------------------------

NUMBER = re.compile(rb"(?<![A-Za-z0-9_.])-?[0-9][0-9_]*(?:\.[0-9]+)?")
KEYVAL = re.compile(rb"^(\s*)([A-Za-z0-9_.\"-]+)(\s*=\s*)(.*)$", re.M)
HEADER = re.compile(rb"^\s*\[([^\]\n]*)\]", re.M)


def _lines(data):
    return data.split(b"\n")


def m_delete_line(rng, data, _others):
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def m_duplicate_line(rng, data, _others):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return b"\n".join(lines)


def m_swap_lines(rng, data, _others):
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def m_borrow_line(rng, data, others):
    lines = _lines(data)
    donor = _lines(rng.choice(others))
    lines.insert(rng.randrange(len(lines) + 1), rng.choice(donor))
    return b"\n".join(lines)


def m_flip_char(rng, data, _others):
    if not data:
        return data
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(b))
        b[i] = rng.choice([b[i] ^ (1 << rng.randrange(8)), rng.choice(b"[]{}=\"'.,#\\\n 0-"), rng.randrange(256)])
    return bytes(b)


def m_insert_bytes(rng, data, _others):
    pool = [b"\x00", b"\xff", b"\xc3", b"\xe2\x82", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\t", b"\x7f",
            b"\x1b[31m", "é".encode(), "\u2028".encode(), "\U0001F600".encode(), b"\\", b"\"\"\"", b"'''"]
    chunk = b"".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.3:
        chunk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    i = rng.randrange(len(data) + 1)
    return data[:i] + chunk + data[i:]


def m_change_number(rng, data, _others):
    found = list(NUMBER.finditer(data))
    if not found:
        return data
    m = rng.choice(found)
    return data[:m.start()] + rng.choice(WILD_NUMBERS).encode() + data[m.end():]


def m_change_value(rng, data, _others):
    found = list(KEYVAL.finditer(data))
    if not found:
        return data
    m = rng.choice(found)
    return data[:m.start(4)] + random_scalar(rng).encode() + data[m.end(4):]


def m_rename_key(rng, data, _others):
    found = list(KEYVAL.finditer(data))
    if not found:
        return data
    m = rng.choice(found)
    key = m.group(2).decode("utf-8", "replace")
    choice = rng.random()
    if choice < 0.4:
        new = rng.choice(ALL_KEYS)
    elif choice < 0.6 and len(key) > 1:
        i = rng.randrange(len(key))
        new = key[:i] + key[i + 1:]           # a typo
    elif choice < 0.7:
        new = key.upper()
    elif choice < 0.8:
        new = rng.choice(SECTION_NAMES) + "." + rng.choice(NAMES) + "." + rng.choice(ALL_KEYS)
    else:
        new = rng.choice(NAMES)
    return data[:m.start(2)] + new.encode() + data[m.end(2):]


def m_rename_header(rng, data, _others):
    found = list(HEADER.finditer(data))
    if not found:
        return data
    m = rng.choice(found)
    r = rng.random()
    if r < 0.5:
        new = rng.choice(SECTION_NAMES) + ("." + rng.choice(NAMES) if rng.random() < 0.6 else "")
    elif r < 0.7:
        new = m.group(1).decode("utf-8", "replace") + "." + rng.choice(NAMES)
    elif r < 0.8:
        new = "[" + m.group(1).decode("utf-8", "replace") + "]"    # [[array of tables]]
    else:
        new = "platform." + rng.choice(NAMES) + "." + rng.choice(SECTION_NAMES)
    return data[:m.start(1)] + new.encode() + data[m.end(1):]


def m_truncate(rng, data, _others):
    return data[:rng.randrange(len(data) + 1)]


MUTATIONS = (m_delete_line, m_duplicate_line, m_swap_lines, m_borrow_line, m_flip_char, m_insert_bytes,
             m_change_number, m_change_number, m_change_value, m_change_value, m_rename_key, m_rename_header,
             m_truncate)


def mutate(rng, data, others):
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5))):
        data = rng.choice(MUTATIONS)(rng, data, others)
    return data


# -- random documents ---------------------------------------------------------------------

def plausible(rng, key, spec, names):
    """A value for `spec` that is usually within the schema."""
    kind = spec.kind
    if kind == "schema":
        return "1"
    if kind == "bool":
        return rng.choice(("true", "false"))
    if kind == "alignment":
        return str(rng.choice((8, 16, 16, 32, 64, 4096)))
    if kind == "int":
        lo, hi = spec.lo, spec.hi
        return str(rng.choice((lo, hi, rng.randint(lo, min(hi, 64)), rng.randint(lo, hi))))
    if kind == "size":
        n = rng.choice((16, 64, 256, 4096, 65536, 1 << 20, 4 << 20, 48, 1 << 30, 1 << 40))
        if key in ("size",):
            n = max(n, 4096)
        if rng.random() < 0.5:
            return f"\"{fmt_size(n)}\""
        return str(n)
    if kind == "duration":
        return rng.choice(("\"50 ms\"", "\"250ns\"", "\"2 s\"", "\"100 us\"", "\"3601 s\"", "\"0 ms\"",
                           "\"5 min\"", "50"))
    if kind == "enum":
        return f"\"{rng.choice(spec.choices + tuple(r[0] for r in spec.refused))}\""
    if kind == "name":
        return f"\"{rng.choice(names)}\""
    if kind == "prefix":
        return f"\"{rng.choice(('audio', 'net2', 'a_b', 'mkaudio', 'Audio', '2d', 'x' * 25))}\""
    if kind == "int_list":
        if key == "classes":
            size, out = 0, []
            for _ in range(rng.choice((1, 2, 3, 4, 8, 40))):
                size += rng.choice((16, 16, 32, 64, 512))
                out.append(size)
        else:
            out = [rng.choice((1, 2, 7, 64, 1000, 100000)) for _ in range(rng.choice((1, 2, 3, 4)))]
        return "[" + ", ".join(map(str, out)) + "]"
    if kind == "enum_list":
        picked = rng.sample(spec.choices + ("texture",), rng.choice((1, 1, 2, 3)))
        return "[" + ", ".join(f"\"{c}\"" for c in picked) + "]"
    if kind == "pattern":
        return f"\"{rng.choice(('libsqlite3.so*', '<main>', 'lib[a-z]?.so', 'a/b', 'lib[x', ''))}\""
    if kind == "rules":  # [override] rules: inline tables of module, sizes and intent
        rules = []
        for _ in range(rng.choice((0, 1, 2, 3))):
            keys = rng.sample(("module", "min_size", "max_size", "intent", "intent"), rng.randint(1, 4))
            fields = {"module": plausible(rng, "module", Key("pattern"), names),
                      "min_size": plausible(rng, "min_size", Key("size"), names),
                      "max_size": plausible(rng, "max_size", Key("size"), names),
                      "intent": f"\"{rng.choice(names)}\""}
            rules.append("{ " + ", ".join(f"{k} = {fields[k]}" for k in sorted(set(keys))) + " }")
        return "[" + ", ".join(rules) + "]"
    raise AssertionError(kind)


def random_document(rng):
    """A TOML text: random sections and keys, mostly shaped like a memkit.toml."""
    wild = rng.random() < 0.25      # far from the schema
    sane = 1.0 - (0.6 if wild else rng.choice((0.02, 0.05, 0.15)))
    pools = sorted(set(rng.sample(["small", "large", "p", "shared", "a"], rng.choice((0, 1, 1, 2, 3)))))
    intents = sorted(set(rng.sample(["physics", "assets", "ui", "a", "b", "x1", "small"], rng.randint(0, 4))))
    handles = sorted(set(rng.sample(["entities", "meshes", "b"], rng.choice((0, 0, 1, 2)))))
    names = pools + intents + ["nope"]
    blocks = []

    def table(header, section, keys_from=None):
        keys = SECTIONS[section][1] if section in SECTIONS else {}
        lines = [f"[{header}]"] if header else []
        for key, spec in sorted(keys.items()):
            if spec.required and rng.random() < sane or rng.random() < 0.4:
                value = plausible(rng, key, spec, keys_from or names) if rng.random() < sane else random_scalar(rng)
                lines.append(f"{key} = {value}")
        while rng.random() > sane + 0.1 * (1 - sane):
            lines.append(f"{rng.choice(ALL_KEYS + NAMES)} = {random_scalar(rng)}")
        return lines

    if rng.random() < sane:
        blocks.append(table("memkit", "memkit"))
    for section in ("frame", "heap", "budget", "scratch", "deferred"):
        if rng.random() < (0.5 if sane > 0.9 else 0.3):
            blocks.append(table(section, section, intents if section == "scratch" else None))
    for name in pools:
        blocks.append(table(f"pool.{name}", "pool"))
    for name in intents:
        lines = table(f"intent.{name}", "intent", pools)
        blocks.append(lines)
    for name in handles:
        blocks.append(table(f"handles.{name}", "handles"))
    for kind in ("pool", "channel", "arena"):
        for name in sorted(set(rng.sample(["requests", "jobs", "b"], rng.choice((0, 0, 1, 2))))):
            blocks.append(table(f"async.{kind}.{name}", f"async.{kind}", intents))
    gpu_heaps = sorted(set(rng.sample(["device", "staging", "b"], rng.choice((0, 0, 1, 2)))))
    if gpu_heaps and rng.random() < 0.5:
        blocks.append(table("gpu", "gpu"))
    for name in gpu_heaps:
        blocks.append(table(f"gpu.heap.{name}", "gpu.heap"))
    for name in sorted(set(rng.sample(["meshes", "ui", "b"], rng.choice((0, 0, 1, 2))))):
        blocks.append(table(f"gpu.intent.{name}", "gpu.intent", gpu_heaps + ["nope"]))
    if rng.random() < 0.3:
        overlay = [f"[platform.{rng.choice(('handheld', 'p', 'Bad'))}]"]
        for _ in range(rng.randint(0, 4)):
            section = rng.choice(sorted(SECTIONS))
            named = SECTIONS[section][0]
            key, spec = rng.choice(sorted(SECTIONS[section][1].items()))
            prefix = f"{section}.{rng.choice(names)}." if named else f"{section}."
            value = plausible(rng, key, spec, names) if rng.random() < sane else random_scalar(rng)
            overlay.append(f"{prefix}{key} = {value}")
        blocks.append(overlay)
    for _ in range(rng.choice((0, 0, 0, 1, 2)) if not wild else rng.randint(1, 4)):
        header = rng.choice(SECTION_NAMES) + ("." + rng.choice(NAMES) if rng.random() < 0.5 else "")
        blocks.append([f"[{header}]"] + [f"{rng.choice(ALL_KEYS + NAMES)} = {random_scalar(rng)}"
                                         for _ in range(rng.randint(0, 3))])
    if wild:
        rng.shuffle(blocks)
    return ("\n".join("\n".join(b) for b in blocks) + "\n").encode("utf-8")


def coherent_document(rng):
    """A TOML text that is valid by construction (random shapes, sizes and routes)."""
    align = rng.choice((8, 16, 16, 32, 64))
    out = ["[memkit]", "schema = 1"]
    threads = rng.random() < 0.8
    if not threads:
        out.append("threads = false")
    elif rng.random() < 0.5:
        out.append(f"max_threads = {rng.choice((1, 2, 4, 16, 64))}")
    if rng.random() < 0.4:
        out.append(f"frames_in_flight = {rng.randint(1, 8)}")
    if align != 16 or rng.random() < 0.3:
        out.append(f"alignment = {align}")
    if rng.random() < 0.2:
        out.append(f"prefix = \"{rng.choice(('audio', 'net', 'physics_2'))}\"")
    has_frame, has_heap = rng.random() < 0.6, rng.random() < 0.6
    pools = sorted(rng.sample(["small", "large", "p", "a"], rng.choice((0, 1, 1, 2, 3))))
    tiers = (["frame"] if has_frame else []) + (["heap"] if has_heap else []) + (["pool"] if pools else [])
    if not tiers:
        has_heap, tiers = True, ["heap"]
    if rng.random() < 0.3:
        tiers.append("async")
    if has_frame:
        out += ["[frame]", f"arena = {align * rng.choice((1, 4, 1024, 4096, 65536))}"]
        if rng.random() < 0.5:
            out.append(f"overflow = \"{rng.choice(('fail', 'panic') + (('heap',) if has_heap else ()))}\"")
        if rng.random() < 0.3:
            out.append(f"storage = \"{rng.choice(('static', 'reserve'))}\"")
    if has_heap:
        out += ["[heap]", f"size = \"{rng.choice(('4 KiB', '64 KiB', '1 MiB', '32 MiB'))}\""]
        if rng.random() < 0.3:
            out.append(f"fallback = \"{rng.choice(('system', 'none'))}\"")
        if rng.random() < 0.3:
            out.append(f"storage = \"{rng.choice(('static', 'reserve'))}\"")
    for name in pools:
        size, classes = 0, []
        for _ in range(rng.choice((1, 2, 3, 5, 8, 30))):
            size += align * rng.choice((1, 1, 2, 3, 8))
            if size > 1 << 20:
                break
            classes.append(size)
        out += [f"[pool.{name}]", f"classes = {classes}"]
        if rng.random() < 0.5:
            out.append(f"capacity = {len(classes) * classes[-1] * rng.choice((1, 3, 64))}")
        else:
            out.append(f"counts = {[rng.choice((1, 2, 100, 4096)) for _ in classes]}")
        if rng.random() < 0.3:
            out.append(f"thread_cache = {rng.randint(0, 255)}")
        if rng.random() < 0.3:
            out.append(f"storage = \"{rng.choice(('static', 'reserve'))}\"")
    intents = sorted(rng.sample(["physics", "assets", "ui", "a", "b", "x1", "small"], rng.randint(1, 5)))
    routed = {}
    budgets = []
    for name in intents:
        tier = rng.choice(tiers)
        routed[name] = tier
        out += [f"[intent.{name}]", f"tier = \"{tier}\""]
        if tier == "pool" and (len(pools) > 1 or rng.random() < 0.3):
            out.append(f"pool = \"{rng.choice(pools)}\"")
        if tier == "pool" and rng.random() < 0.3:
            out.append(f"oversize = \"{rng.choice(('fail', 'heap') if has_heap else ('fail',))}\"")
        if rng.random() < 0.6:
            budgets.append(rng.choice((64, 4096, 1 << 20)))
            out.append(f"budget = {budgets[-1]}")
        policies = ("fail", "callback", "panic") + (("fallback",) if has_heap and tier != "async" else ())
        if rng.random() < 0.4:
            out.append(f"on_exhausted = \"{rng.choice(policies)}\"")
        if rng.random() < 0.3:
            out.append(f"zero_on_free = {rng.choice(('true', 'false'))}")
        if rng.random() < 0.3 and tier != "async":
            out.append(f"refcount = \"{rng.choice(('atomic', 'plain'))}\"")
    if rng.random() < 0.4:
        out += ["[budget]", f"total = {max(budgets + [1]) * rng.choice((1, 2, 100))}"]
    for name in sorted(rng.sample(["entities", "meshes"], rng.choice((0, 0, 1, 2)))):
        out += [f"[handles.{name}]", f"capacity = {rng.choice((1, 64, 4096))}",
                f"block_size = {align * rng.choice((1, 2, 8))}"]
    out += async_sections(rng, intents, align) if "async" in tiers else []
    usable = [n for n in intents if routed[n] in ("pool", "heap")]
    if usable and rng.random() < 0.3:
        out += ["[scratch]", f"intent = \"{rng.choice(usable)}\"", f"cap = {rng.choice((1, 4096))}"]
    if rng.random() < 0.3:
        out += ["[deferred]", f"capacity = {rng.randint(1, 1 << 20)}", f"max_frames = {rng.randint(1, 255)}"]
    if rng.random() < 0.4:
        out += ["[platform.p]", f"memkit.frames_in_flight = {rng.randint(1, 8)}",
                f"intent.{rng.choice(intents)}.zero_on_free = true"]
    return ("\n".join(out) + "\n").encode("utf-8")


def async_sections(rng, intents, align):
    """Valid [async.pool|channel|arena.NAME] tables, each naming one of `intents`."""
    out = []

    def waiting(backpressures):
        backpressure = rng.choice(backpressures)
        lines = [f"backpressure = \"{backpressure}\""] if backpressure != "wait" or rng.random() < 0.3 else []
        return lines + ([f"timeout = \"{rng.choice((1, 50, 999))} {rng.choice(('ns', 'us', 'ms', 's'))}\""]
                        if backpressure == "timeout" else [])

    def storage():
        return [f"storage = \"{rng.choice(('static', 'reserve'))}\"", "prefault = true"][:rng.choice((0, 1, 2))]

    for name in sorted(rng.sample(["requests", "cache", "b"], rng.choice((0, 1, 2)))):
        out += [f"[async.pool.{name}]", f"block = {align * rng.choice((1, 4, 256))}",
                f"count = {rng.choice((1, 64, 4096))}", f"intent = \"{rng.choice(intents)}\""]
        out += waiting(("wait", "fail", "timeout", "evict")) + storage()
    for name in sorted(rng.sample(["decoded", "outbox"], rng.choice((0, 1, 2)))):
        out += [f"[async.channel.{name}]", f"capacity = {rng.choice((1, 64, 1 << 16))}"]
        out += waiting(("wait", "fail", "timeout"))
    for name in sorted(rng.sample(["jobs", "b"], rng.choice((0, 1, 2)))):
        out += [f"[async.arena.{name}]", f"chunk = {max(256, align * rng.choice((16, 4096)))}",
                f"max_chunks = {rng.choice((1, 32, 1000))}", f"intent = \"{rng.choice(intents)}\""]
        out += storage()
    return out


# -- the harness ----------------------------------------------------------------------------

class FuzzHarness:
    """Runs memkit-gen in-process on one input and checks how it ended."""

    def __init__(self, test, tmp):
        self.test = test
        self.tmp = tmp
        self.config = os.path.join(tmp, "case.toml")
        self.out = os.path.join(tmp, "out")
        self.successes = []     # (data, platform) that exited 0
        self.counts = {0: 0, 1: 0}

    def invoke(self, argv):
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                rc = cli.run(cli.parse_args(argv))
            except SystemExit as e:     # argparse; the generator itself never exits
                rc = e.code
        return rc, err.getvalue()

    def fail(self, data, platform, what, origin):
        fd, path = tempfile.mkstemp(prefix="memkit-fuzz-", suffix=".toml")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        command = f"python3 generator/memkit-gen {path} -o /tmp/memkit-fuzz-out"
        if platform:
            command += f" --platform {platform}"
        self.test.fail(f"memkit-gen fuzz case from {origin} (seed {SEED}): {what}\n"
                       f"input saved to: {path}\nreproduce: {command}")

    def check(self, data, platform, origin):
        with open(self.config, "wb") as f:
            f.write(data)
        argv = [self.config, "-o", self.out] + (["--platform", platform] if platform else [])
        try:
            rc, err = self.invoke(argv)
        except Exception:  # noqa: BLE001 -- any escaping exception is the finding
            self.fail(data, platform, "uncaught exception:\n" + traceback.format_exc(), origin)
        lines = err.splitlines()
        bad = [line for line in lines if not LINE_OK.match(line)]
        if rc not in (0, 1):
            self.fail(data, platform, f"exit status {rc}\n{err}", origin)
        if bad or "internal error" in err:
            self.fail(data, platform, f"stderr lines that are no diagnostic: {bad!r}\n{err}", origin)
        errors = [line for line in lines if ERROR_LINE.match(line)]
        if rc == 1 and not errors:
            self.fail(data, platform, f"exit status 1 without an error line\n{err}", origin)
        if rc == 0 and errors:
            self.fail(data, platform, f"exit status 0 with an error line\n{err}", origin)
        self.counts[rc] += 1
        if rc == 0:
            self.successes.append((data, platform, origin))
        return rc

    def compile_sample(self, rng, n):
        """Regenerates and compiles up to `n` successful cases; returns how many were compiled."""
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if not cc or n <= 0 or not self.successes:
            return 0
        sample = rng.sample(self.successes, min(n, len(self.successes)))
        include = os.path.join(support.REPO, "runtime", "include")
        jobs = []
        for i, (data, platform, origin) in enumerate(sample):
            case_dir = os.path.join(self.tmp, f"compile{i}")
            os.makedirs(case_dir)
            config = os.path.join(case_dir, "memkit.toml")
            with open(config, "wb") as f:
                f.write(data)
            out = os.path.join(case_dir, "gen")
            rc, err = self.invoke([config, "-o", out] + (["--platform", platform] if platform else []))
            self.test.assertEqual(rc, 0, err)
            with open(os.path.join(out, "memkit_config.h"), encoding="utf-8") as f:
                if f"#define MKG_TARGET_POINTER_BYTES {struct.calcsize('P')}\n" not in f.read():
                    continue  # for another target (cortex_m*.toml: ilp32): the host compiler refuses it
            proc = subprocess.Popen([cc] + CFLAGS + ["-I", include, "-I", out,
                                                     os.path.join(out, "memkit_config.c")],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            jobs.append((proc, data, platform, origin))
        for proc, data, platform, origin in jobs:
            output, _ = proc.communicate()
            if proc.returncode != 0:
                self.fail(data, platform, f"generated C does not compile:\n{output[-4000:]}", origin)
        return len(jobs)


class FuzzTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="memkit-fuzz-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.harness = FuzzHarness(self, self.tmp)

    def test_mutated_configs(self):
        rng = random.Random(f"mutations-{SEED}")
        seeds = corpus()
        self.assertGreaterEqual(len(seeds), 10)
        datas = [d for _, d in seeds]
        for i in range(CASES - CASES // 3):
            name, data = seeds[i % len(seeds)]
            mutated = mutate(rng, data, datas)
            platform = None
            if rng.random() < 0.3:
                found = re.findall(rb"platform\.([A-Za-z0-9_]+)", mutated)
                platform = (rng.choice(found).decode() if found and rng.random() < 0.8
                            else rng.choice(("handheld", "small", "nope")))
            self.harness.check(mutated, platform, f"a mutation of {name}, case {i}")
        self.assertGreater(self.harness.counts[1], 0)
        self.assertGreater(self.harness.counts[0], 0)
        self.harness.compile_sample(rng, COMPILE - COMPILE // 2)

    def test_random_documents(self):
        rng = random.Random(f"documents-{SEED}")
        others = [d for _, d in corpus()]
        for i in range(CASES // 3):
            if rng.random() < 0.5:
                data = coherent_document(rng)
                if rng.random() < 0.3:
                    data = mutate(rng, data, others)
            else:
                data = random_document(rng)
            platform = None
            if b"[platform.p]" in data and rng.random() < 0.6:
                platform = "p"
            elif rng.random() < 0.1:
                platform = rng.choice(("handheld", "p", "nope"))
            self.harness.check(data, platform, f"random document, case {i}")
        self.assertGreater(self.harness.counts[1], 0)
        self.assertGreater(self.harness.counts[0], 0, "no random document was valid")
        self.harness.compile_sample(rng, COMPILE // 2)

    def test_harness_reports_a_crash_with_its_input(self):
        """A traceback inside the generator fails the case and saves the input."""
        data = corpus()[0][1]
        with mock.patch.object(model, "build", side_effect=ZeroDivisionError("boom")):
            with self.assertRaises(self.failureException) as caught:
                self.harness.check(data, None, "the crash self-test")
        message = str(caught.exception)
        self.assertIn("ZeroDivisionError: boom", message)
        self.assertIn("Traceback", message)
        path = re.search(r"input saved to: (\S+)", message).group(1)
        self.addCleanup(os.remove, path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)

    def test_harness_rejects_a_stray_line(self):
        data = corpus()[0][1]
        real = cli.run

        def noisy(args):
            import sys
            print("oops, not a diagnostic", file=sys.stderr)
            return real(args)

        with mock.patch.object(cli, "run", side_effect=noisy):
            with self.assertRaises(self.failureException) as caught:
                self.harness.check(data, None, "the stray-line self-test")
        path = re.search(r"input saved to: (\S+)", str(caught.exception)).group(1)
        os.remove(path)
        self.assertIn("oops, not a diagnostic", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
