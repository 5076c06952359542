/* fuzz_store_record: stored records as bytes, read back the way sessiond recovers after a
 * restart. The input is lines, each a record as a store holds it, tagged by its first byte:
 *   S<snapshot text>  a live session's snapshot (stored under the JSON's "id", else "fz")
 *   E<event text>     an event record of the last snapshot's session (seq: the JSON's "seq",
 *                     else the next one)
 *   R<binding text>   a registrar address of record as kept in the key-value store
 * The S and E lines go into a "memory:" store and through sc_coord_persist_recover on an
 * engine running tables/default.yaml (snapshot restore, table lookup by hash, replay of the
 * tail of events); the text fields of every recovered session are parsed as the coordinator
 * parses them to rebuild its dialog and media (recover_fields.c: RTP addresses, first hop,
 * where the INVITE went, codec); and every recovered session must snapshot the same way twice
 * (JSON and the recorder's text form), and restore again from its own snapshot to the same
 * snapshot. The R
 * lines go through reg_aor_load, whose result must store and load back the same. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord/recover.h"
#include "coord/registrar.h"
#include "persist/persist_int.h"
#include "session_core/coord.h"
#include "session_core/engine.h"
#include "session_core/persist.h"
#include "session_core/store.h"

#define NOW_US 1795780800000000LL /* 2026-11-27T12:00:00Z */
#define MAX_RECOVERED 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct world {
    sc_manual_clock *clk;
    sc_vocab *vocab;
    sc_store *store;
    sc_engine *engine;
    sc_table *table;
} world;

typedef struct recovered {
    sc_session *s[MAX_RECOVERED];
    size_t n;
} recovered;

static bool guard_no(const sc_exec *x)
{
    (void)x;
    return false;
}

static int action_ok(const sc_exec *x)
{
    (void)x;
    return 0;
}

static world *world_get(void)
{
    static world w;
    if (w.engine)
        return &w;
    sc_diags *d = NULL;
    sc_store_config sc = {0};
    if (sc_manual_clock_new(&w.clk, 1000000, NOW_US) || sc_vocab_new(&w.vocab) || sc_diags_new(&d))
        abort();
    sc.clock = sc_manual_clock_get(w.clk);
    if (sc_store_new(&w.store, &sc) || sc_engine_new(&w.engine, w.vocab, w.store, NULL))
        abort();
    if (sc_table_load_file(&w.table, SC_SOURCE_DIR "/tables/default.yaml", w.vocab, d))
        abort();
    for (size_t i = 0; i < sc_vocab_count(w.vocab, SC_VOCAB_GUARD); i++)
        sc_engine_bind_guard(w.engine, sc_vocab_name(w.vocab, SC_VOCAB_GUARD, (sc_id)i), guard_no, NULL);
    for (size_t i = 0; i < sc_vocab_count(w.vocab, SC_VOCAB_ACTION); i++)
        sc_engine_bind_action(w.engine, sc_vocab_name(w.vocab, SC_VOCAB_ACTION, (sc_id)i), action_ok, NULL);
    if (sc_engine_set_table(w.engine, w.table, d))
        abort();
    sc_diags_free(d);
    return &w;
}

static void on_recovered(sc_session *s, void *ud)
{
    recovered *r = ud;
    if (r->n < MAX_RECOVERED)
        r->s[r->n++] = s;
}

/* s's stored text fields as recovery reads them (recover_fields.c): what parses is usable. */
static void recover_fields(const sc_session *s)
{
    char host[64];
    uint16_t port = 0;
    const sc_field addrs[] = {SC_FIELD_LOCAL_RTP, SC_FIELD_REMOTE_RTP};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        if (sc_coord__recover_split_addr(sc_session_field(s, addrs[i]), host, sizeof host, &port) == 0 &&
            (!host[0] || !port))
            abort();
    sc_media_codec codec;
    int pt;
    if (sc_coord__recover_codec(s, &codec, &pt) &&
        (codec == SC_MEDIA_OPUS
             ? pt < 96 || pt > 127
             : (codec != SC_MEDIA_PCMU && codec != SC_MEDIA_PCMA && codec != SC_MEDIA_G722) || pt != -1))
        abort();
    sc_sip_dialog_state *d = sc_coord__recover_dialog_of(s);
    if (!d)
        return;
    struct sockaddr_storage a;
    if (sc_coord__recover_first_hop(d, &a) == 0 && a.ss_family != AF_INET && a.ss_family != AF_INET6)
        abort();
    sc_coord__recover_invite_dest(sc_session_field(s, SC_FIELD_INVITE_DEST), d);
    if (!memchr(d->route_set, '\0', sizeof d->route_set))
        abort();
    free(d);
}

