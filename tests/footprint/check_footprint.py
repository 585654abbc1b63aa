#!/usr/bin/env python3
"""check_footprint.py — memkit-gen --footprint against what a compiler builds.

For one target and each config (by default: static storage with threads,
threads = false, and everything.toml: prefix, sentinel, handles, deferred
frees, async pools, channels, task arenas, the GPU tier):

1. generates the config for the target, and its footprint (--footprint json);
2. compiles the runtime's sources (cmake/runtime_sources.sh) and the generated
   config with the target's compiler; lp64 and i386: into a static library
   that main.c links into a program, which runs; ilp32 (arm-none-eabi): object
   files only, with the OS layer left out when it does not build there;
3. compares every static and thread-local variable: each row of the footprint
   is a symbol of the program with that size and section, and each writable
   symbol of memkit's objects is a row (the GPU tier's only in configs with
   GPU heaps: other programs do not link it);
4. accounts for every byte of the program's .data and .bss: memkit's symbols
   (their sum is the footprint's static total), the C library's and start
   files' symbols, by name, and alignment padding: each gap smaller than the
   alignment its next symbol's address allows;
5. compiles probe.c and compares the size and alignment of each runtime
   structure with the model's (generator/memkit_gen/runtime_layout.py).

Exit status 0 when everything matches, 1 with every mismatch listed, 77 (a
loud SKIP) when the target's compiler is missing or cannot build a program.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(ROOT, "generator", "memkit-gen")
COMPILERS = {  # target -> (compiler command, links and runs a program here)
    "lp64": (["gcc"], True),
    "i386": (["gcc", "-m32"], True),
    "ilp32": (["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb"], False),
}
CONFIGS = [os.path.join(ROOT, "tests", "configs", "static_none.toml"),
           os.path.join(ROOT, "tests", "configs", "single.toml"),
           os.path.join(HERE, "everything.toml")]
CFLAGS = ["-std=c11", "-O2", "-Wno-psabi"]  # -Wno-psabi: gcc notes that i386 changed _Atomic alignment in gcc 11
OS_LAYER = "prim_posix.c"
GPU_SOURCES = os.path.join(ROOT, "gpu", "src")
SKIP = 77


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def runtime_sources():
    """The runtime's sources and include flags, from cmake/runtime_sources.sh (one list for every build)."""
    script = ('. "$1/cmake/runtime_sources.sh"; memkit_runtime_sources "$1"; '
              'printf "%s\\n" "${memkit_srcs[@]}"; echo --; printf "%s\\n" "${memkit_incs[@]}"')
    out = run(["bash", "-c", script, "sh", ROOT], check=True).stdout.split("--\n")
    return out[0].split(), out[1].split()


def writable(section):
    """The class of an allocated, writable section: .data, .bss, .tdata, .tbss; None for others."""
    if section.startswith(".data.rel.ro"):
        return None  # constant after relocation
    for name in (".tdata", ".tbss", ".data", ".bss"):
        if section == name or section.startswith(name + "."):
            return name
    return None


def elf_sections(path):
    """Section index -> (name, address, size)."""
    out = {}
    for line in run(["readelf", "-SW", path], check=True).stdout.splitlines():
        m = re.match(r"^\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s", line)
        if m:
            out[m.group(1)] = (m.group(2), int(m.group(3), 16), int(m.group(4), 16))
    return out


def elf_symbols(path):
    """(name, address, size, type, section name) of every symbol defined in a section, once (a
    dynamic symbol is in .dynsym and .symtab both)."""
    sections = elf_sections(path)
    out = []
    for line in run(["readelf", "-sW", path], check=True).stdout.splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(":") or f[6] not in sections:
            continue
        name = f[7].split("@")[0]
        if name.startswith(("$", ".L")):  # ARM mapping symbols, local labels
            continue
        symbol = (name, int(f[1], 16), int(f[2], 0), f[3], sections[f[6]][0])
        if symbol not in out:
            out.append(symbol)
    return out


def data_symbols(path):
    """name -> (size, section class) of the variables in writable sections."""
    return {name: (size, writable(section)) for name, _, size, kind, section in elf_symbols(path)
            if kind in ("OBJECT", "TLS") and writable(section)}


def linked_name(row_symbol, names):
    """The name a footprint symbol has in `names`: itself, or a function's local static
    ('installed' is gcc's 'installed.0', clang's 'mk__prim_fork_init.installed')."""
    if row_symbol in names:
        return row_symbol
    for name in names:
        if re.fullmatch(re.escape(row_symbol) + r"\.\d+", name) or name.endswith("." + row_symbol):
            return name
    return None


