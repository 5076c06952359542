/* cmd_simulate: `sessionctl simulate`: drives a table through the real engine on a manual
 * clock, with every action bound to a no-op and every guard to a settable constant, and
 * prints one line per transition: `seq from --Event[guards]/actions--> to (outcome)`. */
#include "sessionctl/cmd_simulate.h"
#include "sessionctl/cmd_table.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/coord.h"
#include "session_core/engine.h"

#define MAX_GUARDS 1024

typedef struct sim {
    sc_vocab *vocab;
    sc_table *table;
    bool guard_value[MAX_GUARDS]; /* by guard id */
    const char *store_url;        /* --store: record the run there (or NULL) */
    const char *session_id;       /* --id (default "simulated") */
    bool json;                    /* --json: one JSON object a line */
} sim;

static bool sim_guard(const sc_exec *x)
{
    const sim *s = x->ud;
    return x->call->id < MAX_GUARDS && s->guard_value[x->call->id];
}

static int sim_action(const sc_exec *x)
{
    (void)x;
    return 0;
}

static const char *state_name(const sc_table *t, sc_id id)
{
    const sc_state_info *si = sc_table_state(t, id);
    return si ? si->name : "?";
}

static void print_json_line(json_t *o)
{
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line)
        printf("%s\n", line);
    free(line);
    json_decref(o);
}

/* --json: {"type":"transition","seq","from","event","code","text","guards":[{name,negate,passed}],
 * "actions":[{name,result}],"to","outcome"}. */
static void print_record_json(const sim *s, const sc_table *tab, const sc_history_record *r)
{
    json_t *guards = json_array(), *actions = json_array();
    for (unsigned i = 0; i < r->nguards; i++)
        json_array_append_new(guards, json_pack("{s:s, s:b, s:b}", "name",
                                                sc_vocab_name(s->vocab, SC_VOCAB_GUARD, r->guards[i].id), "negate",
                                                r->guards[i].negate, "passed", r->guards[i].passed));
    for (unsigned i = 0; i < r->nactions; i++)
        json_array_append_new(actions, json_pack("{s:s, s:i}", "name",
                                                 sc_vocab_name(s->vocab, SC_VOCAB_ACTION, r->actions[i].id), "result",
                                                 (int)r->actions[i].result));
    print_json_line(json_pack("{s:s, s:I, s:s, s:s, s:i, s:s, s:o, s:o, s:s, s:s}", "type", "transition", "seq",
                              (json_int_t)r->seq, "from", state_name(tab, r->from), "event",
                              sc_vocab_name(s->vocab, SC_VOCAB_EVENT, r->event), "code", (int)r->event_code, "text",
                              r->event_text, "guards", guards, "actions", actions, "to", state_name(tab, r->to),
                              "outcome", sc_outcome_name(r->outcome)));
}

static void print_record(void *ud, sc_session *session, const sc_history_record *r, const sc_transition *t)
{
    (void)t;
    const sim *s = ud;
    const sc_table *tab = sc_session_table(session);
    if (s->json) {
        print_record_json(s, tab, r);
        return;
    }
    printf("%llu %s --%s", (unsigned long long)r->seq, state_name(tab, r->from),
           sc_vocab_name(s->vocab, SC_VOCAB_EVENT, r->event));
    if (r->event_code || r->event_text[0]) {
        printf("(%d", (int)r->event_code);
        if (r->event_text[0])
            printf(" %s", r->event_text);
        printf(")");
    }
    if (r->nguards) {
        printf("[");
        for (unsigned i = 0; i < r->nguards; i++)
            printf("%s%s%s=%s", i ? "," : "", r->guards[i].negate ? "!" : "",
                   sc_vocab_name(s->vocab, SC_VOCAB_GUARD, r->guards[i].id), r->guards[i].passed ? "pass" : "fail");
        printf("]");
    }
    if (r->nactions) {
        printf("/");
        for (unsigned i = 0; i < r->nactions; i++) {
            printf("%s%s", i ? "," : "", sc_vocab_name(s->vocab, SC_VOCAB_ACTION, r->actions[i].id));
            if (r->actions[i].result)
                printf("!%d", (int)r->actions[i].result);
        }
    }
    printf("--> %s (%s)\n", state_name(tab, r->to), sc_outcome_name(r->outcome));
}

