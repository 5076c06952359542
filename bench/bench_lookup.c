/* bench_lookup: cost of sc_table_lookup() against table size. Generates tables of 10 to
 * 100,000 rows in memory (many states x many events), loads them, and times lookups of random
 * (state, event) keys, rounds interleaved over the sizes; a flat curve is the proof of O(1).
 * Prints the ratio largest/smallest and max/min over all sizes.
 * Usage: bench_lookup [LOOKUPS_PER_RUN] [RUNS]  (default 4000000 7) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "session_core/table.h"

/* Events used for generated rows: the built-in ones that no validation rule treats specially. */
static const sc_id EVENTS[] = {SC_EV_MakeCall,
                               SC_EV_IncomingCall,
                               SC_EV_AcceptCall,
                               SC_EV_RejectCall,
                               SC_EV_HoldCall,
                               SC_EV_ResumeCall,
                               SC_EV_SendDTMF,
                               SC_EV_BridgeSessions,
                               SC_EV_UnbridgeSessions,
                               SC_EV_BlindTransfer,
                               SC_EV_StartAttendedTransfer,
                               SC_EV_CompleteAttendedTransfer,
                               SC_EV_CancelAttendedTransfer,
                               SC_EV_Dialog100Trying,
                               SC_EV_Dialog180Ringing,
                               SC_EV_Dialog183SessionProgress,
                               SC_EV_Dialog200OK,
                               SC_EV_DialogACK,
                               SC_EV_DialogCANCEL,
                               SC_EV_DialogReINVITE,
                               SC_EV_DialogReINVITEAccepted,
                               SC_EV_DialogReINVITERejected,
                               SC_EV_DialogREFER,
                               SC_EV_DialogNOTIFY,
                               SC_EV_DialogINFO,
                               SC_EV_DialogUPDATE,
                               SC_EV_Dialog3xx,
                               SC_EV_Dialog4xx,
                               SC_EV_Dialog5xx,
                               SC_EV_Dialog6xx,
                               SC_EV_Dialog487RequestTerminated,
                               SC_EV_DialogTimeout,
                               SC_EV_MediaReady,
                               SC_EV_MediaError,
                               SC_EV_DtmfReceived,
                               SC_EV_RtpTimeout,
                               SC_EV_TransferRequested,
                               SC_EV_TransferAccepted,
                               SC_EV_TransferProgress,
                               SC_EV_TransferSucceeded,
                               SC_EV_TransferFailed,
                               SC_EV_ReplacesReceived,
                               SC_EV_PeerAnswered,
                               SC_EV_PeerRejected,
                               SC_EV_PeerHangup,
                               SC_EV_PeerHold,
                               SC_EV_PeerResume};
#define NEVENTS (sizeof EVENTS / sizeof EVENTS[0])

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            exit(1);
    }
}

/* About `rows` rows: states x events (events per state <= NEVENTS) plus three wildcard exits. */
static char *generate(const sc_vocab *v, size_t rows, size_t *nstates_out, size_t *per_state_out)
{
    size_t per = rows < NEVENTS ? rows : NEVENTS;
    size_t nstates = (rows + per - 1) / per;
    buf b = {malloc(1024), 0, 1024};
    put(&b, "version: 1\nname: gen%zu\ninitial: S0\nstates:\n", rows);
    for (size_t i = 0; i < nstates; i++)
        put(&b, "  S%zu: {}\n", i);
    put(&b, "  Terminated: {terminal: true}\n  Failed: {terminal: true}\ntransitions:\n");
    size_t made = 0;
    for (size_t i = 0; i < nstates; i++)
        for (size_t j = 0; j < per && made < rows; j++, made++)
            put(&b, "  - {role: any, from: S%zu, event: %s, to: S%zu}\n", i,
                sc_vocab_name(v, SC_VOCAB_EVENT, EVENTS[j]), (i + j + 1) % nstates);
    put(&b, "  - {role: any, from: '*', event: HangupCall, to: Terminated}\n"
            "  - {role: any, from: '*', event: DialogBYE, to: Terminated}\n"
            "  - {role: any, from: '*', event: DialogError, to: Failed}\n");
    *nstates_out = nstates;
    *per_state_out = per;
    return b.p;
}

#define NKEYS 65536
#define NSIZES 5

