/* gpu_stats.c — what the GPU tier can tell about itself: mk_gpu_stats_get,
 * the table mk_stats_print shows, and a JSON dump in the schema of Vulkan
 * Memory Allocator's vmaBuildStatsString (detailed map), which VMA's
 * GpuMemDumpVis.py and other VMA-aware tools read.
 *
 * Mapping onto VMA's schema: each memkit heap is one custom pool
 * ("<index> - <name>") of its memory type; its blocks are the pool's blocks,
 * its dedicated allocations the pool's DedicatedAllocations; there are no
 * default pools ("DefaultPools": {}). Budgets are the device's
 * (VK_EXT_memory_budget) or memkit's 80 % rule, as the tier applies them.
 */
#include "gpu_internal.h"

#include <stdarg.h>
#include <string.h>

/* ---- the ranges of a block ------------------------------------------------------ */

typedef struct mk__gpu_walk {
    const mk__gpu_heap_t *heap;
    const mk__gpu_block_t *block;
    mk__gpu_range_visit_t visit;
    void *user;
} mk__gpu_walk_t;

static void mk__gpu_tlsf_range(void *user, uint64_t offset, uint64_t size, uint32_t handle, mk__gpu_kind_t kind)
{
    (void)kind;
    const mk__gpu_walk_t *w = user;
    const mk__gpu_rec_t *rec = handle != MK__GPU_TLSF_NIL ? &mk__gpu.recs[w->block->owners[handle]] : NULL;
    w->visit(w->user, offset, size, rec);
}

void mk__gpu_block_ranges(const mk__gpu_heap_t *h, const mk__gpu_block_t *b, mk__gpu_range_visit_t visit, void *user)
{
    uint64_t size = h->layout->block;
    if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF) {
        mk__gpu_walk_t w = {h, b, visit, user};
        mk__gpu_tlsf_walk(&b->tlsf, mk__gpu_tlsf_range, &w);
        return;
    }
    if (h->layout->kind == MK_GPU_HEAP_KIND_RING) { /* one buffer over the whole block */
        visit(user, 0, size, NULL);
        return;
    }
    /* linear: its live records in offset order (a selection: dumps only), the gaps and the tail free */
    uint32_t slot = (uint32_t)(b - h->blocks), heap = (uint32_t)(h - mk__gpu.heaps);
    uint64_t at = 0;
    for (;;) {
        const mk__gpu_rec_t *next = NULL;
        for (uint32_t i = 0; i < mk__gpu.rec_touched; i++) {
            const mk__gpu_rec_t *rec = &mk__gpu.recs[i];
            if (rec->state != MK__GPU_REC_FREE && rec->heap == heap && rec->block == slot && rec->offset >= at &&
                (next == NULL || rec->offset < next->offset))
                next = rec;
        }
        if (next == NULL)
            break;
        if (next->offset > at)
            visit(user, at, next->offset - at, NULL);
        visit(user, next->offset, next->charged, next);
        at = next->offset + next->charged;
    }
    if (at < size)
        visit(user, at, size - at, NULL);
}

/* ---- mk_gpu_stats_get ------------------------------------------------------------ */

