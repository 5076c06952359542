/* The registrar's binding table (src/coord/registrar_bind.c): AORs found and created, contacts
 * removed, expiry, and the stored JSON form read back (expired bindings dropped, garbage
 * refused) with the API's view of the seconds left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coord/registrar.h"

static void add(reg_table *t, reg_aor *a, const char *uri, int64_t expires_at, int q, const char *instance)
{
    reg_contact *c = &a->c[a->n++];
    c->uri = strdup(uri);
    c->expires_at = expires_at;
    c->q = q;
    c->instance = instance ? strdup(instance) : NULL;
    c->reg_id = instance ? 1 : 0;
    c->call_id = strdup("cid");
    c->cseq = 7;
    snprintf(c->source, sizeof c->source, "127.0.0.1:5062");
    t->contacts++;
}

static int count_gone;
static void gone(void *ud, reg_aor *a)
{
    count_gone++;
    if (!a->n)
        reg_remove_aor(ud, a);
}

static void test_table(void **state)
{
    (void)state;
    reg_table t;
    memset(&t, 0, sizeof t);
    assert_null(reg_find(&t, "bob"));
    reg_aor *a = reg_get(&t, "bob");
    assert_non_null(a);
    assert_ptr_equal(reg_get(&t, "bob"), a);
    add(&t, a, "sip:bob@127.0.0.1:5071", 1000, 500, NULL);
    add(&t, a, "sip:bob@127.0.0.1:5072", 2000, 1000, "<urn:uuid:1>");
    reg_aor *c = reg_get(&t, "carol");
    add(&t, c, "sip:carol@127.0.0.1:5080", 900, 1000, NULL);
    assert_int_equal(t.contacts, 3);
    assert_int_equal(reg_aor_latest(a), 2000);
    /* expiry at 1000: bob keeps one, carol is gone */
    count_gone = 0;
    reg_expire(&t, 1000, gone, &t);
    assert_int_equal(count_gone, 2);
    assert_int_equal(t.contacts, 1);
    assert_null(reg_find(&t, "carol"));
    assert_int_equal(a->n, 1);
    assert_string_equal(a->c[0].uri, "sip:bob@127.0.0.1:5072");

    /* stored form and back */
    json_t *j = reg_aor_json(a);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    reg_table u;
    memset(&u, 0, sizeof u);
    assert_int_equal(reg_aor_load(&u, text, 1500), 0);
    reg_aor *b = reg_find(&u, "bob");
    assert_non_null(b);
    assert_int_equal(b->n, 1);
    assert_string_equal(b->c[0].instance, "<urn:uuid:1>");
    assert_int_equal(b->c[0].reg_id, 1);
    assert_int_equal(b->c[0].cseq, 7);
    assert_string_equal(b->c[0].call_id, "cid");
    json_t *v = reg_aor_view(b, "pbx.test", 1500);
    assert_string_equal(json_string_value(json_object_get(v, "aor")), "sip:bob@pbx.test");
    json_t *c0 = json_array_get(json_object_get(v, "contacts"), 0);
    assert_int_equal(json_integer_value(json_object_get(c0, "expires")), 500);
    json_decref(v);
    /* loaded after its expiry: nothing */
    reg_table w;
    memset(&w, 0, sizeof w);
    assert_int_equal(reg_aor_load(&w, text, 2000), 0);
    assert_null(reg_find(&w, "bob"));
    assert_int_equal(w.contacts, 0);
    free(text);
    /* garbage */
    assert_int_equal(reg_aor_load(&w, "not json", 0), -EINVAL);
    assert_int_equal(reg_aor_load(&w, "{\"user\":\"\",\"contacts\":[]}", 0), -EINVAL);
    assert_int_equal(reg_aor_load(&w, "{\"user\":\"x\",\"contacts\":[{\"uri\":5}]}", 0), 0);
    assert_null(reg_find(&w, "x"));
    reg_remove_contact(&t, a, 0);
    assert_int_equal(t.contacts, 0);
    reg_table_free(&t);
    reg_table_free(&u);
    reg_table_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
