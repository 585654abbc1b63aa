/* format.c — format.h: a printf subset and the stats tables' size figures. */
#include "format.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

/* The text being written: characters past len - 1 are counted, not stored. */
typedef struct mk__text {
    char *buf;
    size_t len;
    size_t at;
} mk__text_t;

static void mk__put(mk__text_t *t, char c)
{
    if (t->at + 1u < t->len)
        t->buf[t->at] = c;
    t->at++;
}

static void mk__put_n(mk__text_t *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mk__put(t, s[i]);
}

static void mk__fill(mk__text_t *t, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mk__put(t, c);
}

/* A field of `width`: prefix ("-", "0x") and body, with spaces in front or
 * behind (left), or zeros between prefix and body (zero). */
static void mk__field(mk__text_t *t, const char *prefix, const char *body, size_t body_len, size_t width,
                      bool left, bool zero)
{
    size_t prefix_len = strlen(prefix);
    size_t used = prefix_len + body_len;
    size_t room = width > used ? width - used : 0u;
    if (!left && !zero)
        mk__fill(t, ' ', room);
    mk__put_n(t, prefix, prefix_len);
    if (!left && zero)
        mk__fill(t, '0', room);
    mk__put_n(t, body, body_len);
    if (left)
        mk__fill(t, ' ', room);
}

/* The digits of v in base 10 or 16, written backwards from the end of
 * `digits`: returns where they start. */
static char *mk__digits(char *end, uintmax_t v, unsigned base, bool upper)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = set[v % base];
        v /= base;
    } while (v != 0u);
    return p;
}

typedef enum mk__length { MK__LEN_INT, MK__LEN_CHAR, MK__LEN_SHORT, MK__LEN_LONG, MK__LEN_LLONG, MK__LEN_SIZE,
                          MK__LEN_MAX, MK__LEN_PTRDIFF } mk__length_t;

static intmax_t mk__signed_arg(va_list *args, mk__length_t length)
{
    switch (length) {
    case MK__LEN_CHAR: return (signed char)va_arg(*args, int);
    case MK__LEN_SHORT: return (short)va_arg(*args, int);
    case MK__LEN_LONG: return va_arg(*args, long);
    case MK__LEN_LLONG: return va_arg(*args, long long);
    case MK__LEN_SIZE: /* %zd: the signed type of size_t's width */
    case MK__LEN_PTRDIFF: return va_arg(*args, ptrdiff_t);
    case MK__LEN_MAX: return va_arg(*args, intmax_t);
    case MK__LEN_INT: break;
    }
    return va_arg(*args, int);
}

static uintmax_t mk__unsigned_arg(va_list *args, mk__length_t length)
{
    switch (length) {
    case MK__LEN_CHAR: return (unsigned char)va_arg(*args, unsigned);
    case MK__LEN_SHORT: return (unsigned short)va_arg(*args, unsigned);
    case MK__LEN_LONG: return va_arg(*args, unsigned long);
    case MK__LEN_LLONG: return va_arg(*args, unsigned long long);
    case MK__LEN_SIZE: return va_arg(*args, size_t);
    case MK__LEN_PTRDIFF: return (uintmax_t)va_arg(*args, ptrdiff_t);
    case MK__LEN_MAX: return va_arg(*args, uintmax_t);
    case MK__LEN_INT: break;
    }
    return va_arg(*args, unsigned);
}

static mk__length_t mk__length(const char **f)
{
    const char *p = *f;
    mk__length_t length = MK__LEN_INT;
    switch (*p) {
    case 'h':
        length = p[1] == 'h' ? MK__LEN_CHAR : MK__LEN_SHORT;
        p += p[1] == 'h' ? 2 : 1;
        break;
    case 'l':
        length = p[1] == 'l' ? MK__LEN_LLONG : MK__LEN_LONG;
        p += p[1] == 'l' ? 2 : 1;
        break;
    case 'z': length = MK__LEN_SIZE; p++; break;
    case 'j': length = MK__LEN_MAX; p++; break;
    case 't': length = MK__LEN_PTRDIFF; p++; break;
    default: break;
    }
    *f = p;
    return length;
}

/* A width or precision: digits, or '*' taken from the arguments (-1 when a
 * '*' precision is negative: none). */
static long mk__number(const char **f, va_list *args)
{
    if (**f == '*') {
        (*f)++;
        return va_arg(*args, int);
    }
    long n = 0;
    while (**f >= '0' && **f <= '9' && n < 100000)
        n = n * 10 + (**f - '0'), (*f)++;
    return n;
}

