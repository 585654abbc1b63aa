/* test_cpp_frame_vector.cpp — memkit::frame_vector<T> (memkit/memkit.hpp):
 * its elements live in its frame intent's arena and are charged to it, it
 * grows in place while it is the newest frame allocation and by copying
 * otherwise, failure leaves it unchanged (or throws), and it refuses an
 * intent that is not a frame intent (tests/configs/cpp.toml). */
#include <memkit/memkit.hpp>

#include "check.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

struct contact {
    float x, y;
    int body;
};

static void test_push_and_growth_in_place(void)
{
    mk_begin_frame();
    memkit::frame_vector<int> v(MK_INTENT_SCRATCH);
    CHECK(v.empty());
    CHECK(v.data() == nullptr); /* nothing allocated yet */
    v.push_back(0);
    const int *first = v.data();
    for (int i = 1; i < 1000; i++)
        v.push_back(i); /* the newest frame allocation all along: every doubling in place */
#if !MK_SENTINEL /* sentinel frame blocks end in a canary: they never grow in place */
    CHECK_EQ(v.data(), first);
#endif
    (void)first;
    CHECK_EQ(v.size(), 1000u);
    CHECK(v.capacity() >= 1000u);
    int sum = 0;
    for (int x : v)
        sum += x;
    CHECK_EQ(sum, 999 * 1000 / 2);
    CHECK(check_intent_stats(MK_INTENT_SCRATCH).current >= 1000 * sizeof(int));
    CHECK_EQ(check_intent_stats(MK_INTENT_PER_FRAME).current, 0u);

    /* another allocation after it: the next growth moves and copies */
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != nullptr);
    const int *old = v.data();
    v.resize(v.capacity() + 1);
    CHECK(v.data() != old);
    CHECK_EQ(v[999], 999);
    CHECK_EQ(v.back(), 0); /* value-initialised */
    CHECK_EQ(old[999], 999); /* the old block stays readable until its frame ends */
    mk_end_frame();
}

static void test_emplace_append_and_slice(void)
{
    mk_begin_frame();
    memkit::frame_vector<contact> contacts(MK_INTENT_PER_FRAME);
    contact &c = contacts.emplace_back(contact{1.0f, 2.0f, 7});
    CHECK_EQ(c.body, 7);
    const contact more[3] = {{3.0f, 4.0f, 8}, {5.0f, 6.0f, 9}, {7.0f, 8.0f, 10}};
    contacts.append(more, 3);
    contacts.append(contacts.data(), contacts.size()); /* from itself */
    CHECK_EQ(contacts.size(), 8u);
    CHECK_EQ(contacts[7].body, 10);
    CHECK_EQ(contacts.at(4).body, 7);
    mk_frame_slice_t s = contacts.slice();
    CHECK_EQ(s.len, 8u);
    CHECK_EQ(s.elem_size, sizeof(contact));
    CHECK_EQ(MK_FRAME_SLICE_AT(s, contact, 2)->body, 9);
    contacts.pop_back();
    CHECK_EQ(contacts.size(), 7u);
    bool out_of_range = false;
    try {
        (void)contacts.at(7);
    } catch (const std::out_of_range &) {
        out_of_range = true;
    }
    CHECK(out_of_range);

    memkit::frame_vector<contact> moved(std::move(contacts));
    CHECK_EQ(moved.size(), 7u);
    CHECK_EQ(contacts.size(), 0u);
    CHECK(contacts.data() == nullptr);
    contacts.push_back(more[0]); /* a moved-from vector is empty and usable */
    CHECK_EQ(contacts.size(), 1u);
    mk_end_frame();
}

struct alignas(64) wide {
    float lanes[16];
};

static void test_over_aligned(void)
{
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_PER_FRAME, 16) != nullptr); /* the arena off a 64-byte boundary */
    memkit::frame_vector<wide> v(MK_INTENT_PER_FRAME);
    for (int i = 0; i < 10; i++) {
        v.push_back(wide{});
        CHECK_EQ(reinterpret_cast<uintptr_t>(v.data()) % 64u, 0u);
    }
    mk_end_frame();
}

static void test_exhausted_budget(void)
{
    mk_begin_frame();
    memkit::frame_vector<char> v(MK_INTENT_SCRATCH); /* a 32 KiB budget */
    v.resize(1000);
    v[999] = 'k';
    const char *data = v.data();
    const size_t capacity = v.capacity();
    bool thrown = false;
    try {
        v.reserve(40 * 1024); /* the arena has room, the budget has not */
    } catch (const memkit::bad_alloc &e) {
        thrown = true;
        CHECK_EQ(e.status(), MK_EBUDGET);
        CHECK_EQ(e.intent(), MK_INTENT_SCRATCH);
    }
    CHECK(thrown);
    CHECK(!v.try_reserve(40 * 1024));
    CHECK_EQ(v.size(), 1000u); /* unchanged */
    CHECK_EQ(v.capacity(), capacity);
    CHECK_EQ(v.data(), data);
    CHECK_EQ(v[999], 'k');
    size_t pushed = 0;
    while (v.try_push_back('p') && pushed < 64 * 1024)
        pushed++;
    CHECK(pushed < 32 * 1024); /* the 32 KiB budget stopped it, not the 64 KiB arena */
    CHECK(pushed > 16 * 1024);
    CHECK(mk_last_error() != MK_OK);
    CHECK(check_intent_stats(MK_INTENT_SCRATCH).current <= 32 * 1024);
    CHECK_EQ(v[999], 'k');
    mk_end_frame();
}

static void test_not_a_frame_intent(void)
{
    bool thrown = false;
    try {
        memkit::frame_vector<int> v(MK_INTENT_GENERAL);
    } catch (const std::invalid_argument &e) {
        thrown = true;
        CHECK(std::string(e.what()).find("'general' is not a frame intent") != std::string::npos);
    }
    CHECK(thrown);
}

int main()
{
    RUN(test_push_and_growth_in_place);
    RUN(test_emplace_append_and_slice);
    RUN(test_over_aligned);
    RUN(test_exhausted_budget);
    RUN(test_not_a_frame_intent);
    return check_finish("test_cpp_frame_vector");
}