/* One generated table and its keys. */
typedef struct sized {
    sc_table *t;
    size_t nstates;
    double load_ms;
    sc_id kstate[NKEYS], kevent[NKEYS];
} sized;

/* Load the table of about `rows` rows and draw its keys; 0 or 1 (reported). */
static int prepare(sc_vocab *v, size_t rows, sized *z)
{
    size_t per;
    char *yaml = generate(v, rows, &z->nstates, &per);
    sc_diags *d;
    sc_diags_new(&d);
    double l0 = bench_now_ns();
    int r = sc_table_load_buffer(&z->t, "generated", yaml, strlen(yaml), v, d);
    z->load_ms = (bench_now_ns() - l0) / 1e6;
    free(yaml);
    if (r) {
        char line[512];
        sc_diag_format(sc_diags_get(d, 0), line, sizeof line);
        fprintf(stderr, "bench_lookup: generated table of %zu rows: %s: %s\n", rows, sc_strerror(r), line);
        sc_diags_free(d);
        return 1;
    }
    sc_diags_free(d);
    unsigned seed = 12345;
    /* the last state has only the rows left over: its first `last` events */
    size_t last = rows - (z->nstates - 1) * per;
    for (size_t k = 0; k < NKEYS; k++) { /* random accepted keys, spread over the table */
        seed = seed * 1103515245u + 12345u;
        z->kstate[k] = (sc_id)((seed >> 8) % z->nstates);
        seed = seed * 1103515245u + 12345u;
        z->kevent[k] = EVENTS[(seed >> 8) % (z->kstate[k] == z->nstates - 1 ? last : per)];
    }
    return 0;
}

/* ns per lookup over `lookups` lookups of z's keys; *found counts what they returned. */
static double time_lookups(const sized *z, long lookups, size_t *found)
{
    double t0 = bench_now_ns();
    for (long i = 0; i < lookups; i++) {
        size_t n;
        size_t k = (size_t)i & (NKEYS - 1);
        const sc_transition *const *rows = sc_table_lookup(z->t, SC_ROLE_UAS, z->kstate[k], z->kevent[k], &n);
        *found += n + (rows != NULL);
    }
    return (bench_now_ns() - t0) / (double)lookups;
}

int main(int argc, char **argv)
{
    long lookups = argc > 1 ? atol(argv[1]) : 4000000;
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    static const size_t sizes[NSIZES] = {10, 100, 1000, 10000, 100000};
    double results[NSIZES];
    sc_vocab *v;
    if (sc_vocab_new(&v))
        return 1;
    sized *z = calloc(NSIZES, sizeof *z);
    double *v_ns = calloc((size_t)runs * NSIZES, sizeof *v_ns);
    size_t found[NSIZES] = {0};
    if (!z || !v_ns)
        return 1;
    for (size_t si = 0; si < NSIZES; si++)
        if (prepare(v, sizes[si], &z[si]))
            return 1;
    /* rounds interleaved over the sizes, so that a change of load on a shared machine hits
     * them alike and the ratio compares sizes under the same conditions */
    for (int rr = 0; rr < runs; rr++)
        for (size_t si = 0; si < NSIZES; si++)
            v_ns[si * (size_t)runs + (size_t)rr] = time_lookups(&z[si], lookups, &found[si]);
    printf("%10s %8s %12s %14s\n", "rows", "states", "load ms", "ns/lookup");
    for (size_t si = 0; si < NSIZES; si++) {
        results[si] = bench_median(v_ns + si * (size_t)runs, (size_t)runs);
        printf("%10zu %8zu %12.1f %14.2f%s\n", sc_table_transition_count(z[si].t), z[si].nstates, z[si].load_ms,
               results[si], found[si] ? "" : " (nothing found!)");
        sc_table_unref(z[si].t);
    }
    double lo = results[0], hi = results[0];
    for (size_t si = 1; si < NSIZES; si++) {
        lo = results[si] < lo ? results[si] : lo;
        hi = results[si] > hi ? results[si] : hi;
    }
    printf("rounds           %d x %ld lookups per size, interleaved over the sizes, median reported\n", runs, lookups);
    printf("ratio largest/smallest  %.2f\n", results[NSIZES - 1] / results[0]);
    printf("ratio max/min (all sizes) %.2f\n", hi / lo);
    free(v_ns);
    free(z);
    sc_vocab_free(v);
    return 0;
}
