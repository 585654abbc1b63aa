/* memkit/memkit.hpp — memkit for C++17 and later: header-only, over the C API
 * of memkit/memkit.h (which C++ may also use directly). docs/cpp.md is the
 * guide.
 *
 *   memkit::resource(intent)           a std::pmr::memory_resource per intent
 *   memkit::allocator<T, MK_INTENT_X>  a standard allocator bound to an intent
 *   memkit::vector, string,            the standard containers with it
 *     unordered_map
 *   memkit::frame_scope, phase_scope,  RAII guards: mk_begin_frame/mk_end_frame,
 *     intent_scope, checkpoint         mk_phase_begin/end, mk_intent_push/pop,
 *                                      mk_frame_mark/rewind/release
 *   memkit::frame_vector<T>            a growable array in the current frame
 *   memkit::set_oom_handler(f)         a C++ callable as the OOM handler
 *
 * Conventions:
 * - Allocation failure throws memkit::bad_alloc, a std::bad_alloc that says
 *   which intent failed and why (mk_status_t). Built without exceptions
 *   (-fno-exceptions), it calls std::abort() instead.
 * - What cannot fail is noexcept; no destructor throws.
 * - No exception crosses memkit's C code: everything here throws only after
 *   the C call has returned, and the one C callback it installs
 *   (set_oom_handler's) is noexcept, so an exception thrown by the user's
 *   handler ends in std::terminate rather than unwinding through C frames.
 * - Memory allocated for an intent obeys its tier, budget and on_exhausted
 *   policy exactly as mk_alloc does (memkit/memkit.h). Frame intents: a block
 *   lives until its frame slot is reused (frame N + MKG_FRAMES_IN_FLIGHT);
 *   deallocating one is a no-op. Every memkit object here must be gone before
 *   mk_shutdown.
 * - A config with a [memkit] prefix puts all of this in an inline namespace
 *   named after the prefix, so that two components with two configs can both
 *   include this header into one program.
 */
#ifndef MEMKIT_MEMKIT_HPP
#define MEMKIT_MEMKIT_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "memkit/memkit.hpp needs C++17 or later (C includes memkit/memkit.h)"
#endif

#include <memkit/memkit.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <memory_resource>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(MKG_SYMBOL_PREFIX)
#define MK__CPP_NAMESPACE MK__SYMBOL(cfg)
#else
#define MK__CPP_NAMESPACE cfg
#endif

