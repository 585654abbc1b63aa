/* test_gpu_ring_fail.c — a staging ring with backpressure = "fail"
 * (tests/configs/gpu_ring_fail.toml) on the mock GPU: an upload that finds
 * the ring full of frames still in flight fails with MK_EFULL instead of
 * waiting for their fences, and succeeds once they have signalled. */
#include <memkit/gpu.h>
#include <memkit/memkit.h>

#include "backend_mock.h"

#include "../unit_check.h"

#include <string.h>

#define KIB 1024u

int main(void)
{
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
    mk_gpu_mock_config_t config = mk_gpu_mock_discrete();
    config.deferred_fences = true; /* fences signal only when the test says so */
    mk_gpu_mock_t *mock = mk_gpu_mock_create(&config);
    CHECK(mock != NULL);
    if (mock == NULL)
        return unit_check_finish("test_gpu_ring_fail");
    mk_gpu_backend_t backend = mk_gpu_mock_backend(mock);
    CHECK_EQ(mk_gpu_init(&backend), MK_OK);
    static unsigned char data[16 * KIB];
    memset(data, 0xab, sizeof data);
    mk_gpu_buffer_info_t mesh;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 64 * KIB, &mesh), MK_OK);
    /* frame 1 fills three quarters of the 64 KiB ring, frame 2 cannot fit another half */
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(mk_gpu_upload(mesh.id, i * 16u * KIB, data, sizeof data), MK_OK);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
    CHECK_EQ(mk_gpu_upload(mesh.id, 0, data, sizeof data), MK_OK);
    CHECK_EQ(mk_gpu_upload(mesh.id, 16 * KIB, data, sizeof data), MK_EFULL); /* frame 1 still in flight */
    mk_gpu_stats_t s;
    CHECK_EQ(mk_gpu_stats_get(&s), MK_OK);
    CHECK_EQ(s.completed_frame, 0); /* it did not wait */
    CHECK(mk_gpu_mock_advance(mock)); /* frame 1 signals */
    CHECK_EQ(mk_gpu_upload(mesh.id, 16 * KIB, data, sizeof data), MK_OK);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_wait_idle(), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(mesh.id), MK_OK);
    CHECK_EQ(mk_gpu_shutdown(), 0);
    CHECK_EQ(mock->errors, 0);
    CHECK_EQ(mk_gpu_mock_destroy(mock), 0);
    CHECK_EQ(mk_shutdown(), 0);
    return unit_check_finish("test_gpu_ring_fail");
}
