/* handles.c — generational handle tables ([handles.NAME]).
 *
 * A table is `capacity` slots and `capacity` blocks of block_size bytes, in
 * static storage from the generator. A handle names a slot; the slot names its
 * block, so a block can move (mk_handles_defragment) while handles stay valid.
 *
 * - Slots: a live slot holds its block index; a free slot holds the next free
 *   slot (MK__END ends the list). Its generation is bumped on free, so older
 *   handles stop matching; a slot whose generation would reach MK__RETIRED is
 *   never reused. Generations survive mk_shutdown/mk_init (the storage is
 *   static and init only rebuilds the lists), so old handles stay stale.
 * - Blocks: block_owner[b] is the owning slot of a live block, or
 *   MK__BLOCK_FREE | next free block for a free one: free blocks carry no
 *   in-band link, and the block free list needs no storage of its own.
 *
 * Every operation takes the table's spinlock: get is a handful of loads, and
 * a lock-free get would let defragment move a block under a reader.
 */
#include "internal.h"

#define MK__SLOT_BITS 24u
#define MK__SLOT_MASK ((1u << MK__SLOT_BITS) - 1u)
#define MK__END UINT32_MAX                 /* end of the free slot list */
#define MK__RETIRED UINT32_MAX             /* generation of a slot never reused */
#define MK__BLOCK_FREE 0x80000000u         /* block_owner flag of a free block */
#define MK__BLOCK_END 0x7FFFFFFFu          /* end of the free block list (without the flag) */

#if MKG_HANDLE_TABLE_COUNT > 0

_Static_assert(MKG_HANDLE_TABLE_COUNT <= 256, "the table id lives in the top 8 bits of a handle's index");

typedef struct mk__handle_table {
    mk__lock_t lock;
    uint32_t free_slot;  /* head of the free slot list, or MK__END */
    uint32_t free_block; /* head of the free block list, or MK__BLOCK_END */
    uint32_t live;
} mk__handle_table_t;

static mk__handle_table_t mk__handle_tables[MKG_HANDLE_TABLE_COUNT];
/* The generated layouts while memkit is initialised, else NULL (calls fail
 * MK_ESTATE). mk_init sets `initialised` last, so a failed init leaves none. */
static const mk_handle_table_layout_t *mk__handle_layouts(void)
{
    return mk__rt.initialised ? mk__rt.config->handle_tables : NULL;
}

/* Rebuilds both free lists in ascending order, forgetting every live block
 * (mk_init: the previous run's blocks are gone). Each slot keeps its
 * generation; a slot live at the last shutdown was bumped by fini. */
static void mk__handle_table_reset(const mk_handle_table_layout_t *layout, mk__handle_table_t *table)
{
    uint32_t *next_slot = &table->free_slot;
    for (uint32_t i = 0; i < layout->capacity; i++) {
        mk_handle_slot_t *slot = &layout->slots[i];
        slot->live = 0;
        slot->pins = 0;
        if (slot->generation == 0u)
            slot->generation = 1u;
        layout->block_owner[i] = MK__BLOCK_FREE | (i + 1u < layout->capacity ? i + 1u : MK__BLOCK_END);
        if (slot->generation == MK__RETIRED)
            continue;
        *next_slot = i;
        next_slot = &slot->block;
    }
    *next_slot = MK__END;
    table->free_block = layout->capacity > 0 ? 0u : MK__BLOCK_END;
    table->live = 0;
}

mk_status_t mk__handles_init(void)
{
    const mk_handle_table_layout_t *layouts = mk__rt.config->handle_tables;
    if (layouts == NULL)
        return MK_EABI;
    for (unsigned i = 0; i < MKG_HANDLE_TABLE_COUNT; i++) {
        if (layouts[i].capacity > MK__SLOT_MASK + 1u || layouts[i].block_size % MKG_ALIGNMENT != 0u)
            return MK_EABI;
        mk__handle_table_reset(&layouts[i], &mk__handle_tables[i]);
        mk__fork_lock_register(&mk__handle_tables[i].lock);
    }
    return MK_OK;
}

/* Slots live at shutdown are freed, so that their handles stay stale. */
void mk__handles_fini(void)
{
    const mk_handle_table_layout_t *layouts = mk__handle_layouts();
    if (layouts == NULL)
        return;
    for (unsigned i = 0; i < MKG_HANDLE_TABLE_COUNT; i++) {
        const mk_handle_table_layout_t *layout = &layouts[i];
        for (uint32_t s = 0; s < layout->capacity; s++) {
            mk_handle_slot_t *slot = &layout->slots[s];
            if (slot->live != 0u)
                slot->generation++; /* a live generation is below MK__RETIRED */
            slot->live = 0;
        }
    }
}