namespace memkit {
inline namespace MK__CPP_NAMESPACE {

/* ---- errors ------------------------------------------------------------------ */

/* What an allocation that memkit refused throws: a std::bad_alloc with the
 * intent and the reason (MK_EBUDGET, MK_ENOMEM, MK_ETOOBIG, MK_EINVAL …;
 * what() is mk_status_str's text). */
class bad_alloc : public std::bad_alloc {
public:
    bad_alloc(mk_intent_t intent, mk_status_t status) noexcept : intent_(intent), status_(status) {}
    const char *what() const noexcept override { return mk_status_str(status_); }
    mk_intent_t intent() const noexcept { return intent_; }
    mk_status_t status() const noexcept { return status_; }

private:
    mk_intent_t intent_;
    mk_status_t status_;
};

namespace detail {

/* Throws for a NULL from memkit, with the reason the C call recorded. */
[[noreturn]] inline void allocation_failed(mk_intent_t intent)
{
    mk_status_t status = mk_last_error();
#if defined(__cpp_exceptions)
    throw bad_alloc(intent, status != MK_OK ? status : MK_ENOMEM);
#else
    (void)intent;
    (void)status;
    std::abort();
#endif
}

[[noreturn]] inline void not_a_frame_intent(const char *what, mk_intent_t intent)
{
#if defined(__cpp_exceptions)
    throw std::invalid_argument(std::string(what) + ": intent '" + mk_intent_name(intent) + "' is not a frame intent");
#else
    (void)what;
    (void)intent;
    std::abort();
#endif
}

/* Every request is at least one byte: memkit's size 0 means "nothing", the
 * standard's means "a unique pointer". Allocation and deallocation agree. */
constexpr std::size_t request_bytes(std::size_t bytes) noexcept
{
    return bytes != 0 ? bytes : 1;
}

} // namespace detail

/* ---- a memory resource per intent ----------------------------------------------- */

/* A std::pmr::memory_resource that allocates for one intent:
 * mk_alloc_aligned(intent, bytes, alignment) (any power-of-two alignment;
 * up to MKG_ALIGNMENT it is the inline fast path), and mk_free_sized on
 * deallocation. Throws memkit::bad_alloc when memkit returns NULL. Stateless
 * beyond the intent: thread-safe as mk_alloc is. Two resources are equal when
 * they serve the same intent (either may free the other's blocks). */
class intent_resource final : public std::pmr::memory_resource {
public:
    explicit intent_resource(mk_intent_t intent) noexcept : intent_(intent) {}
    mk_intent_t intent() const noexcept { return intent_; }

private:
    void *do_allocate(std::size_t bytes, std::size_t alignment) override
    {
        void *p = mk_alloc_aligned(intent_, detail::request_bytes(bytes), alignment);
        if (p == nullptr)
            detail::allocation_failed(intent_);
        return p;
    }

    void do_deallocate(void *p, std::size_t bytes, std::size_t alignment) noexcept override
    {
        (void)alignment; /* the block knows where it came from */
        mk_free_sized(intent_, p, detail::request_bytes(bytes));
    }

    bool do_is_equal(const std::pmr::memory_resource &other) const noexcept override
    {
#if defined(__cpp_rtti) || defined(__GXX_RTTI)
        const intent_resource *o = dynamic_cast<const intent_resource *>(&other);
        return o != nullptr && o->intent_ == intent_;
#else
        return this == &other; /* without RTTI only resource(intent)'s own object is known to match */
#endif
    }

    mk_intent_t intent_;
};

namespace detail {
template <std::size_t... I>
intent_resource *resource_table(std::index_sequence<I...>) noexcept
{
    static intent_resource table[] = {intent_resource(static_cast<mk_intent_t>(I))...};
    return table;
}
} // namespace detail

/* The process's resource for `intent` (one object per intent, alive until
 * exit); std::pmr::null_memory_resource() for a value that is not an intent,
 * so that allocating from it throws std::bad_alloc. O(1). Thread-safe.
 *
 *     std::pmr::vector<int> ids(memkit::resource(MK_INTENT_AI));
 */
inline std::pmr::memory_resource *resource(mk_intent_t intent) noexcept
{
    if (static_cast<unsigned>(intent) >= static_cast<unsigned>(MKG_INTENT_COUNT))
        return std::pmr::null_memory_resource();
    return &detail::resource_table(std::make_index_sequence<MKG_INTENT_COUNT>())[intent];
}

/* ---- an allocator bound to an intent -------------------------------------------- */

/* A standard allocator (AllocatorAwareContainer) whose every allocation is
 * for `Intent`: mk_alloc_aligned(Intent, n * sizeof(T), alignof(T)), folded
 * to the tier's inline fast path since the intent is a constant, and
 * mk_free_sized on deallocation. Stateless: all allocators of one intent are
 * equal, whatever T. Throws memkit::bad_alloc (std::bad_array_new_length
 * when n * sizeof(T) overflows).
 *
 *     std::vector<particle, memkit::allocator<particle, MK_INTENT_PARTICLES>> ps;
 *     memkit::vector<particle, MK_INTENT_PARTICLES> same_type;
 *
 * For an intent chosen at run time, use std::pmr containers on resource(). */
template <class T, mk_intent_t Intent>
class allocator {
public:
    using value_type = T;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using is_always_equal = std::true_type;
    using propagate_on_container_move_assignment = std::true_type;
    template <class U>
    struct rebind {
        using other = allocator<U, Intent>;
    };
    static constexpr mk_intent_t intent = Intent;

    constexpr allocator() noexcept = default;
    template <class U>
    constexpr allocator(const allocator<U, Intent> &) noexcept
    {
    }

    [[nodiscard]] T *allocate(std::size_t n)
    {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
#if defined(__cpp_exceptions)
            throw std::bad_array_new_length();
#else
            std::abort();
#endif
        }
        void *p = mk_alloc_aligned(Intent, detail::request_bytes(n * sizeof(T)), alignof(T));
        if (p == nullptr)
            detail::allocation_failed(Intent);
        return static_cast<T *>(p);
    }

    void deallocate(T *p, std::size_t n) noexcept
    {
        mk_free_sized(Intent, p, detail::request_bytes(n * sizeof(T)));
    }
};

template <class T, mk_intent_t A, class U, mk_intent_t B>
constexpr bool operator==(const allocator<T, A> &, const allocator<U, B> &) noexcept
{
    return A == B;
}
template <class T, mk_intent_t A, class U, mk_intent_t B>
constexpr bool operator!=(const allocator<T, A> &, const allocator<U, B> &) noexcept
{
    return A != B;
}

/* The standard containers on an intent. */
template <class T, mk_intent_t Intent>
using vector = std::vector<T, allocator<T, Intent>>;
template <mk_intent_t Intent, class CharT = char, class Traits = std::char_traits<CharT>>
using basic_string = std::basic_string<CharT, Traits, allocator<CharT, Intent>>;
template <mk_intent_t Intent>
using string = basic_string<Intent>;
template <class Key, class T, mk_intent_t Intent, class Hash = std::hash<Key>, class Equal = std::equal_to<Key>>
using unordered_map = std::unordered_map<Key, T, Hash, Equal, allocator<std::pair<const Key, T>, Intent>>;

/* ---- RAII guards ----------------------------------------------------------------- */
/* Each guard pairs a C call in its constructor with its partner in its
 * destructor, on every way out of the scope (exceptions included). None can
 * be copied or moved: they stand for a position in a per-thread stack. */

/* One frame: mk_begin_frame() now, mk_end_frame() at the end of the scope.
 * On the frame driver's thread only (see mk_begin_frame). */
class frame_scope {
public:
    frame_scope() noexcept { mk_begin_frame(); }
    ~frame_scope() { mk_end_frame(); }
    frame_scope(const frame_scope &) = delete;
    frame_scope &operator=(const frame_scope &) = delete;

