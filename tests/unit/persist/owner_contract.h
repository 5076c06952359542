/* owner_contract: ownership in a cluster (sc_persist_owner_move, sc_persist_list_owned,
 * sc_persist_owners, fenced saves and deletes, the writer's fenced DELETE), part of the
 * storage contract: included by persist_contract.h, its cases run against every backend
 * through OWNER_CONTRACT_CASES. */
#ifndef SC_TEST_OWNER_CONTRACT_H
#define SC_TEST_OWNER_CONTRACT_H

#include <pthread.h>

static const char *owner_of(sc_persist *p, const char *id, char *buf, size_t cap)
{
    json_t *got = NULL;
    sc_persist_snapshot_info info;
    if (sc_persist_load(p, id, &got, &info) != 0)
        return NULL;
    json_decref(got);
    snprintf(buf, cap, "%s", info.node_id);
    return buf;
}

/* The state stored in id's snapshot ("" if none). */
static const char *state_in(sc_persist *p, const char *id, char *buf, size_t cap)
{
    json_t *got = NULL;
    buf[0] = '\0';
    if (sc_persist_load(p, id, &got, NULL) == 0)
        snprintf(buf, cap, "%s", state_of(got) ? state_of(got) : "");
    json_decref(got);
    return buf;
}

static void test_owner_move_once(void **state)
{
    sc_persist *p = *state;
    char b[64];
    save_doc(p, "s1", "talking", "n1/100");
    assert_int_equal(sc_persist_owner_move(p, "s1", "n1/100", "n2/200"), 0);
    assert_string_equal(owner_of(p, "s1", b, sizeof b), "n2/200");
    assert_string_equal(state_in(p, "s1", b, sizeof b), "talking"); /* the text is not rewritten */
    assert_int_equal(sc_persist_owner_move(p, "s1", "n1/100", "n3/300"), -EBUSY);
    assert_string_equal(owner_of(p, "s1", b, sizeof b), "n2/200");
    assert_int_equal(sc_persist_owner_move(p, "nope", "n1/100", "n2/200"), -ENOENT);
    assert_int_equal(sc_persist_owner_move(p, "s1", "n2/200", ""), -EINVAL);
    assert_int_equal(sc_persist_owner_move(p, "s1", NULL, "n2/200"), -EINVAL);
    assert_int_equal(sc_persist_owner_move(p, "", "n2/200", "n3/300"), -EINVAL);
    /* an unowned snapshot is adopted from "" */
    save_doc(p, "s2", "ringing", NULL);
    assert_int_equal(sc_persist_owner_move(p, "s2", "n1/100", "n2/200"), -EBUSY);
    assert_int_equal(sc_persist_owner_move(p, "s2", "", "n2/200"), 0);
    assert_string_equal(owner_of(p, "s2", b, sizeof b), "n2/200");
    /* a deleted snapshot has no owner to move */
    assert_int_equal(sc_persist_delete(p, "s1"), 0);
    assert_int_equal(sc_persist_owner_move(p, "s1", "n2/200", "n1/100"), -ENOENT);
    assert_int_equal(sc_persist_fenced_writes(p), 0);
}

#define RACE_N 200

typedef struct racer {
    sc_persist *h; /* its own handle */
    const char *to;
    pthread_barrier_t *go;
    int won, lost, other;
} racer;

static void *race_moves(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->go);
    for (int i = 0; i < RACE_N; i++) {
        char id[32];
        snprintf(id, sizeof id, "race-%03d", i);
        int rc = sc_persist_owner_move(r->h, id, "dead/1", r->to);
        if (rc == 0)
            r->won++;
        else if (rc == -EBUSY)
            r->lost++;
        else
            r->other++;
    }
    return NULL;
}

typedef struct owned_list {
    char ids[RACE_N + 16][32];
    bool data[RACE_N + 16];
    size_t n;
    int stop_at; /* > 0: return 7 at this call */
} owned_list;

static int collect_owned(const char *id, const json_t *snapshot, void *ud)
{
    owned_list *l = ud;
    assert_true(l->n < RACE_N + 16);
    snprintf(l->ids[l->n], sizeof l->ids[0], "%s", id);
    l->data[l->n] = snapshot != NULL;
    if (snapshot)
        assert_string_equal(json_string_value(json_object_get(snapshot, "id")), id);
    l->n++;
    return l->stop_at > 0 && (int)l->n == l->stop_at ? 7 : 0;
}

typedef struct owner_list {
    char node[8][64];
    size_t count[8];
    size_t n;
} owner_list;

static int collect_owner(const char *node, size_t sessions, void *ud)
{
    owner_list *l = ud;
    assert_true(l->n < 8);
    snprintf(l->node[l->n], sizeof l->node[0], "%s", node);
    l->count[l->n++] = sessions;
    return 0;
}

static owner_list owners_now(sc_persist *p)
{
    owner_list l;
    memset(&l, 0, sizeof l);
    assert_int_equal(sc_persist_owners(p, collect_owner, &l), 0);
    return l;
}