/* The table and slot a handle names, or NULL when it names none. The caller
 * checks the generation under the table's lock. */
static const mk_handle_table_layout_t *mk__handle_layout(mk_handle_t handle, uint32_t *slot)
{
    unsigned table = handle.index >> MK__SLOT_BITS;
    *slot = handle.index & MK__SLOT_MASK;
    const mk_handle_table_layout_t *layouts = mk__handle_layouts();
    if (layouts == NULL || table >= MKG_HANDLE_TABLE_COUNT)
        return NULL;
    const mk_handle_table_layout_t *layout = &layouts[table];
    return *slot < layout->capacity ? layout : NULL;
}

/* The live slot of a handle with its table locked, or NULL (lock not held)
 * with mk_last_error set when the handle is NULL, out of range or stale. */
static mk_handle_slot_t *mk__handle_lock(mk_handle_t handle, const mk_handle_table_layout_t **layout_out,
                                         mk__handle_table_t **table_out, const char *api)
{
    uint32_t index;
    const mk_handle_table_layout_t *layout = mk__handle_layout(handle, &index);
    if (layout == NULL || handle.generation == 0u)
        return mk__fail(MK_EINVAL);
    mk__handle_table_t *table = &mk__handle_tables[handle.index >> MK__SLOT_BITS];
    mk_handle_slot_t *slot = &layout->slots[index];
    mk__lock(&table->lock);
    if (slot->live == 0u || slot->generation != handle.generation) {
        uint32_t now = slot->generation, live = slot->live;
        mk__unlock(&table->lock);
#if MK_SENTINEL
        mk__report(MK__ML606, NULL, -1, NULL, 0,
                   "%s of a stale handle {0x%08x, generation %u}: table '%s' slot %u is %s at generation %u (the "
                   "handle's block was freed%s)",
                   api, (unsigned)handle.index, (unsigned)handle.generation, layout->name, (unsigned)index,
                   live != 0u ? "live again" : "free", (unsigned)now,
                   handle.generation < now ? "" : ", or the handle is from before the last mk_init");
#else
        (void)api;
        (void)now;
        (void)live;
#endif
        return mk__fail(MK_EINVAL);
    }
    *layout_out = layout;
    *table_out = table;
    return slot;
}

static unsigned char *mk__handle_block(const mk_handle_table_layout_t *layout, uint32_t block)
{
    return layout->blocks + (size_t)block * layout->block_size;
}

mk_handle_t mk_handle_alloc(mk_handle_table_id_t table_id)
{
    const mk_handle_table_layout_t *layouts = mk__handle_layouts();
    if (layouts == NULL) {
        mk__last_error = MK_ESTATE;
        return MK_HANDLE_NULL;
    }
    if ((unsigned)table_id >= MKG_HANDLE_TABLE_COUNT) {
        mk__last_error = MK_EINVAL;
        return MK_HANDLE_NULL;
    }
    const mk_handle_table_layout_t *layout = &layouts[table_id];
    mk__handle_table_t *table = &mk__handle_tables[table_id];
    mk__lock(&table->lock);
    uint32_t index = table->free_slot;
    if (index == MK__END) {
        mk__unlock(&table->lock);
        mk__last_error = MK_EFULL;
        return MK_HANDLE_NULL;
    }
    /* a slot is free only while a block is: there are as many of each */
    mk_handle_slot_t *slot = &layout->slots[index];
    uint32_t block = table->free_block;
    table->free_slot = slot->block;
    table->free_block = layout->block_owner[block] & ~MK__BLOCK_FREE;
    layout->block_owner[block] = index;
    slot->block = block;
    slot->live = 1u;
    table->live++;
    /* under the lock: a defragment could otherwise move the block first */
    memset(mk__handle_block(layout, block), 0, layout->block_size);
    mk_handle_t handle = { ((uint32_t)table_id << MK__SLOT_BITS) | index, slot->generation };
    mk__unlock(&table->lock);
    return handle;
}

void *mk_handle_get(mk_handle_t handle)
{
    const mk_handle_table_layout_t *layout;
    mk__handle_table_t *table;
    mk_handle_slot_t *slot = mk__handle_lock(handle, &layout, &table, "mk_handle_get");
    if (slot == NULL)
        return NULL;
    void *block = mk__handle_block(layout, slot->block);
    mk__unlock(&table->lock);
    return block;
}

