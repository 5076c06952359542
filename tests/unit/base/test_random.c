/* Tests for the buffered CSPRNG: hex identifiers are well formed and never repeat, requests
 * larger than the pool and across its refills are served, and the bytes are not a sequence a
 * peer could extend (no two consecutive 64-bit values in a fixed relation, as xorshift has). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/base.h"

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

static void test_hex_identifiers(void **state)
{
    (void)state;
    enum { N = 20000 };
    char(*ids)[17] = calloc(N, sizeof *ids);
    assert_non_null(ids);
    unsigned seen[16] = {0};
    for (size_t i = 0; i < N; i++) {
        sc_random_hex(ids[i], 16);
        assert_int_equal(strlen(ids[i]), 16);
        for (size_t k = 0; k < 16; k++) {
            const char *p = strchr("0123456789abcdef", ids[i][k]);
            assert_non_null(p);
            seen[p - "0123456789abcdef"]++;
        }
    }
    for (size_t d = 0; d < 16; d++) /* 20,000 per digit expected: every digit is used, none dominates */
        assert_in_range(seen[d], 18000, 22000);
    qsort(ids, N, sizeof *ids, cmp_str);
    for (size_t i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

static void test_odd_lengths_and_big_requests(void **state)
{
    (void)state;
    char h[8];
    sc_random_hex(h, 7);
    assert_int_equal(strlen(h), 7);
    sc_random_hex(h, 0);
    assert_string_equal(h, "");
    size_t n = 3 * 4096 + 17; /* spans several refills of the per-thread pool */
    unsigned char *a = calloc(1, n), *b = calloc(1, n);
    assert_non_null(a);
    assert_non_null(b);
    sc_random_bytes(a, n);
    sc_random_bytes(b, n);
    assert_memory_not_equal(a, b, n);
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++)
        zeros += a[i] == 0;
    assert_true(zeros < n / 64); /* about n/256 expected: the buffer was really filled */
    free(a);
    free(b);
}

static void test_no_linear_relation(void **state)
{
    (void)state;
    /* xorshift64*: x' = f(x) for a fixed f, so a peer that saw one value predicts the next.
     * Here the xor of consecutive values takes many different values. */
    uint64_t prev = sc_random_u64();
    unsigned same = 0;
    uint64_t first_delta = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t v = sc_random_u64();
        uint64_t d = v ^ prev;
        if (i == 0)
            first_delta = d;
        else if (d == first_delta)
            same++;
        prev = v;
    }
    assert_true(same < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_identifiers),
        cmocka_unit_test(test_odd_lengths_and_big_requests),
        cmocka_unit_test(test_no_linear_relation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
