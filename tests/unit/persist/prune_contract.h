/* prune_contract: the event log's pruning (sc_persist_prune_events and the writer's
 * SC_PERSIST_OP_PRUNE), part of the storage contract: included by persist_contract.h, its
 * cases run against every backend through PRUNE_CONTRACT_CASES. */
#ifndef SC_TEST_PRUNE_CONTRACT_H
#define SC_TEST_PRUNE_CONTRACT_H

/* The store every prune case starts from (times in µs):
 *   live:  snapshot kept, events 1..3 at 900..902 (older than everything: passed over)
 *   dead:  snapshot deleted, events 1..5 at 1000..1004 (all due)
 *   fresh: snapshot deleted, events 1..2 at 5000..5001 (newer than the cutoff)
 *   mixed: snapshot deleted, event 1 at 1500 (due), event 2 at 6000 (not)
 *   never: no snapshot ever, event 1 at 1200 (due)
 * Due before 2000: dead's 5, mixed's 1, never's 1 = 7. */
#define PRUNE_CUTOFF 2000
#define PRUNE_DUE 7

static void prune_fixture(sc_persist *p)
{
    save_doc(p, "live", "up", "n1");
    save_doc(p, "dead", "up", "n1");
    save_doc(p, "fresh", "up", "n1");
    save_doc(p, "mixed", "up", "n1");
    for (uint64_t i = 1; i <= 5; i++) {
        if (i <= 3)
            append_doc(p, "live", i, 899 + (int64_t)i, NULL);
        append_doc(p, "dead", i, 999 + (int64_t)i, NULL);
        if (i <= 2)
            append_doc(p, "fresh", i, 4999 + (int64_t)i, NULL);
    }
    append_doc(p, "mixed", 1, 1500, NULL);
    append_doc(p, "mixed", 2, 6000, NULL);
    append_doc(p, "never", 1, 1200, NULL);
    assert_int_equal(sc_persist_delete(p, "dead"), 0);
    assert_int_equal(sc_persist_delete(p, "fresh"), 0);
    assert_int_equal(sc_persist_delete(p, "mixed"), 0);
}

static size_t events_of(sc_persist *p, const char *id)
{
    size_t n = 0;
    assert_int_equal(sc_persist_read_events(p, id, 0, count_events, &n), 0);
    return n;
}

/* What is left after everything due was pruned, seen by every reader. */
static void assert_pruned_state(sc_persist *p)
{
    assert_int_equal(events_of(p, "live"), 3);
    assert_int_equal(events_of(p, "dead"), 0);
    assert_int_equal(events_of(p, "fresh"), 2);
    assert_int_equal(events_of(p, "mixed"), 1);
    assert_int_equal(events_of(p, "never"), 0);
    seen_events s = {0};
    assert_int_equal(sc_persist_read_events(p, "mixed", 0, collect_events, &s), 0);
    assert_int_equal(s.seq[0], 2);
    memset(&s, 0, sizeof s);
    assert_int_equal(sc_persist_read_events_range(p, 0, 100000, collect_events, &s), 0);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.id[0], "live");
    assert_int_equal(s.wall[3], 5000);
    assert_int_equal(s.wall[5], 6000);
    memset(&s, 0, sizeof s);
    assert_int_equal(sc_persist_read_events_after(p, 0, 0, collect_events, &s), 0);
    assert_int_equal(s.n, 6);
    for (size_t i = 1; i < s.n; i++)
        assert_true(s.gseq[i] > s.gseq[i - 1]);
    memset(&s, 0, sizeof s);
    assert_int_equal(sc_persist_read_events_range(p, 0, PRUNE_CUTOFF, collect_events, &s), 0);
    assert_int_equal(s.n, 3); /* only the live session's old events */
    /* the sessions with nothing left are forgotten; live ones keep their snapshot */
    listed l = {0};
    assert_int_equal(sc_persist_list(p, SC_PERSIST_LIST_ALL, false, collect_ids, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.ids[0], "fresh");
    assert_string_equal(l.ids[1], "live");
    assert_string_equal(l.ids[2], "mixed");
    json_t *got = NULL;
    assert_int_equal(sc_persist_load(p, "live", &got, NULL), 0);
    json_decref(got);
}