bool mk_handle_valid(mk_handle_t handle)
{
    uint32_t index;
    const mk_handle_table_layout_t *layout = mk__handle_layout(handle, &index);
    if (layout == NULL || handle.generation == 0u)
        return false;
    mk__handle_table_t *table = &mk__handle_tables[handle.index >> MK__SLOT_BITS];
    const mk_handle_slot_t *slot = &layout->slots[index];
    mk__lock(&table->lock);
    bool valid = slot->live != 0u && slot->generation == handle.generation;
    mk__unlock(&table->lock);
    return valid;
}

mk_status_t mk_handle_free(mk_handle_t handle)
{
    const mk_handle_table_layout_t *layout;
    mk__handle_table_t *table;
    mk_handle_slot_t *slot = mk__handle_lock(handle, &layout, &table, "mk_handle_free");
    if (slot == NULL)
        return MK_EINVAL;
    if (slot->pins != 0u) {
        mk__unlock(&table->lock);
        return MK_ESTATE;
    }
    uint32_t index = handle.index & MK__SLOT_MASK;
    uint32_t block = slot->block;
    layout->block_owner[block] = MK__BLOCK_FREE | table->free_block;
    table->free_block = block;
    slot->live = 0u;
    slot->generation++;
    if (slot->generation != MK__RETIRED) {
        slot->block = table->free_slot;
        table->free_slot = index;
    }
    table->live--;
    mk__unlock(&table->lock);
    return MK_OK;
}

void *mk_handle_pin(mk_handle_t handle)
{
    const mk_handle_table_layout_t *layout;
    mk__handle_table_t *table;
    mk_handle_slot_t *slot = mk__handle_lock(handle, &layout, &table, "mk_handle_pin");
    if (slot == NULL)
        return NULL;
    void *block = NULL;
    if (slot->pins == UINT32_MAX) {
        mk__last_error = MK_EFULL;
    } else {
        slot->pins++;
        block = mk__handle_block(layout, slot->block);
    }
    mk__unlock(&table->lock);
    return block;
}

mk_status_t mk_handle_unpin(mk_handle_t handle)
{
    const mk_handle_table_layout_t *layout;
    mk__handle_table_t *table;
    mk_handle_slot_t *slot = mk__handle_lock(handle, &layout, &table, "mk_handle_unpin");
    if (slot == NULL)
        return MK_EINVAL;
    mk_status_t status = MK_ESTATE;
    if (slot->pins != 0u) {
        slot->pins--;
        status = MK_OK;
    }
    mk__unlock(&table->lock);
    return status;
}

/* Is block b live and movable? */
static bool mk__handle_block_movable(const mk_handle_table_layout_t *layout, uint32_t b)
{
    uint32_t owner = layout->block_owner[b];
    return (owner & MK__BLOCK_FREE) == 0u && layout->slots[owner].pins == 0u;
}

size_t mk_handles_defragment(mk_handle_table_id_t table_id)
{
    const mk_handle_table_layout_t *layouts = mk__handle_layouts();
    if (layouts == NULL || (unsigned)table_id >= MKG_HANDLE_TABLE_COUNT)
        return 0;
    const mk_handle_table_layout_t *layout = &layouts[table_id];
    mk__handle_table_t *table = &mk__handle_tables[table_id];
    uint32_t *owner = layout->block_owner;
    size_t moved = 0;
    mk__lock(&table->lock);
    /* two fingers: `low` finds the lowest free block, `high` the highest
     * movable live one; move high into low until they meet */
    uint32_t low = 0, high = layout->capacity;
    for (;;) {
        while (low < high && (owner[low] & MK__BLOCK_FREE) == 0u)
            low++;
        while (high > low && !mk__handle_block_movable(layout, high - 1u))
            high--;
        if (high <= low) /* else block low is free and block high - 1 > low is movable */
            break;
        uint32_t from = high - 1u, slot = owner[from];
        memcpy(mk__handle_block(layout, low), mk__handle_block(layout, from), layout->block_size);
        owner[low] = slot;
        owner[from] = MK__BLOCK_FREE;
        layout->slots[slot].block = low;
        moved++;
        high--;
    }
    /* the free block list, lowest first, so that new blocks pack low too */
    uint32_t next = MK__BLOCK_END;
    for (uint32_t b = layout->capacity; b-- > 0;) {
        if ((owner[b] & MK__BLOCK_FREE) != 0u) {
            owner[b] = MK__BLOCK_FREE | next;
            next = b;
        }
    }
    table->free_block = next;
    mk__unlock(&table->lock);
    return moved;
}

