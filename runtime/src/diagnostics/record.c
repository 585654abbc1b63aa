/* record.c — recordings for memkit-lens (memkit/record.h, docs/recording.md).
 *
 * A row is MKG_RECORD_ROW_WORDS 64-bit words, laid out as below (the
 * generator's model.py computes the same count, asserted here). With [record]
 * frames = N, mk_end_frame takes one into slot `taken % N` of the generated
 * ring (mkg_config.record_rows): it reads what mk_stats_get and mk_phase_stats
 * read, takes the diagnostics reported since the last row (report.c), and
 * allocates nothing. Only the thread that ends frames writes the ring and
 * `mk__record_taken`; the writers read them from that thread, or between
 * frames (record.h).
 *
 * The JSON goes out as lines of at most MK__LINE_MAX bytes, cut between
 * tokens, through format.h (no stdio, so MK_NO_STDIO builds have it too).
 */
#include "internal.h"

#include <stdarg.h>
#include <string.h>

#define MK__RECORD_TIERS 5        /* frame, pool, heap, async, system */
#define MK__RECORD_HAZARD_SLOTS 8 /* codes kept per row: (diag + 1) << 32 | count */

/* Word offsets in a row. */
#define MK__ROW_FRAME 0u
#define MK__ROW_PHASE_COUNT 1u
#define MK__ROW_INTENTS 2u
#define MK__ROW_PHASES (MK__ROW_INTENTS + 5u * MKG_INTENT_COUNT)
#define MK__ROW_TIERS (MK__ROW_PHASES + 3u * MKG_MAX_PHASES)
#define MK__ROW_ASYNC (MK__ROW_TIERS + 2u * MK__RECORD_TIERS)
#define MK__ROW_GPU (MK__ROW_ASYNC + 2u * MKG_ASYNC_POOL_COUNT)
#define MK__ROW_HAZARDS (MK__ROW_GPU + 2u * MKG_GPU_HEAP_COUNT)
#define MK__ROW_WORDS (MK__ROW_HAZARDS + MK__RECORD_HAZARD_SLOTS)

MK__STATIC_ASSERT(MK__ROW_WORDS == MKG_RECORD_ROW_WORDS,
                  "a recorded row's layout differs from memkit-gen's (generator/memkit_gen/model.py, Record)");

/* A recording has frame rows, a trace, or both. */
#define MK__RECORDING (MKG_RECORD_FRAMES > 0 || MKG_RECORD_TRACE > 0)

#if MKG_RECORD_FRAMES > 0
/* Rows taken since mk_init (reset by mk__record_reset). */
static uint64_t mk__record_taken;
#endif

static const char *const mk__record_tier_names[MK__RECORD_TIERS] = {"frame", "pool", "heap", "async", "system"};

void mk__record_reset(void)
{
#if MKG_RECORD_FRAMES > 0
    mk__record_taken = 0;
#endif
    mk__trace_reset();
}

/* Fills `row` with the figures of now; `take_hazards`: the diagnostics'
 * per-frame counts start again from 0 (a frame's row), else they are only read. */
static void mk__record_fill(uint64_t *row, bool take_hazards)
{
    mk_stats_t s;
    memset(row, 0, MK__ROW_WORDS * sizeof *row);
    if (mk_stats_get(&s) != MK_OK)
        return;
    row[MK__ROW_FRAME] = s.frame_index;
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++) {
        const mk_intent_stats_t *is = &s.intents[i];
        uint64_t *w = &row[MK__ROW_INTENTS + 5u * i];
        w[0] = is->current;
        w[1] = is->peak;
        w[2] = is->allocations;
        w[3] = is->frees;
        w[4] = is->failures;
    }
    uint32_t phase_count = mk__phase_count();
    if (phase_count > MK_MAX_PHASES)
        phase_count = MK_MAX_PHASES;
    row[MK__ROW_PHASE_COUNT] = phase_count;
    for (uint32_t p = 0; p < phase_count; p++) {
        mk_phase_stats_t phase;
        mk__phase_stat(p, &phase);
        uint64_t *w = &row[MK__ROW_PHASES + 3u * p];
        w[0] = phase.entries;
        w[1] = phase.allocations;
        w[2] = phase.bytes;
    }
    for (unsigned t = 0; t < MK_TIER_COUNT; t++) {
        row[MK__ROW_TIERS + 2u * t] = s.tiers[t].used;
        row[MK__ROW_TIERS + 2u * t + 1u] = s.tiers[t].capacity;
    }
    row[MK__ROW_TIERS + 2u * MK_TIER_COUNT] = s.system_bytes; /* the system fallback: unbounded */
