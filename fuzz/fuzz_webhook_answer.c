/* fuzz_webhook_answer: a webhook's answer body as the application sends it
 * (sc_coord__hook_answer_parse), copied to a buffer of exactly its size (no NUL after it: an
 * over-read is caught), parsed as a guard's and as an action's answer. What the feature relies
 * on is checked (abort otherwise): a refusal comes with its reason and nothing to free; a guard's
 * verdict is 0 or 1; each variable has a valid name and a value of at most SC_VAR_VALUE_MAX bytes
 * (or none); at most SC_VARS_MAX of them; an event name is a table name. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coord/webhooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *body, size_t len, bool guard)
{
    sc_coord_hook_answer a;
    char why[SC_HOOK_WHY_MAX];
    int rc = sc_coord__hook_answer_parse(body, len, guard, &a, why, sizeof why);
    if (rc) {
        if (rc != -EBADMSG || !why[0] || a.root)
            abort();
        return;
    }
    if (guard && a.result != 0 && a.result != 1)
        abort();
    if (a.nset > SC_VARS_MAX)
        abort();
    for (size_t i = 0; i < a.nset; i++)
        if (!sc_var_name_valid(a.set[i].name) || (a.set[i].value && strlen(a.set[i].value) > SC_VAR_VALUE_MAX))
            abort();
    if (a.event && (!*a.event || strlen(a.event) > 64 ||
                    strspn(a.event, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                    "qrstuvwxyz0123456789_") != strlen(a.event)))
        abort();
    sc_coord__hook_answer_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    check(body, size, true);
    check(body, size, false);
    free(body);
    return 0;
}
