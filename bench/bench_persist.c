/* bench_persist: calls per second through engine + recorder + persist writer for each backend
 * and durability, against the same engine with no recorder in the same run; recovery time of
 * 10,000 live sessions from SQLite; storage bytes per call. Cases alternate round by round
 * (SC_BENCH_ROUNDS, default 5) and each figure is the median of its rounds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "persist/persist_int.h"
#include "session_core/coord.h"

typedef struct rig {
    sc_vocab *vocab;
    sc_table *table;
    sc_store *store;
    sc_engine *engine;
} rig;

static int rig_init(rig *r, sc_vocab *vocab, sc_table *table)
{
    memset(r, 0, sizeof *r);
    r->vocab = vocab;
    r->table = table;
    if (sc_store_new(&r->store, NULL) || sc_engine_new(&r->engine, vocab, r->store, NULL))
        return -1;
    bench_bind_noops(r->engine, vocab);
    return sc_engine_set_table(r->engine, table, NULL);
}

static void rig_fini(rig *r)
{
    sc_engine_free(r->engine);
    sc_store_free(r->store);
}

/* One incoming call: created, rung, answered, established, hung up, removed. keep: leave it live. */
static const sc_id CALL[] = {SC_EV_IncomingCall, SC_EV_AcceptCall, SC_EV_DialogACK, SC_EV_MediaReady, SC_EV_HangupCall};

static int one_call(rig *r, size_t i, bool keep, size_t nev)
{
    char id[32];
    snprintf(id, sizeof id, "c%zu", i);
    sc_session *s;
    if (sc_engine_create_session(r->engine, SC_ROLE_UAS, id, &s))
        return -1;
    sc_session_set_field(s, SC_FIELD_CALL_ID, id);
    sc_session_set_field(s, SC_FIELD_REMOTE_URI, "sip:alice@127.0.0.1:5070");
    for (size_t k = 0; k < nev; k++)
        sc_engine_dispatch_simple(r->engine, s, CALL[k], 0, NULL);
    if (!keep)
        sc_engine_remove_session(r->engine, s, "bench");
    return 0;
}

/* Admission as the daemon does it: with the writer's queue over half full, new calls wait
 * (block admission) until it has drained to a quarter, so no op is ever refused. */
static void admit(sc_persist_writer *w)
{
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    if (h.queue_depth * 2 > h.queue_cap)
        sc_persist_writer_flush_wait(w, h.submitted_ticket - h.queue_cap / 4, -1);
}

/* Calls per second with a recorder on url/durability (url NULL: no recorder). */
static double run(sc_vocab *v, sc_table *t, const char *url, sc_persist_durability d, size_t calls,
                  double *bytes_per_call, const char *path)
{
    rig r;
    sc_persist *p = NULL;
    sc_persist_writer *w = NULL;
    sc_coord_persist *rec = NULL;
    char err[256] = "";
    if (rig_init(&r, v, t))
        return -1;
    if (url) {
        sc_persist_config pc = {.durability = d};
        sc_persist_writer_config wc = {.durability = d};
        if (sc_persist_open(&p, url, &pc, err, sizeof err) || sc_persist_wipe(p) || sc_persist_writer_new(&w, p, &wc) ||
            sc_coord_persist_attach(r.engine, w, "bench", 0, &rec)) {
            fprintf(stderr, "bench_persist: %s: %s\n", url, err);
            rig_fini(&r);
            sc_persist_close(p);
            return -1;
        }
    }
    double t0 = (bench_now_ns() / 1e9);
    for (size_t i = 0; i < calls; i++) {
        one_call(&r, i, false, 5);
        if (w && i % 64 == 63)
            admit(w);
    }
    if (w) { /* everything durable before the clock stops */
        sc_persist_health h;
        sc_persist_writer_health(w, &h);
        sc_persist_writer_flush_wait(w, h.submitted_ticket, -1);
        sc_persist_writer_health(w, &h);
        if (getenv("SC_BENCH_VERBOSE"))
            fprintf(stderr, "bench_persist: %s: %llu ops in %llu transactions\n", url,
                    (unsigned long long)h.committed_ops, (unsigned long long)h.committed_batches);
        if (h.rejected_ops)
            fprintf(stderr, "bench_persist: %s: %llu ops rejected (queue full)\n", url,
                    (unsigned long long)h.rejected_ops);
    }
    double dt = (bench_now_ns() / 1e9) - t0;
    sc_coord_persist_free(rec);
    sc_persist_writer_free(w);
    sc_persist_close(p);
    rig_fini(&r);
    if (bytes_per_call && path) {
        struct stat st;
        char wal[512];
        double total = stat(path, &st) == 0 ? (double)st.st_size : 0;
        snprintf(wal, sizeof wal, "%s-wal", path);
        if (stat(wal, &st) == 0)
            total += (double)st.st_size;
        *bytes_per_call = total / (double)calls;
    }
    return (double)calls / dt;
}

