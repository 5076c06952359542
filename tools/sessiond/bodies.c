/* bodies: parses and validates the JSON bodies of the HTTP API's POST endpoints (bodies.h),
 * with the messages of their 400 answers; nothing here runs a command. */
#include "bodies.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sd_body_object(const char *body, size_t len, json_t **out, char *err, size_t cap)
{
    *out = NULL;
    if (len == 0) {
        *out = json_object();
        return *out ? 0 : -ENOMEM;
    }
    json_error_t e;
    json_t *j = json_loadb(body, len, 0, &e);
    if (!j || !json_is_object(j)) {
        if (j)
            snprintf(err, cap, "body must be a JSON object");
        else
            snprintf(err, cap, "body is not JSON: %s (line %d column %d)", e.text, e.line, e.column);
        json_decref(j);
        return -EINVAL;
    }
    *out = j;
    return 0;
}

static bool sip_uri_string(const json_t *v) /* sip: or sips: (TLS) */
{
    return json_is_string(v) &&
           (!strncmp(json_string_value(v), "sip:", 4) || !strncmp(json_string_value(v), "sips:", 5));
}

/* Given and not null. */
static bool given(const json_t *v) { return v && !json_is_null(v); }

/* "targets": a list of 1..SC_COORD_MAX_TARGETS sip: URI strings. */
static int call_targets(json_t *list, sd_call_body *out)
{
    size_t i;
    json_t *v;
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > SC_COORD_MAX_TARGETS)
        return -1;
    json_array_foreach(list, i, v) {
        if (!sip_uri_string(v))
            return -1;
        out->targets[i] = json_string_value(v);
    }
    out->ntargets = json_array_size(list);
    return 0;
}

static int trunk_call(json_t *trunk, json_t *to, json_t *from, sd_call_body *out, const char **err)
{
    if (!json_is_string(trunk) || !json_string_length(trunk)) {
        *err = "\"trunk\" must be the name of a trunk";
        return -EINVAL;
    }
    if (!json_is_string(to) || !json_string_length(to)) {
        *err = "\"to\" must be a SIP URI (sip:user@host) or a user at the trunk (sip:user, user)";
        return -EINVAL;
    }
    if (given(from) && !sip_uri_string(from)) {
        *err = "\"from\" must be a SIP URI string when given";
        return -EINVAL;
    }
    out->trunk = json_string_value(trunk);
    out->to = json_string_value(to);
    out->from = json_is_string(from) ? json_string_value(from) : NULL;
    return 0;
}

int sd_call_body_parse(json_t *b, sd_call_body *out, const char **err)
{
    memset(out, 0, sizeof *out);
    json_t *to = json_object_get(b, "to"), *from = json_object_get(b, "from"), *proxy = json_object_get(b, "proxy");
    json_t *trunk = json_object_get(b, "trunk"), *targets = json_object_get(b, "targets");
    if (given(trunk))
        return trunk_call(trunk, to, from, out, err);
    if (!sip_uri_string(to)) {
        *err = "\"to\" must be a SIP URI string (sip:user@host:port)";
    } else if (given(from) && !sip_uri_string(from)) {
        *err = "\"from\" must be a SIP URI string when given";
    } else if (given(proxy) &&
               (!json_is_string(proxy) ||
                (strncmp(json_string_value(proxy) + (json_string_value(proxy)[0] == '<'), "sip:", 4) != 0 &&
                 strncmp(json_string_value(proxy) + (json_string_value(proxy)[0] == '<'), "sips:", 5) != 0))) {
        *err = "\"proxy\" must be a SIP URI string when given (sip:host:port)";
    } else if (given(targets) && call_targets(targets, out) != 0) {
        *err = "\"targets\" must be a list of 1 to 16 SIP URI strings when given";
    } else {
        out->to = json_string_value(to);
        out->from = json_is_string(from) ? json_string_value(from) : NULL;
        out->proxy = json_is_string(proxy) ? json_string_value(proxy) : NULL;
        return 0;
    }
    out->ntargets = 0;
    return -EINVAL;
}

int sd_reject_body_parse(json_t *b, int *code, const char **err)
{
    json_t *jc = json_object_get(b, "code");
    json_int_t c = jc && json_is_integer(jc) ? json_integer_value(jc) : 486;
    if ((jc && !json_is_integer(jc)) || c < 400 || c > 699) {
        *err = "\"code\" must be an integer 400..699";
        return -EINVAL;
    }
    *code = (int)c;
    return 0;
}

int sd_dtmf_body_parse(json_t *b, const char **digits, const char **err)
{
    const char *d = json_string_value(json_object_get(b, "digits"));
    if (!d || !*d || strspn(d, "0123456789*#ABCDabcd") != strlen(d)) {
        *err = "\"digits\" must be a non-empty string of 0-9 * # A-D";
        return -EINVAL;
    }
    *digits = d;
    return 0;
}