    /* This frame's number (mk_frame_index()). */
    std::uint64_t index() const noexcept { return mk_frame_index(); }
};

namespace detail {
/* A level of a per-thread stack that a begin opened when it answered MK_OK,
 * or MK_EFULL (past the stack's depth: counted, so that begins and ends
 * stay paired), and that End closes. */
template <void (*End)(void)>
class level_scope {
public:
    explicit level_scope(mk_status_t status) noexcept : status_(status) {}
    ~level_scope()
    {
        if (status_ == MK_OK || status_ == MK_EFULL)
            End();
    }
    level_scope(const level_scope &) = delete;
    level_scope &operator=(const level_scope &) = delete;

    /* The begin's answer: MK_OK when the level is in effect. */
    mk_status_t status() const noexcept { return status_; }

private:
    mk_status_t status_;
};
} // namespace detail

/* A phase: mk_phase_begin(name) now, mk_phase_end() at the end of the scope
 * when the begin opened a level (MK_OK or MK_EFULL). `name` must outlive the
 * run (a string literal), as for mk_phase_begin. status(): the begin's answer. */
class phase_scope : public detail::level_scope<&mk_phase_end> {
public:
    explicit phase_scope(const char *name) noexcept : level_scope(mk_phase_begin(name)) {}
};

/* An intent scope: mk_intent_push(intent) now, mk_intent_pop() at the end of
 * the scope when the push counted a level (MK_OK or MK_EFULL), so that
 * mk_alloc_current() inside is attributed to `intent`. status(): the push's
 * answer. */
class intent_scope : public detail::level_scope<&mk_intent_pop> {
public:
    explicit intent_scope(mk_intent_t intent) noexcept : level_scope(mk_intent_push(intent)) {}
};

/* A checkpoint of the calling thread's frame arena (mk_frame_mark). At the
 * end of the scope, unless keep() was called, everything the thread
 * allocated in frame memory since is released (mk_frame_rewind), on an
 * exception as well: speculative work that is thrown away unless it is
 * kept. Either way the checkpoint is then closed (mk_frame_mark_release).
 * Use it on the thread, and inside the frame, that took it. */
class checkpoint {
public:
    checkpoint() noexcept : mark_(mk_frame_mark()) {}
    ~checkpoint()
    {
        if (kept_ || !valid())
            return;
        (void)mk_frame_rewind(&mark_); /* MK_ESTATE/MK_EINVAL: another frame's, or rewound past: nothing to do */
        mk_frame_mark_release(&mark_);
    }
    checkpoint(const checkpoint &) = delete;
    checkpoint &operator=(const checkpoint &) = delete;

