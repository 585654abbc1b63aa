/* semihost.c — semihost.h: a BKPT 0xAB with the operation in r0 and its
 * argument in r1 (Arm's "Semihosting for AArch32 and AArch64"). */
#include "semihost.h"

#include <stdint.h>

#define SYS_WRITE0 0x04u
#define SYS_EXIT 0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u /* QEMU exits with 0 */
#define ADP_STOPPED_RUN_TIME_ERROR 0x20023u   /* QEMU exits with 1 */

static uintptr_t semihost_call(uintptr_t op, uintptr_t arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    __asm__ __volatile__("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_write(const char *text)
{
    semihost_call(SYS_WRITE0, (uintptr_t)text);
}

_Noreturn void semihost_exit(int status)
{
    semihost_call(SYS_EXIT, status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUN_TIME_ERROR);
    for (;;) {
    }
}
