/* shared.c — shared reference-counted buffers and their registry.
 *
 * A buffer is one block of its intent's tier: the mk_shared_t header, padded
 * to MKG_ALIGNMENT, then the data. References are counted in the header,
 * atomically (relaxed increment, acquire-release decrement, as in Rust's Arc)
 * unless the intent is refcount = "plain", whose counts are relaxed loads and
 * stores: no read-modify-write, so holders must stay on one thread at a time.
 * With threads = false nothing here is atomic.
 *
 * Live buffers sit on a doubly linked list (oldest first) under a spinlock,
 * so creation and the last release are O(1); the list serves mk_shared_dump
 * and mk_validate. The creation sequence, which feeds the deterministic ids,
 * is counted under the same lock and reset by mk_init.
 */
#include "internal.h"

#define MK__SHARED_MAGIC 0x6d6b5348u /* "mkSH" */
#define MK__SHARED_HEADER ((sizeof(mk_shared_t) + MK__ALIGN_MASK) & ~MK__ALIGN_MASK)
#define MK__FNV_OFFSET 0xcbf29ce484222325ull
#define MK__FNV_PRIME 0x100000001b3ull

static struct {
    mk__lock_t lock;
    mk_shared_t *head; /* oldest */
    mk_shared_t *tail; /* newest */
    size_t live;
    uint64_t sequence; /* of the next buffer */
} mk__shared;

void mk__shared_init(void)
{
    memset(&mk__shared, 0, sizeof mk__shared);
    mk__fork_lock_register(&mk__shared.lock);
}

/* Buffers still alive are released with their tiers by mk_shutdown. */
void mk__shared_fini(void)
{
    memset(&mk__shared, 0, sizeof mk__shared);
}

static uint64_t mk__fnv1a(uint64_t hash, const unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hash ^= bytes[i];
        hash *= MK__FNV_PRIME;
    }
    return hash;
}

/* Aborts unless `s` is a live shared buffer. Sentinel builds look it up
 * first (without reading through a foreign pointer) and report what it is
 * instead (ML601-ML603); false then tells the caller to do nothing. */
static bool mk__shared_check(const mk_shared_t *s, const char *caller)
{
#if MK_SENTINEL
    if (!mk__sentinel_check_kind(s, s, MK__KIND_SHARED, caller))
        return false;
#endif
    if (s != NULL) /* a released header is poisoned for the tools: this read is the check itself */
        mk_track_open(s, sizeof *s);
    if (MK_UNLIKELY(s == NULL || s->magic != MK__SHARED_MAGIC)) {
        char message[128];
        mk__format(message, sizeof message, "%s: not a live shared buffer (released too often, or never one)", caller);
        mk__panic(message);
    }
    return true;
}

/* The reference count with acquire ordering: a count of 1 seen here happens
 * after every other holder's release, so their accesses are over. */
static uint32_t mk__refs_acquire(mk_shared_t *s)
{
#if MKG_THREADS
    if (!s->plain)
        return atomic_load_explicit(&s->refs, memory_order_acquire);
#endif
    return MK__LOAD(s->refs);
}

/* Adds `delta` (+1 or -1 as an unsigned wrap) and returns the count before. */
static uint32_t mk__refs_add(mk_shared_t *s, uint32_t delta)
{
#if MKG_THREADS
    if (!s->plain) {
        memory_order order = delta == 1u ? memory_order_relaxed : memory_order_acq_rel;
        return atomic_fetch_add_explicit(&s->refs, delta, order);
    }
#endif
    uint32_t before = MK__LOAD(s->refs);
    MK__STORE(s->refs, before + delta);
    return before;
}