#if MKG_ASYNC_POOL_COUNT > 0 /* mk_stats_t.async: the [async.pool.NAME] pools first */
    for (uint32_t k = 0; k < s.async_count && k < MKG_ASYNC_POOL_COUNT; k++) {
        row[MK__ROW_ASYNC + 2u * k] = s.async[k].in_use;
        row[MK__ROW_ASYNC + 2u * k + 1u] = s.async[k].capacity;
    }
#endif
#if MKG_GPU_HEAP_COUNT > 0
    if (mk__gpu_hooks.usage != NULL)
        mk__gpu_hooks.usage(&row[MK__ROW_GPU]);
#endif
    mk__report_frame_counts(&row[MK__ROW_HAZARDS], MK__RECORD_HAZARD_SLOTS, take_hazards);
}

void mk__record_frame_end(void)
{
#if MKG_RECORD_FRAMES > 0
    uint64_t *row = mk__rt.config->record_rows + (mk__record_taken % MKG_RECORD_FRAMES) * MK__ROW_WORDS;
    mk__record_fill(row, true);
    mk__record_taken++;
#endif
}

/* ---- JSON lines ---------------------------------------------------------------- */

typedef struct mk__json {
    mk__out_t out;
    size_t len;
    char line[MK__LINE_MAX];
} mk__json_t;

static void mk__json_flush(mk__json_t *j)
{
    if (j->len != 0)
        j->out.sink(j->line, j->out.user);
    j->len = 0;
    j->line[0] = '\0';
}

/* Appends one token (format.h's subset): on a new line when it does not fit
 * on this one. */
static void mk__json_put(mk__json_t *j, const char *format, ...) MK__FORMAT_CHECK(2, 3);
static void mk__json_put(mk__json_t *j, const char *format, ...)
{
    char token[MK__LINE_MAX];
    va_list args;
    va_start(args, format);
    int n = mk__vformat(token, sizeof token, format, args);
    va_end(args);
    size_t len = n > 0 ? (size_t)n : 0u;
    if (len >= sizeof token)
        len = sizeof token - 1u;
    if (j->len + len >= sizeof j->line)
        mk__json_flush(j);
    memcpy(j->line + j->len, token, len + 1u);
    j->len += len;
}

/* A JSON string; names longer than MK__JSON_NAME_MAX bytes are cut, so that
 * the quoted text (6 bytes per byte at most) always fits on a line. */
#define MK__JSON_NAME_MAX 64u
static void mk__json_string(mk__json_t *j, const char *s)
{
    char name[MK__JSON_NAME_MAX + 1u], quoted[6u * MK__JSON_NAME_MAX + 3u];
    size_t n = strlen(s);
    n = n < MK__JSON_NAME_MAX ? n : MK__JSON_NAME_MAX;
    memcpy(name, s, n);
    name[n] = '\0';
    mk__format_json_string(quoted, sizeof quoted, name);
    mk__json_put(j, "%s", quoted);
}

static void mk__json_key_string(mk__json_t *j, const char *key, const char *value)
{
    mk__json_put(j, "\"%s\": ", key);
    mk__json_string(j, value != NULL ? value : "");
}

/* `[a, b, …]` of `count` words. */
static void mk__json_words(mk__json_t *j, const uint64_t *w, size_t count)
{
    mk__json_put(j, "[");
    for (size_t i = 0; i < count; i++)
        mk__json_put(j, "%s%llu", i != 0 ? ", " : "", (unsigned long long)w[i]);
    mk__json_put(j, "]");
}

/* `[[…], […], …]`: `rows` groups of `width` words. */
static void mk__json_rows(mk__json_t *j, const char *key, const uint64_t *w, size_t rows, size_t width)
{
    mk__json_put(j, ", \"%s\": [", key);
    for (size_t r = 0; r < rows; r++) {
        mk__json_put(j, "%s", r != 0 ? ", " : "");
        mk__json_words(j, w + r * width, width);
    }
    mk__json_put(j, "]");
}

