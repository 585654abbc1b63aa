/* test_record.c — recordings for memkit-lens (memkit/record.h,
 * docs/recording.md; config tests/configs/record.toml: a ring of 4 frames).
 *
 * Six frames with pool, frame and heap allocations in two phases (the second
 * first seen in frame 4), a budget failure in frame 3 and an ML502 report
 * in frame 5. The recording and a snapshot go through a line sink into a
 * buffer, checked here for what C can check cheaply, then into the files
 * named on the command line, with a third file of the figures mk_stats_get
 * gave after each frame: tests/lens/check_recording.py (ctest
 * record_document) validates the documents field by field against
 * docs/recording.md and against those figures.
 *
 * usage: test_record [RECORDING SNAPSHOT EXPECTED]   (no files without them)
 */
#include "check.h"

#define RUN_FRAMES 6

typedef struct buffer {
    char text[65536];
    size_t len;
    unsigned lines;
} buffer_t;

static void collect(const char *line, void *user)
{
    buffer_t *b = user;
    CHECK(strchr(line, '\n') == NULL);
    size_t n = strlen(line);
    if (b->len + n + 2 < sizeof b->text) {
        memcpy(b->text + b->len, line, n);
        b->len += n;
        b->text[b->len++] = '\n';
        b->text[b->len] = '\0';
    }
    b->lines++;
}

static unsigned reports_ml502;

static void count_reports(const mk_report_t *report, void *user)
{
    (void)user;
    if (strcmp(report->code, "ML502") == 0)
        reports_ml502++;
}

static const char *recording_path, *snapshot_path, *expected_path;

static void save(const char *path, const buffer_t *b)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(fwrite(b->text, 1, b->len, f) == b->len);
    CHECK(fclose(f) == 0);
}

/* One frame: `n` entity blocks in phase "update", n * 100 bytes of scratch
 * and (from frame 4) a blob in phase "render"; frame 3 runs the entity budget
 * out, frame 5 nests intent scopes one deeper than [limits] intent_depth. */
static void run_frame(unsigned n)
{
    void *blocks[64];
    mk_begin_frame();
    CHECK_EQ(mk_phase_begin("update"), MK_OK);
    for (unsigned i = 0; i < n; i++) {
        blocks[i] = mk_alloc(MK_INTENT_ENTITY, 64);
        CHECK(blocks[i] != NULL);
    }
    for (unsigned i = 0; i < n; i++)
        mk_free(blocks[i]);
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 100u * n) != NULL);
    mk_phase_end();
    if (n == 3) { /* 1 KiB of budget is at most 16 blocks of 64 bytes: one request fails */
        unsigned got = 0;
        while (got < 64 && (blocks[got] = mk_alloc(MK_INTENT_ENTITY, 64)) != NULL)
            got++;
        CHECK(got > 0 && got <= 16);
        for (unsigned i = 0; i < got; i++)
            mk_free(blocks[i]);
    }
    if (n >= 4) {
        CHECK_EQ(mk_phase_begin("render"), MK_OK);
        void *blob = mk_alloc(MK_INTENT_BLOB, 1000);
        CHECK(blob != NULL);
        mk_free(blob);
        mk_phase_end();
    }
    if (n == 5) {
        CHECK_EQ(mk_intent_push(MK_INTENT_BLOB), MK_OK);
        CHECK_EQ(mk_intent_push(MK_INTENT_BLOB), MK_OK);
        CHECK_EQ(mk_intent_push(MK_INTENT_BLOB), MK_EFULL);
        mk_intent_pop();
        mk_intent_pop();
        mk_intent_pop();
    }
    mk_end_frame();
}

