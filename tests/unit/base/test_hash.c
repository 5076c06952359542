/* Tests for base hashing: FNV-1a test vectors, the finaliser, and the values the store's map,
 * the persist writer and table hashes had before they shared these functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/base.h"

static uint32_t h32(const char *s) { return sc_hash_fnv1a32(s, strlen(s)); }
static uint64_t h64(const char *s) { return sc_hash_fnv1a64(s, strlen(s)); }

static void test_fnv1a32_vectors(void **state)
{
    (void)state;
    assert_int_equal(h32(""), 0x811c9dc5u); /* the offset basis */
    assert_int_equal(h32("a"), 0xe40c292cu);
    assert_int_equal(h32("foobar"), 0xbf9cf968u);
    assert_int_equal(sc_hash_fnv1a32(NULL, 0), 0x811c9dc5u);
}

static void test_fnv1a64_vectors(void **state)
{
    (void)state;
    assert_true(h64("") == UINT64_C(0xcbf29ce484222325));
    assert_true(h64("a") == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(h64("foobar") == UINT64_C(0x85944171f73967e8));
}

static void test_bytes_not_strings(void **state)
{
    (void)state;
    const unsigned char bytes[] = {'a', 0, 0xff};
    assert_true(sc_hash_fnv1a64(bytes, 3) != sc_hash_fnv1a64(bytes, 1)); /* a NUL is data */
    assert_true(sc_hash_fnv1a64(bytes, 1) == h64("a"));
    assert_int_equal(sc_hash_fnv1a32(bytes + 2, 1), 0x7a0b824eu); /* high byte unsigned */
}

static void test_mix64(void **state)
{
    (void)state;
    assert_true(sc_hash_mix64(0) == 0);
    assert_true(sc_hash_mix64(1) == UINT64_C(0xb456bcfc34c2cb2c)); /* MurmurHash3 fmix64 */
    /* the store map's key hash (FNV-1a 64, then the finaliser), as it always was */
    assert_true(sc_hash_mix64(h64("call-1@example.com")) == UINT64_C(0x23bd9176ffa52245));
    assert_true(sc_hash_mix64(h64("")) == UINT64_C(0xefd01f60ba992926));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a32_vectors),
        cmocka_unit_test(test_fnv1a64_vectors),
        cmocka_unit_test(test_bytes_not_strings),
        cmocka_unit_test(test_mix64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
