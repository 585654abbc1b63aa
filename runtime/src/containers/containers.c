/* containers.c — containers in the frame arena: the growth shared by vec and
 * str, the formatted strings, slice copies, and the hash map.
 *
 * Everything allocates through mk_frame_grow (or mk_alloc_aligned for an
 * over-aligned vec) on the container's own intent, so budgets, statistics and
 * the overflow policy see every byte, and a failure is always reported before
 * anything in the container changes. Nothing is freed: frame memory goes with
 * its frame.
 */
#include "internal.h"

#include <limits.h>

/* ---- growth shared by vec and str ----------------------------------------------- */

/* `old` (old_bytes) moved or grown to new_bytes; NULL (old untouched) on failure. */
static void *mk__frame_resize(mk_intent_t intent, void *old, size_t old_bytes, size_t new_bytes, size_t align)
{
    if (align <= MKG_ALIGNMENT)
        return mk_frame_grow(intent, old, old_bytes, new_bytes);
    /* mk_frame_grow knows only MKG_ALIGNMENT: an over-aligned vec always copies */
    void *moved = mk_alloc_aligned(intent, new_bytes, align);
    if (moved != NULL && old_bytes != 0)
        memcpy(moved, old, old_bytes);
    return moved;
}

bool mk__frame_vec_grow(void **data, size_t *cap, size_t elem_size, size_t align, mk_intent_t intent, size_t need)
{
    if (!mk_is_frame_intent(intent) || elem_size == 0) {
        mk__fail(MK_EINVAL);
        return false;
    }
    if (need <= *cap)
        return true;
    if (need > SIZE_MAX / elem_size) {
        mk__fail(MK_EINVAL);
        return false;
    }
    size_t want = *cap <= SIZE_MAX / 2 ? *cap * 2 : need;
    size_t least = (MK_FRAME_VEC_MIN_BYTES + elem_size - 1) / elem_size;
    if (want < least)
        want = least;
    if (want < need || want > SIZE_MAX / elem_size)
        want = need;
    void *grown = mk__frame_resize(intent, *data, *cap * elem_size, want * elem_size, align);
    if (grown == NULL && want > need) {
        /* the doubling does not fit: the exact size still might */
        want = need;
        grown = mk__frame_resize(intent, *data, *cap * elem_size, want * elem_size, align);
    }
    if (grown == NULL)
        return false;
    *data = grown;
    *cap = want;
    return true;
}

bool mk__frame_vec_append(void **data, size_t *len, size_t *cap, size_t elem_size, size_t align, mk_intent_t intent,
                          const void *src, size_t n)
{
    if (n == 0)
        return true;
    if (src == NULL || n > SIZE_MAX - *len) {
        mk__fail(MK_EINVAL);
        return false;
    }
    /* src may lie in the vec's old block: a move leaves that block intact */
    if (!mk__frame_vec_grow(data, cap, elem_size, align, intent, *len + n))
        return false;
    memmove((unsigned char *)*data + *len * elem_size, src, n * elem_size);
    *len += n;
    return true;
}

/* ---- slices ----------------------------------------------------------------------- */

mk_frame_slice_t mk_frame_slice_copy(mk_intent_t intent, const void *src, size_t count, size_t elem_size)
{
    mk_frame_slice_t empty = {NULL, 0, elem_size};
    if (!mk_is_frame_intent(intent) || (src == NULL && count > 0) ||
        (elem_size != 0 && count > SIZE_MAX / elem_size)) {
        mk__fail(MK_EINVAL);
        return empty;
    }
    void *copy = mk_frame_grow(intent, NULL, 0, count * elem_size);
    if (copy == NULL)
        return empty;
    if (count > 0)
        memcpy(copy, src, count * elem_size);
    return mk_frame_slice_make(copy, count, elem_size);
}

mk_frame_slice_t mk_frame_slice_dup(mk_intent_t intent, mk_frame_slice_t s)
{
    return mk_frame_slice_copy(intent, s.ptr, s.len, s.elem_size);
}

bool mk_frame_slice_eq(mk_frame_slice_t a, mk_frame_slice_t b)
{
    if (a.len != b.len || a.elem_size != b.elem_size)
        return false;
    if (a.len == 0 || a.ptr == b.ptr)
        return true;
    return memcmp(a.ptr, b.ptr, a.len * a.elem_size) == 0;
}

/* ---- strings ----------------------------------------------------------------------- */

bool mk_frame_str_reserve(mk_frame_str_t *s, size_t len)
{
    if (len == SIZE_MAX) {
        mk__fail(MK_EINVAL);
        return false;
    }
    void *data = s->data;
    if (!mk__frame_vec_grow(&data, &s->cap, 1, 1, s->intent, len + 1))
        return false;
    if (s->data == NULL)
        ((char *)data)[0] = '\0';
    s->data = data;
    return true;
}

