"""The runtime's fixed capacities and thresholds, set in memkit.toml.

Each is a generated constant (``MKG_...`` in memkit_config.h), never an
``#ifndef`` that a -D flag could set differently in two translation units:
the runtime, the generated config and every user file that includes a memkit
header see the one value the config gives. Capacities of the lifecycle, the
containers and shared buffers live in ``[limits]``; those of sentinel mode in
``[debug]``; those of the GPU tier in ``[gpu]``. The public headers keep the
old names (``MK_MAX_PHASES`` …) as aliases of the generated ones
(memkit/limits.h). schema.py takes its keys from here, model.py its values,
runtime_layout.py the sizes they give, and docs/config.md lists them.
"""
from dataclasses import dataclass
from typing import Dict, Tuple


@dataclass(frozen=True)
class Limit:
    section: str      # the table that holds the key
    key: str
    macro: str        # the generated constant
    default: int
    lo: int
    hi: int
    what: str         # what the number bounds, for the header's comment and the docs


LIMITS: Tuple[Limit, ...] = (
    Limit("limits", "phases", "MKG_MAX_PHASES", 32, 1, 4096,
          "distinct phase names per run (mk_phase_begin)"),
    Limit("limits", "phase_depth", "MKG_PHASE_DEPTH", 16, 1, 1024,
          "phase levels open at once per thread"),
    Limit("limits", "intent_depth", "MKG_INTENT_STACK_DEPTH", 16, 1, 1024,
          "intent scopes (mk_intent_push) nested per thread"),
    Limit("limits", "mark_depth", "MKG_MARK_DEPTH", 64, 1, 65536,
          "frame checkpoints (mk_frame_mark) open at once per thread"),
    Limit("limits", "frame_callbacks", "MKG_MAX_FRAME_CALLBACKS", 16, 1, 1024,
          "frame-begin callbacks, and as many frame-end callbacks"),
    Limit("limits", "groups", "MKG_MAX_GROUPS", 64, 1, 65536,
          "allocation groups open at once (mk_group_create)"),
    Limit("limits", "shared_name_bytes", "MKG_SHARED_NAME_MAX", 32, 1, 4096,
          "bytes kept of a shared buffer's name, its terminating NUL included"),
    Limit("limits", "vec_min_bytes", "MKG_FRAME_VEC_MIN_BYTES", 64, 1, 1 << 20,
          "the first block of a frame vec or str, which then doubles"),
    Limit("debug", "canary_bytes", "MKG_SENTINEL_CANARY", 16, 2, 4096,
          "sentinel mode: canary bytes after each pool and heap block"),
    Limit("debug", "tracked_marks", "MKG_SENTINEL_MARKS", 32, 1, 65536,
          "sentinel mode: open checkpoints tracked per thread slot"),
    Limit("debug", "tracked_transfers", "MKG_SENTINEL_TRANSFERS", 64, 1, 65536,
          "sentinel mode: pending frame transfers tracked"),
    Limit("debug", "phase_alloc_limit", "MKG_SENTINEL_PHASE_ALLOC_LIMIT", 100000, 1, (1 << 32) - 1,
          "sentinel mode: allocations of one phase in one frame above which ML401 reports it"),
    Limit("debug", "fragmentation_min_blocks", "MKG_SENTINEL_FRAGMENTATION_MIN", 64, 1, (1 << 32) - 1,
          "sentinel mode: carved blocks a pool class needs before ML403 looks at it"),
    Limit("gpu", "max_buffers", "MKG_GPU_MAX_BUFFERS", 65536, 1, 1 << 24,
          "GPU buffers and image allocations live at once (records reserved by mk_gpu_init)"),
    Limit("gpu", "block_allocations", "MKG_GPU_BLOCK_ALLOCATIONS", 4096, 1, 1 << 20,
          "allocations one TLSF block of a GPU heap holds for sure"),
)


def values(config: Dict[str, Dict[str, object]]) -> Dict[str, int]:
    """Each limit's generated constant -> its value in `config` (checked), or its default."""
    return {lim.macro: int(config.get(lim.section, {}).get(lim.key, lim.default)) for lim in LIMITS}


def defaults() -> Dict[str, int]:
    return {lim.macro: lim.default for lim in LIMITS}
