/* The components linked together by tests/components/two_configs.c. Each
 * returns 0 on success. */
#ifndef MEMKIT_TEST_COMPONENTS_H
#define MEMKIT_TEST_COMPONENTS_H
int audio_start(void);
int audio_work(void);
int audio_stop(void);
int net_start(void);
int net_work(void);
int net_stop(void);
int clash_start(void); /* an mk_status_t */
int basic_start(void);
int basic_stop(void);
#endif