/* One recovery of the sessions in p into a fresh engine; its time in *secs. */
static int recover_once(sc_vocab *v, sc_table *t, sc_persist *p, double *secs, size_t *got)
{
    rig r2;
    if (rig_init(&r2, v, t))
        return -1;
    size_t failed = 0;
    double t0 = (bench_now_ns() / 1e9);
    int rc = sc_coord_persist_recover(r2.engine, p, "bench", NULL, NULL, NULL, got, &failed);
    *secs = (bench_now_ns() / 1e9) - t0;
    if (rc || failed)
        fprintf(stderr, "bench_persist: recovery: rc %d, %zu failed\n", rc, failed);
    rig_fini(&r2);
    return 0;
}

/* n live sessions written to sqlite, then recovered into a fresh engine twice, in an order
 * that alternates with the round: with the recorder's JSON parser (*secs) and with
 * json_loads only (*secs_base, the baseline: what recovery parsed with before). */
static int recovery(sc_vocab *v, sc_table *t, const char *path, size_t n, int round, double *secs, double *secs_base,
                    size_t *got)
{
    char url[512], err[256] = "";
    snprintf(url, sizeof url, "sqlite:%s", path);
    rig r;
    sc_persist *p = NULL;
    sc_persist_writer *w = NULL;
    sc_coord_persist *rec = NULL;
    sc_persist_config pc = {.durability = SC_PERSIST_BATCHED};
    sc_persist_writer_config wc = {.durability = SC_PERSIST_BATCHED};
    if (rig_init(&r, v, t) || sc_persist_open(&p, url, &pc, err, sizeof err) || sc_persist_wipe(p) ||
        sc_persist_writer_new(&w, p, &wc) || sc_coord_persist_attach(r.engine, w, "bench", 4, &rec)) {
        fprintf(stderr, "bench_persist: recovery setup: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < n; i++) { /* established calls: ring, answer, ACK, media (seq 1..5) */
        one_call(&r, i, true, 4);
        if (i % 64 == 63)
            admit(w);
    }
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    sc_persist_writer_flush_wait(w, h.submitted_ticket, -1);
    sc_persist_writer_health(w, &h);
    if (h.rejected_ops || h.committed_ops != h.submitted_ticket)
        fprintf(stderr, "bench_persist: recovery setup: %llu ops rejected, %llu of %llu committed\n",
                (unsigned long long)h.rejected_ops, (unsigned long long)h.committed_ops,
                (unsigned long long)h.submitted_ticket);
    sc_coord_persist_free(rec);
    sc_persist_writer_free(w);
    size_t got_base = 0;
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        bool base = (k + round) % 2 == 0;
        sc_persist__json_fast_off = base;
        rc = recover_once(v, t, p, base ? secs_base : secs, base ? &got_base : got);
    }
    sc_persist__json_fast_off = false;
    if (got_base != *got)
        fprintf(stderr, "bench_persist: recovery: %zu sessions, %zu with json_loads\n", *got, got_base);
    rig_fini(&r);
    sc_persist_close(p);
    return rc;
}

#define MAX_ROUNDS 31

/* The median of v[0..n), v left as it is. */
static double median(const double *v, size_t n)
{
    double tmp[MAX_ROUNDS];
    memcpy(tmp, v, n * sizeof *v);
    return bench_median(tmp, n);
}

