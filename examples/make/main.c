/* main.c — the program of the plain-Makefile recipe (docs/build.md): counts
 * the words of a few lines. Each line is split in a frame-arena copy, the
 * distinct words live in a pool, and the report is one heap buffer. */
#include <memkit/memkit.h>

#include <stdio.h>
#include <string.h>

struct word {
    struct word *next;
    unsigned count;
    char text[]; /* sized per word: the pool serves each from its size class */
};

static const char *const lines[] = {
    "the quick brown fox",
    "jumps over the lazy dog",
    "the dog sleeps",
};

static int fail(const char *what)
{
    fprintf(stderr, "wordcount: %s: %s\n", what, mk_status_str(mk_last_error()));
    return 1;
}

/* The word `text` in `list`, added with count 0 when new; NULL when the pool refuses. */
static struct word *find_or_add(struct word **list, const char *text)
{
    for (struct word *w = *list; w != NULL; w = w->next)
        if (strcmp(w->text, text) == 0)
            return w;
    size_t len = strlen(text);
    struct word *w = mk_alloc(MK_INTENT_WORDS, sizeof *w + len + 1); /* MKG_ALIGNMENT-aligned */
    if (w == NULL)
        return NULL;
    memcpy(w->text, text, len + 1);
    w->count = 0;
    w->next = *list;
    *list = w;
    return w;
}

int main(void)
{
    mk_status_t status = mk_init(&mkg_config); /* mkg_config: generated from memkit.toml */
    if (status != MK_OK) {
        fprintf(stderr, "wordcount: mk_init: %s\n", mk_status_str(status));
        return 1;
    }
    struct word *words = NULL;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        mk_begin_frame();
        size_t len = strlen(lines[i]);
        char *copy = mk_alloc(MK_INTENT_LINE, len + 1);
        if (copy == NULL)
            return fail("line");
        memcpy(copy, lines[i], len + 1);
        for (char *token = copy, *end; *token != '\0'; token = end) {
            end = token + strcspn(token, " ");
            if (*end != '\0')
                *end++ = '\0';
            struct word *w = find_or_add(&words, token);
            if (w == NULL)
                return fail("words");
            w->count++;
        }
        mk_end_frame();
    }

    size_t cap = 1, used = 0; /* the report's size, then the report */
    for (struct word *w = words; w != NULL; w = w->next)
        cap += (size_t)snprintf(NULL, 0, "%s %u\n", w->text, w->count);
    char *report = mk_alloc(MK_INTENT_REPORT, cap);
    if (report == NULL)
        return fail("report");
    report[0] = '\0';
    for (struct word *w = words; w != NULL; w = w->next)
        used += (size_t)snprintf(report + used, cap - used, "%s %u\n", w->text, w->count);
    fputs(report, stdout);
    mk_stats_print(stdout);

    while (words != NULL) {
        struct word *next = words->next;
        mk_free(words);
        words = next;
    }
    mk_free(report);
    mk_shutdown();
    return 0;
}