size_t mk_handles_live(mk_handle_table_id_t table_id)
{
    if (mk__handle_layouts() == NULL || (unsigned)table_id >= MKG_HANDLE_TABLE_COUNT)
        return 0;
    mk__handle_table_t *table = &mk__handle_tables[table_id];
    mk__lock(&table->lock);
    size_t live = table->live;
    mk__unlock(&table->lock);
    return live;
}

/* Reports what is wrong with one table: a live slot whose block does not
 * point back at it, a free list that is cyclic, too short or too long, or a
 * live count that disagrees. O(capacity). */
static bool mk__handle_table_validate(const mk_handle_table_layout_t *layout, unsigned t, const mk__out_t *report)
{
    mk__handle_table_t *table = &mk__handle_tables[t];
    bool ok = true;
#define MK__HANDLE_BAD(...)                                                                                       \
    do {                                                                                                          \
        ok = false;                                                                                               \
        if (report != NULL) {                                                                                     \
            char why_[160];                                                                                       \
            mk__format(why_, sizeof why_, __VA_ARGS__);                                                           \
            mk__outf(report, "memkit: handle table '%s': %s", layout->name, why_);                                \
        }                                                                                                         \
    } while (0)
    mk__lock(&table->lock);
    uint32_t live = 0, retired = 0;
    for (uint32_t s = 0; s < layout->capacity; s++) {
        const mk_handle_slot_t *slot = &layout->slots[s];
        if (slot->live == 0u) {
            retired += slot->generation == MK__RETIRED;
            continue;
        }
        live++;
        if (slot->generation == 0u || slot->generation == MK__RETIRED)
            MK__HANDLE_BAD("live slot %u has generation %u", (unsigned)s, (unsigned)slot->generation);
        if (slot->block >= layout->capacity || layout->block_owner[slot->block] != s)
            MK__HANDLE_BAD("live slot %u: its block %u does not point back", (unsigned)s, (unsigned)slot->block);
    }
    if (live != table->live)
        MK__HANDLE_BAD("%u live slots, counted %u", (unsigned)live, (unsigned)table->live);
    /* lists longer than they can be are cyclic */
    uint32_t free_slots = 0;
    for (uint32_t s = table->free_slot; s != MK__END && free_slots <= layout->capacity; s = layout->slots[s].block) {
        if (s >= layout->capacity || layout->slots[s].live != 0u) {
            MK__HANDLE_BAD("free slot list holds slot %u", (unsigned)s);
            break;
        }
        free_slots++;
    }
    if (free_slots != layout->capacity - live - retired)
        MK__HANDLE_BAD("free slot list has %u slots, expected %u", (unsigned)free_slots,
                       (unsigned)(layout->capacity - live - retired));
    uint32_t free_blocks = 0;
    for (uint32_t b = table->free_block; b != MK__BLOCK_END && free_blocks <= layout->capacity;
         b = layout->block_owner[b] & ~MK__BLOCK_FREE) {
        if (b >= layout->capacity || (layout->block_owner[b] & MK__BLOCK_FREE) == 0u) {
            MK__HANDLE_BAD("free block list holds block %u", (unsigned)b);
            break;
        }
        free_blocks++;
    }
    if (free_blocks != layout->capacity - live)
        MK__HANDLE_BAD("free block list has %u blocks, expected %u", (unsigned)free_blocks,
                       (unsigned)(layout->capacity - live));
    mk__unlock(&table->lock);
#undef MK__HANDLE_BAD
    return ok;
}

bool mk__handles_validate(const mk__out_t *report)
{
    bool ok = true;
    const mk_handle_table_layout_t *layouts = mk__handle_layouts();
    if (layouts == NULL)
        return ok;
    for (unsigned t = 0; t < MKG_HANDLE_TABLE_COUNT; t++)
        ok = mk__handle_table_validate(&layouts[t], t, report) && ok;
    return ok;
}

#else /* no [handles.NAME] tables */

mk_status_t mk__handles_init(void) { return MK_OK; }
void mk__handles_fini(void) {}
bool mk__handles_validate(const mk__out_t *report) { (void)report; return true; }

#endif
