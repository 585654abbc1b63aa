"""Names a config may not give its tables: the runtime already uses them.

Every [intent.NAME], [pool.NAME], [handles.NAME], [async.pool|channel|arena.NAME] and [gpu.heap|intent.NAME]
becomes C identifiers of a family that templates/ spell (``FAMILIES``): intent ``physics`` is the enum
constant ``MK_INTENT_PHYSICS``, pool ``small`` is ``MK_POOL_SMALL`` and the
arrays ``mkg_pool_small_*``. When the runtime's own headers or sources already
define an identifier of such a family (``MK_INTENT_STACK_DEPTH`` is a macro of
memkit/fastpath.h), that name would make the generated header fail to
compile, or quietly change what the macro means, so schema.py rejects it and
names the identifier it clashes with.

``RUNTIME_NAMES`` is written down here rather than read from runtime/ when
memkit-gen runs, because memkit-gen runs without the runtime's sources (it
only knows the runtime ABI it writes for). tests/generator/test_reserved.py
scans runtime/ and async/ for every identifier of a family and fails when one
is missing from this list, so the list follows the runtime.
"""
from typing import Dict, Optional, Tuple

# (section, prefix, suffix) of each family of generated identifiers. An upper-case
# prefix takes the name in upper case (c_const in emit.py), a lower-case one as written.
FAMILIES: Tuple[Tuple[str, str, str], ...] = (
    ("intent", "MK_INTENT_", ""),
    ("pool", "MK_POOL_", ""),
    ("pool", "mkg_pool_", "_storage"),
    ("pool", "mkg_pool_", "_tags"),
    ("pool", "mkg_pool_", "_free_bits"),
    ("pool", "mkg_pool_", "_spans"),
    ("pool", "mkg_pool_", "_size_class"),
    ("handles", "MK_HANDLES_", ""),
    ("handles", "mkg_handles_", "_blocks"),
    ("handles", "mkg_handles_", "_slots"),
    ("handles", "mkg_handles_", "_owner"),
    ("async.pool", "MK_ASYNC_POOL_", ""),
    ("async.pool", "mkg_async_pool_", "_storage"),
    ("async.pool", "mkg_async_pool_", "_free_stack"),
    ("async.pool", "mkg_async_pool_", "_slots"),
    ("async.channel", "MK_ASYNC_CHANNEL_", ""),
    ("async.channel", "mkg_async_channel_", "_ring"),
    ("async.arena", "MK_ASYNC_ARENA_", ""),
    ("async.arena", "mkg_async_arena_", "_storage"),
    ("async.arena", "mkg_async_arena_", "_free_stack"),
    ("gpu.heap", "MK_GPU_HEAP_", ""),
    ("gpu.intent", "MK_GPU_INTENT_", ""),
)

# Every runtime identifier that falls in a family -> "where: what", where being a header
# under runtime/include/ or async/include/ (memkit/x.h), or under runtime/, async/ or gpu/ (src/x.h).
RUNTIME_NAMES: Dict[str, str] = {
    "MK_INTENT_SCOPE": "memkit/lifecycle.h: the scope macro that pushes an intent",
    "MK_INTENT_STACK_DEPTH": "memkit/limits.h: how deep mk_intent_push may nest",
    "MK_POOL_SHARED": "memkit/config.h: the owner of a pool that several intents share",
    "MK_GPU_HEAP_KIND_TLSF": "memkit/config.h: a GPU heap's kind, general sub-allocation",
    "MK_GPU_HEAP_KIND_LINEAR": "memkit/config.h: a GPU heap's kind, per-frame linear",
    "MK_GPU_HEAP_KIND_RING": "memkit/config.h: a GPU heap's kind, the staging ring",
    "MK_GPU_HEAP_DEVICE_LOCAL": "src/backend.h: the Vulkan memory heap flag VK_MEMORY_HEAP_DEVICE_LOCAL_BIT",
}


def identifier(family: Tuple[str, str, str], name: str) -> str:
    """The C identifier that `family` makes of a table name: ('intent', 'MK_INTENT_', ''), 'ai' -> 'MK_INTENT_AI'."""
    _, prefix, suffix = family
    return prefix + (name.upper() if prefix.isupper() else name) + suffix


def name_of(family: Tuple[str, str, str], ident: str) -> Optional[str]:
    """The table name whose identifier in `family` is `ident`, or None when no name makes it."""
    _, prefix, suffix = family
    if not (ident.startswith(prefix) and ident.endswith(suffix)) or len(ident) <= len(prefix) + len(suffix):
        return None
    middle = ident[len(prefix):len(ident) - len(suffix)]
    if prefix.isupper():
        return middle.lower() if middle == middle.upper() else None
    return middle


def clash(section: str, name: str) -> Optional[Tuple[str, str]]:
    """(runtime identifier, where it is defined) when a [section.name] table would redefine it, else None."""
    for family in FAMILIES:
        if family[0] == section:
            ident = identifier(family, name)
            if ident in RUNTIME_NAMES:
                return ident, RUNTIME_NAMES[ident]
    return None