bool mk_frame_str_appendn(mk_frame_str_t *s, const char *text, size_t n)
{
    if (n == 0)
        return true;
    if (n > SIZE_MAX - 1 - s->len) {
        mk__fail(MK_EINVAL);
        return false;
    }
    /* text may lie in s->data: a move leaves the old block intact */
    if (!mk_frame_str_reserve(s, s->len + n))
        return false;
    memmove(s->data + s->len, text, n);
    s->len += n;
    s->data[s->len] = '\0';
    return true;
}

#if !MK_NO_STDIO
bool mk_frame_str_vappendf(mk_frame_str_t *s, const char *fmt, va_list args)
{
    va_list again;
    va_copy(again, args);
    size_t room = s->data != NULL ? s->cap - s->len : 0;
    int n = vsnprintf(room > 0 ? s->data + s->len : NULL, room, fmt, args);
    bool ok = n >= 0;
    if (!ok) {
        mk__fail(MK_EINVAL);
    } else if ((size_t)n >= room) {
        /* too long for the spare room: grow to fit exactly, then format again */
        ok = mk_frame_str_reserve(s, s->len + (size_t)n);
        if (ok)
            vsnprintf(s->data + s->len, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    if (ok)
        s->len += (size_t)n;
    if (s->data != NULL)
        s->data[s->len] = '\0'; /* a failed or partial attempt may have written past len */
    return ok;
}

bool mk_frame_str_appendf(mk_frame_str_t *s, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    bool ok = mk_frame_str_vappendf(s, fmt, args);
    va_end(args);
    return ok;
}

char *mk_frame_vprintf(mk_intent_t intent, const char *fmt, va_list args)
{
    va_list again;
    va_copy(again, args);
    char *out = NULL;
    int n = vsnprintf(NULL, 0, fmt, args);
    if (n < 0 || !mk_is_frame_intent(intent))
        mk__fail(MK_EINVAL);
    else if ((out = mk_frame_grow(intent, NULL, 0, (size_t)n + 1)) != NULL)
        vsnprintf(out, (size_t)n + 1, fmt, again);
    va_end(again);
    return out;
}

char *mk_frame_printf(mk_intent_t intent, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *out = mk_frame_vprintf(intent, fmt, args);
    va_end(args);
    return out;
}
#endif /* !MK_NO_STDIO */

/* ---- hash map ----------------------------------------------------------------------- */

/* A string key's copy: hashed once, at insertion. */
struct mk__frame_map_str {
    uint64_t hash;
    size_t len;
    char bytes[]; /* len bytes and a NUL */
};

#define MK__MAP_MIN_CAP 16u

uint64_t mk_frame_hash_u64(uint64_t key)
{
    /* splitmix64's finaliser: every input bit reaches every output bit */
    key ^= key >> 30;
    key *= UINT64_C(0xbf58476d1ce4e5b9);
    key ^= key >> 27;
    key *= UINT64_C(0x94d049bb133111eb);
    key ^= key >> 31;
    return key;
}

uint64_t mk_frame_hash_bytes(const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    /* FNV-1a's low bits, which pick the slot, mix poorly on their own */
    return mk_frame_hash_u64(h ^ len);
}

static uint64_t mk__map_hash(const mk_frame_map_t *m, const void *key, size_t len)
{
    if (m->hooks.hash != NULL)
        return m->hooks.hash(key, len, m->hooks.user);
    if (m->kind == MK_FRAME_KEY_U64) {
        uint64_t k;
        memcpy(&k, key, sizeof k);
        return mk_frame_hash_u64(k);
    }
    return mk_frame_hash_bytes(key, len);
}

static unsigned char mk__map_tag(uint64_t hash)
{
    return (unsigned char)(0x80u | (unsigned)(hash >> 57));
}

/* The hash of the key in slot i (to find its home when it moves). */
static uint64_t mk__map_slot_hash(const mk_frame_map_t *m, size_t i)
{
    if (m->kind == MK_FRAME_KEY_STR)
        return m->keys[i].str->hash;
    return mk__map_hash(m, &m->keys[i].u64, sizeof(uint64_t));
}

static bool mk__map_slot_equal(const mk_frame_map_t *m, size_t i, const void *key, size_t len)
{
    const void *have = &m->keys[i].u64;
    size_t have_len = sizeof(uint64_t);
    if (m->kind == MK_FRAME_KEY_STR) {
        have = m->keys[i].str->bytes;
        have_len = m->keys[i].str->len;
    }
    if (m->hooks.equal != NULL)
        return m->hooks.equal(have, have_len, key, len, m->hooks.user);
    return have_len == len && (len == 0 || memcmp(have, key, len) == 0);
}

/* The slot holding the key, or the empty slot ending its probe (*found false). */
static size_t mk__map_probe(const mk_frame_map_t *m, uint64_t hash, const void *key, size_t len, bool *found)
{
    size_t mask = m->cap - 1;
    unsigned char tag = mk__map_tag(hash);
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        if (m->ctrl[i] == 0) {
            *found = false;
            return i;
        }
        if (m->ctrl[i] == tag && mk__map_slot_equal(m, i, key, len)) {
            *found = true;
            return i;
        }
    }
}

static unsigned char *mk__map_value(const mk_frame_map_t *m, size_t i)
{
    return m->values + i * m->value_size;
}

/* Rehashes into a new table of `cap` slots; *m unchanged on failure. */
static bool mk__map_rehash(mk_frame_map_t *m, size_t cap)
{
    size_t keys_at = (cap + MK__ALIGN_MASK) & ~MK__ALIGN_MASK;
    size_t values_at = (keys_at + cap * sizeof(mk__frame_map_key_t) + MK__ALIGN_MASK) & ~MK__ALIGN_MASK;
    if (m->value_size != 0 && cap > (SIZE_MAX - values_at) / m->value_size) {
        mk__fail(MK_EINVAL);
        return false;
    }
    unsigned char *block = mk_frame_grow(m->intent, NULL, 0, values_at + cap * m->value_size);
    if (block == NULL)
        return false;
    mk_frame_map_t grown = *m;
    grown.ctrl = block;
    grown.keys = (mk__frame_map_key_t *)(void *)(block + keys_at);
    grown.values = block + values_at;
    grown.cap = cap;
    memset(grown.ctrl, 0, cap);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->ctrl[i] == 0)
            continue;
        uint64_t hash = mk__map_slot_hash(m, i);
        size_t j = (size_t)hash & (cap - 1);
        while (grown.ctrl[j] != 0)
            j = (j + 1) & (cap - 1);
        grown.ctrl[j] = m->ctrl[i];
        grown.keys[j] = m->keys[i];
        if (m->value_size != 0)
            memcpy(mk__map_value(&grown, j), mk__map_value(m, i), m->value_size);
    }
    *m = grown;
    return true;
}