static mk_shared_t *mk__shared_create(unsigned intent, size_t size, const char *name, size_t name_len)
{
    if (size > SIZE_MAX - MK__SHARED_HEADER)
        return mk__fail(MK_EINVAL);
    mk_shared_t *s = mk_alloc((mk_intent_t)intent, MK__SHARED_HEADER + size);
    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    memcpy(s->name, name, name_len);
    s->size = size;
    s->intent = (uint16_t)intent;
    s->plain = (mk__rt.config->routes[intent].flags & MK_ROUTE_PLAIN_REFCOUNT) != 0u;
    s->magic = MK__SHARED_MAGIC;
    MK__STORE(s->refs, 1u);
#if MK_SENTINEL
    mk__sentinel_set_kind(s, MK__KIND_SHARED);
#endif
    uint64_t name_hash = mk__fnv1a(MK__FNV_OFFSET, (const unsigned char *)name, name_len);

    mk__lock(&mk__shared.lock);
    uint64_t sequence = mk__shared.sequence++;
    unsigned char le[8];
    for (unsigned i = 0; i < 8; i++)
        le[i] = (unsigned char)(sequence >> (8u * i));
    s->sequence = sequence;
    s->id = mk__fnv1a(name_hash, le, sizeof le);
    s->prev = mk__shared.tail;
    if (mk__shared.tail != NULL)
        mk__shared.tail->next = s;
    else
        mk__shared.head = s;
    mk__shared.tail = s;
    mk__shared.live++;
    mk__unlock(&mk__shared.lock);
    return s;
}

mk_shared_t *mk_shared_new(mk_intent_t intent, size_t size, const char *name)
{
    if (!mk__rt.initialised)
        return mk__fail(MK_ESTATE);
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT || mk__rt.config->routes[intent].tier == MK_TIER_FRAME ||
        mk__rt.config->routes[intent].tier == MK_TIER_ASYNC)
        return mk__fail(MK_EINVAL);
    size_t name_len = 0;
    if (name != NULL)
        while (name_len < MK_SHARED_NAME_MAX - 1 && name[name_len] != '\0')
            name_len++;
    return mk__shared_create((unsigned)intent, size, name != NULL ? name : "", name_len);
}

void *mk_shared_data(mk_shared_t *s)
{
    return (unsigned char *)s + MK__SHARED_HEADER;
}

size_t mk_shared_size(const mk_shared_t *s)
{
    return (size_t)s->size;
}

mk_shared_t *mk_shared_retain(mk_shared_t *s)
{
    if (!mk__shared_check(s, "mk_shared_retain"))
        return s;
    uint32_t before = mk__refs_add(s, 1u);
    if (MK_UNLIKELY(before == 0u || before == UINT32_MAX))
        mk__panic("mk_shared_retain: reference count is 0 (a released buffer) or would overflow");
    return s;
}

void mk_shared_release(mk_shared_t *s)
{
    if (s == NULL)
        return;
    if (!mk__shared_check(s, "mk_shared_release"))
        return;
    uint32_t before = mk__refs_add(s, UINT32_MAX);
    if (MK_LIKELY(before > 1u))
        return;
    if (MK_UNLIKELY(before == 0u))
        mk__panic("mk_shared_release: reference count was already 0");
    mk__lock(&mk__shared.lock);
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        mk__shared.head = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    else
        mk__shared.tail = s->prev;
    mk__shared.live--;
    mk__unlock(&mk__shared.lock);
    s->magic = 0;
#if MK_SENTINEL
    mk__sentinel_set_kind(s, MK__KIND_PLAIN);
#endif
    mk_free(s);
}

uint32_t mk_shared_refcount(mk_shared_t *s)
{
    return mk__refs_acquire(s);
}

void *mk_shared_make_mut(mk_shared_t **s)
{
    if (s == NULL || *s == NULL)
        return mk__fail(MK_EINVAL);
    mk_shared_t *old = *s;
    if (!mk__shared_check(old, "mk_shared_make_mut"))
        return mk__fail(MK_EINVAL);
    if (mk__refs_acquire(old) == 1u)
        return mk_shared_data(old);
    mk_shared_t *copy = mk__shared_create(old->intent, (size_t)old->size, old->name, strlen(old->name));
    if (copy == NULL)
        return NULL;
    memcpy(mk_shared_data(copy), mk_shared_data(old), (size_t)old->size);
    mk_shared_release(old);
    *s = copy;
    return mk_shared_data(copy);
}

