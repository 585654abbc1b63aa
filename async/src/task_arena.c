/* task_arena.c — task arenas ([async.arena.NAME]): bump allocation from
 * chunks that a task owns, not a thread.
 *
 * A chunk comes from the arena's chunk pool (an async pool with backpressure
 * "fail", charged to the arena's intent) and starts with a link to the
 * task's next-older chunk, so a task's end hands the whole chain back in one
 * locked step, O(chunks), and a handoff splices two chains in O(1). A child
 * task draws from its root's chunks under the root's lock; the root's own
 * inline fast path (memkit/async.h) stays lock-free while it has no children.
 */
#include "async_internal.h"

/* Bytes at the start of a chunk that hold its link. */
#define MK__CHUNK_HEADER (((sizeof(void *) + MKG_ALIGNMENT - 1u) / MKG_ALIGNMENT) * MKG_ALIGNMENT)

static mk__apool_t *mk__arena_pool(unsigned arena)
{
    return &mk__async.pools[mk__rt.config->async_arenas[arena].pool];
}

static void mk__task_lock(mk_task_t *task)
{
    mk__lock((mk__lock_t *)(void *)&task->lock_);
}

static void mk__task_unlock(mk_task_t *task)
{
    mk__unlock((mk__lock_t *)(void *)&task->lock_);
}

static void mk__task_clear(mk_task_t *task, unsigned arena, mk_task_t *root)
{
    memset(task, 0, sizeof *task);
    task->arena_ = arena;
    task->root_ = root;
}

mk_status_t mk_task_begin(mk_task_t *task, mk_async_arena_id_t arena, mk_task_t *parent)
{
#if MKG_ASYNC_ARENA_COUNT > 0
    if (task == NULL || !mk__rt.initialised || (unsigned)arena >= MKG_ASYNC_ARENA_COUNT)
        return MK_EINVAL;
    if (parent == NULL) {
        mk__task_clear(task, (unsigned)arena, task);
        return MK_OK;
    }
    mk_task_t *root = parent->root_;
    if (root == NULL || root->arena_ != (unsigned)arena)
        return MK_EINVAL;
    mk__task_clear(task, (unsigned)arena, root);
    mk__task_lock(root);
    MK__BUMP_SHARED(root->children_, 1u);
    mk__task_unlock(root);
    return MK_OK;
#else
    (void)task;
    (void)arena;
    (void)parent;
    return MK_EINVAL;
#endif
}

/* A new chunk for `root` (its lock held when it has children). */
static bool mk__task_grow(mk_task_t *root)
{
    void *chunk;
    mk_status_t status = mk__apool_take(mk__arena_pool(root->arena_), &chunk);
    if (status != MK_OK) {
        mk__fail(status);
        return false;
    }
    *(void **)chunk = root->chunks_;
    root->chunks_ = chunk;
    if (root->oldest_ == NULL)
        root->oldest_ = chunk;
    root->count_++;
    root->cur_ = (unsigned char *)chunk + MK__CHUNK_HEADER;
    root->end_ = (unsigned char *)chunk + mk__arena_pool(root->arena_)->layout->block;
    return true;
}

void *mk__task_alloc_slow(mk_task_t *task, size_t size)
{
    if (task == NULL || task->root_ == NULL) {
        mk__fail(MK_EINVAL);
        return NULL;
    }
    mk_task_t *root = task->root_;
    size_t room = (size_t)mk__arena_pool(root->arena_)->layout->block - MK__CHUNK_HEADER;
    size_t n = (size + ((size_t)MKG_ALIGNMENT - 1u)) & ~((size_t)MKG_ALIGNMENT - 1u);
    if (n < size || n > room) {
        mk__fail(MK_ETOOBIG);
        return NULL;
    }
    bool shared = root != task || MK__LOAD_ACQUIRE(root->children_) != 0u;
    if (shared)
        mk__task_lock(root);
    void *p = NULL;
    if (n <= (size_t)(root->end_ - root->cur_) || mk__task_grow(root)) {
        p = root->cur_;
        root->cur_ += n;
        root->used_ += n;
        if (task != root)
            task->used_ += n;
    }
    if (shared)
        mk__task_unlock(root);
    return p;
}

mk_status_t mk_task_end(mk_task_t *task)
{
    if (task == NULL || task->root_ == NULL)
        return MK_EINVAL;
    if (MK__LOAD_ACQUIRE(task->children_) != 0u)
        return MK_EBUSY;
    mk_task_t *root = task->root_;
    if (root != task) { /* a child's memory is its root's */
        mk__task_lock(root);
        /* release: a root that sees no children left allocates without the
         * lock, after this child's last allocation (its writes to the root) */
        MK__DROP_RELEASE(root->children_, 1u);
        mk__task_unlock(root);
    } else if (task->chunks_ != NULL) {
        mk__apool_give_chain(mk__arena_pool(task->arena_), task->chunks_);
    }
    memset(task, 0, sizeof *task);
    return MK_OK;
}

mk_status_t mk_task_handoff(mk_task_t *from, mk_task_t *to)
{
    if (from == NULL || to == NULL || from == to || from->root_ != from || to->root_ != to ||
        from->arena_ != to->arena_)
        return MK_EINVAL;
    if (MK__LOAD_ACQUIRE(from->children_) != 0u || MK__LOAD_ACQUIRE(to->children_) != 0u)
        return MK_EBUSY;
    if (from->chunks_ == NULL)
        return MK_OK;
    if (to->chunks_ == NULL) { /* `to` continues in the producer's chunk */
        to->chunks_ = from->chunks_;
        to->oldest_ = from->oldest_;
        to->cur_ = from->cur_;
        to->end_ = from->end_;
    } else { /* `to` keeps bumping in its own chunk; the producer's become older ones */
        *(void **)to->oldest_ = from->chunks_;
        to->oldest_ = from->oldest_;
    }
    to->count_ += from->count_;
    to->used_ += from->used_;
    mk__task_clear(from, from->arena_, from);
    return MK_OK;
}

uint64_t mk_task_used(const mk_task_t *task)
{
    return task != NULL ? task->used_ : 0u;
}

uint32_t mk_task_chunks(const mk_task_t *task)
{
    return task != NULL ? task->count_ : 0u;
}