static size_t owned_count(sc_persist *p, const char *node)
{
    owned_list *l = calloc(1, sizeof *l);
    assert_non_null(l);
    assert_int_equal(sc_persist_list_owned(p, node, false, collect_owned, l), 0);
    size_t n = l->n;
    free(l);
    return n;
}

/* Two nodes take over one dead incarnation's sessions at once, each with its own handle:
 * every session is moved exactly once. */
static void test_owner_move_race(void **state)
{
    sc_persist *p = *state;
    json_t *j = json_object();
    for (int i = 0; i < RACE_N; i++) {
        char id[32];
        snprintf(id, sizeof id, "race-%03d", i);
        json_object_set_new(j, "id", json_string(id));
        assert_int_equal(sc_persist_save(p, id, j, "dead/1", "tbl-1"), 0);
    }
    json_decref(j);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    racer r[2] = {{.to = "a/1", .go = &go}, {.to = "b/1", .go = &go}};
    pthread_t t[2];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(sc_persist_open_same(&r[k].h, p, NULL, 0), 0);
        assert_int_equal(pthread_create(&t[k], NULL, race_moves, &r[k]), 0);
    }
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        sc_persist_close(r[k].h);
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(r[0].other + r[1].other, 0);
    assert_int_equal(r[0].won + r[1].won, RACE_N);
    assert_int_equal(r[0].lost + r[1].lost, RACE_N);
    assert_int_equal(owned_count(p, "a/1"), (size_t)r[0].won);
    assert_int_equal(owned_count(p, "b/1"), (size_t)r[1].won);
    assert_int_equal(owned_count(p, "dead/1"), 0);
    owner_list o = owners_now(p);
    size_t total = 0;
    for (size_t i = 0; i < o.n; i++) {
        assert_true(!strcmp(o.node[i], "a/1") || !strcmp(o.node[i], "b/1"));
        total += o.count[i];
    }
    assert_int_equal(total, RACE_N);
}

/* list_owned and owners follow saves, moves and deletes; an owner left with no snapshot
 * is no owner any more. */
static void test_list_owned_and_owners(void **state)
{
    sc_persist *p = *state;
    save_doc(p, "b", "up", "n1/1");
    save_doc(p, "a", "up", "n1/1");
    save_doc(p, "c", "up", "n2/1");
    save_doc(p, "d", "up", NULL);
    append_doc(p, "e", 1, 100, NULL); /* events only: no snapshot, no owner */
    owned_list *l = calloc(1, sizeof *l);
    assert_non_null(l);
    assert_int_equal(sc_persist_list_owned(p, "n1/1", true, collect_owned, l), 0);
    assert_int_equal(l->n, 2);
    assert_string_equal(l->ids[0], "a");
    assert_string_equal(l->ids[1], "b");
    assert_true(l->data[0] && l->data[1]);
    memset(l, 0, sizeof *l);
    assert_int_equal(sc_persist_list_owned(p, "n1/1", false, collect_owned, l), 0);
    assert_int_equal(l->n, 2);
    assert_false(l->data[0] || l->data[1]);
    memset(l, 0, sizeof *l);
    l->stop_at = 1;
    assert_int_equal(sc_persist_list_owned(p, "n1/1", false, collect_owned, l), 7);
    assert_int_equal(l->n, 1);
    memset(l, 0, sizeof *l);
    assert_int_equal(sc_persist_list_owned(p, "", true, collect_owned, l), 0); /* the unowned */
    assert_int_equal(l->n, 1);
    assert_string_equal(l->ids[0], "d");
    assert_int_equal(owned_count(p, "nobody"), 0);

    owner_list o = owners_now(p);
    assert_int_equal(o.n, 2);
    assert_string_equal(o.node[0], "n1/1");
    assert_int_equal(o.count[0], 2);
    assert_string_equal(o.node[1], "n2/1");
    assert_int_equal(o.count[1], 1);

    assert_int_equal(sc_persist_owner_move(p, "c", "n2/1", "n1/1"), 0);
    o = owners_now(p);
    assert_int_equal(o.n, 1); /* n2/1 has none left */
    assert_string_equal(o.node[0], "n1/1");
    assert_int_equal(o.count[0], 3);
    memset(l, 0, sizeof *l);
    assert_int_equal(sc_persist_list_owned(p, "n1/1", false, collect_owned, l), 0);
    assert_int_equal(l->n, 3);
    assert_string_equal(l->ids[2], "c");

    save_doc(p, "a", "ended", "n1/1"); /* a save by the owner keeps it listed once */
    assert_int_equal(owned_count(p, "n1/1"), 3);
    assert_int_equal(sc_persist_delete_owned(p, "a", "n1/1"), 0);
    assert_int_equal(sc_persist_delete(p, "b"), 0);
    o = owners_now(p);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.count[0], 1);
    assert_int_equal(sc_persist_delete_owned(p, "c", "n1/1"), 0);
    o = owners_now(p);
    assert_int_equal(o.n, 0);
    assert_int_equal(owned_count(p, "n1/1"), 0);
    assert_int_equal(owned_count(p, ""), 1);
    save_doc(p, "d", "up", "n3/1"); /* an unowned snapshot is taken by a save */
    assert_int_equal(owned_count(p, ""), 0);
    o = owners_now(p);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.node[0], "n3/1");
    free(l);
}