int mk__vformat(char *buf, size_t len, const char *format, va_list args)
{
    mk__text_t t = {buf, len, 0};
    va_list ap;
    va_copy(ap, args);
    for (const char *f = format; *f != '\0'; f++) {
        if (*f != '%') {
            mk__put(&t, *f);
            continue;
        }
        const char *start = f++;
        bool left = false, zero = false;
        for (;; f++) {
            if (*f == '-')
                left = true;
            else if (*f == '0')
                zero = true;
            else
                break;
        }
        long width = mk__number(&f, &ap);
        if (width < 0) { /* a negative '*' width: left-justified */
            left = true;
            width = -width;
        }
        long precision = -1;
        if (*f == '.') {
            f++;
            precision = mk__number(&f, &ap);
        }
        mk__length_t length = mk__length(&f);
        char digits[3 * sizeof(uintmax_t)];
        char *end = digits + sizeof digits;
        switch (*f) {
        case 'd':
        case 'i': {
            intmax_t v = mk__signed_arg(&ap, length);
            uintmax_t magnitude = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            char *p = mk__digits(end, magnitude, 10u, false);
            mk__field(&t, v < 0 ? "-" : "", p, (size_t)(end - p), (size_t)width, left, zero);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uintmax_t v = mk__unsigned_arg(&ap, length);
            char *p = mk__digits(end, v, *f == 'u' ? 10u : 16u, *f == 'X');
            mk__field(&t, "", p, (size_t)(end - p), (size_t)width, left, zero);
            break;
        }
        case 'p': {
            const void *v = va_arg(ap, const void *);
            if (v == NULL) { /* as glibc prints it */
                mk__field(&t, "", "(nil)", 5u, (size_t)width, left, false);
                break;
            }
            char *p = mk__digits(end, (uintmax_t)(uintptr_t)v, 16u, false);
            mk__field(&t, "0x", p, (size_t)(end - p), (size_t)width, left, zero);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL)
                s = "(null)";
            size_t n = 0;
            while (s[n] != '\0' && (precision < 0 || n < (size_t)precision))
                n++;
            mk__field(&t, "", s, n, (size_t)width, left, false);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            mk__field(&t, "", &c, 1u, (size_t)width, left, false);
            break;
        }
        case '%':
            mk__put(&t, '%');
            break;
        default: /* not supported: copied as written */
            mk__put_n(&t, start, (size_t)(f - start) + (*f != '\0' ? 1u : 0u));
            if (*f == '\0')
                f--;
            break;
        }
    }
    va_end(ap);
    if (len != 0u)
        buf[t.at < len ? t.at : len - 1u] = '\0';
    return t.at > (size_t)INT_MAX ? INT_MAX : (int)t.at;
}

int mk__format(char *buf, size_t len, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = mk__vformat(buf, len, format, args);
    va_end(args);
    return n;
}

void mk__format_bytes(char *buf, size_t len, uint64_t bytes)
{
    unsigned shift = bytes >= ((uint64_t)1 << 20) ? 20u : bytes >= 1024u ? 10u : 0u;
    if (shift == 0u) {
        mk__format(buf, len, "%llu B", (unsigned long long)bytes);
        return;
    }
    uint64_t unit = (uint64_t)1 << shift;
    uint64_t whole = bytes >> shift;
    uint64_t scaled = (bytes & (unit - 1u)) * 10u; /* below 10 units */
    uint64_t tenths = scaled >> shift, remainder = scaled & (unit - 1u);
    /* the figure is an exact binary fraction: "%.1f" rounds its tie to even */
    if (remainder > unit / 2u || (remainder == unit / 2u && (tenths & 1u) != 0u))
        tenths++;
    if (tenths == 10u) {
        whole++;
        tenths = 0;
    }
    mk__format(buf, len, "%llu.%llu %s", (unsigned long long)whole, (unsigned long long)tenths,
               shift == 20u ? "MiB" : "KiB");
}

/* One character of mk__format_json_string's text at *n; stored when it fits. */
static void mk__json_char(char *buf, size_t len, size_t *n, char c)
{
    if (*n + 1u < len)
        buf[*n] = c;
    (*n)++;
}

int mk__format_json_string(char *buf, size_t len, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    mk__json_char(buf, len, &n, '"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            mk__json_char(buf, len, &n, '\\');
            mk__json_char(buf, len, &n, (char)c);
        } else if (c < 0x20u) {
            const char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xFu]};
            for (unsigned i = 0; i < sizeof escape; i++)
                mk__json_char(buf, len, &n, escape[i]);
        } else {
            mk__json_char(buf, len, &n, (char)c);
        }
    }
    mk__json_char(buf, len, &n, '"');
    if (len != 0)
        buf[n < len ? n : len - 1u] = '\0';
    return (int)n;
}
