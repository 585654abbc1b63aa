/* memkit/containers.h — containers that live in the frame arena: vec, map,
 * str, slice. Included by memkit.h; guide and examples in docs/containers.md.
 *
 * Every container is bound to one frame intent and allocates only through
 * mk_frame_grow / mk_alloc on it, so the intent's budget, statistics and the
 * frame overflow policy apply to every byte. Their memory is never freed one
 * by one: it goes with the frame slot it was allocated in (valid until frame
 * N + MKG_FRAMES_IN_FLIGHT begins, or until an mk_frame_rewind to a mark taken
 * before it). A container therefore has no destroy function; dropping it is
 * free.
 *
 * Conventions for everything below:
 * - Failure never truncates: an operation that cannot get memory leaves the
 *   container exactly as it was (length, contents; a map's capacity may have
 *   grown) and returns false / NULL, with the reason in mk_last_error()
 *   (MK_EBUDGET, MK_ENOMEM, or MK_EINVAL for a non-frame intent or a size that
 *   overflows size_t). The intent's on_exhausted policy runs first, so
 *   MK_POLICY_PANIC aborts instead.
 * - Thread-safety: a container belongs to one thread at a time. Growing it
 *   allocates in the calling thread's arena; two threads must not use one
 *   container concurrently unless neither modifies it.
 * - Blocks are aligned to MKG_ALIGNMENT (a vec of an over-aligned type to
 *   _Alignof(T)). Nothing is zeroed unless a function says so.
 */
#include <memkit/memkit.h> /* on its own; memkit.h includes this header at its place */
#ifndef MEMKIT_CONTAINERS_H
#define MEMKIT_CONTAINERS_H

#include <stdarg.h>

MK__API_BEGIN

#if defined(__GNUC__) || defined(__clang__)
#define MK__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MK__PRINTF(fmt, args)
#endif

/* MK_FRAME_VEC_MIN_BYTES (memkit/limits.h): the smallest first block of a
 * vec or str, in bytes; growth starts there and doubles. */

/* Is `intent` a valid intent routed to the frame tier? O(1). Thread-safe. */
static inline bool mk_is_frame_intent(mk_intent_t intent)
{
    return (unsigned)intent < (unsigned)MKG_INTENT_COUNT && mkg_routes[intent].tier == MK_TIER_FRAME;
}

/* ---- mk_frame_slice: a pointer + length view ---------------------------------
 * A slice does not own memory; it views `len` elements of `elem_size` bytes at
 * `ptr`. The "empty slice" returned for an out-of-range request or a failed
 * copy is {NULL, 0, elem_size}: ptr == NULL tells it from a valid zero-length
 * view. Slices are values: pass and return them by copy. */

typedef struct mk_frame_slice {
    void *ptr;
    size_t len;       /* elements */
    size_t elem_size; /* bytes per element */
} mk_frame_slice_t;

/* A view of `len` elements of `elem_size` bytes at `ptr` (cast away const
 * yourself to view constant data). O(1). */
static inline mk_frame_slice_t mk_frame_slice_make(void *ptr, size_t len, size_t elem_size)
{
    mk_frame_slice_t s = {ptr, len, elem_size};
    return s;
}

/* A view of a whole array (not a pointer): MK_FRAME_SLICE_OF(int_array). */
#define MK_FRAME_SLICE_OF(array) mk_frame_slice_make((array), sizeof(array) / sizeof *(array), sizeof *(array))

/* Elements [begin, end) of `s`. O(1). Returns the empty slice
 * {NULL, 0, s.elem_size} if and only if begin > end, end > s.len or s.ptr is
 * NULL; begin == end within range is a valid zero-length view (ptr != NULL). */
static inline mk_frame_slice_t mk_frame_slice_sub(mk_frame_slice_t s, size_t begin, size_t end)
{
    if (s.ptr == NULL || begin > end || end > s.len)
        return mk_frame_slice_make(NULL, 0, s.elem_size);
    return mk_frame_slice_make((unsigned char *)s.ptr + begin * s.elem_size, end - begin, s.elem_size);
}

/* A pointer to element `i`, or NULL if and only if i >= s.len. O(1). */
static inline void *mk_frame_slice_at(mk_frame_slice_t s, size_t i)
{
    return i < s.len ? (unsigned char *)s.ptr + i * s.elem_size : NULL;
}

