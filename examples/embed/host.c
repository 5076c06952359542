/* examples/embed/host.c: a host program that embeds session-core's coordinator on its own
 * libuv loop (docs/embedding.md walks through it). It loads host.yaml, a table that declares
 * its own action (NotifyCrm), guard (IsVip) and event (CrmDone), binds the action and the
 * guard with user data, watches every run through an engine observer and the typed events
 * through the event bus, then calls itself on loopback: our outgoing call (uac) reaches our
 * own listener (uas), IsVip answers it, NotifyCrm runs when it is answered (asynchronously: it
 * suspends the run until the host's "CRM" answers and sets a session variable), a DTMF digit
 * goes over RTP from one leg to the other, and the host's CrmDone event hangs up. It prints what
 * happened and exits 0 when everything did.
 *
 * Build against the installed library:
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L host.c -o host $(pkg-config --cflags --libs sessioncore)
 * Run: ./host host.yaml */
#include <session_core/coord.h>
#include <session_core/events.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct host host;

/* The host's own state that the action gets as its user data: a CRM that answers
 * asynchronously (a timer stands for its network round trip). */
typedef struct crm {
    host *h;
    const char *name;                    /* which CRM this is */
    unsigned notified;                   /* NotifyCrm runs */
    uint64_t token;                      /* the suspended run waiting for the CRM's answer, or 0 */
    char session[SC_SESSION_ID_MAX + 1]; /* its session */
    uv_timer_t answer;                   /* the CRM's answer comes in on the loop */
} crm;

struct host {
    uv_loop_t loop;
    sc_coord *coord;
    sc_events_sub *sub;
    crm crm;
    const char *vip_user;               /* the guard's user data */
    char uac_id[SC_SESSION_ID_MAX + 1]; /* our outgoing call */
    uv_timer_t step;                    /* the next command, out of the callbacks */
    void (*next)(host *h);              /* what step runs */
    uv_timer_t deadline;                /* the whole example must be done by then */
    unsigned runs, media_started, dtmf, ended, ended_normal;
    int status; /* exit code */
};

/* ---- The table's own guard and action --------------------------------------------------------- */

/* IsVip: is the caller's user part the VIP user (ud)? */
static bool is_vip(const sc_exec *x)
{
    const char *vip = x->ud;
    const char *from = sc_session_field(x->session, SC_FIELD_REMOTE_URI);
    char want[128];
    snprintf(want, sizeof want, "sip:%s@", vip);
    bool yes = from && strncmp(from, want, strlen(want)) == 0;
    printf("guard IsVip: caller %s, vip user '%s' -> %s\n", from ? from : "?", vip, yes ? "true" : "false");
    return yes;
}

static void later(host *h, void (*fn)(host *h), uint64_t ms);
static void send_digit(host *h);

/* The CRM answered: the session's run goes on from NotifyCrm (0: the action succeeded; a
 * negative error would take the table's ActionFailed path). Outside any dispatch. */
static void on_crm_answer(uv_timer_t *t)
{
    crm *c = t->data;
    sc_session *s = sc_coord_session(c->h->coord, c->session);
    if (s) /* the CRM's ticket, kept with the session (inspection shows it as "variables") */
        sc_session_var_set(s, "crm_ticket", "T-1001");
    uint64_t token = c->token;
    c->token = 0;
    int rc = sc_engine_resume(sc_coord_engine(c->h->coord), token, 0);
    printf("crm %s answered for %s: resume %s, state now %s\n", c->name, c->session, rc ? sc_strerror(rc) : "ok",
           s ? sc_session_state_name(s) : "?");
    later(c->h, send_digit, 0);
}

/* The session went away while the CRM was asked (kill, shutdown): forget the answer. */
static void on_crm_cancel(void *ud)
{
    crm *c = ud;
    c->token = 0;
    uv_timer_stop(&c->answer);
}

/* NotifyCrm: tell the CRM (ud) that our call was answered. It runs inside the engine's
 * dispatch and must not block: it suspends the run (the session's later events wait in order,
 * other sessions go on) and returns; the answer resumes it (on_crm_answer). */
static int notify_crm(const sc_exec *x)
{
    crm *c = x->ud;
    c->notified++;
    printf("action NotifyCrm: crm=%s session=%s role=%s state=%s (run %u)\n", c->name, sc_session_id(x->session),
           sc_role_name(sc_session_role(x->session)), sc_session_state_name(x->session), c->notified);
    c->token = sc_exec_suspend(x, on_crm_cancel, c);
    if (!c->token)
        return -EINVAL;
    snprintf(c->session, sizeof c->session, "%s", sc_session_id(x->session));
    uv_timer_start(&c->answer, on_crm_answer, 20, 0);
    return 0; /* ignored: the answer decides */
}

/* ---- Steps, each in its own loop turn ----------------------------------------------------------- */

