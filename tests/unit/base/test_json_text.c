/* Tests for base JSON strings: each escape (control characters, quote, backslash), UTF-8 as is,
 * bytes that are not UTF-8 as U+F700 + byte (lossless, with the round trip back), the room it needs, and the 8-byte fast path against a
 * byte-by-byte reference at every offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/base.h"

/* s (len bytes) quoted, NUL-terminated, in a static buffer. */
static const char *quote(const char *s, size_t len)
{
    static char out[SC_JSON_QUOTED_MAX(256) + 1];
    assert_true(len <= 256);
    size_t n = sc_json_quote(out, sizeof out, s, len);
    assert_true(n >= 2 && n <= SC_JSON_QUOTED_MAX(len));
    out[n] = '\0';
    return out;
}

#define Q(lit) quote((lit), sizeof(lit) - 1)

static void test_escapes(void **state)
{
    (void)state;
    assert_string_equal(Q(""), "\"\"");
    assert_string_equal(Q("plain text/ok"), "\"plain text/ok\"");
    assert_string_equal(Q("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_string_equal(Q("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
    /* other control characters: \u00XX in upper case, as jansson writes them */
    assert_string_equal(Q("\x01\x1f\x0b"), "\"\\u0001\\u001F\\u000B\"");
    assert_string_equal(Q("a\0b"), "\"a\\u0000b\""); /* a NUL within len */
    assert_string_equal(Q("\x7f"), "\"\x7f\"");      /* DEL is not escaped */
}

static void test_utf8_kept(void **state)
{
    (void)state;
    /* é, €, 😀 and U+10FFFF: 2, 3 and 4 bytes */
    const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
    char want[64];
    snprintf(want, sizeof want, "\"%s\"", s);
    assert_string_equal(quote(s, strlen(s)), want);
}

/* Bytes that are not UTF-8 become U+F700 + byte (EF 9E/9F xx): lossless, and valid text. */
static void test_bad_utf8_is_kept_losslessly(void **state)
{
    (void)state;
    assert_string_equal(Q("x\xff"), "\"x\xef\x9f\xbf\"");
    assert_string_equal(Q("\x80"), "\"\xef\x9e\x80\"");                                 /* lone continuation */
    assert_string_equal(Q("\xc0\xaf"), "\"\xef\x9f\x80\xef\x9e\xaf\"");                 /* overlong '/' */
    assert_string_equal(Q("\xed\xa0\x80"), "\"\xef\x9f\xad\xef\x9e\xa0\xef\x9e\x80\""); /* a surrogate */
    assert_string_equal(Q("ab\xe2\x82"), "\"ab\xef\x9f\xa2\xef\x9e\x82\"");             /* cut short */
    assert_string_equal(quote("\xc3\xa9", 1), "\"\xef\x9f\x83\"");                      /* cut by len */
    /* U+F7FF itself in the input: each of its bytes, so that the mapping stays one-to-one */
    assert_string_equal(Q("\xef\x9f\xbf"), "\"\xef\x9f\xaf\xef\x9e\x9f\xef\x9e\xbf\"");
}

/* escape then unescape gives the bytes back, for random bytes and for every byte value. */
static void test_text_round_trip(void **state)
{
    (void)state;
    char in[512], text[SC_TEXT_ESCAPED_MAX(512)], back[513];
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(round % 64) + 1;
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* mostly ASCII and UTF-8 lead/continuation bytes, some of our own code points */
            in[i] = (char)(round % 3 == 0 ? (x & 0xFF) : (x & 1) ? 0xEF : (0x80 | (x >> 8 & 0x3F)));
        }
        size_t n = sc_text_escape(text, sizeof text, in, len);
        assert_true(n > 0);
        size_t m = sc_text_unescape(back, sizeof back, text, n);
        assert_int_equal(m, len);
        assert_memory_equal(back, in, len);
    }
    for (int b = 1; b < 256; b++) {
        char one = (char)b;
        size_t n = sc_text_escape(text, sizeof text, &one, 1);
        assert_int_equal(sc_text_unescape(back, sizeof back, text, n), 1);
        assert_int_equal((unsigned char)back[0], b);
    }
    assert_true(sc_text_is_plain("caf\xc3\xa9", 5));
    assert_false(sc_text_is_plain("x\xff", 2));
    assert_int_equal(sc_text_escape(text, 3, "ab", 2), 0); /* needs 3 * len + 1 */
}

static void test_room(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(sc_json_quote(out, 8, "\x01", 1), 8); /* 6 * 1 + 2: just enough */
    memcpy(out, "xxxxxxxx", 8);
    assert_int_equal(sc_json_quote(out, 7, "a", 1), 0); /* needs room for the worst case */
    assert_memory_equal(out, "xxxxxxxx", 8);            /* nothing written */
    assert_int_equal(sc_json_quote(out, 2, "", 0), 2);
    assert_int_equal(sc_json_quote(out, 1, "", 0), 0);
    assert_int_equal(sc_json_quote(out, sizeof out, "x", SIZE_MAX / 2), 0);
}

/* One byte as the reference escapes it, for ASCII. */
static size_t ref_ascii(char *p, unsigned char c)
{
    switch (c) {
    case '"': return (size_t)sprintf(p, "\\\"");
    case '\\': return (size_t)sprintf(p, "\\\\");
    case '\b': return (size_t)sprintf(p, "\\b");
    case '\f': return (size_t)sprintf(p, "\\f");
    case '\n': return (size_t)sprintf(p, "\\n");
    case '\r': return (size_t)sprintf(p, "\\r");
    case '\t': return (size_t)sprintf(p, "\\t");
    default: return c < 0x20 ? (size_t)sprintf(p, "\\u%04X", c) : (size_t)sprintf(p, "%c", c);
    }
}

/* A special byte at every offset of a long plain string (the 8-byte path and its tail). */
static void test_fast_path_every_offset(void **state)
{
    (void)state;
    static const unsigned char special[] = {'"', '\\', '\n', 0x01, 0x1f, 0x7f, 0x20, 0x7e};
    for (size_t k = 0; k < sizeof special; k++) {
        for (size_t len = 1; len <= 40; len++) {
            for (size_t at = 0; at < len; at++) {
                char s[40], want[256];
                memset(s, 'a', len);
                s[at] = (char)special[k];
                size_t n = 0;
                want[n++] = '"';
                for (size_t i = 0; i < len; i++)
                    n += ref_ascii(want + n, (unsigned char)s[i]);
                want[n++] = '"';
                want[n] = '\0';
                assert_string_equal(quote(s, len), want);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_utf8_kept),
        cmocka_unit_test(test_bad_utf8_is_kept_losslessly),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_room),
        cmocka_unit_test(test_fast_path_every_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
