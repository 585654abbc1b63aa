/* format.h — the runtime's own text formatting: a printf subset and the size
 * figures of the stats tables, with no stdio.
 *
 * Reports, the stats tables, mk_validate's findings and panic messages are
 * formatted here in every build, so that a build without stdio (MK_NO_STDIO,
 * bare metal) pulls in neither printf nor FILE, and formats exactly as the
 * hosted builds that the tests check.
 *
 * Supported: the flags '-' and '0', a width and a precision (digits or '*';
 * the precision of %s only), the lengths hh h l ll z j t, and the conversions
 * d i u x X p s c %. No floating point: memkit prints none. Anything else is
 * copied through as written. Standalone (tests/runtime/test_format.c) with
 * MK__FORMAT_STANDALONE.
 */
#ifndef MEMKIT_FORMAT_H
#define MEMKIT_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifndef MK__FORMAT_STANDALONE
#include "memkit_config.h" /* a config's [memkit] prefix renames these */
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MK__FORMAT_CHECK(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MK__FORMAT_CHECK(fmt, args)
#endif

/* As vsnprintf: writes at most len - 1 characters and a terminating NUL to buf
 * (nothing when len is 0) and returns the length of the whole text. */
int mk__vformat(char *buf, size_t len, const char *format, va_list args) MK__FORMAT_CHECK(3, 0);
int mk__format(char *buf, size_t len, const char *format, ...) MK__FORMAT_CHECK(3, 4);

/* "12.5 MiB", "3.0 KiB", "17 B": a size as the stats tables print it (one
 * decimal, rounded half to even, as "%.1f" does). */
void mk__format_bytes(char *buf, size_t len, uint64_t bytes);

/* `s` as a JSON string: quoted, with quotes, backslashes and control bytes
 * escaped. As vsnprintf: at most len - 1 characters and a NUL (nothing when
 * len is 0), and returns the length of the whole text (at most 6 per byte of
 * `s`, plus 2). */
int mk__format_json_string(char *buf, size_t len, const char *s);

#endif /* MEMKIT_FORMAT_H */