mk_status_t mk_gpu_stats_get(mk_gpu_stats_t *out)
{
    if (out == NULL)
        return MK_EINVAL;
    mk__lock(&mk__gpu.lock);
    if (!mk__gpu.up) {
        mk__unlock(&mk__gpu.lock);
        return MK_ESTATE;
    }
    memset(out, 0, sizeof *out);
    out->heap_count = mk__gpu_heap_count();
    out->intent_count = mk__gpu_intent_count();
    for (unsigned i = 0; i < mk__gpu_heap_count(); i++) {
        const mk__gpu_heap_t *h = &mk__gpu.heaps[i];
        mk_gpu_heap_stats_t *s = &out->heaps[i];
        s->name = h->layout->name;
        s->memory_type = h->type;
        s->memory_flags = h->type_flags;
        s->memory_cost = h->cost;
        s->blocks = h->block_count;
        s->dedicated = h->dedicated;
        s->block_bytes = (uint64_t)h->block_count * h->layout->block + h->dedicated_bytes;
        s->bytes_used = h->charged;
        s->allocations = h->live;
        s->failures = h->failures;
        for (uint32_t b = 0; b < h->block_top; b++) {
            const mk__gpu_block_t *blk = &h->blocks[b];
            uint64_t free_bytes, largest;
            if (blk->memory == 0)
                continue;
            if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF) {
                free_bytes = mk__gpu_tlsf_free_bytes(&blk->tlsf);
                largest = mk__gpu_tlsf_largest_free(&blk->tlsf);
            } else if (h->layout->kind == MK_GPU_HEAP_KIND_LINEAR) {
                /* a block still holding a completed older frame is as good as empty */
                bool stale = blk->frame != mk__gpu.frame && blk->live == 0;
                free_bytes = largest = stale ? blk->linear.size : blk->linear.size - blk->linear.top;
            } else {
                free_bytes = largest = h->layout->block - mk__gpu_ring_used(&mk__gpu.ring);
            }
            s->bytes_free += free_bytes;
            if (largest > s->largest_free)
                s->largest_free = largest;
        }
    }
    for (unsigned i = 0; i < mk__gpu_intent_count(); i++) {
        const mk__gpu_intent_t *in = &mk__gpu.intents[i];
        mk_gpu_intent_stats_t *s = &out->intents[i];
        s->name = mk__rt.config->gpu_intents[i].name;
        s->bytes = in->charged;
        s->allocations = in->live;
        s->total_allocations = in->total;
        s->failures = in->failures;
    }
    out->bytes = mk__gpu.charged;
    out->frame = mk__gpu.frame;
    out->completed_frame = mk__gpu.completed;
    out->device_allocations = mk__gpu.device_allocations;
    out->deferred = mk__gpu.deferred;
    out->ring_used = mk__gpu.ring_heap != MK__GPU_NONE ? mk__gpu_ring_used(&mk__gpu.ring) : 0;
    mk__unlock(&mk__gpu.lock);
    return MK_OK;
}

/* ---- the table ------------------------------------------------------------------ */

static const char *const mk__gpu_kind_names[] = {"tlsf", "linear", "ring"};

/* "DL|HV|HC|HCa": a memory type's property flags, short. */
static void mk__gpu_flags_short(uint32_t flags, char *out, size_t capacity)
{
    static const char *const names[] = {"DL", "HV", "HC", "HCa", "LA"};
    size_t len = 0;
    out[0] = '\0';
    for (unsigned bit = 0; bit < sizeof names / sizeof names[0]; bit++)
        if ((flags & (1u << bit)) != 0 && len < capacity)
            len += (size_t)snprintf(out + len, capacity - len, "%s%s", len != 0 ? "|" : "", names[bit]);
    if (len == 0)
        snprintf(out, capacity, "-");
}

void mk__gpu_usage(uint64_t *pairs)
{
    mk__lock(&mk__gpu.lock);
    for (unsigned i = 0; i < mk__gpu_heap_count(); i++) {
        const mk__gpu_heap_t *h = &mk__gpu.heaps[i];
        pairs[2u * i] = mk__gpu.up ? h->charged : 0u;
        pairs[2u * i + 1u] = mk__gpu.up ? (uint64_t)h->block_count * h->layout->block + h->dedicated_bytes : 0u;
    }
    mk__unlock(&mk__gpu.lock);
}

