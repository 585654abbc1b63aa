/* internal.h — the one header every runtime source file includes (and
 * async/src, gpu/src): the state and functions shared by the runtime's
 * modules, one concern per header, included in dependency order.
 *
 * The runtime is compiled together with one generated config (memkit_generate
 * in CMake), so array sizes are compile-time constants from it.
 *
 *   sync.h                     locks, counters shared between threads
 *   state.h                    mk__rt: the runtime's state, thread slots, size classes
 *   lifecycle/slots.h          thread.c, init.c, recall.c; the features' init hooks
 *   tiers/tiers.h              frame.c, pool.c, heap_cache.c, heap_tier.c
 *   tiers/gpu_async.h          the GPU tier's hooks, the async tier's entries
 *   tiers/align.h              address arithmetic that cannot wrap, size tests
 *   policy/policy.h            budget.c (and its inline take and give), alloc.c
 *   diagnostics/diagnostics.h  validate.c's checks, report.c, sentinel.c, stats.c
 *   diagnostics/assertions.h   internal assertions
 *   diagnostics/output.h       text to line sinks, panics
 *   prim/prim.h                the OS layer's contract
 *   tiers/heap.h, bits.h       the TLSF algorithm, bit scans
 */
#ifndef MEMKIT_INTERNAL_H
#define MEMKIT_INTERNAL_H

/* the runtime calls the plain functions, not memkit.h's call-site macros */
#define MK__RUNTIME_SOURCE 1
#include <memkit/memkit.h>

#include "diagnostics/assertions.h"
#include "bits.h"
#include "tiers/heap.h"
#include "diagnostics/output.h"
#include "prim/prim.h"

#include "sync.h"
#include "state.h"
#include "lifecycle/slots.h"
#include "tiers/tiers.h"
#include "tiers/gpu_async.h"
#include "tiers/align.h"
#include "policy/policy.h"
#include "diagnostics/diagnostics.h"

#endif /* MEMKIT_INTERNAL_H */