class Case:
    def __init__(self, target, config, out):
        self.target, self.config = target, config
        self.name = os.path.splitext(os.path.basename(config))[0]
        self.out = os.path.join(out, self.name)
        self.gen = os.path.join(self.out, "gen")
        self.cc, self.links = COMPILERS[target]
        self.problems = []

    def fail(self, text):
        self.problems.append(text)

    def generate(self):
        if os.path.isdir(self.out):
            shutil.rmtree(self.out)
        os.makedirs(self.gen)
        args = [sys.executable, GENERATOR, self.config, "--target", self.target]
        run(args + ["-o", self.gen], check=True)
        self.footprint = json.loads(run(args + ["--footprint", "json"], check=True).stdout)

    def compile(self, sources, incs):
        """Object files of the sources that build; the OS layer may not, on bare metal."""
        objs = os.path.join(self.out, "obj")
        os.makedirs(objs)

        def one(src):
            obj = os.path.join(objs, os.path.basename(src)[:-2] + ".o")
            r = run(self.cc + CFLAGS + incs + ["-I" + self.gen, "-c", src, "-o", obj])
            return src, obj, r

        built, self.skipped = [], []
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            for src, obj, r in pool.map(one, sources + [os.path.join(self.gen, "memkit_config.c")]):
                if r.returncode == 0:
                    built.append(obj)
                elif not self.links and os.path.basename(src) == OS_LAYER:
                    self.skipped.append(OS_LAYER)
                else:
                    raise RuntimeError(f"{' '.join(self.cc)} cannot compile {src}:\n{r.stderr}")
        return built

    def check(self, sources, incs):
        self.generate()
        objects = self.compile(sources, incs)
        rows = [r for r in self.footprint["rows"] if r["group"] in ("config", "runtime", "tls")]
        has_gpu = any(r["symbol"].endswith("mk__gpu") for r in rows)
        if self.skipped:  # not compiled: nothing to compare its rows with
            rows = [r for r in rows if f"({OS_LAYER})" not in r["detail"]]
        # memkit's variables, by the object that defines them
        ours = {}
        for obj in objects:
            if not has_gpu and os.path.basename(obj)[:-2] + ".c" in os.listdir(GPU_SOURCES):
                continue  # linked only by programs that call the GPU tier
            for name, (size, section) in data_symbols(obj).items():
                ours[name] = (size, section, os.path.basename(obj))
        if self.links:  # every variable of memkit's objects is a row, linked into this program or not
            binary = self.link(objects)
            present = data_symbols(binary)
        else:
            present = {n: (size, section) for n, (size, section, _) in ours.items()}
        self.compare(rows, ours, present)
        if self.links:
            self.account(binary, set(ours))
        self.probe(incs)
        return self.problems

    def link(self, objects):
        lib = os.path.join(self.out, "libmemkit.a")
        run(["ar", "rcs", lib] + objects, check=True)
        binary = os.path.join(self.out, "program")
        r = run(self.cc + CFLAGS + ["-I" + os.path.join(ROOT, "runtime", "include"), "-I" + self.gen,
                                    "-I" + os.path.join(ROOT, "gpu", "include"), os.path.join(HERE, "main.c"),
                                    lib, "-lpthread", "-o", binary])
        if r.returncode:
            raise RuntimeError(f"cannot link {binary}:\n{r.stderr}")
        r = run([binary])
        if r.returncode:
            self.fail(f"the program exits with status {r.returncode}: {r.stderr.strip()}")
        return binary

    def compare(self, rows, ours, present):
        """Each row is a variable of that size and section; each variable of memkit's is a row."""
        matched = set()
        for r in rows:
            name = linked_name(r["symbol"], present)
            if name is None:
                self.fail(f"{r['symbol']} ({r['what']}): in the footprint, not in the program")
                continue
            matched.add(name)
            size, section = present[name]
            if (size, section) != (r["bytes"], r["section"]):
                self.fail(f"{r['symbol']}: the footprint says {r['bytes']} B in {r['section']}, the compiler "
                          f"made {size} B in {section}")
        for name in sorted(set(ours) - matched):
            size, section, obj = ours[name]
            self.fail(f"{name}: {size} B in {section} from {obj}, not in the footprint")
        self.matched = len(matched)

    def account(self, binary, memkit):
        """Every byte of .data and .bss: memkit's variables, the others', by name, or alignment padding.
        A start file's word without a size (__dso_handle, data_start) owns the bytes up to the next
        symbol when they are one word at most."""
        sections = {name: (addr, size) for name, addr, size in elf_sections(binary).values()}
        markers = ("_edata", "_end", "__bss_start", "__TMC_END__")
        symbols = [s for s in elf_symbols(binary) if s[4] in (".data", ".bss") and s[0] not in markers
                   and (s[2] > 0 or s[3] in ("OBJECT", "NOTYPE"))]
        word = 8 if self.target == "lp64" else 4
        mine = others = padding = 0
        other_names = set()
        for section in (".data", ".bss"):
            if section not in sections:
                continue
            addr, size = sections[section]
            cursor, unsized = addr, None
            for name, start, length, _, _ in sorted((s for s in symbols if s[4] == section),
                                                    key=lambda s: (s[1], s[2])):
                gap = start - cursor
                if gap < 0:
                    raise RuntimeError(f"{name} overlaps the symbol before it")
                if unsized and 0 < gap <= word:
                    others += gap
                    other_names.add(unsized)
                elif gap >= (min(start & -start, 4096) if start else 4096):
                    self.fail(f"{section}: {gap} B before {name} are no variable's and no alignment's")
                else:
                    padding += gap
                unsized = name if length == 0 else None
                if name in memkit:
                    mine += length
                elif length:
                    others += length
                    other_names.add(name)
                cursor = max(cursor, start + length)
            if addr + size - cursor >= 64:
                self.fail(f"{section}: {addr + size - cursor} B after its last variable are no variable's")
            padding += max(0, addr + size - cursor)
        total = sum(sections[s][1] for s in (".data", ".bss") if s in sections)
        static = self.footprint["totals"]["static"]
        if mine != static:
            self.fail(f".data + .bss hold {mine} B of memkit's variables, the footprint's static total is {static} B")
        self.accounting = (f".data + .bss = {total} B: memkit {mine} B, C library and start files {others} B "
                           f"({', '.join(sorted(other_names))}), alignment padding {padding} B")

    def probe(self, incs):
        obj = os.path.join(self.out, "probe.o")
        r = run(self.cc + CFLAGS + incs + ["-I" + self.gen, "-I" + os.path.join(ROOT, "async", "src"), "-c",
                                           os.path.join(HERE, "probe.c"), "-o", obj])
        if r.returncode:
            raise RuntimeError(f"cannot compile probe.c:\n{r.stderr}")
        measured = {}
        for name, _, size, kind, _ in elf_symbols(obj):
            m = re.fullmatch(r"mk_probe_(size|align)_(\w+)", name)
            if m and kind == "OBJECT":
                measured.setdefault(m.group(2), {})[m.group(1)] = size
        model = self.footprint["types"]
        for name in sorted(set(measured) | set(model)):
            if name not in model:
                self.fail(f"{name}: probed by probe.c, missing from the model's types")
            elif name not in measured:
                self.fail(f"{name}: in the model's types, not probed by probe.c")
            elif measured[name] != model[name]:
                self.fail(f"{name}: the model lays it out as {model[name]['size']} B aligned to "
                          f"{model[name]['align']}, the compiler as {measured[name]['size']} B aligned to "
                          f"{measured[name]['align']}")
        self.types = len(measured)


