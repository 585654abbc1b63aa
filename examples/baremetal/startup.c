/* startup.c — reset and exception entry for a Cortex-M4 with no C runtime
 * start files: the vector table, the copy of .data and the zeroing of .bss
 * (mps2_an386.ld names the sections), then main, whose result leaves QEMU
 * through semihosting. A fault leaves it too, as a failure, so that a test
 * never hangs. */
#include "semihost.h"

#include <stdint.h>

extern uint32_t mk_data_start[], mk_data_end[], mk_data_load[], mk_bss_start[], mk_bss_end[], mk_stack_top[];

int main(void);

_Noreturn void mk_reset(void);
_Noreturn void mk_reset(void)
{
    for (uint32_t *src = mk_data_load, *dst = mk_data_start; dst < mk_data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = mk_bss_start; dst < mk_bss_end;)
        *dst++ = 0;
    semihost_exit(main());
}

static _Noreturn void mk_fault(void)
{
    semihost_write("baremetal: fault exception\n");
    semihost_exit(2);
}

/* The first 16 entries: initial stack pointer, then reset and the system
 * exceptions (0 where the core defines none). No device interrupts are used. */
typedef void (*mk_vector_t)(void);
__attribute__((section(".vectors"), used)) static const mk_vector_t mk_vectors[16] = {
    (mk_vector_t)(uintptr_t)mk_stack_top, /* read as the stack pointer, not called */
    mk_reset,
    mk_fault, /* NMI */
    mk_fault, /* HardFault */
    mk_fault, /* MemManage */
    mk_fault, /* BusFault */
    mk_fault, /* UsageFault */
    0, 0, 0, 0,
    mk_fault, /* SVCall */
    mk_fault, /* DebugMonitor */
    0,
    mk_fault, /* PendSV */
    mk_fault, /* SysTick */
};