/* A save or delete by a node that does not own the snapshot changes nothing and is counted;
 * one without a node is not fenced. */
static void test_fenced_save_and_delete(void **state)
{
    sc_persist *p = *state;
    char b[64];
    save_doc(p, "f", "mine", "A/1");
    save_doc(p, "f", "stale", "B/1"); /* returns 0: fenced is no error */
    assert_string_equal(state_in(p, "f", b, sizeof b), "mine");
    assert_string_equal(owner_of(p, "f", b, sizeof b), "A/1");
    assert_int_equal(sc_persist_fenced_writes(p), 1);
    assert_int_equal(sc_persist_delete_owned(p, "f", "B/1"), -EBUSY);
    assert_string_equal(state_in(p, "f", b, sizeof b), "mine");
    assert_int_equal(sc_persist_fenced_writes(p), 2);
    assert_int_equal(owned_count(p, "A/1"), 1);
    assert_int_equal(owned_count(p, "B/1"), 0);
    save_doc(p, "f", "again", "A/1"); /* the owner's own save */
    assert_string_equal(state_in(p, "f", b, sizeof b), "again");
    save_doc(p, "f", "bare", NULL); /* no node: replaces, and the snapshot is nobody's */
    assert_string_equal(state_in(p, "f", b, sizeof b), "bare");
    assert_string_equal(owner_of(p, "f", b, sizeof b), "");
    save_doc(p, "f", "taken", "B/1");
    assert_string_equal(owner_of(p, "f", b, sizeof b), "B/1");
    assert_int_equal(sc_persist_delete_owned(p, "f", "A/1"), -EBUSY);
    assert_int_equal(sc_persist_fenced_writes(p), 3);
    assert_int_equal(sc_persist_delete_owned(p, "f", "B/1"), 0);
    assert_int_equal(sc_persist_delete_owned(p, "f", "B/1"), -ENOENT);
    save_doc(p, "g", "any", "A/1");
    assert_int_equal(sc_persist_delete_owned(p, "g", NULL), 0); /* no node: whoever owns it */
    save_doc(p, "u", "unowned", NULL);
    assert_int_equal(sc_persist_delete_owned(p, "u", "A/1"), 0); /* nobody's: anyone may */
    assert_int_equal(sc_persist_fenced_writes(p), 3);
}

/* Through the writer (a batch: on Redis the script results come back with EXEC): a queued
 * save and delete of a node that lost the session to another are fenced and counted in the
 * health; the owner's own delete goes through. */
static void test_writer_fenced_ops(void **state)
{
    sc_persist *p = *state;
    char b[64];
    save_doc(p, "w1", "A-state", "A/1");
    save_doc(p, "w2", "A-state", "A/1");
    save_doc(p, "w3", "B-state", "B/1");
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.durability = SC_PERSIST_STRICT};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    json_t *j = doc("{\"id\": \"w1\", \"state\": \"stale\"}");
    uint64_t ticket = 0;
    assert_int_equal(sc_persist_writer_save(w, "w1", j, "B/1", "tbl-1", NULL), 0);
    json_decref(j);
    assert_int_equal(sc_persist_writer_delete_owned(w, "w2", "B/1", NULL), 0);
    assert_int_equal(sc_persist_writer_delete_owned(w, "w3", "B/1", NULL), 0);
    assert_int_equal(sc_persist_writer_delete_owned(w, "gone", "B/1", &ticket), 0);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    assert_int_equal(h.fenced_writes, 2);
    assert_int_equal(h.failed_batches, 0);
    assert_string_equal(state_in(p, "w1", b, sizeof b), "A-state");
    assert_string_equal(state_in(p, "w2", b, sizeof b), "A-state");
    assert_string_equal(state_in(p, "w3", b, sizeof b), "");
    assert_int_equal(sc_persist_writer_delete(w, "w1", &ticket), 0); /* no node: not fenced */
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    sc_persist_writer_health(w, &h);
    assert_int_equal(h.fenced_writes, 2);
    sc_persist_writer_free(w);
    assert_string_equal(state_in(p, "w1", b, sizeof b), "");
    assert_int_equal(sc_persist_fenced_writes(p), 0); /* the writer has its own handle */
}

#define OWNER_CONTRACT_CASES                                                                   \
    CONTRACT_CASE(test_owner_move_once), CONTRACT_CASE(test_owner_move_race),                  \
        CONTRACT_CASE(test_list_owned_and_owners), CONTRACT_CASE(test_fenced_save_and_delete), \
        CONTRACT_CASE(test_writer_fenced_ops)

#endif
