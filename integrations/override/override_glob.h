/* override_glob.h — the file name glob of libmemkit_override's [override]
 * rules (docs/override.md), on its own so that tests/override/test_override_glob.c
 * can check it. memkit-gen has checked the pattern (schema.py PATTERN_RE and
 * _brackets_closed): no '/', every '[' closed. */
#ifndef MEMKIT_OVERRIDE_GLOB_H
#define MEMKIT_OVERRIDE_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* fnmatch without its locale machinery (which may allocate): '*', '?' and
 * [set] with ranges and '!' or '^'. memkit-gen has checked the pattern. */
static inline bool mko_glob(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s != '\0') {
        if (*p == '*') {
            star = ++p;
            resume = s;
            continue;
        }
        bool ok = false;
        if (*p == '?') {
            ok = true;
            p++;
        } else if (*p == '[') {
            const char *q = p + 1;
            bool negate = *q == '!' || *q == '^';
            if (negate)
                q++;
            bool hit = false;
            do {
                char lo = *q, hi = lo;
                if (q[1] == '-' && q[2] != ']' && q[2] != '\0') {
                    hi = q[2];
                    q += 2;
                }
                if (*s >= lo && *s <= hi)
                    hit = true;
                q++;
            } while (*q != ']' && *q != '\0');
            ok = hit != negate && *q == ']';
            p = *q == ']' ? q + 1 : q;
        } else if (*p == *s) {
            ok = true;
            p++;
        }
        if (ok) {
            s++;
        } else if (star != NULL) {
            p = star;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

#endif /* MEMKIT_OVERRIDE_GLOB_H */