/* Typed element access: *MK_FRAME_SLICE_AT(s, float, 3); NULL when out of range. */
#define MK_FRAME_SLICE_AT(s, T, i) ((T *)mk_frame_slice_at((s), (size_t)(i)))

/* Copies `count` elements of `elem_size` bytes from `src` into a new block of
 * frame intent `intent` and returns a slice of the copy. O(count * elem_size).
 * Thread-safe (allocates in the calling thread's arena). Aligned to
 * MKG_ALIGNMENT. Returns the empty slice {NULL, 0, elem_size} if and only if
 * the allocation fails (budget, arena and overflow policy, with
 * mk_last_error() set), `intent` is not a frame intent or count * elem_size
 * overflows (both MK_EINVAL), or src is NULL with count > 0 (MK_EINVAL). A
 * zero-length copy succeeds with a unique non-NULL ptr. */
mk_frame_slice_t mk_frame_slice_copy(mk_intent_t intent, const void *src, size_t count, size_t elem_size);

/* mk_frame_slice_copy of a slice's elements: a copy that outlives `s`'s
 * storage (up to the new block's own frame). Same costs and failures. */
mk_frame_slice_t mk_frame_slice_dup(mk_intent_t intent, mk_frame_slice_t s);

/* Same element size, same length and the same bytes (memcmp: compare structs
 * with padding element by element yourself). Two empty slices are equal
 * whatever their ptr. O(len * elem_size). */
bool mk_frame_slice_eq(mk_frame_slice_t a, mk_frame_slice_t b);

/* ---- mk_frame_vec: a growable, type-generic array ---------------------------
 *
 *     typedef MK_FRAME_VEC(struct hit) hit_vec;
 *     hit_vec hits;
 *     mk_frame_vec_init(&hits, MK_INTENT_SCRATCH);
 *     if (!mk_frame_vec_push(&hits, h)) { ... hits is unchanged ... }
 *
 * `T` must be a type name that becomes a pointer type with a trailing `*`
 * (typedef array or function types first). Each MK_FRAME_VEC(T) spelling is a
 * distinct struct type: typedef it once to pass vecs between functions.
 * The macros evaluate `v` several times (pass a plain pointer, no side
 * effects) and their other arguments at most once.
 *
 * Growth doubles the capacity (first block MK_FRAME_VEC_MIN_BYTES) through
 * mk_frame_grow: in place, O(1), while the vec's block is the calling thread's
 * newest frame allocation and the arena has room; otherwise into a new block
 * with the elements copied, the old block staying (unused) until its frame
 * ends. Push is amortised O(1). When the doubled capacity cannot be had, the
 * exact capacity needed is tried once more (the intent then counts two
 * failures). Element type over-aligned beyond MKG_ALIGNMENT: every growth
 * copies (mk_alloc_aligned). `data` is NULL until the first growth. */
#define MK_FRAME_VEC(T)                                                                                          \
    struct {                                                                                                     \
        union {                                                                                                  \
            T *data;                        /* len elements, cap allocated */                                    \
            void *mk__raw;                  /* the same pointer, for the out-of-line growth */                   \
            char (*mk__align)[MK__ALIGNOF(T)]; /* never set: sizeof *mk__align is T's alignment */              \
        };                                                                                                       \
        size_t len;                                                                                              \
        size_t cap;                                                                                              \
        mk_intent_t intent;                                                                                      \
    }

/* Makes *v an empty vec bound to `intent`; allocates nothing. O(1). Returns
 * true if and only if `intent` is a frame intent; otherwise every growth of
 * *v fails with MK_EINVAL. */
#define mk_frame_vec_init(v, intent_)                                                                            \
    ((v)->data = NULL, (v)->len = 0, (v)->cap = 0, (v)->intent = (intent_), mk_is_frame_intent((v)->intent))

/* Appends `value` (converted to T by assignment). Amortised O(1). Returns
 * true, or false with *v unchanged when growth fails (see the conventions at
 * the top); `value` is not evaluated then. */
#define mk_frame_vec_push(v, value)                                                                              \
    ((bool)(((v)->len < (v)->cap || mk__frame_vec_grow(&(v)->mk__raw, &(v)->cap, sizeof *(v)->data,               \
                                                       sizeof *(v)->mk__align, (v)->intent, (v)->len + 1u))      \
                ? ((v)->data[(v)->len] = (value), (v)->len++, 1)                                                 \
                : 0))

