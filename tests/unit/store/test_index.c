/* Store container: create, get, secondary indexes, removal that clears every index entry,
 * iteration with removal, counts, fields and attachments. */
#include "unit/store/store_fixture.h"

static void test_create_and_get(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    sc_session *a = sf_create(f, SC_ROLE_UAS, NULL);
    const char *id = sc_session_id(a);
    assert_int_equal(strlen(id), 16);
    assert_int_equal(strspn(id, "0123456789abcdef"), 16);
    sc_session *b = sf_create(f, SC_ROLE_UAC, NULL);
    assert_string_not_equal(sc_session_id(a), sc_session_id(b));
    sc_session *c = sf_create(f, SC_ROLE_UAC, "call-1@host");
    assert_ptr_equal(sc_store_get(f->store, "call-1@host"), c);
    assert_ptr_equal(sc_store_get(f->store, id), a);
    assert_null(sc_store_get(f->store, "nope"));
    sc_session *x = NULL;
    assert_int_equal(sc_store_create(f->store, f->table, SC_ROLE_UAS, "call-1@host", &x), -EEXIST);
    assert_int_equal(sc_store_create(f->store, f->table, SC_ROLE_UAS, "bad id", &x), -EINVAL);
    assert_int_equal(sc_store_create(f->store, f->table, SC_ROLE_UAS, "", &x), -EINVAL);
    assert_int_equal(sc_store_create(f->store, f->table, SC_ROLE_ANY, NULL, &x), -EINVAL);
    assert_null(x);
    assert_int_equal(sc_store_count(f->store), 3);
    assert_string_equal(sc_session_state_name(a), "Idle");
    assert_int_equal(sc_session_role(b), SC_ROLE_UAC);
    assert_ptr_equal(sc_session_table(a), f->table);
    assert_string_equal(sc_session_field(a, SC_FIELD_TABLE_HASH), sc_table_hash(f->table));
    assert_int_equal(sc_session_created_wall_us(a), SF_T0_WALL);
    /* many sessions: the map grows and every one is still found */
    char idbuf[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(idbuf, sizeof idbuf, "s%d", i);
        sf_create(f, SC_ROLE_UAS, idbuf);
    }
    for (int i = 0; i < 1000; i += 7) {
        snprintf(idbuf, sizeof idbuf, "s%d", i);
        sc_session *s = sc_store_get(f->store, idbuf);
        assert_non_null(s);
        assert_string_equal(sc_session_id(s), idbuf);
    }
    assert_int_equal(sc_store_count(f->store), 1003);
    sf_free(f);
}

/* Generated ids rise (B-tree stores append them) and never repeat within a store; an id taken
 * by hand on the generator's way is skipped; two stores start at different places. */
static void test_generated_ids_rise(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    char prev[SC_SESSION_ID_MAX + 1] = "";
    sc_session *first = sf_create(f, SC_ROLE_UAS, NULL);
    snprintf(prev, sizeof prev, "%s", sc_session_id(first));
    /* the id the generator gives next, taken by hand first */
    unsigned long long v = strtoull(prev, NULL, 16) + 1;
    char taken[32];
    snprintf(taken, sizeof taken, "%016llx", v);
    sf_create(f, SC_ROLE_UAS, taken);
    for (int i = 0; i < 20000; i++) {
        sc_session *s = sf_create(f, SC_ROLE_UAC, NULL);
        const char *id = sc_session_id(s);
        assert_int_equal(strlen(id), 16);
        assert_int_equal(strspn(id, "0123456789abcdef"), 16);
        if (strcmp(id, prev) <= 0 || !strcmp(id, taken))
            fail_msg("id %s after %s (taken by hand: %s)", id, prev, taken);
        snprintf(prev, sizeof prev, "%s", id);
    }
    sf *g = sf_new(0);
    sc_session *other = sf_create(g, SC_ROLE_UAS, NULL);
    assert_string_not_equal(sc_session_id(other), sc_session_id(first));
    sf_free(g);
    sf_free(f);
}

static void test_remove_clears_every_index(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    sc_session *a = sf_create(f, SC_ROLE_UAS, "a");
    sc_session *b = sf_create(f, SC_ROLE_UAS, "b");
    char dk[128];
    sc_store_dialog_key(dk, sizeof dk, "cid-a", "lt", "rt");
    assert_string_equal(dk, "cid-a;lt;rt");
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, "cid-a", a), 0);
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, "cid-a", a), 0); /* same pair */
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, "cid-a", b), -EEXIST);
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, "cid-a2", a), 0);
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_DIALOG, dk, a), 0);
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_DIALOG, "cid-b;x;y", b), 0);
    assert_ptr_equal(sc_store_find(f->store, SC_KEY_CALL_ID, "cid-a"), a);
    assert_ptr_equal(sc_store_find(f->store, SC_KEY_CALL_ID, "cid-a2"), a);
    assert_ptr_equal(sc_store_find(f->store, SC_KEY_DIALOG, dk), a);
    assert_null(sc_store_find(f->store, SC_KEY_DIALOG, "cid-a")); /* kinds are separate */
    size_t before = sc_session_bytes(a);
    assert_int_equal(sc_store_index_remove(f->store, SC_KEY_CALL_ID, "cid-a2"), 0);
    assert_true(sc_session_bytes(a) < before);
    assert_null(sc_store_find(f->store, SC_KEY_CALL_ID, "cid-a2"));
    assert_int_equal(sc_store_index_remove(f->store, SC_KEY_CALL_ID, "cid-a2"), -ENOENT);
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, "cid-a2", a), 0);

    sc_store_remove(f->store, a);
    /* the lesson: every secondary key is gone with the session, not only the id */
    assert_null(sc_store_get(f->store, "a"));
    assert_null(sc_store_find(f->store, SC_KEY_CALL_ID, "cid-a"));
    assert_null(sc_store_find(f->store, SC_KEY_CALL_ID, "cid-a2"));
    assert_null(sc_store_find(f->store, SC_KEY_DIALOG, dk));
    assert_ptr_equal(sc_store_find(f->store, SC_KEY_DIALOG, "cid-b;x;y"), b);
    /* the key can be reused by another session */
    assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, "cid-a", b), 0);
    assert_int_equal(sc_store_count(f->store), 1);
    sf_free(f);
}