    /* Releases what was allocated since the checkpoint now; it stays open
     * (mk_frame_rewind's status). */
    mk_status_t rewind() noexcept { return mk_frame_rewind(&mark_); }

    /* Keeps what was allocated since: the scope's end rewinds nothing. */
    void keep() noexcept
    {
        if (!kept_ && valid())
            mk_frame_mark_release(&mark_);
        kept_ = true;
    }

    /* False when the mark could not be taken (mk_last_error(): the thread
     * cannot attach, or MK_EFULL: MK_MARK_DEPTH checkpoints are open). */
    bool valid() const noexcept { return mark_.epoch != UINT64_MAX; }
    const mk_frame_mark_t &mark() const noexcept { return mark_; }

private:
    mk_frame_mark_t mark_;
    bool kept_ = false;
};

/* ---- a typed frame vector -------------------------------------------------------- */

/* A growable array of T in the frame memory of a frame intent: mk_frame_vec
 * (memkit/containers.h) with a type. Growth doubles, in place while the
 * array is the calling thread's newest frame allocation and the arena has
 * room (O(1)), else into a new block with the elements copied (the old block
 * stays until its frame ends, so references into it stay readable). The
 * elements live until the frame slot is reused or a checkpoint taken before
 * them rewinds; destroying the vector frees nothing, so it may be dropped at
 * any time. One thread at a time. Moves, does not copy.
 *
 * T must be trivially copyable: elements move with memcpy and no destructor
 * ever runs, as frame memory vanishes with its frame. For other types use
 * std::pmr::vector<T> on resource(frame_intent).
 *
 * Failure: push_back, emplace_back, append, reserve and resize throw
 * memkit::bad_alloc with the vector unchanged; try_push_back, try_append and
 * try_reserve return false instead. */
template <class T>
class frame_vector {
    static_assert(std::is_trivially_copyable_v<T>,
                  "memkit::frame_vector<T> moves elements with memcpy and never destroys them: T must be trivially "
                  "copyable (use std::pmr::vector<T> on memkit::resource(intent) for other types)");

public:
    using value_type = T;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using reference = T &;
    using const_reference = const T &;
    using pointer = T *;
    using const_pointer = const T *;
    using iterator = T *;
    using const_iterator = const T *;

    /* An empty vector for `intent`; allocates nothing. Throws
     * std::invalid_argument when `intent` is not a frame intent. */
    explicit frame_vector(mk_intent_t intent) : intent_(intent)
    {
        if (!mk_is_frame_intent(intent))
            detail::not_a_frame_intent("memkit::frame_vector", intent);
    }
    frame_vector(const frame_vector &) = delete;
    frame_vector &operator=(const frame_vector &) = delete;
    /* The elements move with the vector; `other` is left empty. */
    frame_vector(frame_vector &&other) noexcept
        : data_(std::exchange(other.data_, nullptr)), len_(std::exchange(other.len_, 0)),
          cap_(std::exchange(other.cap_, 0)), intent_(other.intent_)
    {
    }
    frame_vector &operator=(frame_vector &&other) noexcept
    {
        data_ = std::exchange(other.data_, nullptr);
        len_ = std::exchange(other.len_, 0);
        cap_ = std::exchange(other.cap_, 0);
        intent_ = other.intent_;
        return *this;
    }
    ~frame_vector() = default; /* the memory goes with its frame */

    /* Capacity for at least `n` elements in all. */
    [[nodiscard]] bool try_reserve(size_type n) noexcept
    {
        return mk__frame_vec_grow(&data_, &cap_, sizeof(T), alignof(T), intent_, n);
    }
    void reserve(size_type n)
    {
        if (!try_reserve(n))
            detail::allocation_failed(intent_);
    }