static void test_prune_bounded_and_exact(void **state)
{
    sc_persist *p = *state;
    prune_fixture(p);
    uint64_t last = 0;
    append_doc(p, "other", 1, 9000, &last);
    size_t removed = 99;
    /* bounded: three per call, passing over the live session's older events */
    assert_int_equal(sc_persist_prune_events(p, PRUNE_CUTOFF, 3, &removed), 1);
    assert_int_equal(removed, 3);
    assert_int_equal(events_of(p, "live"), 3);
    assert_int_equal(sc_persist_prune_events(p, PRUNE_CUTOFF, 3, &removed), 1);
    assert_int_equal(removed, 3);
    int rc = sc_persist_prune_events(p, PRUNE_CUTOFF, 3, &removed);
    assert_true(rc == 0 || rc == 1);
    assert_int_equal(removed, 1);
    assert_int_equal(sc_persist_prune_events(p, PRUNE_CUTOFF, 3, &removed), 0);
    assert_int_equal(removed, 0);
    assert_int_equal(sc_persist_prune_events(p, PRUNE_CUTOFF, 0, NULL), 0); /* 0 = the default */
    /* "other" (live, no snapshot ever but newer) stays; pruning leaves the state exact */
    assert_int_equal(events_of(p, "other"), 1);
    uint64_t g = 0;
    append_doc(p, "dead", 6, 7000, &g); /* gseq never goes back */
    assert_true(g > last);
    assert_int_equal(sc_persist_prune_events(p, 7000, 100, &removed), 0);
    /* before 7000: fresh's 2, mixed's 1 (at 6000); dead's new one is at 7000: kept */
    assert_int_equal(removed, 3);
    assert_int_equal(events_of(p, "dead"), 1);
    assert_int_equal(events_of(p, "live"), 3);
    assert_int_equal(events_of(p, "other"), 1);
}

static void test_prune_in_one_call(void **state)
{
    sc_persist *p = *state;
    prune_fixture(p);
    size_t removed = 0;
    assert_int_equal(sc_persist_prune_events(p, PRUNE_CUTOFF, 1000, &removed), 0);
    assert_int_equal(removed, PRUNE_DUE);
    assert_pruned_state(p);
    /* a deleted session's snapshot saved again (a new call with the same id) keeps its events */
    save_doc(p, "mixed", "again", "n1");
    assert_int_equal(sc_persist_prune_events(p, 100000, 1000, &removed), 0);
    assert_int_equal(removed, 2); /* fresh's; live and mixed have a snapshot */
    assert_int_equal(events_of(p, "mixed"), 1);
    assert_int_equal(events_of(p, "live"), 3);
}

/* Through the writer: a prune op among others, bounded, its result in the health. */
static void test_writer_prune(void **state)
{
    sc_persist *p = *state;
    prune_fixture(p);
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.durability = SC_PERSIST_STRICT};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    uint64_t ticket = 0;
    json_t *rec = doc("{\"session\": \"w1\", \"n\": 1}");
    assert_int_equal(sc_persist_writer_append(w, "w1", 1, 100, rec, NULL), 0); /* old, no snapshot */
    assert_int_equal(sc_persist_writer_prune(w, PRUNE_CUTOFF, 5, NULL), 0);
    json_decref(rec);
    rec = doc("{\"session\": \"w1\", \"n\": 2}");
    assert_int_equal(sc_persist_writer_append(w, "w1", 2, 200, rec, &ticket), 0);
    json_decref(rec);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    assert_int_equal(h.prune_runs, 1);
    assert_int_equal(h.pruned_events, 5);
    assert_true(h.prune_more);
    assert_int_equal(h.prune_failed, 0);
    assert_int_equal(h.committed_ops, 3);
    size_t n = 0; /* the append after the prune is there (the one before: due, maybe gone) */
    assert_int_equal(sc_persist_read_events(p, "w1", 2, count_events, &n), 0);
    assert_int_equal(n, 1);
    sc_persist_text_op op = {.kind = SC_PERSIST_OP_PRUNE, .seq = 1000, .wall_us = PRUNE_CUTOFF};
    assert_int_equal(sc_persist_writer_submit_text(w, &op, &ticket), 0);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    sc_persist_writer_health(w, &h);
    assert_int_equal(h.prune_runs, 2);
    assert_int_equal(h.pruned_events, PRUNE_DUE + 2);
    assert_false(h.prune_more);
    op.seq = 0;
    assert_int_equal(sc_persist_writer_submit_text(w, &op, NULL), -EINVAL); /* max 0 */
    sc_persist_writer_free(w);
    assert_int_equal(events_of(p, "w1"), 0);
    assert_pruned_state(p);
}

#define PRUNE_CONTRACT_CASES \
    CONTRACT_CASE(test_prune_bounded_and_exact), CONTRACT_CASE(test_prune_in_one_call), CONTRACT_CASE(test_writer_prune)

#endif
