/* fuzz_json_fast: the recovery's JSON reader (src/persist/json_fast.c) on text read back from a
 * store, which a damaged or foreign store can make anything. Differential: whatever the fast
 * parser accepts must be exactly what jansson's json_loads makes of the same text (same types,
 * values, keys, the last of duplicate keys); what it refuses falls back to json_loads, so a
 * refusal is always safe. The text is copied to a buffer of exactly its size plus the NUL the
 * stores give it. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    json_t *fast = sc_persist__json_parse(text);
    if (fast) {
        json_t *ref = json_loads(text, JSON_DECODE_ANY, NULL);
        if (!ref || !json_equal(fast, ref))
            abort(); /* the fast path accepted what jansson reads differently */
        json_decref(ref);
        json_decref(fast);
    }
    json_t *any = sc_persist__json_loads(text); /* the fallback path must not crash either */
    json_decref(any);
    free(text);
    return 0;
}
