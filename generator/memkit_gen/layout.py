"""C layout rules, enough to size the runtime's static structures on a target.

A ``CType`` is a size and an alignment. ``struct`` places its fields as C
compilers do on every target memkit supports: each field at the next multiple
of its alignment, the whole rounded up to its largest alignment. Bit-fields,
packed structs and flexible array members are not needed, so not modelled.

>>> u8, u64 = CType(1, 1), CType(8, 8)
>>> struct(u8, u64, u8)
CType(size=24, align=8)
>>> array(u64, 2, 3).size
48
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class CType:
    size: int
    align: int


def round_up(n: int, multiple: int) -> int:
    return (n + multiple - 1) // multiple * multiple


def array(element: CType, *dims: int) -> CType:
    """element[d0][d1]...: C arrays have their element's alignment."""
    count = 1
    for d in dims:
        count *= d
    return CType(element.size * count, element.align)


def struct(*fields: CType) -> CType:
    offset, align = 0, 1
    for f in fields:
        offset = round_up(offset, f.align) + f.size
        align = max(align, f.align)
    return CType(round_up(offset, align), align)


def aligned(t: CType, alignment: int) -> CType:
    """_Alignas(alignment) T."""
    return CType(round_up(t.size, alignment), max(t.align, alignment))
