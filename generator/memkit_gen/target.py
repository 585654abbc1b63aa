"""Targets: the machines memkit-gen generates for.

A target fixes the pointer width, which bounds what a program can address
(reach.py rejects what it cannot), and the few C ABI facts that decide the
size of the runtime's static structures (footprint.py lays them out). The
generated header checks at compile time that it is compiled for its target.

``[memkit] target`` names one; ``memkit-gen --target`` overrides it, and
``--target host`` means the machine running memkit-gen. A config is never
generated for "whatever machine runs the generator" unless asked: outputs stay
the same from one build machine to another.
"""
import platform
import struct
from dataclasses import dataclass
from typing import Dict, Optional

GIB = 1 << 30


@dataclass(frozen=True)
class Target:
    name: str
    about: str                # the ABIs whose layouts it matches exactly
    pointer_bytes: int        # sizeof(void *) == sizeof(size_t) == sizeof(long)
    int64_align: int          # alignment of a plain (not _Atomic) 64-bit integer inside a struct
    enum_bytes: int           # sizeof an enum whose values fit in a byte (short enums: 1)
    lock_free_64: bool        # ATOMIC_LLONG_LOCK_FREE == 2 in threaded builds
    # Static storage (the config's and the runtime's) a program can link; None: no limit of its own.
    # x86-64's default "small" code model reaches static data through 32-bit displacements: a
    # program's code and static data must fit in 2 GiB or the link fails ("relocation truncated
    # to fit"). memkit may take 1.5 GiB; the rest is the program's. Larger tiers use "reserve".
    max_static: Optional[int]
    static_reason: str        # how the error message ends: "that a program can link on ..."
    max_region: int           # bytes of one region (a static array, a mapping); larger is refused
    max_total: Optional[int]  # static plus reserved storage; None: no limit below max_region's
    total_reason: str

    @property
    def bits(self) -> int:
        return 8 * self.pointer_bytes

    @property
    def address_space(self) -> int:
        """Bytes a pointer can address: 4 GiB on 32-bit targets."""
        return 1 << self.bits


# The runtime's own size limit (schema.MAX_SIZE) bounds 64-bit regions; 32-bit targets
# refuse a region of PTRDIFF_MAX + 1 = 2 GiB or more: compilers reject such an array, and
# the runtime's pointer differences would overflow.
_REGION_32 = 2 * GIB - 1
_TOTAL_32_REASON = ("a 32-bit process has 4 GiB of address space, of which 2 GiB (Windows) to 3 GiB "
                    "(Linux) are its own, for its code, stacks and libraries too")

TARGETS: Dict[str, Target] = {t.name: t for t in (
    Target("lp64", "x86-64 and AArch64 System V (Linux, macOS, the BSDs): 64-bit pointers", 8, 8, 4, True,
           GIB + GIB // 2, "that a program can link on x86-64's default code model",
           1 << 40, None, ""),
    Target("ilp32", "32-bit ARM EABI (arm-none-eabi: Cortex-M and Cortex-R): 32-bit pointers, 64-bit integers "
           "aligned to 8, short enums, no lock-free 64-bit atomics", 4, 8, 1, False,
           None, "", _REGION_32, 2 * GIB, _TOTAL_32_REASON),
    Target("i386", "x86 System V (gcc -m32): 32-bit pointers, plain 64-bit integers aligned to 4 in structures",
           4, 4, 4, True, None, "", _REGION_32, 2 * GIB, _TOTAL_32_REASON),
)}
DEFAULT = "lp64"


def host() -> str:
    """The target of the machine running memkit-gen (``--target host``)."""
    if struct.calcsize("P") == 8:
        return "lp64"
    machine = platform.machine().lower()
    return "i386" if machine in ("i386", "i486", "i586", "i686", "x86", "x86_32") else "ilp32"