static void rm_db(const char *path)
{
    char aux[512];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

int main(int argc, char **argv)
{
    size_t calls = argc > 1 ? (size_t)atol(argv[1]) : 20000;
    size_t nrec = argc > 2 ? (size_t)atol(argv[2]) : 10000; /* sessions recovered (0: skip) */
    const char *only = getenv("SC_BENCH_ONLY");             /* run only the cases whose name has this */
    const char *table_path = getenv("SC_BENCH_TABLE") ? getenv("SC_BENCH_TABLE") : "tables/default.yaml";
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    if (sc_vocab_new(&v) || sc_table_load_file(&t, table_path, v, NULL)) {
        fprintf(stderr, "bench_persist: cannot load %s (run from the source tree or set SC_BENCH_TABLE)\n", table_path);
        return 2;
    }
    char path[] = "/tmp/bench_persist_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 2;
    close(fd);
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s", path);
    size_t rounds = getenv("SC_BENCH_ROUNDS") ? (size_t)atol(getenv("SC_BENCH_ROUNDS")) : 5;
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 5;
    printf("calls: %zu, 5 events each (created + IncomingCall, AcceptCall, DialogACK, MediaReady, "
           "HangupCall + removal); %zu rounds, cases alternated within each round\n",
           calls, rounds);
    struct {
        const char *name, *url;
        sc_persist_durability d;
        bool sqlite;
    } cases[] = {
        {"no recorder (baseline)", NULL, SC_PERSIST_NONE, false},
        {"memory:", "memory:", SC_PERSIST_STRICT, false},
        {"sqlite strict", url, SC_PERSIST_STRICT, true},
        {"sqlite batched", url, SC_PERSIST_BATCHED, true},
        {"sqlite none", url, SC_PERSIST_NONE, true},
        {"redis strict", getenv("SC_BENCH_REDIS_URL"), SC_PERSIST_STRICT, false},
        {"redis batched", getenv("SC_BENCH_REDIS_URL"), SC_PERSIST_BATCHED, false},
        {"postgresql strict", getenv("SC_BENCH_PG_URL"), SC_PERSIST_STRICT, false},
        {"postgresql batched", getenv("SC_BENCH_PG_URL"), SC_PERSIST_BATCHED, false},
    };
    enum { NCASES = sizeof cases / sizeof cases[0] };
    double cps[NCASES][MAX_ROUNDS] = {{0}}, vs_mem[NCASES][MAX_ROUNDS] = {{0}}, bytes = 0;
    bool on[NCASES];
    for (size_t i = 0; i < NCASES; i++)
        on[i] = (i == 0 || i == 1 || cases[i].url) && (!only || i <= 1 || strstr(cases[i].name, only));
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < NCASES; i++) {
            if (!on[i])
                continue;
            if (cases[i].sqlite)
                rm_db(path);
            double bpc = 0;
            cps[i][r] = run(v, t, cases[i].url, cases[i].d, calls, cases[i].sqlite ? &bpc : NULL,
                            cases[i].sqlite ? path : NULL);
            if (cases[i].sqlite && cases[i].d == SC_PERSIST_STRICT)
                bytes = bpc;
        }
        for (size_t i = 0; i < NCASES; i++)
            vs_mem[i][r] = cps[1][r] > 0 ? cps[i][r] / cps[1][r] : 0;
    }
    printf("%-24s %12s %12s  %s\n", "case", "calls/s",
           "vs memory:", "(median of the rounds; per round: calls/s, ratio)");
    for (size_t i = 0; i < NCASES; i++) {
        if (!on[i])
            continue;
        printf("%-24s %12.0f %12.2f  (", cases[i].name, median(cps[i], rounds), median(vs_mem[i], rounds));
        for (size_t r = 0; r < rounds; r++)
            printf("%s%.0f %.2f", r ? ", " : "", cps[i][r], vs_mem[i][r]);
        printf(")\n");
    }
    printf("sqlite storage: %.0f bytes per call (file + WAL / calls, strict run)\n", bytes);
    rm_db(path);
    double secs[MAX_ROUNDS] = {0}, secs_base[MAX_ROUNDS] = {0}, ratio[MAX_ROUNDS] = {0};
    size_t got = 0, nr = rounds < 3 ? rounds : 3;
    for (size_t r = 0; nrec && r < nr; r++) {
        if (recovery(v, t, path, nrec, (int)r, &secs[r], &secs_base[r], &got))
            break;
        ratio[r] = secs_base[r] > 0 ? secs[r] / secs_base[r] : 0;
        rm_db(path);
    }
    if (nrec && got) {
        printf("recovery: %zu live sessions from sqlite in %.3f s (median of %zu; %.0f sessions/s)\n", got,
               median(secs, nr), nr, (double)got / median(secs, nr));
        printf("recovery baseline (json_loads for every document): %.3f s; ratio %.2f (per round:",
               median(secs_base, nr), median(ratio, nr));
        for (size_t r = 0; r < nr; r++)
            printf(" %.3f/%.3f", secs[r], secs_base[r]);
        printf(")\n");
    }
    rm_db(path);
    sc_table_unref(t);
    sc_vocab_free(v);
    return 0;
}
