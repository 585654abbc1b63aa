/* main.c — memkit in a few lines: every allocation says what it is for. */
#include <memkit/memkit.h>

#include <stdio.h>
#include <string.h>

struct node {
    int value;
    struct node *next;
};

/* Allocation returns NULL on failure; mk_last_error() says why. */
static int fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, mk_status_str(mk_last_error()));
    return 1;
}

int main(void)
{
    mk_status_t status = mk_init(&mkg_config); /* mkg_config: generated from memkit.toml */
    if (status != MK_OK) {
        fprintf(stderr, "mk_init: %s\n", mk_status_str(status));
        return 1;
    }

    /* pool: fixed-size blocks, freed one by one */
    struct node *list = NULL;
    for (int i = 0; i < 100; i++) {
        struct node *n = MK_NEW(MK_INTENT_NODES, struct node);
        if (n == NULL)
            return fail("nodes");
        n->value = i;
        n->next = list;
        list = n;
    }

    /* heap: a large buffer */
    char *buffer = mk_alloc(MK_INTENT_BUFFERS, 256 * 1024);
    if (buffer == NULL)
        return fail("buffers");
    memset(buffer, 'x', 256 * 1024);

    /* frame: temporaries for this frame only, never freed */
    mk_begin_frame();
    int *squares = MK_NEW_ARRAY(MK_INTENT_SCRATCH, int, 100);
    if (squares == NULL)
        return fail("scratch");
    int sum = 0;
    for (struct node *n = list; n != NULL; n = n->next) {
        squares[n->value] = n->value * n->value;
        sum += squares[n->value];
    }
    mk_end_frame();

    printf("memkit consumer: sum of squares %d (config %s)\n", sum, mkg_config.source_name);
    mk_stats_print(stdout);

    while (list != NULL) {
        struct node *next = list->next;
        mk_free(list);
        list = next;
    }
    mk_free(buffer);
    mk_shutdown();
    return 0;
}