static void mk__json_row(mk__json_t *j, const uint64_t *row, bool first)
{
    mk__json_put(j, "%s{\"frame\": %llu", first ? "" : ", ", (unsigned long long)row[MK__ROW_FRAME]);
    mk__json_rows(j, "intents", &row[MK__ROW_INTENTS], MKG_INTENT_COUNT, 5);
    mk__json_rows(j, "phases", &row[MK__ROW_PHASES], (size_t)row[MK__ROW_PHASE_COUNT], 3);
    mk__json_rows(j, "tiers", &row[MK__ROW_TIERS], MK__RECORD_TIERS, 2);
    mk__json_rows(j, "async_pools", &row[MK__ROW_ASYNC], MKG_ASYNC_POOL_COUNT, 2);
    mk__json_rows(j, "gpu_heaps", &row[MK__ROW_GPU], MKG_GPU_HEAP_COUNT, 2);
    mk__json_put(j, ", \"hazards\": [");
    for (unsigned h = 0; h < MK__RECORD_HAZARD_SLOTS && row[MK__ROW_HAZARDS + h] != 0; h++) {
        uint64_t w = row[MK__ROW_HAZARDS + h];
        mk__json_put(j, "%s[\"%s\", %llu]", h != 0 ? ", " : "", mk__diag_code((unsigned)(w >> 32) - 1u),
                     (unsigned long long)(w & 0xFFFFFFFFu));
    }
    mk__json_put(j, "]}");
    mk__json_flush(j);
}

static const char *mk__json_tier_name(uint8_t tier)
{
    return tier < MK_TIER_COUNT ? mk__record_tier_names[tier] : "";
}

/* Everything up to "frames": the config, its intents, pools, tiers and phases. */
static void mk__json_head(mk__json_t *j, const char *format)
{
    const mk_config_t *cfg = mk__rt.config;
    mk__json_put(j, "{\"format\": \"%s\", \"version\": 1,", format);
    mk__json_flush(j);
    mk__json_put(j, "\"config\": {");
    mk__json_key_string(j, "source", cfg->source_name);
    mk__json_put(j, ", ");
    mk__json_key_string(j, "sha256", cfg->source_sha256);
    mk__json_put(j, ", ");
    mk__json_key_string(j, "platform", cfg->platform);
    mk__json_put(j, "},");
    mk__json_flush(j);
    mk__json_put(j, "\"target\": {\"pointer_bytes\": %u, \"threads\": %s, \"max_threads\": %u, "
                    "\"frames_in_flight\": %u},",
                 (unsigned)sizeof(void *), MKG_THREADS ? "true" : "false", (unsigned)MKG_MAX_THREADS,
                 (unsigned)MKG_FRAMES_IN_FLIGHT);
    mk__json_flush(j);
    mk__json_put(j, "\"intents\": [");
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++) {
        const mk_route_t *r = &cfg->routes[i];
        mk__json_put(j, "%s{", i != 0 ? ", " : "");
        mk__json_key_string(j, "name", cfg->intent_names[i]);
        mk__json_put(j, ", \"tier\": \"%s\", \"pool\": ", mk__json_tier_name(r->tier));
        if (r->tier == MK_TIER_POOL)
            mk__json_string(j, cfg->pools[r->pool].name);
        else
            mk__json_put(j, "null");
        mk__json_put(j, ", \"budget\": %llu}",
                     (unsigned long long)((r->flags & MK_ROUTE_BUDGETED) != 0u ? r->budget : 0u));
    }
    mk__json_put(j, "],");
    mk__json_flush(j);
    mk__json_put(j, "\"budget_total\": %llu,", (unsigned long long)cfg->budget_total);
    mk__json_flush(j);
    mk__json_put(j, "\"pools\": [");
#if MKG_POOL_COUNT > 0
    for (unsigned p = 0; p < MKG_POOL_COUNT; p++) {
        const mk_pool_layout_t *pool = &cfg->pools[p];
        mk__json_put(j, "%s{", p != 0 ? ", " : "");
        mk__json_key_string(j, "name", pool->name);
        mk__json_put(j, ", \"classes\": [");
        for (unsigned c = 0; c < pool->class_count; c++)
            mk__json_put(j, "%s%llu", c != 0 ? ", " : "",
                         (unsigned long long)cfg->classes[pool->first_class + c].size);
        mk__json_put(j, "]}");
    }
#endif
    mk__json_put(j, "],");
    mk__json_flush(j);
    mk__json_put(j, "\"async_pools\": [");
#if MKG_ASYNC_POOL_COUNT > 0
    for (unsigned k = 0; k < MKG_ASYNC_POOL_COUNT; k++) {
        const mk_async_pool_layout_t *a = &cfg->async_pools[k];
        mk__json_put(j, "%s{", k != 0 ? ", " : "");
        mk__json_key_string(j, "name", a->name);
        mk__json_put(j, ", \"count\": %llu, \"block\": %llu}", (unsigned long long)a->count,
                     (unsigned long long)a->block);
    }