int sd_bridge_body_parse(json_t *b, const char **with, const char **err)
{
    const char *w = json_string_value(json_object_get(b, "with"));
    if (!w || !*w) {
        *err = "\"with\" must be another session's id";
        return -EINVAL;
    }
    *with = w;
    return 0;
}

int sd_transfer_body_parse(json_t *b, sd_transfer_body *out, const char **err)
{
    json_t *jmode = json_object_get(b, "mode"), *jt = json_object_get(b, "target"), *jc = json_object_get(b, "consult");
    const char *mode = jmode ? json_string_value(jmode) : "blind";
    const char *target = given(jt) ? json_string_value(jt) : NULL;
    const char *consult = given(jc) ? json_string_value(jc) : NULL;
    memset(out, 0, sizeof *out);
    if (!mode || (strcmp(mode, "blind") != 0 && strcmp(mode, "attended") != 0)) {
        *err = "\"mode\" must be \"blind\" or \"attended\"";
        return -EINVAL;
    }
    if ((given(jt) && !target) || (given(jc) && !consult)) {
        *err = "\"target\" and \"consult\" must be strings";
        return -EINVAL;
    }
    if (target && strncmp(target, "sip:", 4) != 0) {
        *err = "\"target\" must be a SIP URI (sip:user@host:port)";
        return -EINVAL;
    }
    out->attended = !strcmp(mode, "attended");
    if (!out->attended && !target) {
        *err = "a blind transfer needs \"target\"";
        return -EINVAL;
    }
    if (out->attended && consult && target) {
        *err = "give either \"consult\" (complete) or \"target\" (start a consultation), not both";
        return -EINVAL;
    }
    out->target = target;
    out->consult = consult;
    return 0;
}

int sd_health_body_parse(json_t *b, sd_health_body *out, const char **err)
{
    out->check = json_string_value(json_object_get(b, "check"));
    out->reason = json_string_value(json_object_get(b, "reason"));
    out->ok = json_is_true(json_object_get(b, "ok"));
    if (!out->check) {
        *err = "body: {\"check\": NAME, \"ok\": bool, \"reason\": TEXT}";
        return -EINVAL;
    }
    return 0;
}

int sd_event_body_parse(json_t *b, sd_event_body *out, const char **err)
{
    memset(out, 0, sizeof *out);
    json_t *vars = json_object_get(b, "variables"), *code = json_object_get(b, "code"),
           *text = json_object_get(b, "text");
    if ((given(code) &&
         (!json_is_integer(code) || json_integer_value(code) < INT32_MIN || json_integer_value(code) > INT32_MAX)) ||
        (given(text) && !json_is_string(text))) {
        *err = "\"code\" must be a 32-bit integer and \"text\" a string";
        return -EINVAL;
    }
    if (given(vars) && !json_is_object(vars)) {
        *err = "\"variables\" must be an object of strings";
        return -EINVAL;
    }
    if (given(vars) && json_object_size(vars) > SD_EVENT_VARS_MAX) {
        *err = "at most 32 variables";
        return -EINVAL;
    }
    const char *name;
    json_t *v;
    json_object_foreach(given(vars) ? vars : NULL, name, v) {
        if (!json_is_string(v) || json_string_length(v) > SC_VAR_VALUE_MAX || !sc_var_name_valid(name)) {
            *err = "each variable: a name of 1..64 characters [A-Za-z0-9_.-] and a string of at most 1024 bytes";
            return -EINVAL;
        }
        out->vars[2 * out->nvars] = name;
        out->vars[2 * out->nvars + 1] = json_string_value(v);
        out->nvars++;
    }
    out->code = given(code) ? (int32_t)json_integer_value(code) : 0;
    out->text = given(text) ? json_string_value(text) : NULL;
    return 0;
}

int sd_conference_mute_body_parse(const json_t *b, bool *mute, const char **err)
{
    json_t *v = json_object_get(b, "mute");
    if (!json_is_object(b) || (v && !json_is_boolean(v))) {
        *err = "\"mute\" must be true or false";
        return -EINVAL;
    }
    *mute = v ? json_is_true(v) : true;
    return 0;
}

bool sd_session_subpath(const char *path, const char *suffix, char *id, size_t cap)
{
    static const char prefix[] = "/sessions/";
    size_t n = strlen(path), pl = sizeof prefix - 1, sl = strlen(suffix);
    if (n <= pl + sl || strncmp(path, prefix, pl) != 0 || strcmp(path + n - sl, suffix) != 0)
        return false;
    size_t idlen = n - pl - sl;
    if (idlen >= cap || memchr(path + pl, '/', idlen))
        return false;
    memcpy(id, path + pl, idlen);
    id[idlen] = '\0';
    return true;
}

bool sd_conference_mute_path(const char *path, char *id, size_t cap)
{
    return sd_session_subpath(path, "/conference/mute", id, cap);
}