def usable(cc, links, scratch):
    """None when the compiler builds (and for `links`, links and runs) a C program here; else why not."""
    if shutil.which(cc[0]) is None:
        return f"{cc[0]} is not installed"
    src = os.path.join(scratch, "hello.c")
    with open(src, "w", encoding="utf-8") as f:
        f.write("#include <stdint.h>\nint main(void) { return (int)sizeof(uintptr_t) == 0; }\n")
    out = os.path.join(scratch, "hello")
    r = run(cc + ([src, "-o", out] if links else ["-c", src, "-o", out + ".o"]))
    if r.returncode:
        return f"{' '.join(cc)} cannot build a C program: {r.stderr.strip().splitlines()[-1:]}"
    if links and run([out]).returncode:
        return f"a program built by {' '.join(cc)} does not run here"
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True, choices=sorted(COMPILERS))
    p.add_argument("--out", required=True, help="a scratch directory (emptied per config)")
    p.add_argument("configs", nargs="*", default=CONFIGS)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cc, links = COMPILERS[args.target]
    why = usable(cc, links, args.out)
    if why:
        print(f"*** SKIP: footprint on {args.target}: {why} (make test installs gcc-multilib and "
              "gcc-arm-none-eabi)", file=sys.stderr)
        return SKIP
    sources, incs = runtime_sources()
    status = 0
    for config in args.configs:
        case = Case(args.target, config, args.out)
        try:
            problems = case.check(sources, incs)
        except (RuntimeError, subprocess.CalledProcessError) as e:
            problems = [str(e) + (getattr(e, "stderr", "") or "")]
        label = f"{case.name} on {args.target}"
        if problems:
            status = 1
            print(f"FAIL: {label}:")
            for text in problems:
                print(f"  {text}")
            continue
        t = case.footprint["totals"]
        print(f"ok: {label}: static {t['static']} B (config {t['config']} + runtime {t['runtime']}), "
              f"thread-local {t['tls']} B, {case.matched} variables and {case.types} structures as modelled"
              + (f"; {', '.join(case.skipped)} not built for this target" if case.skipped else ""))
        if links:
            print(f"    {case.accounting}")
    return status


if __name__ == "__main__":
    sys.exit(main())