#endif
    mk__json_put(j, "],");
    mk__json_flush(j);
    mk__json_put(j, "\"gpu_heaps\": [");
#if MKG_GPU_HEAP_COUNT > 0
    for (unsigned g = 0; g < MKG_GPU_HEAP_COUNT; g++) {
        const mk_gpu_heap_layout_t *h = &cfg->gpu_heaps[g];
        mk__json_put(j, "%s{", g != 0 ? ", " : "");
        mk__json_key_string(j, "name", h->name);
        mk__json_put(j, ", \"block\": %llu}", (unsigned long long)h->block);
    }
#endif
    mk__json_put(j, "],");
    mk__json_flush(j);
    mk__json_put(j, "\"tiers\": [");
    for (unsigned t = 0; t < MK__RECORD_TIERS; t++)
        mk__json_put(j, "%s\"%s\"", t != 0 ? ", " : "", mk__record_tier_names[t]);
    mk__json_put(j, "],");
    mk__json_flush(j);
    uint32_t phase_count = mk__phase_count();
    if (phase_count > MK_MAX_PHASES)
        phase_count = MK_MAX_PHASES;
    mk__json_put(j, "\"phases\": [");
    for (uint32_t p = 0; p < phase_count; p++) {
        mk_phase_stats_t phase;
        mk__phase_stat(p, &phase);
        mk__json_put(j, "%s", p != 0 ? ", " : "");
        mk__json_string(j, phase.name);
    }
    mk__json_put(j, "],");
    mk__json_flush(j);
    mk__json_put(j, "\"frames\": [");
    mk__json_flush(j);
}

#if MKG_RECORD_HISTOGRAM
/* A histogram bucket, and a class's requested bytes, summed over the thread slots. */
static uint64_t mk__hist_requests(unsigned bucket)
{
    uint64_t n = 0;
    for (uint32_t i = 0, span = mk__thread_span(); i < span; i++)
        n += MK__LOAD(mk__rt.threads[i].hot.hist[bucket]);
    return n;
}

static uint64_t mk__hist_class_bytes(unsigned cls)
{
    uint64_t n = 0;
    for (uint32_t i = 0, span = mk__thread_span(); i < span; i++)
        n += MK__LOAD(mk__rt.threads[i].hot.hist_bytes[cls]);
    return n;
}
#endif

/* "histogram": per pool, the requests per size step and above the largest
 * class, and per class the requests and the bytes they asked for. */
static void mk__json_histogram(mk__json_t *j)
{
    mk__json_put(j, "\"histogram\": [");
#if MKG_RECORD_HISTOGRAM
    const mk_config_t *cfg = mk__rt.config;
    for (unsigned p = 0; p < MKG_POOL_COUNT; p++) {
        const mk_pool_layout_t *pool = &cfg->pools[p];
        unsigned first = mkg_record_hist_base[p], over = mkg_record_hist_base[p + 1u] - 1u;
        uint64_t class_requests[MKG_CLASS_COUNT] = {0};
        mk__json_put(j, "%s{", p != 0 ? ", " : "");
        mk__json_key_string(j, "pool", pool->name);
        mk__json_put(j, ", \"step\": %u, \"requests\": [", (unsigned)MKG_ALIGNMENT);
        bool first_entry = true;
        for (unsigned b = first; b < over; b++) {
            uint64_t n = mk__hist_requests(b);
            if (n == 0)
                continue;
            class_requests[mkg_pool_shapes[p].size_class[b - first]] += n;
            mk__json_put(j, "%s[%llu, %llu]", first_entry ? "" : ", ",
                         (unsigned long long)(b - first) * MKG_ALIGNMENT, (unsigned long long)n);
            first_entry = false;
        }
        mk__json_put(j, "], \"oversize\": %llu, \"classes\": [", (unsigned long long)mk__hist_requests(over));
        for (unsigned c = 0; c < pool->class_count; c++) {
            unsigned cls = pool->first_class + c;
            mk__json_put(j, "%s[%llu, %llu, %llu]", c != 0 ? ", " : "", (unsigned long long)cfg->classes[cls].size,
                         (unsigned long long)class_requests[cls], (unsigned long long)mk__hist_class_bytes(cls));
        }
        mk__json_put(j, "]}");
        mk__json_flush(j);
    }
#endif
    mk__json_put(j, "],");
    mk__json_flush(j);
}

/* "trace": the ring's events, oldest first; the ring is held still meanwhile
 * (events of other threads wait, the writer's own are skipped). Without
 * events (no trace, or a snapshot) its empty form. */