uint64_t mk_shared_id(const mk_shared_t *s)
{
    return s->id;
}

const char *mk_shared_name(const mk_shared_t *s)
{
    return s->name;
}

void mk_shared_dump_write(mk_line_sink_t sink, void *user)
{
    const mk__out_t out = {sink, user};
    mk__lock(&mk__shared.lock);
    for (mk_shared_t *s = mk__shared.head; s != NULL; s = s->next)
        mk__outf(&out, "shared id=0x%016llx seq=%llu name=\"%s\" intent=%s size=%llu refs=%lu",
                 (unsigned long long)s->id, (unsigned long long)s->sequence, s->name,
                 mk_intent_name((mk_intent_t)s->intent), (unsigned long long)s->size,
                 (unsigned long)MK__LOAD(s->refs));
    mk__outf(&out, "memkit: %zu live shared buffer(s)", mk__shared.live);
    mk__unlock(&mk__shared.lock);
}

#if !MK_NO_STDIO
void mk_shared_dump(FILE *out)
{
    mk_shared_dump_write(mk__file_sink, out);
}
#endif

size_t mk_shared_live(void)
{
    mk__lock(&mk__shared.lock);
    size_t live = mk__shared.live;
    mk__unlock(&mk__shared.lock);
    return live;
}

/* Could `s` be a block of a memkit tier? Keeps the walk from following a
 * damaged link out of memkit's memory (system-fallback blocks are anywhere). */
static bool mk__shared_plausible(const mk_shared_t *s)
{
    unsigned cls, intent;
    if (((uintptr_t)s & MK__ALIGN_MASK) != 0u)
        return false;
    return mk__heap_tier_owns(s) || mk__pool_find(s, &cls, &intent) || mk__rt.config->heap_fallback_system;
}

/* Walks the registry: every entry is a plausible block with the magic, a
 * count of at least 1, a non-frame intent and a back link to its predecessor;
 * the last is the tail and their number is the live count. O(live). */
bool mk__shared_validate(const mk__out_t *report)
{
    bool ok = true;
    mk__lock(&mk__shared.lock);
    const mk_shared_t *prev = NULL;
    size_t seen = 0;
    for (mk_shared_t *s = mk__shared.head; s != NULL; prev = s, s = s->next, seen++) {
        const char *problem = NULL;
        if (seen >= mk__shared.live)
            problem = "more entries than the live count (or a cycle)";
        else if (!mk__shared_plausible(s))
            problem = "lies outside memkit's tiers";
        else if (s->magic != MK__SHARED_MAGIC)
            problem = "bad magic";
        else if (s->prev != prev)
            problem = "back link does not point at its predecessor";
        else if (MK__LOAD(s->refs) == 0u)
            problem = "reference count is 0";
        else if (s->intent >= MKG_INTENT_COUNT || mk__rt.config->routes[s->intent].tier == MK_TIER_FRAME)
            problem = "intent is not a pool or heap intent";
        if (problem != NULL) {
            if (report != NULL)
                mk__outf(report, "memkit: shared registry entry %zu at %p: %s", seen, (const void *)s, problem);
            ok = false;
            break;
        }
    }
    if (ok && (seen != mk__shared.live || mk__shared.tail != prev)) {
        if (report != NULL)
            mk__outf(report, "memkit: shared registry holds %zu entries, live count says %zu%s", seen,
                     mk__shared.live, mk__shared.tail != prev ? ", and the tail is not the last entry" : "");
        ok = false;
    }
    mk__unlock(&mk__shared.lock);
    return ok;
}
