/* scratch.c — scratch buffers kept between frames.
 *
 * A scratch buffer is a block of the [scratch] intent with a header in front
 * (a link, its capacity and a state word, padded to MKG_ALIGNMENT). Released
 * buffers are kept on one list sorted by capacity, smallest first, so that
 * acquire takes the first that fits, which is the smallest that fits; the
 * list stays short because its capacities add up to at most MKG_SCRATCH_CAP.
 * A lock guards the list; allocation and frees happen outside it.
 */
#include "internal.h"

#define MK__SCRATCH_LIVE 0x6d6b5343u /* "mkSC": acquired */
#define MK__SCRATCH_KEPT 0x6d6b534bu /* "mkSK": on the kept list */

typedef struct mk__scratch {
    struct mk__scratch *next; /* kept list */
    size_t capacity;          /* usable bytes after the header */
    uint32_t state;           /* MK__SCRATCH_LIVE or MK__SCRATCH_KEPT */
} mk__scratch_t;

#define MK__SCRATCH_HEADER ((sizeof(mk__scratch_t) + MK__ALIGN_MASK) & ~MK__ALIGN_MASK)

static struct {
    mk__lock_t lock;
    mk__scratch_t *kept; /* ascending capacity */
    size_t kept_bytes;
    size_t kept_count;
} mk__scratch;

void mk__scratch_init(void)
{
    memset(&mk__scratch, 0, sizeof mk__scratch);
    mk__fork_lock_register(&mk__scratch.lock);
}

static mk__scratch_t *mk__scratch_header(const void *buf)
{
    return (mk__scratch_t *)((uintptr_t)buf - MK__SCRATCH_HEADER);
}

/* Frees the kept list taken off the registry by the caller. */
static void mk__scratch_free_list(mk__scratch_t *list)
{
    while (list != NULL) {
        mk__scratch_t *next = list->next;
        list->state = 0;
#if MK_SENTINEL
        mk__sentinel_set_kind(list, MK__KIND_PLAIN);
#endif
        mk_free(list);
        list = next;
    }
}

static mk__scratch_t *mk__scratch_take_kept(void)
{
    mk__lock(&mk__scratch.lock);
    mk__scratch_t *list = mk__scratch.kept;
    mk__scratch.kept = NULL;
    mk__scratch.kept_bytes = 0;
    mk__scratch.kept_count = 0;
    mk__unlock(&mk__scratch.lock);
    return list;
}

void mk_scratch_trim(void)
{
    mk__scratch_free_list(mk__scratch_take_kept());
}

/* Kept buffers are freed so that system-fallback blocks among them do not leak. */
void mk__scratch_fini(void)
{
    mk_scratch_trim();
}

size_t mk_scratch_kept_bytes(void)
{
    mk__lock(&mk__scratch.lock);
    size_t bytes = mk__scratch.kept_bytes;
    mk__unlock(&mk__scratch.lock);
    return bytes;
}

size_t mk_scratch_capacity(const void *buf)
{
    return buf == NULL ? 0 : mk__scratch_header(buf)->capacity;
}

#if defined(MKG_SCRATCH_INTENT)

_Static_assert(MKG_SCRATCH_CAP > 0, "a [scratch] section has a cap");

static mk__scratch_t *mk__scratch_new(size_t size)
{
    mk__scratch_t *h = mk_alloc((mk_intent_t)MKG_SCRATCH_INTENT, MK__SCRATCH_HEADER + size);
    if (h == NULL)
        return NULL;
    h->capacity = mk_usable_size(h) - MK__SCRATCH_HEADER;
#if MK_SENTINEL
    mk__sentinel_set_kind(h, MK__KIND_SCRATCH);
#endif
    return h;
}

