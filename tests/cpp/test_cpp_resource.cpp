/* test_cpp_resource.cpp — memkit::resource(intent), the std::pmr memory
 * resource per intent (memkit/memkit.hpp), under the standard pmr
 * containers: every byte they hold is charged to the resource's intent and
 * to no other, comes back when they let go, and an exhausted budget throws
 * memkit::bad_alloc with the intent and the reason. Also the OOM handler
 * installed from C++ (tests/configs/cpp.toml). */
#include <memkit/memkit.hpp>

#include "check.h"

#include <cstdint>
#include <memory_resource>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

static void test_pmr_containers_charge_their_intent(void)
{
    const mk_intent_stats_t general0 = check_intent_stats(MK_INTENT_GENERAL);
    const mk_intent_stats_t words0 = check_intent_stats(MK_INTENT_WORDS);
    const mk_intent_stats_t assets0 = check_intent_stats(MK_INTENT_ASSETS);
    {
        std::pmr::vector<int> numbers(memkit::resource(MK_INTENT_GENERAL));
        for (int i = 0; i < 1000; i++)
            numbers.push_back(i);
        std::pmr::unordered_map<int, std::pmr::string> names(memkit::resource(MK_INTENT_WORDS));
        for (int i = 0; i < 50; i++)
            names.emplace(i, "a name long enough to leave the small-string buffer " + std::to_string(i));

        const mk_intent_stats_t general = check_intent_stats(MK_INTENT_GENERAL);
        CHECK(general.current >= general0.current + 1000 * sizeof(int));
        CHECK(general.allocations > general0.allocations);
        CHECK(mk_usable_size(numbers.data()) >= numbers.capacity() * sizeof(int)); /* a memkit heap block */
        const mk_intent_stats_t words = check_intent_stats(MK_INTENT_WORDS);
        /* 50 nodes, 50 strings and the bucket arrays, every one through the same resource */
        CHECK(words.allocations >= words0.allocations + 100);
        CHECK(words.current > words0.current);
        CHECK_EQ(names.at(7).get_allocator().resource(), memkit::resource(MK_INTENT_WORDS));
        CHECK(names.at(49).size() > 40);
        CHECK_EQ(numbers[999], 999);
        CHECK_EQ(check_intent_stats(MK_INTENT_ASSETS).allocations, assets0.allocations);
    }
    /* every block given back, to its own intent */
    const mk_intent_stats_t general = check_intent_stats(MK_INTENT_GENERAL);
    CHECK_EQ(general.current, general0.current);
    CHECK_EQ(general.frees - general0.frees, general.allocations - general0.allocations);
    const mk_intent_stats_t words = check_intent_stats(MK_INTENT_WORDS);
    CHECK_EQ(words.current, words0.current);
    CHECK_EQ(words.frees - words0.frees, words.allocations - words0.allocations);
}

static void test_exhausted_budget_throws_bad_alloc(void)
{
    std::pmr::vector<char> bytes(memkit::resource(MK_INTENT_ASSETS)); /* a 64 KiB budget */
    bytes.resize(1000, 'x');
    const mk_intent_stats_t before = check_intent_stats(MK_INTENT_ASSETS);
    bool thrown = false;
    try {
        bytes.reserve(128 * 1024);
    } catch (const memkit::bad_alloc &e) {
        thrown = true;
        CHECK_EQ(e.status(), MK_EBUDGET);
        CHECK_EQ(e.intent(), MK_INTENT_ASSETS);
        CHECK(std::string(e.what()).find("MK_EBUDGET") != std::string::npos);
    }
    CHECK(thrown);
    CHECK_EQ(bytes.size(), 1000u); /* strong guarantee: the vector kept its elements */
    CHECK_EQ(bytes[999], 'x');
    CHECK_EQ(check_intent_stats(MK_INTENT_ASSETS).failures, before.failures + 1);

    /* and it is a std::bad_alloc for code that knows nothing of memkit */
    bool standard = false;
    try {
        std::pmr::string big(memkit::resource(MK_INTENT_ASSETS));
        big.assign(100 * 1024, 'y');
    } catch (const std::bad_alloc &) {
        standard = true;
    }
    CHECK(standard);
}

static void test_alignment_and_direct_use(void)
{
    std::pmr::memory_resource *r = memkit::resource(MK_INTENT_GENERAL);
    const uint64_t before = check_intent_stats(MK_INTENT_GENERAL).current;
    void *wide = r->allocate(100, 256);
    CHECK(wide != nullptr);
    CHECK_EQ(reinterpret_cast<uintptr_t>(wide) % 256u, 0u);
    CHECK(check_intent_stats(MK_INTENT_GENERAL).current >= before + 100);
    void *empty = r->allocate(0); /* a unique pointer, as the standard wants */
    CHECK(empty != nullptr && empty != wide);
    r->deallocate(empty, 0);
    r->deallocate(wide, 100, 256);
    CHECK_EQ(check_intent_stats(MK_INTENT_GENERAL).current, before);
}

