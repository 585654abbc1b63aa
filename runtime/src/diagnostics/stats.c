/* stats.c — per-intent and per-tier statistics, summed on demand.
 *
 * Every counter is written by one thread only (see fastpath.h); a read sums
 * the thread slots that were ever used (thread_hwm), never all max_threads.
 *
 * Peaks. While only one thread slot has been used, each thread's own
 * high-water mark of its pool/heap bytes (kept on the fast path) is the exact
 * peak; when a second slot is first taken, those are folded into the shared
 * peak, so the single-threaded part of a run keeps its exact peak. With
 * several threads a thread's own figure means little (others free its
 * blocks), so each thread publishes its live bytes into a shared per-intent
 * total whenever they move more than `slack` bytes from what it published
 * last (one atomic add, out of line), and the shared peak is the high-water
 * mark of that total. It is monotonic and within `slack` bytes per thread of
 * the true peak (slack: 1/64 of the intent's budget, at most 16 KiB; docs/
 * architecture.md). Frame bytes are sampled at frame boundaries and reads.
 */
#include "internal.h"

void mk__count_free(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (t != NULL) {
        mk__count_live_down(t, intent, bytes);
        MK__BUMP(t->counters[intent].frees, 1);
        return;
    }
    MK__DROP_SHARED(mk__rt.unattached[intent].live, bytes);
    MK__BUMP_SHARED(mk__rt.unattached[intent].frees, 1);
}

/* Current bytes of an intent: pool/heap/system bytes from the thread
 * counters plus live frame bytes. */
static int64_t mk__intent_current(unsigned intent, int64_t *thread_peak, int64_t *frame_part)
{
    int64_t live = MK__LOAD(mk__rt.unattached[intent].live);
    int64_t peak = 0;
    uint32_t span = mk__thread_span();
    for (unsigned i = 0; i < span; i++) {
        const mk__intent_counters_t *c = &mk__rt.threads[i].hot.counters[intent];
        live += MK__LOAD(c->live);
        int64_t p = MK__LOAD(c->peak);
        peak = p > peak ? p : peak;
    }
    int64_t frame = mk__frame_live(intent);
    live += frame + mk__async_live(intent);
    if (thread_peak != NULL)
        *thread_peak = peak;
    if (frame_part != NULL)
        *frame_part = frame;
    return live < 0 ? 0 : live;
}

/* Folds `now` into the intent's sampled peak. */
static void mk__peak_fold(unsigned intent, int64_t now)
{
    int64_t seen = MK__LOAD(mk__rt.peak_sampled[intent]);
    while (now > seen && !MK__CAS_WEAK(mk__rt.peak_sampled[intent], seen, now)) {
    }
}

static void mk__stats_sample_intent(unsigned intent)
{
    mk__peak_fold(intent, mk__intent_current(intent, NULL, NULL));
}

void mk__stats_sample(void)
{
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++)
        mk__stats_sample_intent(intent);
}

void mk__stats_sample_frames(void)
{
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++)
        if (mk__rt.config->routes[intent].tier == MK_TIER_FRAME)
            mk__stats_sample_intent(intent);
}

void mk__stats_init(void)
{
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        const mk_route_t *r = &mk__rt.config->routes[intent];
        uint64_t limit = (r->flags & MK_ROUTE_BUDGETED) != 0u ? r->budget : mk__rt.config->budget_total;
        int64_t slack = limit != 0u ? (int64_t)(limit / 64u) : (int64_t)16 << 10;
        mk__rt.publish_slack[intent] = slack < ((int64_t)16 << 10) ? slack : (int64_t)16 << 10;
    }
}

void mk__stats_publish(mk__thread_t *t, unsigned intent)
{
    mk__intent_counters_t *c = &t->counters[intent];
    int64_t live = MK__LOAD(c->live);
    int64_t delta = live - c->published;
    c->published = live;
    c->publish_hi = live + mk__rt.publish_slack[intent];
    c->publish_lo = live - mk__rt.publish_slack[intent];
    int64_t total = MK__FETCH_ADD(mk__rt.live_published[intent], delta) + delta;
    if (MK__LOAD(mk__rt.several_threads) != 0u)
        mk__peak_fold(intent, total);
}

void mk__stats_fold_single_peaks(void)
{
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        int64_t peak = 0;
        mk__intent_current(intent, &peak, NULL);
        mk__peak_fold(intent, peak);
    }
}

