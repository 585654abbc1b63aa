/* semihost.h — Arm semihosting: text to the debugger's console and the exit
 * status, through the debugger (here QEMU, -semihosting-config enable=on).
 * On a board without a debugger attached a semihosting call faults: a real
 * product writes to a UART instead. */
#ifndef BAREMETAL_SEMIHOST_H
#define BAREMETAL_SEMIHOST_H

/* Writes a NUL-terminated string. */
void semihost_write(const char *text);

/* Ends the program: status 0 exits QEMU with 0, anything else with 1. */
_Noreturn void semihost_exit(int status);

#endif /* BAREMETAL_SEMIHOST_H */