static void on_step(uv_timer_t *t)
{
    host *h = t->data;
    void (*fn)(host *) = h->next;
    h->next = NULL;
    if (fn)
        fn(h);
}

static void later(host *h, void (*fn)(host *h), uint64_t ms)
{
    h->next = fn;
    uv_timer_start(&h->step, on_step, ms, 0);
}

static void fail(host *h, const char *why)
{
    printf("FAILED: %s\n", why);
    h->status = 1;
    uv_stop(&h->loop);
}

static void send_digit(host *h)
{
    int rc = sc_coord_dtmf(h->coord, h->uac_id, "7");
    printf("command dtmf 7 on %s: %s\n", h->uac_id, rc ? sc_strerror(rc) : "ok");
    if (rc)
        fail(h, "dtmf");
}

static void crm_done(host *h)
{
    char ticket[32] = "";
    sc_session *s = sc_coord_session(h->coord, h->uac_id);
    if (!s || sc_session_var_get(s, "crm_ticket", ticket, sizeof ticket) < 0)
        fail(h, "no crm_ticket variable");
    printf("variable crm_ticket of %s: %s\n", h->uac_id, ticket);
    int rc = sc_coord_send_event(h->coord, h->uac_id, "CrmDone", 0, "crm");
    printf("event CrmDone to %s: %s\n", h->uac_id, rc ? sc_strerror(rc) : "taken");
    if (rc)
        fail(h, "CrmDone");
}

static void on_deadline(uv_timer_t *t) { fail(t->data, "not done within 10 s"); }

/* ---- Watching: an engine observer and a bus subscription ------------------------------------------ */

static const char *state_of(const sc_session *s, sc_id st)
{
    const sc_state_info *i = sc_table_state(sc_session_table(s), st);
    return i ? i->name : "?";
}

/* Every run of every session, taken or not. */
static void on_run(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    host *h = ud;
    (void)t; /* the row taken, NULL when none was */
    h->runs++;
    const char *ev = sc_vocab_name(sc_table_vocab(sc_session_table(s)), SC_VOCAB_EVENT, rec->event);
    printf("run: %s %s %s --%s--> %s (%s)\n", sc_role_name(sc_session_role(s)), sc_session_id(s),
           state_of(s, rec->from), ev ? ev : "?", state_of(s, rec->to), sc_outcome_name(rec->outcome));
}

/* The bus: typed events, delivered synchronously on the loop. */
static void on_bus(void *ud, const sc_bus_event *ev)
{
    host *h = ud;
    const char *role = ev->role == SC_EVENT_ROLE_UAC ? "uac" : ev->role == SC_EVENT_ROLE_UAS ? "uas" : "-";
    switch (ev->type) {
    case SC_EVT_MediaStarted:
        h->media_started++;
        printf("bus: MediaStarted %s codec=%s remote=%s\n", role, ev->u.media.codec, ev->u.media.remote);
        break;
    case SC_EVT_DtmfReceived:
        h->dtmf++;
        printf("bus: DtmfReceived %s digit=%c duration_ms=%d\n", role, ev->u.dtmf.digit, ev->u.dtmf.duration_ms);
        if (ev->role == SC_EVENT_ROLE_UAS && ev->u.dtmf.digit == '7')
            later(h, crm_done, 0);
        break;
    case SC_EVT_SessionEnded:
        h->ended++;
        if (!strcmp(ev->u.ended.outcome, "normal"))
            h->ended_normal++;
        printf("bus: SessionEnded %s outcome=%s state=%s\n", role, ev->u.ended.outcome, ev->state);
        if (h->ended == 2)
            uv_stop(&h->loop); /* both legs are done */
        break;
    default: {
        char *json = sc_bus_event_to_json(ev);
        printf("bus: %s\n", json ? json : sc_bus_event_type_name(ev->type));
        free(json);
    }
    }
}

/* ---- Setup and teardown ------------------------------------------------------------------------ */

static void log_line(void *ud, sc_log_level level, const char *module, const char *msg)
{
    (void)ud;
    fprintf(stderr, "%s %s: %s\n", sc_log_level_name(level), module, msg);
}

