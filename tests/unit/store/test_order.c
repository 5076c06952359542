/* Listing by cursor (sc_store_page): creation order, pages that follow each other with no gap
 * or repeat, a cursor whose session was removed, filters with a bounded scan, holes squeezed
 * out after many removals. */
#include "unit/store/store_fixture.h"

static bool even(const sc_session *s, void *ud)
{
    (void)ud;
    return atoi(sc_session_id(s) + 1) % 2 == 0;
}

/* Walk every page of size limit; the ids seen, joined. */
static void walk(sf *f, size_t limit, sc_store_match_fn match, size_t scan_max, char *seen, size_t cap)
{
    uint64_t after = 0;
    seen[0] = '\0';
    sc_session *page[64];
    int guard = 0;
    do {
        uint64_t next;
        size_t n = sc_store_page(f->store, after, match, NULL, limit, scan_max, page, &next);
        assert_true(n <= limit);
        for (size_t i = 0; i < n; i++) {
            size_t used = strlen(seen);
            snprintf(seen + used, cap - used, "%s ", sc_session_id(page[i]));
        }
        after = next;
        assert_true(++guard < 1000);
    } while (after);
}

static void test_pages_in_creation_order(void **state)
{
    (void)state;
    sf *f = sf_new(8);
    char id[16], want[2048] = "", seen[2048];
    for (int i = 0; i < 25; i++) {
        snprintf(id, sizeof id, "s%d", i);
        sf_create(f, SC_ROLE_UAS, id);
        size_t used = strlen(want);
        snprintf(want + used, sizeof want - used, "%s ", id);
    }
    walk(f, 7, NULL, 0, seen, sizeof seen);
    assert_string_equal(seen, want);
    walk(f, 25, NULL, 0, seen, sizeof seen);
    assert_string_equal(seen, want);
    /* the last page says nothing follows */
    sc_session *page[64];
    uint64_t next = 1;
    assert_int_equal(sc_store_page(f->store, 0, NULL, NULL, 30, 0, page, &next), 25);
    assert_int_equal(next, 0);
    sf_free(f);
}

static void test_cursor_survives_removal(void **state)
{
    (void)state;
    sf *f = sf_new(8);
    char id[16];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "s%d", i);
        sf_create(f, SC_ROLE_UAS, id);
    }
    sc_session *page[8];
    uint64_t next;
    assert_int_equal(sc_store_page(f->store, 0, NULL, NULL, 3, 0, page, &next), 3);
    assert_string_equal(sc_session_id(page[2]), "s2");
    assert_int_equal(next, sc_session_order(page[2]));
    sc_store_remove(f->store, sc_store_get(f->store, "s2"));
    sc_store_remove(f->store, sc_store_get(f->store, "s3"));
    assert_int_equal(sc_store_page(f->store, next, NULL, NULL, 3, 0, page, &next), 3);
    assert_string_equal(sc_session_id(page[0]), "s4");
    assert_string_equal(sc_session_id(page[2]), "s6");
    sf_free(f);
}

static void test_filter_with_bounded_scan(void **state)
{
    (void)state;
    sf *f = sf_new(8);
    char id[16], want[2048] = "", seen[2048];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "s%d", i);
        sf_create(f, SC_ROLE_UAS, id);
        if (i % 2 == 0) {
            size_t used = strlen(want);
            snprintf(want + used, sizeof want - used, "%s ", id);
        }
    }
    /* a scan of 5 a page: pages may be short, the walk still sees every match once */
    walk(f, 4, even, 5, seen, sizeof seen);
    assert_string_equal(seen, want);
    sc_session *page[8];
    uint64_t next;
    assert_int_equal(sc_store_page(f->store, 0, even, NULL, 8, 5, page, &next), 3); /* s0 s2 s4 */
    assert_true(next != 0);
    sf_free(f);
}

static void test_many_removals(void **state)
{
    (void)state;
    sf *f = sf_new(8);
    char id[16], want[8192] = "", seen[8192];
    for (int i = 0; i < 500; i++) {
        snprintf(id, sizeof id, "s%d", i);
        sf_create(f, SC_ROLE_UAS, id);
    }
    for (int i = 0; i < 500; i++) {
        snprintf(id, sizeof id, "s%d", i);
        if (i % 10)
            sc_store_remove(f->store, sc_store_get(f->store, id));
        else {
            size_t used = strlen(want);
            snprintf(want + used, sizeof want - used, "%s ", id);
        }
    }
    walk(f, 9, NULL, 0, seen, sizeof seen);
    assert_string_equal(seen, want);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_in_creation_order),
        cmocka_unit_test(test_cursor_survives_removal),
        cmocka_unit_test(test_filter_with_bounded_scan),
        cmocka_unit_test(test_many_removals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