static void on_publish(void *ud, sc_session *session, const char *name, int prio)
{
    const sim *s = ud;
    (void)session;
    static const char *const prios[] = {"low", "normal", "critical"};
    if (s->json) {
        print_json_line(json_pack("{s:s, s:s, s:s}", "type", "publish", "name", name, "priority",
                                  prio >= 0 && prio <= 2 ? prios[prio] : "?"));
        return;
    }
    printf("  publish %s (%s)\n", name, prio >= 0 && prio <= 2 ? prios[prio] : "?");
}

/* "Name=yes" / "Name=no" / "Name" (= yes); true/false, on/off, 1/0 with a warning. */
static int set_guard(sim *s, const char *arg)
{
    char name[128];
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    if (n == 0 || n >= sizeof name)
        return -EINVAL;
    memcpy(name, arg, n);
    name[n] = '\0';
    bool v = true;
    if (eq) {
        if (sctl_parse_bool("--guard", eq + 1, &v))
            return -EINVAL;
    }
    int id = sc_vocab_lookup(s->vocab, SC_VOCAB_GUARD, name);
    if (id < 0 || id >= MAX_GUARDS)
        return -ENOENT;
    s->guard_value[id] = v;
    return 0;
}

/* "Event[:code[:text]]" into ev; text points into buf. */
static int parse_event(const sim *s, const char *arg, char *buf, size_t size, sc_event *ev)
{
    snprintf(buf, size, "%s", arg);
    char *code = strchr(buf, ':');
    char *text = NULL;
    if (code) {
        *code++ = '\0';
        text = strchr(code, ':');
        if (text)
            *text++ = '\0';
    }
    int id = sc_vocab_lookup(s->vocab, SC_VOCAB_EVENT, buf);
    if (id < 0)
        return -ENOENT;
    memset(ev, 0, sizeof *ev);
    ev->type = (sc_id)id;
    if (code && *code) {
        char *end;
        long v = strtol(code, &end, 10);
        if (*end)
            return -EINVAL;
        ev->code = (int32_t)v;
    }
    ev->text = text;
    return 0;
}

static int bind_all(sc_engine *e, sim *s)
{
    for (size_t i = 0; i < sc_vocab_count(s->vocab, SC_VOCAB_GUARD); i++)
        if (sc_engine_bind_guard(e, sc_vocab_name(s->vocab, SC_VOCAB_GUARD, (sc_id)i), sim_guard, s))
            return -1;
    for (size_t i = 0; i < sc_vocab_count(s->vocab, SC_VOCAB_ACTION); i++)
        if (sc_engine_bind_action(e, sc_vocab_name(s->vocab, SC_VOCAB_ACTION, (sc_id)i), sim_action, s))
            return -1;
    return 0;
}

/* --store: a strict writer and the recorder on e, so the run lands in the store's log. */
typedef struct recording {
    sc_persist *p;
    sc_persist_writer *w;
    sc_coord_persist *rec;
} recording;

static int recording_start(recording *rc, sc_engine *e, const char *url)
{
    char err[256] = "";
    sc_persist_writer_config wc = {.durability = SC_PERSIST_STRICT};
    int r = sc_persist_open(&rc->p, url, NULL, err, sizeof err);
    if (!r)
        r = sc_persist_writer_new(&rc->w, rc->p, &wc);
    if (!r)
        r = sc_coord_persist_attach(e, rc->w, "sessionctl", 0, &rc->rec);
    if (r)
        fprintf(stderr, "sessionctl: store %s: %s\n", url, err[0] ? err : sc_strerror(r));
    return r;
}

/* Wait until everything is committed, then stop; returns 0 or the flush error. */
static int recording_stop(recording *rc)
{
    int r = 0;
    if (rc->w) {
        sc_persist_health h;
        sc_persist_writer_health(rc->w, &h);
        r = sc_persist_writer_flush_wait(rc->w, h.submitted_ticket, 10000);
        if (r)
            fprintf(stderr, "sessionctl: store: %s\n", sc_strerror(r));
    }
    sc_coord_persist_free(rc->rec);
    sc_persist_writer_free(rc->w);
    sc_persist_close(rc->p);
    return r;
}