    /* `value` may be an element of this vector: growth leaves the old block readable. */
    [[nodiscard]] bool try_push_back(const T &value) noexcept
    {
        if (len_ == cap_ && !try_reserve(len_ + 1u))
            return false;
        ::new (static_cast<void *>(data() + len_)) T(value);
        len_++;
        return true;
    }
    void push_back(const T &value)
    {
        if (!try_push_back(value))
            detail::allocation_failed(intent_);
    }
    template <class... Args>
    T &emplace_back(Args &&...args)
    {
        if (len_ == cap_)
            reserve(len_ + 1u);
        T *slot = ::new (static_cast<void *>(data() + len_)) T(std::forward<Args>(args)...);
        len_++;
        return *slot;
    }

    /* Appends `n` elements copied from `src` (which may lie in this vector's elements). */
    [[nodiscard]] bool try_append(const T *src, size_type n) noexcept
    {
        return mk__frame_vec_append(&data_, &len_, &cap_, sizeof(T), alignof(T), intent_, src, n);
    }
    void append(const T *src, size_type n)
    {
        if (!try_append(src, n))
            detail::allocation_failed(intent_);
    }

    /* Grows with value-initialised elements, or shrinks. */
    void resize(size_type n)
    {
        if (n > len_) {
            reserve(n);
            for (size_type i = len_; i < n; i++)
                ::new (static_cast<void *>(data() + i)) T();
        }
        len_ = n;
    }
    void pop_back() noexcept { len_--; }
    void clear() noexcept { len_ = 0; }

    size_type size() const noexcept { return len_; }
    size_type capacity() const noexcept { return cap_; }
    bool empty() const noexcept { return len_ == 0; }
    mk_intent_t intent() const noexcept { return intent_; }
    T *data() noexcept { return static_cast<T *>(data_); }
    const T *data() const noexcept { return static_cast<const T *>(data_); }
    T &operator[](size_type i) noexcept { return data()[i]; }
    const T &operator[](size_type i) const noexcept { return data()[i]; }
    T &at(size_type i) { return data()[checked(i)]; }
    const T &at(size_type i) const { return data()[checked(i)]; }
    T &front() noexcept { return data()[0]; }
    const T &front() const noexcept { return data()[0]; }
    T &back() noexcept { return data()[len_ - 1u]; }
    const T &back() const noexcept { return data()[len_ - 1u]; }
    iterator begin() noexcept { return data(); }
    iterator end() noexcept { return data() + len_; }
    const_iterator begin() const noexcept { return data(); }
    const_iterator end() const noexcept { return data() + len_; }
    const_iterator cbegin() const noexcept { return data(); }
    const_iterator cend() const noexcept { return data() + len_; }

    /* A C view of the elements, valid until the vector next grows. */
    mk_frame_slice_t slice() const noexcept { return mk_frame_slice_make(data_, len_, sizeof(T)); }

private:
    size_type checked(size_type i) const
    {
        if (i >= len_) {
#if defined(__cpp_exceptions)
            throw std::out_of_range("memkit::frame_vector::at");
#else
            std::abort();
#endif
        }
        return i;
    }

    void *data_ = nullptr; /* void *, as mk__frame_vec_grow takes it */
    size_type len_ = 0;
    size_type cap_ = 0;
    mk_intent_t intent_;
};

/* ---- the OOM handler --------------------------------------------------------------- */

namespace detail {
template <class F>
int oom_trampoline(mk_intent_t intent, std::size_t size, mk_status_t reason, void *user) noexcept
{
    return (*static_cast<F *>(user))(intent, size, reason) ? 1 : 0;
}
} // namespace detail

/* Installs `handler`, a callable (mk_intent_t, std::size_t, mk_status_t) ->
 * bool (true: memory was released, retry once), as memkit's OOM handler for
 * intents with on_exhausted = "callback" (mk_set_oom_handler). The handler is
 * referenced, not copied: it must outlive its installation (until
 * clear_oom_handler() or another set). It runs inside memkit's C code,
 * through a noexcept function: an exception leaving it calls std::terminate. */
template <class F>
void set_oom_handler(F &handler) noexcept
{
    mk_set_oom_handler(&detail::oom_trampoline<F>, const_cast<void *>(static_cast<const void *>(std::addressof(handler))));
}

inline void clear_oom_handler() noexcept
{
    mk_set_oom_handler(nullptr, nullptr);
}

} // namespace MK__CPP_NAMESPACE
} // namespace memkit

#endif /* MEMKIT_MEMKIT_HPP */
