/* check.h — a tiny dependency-free test harness for memkit's C tests (and
 * its C++ tests, tests/cpp).
 *
 * CHECK(cond) records a failure with file:line and goes on; RUN(test) runs a
 * test between mk_init and mk_shutdown; EXPECT_DEATH(stmt, text) runs stmt in a
 * forked child and expects it to abort with `text` on stderr. check_finish()
 * prints "NAME: N passed, M failed" and returns the exit status.
 */
#ifndef MEMKIT_TEST_CHECK_H
#define MEMKIT_TEST_CHECK_H

#ifndef _DEFAULT_SOURCE /* C++ compilers define it already (and _GNU_SOURCE) */
#define _DEFAULT_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memkit/memkit.h>

static int check_failed_count;
static int check_passed_tests;
static int check_failed_tests;

#define CHECK(cond)                                                                                                \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                               \
            check_failed_count++;                                                                                  \
        }                                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                                             \
    do {                                                                                                           \
        unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b);                 \
        if (check_a_ != check_b_) {                                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%llu != %llu)\n", __FILE__, __LINE__, #a, #b, check_a_, \
                    check_b_);                                                                                     \
            check_failed_count++;                                                                                  \
        }                                                                                                          \
    } while (0)

/* Runs one test with a freshly initialised runtime. */
#define RUN(test)                                                                                                  \
    do {                                                                                                           \
        int check_before_ = check_failed_count;                                                                    \
        mk_status_t check_init_ = mk_init(&mkg_config);                                                            \
        CHECK_EQ(check_init_, MK_OK);                                                                              \
        test();                                                                                                    \
        mk_shutdown();                                                                                             \
        if (check_failed_count == check_before_) {                                                                 \
            check_passed_tests++;                                                                                  \
        } else {                                                                                                   \
            check_failed_tests++;                                                                                  \
            fprintf(stderr, "FAILED: %s\n", #test);                                                                \
        }                                                                                                          \
    } while (0)

/* Forks with the child's stderr going into a pipe: returns 0 in the child
 * and the child's pid in the parent, which then calls check_collect_child. */
static inline pid_t check_fork_stderr(int fd[2])
{
    CHECK(pipe(fd) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 2);
    }
    return pid;
}

/* The parent's side: the child's stderr into text[0..cap-1], NUL-terminated,
 * until it ends; returns its wait status. */
static inline int check_collect_child(pid_t pid, int fd[2], char *text, size_t cap)
{
    close(fd[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fd[0], text + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    close(fd[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

/* Forks; the child runs `stmt` with stderr captured; the parent expects the
 * child to die of SIGABRT having printed `text`. */
#define EXPECT_DEATH(stmt, text)                                                                                   \
    do {                                                                                                           \
        int check_pipe_[2];                                                                                        \
        pid_t check_pid_ = check_fork_stderr(check_pipe_);                                                         \
        if (check_pid_ == 0) {                                                                                     \
            stmt;                                                                                                  \
            _exit(0);                                                                                              \
        }                                                                                                          \
        char check_buf_[4096];                                                                                     \
        int check_status_ = check_collect_child(check_pid_, check_pipe_, check_buf_, sizeof check_buf_);           \
        CHECK(WIFSIGNALED(check_status_) && WTERMSIG(check_status_) == SIGABRT);                                   \
        if (strstr(check_buf_, (text)) == NULL) {                                                                  \
            fprintf(stderr, "%s:%d: death message lacks \"%s\"; got: %s\n", __FILE__, __LINE__, (text), check_buf_); \
            check_failed_count++;                                                                                  \
        }                                                                                                          \
    } while (0)

/* Forks; the child runs `child` (which must not return: it exits) with its
 * stderr captured into text[0..cap-1]; returns the child's wait status. For
 * what EXPECT_DEATH does not cover: a child that exits. */
static inline int check_child_stderr(void (*child)(void), char *text, size_t cap)
{
    int fd[2];
    pid_t pid = check_fork_stderr(fd);
    if (pid == 0) {
        child();
        _exit(0);
    }
    return check_collect_child(pid, fd, text, cap);
}

static inline int check_finish(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, check_passed_tests, check_failed_tests);
    return check_failed_tests == 0 && check_failed_count == 0 ? 0 : 1;
}

/* Fills a block with a pattern derived from `seed`; check_intact verifies
 * it. Distinct seeds make overlapping or corrupted blocks visible. */
static inline void check_fill(void *p, size_t size, unsigned seed)
{
    unsigned char *b = (unsigned char *)p; /* a cast: C++ tests include this harness too */
    for (size_t i = 0; i < size; i++)
        b[i] = (unsigned char)(seed + i * 31u);
}

static inline int check_intact(const void *p, size_t size, unsigned seed)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < size; i++)
        if (b[i] != (unsigned char)(seed + i * 31u))
            return 0;
    return 1;
}

/* The stats of one intent. */
static inline mk_intent_stats_t check_intent_stats(mk_intent_t intent)
{
    mk_stats_t s;
    CHECK_EQ(mk_stats_get(&s), MK_OK);
    return s.intents[intent];
}

static inline mk_stats_t check_stats(void)
{
    mk_stats_t s;
    CHECK_EQ(mk_stats_get(&s), MK_OK);
    return s;
}

#endif /* MEMKIT_TEST_CHECK_H */