static void test_equality_is_by_intent(void)
{
    memkit::intent_resource own(MK_INTENT_NODES);
    CHECK(own.is_equal(*memkit::resource(MK_INTENT_NODES)));
    CHECK(*memkit::resource(MK_INTENT_NODES) == own);
    CHECK(!own.is_equal(*memkit::resource(MK_INTENT_WORDS)));
    CHECK(!own.is_equal(*std::pmr::new_delete_resource()));
    CHECK_EQ(own.intent(), MK_INTENT_NODES);
    CHECK_EQ(memkit::resource(MK_INTENT_NODES), memkit::resource(MK_INTENT_NODES));

    /* a block of one resource freed through an equal one */
    void *p = own.allocate(48);
    memkit::resource(MK_INTENT_NODES)->deallocate(p, 48);
    CHECK_EQ(check_intent_stats(MK_INTENT_NODES).current, 0u);

    /* not an intent: the null resource, which allocates nothing */
    std::pmr::memory_resource *none = memkit::resource(static_cast<mk_intent_t>(MKG_INTENT_COUNT));
    CHECK_EQ(none, std::pmr::null_memory_resource());
    bool thrown = false;
    try {
        (void)none->allocate(8);
    } catch (const std::bad_alloc &) {
        thrown = true;
    }
    CHECK(thrown);
}

static void test_frame_intent_memory_goes_with_its_frame(void)
{
    mk_begin_frame();
    {
        std::pmr::vector<double> v(memkit::resource(MK_INTENT_PER_FRAME));
        for (int i = 0; i < 500; i++)
            v.push_back(i * 0.5);
        CHECK(check_intent_stats(MK_INTENT_PER_FRAME).current >= 500 * sizeof(double));
        CHECK(v[499] == 249.5);
    } /* deallocation of frame blocks is a no-op: they stay charged until the slot is reused */
    CHECK(check_intent_stats(MK_INTENT_PER_FRAME).current >= 500 * sizeof(double));
    mk_end_frame();
    for (int i = 0; i < MKG_FRAMES_IN_FLIGHT; i++) {
        mk_begin_frame();
        mk_end_frame();
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_PER_FRAME).current, 0u);
}

static void test_pool_intent_as_upstream(void)
{
    const mk_intent_stats_t before = check_intent_stats(MK_INTENT_NODES);
    {
        std::pmr::monotonic_buffer_resource arena(64, memkit::resource(MK_INTENT_NODES));
        std::pmr::vector<int> v(&arena);
        for (int i = 0; i < 100; i++)
            v.push_back(i);
        CHECK(check_intent_stats(MK_INTENT_NODES).current > before.current);
        CHECK_EQ(v[42], 42);
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_NODES).current, before.current);
}

/* The OOM handler from C++: a lambda that releases memory held for the
 * purpose, then a retry; a handler that declines lets the request throw. */
static void test_oom_handler_lambda(void)
{
    std::pmr::memory_resource *r = memkit::resource(MK_INTENT_RECLAIMABLE); /* a 4 KiB budget */
    void *held = r->allocate(3000);
    int calls = 0;
    std::size_t asked = 0;
    auto release_held = [&](mk_intent_t intent, std::size_t size, mk_status_t reason) {
        calls++;
        asked = size;
        CHECK_EQ(intent, MK_INTENT_RECLAIMABLE);
        CHECK_EQ(reason, MK_EBUDGET);
        if (held == nullptr)
            return false;
        r->deallocate(held, 3000);
        held = nullptr;
        return true;
    };
    memkit::set_oom_handler(release_held);
    void *second = r->allocate(2000); /* over budget until the handler frees `held` */
    CHECK(second != nullptr);
    CHECK_EQ(calls, 1);
    CHECK(asked >= 2000u && asked < 2200u); /* sentinel builds add a header and a canary */
    CHECK(held == nullptr);

    bool thrown = false;
    try {
        (void)r->allocate(3000); /* nothing left to release: the handler declines */
    } catch (const memkit::bad_alloc &e) {
        thrown = true;
        CHECK_EQ(e.status(), MK_EBUDGET);
    }
    CHECK(thrown);
    CHECK_EQ(calls, 2);
    CHECK(asked >= 3000u && asked < 3200u);
    memkit::clear_oom_handler();
    r->deallocate(second, 2000);
    CHECK_EQ(check_intent_stats(MK_INTENT_RECLAIMABLE).current, 0u);
}

int main()
{
    RUN(test_pmr_containers_charge_their_intent);
    RUN(test_exhausted_budget_throws_bad_alloc);
    RUN(test_alignment_and_direct_use);
    RUN(test_equality_is_by_intent);
    RUN(test_frame_intent_memory_goes_with_its_frame);
    RUN(test_pool_intent_as_upstream);
    RUN(test_oom_handler_lambda);
    return check_finish("test_cpp_resource");
}