/* The smallest capacity keeping `count` keys at a load of at most 3/4. */
static size_t mk__map_cap_for(size_t count)
{
    size_t cap = MK__MAP_MIN_CAP;
    while (cap / 4 * 3 < count) {
        if (cap > SIZE_MAX / 2)
            return 0;
        cap *= 2;
    }
    return cap;
}

mk_status_t mk_frame_map_init(mk_frame_map_t *m, mk_intent_t intent, mk_frame_key_kind_t kind, size_t value_size,
                              const mk_frame_map_hooks_t *hooks)
{
    memset(m, 0, sizeof *m);
    m->intent = intent;
    m->kind = kind;
    m->value_size = value_size;
    if (hooks != NULL)
        m->hooks = *hooks;
    if (!mk_is_frame_intent(intent) || (kind != MK_FRAME_KEY_U64 && kind != MK_FRAME_KEY_STR)) {
        m->kind = MK_FRAME_KEY_U64;
        m->intent = (mk_intent_t)MKG_INTENT_COUNT; /* every growth fails with MK_EINVAL */
        return MK_EINVAL;
    }
    return MK_OK;
}

bool mk_frame_map_reserve(mk_frame_map_t *m, size_t count)
{
    if (!mk_is_frame_intent(m->intent)) {
        mk__fail(MK_EINVAL);
        return false;
    }
    size_t cap = mk__map_cap_for(count);
    if (cap == 0) {
        mk__fail(MK_EINVAL);
        return false;
    }
    return cap <= m->cap || mk__map_rehash(m, cap);
}

