/* json_text: bytes as a JSON string literal (RFC 8259), escaped the way jansson escapes. */
#include "session_core/base.h"

#include <string.h>

#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

/* True when none of the 8 bytes in x needs escaping or UTF-8 checking (each is 0x20-0x7F and
 * neither '"' nor '\\'); may say false for a word that is plain (then it goes byte by byte). */
static bool plain8(uint64_t x)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t ctl = (x - ones * 0x20) & ~x; /* a byte < 0x20 sets its high bit */
    uint64_t quote = (q - ones) & ~q;      /* a zero byte: '"' */
    uint64_t bslash = (b - ones) & ~b;     /* a zero byte: '\\' */
    return ((ctl | quote | bslash | x) & high) == 0;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF), 0 if the bytes there are not one. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* The escape of an ASCII byte that cannot stand as is ('"', '\\', a control character). */
static char *put_escape(char *p, unsigned c)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson's "\\u%04X" */
    *p++ = '\\';
    switch (c) {
    case '"': *p++ = '"'; break;
    case '\\': *p++ = '\\'; break;
    case '\b': *p++ = 'b'; break;
    case '\f': *p++ = 'f'; break;
    case '\n': *p++ = 'n'; break;
    case '\r': *p++ = 'r'; break;
    case '\t': *p++ = 't'; break;
    default:
        p = LIT(p, "u00");
        *p++ = hex[c >> 4];
        *p++ = hex[c & 15];
    }
    return p;
}

size_t sc_json_quote(char *out, size_t cap, const char *s, size_t len)
{
    if (len > (SIZE_MAX - 2) / 6 || cap < SC_JSON_QUOTED_MAX(len))
        return 0;
    const unsigned char *u = (const unsigned char *)s, *end = u + len;
    char *p = out;
    *p++ = '"';
    while (u < end) {
        uint64_t x;
        while (end - u >= 8 && (memcpy(&x, u, 8), plain8(x))) {
            memcpy(p, u, 8);
            p += 8;
            u += 8;
        }
        if (u == end)
            break;
        unsigned c = *u;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *p++ = (char)c;
            u++;
        } else if (c < 0x80) {
            p = put_escape(p, c);
            u++;
        } else {
            size_t n = utf8_len(u, end);
            if (n) {
                memcpy(p, u, n);
                p += n;
                u += n;
            } else {
                p = LIT(p, "\\ufffd");
                u++;
            }
        }
    }
    *p++ = '"';
    return (size_t)(p - out);
}
