/* webhooks: the webhooks feature's parts that can be tested alone: the JSON body a webhook is
 * sent, the parser of its answer (outside input: fuzz/fuzz_webhook_answer.c) and the
 * signature header. */
#ifndef SC_COORD_WEBHOOKS_H
#define SC_COORD_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "session_core/engine.h"
#include "session_core/store.h"

#define SC_HOOK_WHY_MAX 128 /* a refusal's reason */

/* One variable an answer sets: value NULL removes it. */
typedef struct sc_coord_hook_var {
    const char *name;  /* valid (sc_var_name_valid) */
    const char *value; /* at most SC_VAR_VALUE_MAX bytes, or NULL */
} sc_coord_hook_var;

/* A checked answer. The strings point into root (or num) and live until _answer_free. */
typedef struct sc_coord_hook_answer {
    json_t *root;      /* the parsed body, or NULL (empty body) */
    int result;        /* guards: 1 true, 0 false */
    const char *event; /* `event`: a name to raise (syntax checked), or NULL */
    sc_coord_hook_var set[SC_VARS_MAX];
    size_t nset;               /* `set`: the variables, in the body's order */
    char num[SC_VARS_MAX][32]; /* numbers and booleans of `set`, as text */
} sc_coord_hook_answer;

/* Parse and check the body of a 2xx answer. A guard's must be an object with a boolean
 * `result`; an action's may be empty, or an object with `set` (an object of at most
 * SC_VARS_MAX variables: string, number, boolean or null values, names as sc_var_name_valid)
 * and `event` (a name). Other keys are ignored. 0, or -EBADMSG with why (always set,
 * NUL-terminated, up to cap) and nothing to free; -ENOMEM. */
int sc_coord__hook_answer_parse(const char *body, size_t len, bool guard, sc_coord_hook_answer *out, char *why,
                                size_t cap);
void sc_coord__hook_answer_free(sc_coord_hook_answer *a);

/* The JSON body sent for x (a guard or action call named name): {"hook", "kind", "session",
 * "role", "state", "event", "event_code", "event_text", "transition": {"index", "from", "to",
 * "line"}, "fields": {...} (the session's string fields but vars and srtp), "variables": {...}}
 * as a malloc'd string (*len its length), or NULL on ENOMEM. */
char *sc_coord__hook_payload(const sc_exec *x, const char *name, bool guard, size_t *len);

/* "X-Signature: sha256=<hex HMAC-SHA256 of body with key>" into out (cap >= 96). 0 or -EIO. */
int sc_coord__hook_signature(const char *key, size_t keylen, const char *body, size_t len, char *out, size_t cap);

#endif