/* Ensures capacity for at least `n` elements in all (not n more), so that the
 * next n - len pushes cannot fail. O(len) when it moves the elements, else
 * O(1). Returns true, or false with *v unchanged. */
#define mk_frame_vec_reserve(v, n)                                                                               \
    mk__frame_vec_grow(&(v)->mk__raw, &(v)->cap, sizeof *(v)->data, sizeof *(v)->mk__align, (v)->intent, (size_t)(n))

/* Appends `n` elements copied from `src` (a pointer to elements of the same
 * size; must not point into the vec's unused capacity). O(n) plus growth.
 * Returns true, or false with *v unchanged. */
#define mk_frame_vec_append(v, src, n)                                                                           \
    ((void)sizeof(char[sizeof *(src) == sizeof *(v)->data ? 1 : -1]),                                             \
     mk__frame_vec_append(&(v)->mk__raw, &(v)->len, &(v)->cap, sizeof *(v)->data, sizeof *(v)->mk__align,        \
                          (v)->intent, (src), (size_t)(n)))

/* Removes the last element into *out (a T *, not NULL). O(1). Returns true,
 * or false (nothing written) when the vec is empty. */
#define mk_frame_vec_pop(v, out) ((bool)((v)->len > 0 ? (*(out) = (v)->data[--(v)->len], 1) : 0))

/* A pointer to element `i` (T *), or NULL if and only if i >= len. O(1). */
#define mk_frame_vec_at(v, i) ((size_t)(i) < (v)->len ? &(v)->data[(size_t)(i)] : NULL)

/* Sets len to 0 and keeps the capacity. O(1). */
#define mk_frame_vec_clear(v) ((void)((v)->len = 0))

/* A slice viewing the vec's elements (valid until the vec next grows). O(1). */
#define mk_frame_vec_slice(v) mk_frame_slice_make((v)->data, (v)->len, sizeof *(v)->data)

/* Out of line: grows *data (holding *cap elements) to at least `need`
 * elements; see mk_frame_vec_push. */
MK__INTERNAL bool mk__frame_vec_grow(void **data, size_t *cap, size_t elem_size, size_t align, mk_intent_t intent, size_t need);
MK__INTERNAL bool mk__frame_vec_append(void **data, size_t *len, size_t *cap, size_t elem_size, size_t align, mk_intent_t intent,
                          const void *src, size_t n);

/* ---- mk_frame_str: a growable string, and formatted frame strings ------------
 * `data` is NULL until the first growth, and NUL-terminated from then on
 * (data[len] == '\0', len < cap); mk_frame_str_cstr never returns NULL.
 * Growth is that of mk_frame_vec (doubling, in place when newest). */

typedef struct mk_frame_str {
    char *data;
    size_t len; /* bytes, without the terminating NUL */
    size_t cap; /* bytes allocated, the NUL included; 0 while data is NULL */
    mk_intent_t intent;
} mk_frame_str_t;

/* Makes *s an empty string bound to `intent`; allocates nothing. O(1).
 * Returns true if and only if `intent` is a frame intent; otherwise every
 * growth of *s fails with MK_EINVAL. */
static inline bool mk_frame_str_init(mk_frame_str_t *s, mk_intent_t intent)
{
    s->data = NULL;
    s->len = 0;
    s->cap = 0;
    s->intent = intent;
    return mk_is_frame_intent(intent);
}

/* The contents as a C string: s->data, or "" before the first growth. O(1). */
static inline const char *mk_frame_str_cstr(const mk_frame_str_t *s)
{
    return s->data != NULL ? s->data : "";
}

/* Ensures room for `len` bytes plus the NUL. Returns true, or false with *s
 * unchanged. O(s->len) when the bytes move, else O(1). */
bool mk_frame_str_reserve(mk_frame_str_t *s, size_t len);

/* Appends `n` bytes of `text` (which may point into *s itself; NULs are
 * copied like any byte). Amortised O(n). Returns true, or false with *s
 * unchanged. */
bool mk_frame_str_appendn(mk_frame_str_t *s, const char *text, size_t n);

/* Appends the C string `text`. As mk_frame_str_appendn. */
static inline bool mk_frame_str_append(mk_frame_str_t *s, const char *text)
{
    return mk_frame_str_appendn(s, text, strlen(text));
}

