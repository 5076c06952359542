/* fuzz_table: feeds arbitrary bytes to the state-table loader (YAML, structure, names,
 * compiler, checks) and, when a table loads, exercises lookup and every export. */
#include <stdint.h>
#include <stdlib.h>

#include "session_core/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_vocab *v = NULL;
    sc_diags *d = NULL;
    sc_table *t = NULL;
    if (sc_vocab_new(&v) < 0 || sc_diags_new(&d) < 0)
        goto out;
    char line[512];
    if (sc_table_load_buffer(&t, "fuzz.yaml", (const char *)data, size, v, d) == 0) {
        for (size_t s = 0; s < sc_table_state_count(t); s++) {
            for (size_t e = 0; e < sc_vocab_count(sc_table_vocab(t), SC_VOCAB_EVENT); e++) {
                size_t n = 0;
                const sc_transition *const *tr = sc_table_lookup(t, SC_ROLE_UAS, (sc_id)s, (sc_id)e, &n);
                for (size_t i = 0; i < n; i++)
                    if (tr[i]->from != s)
                        abort();
            }
        }
        uint32_t path[] = {0, 1, 2};
        for (int f = SC_GRAPH_DOT; f <= SC_GRAPH_JSON; f++) {
            for (int role = -1; role < SC_ROLE_COUNT; role++) {
                sc_graph_opts o = {.format = (sc_graph_format)f, .role = role, .path = path, .npath = 3};
                char *out = NULL;
                if (sc_table_export(t, &o, &out) == 0)
                    free(out);
            }
        }
    }
    for (size_t i = 0; i < sc_diags_count(d); i++)
        sc_diag_format(sc_diags_get(d, i), line, sizeof(line));
out:
    sc_table_unref(t);
    sc_diags_free(d);
    sc_vocab_free(v);
    return 0;
}