void mk__gpu_print(const mk__out_t *out)
{
    mk_gpu_stats_t s;
    if (out == NULL || mk_gpu_stats_get(&s) != MK_OK)
        return;
    char charged[32], budget[32], ring[32];
    mk__format_bytes(charged, sizeof charged, s.bytes);
    mk__format_bytes(budget, sizeof budget, mk__rt.config->gpu_budget);
    mk__format_bytes(ring, sizeof ring, s.ring_used);
    mk__outf(out, "gpu frame %llu (reclaimed through %llu): %s charged%s%s, %u device allocations, %llu deferred "
             "destroys, staging %s in flight",
             (unsigned long long)s.frame, (unsigned long long)s.completed_frame, charged,
             mk__rt.config->gpu_budget != 0 ? " of " : "", mk__rt.config->gpu_budget != 0 ? budget : "",
             (unsigned)s.device_allocations, (unsigned long long)s.deferred, ring);
    mk__outf(out, "%-16s %-6s %4s %-14s %6s %4s %10s %10s %10s %10s %8s %8s", "gpu heap", "kind", "type", "flags",
             "blocks", "ded", "memory", "used", "free", "max free", "buffers", "failures");
    for (uint32_t i = 0; i < s.heap_count; i++) {
        const mk_gpu_heap_stats_t *h = &s.heaps[i];
        char flags[32], memory[32], used[32], free_bytes[32], largest[32];
        mk__gpu_flags_short(h->memory_flags, flags, sizeof flags);
        mk__format_bytes(memory, sizeof memory, h->block_bytes);
        mk__format_bytes(used, sizeof used, h->bytes_used);
        mk__format_bytes(free_bytes, sizeof free_bytes, h->bytes_free);
        mk__format_bytes(largest, sizeof largest, h->largest_free);
        mk__outf(out, "%-16s %-6s %4d %-14s %6u %4u %10s %10s %10s %10s %8llu %8llu", h->name,
                 mk__gpu_kind_names[mk__rt.config->gpu_heaps[i].kind], (int)h->memory_type, flags, (unsigned)h->blocks,
                 (unsigned)h->dedicated, memory, used, free_bytes, largest, (unsigned long long)h->allocations,
                 (unsigned long long)h->failures);
    }
    mk__outf(out, "%-16s %-16s %10s %8s %10s %8s", "gpu intent", "heap", "bytes", "buffers", "created", "failures");
    for (uint32_t i = 0; i < s.intent_count; i++) {
        const mk_gpu_intent_stats_t *in = &s.intents[i];
        char bytes[32];
        mk__format_bytes(bytes, sizeof bytes, in->bytes);
        mk__outf(out, "%-16s %-16s %10s %8llu %10llu %8llu", in->name,
                 mk__rt.config->gpu_heaps[mk__rt.config->gpu_intents[i].heap].name, bytes,
                 (unsigned long long)in->allocations, (unsigned long long)in->total_allocations,
                 (unsigned long long)in->failures);
    }
}

void mk_gpu_stats_print(FILE *out)
{
    const mk__out_t lines = {mk__file_sink, out};
    mk__gpu_print(out != NULL ? &lines : NULL);
}

/* ---- the JSON dump ---------------------------------------------------------------- */

/* snprintf into a buffer that may be too small: len counts every byte the
 * whole dump needs, only the first capacity - 1 are stored. */
typedef struct mk__json {
    char *buf;
    size_t capacity, len;
} mk__json_t;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void mk__json_put(mk__json_t *j, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    size_t room = j->len < j->capacity ? j->capacity - j->len : 0;
    int n = vsnprintf(room != 0 ? j->buf + j->len : NULL, room, format, args);
    va_end(args);
    if (n > 0)
        j->len += (size_t)n;
}

/* A JSON string: names come from memkit.toml (identifiers) and the driver. */
static void mk__json_string(mk__json_t *j, const char *s)
{
    size_t room = j->len < j->capacity ? j->capacity - j->len : 0;
    j->len += (size_t)mk__format_json_string(room != 0 ? j->buf + j->len : NULL, room, s);
}

/* VMA's DetailedStatistics. */
typedef struct mk__json_stats {
    uint64_t blocks, block_bytes, allocations, allocation_bytes, unused;
    uint64_t alloc_min, alloc_max, unused_min, unused_max;
} mk__json_stats_t;

static void mk__json_stats_add(mk__json_stats_t *to, const mk__json_stats_t *from)
{
    if (from->allocations != 0) {
        to->alloc_min = to->allocations == 0 || from->alloc_min < to->alloc_min ? from->alloc_min : to->alloc_min;
        to->alloc_max = from->alloc_max > to->alloc_max ? from->alloc_max : to->alloc_max;
    }
    if (from->unused != 0) {
        to->unused_min = to->unused == 0 || from->unused_min < to->unused_min ? from->unused_min : to->unused_min;
        to->unused_max = from->unused_max > to->unused_max ? from->unused_max : to->unused_max;
    }
    to->blocks += from->blocks;
    to->block_bytes += from->block_bytes;
    to->allocations += from->allocations;
    to->allocation_bytes += from->allocation_bytes;
    to->unused += from->unused;
}