/* Appends printf-formatted text. Formats once into the spare capacity and,
 * only when that is too small, grows to the exact size needed and formats
 * again. O(output). Returns true, or false with *s unchanged (also
 * MK_EINVAL when vsnprintf reports an encoding error). */
#if !MK_NO_STDIO /* printf formats (floats included): no MK_NO_STDIO build has them */
bool mk_frame_str_appendf(mk_frame_str_t *s, const char *fmt, ...) MK__PRINTF(2, 3);
bool mk_frame_str_vappendf(mk_frame_str_t *s, const char *fmt, va_list args) MK__PRINTF(2, 0);
#endif

/* Sets len to 0 (data[0] = '\0' when allocated) and keeps the capacity. O(1). */
static inline void mk_frame_str_clear(mk_frame_str_t *s)
{
    s->len = 0;
    if (s->data != NULL)
        s->data[0] = '\0';
}

/* A formatted string in a new, exactly sized block of frame intent `intent`
 * (vsnprintf twice: measure, then write). O(output). Thread-safe (the calling
 * thread's arena). Aligned to MKG_ALIGNMENT. Returns NULL if and only if the
 * allocation fails, `intent` is not a frame intent (MK_EINVAL) or vsnprintf
 * reports an encoding error (MK_EINVAL). */
#if !MK_NO_STDIO
char *mk_frame_printf(mk_intent_t intent, const char *fmt, ...) MK__PRINTF(2, 3);
char *mk_frame_vprintf(mk_intent_t intent, const char *fmt, va_list args) MK__PRINTF(2, 0);
#endif

/* ---- mk_frame_map: an open-addressing hash map --------------------------------
 * Linear probing over a power-of-two table, load factor at most 3/4,
 * backward-shift deletion (no tombstones: a remove-heavy map does not slow
 * down). Keys are uint64_t (MK_FRAME_KEY_U64) or byte strings
 * (MK_FRAME_KEY_STR: copied, NUL-terminated, into the frame arena at insertion,
 * so the caller's buffer may change or go afterwards). Values are a fixed
 * `value_size` bytes stored in the table (0 makes a set): value i lies at
 * i * value_size from an MKG_ALIGNMENT boundary, so a value of type T is
 * aligned when value_size == sizeof(T) and _Alignof(T) <= MKG_ALIGNMENT.
 * Value pointers stay valid until the next put or remove on the map.
 *
 * Memory: one table block of cap * (1 + 8 + value_size) bytes (a control byte,
 * the key or a pointer to the string copy, the value) plus, for string keys,
 * 16 + len + 1 bytes per inserted key. Growing rehashes into a new block twice
 * the size; the old one stays in the arena until its frame ends, so a map grown
 * from empty has used about twice its final table: mk_frame_map_reserve first
 * when the count is known. Iteration order is unspecified. */

typedef enum mk_frame_key_kind {
    MK_FRAME_KEY_U64 = 0, /* uint64_t keys; default hash: a 64-bit finaliser (splitmix64) */
    MK_FRAME_KEY_STR = 1  /* byte-string keys; default hash: FNV-1a 64, then the finaliser */
} mk_frame_key_kind_t;

/* A caller's hash: `key` points to the uint64_t key (len 8) or to the string's
 * bytes. Called once per put/get/remove, and again for a u64 key each time a
 * rehash or a removal moves it (string keys keep their hash). */
typedef uint64_t (*mk_frame_hash_t)(const void *key, size_t len, void *user);
/* A caller's equality, called only for keys whose hashes share their top 7
 * bits; arguments as for the hash. */
typedef bool (*mk_frame_equal_t)(const void *a, size_t a_len, const void *b, size_t b_len, void *user);

/* Optional hooks for mk_frame_map_init; a NULL member means the default. */
typedef struct mk_frame_map_hooks {
    mk_frame_hash_t hash;
    mk_frame_equal_t equal; /* default: the same integer, or the same length and bytes */
    void *user;
} mk_frame_map_hooks_t;

typedef union mk__frame_map_key {
    uint64_t u64;
    const struct mk__frame_map_str *str; /* hash, length and bytes, in the frame arena */
} mk__frame_map_key_t;

typedef struct mk_frame_map {
    unsigned char *ctrl;       /* cap bytes: 0 empty, else 0x80 | the hash's top 7 bits */
    mk__frame_map_key_t *keys; /* cap keys */
    unsigned char *values;     /* cap * value_size bytes */
    size_t count;              /* keys present */
    size_t cap;                /* 0 (nothing allocated yet) or a power of two >= 16 */
    size_t value_size;
    mk_frame_map_hooks_t hooks;
    mk_intent_t intent;
    mk_frame_key_kind_t kind;
} mk_frame_map_t;

