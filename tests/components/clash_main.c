/* Two components, two configs, no prefix (issue 7 item 15): the second
 * mk_init must be refused with MK_EABI rather than run against the first
 * component's runtime. */
#include <memkit/config.h>
#include <stdio.h>

#include "components.h"

int main(void)
{
    int failed = 0;
    failed |= basic_start() != 0;
    int second = clash_start();
    failed |= second != 4; /* MK_EABI */
    failed |= basic_stop() != 0;
    printf("%d passed, %d failed (second mk_init: %d)\n", failed ? 0 : 1, failed ? 1 : 0, second);
    return failed;
}