static void mk__json_stats_range(void *user, uint64_t offset, uint64_t size, const mk__gpu_rec_t *rec)
{
    (void)offset;
    mk__json_stats_t one = {0, 0, 0, 0, 0, size, size, size, size};
    if (rec != NULL) {
        one.allocations = 1;
        one.allocation_bytes = size;
    } else {
        one.unused = 1;
    }
    mk__json_stats_add((mk__json_stats_t *)user, &one);
}

/* Heap h's statistics: its blocks and dedicated allocations. */
static mk__json_stats_t mk__json_heap_stats(const mk__gpu_heap_t *h)
{
    mk__json_stats_t s;
    memset(&s, 0, sizeof s);
    for (uint32_t b = 0; b < h->block_top; b++) {
        const mk__gpu_block_t *blk = &h->blocks[b];
        if (blk->memory == 0)
            continue;
        mk__json_stats_t one;
        memset(&one, 0, sizeof one);
        one.blocks = 1;
        one.block_bytes = h->layout->block;
        if (h->layout->kind == MK_GPU_HEAP_KIND_RING) {
            mk__json_stats_t ring = {0, 0, 1, h->layout->block, 0, h->layout->block, h->layout->block, 0, 0};
            mk__json_stats_add(&one, &ring);
        } else {
            mk__gpu_block_ranges(h, blk, mk__json_stats_range, &one);
        }
        mk__json_stats_add(&s, &one);
    }
    for (uint32_t i = 0; i < mk__gpu.rec_touched; i++) {
        const mk__gpu_rec_t *rec = &mk__gpu.recs[i];
        if (rec->state == MK__GPU_REC_FREE || rec->block != MK__GPU_DEDICATED || &mk__gpu.heaps[rec->heap] != h)
            continue;
        uint64_t z = rec->charged;
        mk__json_stats_t one = {1, z, 1, z, 0, z, z, 0, 0};
        mk__json_stats_add(&s, &one);
    }
    return s;
}

static void mk__json_print_stats(mk__json_t *j, const mk__json_stats_t *s)
{
    mk__json_put(j,
                 "{\"BlockCount\": %llu, \"BlockBytes\": %llu, \"AllocationCount\": %llu, \"AllocationBytes\": %llu, "
                 "\"UnusedRangeCount\": %llu",
                 (unsigned long long)s->blocks, (unsigned long long)s->block_bytes, (unsigned long long)s->allocations,
                 (unsigned long long)s->allocation_bytes, (unsigned long long)s->unused);
    if (s->allocations > 1)
        mk__json_put(j, ", \"AllocationSizeMin\": %llu, \"AllocationSizeMax\": %llu",
                     (unsigned long long)s->alloc_min, (unsigned long long)s->alloc_max);
    if (s->unused > 1)
        mk__json_put(j, ", \"UnusedRangeSizeMin\": %llu, \"UnusedRangeSizeMax\": %llu",
                     (unsigned long long)s->unused_min, (unsigned long long)s->unused_max);
    mk__json_put(j, "}");
}

/* VMA's flag arrays: the names it knows, then leftover bits as one number. */
static void mk__json_flags(mk__json_t *j, uint32_t flags, const char *const *names, unsigned count)
{
    const char *sep = "";
    mk__json_put(j, "[");
    for (unsigned bit = 0; bit < count; bit++)
        if ((flags & (1u << bit)) != 0 && names[bit] != NULL) {
            mk__json_put(j, "%s\"%s\"", sep, names[bit]);
            flags &= ~(1u << bit);
            sep = ", ";
        }
    if (flags != 0)
        mk__json_put(j, "%s%u", sep, flags);
    mk__json_put(j, "]");
}

static const char *const mk__json_type_flags[] = {"DEVICE_LOCAL", "HOST_VISIBLE", "HOST_COHERENT", "HOST_CACHED",
                                                  "LAZILY_ALLOCATED", "PROTECTED"};
static const char *const mk__json_heap_flags[] = {"DEVICE_LOCAL", "MULTI_INSTANCE"};

