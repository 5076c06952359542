/* bench_list: the cost of one page of the session listing (sc_store_page, behind GET /sessions)
 * as the number of sessions grows: a page of 100 from the middle of the creation order, with
 * no filter and with a filter that one session in two matches, in stores of 1,000 to 100,000
 * sessions (a tenth of them removed, so the order has holes). Prints µs per page and the ratio
 * of each size to the smallest: a flat listing stays near 1.
 * Usage: bench_list [PAGES_PER_SIZE]  (default 20000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "session_core/store.h"

static bool even_order(const sc_session *s, void *ud)
{
    (void)ud;
    return sc_session_order(s) % 2 == 0;
}

/* Median µs of `pages` pages of 100 after the middle session, over 5 runs. */
static double page_us(sc_store *st, uint64_t after, sc_store_match_fn match, long pages)
{
    sc_session *out[100];
    double v[5];
    for (int r = 0; r < 5; r++) {
        uint64_t next = 0;
        size_t got = 0;
        double t0 = bench_now_ns();
        for (long i = 0; i < pages; i++)
            got += sc_store_page(st, after, match, NULL, 100, 1600, out, &next);
        v[r] = (bench_now_ns() - t0) / 1e3 / (double)pages;
        if (!got)
            fprintf(stderr, "bench_list: an empty page\n");
    }
    return bench_median(v, 5);
}

int main(int argc, char **argv)
{
    long pages = argc > 1 ? atol(argv[1]) : 20000;
    static const size_t sizes[] = {1000, 10000, 30000, 100000};
    sc_vocab *vocab;
    sc_diags *diags;
    sc_table *table;
    if (sc_vocab_new(&vocab) || sc_diags_new(&diags))
        return 1;
    static const char yaml[] = "version: 1\nname: list\ninitial: Idle\nstates:\n  Idle: {}\n"
                               "  Terminated: {terminal: true}\ntransitions:\n"
                               "  - {role: any, from: Idle, event: HangupCall, to: Terminated}\n";
    if (sc_table_load_buffer(&table, "list.yaml", yaml, strlen(yaml), vocab, diags))
        return 1;
    double base_all = 0, base_half = 0;
    printf("%-10s %14s %10s %16s %10s\n", "sessions", "page (µs)", "vs 1,000", "filtered (µs)", "vs 1,000");
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        sc_store *st;
        if (sc_store_new(&st, NULL))
            return 1;
        uint64_t mid = 0;
        for (size_t i = 0; i < sizes[k]; i++) {
            sc_session *s;
            if (sc_store_create(st, table, SC_ROLE_UAS, NULL, &s))
                return 1;
            if (i == sizes[k] / 2)
                mid = sc_session_order(s);
        }
        /* a tenth removed, spread out: holes in the order */
        sc_session *out[100];
        uint64_t after = 0, next;
        size_t n, removed = 0;
        while ((n = sc_store_page(st, after, NULL, NULL, 100, 0, out, &next)) > 0) {
            for (size_t i = 0; i < n; i += 10, removed++)
                sc_store_remove(st, out[i]);
            if (!next)
                break;
            after = next;
        }
        double all = page_us(st, mid, NULL, pages), half = page_us(st, mid, even_order, pages);
        if (!k) {
            base_all = all;
            base_half = half;
        }
        printf("%-10zu %14.2f %10.2f %16.2f %10.2f\n", sizes[k], all, all / base_all, half, half / base_half);
        sc_store_free(st);
    }
    sc_table_unref(table);
    sc_diags_free(diags);
    sc_vocab_free(vocab);
    return 0;
}
