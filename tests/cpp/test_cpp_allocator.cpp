/* test_cpp_allocator.cpp — memkit::allocator<T, Intent> (memkit/memkit.hpp)
 * under std::vector, std::basic_string and std::unordered_map: each
 * container's memory, its rebound node and bucket allocations included, is
 * charged to the allocator's intent and to no other, returns when the
 * container lets go, is aligned for over-aligned types, and an exhausted
 * budget throws memkit::bad_alloc (tests/configs/cpp.toml). */
#include <memkit/memkit.hpp>

#include "check.h"

#include <cstdint>
#include <limits>
#include <new>
#include <string>
#include <type_traits>

/* The allocator's traits, checked at compile time. */
static_assert(std::allocator_traits<memkit::allocator<int, MK_INTENT_NODES>>::is_always_equal::value);
static_assert(std::is_same_v<std::allocator_traits<memkit::allocator<int, MK_INTENT_NODES>>::rebind_alloc<double>,
                             memkit::allocator<double, MK_INTENT_NODES>>);
static_assert(std::is_same_v<memkit::vector<int, MK_INTENT_NODES>::allocator_type,
                             memkit::allocator<int, MK_INTENT_NODES>>);
static_assert(std::is_empty_v<memkit::allocator<int, MK_INTENT_NODES>>);

static void test_vector_is_charged_to_its_intent(void)
{
    const mk_intent_stats_t words0 = check_intent_stats(MK_INTENT_WORDS);
    {
        memkit::vector<int, MK_INTENT_NODES> v;
        for (int i = 0; i < 20; i++)
            v.push_back(i * i);
        CHECK_EQ(v[19], 361);
        const mk_intent_stats_t nodes = check_intent_stats(MK_INTENT_NODES);
        CHECK(nodes.allocations >= 5); /* 1, 2, 4, 8, 16, 32 elements: each growth a new block */
        CHECK(nodes.current >= 20 * sizeof(int));
#if !MK_SENTINEL /* sentinel blocks carry a header: 32 ints then outgrow the pool */
        CHECK(nodes.current <= 128); /* 32 ints: one block of the pool's largest class */
#endif
        CHECK(mk_usable_size(v.data()) >= v.capacity() * sizeof(int));
    }
    const mk_intent_stats_t nodes = check_intent_stats(MK_INTENT_NODES);
    CHECK_EQ(nodes.current, 0u);
    CHECK_EQ(nodes.frees, nodes.allocations);
    CHECK_EQ(check_intent_stats(MK_INTENT_WORDS).allocations, words0.allocations);
}

static void test_string_and_unordered_map(void)
{
    {
        memkit::string<MK_INTENT_WORDS> s("short");
        CHECK_EQ(check_intent_stats(MK_INTENT_WORDS).allocations, 0u); /* in the small-string buffer */
        s += " and now much longer than any small-string buffer";
        CHECK(check_intent_stats(MK_INTENT_WORDS).current >= s.size() + 1);
        CHECK(s.find("longer") != memkit::string<MK_INTENT_WORDS>::npos);

        /* nodes and buckets (rebound allocators) to NODES, the strings inside to WORDS */
        memkit::unordered_map<int, memkit::string<MK_INTENT_WORDS>, MK_INTENT_NODES> names;
        for (int i = 0; i < 64; i++)
            names.emplace(i, memkit::string<MK_INTENT_WORDS>("name number ") + std::to_string(i).c_str() +
                                 " padded past the small buffer");
        CHECK_EQ(names.size(), 64u);
        CHECK(names.at(63).find("63") != memkit::string<MK_INTENT_WORDS>::npos);
        const mk_intent_stats_t nodes = check_intent_stats(MK_INTENT_NODES);
        CHECK(nodes.allocations >= 65); /* 64 nodes and at least one bucket array */
        CHECK(nodes.oversize >= 1);     /* the bucket array outgrew the pool's classes: the heap, same intent */
        CHECK(check_intent_stats(MK_INTENT_WORDS).allocations >= 65);
        const uint64_t frees = check_intent_stats(MK_INTENT_NODES).frees; /* outgrown bucket arrays */
        names.clear();
        CHECK_EQ(check_intent_stats(MK_INTENT_NODES).frees, frees + 64u);
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_NODES).current, 0u);
    CHECK_EQ(check_intent_stats(MK_INTENT_WORDS).current, 0u);
}

struct alignas(64) cache_line {
    unsigned char bytes[64];
};

static void test_over_aligned_elements(void)
{
    memkit::vector<cache_line, MK_INTENT_GENERAL> lines(5);
    CHECK_EQ(reinterpret_cast<uintptr_t>(lines.data()) % 64u, 0u);
    lines.resize(40);
    CHECK_EQ(reinterpret_cast<uintptr_t>(lines.data()) % 64u, 0u);
    CHECK(check_intent_stats(MK_INTENT_GENERAL).current >= 40 * sizeof(cache_line));
}

static void test_budget_and_size_overflow_throw(void)
{
    memkit::vector<char, MK_INTENT_ASSETS> bytes(100, 'z');
    bool thrown = false;
    try {
        bytes.resize(100 * 1024); /* past the 64 KiB budget */
    } catch (const memkit::bad_alloc &e) {
        thrown = true;
        CHECK_EQ(e.status(), MK_EBUDGET);
        CHECK_EQ(e.intent(), MK_INTENT_ASSETS);
    }
    CHECK(thrown);
    CHECK_EQ(bytes.size(), 100u);
    CHECK_EQ(bytes[99], 'z');

    bool overflow = false;
    try {
        (void)memkit::allocator<uint64_t, MK_INTENT_GENERAL>().allocate(std::numeric_limits<std::size_t>::max() / 4);
    } catch (const std::bad_array_new_length &) {
        overflow = true;
    }
    CHECK(overflow);
}

static void test_allocators_compare_by_intent(void)
{
    memkit::allocator<int, MK_INTENT_NODES> a;
    memkit::allocator<double, MK_INTENT_NODES> b(a); /* converting copy */
    CHECK(a == b);
    CHECK(!(a != b));
    CHECK(a != (memkit::allocator<int, MK_INTENT_WORDS>()));
    CHECK_EQ((memkit::allocator<int, MK_INTENT_WORDS>::intent), MK_INTENT_WORDS);

    /* moving between containers of one intent moves the block, allocates nothing */
    memkit::vector<int, MK_INTENT_NODES> from{1, 2, 3};
    const uint64_t allocations = check_intent_stats(MK_INTENT_NODES).allocations;
    const int *block = from.data();
    memkit::vector<int, MK_INTENT_NODES> to(std::move(from));
    CHECK_EQ(to.data(), block);
    CHECK_EQ(check_intent_stats(MK_INTENT_NODES).allocations, allocations);
}

static void test_frame_intent_allocator(void)
{
    mk_begin_frame();
    {
        memkit::vector<float, MK_INTENT_PER_FRAME> v(256, 1.5f);
        CHECK(check_intent_stats(MK_INTENT_PER_FRAME).current >= 256 * sizeof(float));
        CHECK(v[255] == 1.5f);
    }
    mk_end_frame();
}

int main()
{
    RUN(test_vector_is_charged_to_its_intent);
    RUN(test_string_and_unordered_map);
    RUN(test_over_aligned_elements);
    RUN(test_budget_and_size_overflow_throw);
    RUN(test_allocators_compare_by_intent);
    RUN(test_frame_intent_allocator);
    return check_finish("test_cpp_allocator");
}
