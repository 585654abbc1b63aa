/* test_cpp_guards.cpp — the RAII guards of memkit/memkit.hpp: frame_scope,
 * phase_scope, intent_scope and checkpoint each end what they began on every
 * way out of their scope, exceptions included, and a guard whose begin
 * failed ends nothing that is not its own (tests/configs/cpp.toml). */
#include <memkit/memkit.hpp>

#include "check.h"

#include <cstring>
#include <stdexcept>

static int frames_ended;

static void count_frame_end(uint64_t frame, void *user)
{
    (void)frame;
    (void)user;
    frames_ended++;
}

static void test_frame_scope(void)
{
    frames_ended = 0;
    CHECK_EQ(mk_on_frame_end(count_frame_end, nullptr), MK_OK);
    const uint64_t first = mk_frame_index();
    {
        memkit::frame_scope frame;
        CHECK_EQ(frame.index(), first + 1);
        CHECK_EQ(frames_ended, 0);
    }
    CHECK_EQ(frames_ended, 1);
    try {
        memkit::frame_scope frame;
        throw std::runtime_error("a frame that fails half-way");
    } catch (const std::runtime_error &) {
    }
    CHECK_EQ(frames_ended, 2);
    CHECK_EQ(mk_frame_index(), first + 2);
}

/* The statistics of the phase called `name` (by address, as registered). */
static mk_phase_stats_t phase_named(const char *name)
{
    mk_phase_stats_t all[MK_MAX_PHASES];
    size_t count = mk_phase_stats(all, MK_MAX_PHASES);
    for (size_t i = 0; i < count && i < MK_MAX_PHASES; i++)
        if (std::strcmp(all[i].name, name) == 0)
            return all[i];
    mk_phase_stats_t none;
    std::memset(&none, 0, sizeof none);
    return none;
}

static void test_phase_scope(void)
{
    void *blocks[4];
    {
        memkit::phase_scope load("cpp.load");
        CHECK_EQ(load.status(), MK_OK);
        for (int i = 0; i < 3; i++)
            blocks[i] = mk_alloc(MK_INTENT_GENERAL, 100);
        {
            memkit::phase_scope bad(nullptr); /* refused: opens nothing, so must close nothing */
            CHECK_EQ(bad.status(), MK_EINVAL);
        }
        blocks[3] = mk_alloc(MK_INTENT_GENERAL, 100); /* still counted to cpp.load */
    }
    void *outside = mk_alloc(MK_INTENT_GENERAL, 100); /* the phase has ended */
    mk_phase_stats_t load = phase_named("cpp.load");
    CHECK_EQ(load.entries, 1u);
    CHECK_EQ(load.allocations, 4u);
    CHECK(load.bytes >= 400u);
    try {
        memkit::phase_scope failing("cpp.failing");
        mk_free(mk_alloc(MK_INTENT_GENERAL, 10));
        throw std::runtime_error("load failed");
    } catch (const std::runtime_error &) {
    }
    mk_free(mk_alloc(MK_INTENT_GENERAL, 10)); /* after the unwinding: in no phase */
    CHECK_EQ(phase_named("cpp.failing").allocations, 1u);
    CHECK_EQ(phase_named("cpp.load").allocations, 4u);
    for (void *b : blocks)
        mk_free(b);
    mk_free(outside);
}

static void test_intent_scope(void)
{
    CHECK(mk_alloc_current(8) == nullptr); /* nothing pushed */
    {
        memkit::intent_scope words(MK_INTENT_WORDS);
        CHECK_EQ(words.status(), MK_OK);
        void *w = mk_alloc_current(24);
        CHECK_EQ(check_intent_stats(MK_INTENT_WORDS).allocations, 1u);
        {
            memkit::intent_scope nodes(MK_INTENT_NODES);
            mk_free(mk_alloc_current(24));
            CHECK_EQ(check_intent_stats(MK_INTENT_NODES).allocations, 1u);
            memkit::intent_scope bad(static_cast<mk_intent_t>(MKG_INTENT_COUNT));
            CHECK_EQ(bad.status(), MK_EINVAL);
        } /* `bad` pops nothing, `nodes` pops itself: WORDS is current again */
        mk_free(mk_alloc_current(24));
        CHECK_EQ(check_intent_stats(MK_INTENT_WORDS).allocations, 2u);
        CHECK_EQ(check_intent_stats(MK_INTENT_NODES).allocations, 1u);
        mk_free(w);
    }
    CHECK(mk_alloc_current(8) == nullptr);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
}

static void test_checkpoint(void)
{
    const unsigned long warnings = mk_report_count(MK_SEVERITY_WARNING); /* sentinel: ML104, a checkpoint left open */
    mk_begin_frame();
    void *kept = mk_alloc(MK_INTENT_SCRATCH, 64);
    const uint64_t base = check_intent_stats(MK_INTENT_SCRATCH).current;
    void *speculative = nullptr;
    {
        memkit::checkpoint cp;
        CHECK(cp.valid());
        speculative = mk_alloc(MK_INTENT_SCRATCH, 256);
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 512) != nullptr);
        CHECK(check_intent_stats(MK_INTENT_SCRATCH).current >= base + 768);
    } /* rewound */
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, base);
    CHECK_EQ(mk_alloc(MK_INTENT_SCRATCH, 256), speculative); /* the arena stands where it stood */
    const uint64_t with_retry = check_intent_stats(MK_INTENT_SCRATCH).current;

    {
        memkit::checkpoint cp;
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 128) != nullptr);
        cp.keep();
    }
    CHECK(check_intent_stats(MK_INTENT_SCRATCH).current >= with_retry + 128);
    const uint64_t with_kept = check_intent_stats(MK_INTENT_SCRATCH).current;

    try {
        memkit::checkpoint cp;
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 1024) != nullptr);
        {
            memkit::checkpoint inner;
            CHECK(mk_alloc(MK_INTENT_SCRATCH, 1024) != nullptr);
            CHECK_EQ(inner.rewind(), MK_OK); /* explicit: released now, still open */
            const uint64_t now = check_intent_stats(MK_INTENT_SCRATCH).current;
            CHECK(now >= with_kept + 1024 && now < with_kept + 2048); /* the outer block only */
        }
        throw std::runtime_error("speculation failed");
    } catch (const std::runtime_error &) {
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, with_kept);
    CHECK(kept != nullptr);
    mk_end_frame();
    CHECK_EQ(mk_report_count(MK_SEVERITY_WARNING), warnings);
}

int main()
{
    RUN(test_frame_scope);
    RUN(test_phase_scope);
    RUN(test_intent_scope);
    RUN(test_checkpoint);
    return check_finish("test_cpp_guards");
}