static void mk__json_trace(mk__json_t *j, bool with_events)
{
#if MKG_RECORD_TRACE > 0
    static const char ops[] = "afx"; /* by MK__TRACE_ALLOC, _FREE, _FAILED */
    if (with_events) {
        uint64_t recorded = mk__trace_begin();
        uint64_t kept = recorded < MKG_RECORD_TRACE ? recorded : MKG_RECORD_TRACE;
        mk__json_put(j, "\"trace\": {\"dropped\": %llu, \"events\": [", (unsigned long long)(recorded - kept));
        for (uint64_t r = recorded - kept; r < recorded; r++) {
            const uint64_t *e = mk__rt.config->record_trace + (r % MKG_RECORD_TRACE) * MK__TRACE_WORDS;
            unsigned intent = (unsigned)(e[3] & 0xFFFFFFFFu), op = (unsigned)(e[3] >> 32);
            mk__json_put(j, "%s[%llu, \"%c\", ", r != recorded - kept ? ", " : "", (unsigned long long)e[0],
                         ops[op < 3u ? op : 0u]);
            if (intent < (unsigned)MKG_INTENT_COUNT)
                mk__json_put(j, "%u, ", intent);
            else
                mk__json_put(j, "-1, ");
            mk__json_put(j, "%llu, %llu]", (unsigned long long)e[1], (unsigned long long)e[2]);
        }
        uint64_t skipped = mk__trace_end();
        mk__json_put(j, "], \"skipped\": %llu}}", (unsigned long long)skipped);
        mk__json_flush(j);
        return;
    }
#else
    (void)with_events;
#endif
    mk__json_put(j, "\"trace\": {\"dropped\": 0, \"events\": []}}");
    mk__json_flush(j);
}

/* The histogram and the trace (a recording's; a snapshot's is empty): empty
 * forms where [record] does not ask for them. */
static void mk__json_tail(mk__json_t *j, bool with_trace)
{
    mk__json_histogram(j);
    mk__json_trace(j, with_trace);
}

mk_status_t mk_stats_write_json(mk_line_sink_t sink, void *user)
{
    if (!mk__rt.initialised || sink == NULL)
        return mk__rt.initialised ? MK_EINVAL : MK_ESTATE;
    mk__json_t j = {{sink, user}, 0, {0}};
    uint64_t row[MK__ROW_WORDS];
    mk__record_fill(row, false);
    mk__json_head(&j, "memkit-snapshot");
    mk__json_row(&j, row, true);
    mk__json_put(&j, "],");
    mk__json_flush(&j);
    mk__json_tail(&j, false);
    return MK_OK;
}

mk_status_t mk_record_write_json(mk_line_sink_t sink, void *user)
{
    if (!mk__rt.initialised || !MK__RECORDING)
        return MK_ESTATE;
    if (sink == NULL)
        return MK_EINVAL;
    mk__json_t j = {{sink, user}, 0, {0}};
    mk__json_head(&j, "memkit-recording");
    uint64_t dropped = 0;
#if MKG_RECORD_FRAMES > 0
    uint64_t taken = mk__record_taken;
    uint64_t kept = taken < MKG_RECORD_FRAMES ? taken : MKG_RECORD_FRAMES;
    for (uint64_t r = taken - kept; r < taken; r++)
        mk__json_row(&j, mk__rt.config->record_rows + (r % MKG_RECORD_FRAMES) * MK__ROW_WORDS, r == taken - kept);
    dropped = taken - kept;
#endif
    mk__json_put(&j, "],");
    mk__json_flush(&j);
    mk__json_put(&j, "\"dropped_frames\": %llu,", (unsigned long long)dropped);
    mk__json_flush(&j);
    mk__json_tail(&j, true);
    return MK_OK;
}

#if !MK_NO_STDIO
static mk_status_t mk__json_save(const char *path, mk_status_t (*write)(mk_line_sink_t, void *))
{
    if (!mk__rt.initialised || (write == mk_record_write_json && !MK__RECORDING))
        return MK_ESTATE;
    if (path == NULL)
        return MK_EINVAL;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return MK_ESYSTEM;
    mk_status_t status = write(mk__file_sink, f);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed)
        return MK_ESYSTEM;
    return status;
}

mk_status_t mk_record_save(const char *path)
{
    return mk__json_save(path, mk_record_write_json);
}

mk_status_t mk_stats_save_json(const char *path)
{
    return mk__json_save(path, mk_stats_write_json);
}
#endif
