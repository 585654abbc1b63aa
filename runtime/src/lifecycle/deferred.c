/* deferred.c — deferred frees, released when their frames have ended.
 *
 * A pending free is a node of a static array of MKG_DEFERRED_CAPACITY, linked
 * by index into one of MKG_DEFERRED_MAX_FRAMES buckets or into the free node
 * list. A free due at the end of frame count D (counting mk_end_frame calls)
 * goes into bucket D % MKG_DEFERRED_MAX_FRAMES: pending frees are due within
 * the next MKG_DEFERRED_MAX_FRAMES ends, so a bucket only ever holds frees
 * due at the same end. Deferring is a push under the lock (O(1)); an end of
 * frame detaches one bucket under the lock and frees its blocks outside it
 * (O(released)), so mk_free's own locks are never taken inside ours.
 */
#include "internal.h"

_Static_assert(MKG_DEFERRED_CAPACITY >= 1 && MKG_DEFERRED_CAPACITY < UINT32_MAX, "deferred capacity fits a node index");
_Static_assert(MKG_DEFERRED_MAX_FRAMES >= 1, "deferred frees may wait at least one frame");

#define MK__NODE_END UINT32_MAX

typedef struct mk__deferred_node {
    void *ptr;
    uint32_t next;
} mk__deferred_node_t;

static struct {
    mk__lock_t lock;
    uint64_t ends;     /* mk_end_frame calls since mk_init */
    uint32_t free_node;
    uint32_t pending;
    uint32_t bucket[MKG_DEFERRED_MAX_FRAMES];
    mk__deferred_node_t nodes[MKG_DEFERRED_CAPACITY];
} mk__deferred;

void mk__deferred_init(void)
{
    for (uint32_t i = 0; i < MKG_DEFERRED_CAPACITY; i++)
        mk__deferred.nodes[i] = (mk__deferred_node_t){ NULL, i + 1u < MKG_DEFERRED_CAPACITY ? i + 1u : MK__NODE_END };
    for (unsigned b = 0; b < MKG_DEFERRED_MAX_FRAMES; b++)
        mk__deferred.bucket[b] = MK__NODE_END;
    mk__deferred.free_node = 0;
    mk__deferred.pending = 0;
    mk__fork_lock_register(&mk__deferred.lock);
    mk__deferred.ends = 0;
}

mk_status_t mk_free_deferred(void *ptr, unsigned frames)
{
    if (frames > MKG_DEFERRED_MAX_FRAMES)
        return MK_EINVAL;
    if (ptr == NULL)
        return MK_OK;
    if (!mk__rt.initialised)
        return MK_ESTATE;
    if (frames == 0) {
        mk_free(ptr);
        return MK_OK;
    }
    mk__lock(&mk__deferred.lock);
    uint32_t node = mk__deferred.free_node;
    if (node == MK__NODE_END) {
        mk__unlock(&mk__deferred.lock);
        return MK_EFULL;
    }
    unsigned bucket = (unsigned)((mk__deferred.ends + frames) % MKG_DEFERRED_MAX_FRAMES);
    mk__deferred.free_node = mk__deferred.nodes[node].next;
    mk__deferred.nodes[node] = (mk__deferred_node_t){ ptr, mk__deferred.bucket[bucket] };
    mk__deferred.bucket[bucket] = node;
    mk__deferred.pending++;
    mk__unlock(&mk__deferred.lock);
    return MK_OK;
}

/* Frees the nodes of a detached chain and returns them to the free list. */
static void mk__deferred_release(uint32_t head)
{
    if (head == MK__NODE_END)
        return;
    uint32_t tail = head, count = 0;
    for (uint32_t n = head; n != MK__NODE_END; n = mk__deferred.nodes[n].next) {
        mk_free(mk__deferred.nodes[n].ptr);
        mk__deferred.nodes[n].ptr = NULL;
        tail = n;
        count++;
    }
    mk__lock(&mk__deferred.lock);
    mk__deferred.nodes[tail].next = mk__deferred.free_node;
    mk__deferred.free_node = head;
    mk__deferred.pending -= count;
    mk__unlock(&mk__deferred.lock);
}

void mk__deferred_end_frame(void)
{
    if (!mk__rt.initialised)
        return;
    mk__lock(&mk__deferred.lock);
    mk__deferred.ends++;
    unsigned bucket = (unsigned)(mk__deferred.ends % MKG_DEFERRED_MAX_FRAMES);
    uint32_t head = mk__deferred.bucket[bucket];
    mk__deferred.bucket[bucket] = MK__NODE_END;
    mk__unlock(&mk__deferred.lock);
    mk__deferred_release(head);
}

/* mk_shutdown: the tiers are still up, so pending blocks are freed now (a
 * system-fallback block would otherwise leak). */
void mk__deferred_fini(void)
{
    if (!mk__rt.initialised)
        return;
    for (unsigned b = 0; b < MKG_DEFERRED_MAX_FRAMES; b++) {
        mk__lock(&mk__deferred.lock);
        uint32_t head = mk__deferred.bucket[b];
        mk__deferred.bucket[b] = MK__NODE_END;
        mk__unlock(&mk__deferred.lock);
        mk__deferred_release(head);
    }
}

size_t mk_deferred_pending(void)
{
    mk__lock(&mk__deferred.lock);
    size_t pending = mk__deferred.pending;
    mk__unlock(&mk__deferred.lock);
    return pending;
}
