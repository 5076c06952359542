/* vars: the session variables, application data by name kept as one JSON object of strings in
 * the session field `vars`, so that persistence, recovery and inspection carry them as they
 * carry every field. Few and small by design (a limit on count and size), so each change
 * rewrites the object's text. */
#include "store/store_int.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

bool sc_var_name_valid(const char *name)
{
    if (!name)
        return false;
    size_t n = strlen(name);
    if (n == 0 || n > SC_VAR_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

/* The variables as an object (a new reference; an empty one when unset or unreadable). */
static json_t *vars_load(const sc_session *s)
{
    const char *text = sc_session_field(s, SC_FIELD_VARS);
    json_t *o = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (o && !json_is_object(o)) {
        json_decref(o);
        o = NULL;
    }
    return o ? o : json_object();
}

int sc_session_var_set(sc_session *s, const char *name, const char *value)
{
    if (!s || !sc_var_name_valid(name) || (value && strlen(value) > SC_VAR_VALUE_MAX))
        return -EINVAL;
    json_t *o = vars_load(s);
    if (!o)
        return -ENOMEM;
    int r = 0;
    if (!value) {
        if (json_object_del(o, name) < 0) {
            json_decref(o);
            return 0; /* nothing to remove */
        }
    } else if (!json_object_get(o, name) && json_object_size(o) >= SC_VARS_MAX) {
        r = -E2BIG;
    } else if (json_object_set_new(o, name, json_stringn(value, strlen(value)))) {
        r = -EINVAL; /* not UTF-8 */
    }
    if (!r) {
        char *text = json_object_size(o) ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (json_object_size(o) && !text)
            r = -ENOMEM;
        else
            r = sc_session_set_field(s, SC_FIELD_VARS, text);
        free(text);
    }
    json_decref(o);
    return r;
}

int sc_session_var_get(const sc_session *s, const char *name, char *buf, size_t cap)
{
    if (!s || !sc_var_name_valid(name) || (!buf && cap))
        return -EINVAL;
    if (!sc_session_field(s, SC_FIELD_VARS))
        return -ENOENT;
    json_t *o = vars_load(s);
    json_t *v = o ? json_object_get(o, name) : NULL;
    int r;
    if (!json_is_string(v)) {
        r = -ENOENT;
    } else {
        size_t n = json_string_length(v);
        if (n + 1 > cap) {
            r = -ENOSPC;
        } else {
            memcpy(buf, json_string_value(v), n + 1);
            r = (int)n;
        }
    }
    json_decref(o);
    return r;
}