static void test_recording(void)
{
    static buffer_t recording, snapshot, expected;
    memset(&recording, 0, sizeof recording);
    memset(&snapshot, 0, sizeof snapshot);
    memset(&expected, 0, sizeof expected);
    reports_ml502 = 0;
    mk_set_report_handler(count_reports, NULL);

    CHECK_EQ(mk_record_write_json(collect, &recording), MK_OK); /* no frame yet: no rows */
    CHECK(strstr(recording.text, "\"frames\": [\n],") != NULL);
    CHECK(strstr(recording.text, "\"dropped_frames\": 0,") != NULL);
    memset(&recording, 0, sizeof recording);

    expected.len = (size_t)snprintf(expected.text, sizeof expected.text, "{\"frames\": [");
    for (unsigned f = 1; f <= RUN_FRAMES; f++) {
        run_frame(f);
        mk_stats_t s;
        CHECK_EQ(mk_stats_get(&s), MK_OK);
        const mk_intent_stats_t *e = &s.intents[MK_INTENT_ENTITY], *sc = &s.intents[MK_INTENT_SCRATCH];
        expected.len += (size_t)snprintf(expected.text + expected.len, sizeof expected.text - expected.len,
                                         "%s{\"frame\": %llu, \"entity\": [%llu, %llu, %llu], \"scratch\": "
                                         "[%llu, %llu]}",
                                         f > 1 ? ", " : "", (unsigned long long)s.frame_index,
                                         (unsigned long long)e->allocations, (unsigned long long)e->frees,
                                         (unsigned long long)e->failures, (unsigned long long)sc->allocations,
                                         (unsigned long long)sc->current);
    }
    expected.len += (size_t)snprintf(expected.text + expected.len, sizeof expected.text - expected.len,
                                     "], \"kept\": 4, \"dropped\": %d, \"ml502_reports\": %u}\n", RUN_FRAMES - 4,
                                     reports_ml502);
    CHECK_EQ(reports_ml502, 1);

    CHECK_EQ(mk_record_write_json(collect, &recording), MK_OK);
    CHECK(strncmp(recording.text, "{\"format\": \"memkit-recording\", \"version\": 1,", 44) == 0);
    CHECK(strstr(recording.text, "\"dropped_frames\": 2,") != NULL);
    CHECK(strstr(recording.text, "[\"ML502\", 1]") != NULL);
    CHECK(strstr(recording.text, "\"phases\": [\"update\", \"render\"],") != NULL);
    CHECK(recording.lines > 10);

    CHECK_EQ(mk_stats_write_json(collect, &snapshot), MK_OK);
    CHECK(strncmp(snapshot.text, "{\"format\": \"memkit-snapshot\"", 28) == 0);
    CHECK(strstr(snapshot.text, "dropped_frames") == NULL);

    if (recording_path != NULL) {
        save(recording_path, &recording);
        save(snapshot_path, &snapshot);
        save(expected_path, &expected);
    }
    mk_set_report_handler(NULL, NULL);
}

/* mk_record_save writes what mk_record_write_json writes, and refuses a
 * path it cannot open. */
static void test_save(void)
{
    static buffer_t written, saved;
    memset(&written, 0, sizeof written);
    memset(&saved, 0, sizeof saved);
    run_frame(1);
    run_frame(2);
    CHECK_EQ(mk_record_write_json(collect, &written), MK_OK);
    char path[] = "/tmp/memkit_test_record_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ(mk_record_save(path), MK_OK);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f != NULL) {
        saved.len = fread(saved.text, 1, sizeof saved.text - 1, f);
        fclose(f);
    }
    remove(path);
    CHECK_EQ(saved.len, written.len);
    CHECK(memcmp(saved.text, written.text, written.len) == 0);
    CHECK_EQ(mk_record_save("/nonexistent-dir/recording.json"), MK_ESYSTEM);
    CHECK_EQ(mk_stats_save_json("/nonexistent-dir/snapshot.json"), MK_ESYSTEM);
}

/* Names are JSON strings: quotes, backslashes and control bytes escaped. */
static void test_escaped_names(void)
{
    static buffer_t snapshot;
    memset(&snapshot, 0, sizeof snapshot);
    mk_begin_frame();
    CHECK_EQ(mk_phase_begin("say \"hi\"\\\t"), MK_OK);
    mk_phase_end();
    mk_end_frame();
    CHECK_EQ(mk_stats_write_json(collect, &snapshot), MK_OK);
    CHECK(strstr(snapshot.text, "\"phases\": [\"say \\\"hi\\\"\\\\\\u0009\"],") != NULL);
}

static void test_not_initialised(void)
{
    buffer_t *b = calloc(1, sizeof *b);
    CHECK(b != NULL);
    CHECK_EQ(mk_record_write_json(collect, b), MK_ESTATE);
    CHECK_EQ(mk_stats_write_json(collect, b), MK_ESTATE);
    CHECK_EQ(mk_record_save("/tmp/never-written.json"), MK_ESTATE);
    CHECK_EQ(b->lines, 0);
    free(b);
}

int main(int argc, char **argv)
{
    if (argc == 4) {
        recording_path = argv[1];
        snapshot_path = argv[2];
        expected_path = argv[3];
    }
    RUN(test_recording);
    RUN(test_save);
    RUN(test_escaped_names);
    test_not_initialised();
    return check_finish("test_record");
}
