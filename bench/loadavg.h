/* loadavg.h — the machine's load average for the benchmarks' reports: the
 * VMs they run on are shared, and a result means little without it. */
#ifndef MEMKIT_BENCH_LOADAVG_H
#define MEMKIT_BENCH_LOADAVG_H

#include <stdio.h>

/* /proc/loadavg's first three fields, or "?". Not thread-safe (one buffer). */
static const char *bench_loadavg(void)
{
    static char buf[64];
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    int n = f != NULL ? fscanf(f, "%lf %lf %lf", &a, &b, &c) : 0;
    if (f != NULL)
        fclose(f);
    if (n == 3)
        snprintf(buf, sizeof buf, "%.2f %.2f %.2f", a, b, c);
    else
        snprintf(buf, sizeof buf, "?");
    return buf;
}

#endif /* MEMKIT_BENCH_LOADAVG_H */