static int start(host *h, sc_table *table)
{
    static const sc_logger logger = {.log = log_line, .max_level = SC_LOG_WARN};
    sc_coord_binding bindings[] = {
        {.kind = SC_VOCAB_ACTION, .name = "NotifyCrm", .action = notify_crm, .ud = &h->crm},
        {.kind = SC_VOCAB_GUARD, .name = "IsVip", .guard = is_vip, .ud = (void *)h->vip_user},
    };
    sc_coord_config cfg;
    sc_coord_config_default(&cfg);
    cfg.loop = &h->loop;
    cfg.logger = &logger;
    cfg.table = table;
    cfg.listen[0] = "udp:127.0.0.1:0"; /* any free port */
    cfg.nlisten = 1;
    cfg.rtp_timeout_ms = 0;
    cfg.bindings = bindings;
    cfg.nbindings = sizeof bindings / sizeof bindings[0];
    int rc = sc_coord_new(&h->coord, &cfg);
    if (rc) {
        printf("sc_coord_new: %s\n", sc_strerror(rc));
        return rc;
    }
    sc_engine_observer obs = {.on_transition = on_run, .ud = h};
    rc = sc_engine_add_observer(sc_coord_engine(h->coord), &obs);
    if (rc < 0) {
        printf("sc_engine_add_observer: %s\n", sc_strerror(rc));
        return rc;
    }
    sc_events_sub_cfg sub = {.name = "host",
                             .callback = on_bus,
                             .ud = h,
                             .filter = {.types = SC_EVENT_BIT(SC_EVT_MediaStarted) | SC_EVENT_BIT(SC_EVT_DtmfReceived) |
                                                 SC_EVENT_BIT(SC_EVT_CallEstablished) |
                                                 SC_EVENT_BIT(SC_EVT_SessionEnded)}};
    rc = sc_coord_subscribe(h->coord, &sub, NULL, &h->sub);
    if (rc)
        printf("sc_coord_subscribe: %s\n", sc_strerror(rc));
    return rc;
}

static int call_ourselves(host *h)
{
    struct sockaddr_storage ss;
    if (sc_coord_listener_addr(h->coord, 0, &ss) != 0 || ss.ss_family != AF_INET)
        return -1;
    unsigned port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    char to[64], from[64];
    snprintf(to, sizeof to, "sip:crm@127.0.0.1:%u", port);
    snprintf(from, sizeof from, "sip:%s@127.0.0.1", h->vip_user);
    printf("listening on udp:127.0.0.1:%u; calling %s from %s\n", port, to, from);
    int rc = sc_coord_make_call(h->coord, to, from, h->uac_id, sizeof h->uac_id);
    if (rc)
        printf("sc_coord_make_call: %s\n", sc_strerror(rc));
    return rc;
}

int main(int argc, char **argv)
{
    static host h; /* zeroed */
    sc_vocab *vocab = NULL;
    sc_table *table = NULL;
    sc_diags *diags = NULL;
    if (argc < 2) {
        fprintf(stderr, "usage: %s TABLE.yaml\n", argv[0]);
        return 2;
    }
    h.crm = (crm){.h = &h, .name = "demo-crm"};
    h.vip_user = "vip";
    if (uv_loop_init(&h.loop) != 0 || sc_vocab_new(&vocab) != 0 || sc_diags_new(&diags) != 0)
        return 1;
    int rc = sc_table_load_file(&table, argv[1], vocab, diags);
    for (size_t i = 0; i < sc_diags_count(diags); i++) {
        char line[512];
        sc_diag_format(sc_diags_get(diags, i), line, sizeof line);
        printf("%s\n", line);
    }
    sc_diags_free(diags);
    if (rc) {
        printf("table %s: %s\n", argv[1], sc_strerror(rc));
        return 1;
    }
    uv_timer_init(&h.loop, &h.step);
    uv_timer_init(&h.loop, &h.deadline);
    uv_timer_init(&h.loop, &h.crm.answer);
    h.step.data = h.deadline.data = &h;
    h.crm.answer.data = &h.crm;
    uv_timer_start(&h.deadline, on_deadline, 10000, 0);
    if (start(&h, table) != 0 || call_ourselves(&h) != 0)
        h.status = 1;
    else
        uv_run(&h.loop, UV_RUN_DEFAULT); /* until both legs ended (or the deadline) */

    /* Teardown on the loop thread, outside every callback: the subscription, the coordinator
     * (it runs the loop until its handles are closed), our handles, then the loop. */
    sc_coord_unsubscribe(h.coord, h.sub);
    sc_coord_free(h.coord);
    uv_close((uv_handle_t *)&h.step, NULL);
    uv_close((uv_handle_t *)&h.deadline, NULL);
    uv_close((uv_handle_t *)&h.crm.answer, NULL);
    uv_run(&h.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&h.loop) != 0) {
        printf("FAILED: handles left open on the loop\n");
        h.status = 1;
    }
    sc_table_unref(table);
    sc_vocab_free(vocab);

    bool ok = h.status == 0 && h.crm.notified == 1 && h.media_started == 2 && h.dtmf == 1 && h.ended_normal == 2;
    printf("summary: NotifyCrm ran %u time(s) with crm=%s, MediaStarted %u, DtmfReceived %u, sessions ended "
           "normally %u of %u, runs observed %u: %s\n",
           h.crm.notified, h.crm.name, h.media_started, h.dtmf, h.ended_normal, h.ended, h.runs, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