mk_status_t mk_stats_get(mk_stats_t *out)
{
    if (out == NULL)
        return MK_EINVAL;
    if (!mk__rt.initialised)
        return MK_ESTATE;
    memset(out, 0, sizeof *out);
    const mk_config_t *cfg = mk__rt.config;
    uint64_t frame_used = 0;
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        mk_intent_stats_t *s = &out->intents[intent];
        const mk_route_t *r = &cfg->routes[intent];
        int64_t thread_peak = 0, frame_part = 0;
        s->name = cfg->intent_names[intent];
        s->tier = r->tier;
        s->budget = (r->flags & MK_ROUTE_BUDGETED) != 0u ? r->budget : 0u;
        int64_t now = mk__intent_current(intent, &thread_peak, &frame_part);
        mk__peak_fold(intent, now); /* a read is a sample point */
        s->current = (uint64_t)now;
        int64_t sampled = MK__LOAD(mk__rt.peak_sampled[intent]);
        if (MK__LOAD(mk__rt.several_threads) != 0u)
            thread_peak = 0;
        s->peak = (uint64_t)(sampled > thread_peak ? sampled : thread_peak);
        if (s->peak < s->current)
            s->peak = s->current;
        s->frees = (uint64_t)MK__LOAD(mk__rt.unattached[intent].frees);
        s->failures = (uint64_t)MK__LOAD(mk__rt.unattached[intent].failures);
        uint32_t span = mk__thread_span();
        for (unsigned i = 0; i < span; i++) {
            const mk__intent_counters_t *c = &mk__rt.threads[i].hot.counters[intent];
            uint64_t pool_allocs, pool_frees;
            mk__pool_class_counts(&mk__rt.threads[i].hot, intent, &pool_allocs, &pool_frees);
            s->allocations += (uint64_t)MK__LOAD(c->allocs) + pool_allocs;
            s->frees += (uint64_t)MK__LOAD(c->frees) + pool_frees;
            s->failures += (uint64_t)MK__LOAD(c->failures);
            s->oversize += (uint64_t)MK__LOAD(c->oversize);
        }
        s->allocations += mk__frame_allocations(intent);
        mk__async_intent_counts(intent, &s->allocations, &s->frees, &s->failures);
        int64_t leased = mk__budget_leased(intent);
        s->leased = leased > 0 ? (uint64_t)leased : 0u;
        frame_used += (uint64_t)frame_part;
    }
    out->tiers[MK_TIER_FRAME].capacity =
        (uint64_t)mk__frame_total_bytes();
    out->tiers[MK_TIER_FRAME].used = frame_used;
    out->tiers[MK_TIER_FRAME].peak = frame_used;
    out->tiers[MK_TIER_POOL].capacity = mk__pool_capacity();
    out->tiers[MK_TIER_POOL].used = (uint64_t)mk__pool_used_bytes();
    out->tiers[MK_TIER_POOL].cached = (uint64_t)mk__pool_cached_bytes();
    out->tiers[MK_TIER_POOL].peak = out->tiers[MK_TIER_POOL].used;
    mk__heap_tier_stats(&out->tiers[MK_TIER_HEAP]);
    out->async_count = (uint32_t)mk__async_stats(out->async);
    for (uint32_t i = 0; i < out->async_count; i++) {
        const mk_async_stats_t *a = &out->async[i];
        out->tiers[MK_TIER_ASYNC].capacity += a->capacity * a->unit_bytes;
        out->tiers[MK_TIER_ASYNC].used += a->in_use * a->unit_bytes;
    }
    out->tiers[MK_TIER_ASYNC].peak = out->tiers[MK_TIER_ASYNC].used;
    out->system_bytes = (uint64_t)MK__LOAD(mk__rt.system_bytes);
    out->budget_total = cfg->budget_total;
    out->budget_reserved = (uint64_t)MK__LOAD(mk__rt.total_reserved);
    out->frame_index = mk_frame_index();
    uint32_t span = mk__thread_span();
    for (unsigned i = 0; i < span; i++)
        out->threads_attached += MK__LOAD(mk__rt.thread_taken[i]) == MK__SLOT_TAKEN;
    out->attach_failures = MK__LOAD(mk__rt.attach_failures);
    return MK_OK;
}

size_t mk__stats_live_blocks(void)
{
    int64_t live = 0;
    uint32_t span = mk__thread_span();
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        live -= MK__LOAD(mk__rt.unattached[intent].frees);
        for (unsigned i = 0; i < span; i++) {
            const mk__intent_counters_t *c = &mk__rt.threads[i].hot.counters[intent];
            uint64_t pool_allocs, pool_frees;
            mk__pool_class_counts(&mk__rt.threads[i].hot, intent, &pool_allocs, &pool_frees);
            live += MK__LOAD(c->allocs) - MK__LOAD(c->frees) + (int64_t)(pool_allocs - pool_frees);
        }
    }
    return live > 0 ? (size_t)live : 0u;
}

static const char *const mk__tier_names[MK_TIER_COUNT] = {"frame", "pool", "heap", "async"};
static const char *const mk__async_kind_names[] = {"pool", "arena", "channel"};

mk__tier_hooks_t mk__gpu_hooks;