static int remove_odd(sc_session *s, void *ud)
{
    int *n = ud;
    const char *id = sc_session_id(s);
    if ((id[1] - '0') % 2)
        sc_store_remove(sc_session_store(s), s);
    (*n)++;
    return 0;
}

static int stop_at_three(sc_session *s, void *ud)
{
    (void)s;
    return ++*(int *)ud == 3 ? 42 : 0;
}

static void test_iterate_with_removal(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    char id[8];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "s%d", i);
        sc_session *s = sf_create(f, SC_ROLE_UAS, id);
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(sc_store_index_add(f->store, SC_KEY_CALL_ID, key, s), 0);
    }
    int visited = 0;
    assert_int_equal(sc_store_foreach(f->store, remove_odd, &visited), 0);
    assert_int_equal(visited, 10);
    assert_int_equal(sc_store_count(f->store), 5);
    assert_null(sc_store_find(f->store, SC_KEY_CALL_ID, "k3"));
    assert_non_null(sc_store_find(f->store, SC_KEY_CALL_ID, "k4"));
    visited = 0;
    assert_int_equal(sc_store_foreach(f->store, stop_at_three, &visited), 42);
    assert_int_equal(visited, 3);
    sf_free(f);
}

static int freed;
static void free_att(void *p)
{
    freed++;
    free(p);
}

static void test_fields_attachments_counts(void **state)
{
    (void)state;
    sf *f = sf_new(0);
    sc_session *a = sf_create(f, SC_ROLE_UAS, "a");
    sc_session *b = sf_create(f, SC_ROLE_UAS, "b");
    sf_create(f, SC_ROLE_UAS, "c");
    sc_manual_clock_advance(f->clk, 1500);
    assert_int_equal(sc_session_set_field(a, SC_FIELD_CALL_ID, "abc@host"), 0);
    assert_string_equal(sc_session_field(a, SC_FIELD_CALL_ID), "abc@host");
    assert_int_equal(sc_session_updated_wall_us(a), SF_T0_WALL + 1500);
    assert_int_equal(sc_session_set_field(a, SC_FIELD_CALL_ID, NULL), 0);
    assert_null(sc_session_field(a, SC_FIELD_CALL_ID));
    assert_int_equal(sc_session_set_field(a, SC_FIELD__COUNT, "x"), -EINVAL);
    sc_field fld;
    assert_int_equal(sc_field_parse("peer_id", &fld), 0);
    assert_int_equal(fld, SC_FIELD_PEER_ID);
    assert_string_equal(sc_field_name(SC_FIELD_REMOTE_TARGET), "remote_target");

    freed = 0;
    assert_int_equal(sc_session_set_attachment(a, SC_ATTACH_SIP, malloc(8), free_att), 0);
    assert_int_equal(sc_session_set_attachment(a, SC_ATTACH_MEDIA, malloc(8), free_att), 0);
    assert_int_equal(sc_session_set_attachment(a, SC_ATTACH_MEDIA, malloc(8), free_att), 0); /* replaces */
    assert_int_equal(freed, 1);
    void *mine = malloc(4);
    assert_int_equal(sc_session_set_attachment(b, SC_ATTACH_APP, mine, free_att), 0);
    assert_ptr_equal(sc_session_take_attachment(b, SC_ATTACH_APP), mine);
    free(mine);
    sc_store_remove(f->store, a);
    assert_int_equal(freed, 3);

    assert_int_equal(sc_session_set_state(b, (sc_id)sc_table_state_id(f->table, "Active")), 0);
    assert_int_equal(sc_session_set_state(b, 999), -EINVAL);
    assert_int_equal(sc_store_count_in_state(f->store, "Active"), 1);
    assert_int_equal(sc_store_count_in_state(f->store, "Idle"), 1);
    assert_int_equal(sc_store_count_in_state(f->store, "Ringing"), 0);
    assert_int_equal(sc_session_set_condition(b, SC_COND_MediaReady, true), 0);
    assert_true(sc_session_condition(b, SC_COND_MediaReady));
    assert_false(sc_session_condition(b, SC_COND_SdpNegotiated));
    assert_int_equal(sc_session_set_condition(b, 64, true), -EINVAL);
    sf_free(f); /* frees b and c, and their attachments */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_get),
        cmocka_unit_test(test_generated_ids_rise),
        cmocka_unit_test(test_remove_clears_every_index),
        cmocka_unit_test(test_iterate_with_removal),
        cmocka_unit_test(test_fields_attachments_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