static int run(sim *s, const char *file, sc_role role, char **events, int nevents)
{
    recording rc = {0};
    int status = 1;
    sc_diags *diags = NULL;
    sc_manual_clock *clk = NULL;
    sc_store *store = NULL;
    sc_engine *e = NULL;
    /* a recorded run is stamped with the real time, so that `events --since` finds it */
    if (sc_diags_new(&diags) || sc_manual_clock_new(&clk, 0, s->store_url ? sc_clock_wall_us(sc_clock_system()) : 0))
        goto out;
    int r = sc_table_load_file(&s->table, file, s->vocab, diags);
    sessionctl_print_diags(diags);
    if (r) {
        fprintf(stderr, "sessionctl: %s: %s\n", file, sc_strerror(r));
        goto out;
    }
    sc_store_config scfg = {.clock = sc_manual_clock_get(clk)};
    if (sc_store_new(&store, &scfg) || sc_engine_new(&e, s->vocab, store, NULL) || bind_all(e, s))
        goto out;
    if (sc_engine_set_table(e, s->table, diags)) {
        sessionctl_print_diags(diags);
        goto out;
    }
    sc_engine_observer obs = {.on_transition = print_record, .on_publish = on_publish, .ud = s};
    sc_engine_add_observer(e, &obs);
    if (s->store_url && recording_start(&rc, e, s->store_url))
        goto out;
    sc_session *session = NULL;
    if (sc_engine_create_session(e, role, s->session_id ? s->session_id : "simulated", &session))
        goto out;
    if (s->json)
        print_json_line(json_pack("{s:s, s:s, s:s, s:s}", "type", "start", "state", sc_session_state_name(session),
                                  "role", sc_role_name(role), "table", sc_table_name(s->table)));
    else
        printf("0 %s (%s, table %s)\n", sc_session_state_name(session), sc_role_name(role), sc_table_name(s->table));
    status = 0;
    for (int i = 0; i < nevents; i++) {
        char buf[512];
        sc_event ev;
        if (parse_event(s, events[i], buf, sizeof buf, &ev)) {
            fprintf(stderr, "sessionctl: unknown or malformed event '%s'\n", events[i]);
            status = 1;
            break;
        }
        r = sc_engine_dispatch(e, session, &ev, NULL);
        if (r != 0)
            status = 1;
    }
    if (s->json)
        print_json_line(json_pack("{s:s, s:s}", "type", "final", "state", sc_session_state_name(session)));
    else
        printf("final %s\n", sc_session_state_name(session));
out:
    if (recording_stop(&rc))
        status = 1;
    sc_engine_free(e);
    sc_store_free(store);
    sc_table_unref(s->table);
    sc_manual_clock_free(clk);
    sc_diags_free(diags);
    return status;
}

int sessionctl_cmd_simulate(const sctl_args *a)
{
    const char *file = a->pos[0], *role_name = sctl_opt_value(a, "role");
    sim *s = calloc(1, sizeof *s);
    int status = 2;
    if (!s || sc_vocab_new(&s->vocab)) {
        fprintf(stderr, "sessionctl: out of memory\n");
        goto out;
    }
    const char *g;
    for (int k = 0; (g = sctl_opt_nth(a, "guard", k)) != NULL; k++)
        if (set_guard(s, g)) {
            fprintf(stderr, "sessionctl simulate: bad --guard '%s' (want a guard name, =yes or =no)\n", g);
            goto out;
        }
    s->store_url = sctl_opt_value(a, "store");
    s->session_id = sctl_opt_value(a, "id");
    s->json = a->json;
    sc_role role;
    if (!role_name) {
        fprintf(stderr, "sessionctl simulate: --role uac|uas is required (see sessionctl simulate --help)\n");
        goto out;
    }
    if (sc_role_parse(role_name, &role) || role == SC_ROLE_ANY) {
        fprintf(stderr, "sessionctl: bad --role '%s' (uac or uas)\n", role_name);
        goto out;
    }
    status = run(s, file, role, (char **)(a->pos + 1), a->npos - 1);
out:
    if (s)
        sc_vocab_free(s->vocab);
    free(s);
    return status;
}