/* Makes *m an empty map bound to `intent`; allocates nothing (the first put
 * or reserve does). `hooks` may be NULL. O(1). Returns MK_OK, or MK_EINVAL if
 * `intent` is not a frame intent or `kind` is not a mk_frame_key_kind_t (*m is
 * then an empty map whose every put fails with MK_EINVAL). */
mk_status_t mk_frame_map_init(mk_frame_map_t *m, mk_intent_t intent, mk_frame_key_kind_t kind, size_t value_size,
                              const mk_frame_map_hooks_t *hooks);

/* Ensures room for `count` keys in all without another rehash. O(cap) when it
 * rehashes (plus zeroing the new control bytes), else O(1). Returns true, or
 * false with *m unchanged. */
bool mk_frame_map_reserve(mk_frame_map_t *m, size_t count);

/* Inserts or finds `key` and returns a pointer to its value (for value_size 0:
 * a non-NULL pointer not to be dereferenced). `value` non-NULL: its
 * value_size bytes are copied in, replacing any old value. `value` NULL: a new
 * key's value is zeroed, an existing key's value is left as it is (get or
 * insert: `++*(int *)mk_frame_map_put_u64(&m, k, NULL)` counts). Expected
 * O(1) (O(count) with a hash that collides everywhere), amortised over
 * rehashes. Returns NULL with *m's contents unchanged if and only if growth or
 * the string key's copy fails, or the map's key kind is the other one
 * (MK_EINVAL). */
void *mk_frame_map_put_u64(mk_frame_map_t *m, uint64_t key, const void *value);
void *mk_frame_map_put_strn(mk_frame_map_t *m, const char *key, size_t len, const void *value);

/* A pointer to `key`'s value, or NULL if and only if the key is absent (or the
 * map's key kind is the other one). Expected O(1); allocates nothing. May be
 * called from several threads at once while no thread modifies the map. */
void *mk_frame_map_get_u64(const mk_frame_map_t *m, uint64_t key);
void *mk_frame_map_get_strn(const mk_frame_map_t *m, const char *key, size_t len);

/* Removes `key`. Returns true if and only if it was present. Expected O(1);
 * allocates nothing (a string key's copy stays in the arena). */
bool mk_frame_map_remove_u64(mk_frame_map_t *m, uint64_t key);
bool mk_frame_map_remove_strn(mk_frame_map_t *m, const char *key, size_t len);

/* The same for NUL-terminated keys (the NUL is not part of the key). */
static inline void *mk_frame_map_put_str(mk_frame_map_t *m, const char *key, const void *value)
{
    return mk_frame_map_put_strn(m, key, strlen(key), value);
}
static inline void *mk_frame_map_get_str(const mk_frame_map_t *m, const char *key)
{
    return mk_frame_map_get_strn(m, key, strlen(key));
}
static inline bool mk_frame_map_remove_str(mk_frame_map_t *m, const char *key)
{
    return mk_frame_map_remove_strn(m, key, strlen(key));
}

/* One key and its value, from mk_frame_map_next. */
typedef struct mk_frame_map_entry {
    uint64_t key;    /* MK_FRAME_KEY_U64 maps */
    const char *str; /* MK_FRAME_KEY_STR maps: the map's NUL-terminated copy; else NULL */
    size_t len;      /* the string key's length; 0 for u64 keys */
    void *value;
} mk_frame_map_entry_t;

/* Iteration: `size_t it = 0; mk_frame_map_entry_t e; while
 * (mk_frame_map_next(&m, &it, &e)) ...`. Stores the next entry at or after
 * *cursor in *out and advances *cursor; returns false at the end. Each key is
 * visited once provided the map is not modified during the loop. O(cap) for a
 * whole iteration. */
bool mk_frame_map_next(const mk_frame_map_t *m, size_t *cursor, mk_frame_map_entry_t *out);

/* The default hashes, for caller hooks that wrap them. Pure; O(1) and
 * O(len). */
uint64_t mk_frame_hash_u64(uint64_t key);
uint64_t mk_frame_hash_bytes(const void *bytes, size_t len);

MK__API_END

#endif /* MEMKIT_CONTAINERS_H */