/* One allocation's parameters, as VMA's VmaAllocation_T::PrintParameters. */
static void mk__json_allocation(mk__json_t *j, const mk__gpu_rec_t *rec)
{
    const mk_gpu_intent_layout_t *il = &mk__rt.config->gpu_intents[rec->intent];
    const char *type = rec->buffer != 0 ? "BUFFER" : rec->kind == MK__GPU_KIND_OPTIMAL ? "IMAGE_OPTIMAL" : "IMAGE_LINEAR";
    mk__json_put(j, "\"Type\": \"%s\", \"Size\": %llu, \"Usage\": %u, \"Name\": ", type,
                 (unsigned long long)rec->charged, rec->buffer != 0 ? il->usage : 0u);
    mk__json_string(j, il->name);
}

typedef struct mk__json_block {
    mk__json_t *j;
    const char *sep;
} mk__json_block_t;

static void mk__json_range(void *user, uint64_t offset, uint64_t size, const mk__gpu_rec_t *rec)
{
    mk__json_block_t *w = user;
    mk__json_put(w->j, "%s{\"Offset\": %llu, ", w->sep, (unsigned long long)offset);
    if (rec != NULL)
        mk__json_allocation(w->j, rec);
    else
        mk__json_put(w->j, "\"Type\": \"FREE\", \"Size\": %llu", (unsigned long long)size);
    mk__json_put(w->j, "}");
    w->sep = ", ";
}

/* One custom pool: heap h, its blocks with every range, its dedicated allocations. */
static void mk__json_pool(mk__json_t *j, unsigned index, const mk__gpu_heap_t *h)
{
    mk__json_put(j, "{\"Name\": \"%u - %s\", \"PreferredBlockSize\": %llu, \"Blocks\": {", index, h->layout->name,
                 (unsigned long long)h->layout->block);
    const char *sep = "";
    for (uint32_t b = 0; b < h->block_top; b++) {
        const mk__gpu_block_t *blk = &h->blocks[b];
        if (blk->memory == 0)
            continue;
        mk__json_stats_t s;
        memset(&s, 0, sizeof s);
        if (h->layout->kind == MK_GPU_HEAP_KIND_RING) {
            s.allocations = 1;
            s.allocation_bytes = h->layout->block;
        } else {
            mk__gpu_block_ranges(h, blk, mk__json_stats_range, &s);
        }
        mk__json_put(j,
                     "%s\"%u\": {\"MapRefCount\": %u, \"TotalBytes\": %llu, \"UnusedBytes\": %llu, \"Allocations\": "
                     "%llu, \"UnusedRanges\": %llu, \"Suballocations\": [",
                     sep, blk->id, blk->mapped != NULL ? 1u : 0u, (unsigned long long)h->layout->block,
                     (unsigned long long)(h->layout->block - s.allocation_bytes), (unsigned long long)s.allocations,
                     (unsigned long long)s.unused);
        if (h->layout->kind == MK_GPU_HEAP_KIND_RING)
            mk__json_put(j, "{\"Offset\": 0, \"Type\": \"BUFFER\", \"Size\": %llu, \"Usage\": %u, \"Name\": \"staging\"}",
                         (unsigned long long)h->layout->block, MK__GPU_USAGE_TRANSFER_SRC);
        else {
            mk__json_block_t w = {j, ""};
            mk__gpu_block_ranges(h, blk, mk__json_range, &w);
        }
        mk__json_put(j, "]}");
        sep = ", ";
    }
    mk__json_put(j, "}, \"DedicatedAllocations\": [");
    sep = "";
    for (uint32_t i = 0; i < mk__gpu.rec_touched; i++) {
        const mk__gpu_rec_t *rec = &mk__gpu.recs[i];
        if (rec->state == MK__GPU_REC_FREE || rec->block != MK__GPU_DEDICATED || &mk__gpu.heaps[rec->heap] != h)
            continue;
        mk__json_put(j, "%s{", sep);
        mk__json_allocation(j, rec);
        mk__json_put(j, "}");
        sep = ", ";
    }
    mk__json_put(j, "]}");
}

