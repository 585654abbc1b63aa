/* Two components, two configs, one program (issue 7 item 15). With a
 * [memkit] prefix each, both runtimes run side by side. */
#include <stdio.h>

#include "components.h"

int main(void)
{
    int failed = 0;
    failed |= audio_start() != 0;
    failed |= net_start() != 0;
    for (int i = 0; i < 100 && !failed; i++) {
        failed |= audio_work() != 0;
        failed |= net_work() != 0;
    }
    failed |= audio_stop() != 0;
    failed |= net_stop() != 0;
    printf("%d passed, %d failed\n", failed ? 0 : 1, failed ? 1 : 0);
    return failed;
}