/* s's snapshot (JSON) equals its text form, and restoring it gives the same snapshot again.
 * s is removed. */
static void check_session(world *w, sc_session *s)
{
    json_t *snap = NULL, *again = NULL;
    sc_buf b = {0};
    if (sc_session_snapshot_json(s, &snap) != 0)
        abort();
    if (sc_session_snapshot_text(s, NULL, &b) == 0) {
        json_t *t = json_loads(b.p, 0, NULL);
        if (!json_equal(t, snap))
            abort(); /* the recorder's text and the JSON snapshot disagree */
        json_decref(t);
    }
    sc_buf_free(&b);
    sc_engine_remove_session(w->engine, s, "fuzz");
    sc_session *back = NULL;
    if (sc_session_restore_json(w->engine, snap, NULL, &back) != 0)
        abort(); /* our own snapshot does not restore */
    if (sc_session_snapshot_json(back, &again) != 0 || !json_equal(snap, again))
        abort(); /* restore(snapshot(s)) is not s */
    sc_engine_remove_session(w->engine, back, "fuzz");
    json_decref(snap);
    json_decref(again);
}

static int drop(sc_session *s, void *ud)
{
    sc_engine_remove_session(ud, s, "fuzz");
    return 0;
}

/* A binding record: loaded, it stores and loads back the same. */
static void registrar_record(const char *text)
{
    reg_table t;
    memset(&t, 0, sizeof t);
    int64_t now = NOW_US / 1000000;
    if (reg_aor_load(&t, text, now) == 0) {
        json_t *root = json_loads(text, 0, NULL);
        reg_aor *a = reg_find(&t, json_string_value(json_object_get(root, "user")));
        json_decref(root);
        if (a) {
            json_t *j = reg_aor_json(a), *view = reg_aor_view(a, "example.com", now);
            char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
            reg_table t2;
            memset(&t2, 0, sizeof t2);
            if (s && reg_aor_load(&t2, s, now) == 0) {
                reg_aor *b = reg_find(&t2, a->user);
                json_t *j2 = b ? reg_aor_json(b) : NULL;
                if (!json_equal(j, j2))
                    abort(); /* a stored binding does not load back the same */
                json_decref(j2);
            }
            reg_table_free(&t2);
            free(s);
            json_decref(j);
            json_decref(view);
        }
    }
    reg_table_free(&t);
}

/* The snapshot's "id" (the key it is stored under), else "fz". */
static void snapshot_key(const char *text, char *id, size_t cap)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    const char *v = json_string_value(json_object_get(j, "id"));
    snprintf(id, cap, "%s", v && *v ? v : "fz");
    json_decref(j);
}

static uint64_t event_seq(const char *text, uint64_t next)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    json_t *v = json_object_get(j, "seq");
    uint64_t seq = json_is_integer(v) && json_integer_value(v) >= 0 ? (uint64_t)json_integer_value(v) : next;
    json_decref(j);
    return seq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    world *w = world_get();
    sc_persist *p = NULL;
    if (sc_persist_open(&p, "memory:", NULL, NULL, 0) != 0)
        return 0;
    char id[SC_SESSION_ID_MAX * 2] = "fz";
    uint64_t next = 1;
    for (size_t start = 0; start < size;) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size;
        char *line = malloc(end - start + 1);
        if (!line)
            break;
        memcpy(line, data + start, end - start);
        line[end - start] = '\0';
        if (line[0] == 'S') {
            snapshot_key(line + 1, id, sizeof id);
            sc_persist__save_text(p, id, line + 1, NULL, NULL, NOW_US);
            next = 1;
        } else if (line[0] == 'E') {
            uint64_t seq = event_seq(line + 1, next);
            sc_persist__append_text(p, id, seq, NOW_US, line + 1);
            next = seq + 1;
        } else if (line[0] == 'R') {
            registrar_record(line + 1);
        }
        free(line);
        start = end + 1;
    }
    recovered r = {.n = 0};
    sc_coord_persist_recover(w->engine, p, NULL, NULL, on_recovered, &r, NULL, NULL);
    for (size_t i = 0; i < r.n; i++) {
        recover_fields(r.s[i]);
        check_session(w, r.s[i]);
    }
    sc_store_foreach(w->store, drop, w->engine); /* past MAX_RECOVERED */
    sc_persist_close(p);
    return 0;
}