static void mk__json_dump(mk__json_t *j)
{
    const mk_gpu_device_info_t *d = &mk__gpu.dev;
    mk__json_stats_t heap_stats[MK_GPU_STATS_HEAPS], total;
    memset(&total, 0, sizeof total);
    for (unsigned i = 0; i < mk__gpu_heap_count(); i++) {
        heap_stats[i] = mk__json_heap_stats(&mk__gpu.heaps[i]);
        mk__json_stats_add(&total, &heap_stats[i]);
    }
    mk__json_put(j, "{\"General\": {\"API\": \"Vulkan\", \"apiVersion\": \"%u.%u.%u\", \"GPU\": ",
                 (d->api_version >> 22) & 0x7fu, (d->api_version >> 12) & 0x3ffu, d->api_version & 0xfffu);
    mk__json_string(j, d->name[0] != '\0' ? d->name : "unknown");
    mk__json_put(j,
                 ", \"deviceType\": %u, \"maxMemoryAllocationCount\": %u, \"bufferImageGranularity\": %llu, "
                 "\"nonCoherentAtomSize\": %llu, \"memoryHeapCount\": %u, \"memoryTypeCount\": %u},\n\"Total\": ",
                 d->device_type, d->max_memory_allocation_count, (unsigned long long)d->buffer_image_granularity,
                 (unsigned long long)d->non_coherent_atom_size, d->heap_count, d->type_count);
    mk__json_print_stats(j, &total);
    mk__json_put(j, ",\n\"MemoryInfo\": {");
    for (uint32_t vh = 0; vh < d->heap_count; vh++) {
        mk__json_stats_t hs;
        memset(&hs, 0, sizeof hs);
        uint64_t usage = mk__gpu.device_bytes[vh], budget = d->heap_size[vh] / 10u * 8u;
        for (unsigned i = 0; i < mk__gpu_heap_count(); i++)
            if (d->type_heap[mk__gpu.heaps[i].type] == vh) {
                mk__json_stats_add(&hs, &heap_stats[i]);
                mk__gpu_device_budget(&mk__gpu.heaps[i], &usage, &budget);
            }
        mk__json_put(j, "%s\n  \"Heap %u\": {\"Flags\": ", vh != 0 ? "," : "", vh);
        mk__json_flags(j, d->heap_flags[vh], mk__json_heap_flags, 2);
        mk__json_put(j, ", \"Size\": %llu, \"Budget\": {\"BudgetBytes\": %llu, \"UsageBytes\": %llu}, \"Stats\": ",
                     (unsigned long long)d->heap_size[vh], (unsigned long long)budget, (unsigned long long)usage);
        mk__json_print_stats(j, &hs);
        mk__json_put(j, ", \"MemoryPools\": {");
        const char *sep = "";
        for (uint32_t t = 0; t < d->type_count; t++) {
            if (d->type_heap[t] != vh)
                continue;
            mk__json_stats_t ts;
            memset(&ts, 0, sizeof ts);
            for (unsigned i = 0; i < mk__gpu_heap_count(); i++)
                if (mk__gpu.heaps[i].type == (int32_t)t)
                    mk__json_stats_add(&ts, &heap_stats[i]);
            mk__json_put(j, "%s\"Type %u\": {\"Flags\": ", sep, t);
            mk__json_flags(j, d->type_flags[t], mk__json_type_flags, 6);
            mk__json_put(j, ", \"Stats\": ");
            mk__json_print_stats(j, &ts);
            mk__json_put(j, "}");
            sep = ", ";
        }
        mk__json_put(j, "}}");
    }
    mk__json_put(j, "},\n\"DefaultPools\": {},\n\"CustomPools\": {");
    const char *type_sep = "";
    for (uint32_t t = 0; t < d->type_count; t++) {
        unsigned pools = 0;
        for (unsigned i = 0; i < mk__gpu_heap_count(); i++) {
            if (mk__gpu.heaps[i].type != (int32_t)t)
                continue;
            if (pools == 0)
                mk__json_put(j, "%s\n  \"Type %u\": [", type_sep, t);
            else
                mk__json_put(j, ", ");
            mk__json_pool(j, i, &mk__gpu.heaps[i]);
            pools++;
        }
        if (pools != 0) {
            mk__json_put(j, "]");
            type_sep = ",";
        }
    }
    mk__json_put(j, "}\n}\n");
}

size_t mk_gpu_stats_json(char *buf, size_t capacity)
{
    mk__json_t j = {buf, buf != NULL ? capacity : 0, 0};
    if (j.capacity != 0)
        buf[0] = '\0';
    mk__lock(&mk__gpu.lock);
    if (mk__gpu.up)
        mk__json_dump(&j);
    mk__unlock(&mk__gpu.lock);
    return j.len;
}