/* "%9.3f ms" of a duration in nanoseconds, in integers (the rounding of
 * the microseconds half to even, as printf's). */
static void mk__format_ms(char *buf, size_t len, uint64_t ns)
{
    uint64_t us = ns / 1000u, rest = ns % 1000u;
    if (rest > 500u || (rest == 500u && (us & 1u) != 0u))
        us++;
    char figure[32];
    mk__format(figure, sizeof figure, "%llu.%03llu", (unsigned long long)(us / 1000u),
               (unsigned long long)(us % 1000u));
    mk__format(buf, len, "%9s ms", figure);
}

void mk_stats_write(mk_line_sink_t sink, void *user)
{
    const mk__out_t out = {sink, user};
    mk_stats_t s;
    if (mk_stats_get(&s) != MK_OK) {
        mk__outf(&out, "memkit: not initialised");
        return;
    }
    mk__outf(&out, "%-16s %-5s %12s %12s %12s %12s %10s %8s", "intent", "tier", "in use", "peak", "budget",
             "headroom", "allocs", "failures");
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++) {
        const mk_intent_stats_t *is = &s.intents[i];
        char cur[32], peak[32], budget[32] = "-", headroom[32] = "-";
        mk__format_bytes(cur, sizeof cur, is->current);
        mk__format_bytes(peak, sizeof peak, is->peak);
        if (is->budget != 0) {
            mk__format_bytes(budget, sizeof budget, is->budget);
            mk__format_bytes(headroom, sizeof headroom, is->budget > is->peak ? is->budget - is->peak : 0);
        }
        mk__outf(&out, "%-16s %-5s %12s %12s %12s %12s %10llu %8llu", is->name, mk__tier_names[is->tier], cur, peak,
                 budget, headroom, (unsigned long long)is->allocations, (unsigned long long)is->failures);
    }
    for (unsigned t = 0; t < MK_TIER_COUNT; t++) {
        char used[32], cap[32];
        mk__format_bytes(used, sizeof used, s.tiers[t].used);
        mk__format_bytes(cap, sizeof cap, s.tiers[t].capacity);
        mk__outf(&out, "tier %-5s %12s of %12s", mk__tier_names[t], used, cap);
    }
    if (s.async_count != 0)
        mk__outf(&out, "%-16s %-7s %10s %10s %8s %8s %10s %8s %8s %8s %12s", "async", "kind", "in use", "peak", "of",
                 "waiters", "grants", "timeouts", "evicted", "failures", "longest wait");
    for (uint32_t i = 0; i < s.async_count; i++) {
        const mk_async_stats_t *a = &s.async[i];
        char wait[32];
        mk__format_ms(wait, sizeof wait, a->longest_wait_ns);
        mk__outf(&out, "%-16s %-7s %10llu %10llu %8llu %8llu %10llu %8llu %8llu %8llu %s", a->name,
                 mk__async_kind_names[a->kind], (unsigned long long)a->in_use, (unsigned long long)a->peak,
                 (unsigned long long)a->capacity, (unsigned long long)a->waiters, (unsigned long long)a->grants,
                 (unsigned long long)a->timeouts, (unsigned long long)a->evictions, (unsigned long long)a->failures,
                 wait);
    }
    if (mk__gpu_hooks.print != NULL)
        mk__gpu_hooks.print(&out);
    mk_phase_stats_t phases[MK_MAX_PHASES];
    size_t phase_count = mk_phase_stats(phases, MK_MAX_PHASES);
    if (phase_count != 0)
        mk__outf(&out, "%-16s %12s %10s %12s %10s %8s", "phase", "bytes", "allocs", "last frame", "allocs", "entered");
    for (size_t i = 0; i < phase_count; i++) {
        char bytes[32], last[32];
        mk__format_bytes(bytes, sizeof bytes, phases[i].bytes);
        mk__format_bytes(last, sizeof last, phases[i].last_frame_bytes);
        mk__outf(&out, "%-16s %12s %10llu %12s %10llu %8llu", phases[i].name, bytes,
                 (unsigned long long)phases[i].allocations, last, (unsigned long long)phases[i].last_frame_allocations,
                 (unsigned long long)phases[i].entries);
    }
    if (s.system_bytes != 0) {
        char sys[32];
        mk__format_bytes(sys, sizeof sys, s.system_bytes);
        mk__outf(&out, "system fallback %s", sys);
    }
    if (s.budget_total != 0) {
        char res[32], tot[32];
        mk__format_bytes(res, sizeof res, s.budget_reserved);
        mk__format_bytes(tot, sizeof tot, s.budget_total);
        mk__outf(&out, "total budget %s reserved of %s", res, tot);
    }
}

#if !MK_NO_STDIO
void mk_stats_print(FILE *out)
{
    mk_stats_write(mk__file_sink, out);
}
#endif
