/* group.c — allocation groups freed in bulk, and promotion out of a frame:
 * the two ways of giving memory a lifetime other than its intent's default.
 *
 * A group's blocks (pool and heap intents) each carry a link of
 * MKG_ALIGNMENT bytes in front, so free_all walks them without any side
 * table and a group costs nothing until used. Frame-intent groups keep no
 * links: their blocks end with the frame whatever the group does, and a link
 * into a recycled arena would be garbage. Groups live in a static table, so
 * that creating one needs no allocation (a frame intent could not hold it);
 * the table is reset lazily at the first create after each mk_init.
 */
#include "internal.h"

_Static_assert(MKG_ALIGNMENT >= sizeof(void *), "a group link fits in front of each block");
#define MK__GROUP_LINK ((size_t)MKG_ALIGNMENT)

struct mk_group {
    void *newest;       /* link of the newest block (pool and heap intents) */
    size_t count;
    uint32_t generation; /* mk_init generation of its creation; 0: entry unused */
    uint16_t intent;
    uint8_t frame;       /* 1: a frame intent, no links */
};

static struct {
    mk__lock_t lock;
    uint32_t generation; /* of the table's contents */
    mk_group_t groups[MK_MAX_GROUPS];
} mk__groups;

void mk__group_init(void)
{
    mk__fork_lock_register(&mk__groups.lock);
}

mk_group_t *mk_group_create(mk_intent_t intent)
{
    if (!mk__rt.initialised)
        return mk__fail(MK_ESTATE);
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT)
        return mk__fail(MK_EINVAL);
    mk_group_t *group = NULL;
    mk__lock(&mk__groups.lock);
    if (mk__groups.generation != mk__rt.generation) {
        memset(mk__groups.groups, 0, sizeof mk__groups.groups);
        mk__groups.generation = mk__rt.generation;
    }
    for (unsigned i = 0; i < MK_MAX_GROUPS && group == NULL; i++)
        if (mk__groups.groups[i].generation == 0u)
            group = &mk__groups.groups[i];
    if (group != NULL)
        *group = (mk_group_t){
            .generation = mk__rt.generation,
            .intent = (uint16_t)intent,
            .frame = mk__rt.config->routes[intent].tier == MK_TIER_FRAME,
        };
    mk__unlock(&mk__groups.lock);
    return group != NULL ? group : mk__fail(MK_EFULL);
}

void *mk_group_alloc(mk_group_t *group, size_t size)
{
    if (group == NULL || group->generation != mk__rt.generation || !mk__rt.initialised)
        return mk__fail(MK_EINVAL);
    if (group->frame) {
        void *p = mk_alloc((mk_intent_t)group->intent, size);
        if (p != NULL)
            group->count++;
        return p;
    }
    if (size > SIZE_MAX - MK__GROUP_LINK)
        return mk__fail(MK_EINVAL);
    void **link = mk_alloc((mk_intent_t)group->intent, MK__GROUP_LINK + size);
    if (link == NULL)
        return NULL;
    *link = group->newest;
    group->newest = link;
    group->count++;
    return (unsigned char *)link + MK__GROUP_LINK;
}

void mk_group_free_all(mk_group_t *group)
{
    if (group == NULL)
        return;
    /* a group from before the last mk_init links into released tiers */
    void *link = group->generation == mk__rt.generation ? group->newest : NULL;
    while (link != NULL) {
        void *older = *(void **)link; /* read before the free (zero_on_free clears it) */
        mk_free(link);
        link = older;
    }
    group->newest = NULL;
    group->count = 0;
}

void mk_group_destroy(mk_group_t *group)
{
    if (group == NULL)
        return;
    mk_group_free_all(group);
    mk__lock(&mk__groups.lock);
    group->generation = 0;
    mk__unlock(&mk__groups.lock);
}

size_t mk_group_count(const mk_group_t *group)
{
    return group == NULL ? 0 : group->count;
}

void *mk_promote(const void *ptr, size_t size, mk_intent_t to)
{
    if ((unsigned)to >= (unsigned)MKG_INTENT_COUNT || (ptr == NULL && size > 0))
        return mk__fail(MK_EINVAL);
    if (!mk__rt.initialised)
        return mk__fail(MK_ESTATE);
    if (mk__rt.config->routes[to].tier == MK_TIER_FRAME)
        return mk__fail(MK_EINVAL);
    void *p = mk_alloc(to, size);
    if (p != NULL && size > 0)
        memcpy(p, ptr, size);
    return p;
}