void *mk_scratch_acquire(size_t size)
{
    if (!mk__rt.initialised)
        return mk__fail(MK_ESTATE);
    /* frame memory would not outlive its frame */
    if (size > SIZE_MAX - MK__SCRATCH_HEADER || mk__rt.config->routes[MKG_SCRATCH_INTENT].tier == MK_TIER_FRAME)
        return mk__fail(MK_EINVAL);
    mk__lock(&mk__scratch.lock);
    mk__scratch_t **link = &mk__scratch.kept;
    while (*link != NULL && (*link)->capacity < size)
        link = &(*link)->next;
    mk__scratch_t *h = *link;
    if (h != NULL) {
        *link = h->next;
        mk__scratch.kept_bytes -= h->capacity;
        mk__scratch.kept_count--;
    }
    mk__unlock(&mk__scratch.lock);
    if (h == NULL) {
        h = mk__scratch_new(size);
        /* reclaim then retry once: kept buffers hold the intent's budget */
        if (h == NULL && mk_scratch_kept_bytes() > 0) {
            mk_scratch_trim();
            h = mk__scratch_new(size);
        }
        if (h == NULL)
            return NULL;
    }
    h->next = NULL;
    h->state = MK__SCRATCH_LIVE;
    return (unsigned char *)h + MK__SCRATCH_HEADER;
}

void mk_scratch_release(void *buf)
{
    if (buf == NULL)
        return;
    mk__scratch_t *h = mk__scratch_header(buf);
#if MK_SENTINEL
    /* looked up before h is read: buf may be anything */
    if (!mk__sentinel_check_kind(h, buf, MK__KIND_SCRATCH, "mk_scratch_release"))
        return;
#endif
    mk__lock(&mk__scratch.lock);
    if (MK_UNLIKELY(h->state != MK__SCRATCH_LIVE)) {
        mk__unlock(&mk__scratch.lock);
        mk__panic("mk_scratch_release: not an acquired scratch buffer (released twice, or never one)");
    }
    bool keep = (uint64_t)mk__scratch.kept_bytes + h->capacity <= (uint64_t)MKG_SCRATCH_CAP; /* the cap may pass SIZE_MAX */
    if (keep) {
        mk__scratch_t **link = &mk__scratch.kept;
        while (*link != NULL && (*link)->capacity < h->capacity)
            link = &(*link)->next;
        h->next = *link;
        *link = h;
        h->state = MK__SCRATCH_KEPT;
        mk__scratch.kept_bytes += h->capacity;
        mk__scratch.kept_count++;
    } else {
        h->state = 0;
    }
    mk__unlock(&mk__scratch.lock);
    if (!keep) {
#if MK_SENTINEL
        mk__sentinel_set_kind(h, MK__KIND_PLAIN);
#endif
        mk_free(h);
    }
}

#else /* no [scratch] section */

void *mk_scratch_acquire(size_t size)
{
    (void)size;
    return mk__fail(mk__rt.initialised ? MK_EINVAL : MK_ESTATE);
}

void mk_scratch_release(void *buf)
{
    if (buf != NULL)
        mk__panic("mk_scratch_release: not an acquired scratch buffer (the config has no [scratch])");
}

#endif /* MKG_SCRATCH_INTENT */

/* The kept list is sorted, every entry is marked kept, and the capacities add
 * up to the kept count and bytes, within the cap. O(kept buffers). */
bool mk__scratch_validate(const mk__out_t *report)
{
    mk__lock(&mk__scratch.lock);
    size_t bytes = 0, count = 0;
    const char *problem = NULL;
    size_t last = 0;
    for (const mk__scratch_t *h = mk__scratch.kept; h != NULL && problem == NULL; h = h->next, count++) {
        if (count >= mk__scratch.kept_count)
            problem = "more entries than counted (or a cycle)";
        else if (h->state != MK__SCRATCH_KEPT)
            problem = "an entry is not marked kept";
        else if (h->capacity < last)
            problem = "not sorted by capacity";
        last = h->capacity;
        bytes += h->capacity;
    }
    if (problem == NULL && (count != mk__scratch.kept_count || bytes != mk__scratch.kept_bytes))
        problem = "entries do not add up to the kept count and bytes";
    if (problem == NULL && (uint64_t)mk__scratch.kept_bytes > (uint64_t)MKG_SCRATCH_CAP)
        problem = "kept bytes exceed the cap";
    if (problem != NULL && report != NULL)
        mk__outf(report, "memkit: scratch kept list: %s", problem);
    mk__unlock(&mk__scratch.lock);
    return problem == NULL;
}
