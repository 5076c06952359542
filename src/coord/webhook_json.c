/* webhook_json: what a webhook is sent (the session as JSON) and what its answer may say
 * (checked before anything of it is used), plus the body's HMAC signature. */
#include "coord/webhooks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static int refuse(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && cap)
        vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -EBADMSG;
}

/* Same rule as the table's names: a letter or _, then letters, digits, _; at most 64. */
static bool event_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64 || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

/* One `set` entry into a->set[a->nset]. */
static int set_entry(sc_coord_hook_answer *a, const char *name, json_t *v, char *why, size_t cap)
{
    if (!sc_var_name_valid(name))
        return refuse(why, cap, "'set': invalid variable name '%.64s'", name);
    sc_coord_hook_var *e = &a->set[a->nset];
    char *num = a->num[a->nset];
    e->name = name;
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (json_string_length(v) > SC_VAR_VALUE_MAX || strlen(json_string_value(v)) != json_string_length(v))
            return refuse(why, cap, "'set': the value of '%.64s' is longer than %d bytes or holds a NUL", name,
                          SC_VAR_VALUE_MAX);
        e->value = json_string_value(v);
        break;
    case JSON_INTEGER:
        snprintf(num, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        e->value = num;
        break;
    case JSON_REAL:
        snprintf(num, 32, "%.17g", json_real_value(v));
        e->value = num;
        break;
    case JSON_TRUE: e->value = "true"; break;
    case JSON_FALSE: e->value = "false"; break;
    case JSON_NULL: e->value = NULL; break;
    default: return refuse(why, cap, "'set': the value of '%.64s' must be a string, number, boolean or null", name);
    }
    a->nset++;
    return 0;
}

static int check(sc_coord_hook_answer *a, bool guard, char *why, size_t cap)
{
    json_t *root = a->root;
    if (!json_is_object(root))
        return refuse(why, cap, "the answer is not a JSON object");
    json_t *r = json_object_get(root, "result");
    if (guard) {
        if (!json_is_boolean(r))
            return refuse(why, cap, "a guard's answer needs \"result\": true or false");
        a->result = json_is_true(r);
    }
    json_t *ev = json_object_get(root, "event");
    if (ev && !json_is_null(ev)) {
        if (!json_is_string(ev) || !event_name_ok(json_string_value(ev)))
            return refuse(why, cap, "'event' must be an event name");
        a->event = json_string_value(ev);
    }
    json_t *set = json_object_get(root, "set");
    if (!set || json_is_null(set))
        return 0;
    if (!json_is_object(set))
        return refuse(why, cap, "'set' must be an object of variables");
    if (json_object_size(set) > SC_VARS_MAX)
        return refuse(why, cap, "'set' names more than %d variables", SC_VARS_MAX);
    const char *name;
    json_t *v;
    json_object_foreach(set, name, v) {
        int rc = set_entry(a, name, v, why, cap);
        if (rc)
            return rc;
    }
    return 0;
}

int sc_coord__hook_answer_parse(const char *body, size_t len, bool guard, sc_coord_hook_answer *out, char *why,
                                size_t cap)
{
    if (why && cap)
        why[0] = '\0';
    if (out)
        memset(out, 0, sizeof *out);
    if (!out || (!body && len))
        return refuse(why, cap, "no answer");
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len) {
        if (guard)
            return refuse(why, cap, "a guard's answer is empty");
        return 0;
    }
    json_error_t err;
    out->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!out->root)
        return refuse(why, cap, "not JSON: %.80s (line %d, column %d)", err.text, err.line, err.column);
    int rc = check(out, guard, why, cap);
    if (rc) {
        json_decref(out->root);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

void sc_coord__hook_answer_free(sc_coord_hook_answer *a)
{
    if (!a)
        return;
    json_decref(a->root);
    a->root = NULL;
}

/* ---- What is sent ---------------------------------------------------------------------- */

static json_t *fields_json(const sc_session *s)
{
    json_t *o = json_object();
    for (int f = 0; o && f < SC_FIELD__COUNT; f++) {
        if (f == SC_FIELD_VARS || f == SC_FIELD_SRTP) /* vars apart; srtp holds keys */
            continue;
        const char *v = sc_session_field(s, (sc_field)f);
        if (v)
            json_object_set_new(o, sc_field_name((sc_field)f), json_string(v));
    }
    return o;
}

static json_t *vars_json(const sc_session *s)
{
    const char *text = sc_session_field(s, SC_FIELD_VARS);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (v && json_is_object(v))
        return v;
    json_decref(v);
    return json_object();
}

static json_t *name_or_null(const sc_vocab *v, sc_vocab_kind kind, sc_id id)
{
    const char *n = sc_vocab_name(v, kind, id);
    return n ? json_string(n) : json_null();
}

char *sc_coord__hook_payload(const sc_exec *x, const char *name, bool guard, size_t *len)
{
    const sc_session *s = x->session;
    const sc_table *t = sc_session_table(s);
    const sc_vocab *v = sc_table_vocab(t);
    const sc_transition *tr = x->transition;
    json_t *trj = tr ? json_object() : json_null();
    if (tr) {
        const sc_state_info *from = sc_table_state(t, tr->from);
        const sc_state_info *to = tr->to == SC_ID_NONE ? NULL : sc_table_state(t, tr->to);
        json_object_set_new(trj, "index", json_integer(tr->index));
        json_object_set_new(trj, "from", from ? json_string(from->name) : json_null());
        json_object_set_new(trj, "to", to ? json_string(to->name) : json_null());
        json_object_set_new(trj, "line", json_integer(tr->line));
    }
    const sc_event *ev = x->event;
    json_t *o = json_object();
    if (!o || !trj) {
        json_decref(o);
        json_decref(trj);
        return NULL;
    }
    json_object_set_new(o, "hook", json_string(name));
    json_object_set_new(o, "kind", json_string(guard ? "guard" : "action"));
    json_object_set_new(o, "session", json_string(sc_session_id(s)));
    json_object_set_new(o, "role", json_string(sc_role_name(sc_session_role(s))));
    json_object_set_new(o, "state", json_string(sc_session_state_name(s)));
    json_object_set_new(o, "event", ev ? name_or_null(v, SC_VOCAB_EVENT, ev->type) : json_null());
    json_object_set_new(o, "event_code", json_integer(ev ? ev->code : 0));
    json_object_set_new(o, "event_text", ev && ev->text ? json_string(ev->text) : json_null());
    json_object_set_new(o, "transition", trj);
    json_object_set_new(o, "fields", fields_json(s));
    json_object_set_new(o, "variables", vars_json(s));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text && len)
        *len = strlen(text);
    return text;
}

int sc_coord__hook_signature(const char *key, size_t keylen, const char *body, size_t len, char *out, size_t cap)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (cap < 96 || !HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)body, len, mac, &n) || n != 32)
        return -EIO;
    size_t used = (size_t)snprintf(out, cap, "X-Signature: sha256=");
    for (unsigned i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, cap - used, "%02x", mac[i]);
    return 0;
}
