/* The SIP layer's hash index: lookups by key through growth, chain order of equal keys,
 * removal (idempotent), and that nodes keep working after the bucket array moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip/index.h"

typedef struct item {
    sip_hnode node;
    char key[32];
    int id;
} item;

#define N 5000

static item *find(sip_index *ix, const char *key, int after_id)
{
    uint64_t h = sip_hash(key);
    sip_hnode *head = sip_index_chain(ix, h);
    for (sip_hnode *n = head->next; n != head; n = n->next) {
        item *it = (item *)(void *)((char *)n - offsetof(item, node));
        if (n->hash == h && strcmp(it->key, key) == 0 && it->id > after_id)
            return it;
    }
    return NULL;
}

static void test_grow_find_delete(void **state)
{
    (void)state;
    static item items[N];
    sip_index ix;
    assert_int_equal(sip_index_init(&ix, 4), 0);
    for (int i = 0; i < N; i++) {
        items[i].id = i;
        snprintf(items[i].key, sizeof items[i].key, "k%d", i / 2); /* pairs share a key */
        sip_hnode_init(&items[i].node);
        assert_false(sip_hnode_linked(&items[i].node));
        sip_index_add(&ix, &items[i].node, items[i].key);
        assert_true(sip_hnode_linked(&items[i].node));
    }
    assert_int_equal(ix.n, N);
    assert_true(ix.nb >= N / 2); /* it grew */
    for (int i = 0; i < N; i += 2) {
        item *first = find(&ix, items[i].key, -1);
        assert_ptr_equal(first, &items[i]); /* insertion order kept through growth */
        assert_ptr_equal(find(&ix, items[i].key, i), &items[i + 1]);
    }
    assert_null(find(&ix, "nope", -1));
    for (int i = 0; i < N; i += 2)
        sip_index_del(&ix, &items[i].node);
    sip_index_del(&ix, &items[0].node); /* not indexed any more: no-op */
    assert_int_equal(ix.n, N / 2);
    for (int i = 0; i < N; i += 2)
        assert_ptr_equal(find(&ix, items[i].key, -1), &items[i + 1]);
    for (int i = 1; i < N; i += 2)
        sip_index_del(&ix, &items[i].node);
    assert_int_equal(ix.n, 0);
    for (size_t b = 0; b < ix.nb; b++)
        assert_ptr_equal(ix.buckets[b].next, &ix.buckets[b]);
    sip_index_fini(&ix);
    sip_index_fini(&ix); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_find_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
