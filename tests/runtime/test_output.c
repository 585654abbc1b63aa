/* test_output.c — memkit's text through line sinks (memkit/output.h; config
 * tests/configs/basic.toml): the stats table and mk_validate's findings as
 * lines, the message sink that receives the default handler's reports, and
 * the panic handler, which a bare-metal program uses instead of stderr and
 * abort(). */
#include "check.h"

#include <setjmp.h>

/* Lines collected by a sink, joined with newlines. */
typedef struct lines {
    char text[16384];
    size_t len;
    unsigned count;
} lines_t;

static void collect(const char *line, void *user)
{
    lines_t *l = user;
    CHECK(strchr(line, '\n') == NULL); /* a line, not text */
    size_t n = strlen(line);
    if (l->len + n + 2 < sizeof l->text) {
        memcpy(l->text + l->len, line, n);
        l->len += n;
        l->text[l->len++] = '\n';
        l->text[l->len] = '\0';
    }
    l->count++;
}

/* mk_stats_print is mk_stats_write with a FILE: the same text. */
static void test_stats_lines(void)
{
    void *e = mk_alloc(MK_INTENT_ENTITY, 16);
    static lines_t got;
    memset(&got, 0, sizeof got);
    mk_stats_write(collect, &got);
    CHECK(got.count > MKG_INTENT_COUNT); /* a header, a row per intent, the tiers */
    CHECK(strstr(got.text, "entity") != NULL && strstr(got.text, "16 B") != NULL);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f != NULL) {
        static char printed[16384];
        mk_stats_print(f);
        rewind(f);
        size_t n = fread(printed, 1, sizeof printed - 1, f);
        printed[n] = '\0';
        fclose(f);
        CHECK(strcmp(printed, got.text) == 0);
    }
    mk_stats_write(NULL, NULL); /* no sink: nothing, no crash */
    mk_free(e);
}

static void test_validate_lines(void)
{
    static lines_t got;
    memset(&got, 0, sizeof got);
    CHECK_EQ(mk_validate_write(collect, &got), MK_OK);
    CHECK_EQ(got.count, 0u); /* nothing wrong, nothing said */
}

/* A report of the default handler goes to the message sink, not stderr. */
static void test_message_sink(void)
{
    static lines_t got;
    memset(&got, 0, sizeof got);
    mk_set_message_sink(collect, &got);
    for (int i = 0; i <= MK_INTENT_STACK_DEPTH; i++) /* one past the limit: ML502, a warning */
        mk_intent_push(MK_INTENT_ENTITY);
    for (int i = 0; i <= MK_INTENT_STACK_DEPTH; i++)
        mk_intent_pop();
    mk_set_message_sink(NULL, NULL);
    CHECK_EQ(got.count, 1u);
    char expected[80];
    int n = snprintf(expected, sizeof expected, "memkit: ML502 warning: intent scope 'entity' nested %d deep",
                     MK_INTENT_STACK_DEPTH + 1);
    CHECK(n > 0 && strncmp(got.text, expected, (size_t)n) == 0);
}

/* A panic: the reason to the message sink, then the handler, which here
 * leaves the runtime by longjmp (the state is dropped: the child exits). */
static jmp_buf panic_exit;
static char panic_reason[256];

static void on_panic(const char *reason, void *user)
{
    CHECK(user == &panic_exit);
    snprintf(panic_reason, sizeof panic_reason, "%s", reason);
    longjmp(panic_exit, 1);
}

static void returning_handler(const char *reason, void *user)
{
    (void)reason;
    (void)user;
}

static void test_panic_handler(void)
{
    static unsigned char not_memkit[256];
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        static lines_t said;
        mk_set_message_sink(collect, &said);
        mk_set_panic_handler(on_panic, &panic_exit);
        if (setjmp(panic_exit) == 0) {
            mk_free(not_memkit + 128); /* not a memkit block: a panic */
            _exit(1);
        }
        bool ok = strcmp(panic_reason, "mk_free: pointer was not allocated by memkit (or freed twice)") == 0 &&
                  strcmp(said.text, "memkit: panic: mk_free: pointer was not allocated by memkit (or freed twice)\n") == 0;
        _exit(ok ? 42 : 2);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);

    /* a handler that returns: the OS layer ends the program (posix: abort) */
    pid = fork();
    if (pid == 0) {
        static lines_t said;
        mk_set_message_sink(collect, &said);
        mk_set_panic_handler(returning_handler, NULL);
        mk_free(not_memkit + 128);
        _exit(1);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

int main(void)
{
    RUN(test_stats_lines);
    RUN(test_validate_lines);
    RUN(test_message_sink);
    RUN(test_panic_handler);
    return check_finish("test_output");
}