/* put for either key kind: `key`/`len` as the hash sees them. */
static void *mk__map_put(mk_frame_map_t *m, const void *key, size_t len, const void *value)
{
    uint64_t hash = mk__map_hash(m, key, len);
    bool found = false;
    size_t i = 0;
    if (m->cap > 0)
        i = mk__map_probe(m, hash, key, len, &found);
    if (!found) {
        if (m->count + 1 > m->cap / 4 * 3) {
            if (!mk_frame_map_reserve(m, m->count + 1))
                return NULL;
            i = mk__map_probe(m, hash, key, len, &found);
        }
        if (m->kind == MK_FRAME_KEY_STR) {
            if (len > SIZE_MAX - sizeof(struct mk__frame_map_str) - 1) {
                mk__fail(MK_EINVAL);
                return NULL;
            }
            struct mk__frame_map_str *copy = mk_frame_grow(m->intent, NULL, 0, sizeof *copy + len + 1);
            if (copy == NULL)
                return NULL;
            copy->hash = hash;
            copy->len = len;
            if (len > 0)
                memcpy(copy->bytes, key, len);
            copy->bytes[len] = '\0';
            m->keys[i].str = copy;
        } else {
            memcpy(&m->keys[i].u64, key, sizeof(uint64_t));
        }
        m->ctrl[i] = mk__map_tag(hash);
        m->count++;
        if (value == NULL && m->value_size != 0)
            memset(mk__map_value(m, i), 0, m->value_size);
    }
    if (value != NULL && m->value_size != 0)
        memcpy(mk__map_value(m, i), value, m->value_size);
    return mk__map_value(m, i);
}

static void *mk__map_get(const mk_frame_map_t *m, const void *key, size_t len)
{
    if (m->count == 0)
        return NULL;
    bool found;
    size_t i = mk__map_probe(m, mk__map_hash(m, key, len), key, len, &found);
    return found ? mk__map_value(m, i) : NULL;
}

/* Backward-shift deletion: each later key of the cluster that may sit in the
 * hole (the hole lies on its probe path) moves into it, so no tombstone is
 * left and lookups stay as short as if the key had never been there. */
static bool mk__map_remove(mk_frame_map_t *m, const void *key, size_t len)
{
    if (m->count == 0)
        return false;
    bool found;
    size_t hole = mk__map_probe(m, mk__map_hash(m, key, len), key, len, &found);
    if (!found)
        return false;
    size_t mask = m->cap - 1;
    for (size_t j = (hole + 1) & mask; m->ctrl[j] != 0; j = (j + 1) & mask) {
        size_t home = (size_t)mk__map_slot_hash(m, j) & mask;
        if (((j - home) & mask) < ((j - hole) & mask))
            continue; /* the hole is before its home: it must stay */
        m->ctrl[hole] = m->ctrl[j];
        m->keys[hole] = m->keys[j];
        if (m->value_size != 0)
            memcpy(mk__map_value(m, hole), mk__map_value(m, j), m->value_size);
        hole = j;
    }
    m->ctrl[hole] = 0;
    m->count--;
    return true;
}

static bool mk__map_kind_is(const mk_frame_map_t *m, mk_frame_key_kind_t kind)
{
    if (m->kind == kind)
        return true;
    mk__fail(MK_EINVAL);
    return false;
}

void *mk_frame_map_put_u64(mk_frame_map_t *m, uint64_t key, const void *value)
{
    return mk__map_kind_is(m, MK_FRAME_KEY_U64) ? mk__map_put(m, &key, sizeof key, value) : NULL;
}

void *mk_frame_map_put_strn(mk_frame_map_t *m, const char *key, size_t len, const void *value)
{
    return mk__map_kind_is(m, MK_FRAME_KEY_STR) ? mk__map_put(m, key, len, value) : NULL;
}

void *mk_frame_map_get_u64(const mk_frame_map_t *m, uint64_t key)
{
    return m->kind == MK_FRAME_KEY_U64 ? mk__map_get(m, &key, sizeof key) : NULL;
}

void *mk_frame_map_get_strn(const mk_frame_map_t *m, const char *key, size_t len)
{
    return m->kind == MK_FRAME_KEY_STR ? mk__map_get(m, key, len) : NULL;
}

bool mk_frame_map_remove_u64(mk_frame_map_t *m, uint64_t key)
{
    return m->kind == MK_FRAME_KEY_U64 && mk__map_remove(m, &key, sizeof key);
}

bool mk_frame_map_remove_strn(mk_frame_map_t *m, const char *key, size_t len)
{
    return m->kind == MK_FRAME_KEY_STR && mk__map_remove(m, key, len);
}

bool mk_frame_map_next(const mk_frame_map_t *m, size_t *cursor, mk_frame_map_entry_t *out)
{
    for (size_t i = *cursor; i < m->cap; i++) {
        if (m->ctrl[i] == 0)
            continue;
        memset(out, 0, sizeof *out);
        if (m->kind == MK_FRAME_KEY_STR) {
            out->str = m->keys[i].str->bytes;
            out->len = m->keys[i].str->len;
        } else {
            out->key = m->keys[i].u64;
        }
        out->value = mk__map_value(m, i);
        *cursor = i + 1;
        return true;
    }
    *cursor = m->cap;
    return false;
}
