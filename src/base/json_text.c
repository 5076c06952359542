/* json_text: bytes as a JSON string literal (RFC 8259), escaped the way jansson escapes, and
 * the lossless mapping of any bytes to valid UTF-8 text and back (bytes that are not UTF-8 as
 * private-use code points U+F780..U+F7FF), so that a Call-ID or tag with such bytes goes
 * through JSON, the stores and recovery unchanged. */
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

/* The sequence at u that stands as is in text: a valid UTF-8 sequence whose code point is not
 * one of ours (U+F780..U+F7FF); its length, or 0 when its bytes must be mapped one by one. */
static size_t text_len(const unsigned char *u, const unsigned char *end)
{
    size_t n = utf8_len(u, end);
    if (n == 3 && u[0] == 0xEF && (u[1] == 0x9E || u[1] == 0x9F))
        return 0;
    return n;
}

/* Byte b (0x80..0xFF) as the UTF-8 of U+F700 + b. */
static char *put_byte_cp(char *p, unsigned b)
{
    unsigned cp = 0xF700u + b;
    *p++ = (char)(0xE0 | (cp >> 12));
    *p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *p++ = (char)(0x80 | (cp & 0x3F));
    return p;
}

size_t sc_text_escape(char *out, size_t cap, const char *s, size_t len)
{
    if (len > (SIZE_MAX - 1) / 3 || cap < SC_TEXT_ESCAPED_MAX(len))
        return 0;
    const unsigned char *u = (const unsigned char *)s, *end = u + len;
    char *p = out;
    while (u < end) {
        if (*u < 0x80) {
            *p++ = (char)*u++;
            continue;
        }
        size_t n = text_len(u, end);
        if (n) {
            memcpy(p, u, n);
            p += n;
            u += n;
            continue;
        }
        size_t k = utf8_len(u, end); /* one of our code points in the input: each of its bytes */
        for (size_t i = 0; i < (k ? k : 1); i++)
            p = put_byte_cp(p, *u++);
    }
    *p = '\0';
    return (size_t)(p - out);
}

bool sc_text_is_plain(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s, *end = u + len;
    while (u < end) {
        size_t n = *u < 0x80 ? 1 : text_len(u, end);
        if (!n)
            return false;
        u += n;
    }
    return true;
}

size_t sc_text_unescape(char *out, size_t cap, const char *s, size_t len)
{
    if (cap < len + 1)
        return 0;
    const unsigned char *u = (const unsigned char *)s, *end = u + len;
    char *p = out;
    while (u < end) {
        if (end - u >= 3 && u[0] == 0xEF && (u[1] == 0x9E || u[1] == 0x9F) && (u[2] & 0xC0) == 0x80) {
            *p++ = (char)(((u[1] & 0x3F) << 6 | (u[2] & 0x3F)) - 0x700);
            u += 3;
        } else {
            *p++ = (char)*u++;
        }
    }
    *p = '\0';
    return (size_t)(p - out);
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
            size_t n = text_len(u, end);
            if (n) {
                memcpy(p, u, n);
                p += n;
                u += n;
            } else { /* not UTF-8, or one of our code points: byte by byte (sc_text_escape) */
                size_t k = utf8_len(u, end);
                for (size_t i = 0; i < (k ? k : 1); i++)
                    p = put_byte_cp(p, *u++);
            }
        }
    }
    *p++ = '"';
    return (size_t)(p - out);
}
