/* Tests for persist: the storage contract against any store, named by argv[1] or by
 * SC_PERSIST_URL (memory: if neither); SC_PERSIST_DOWN_URL and SC_PERSIST_REVIVE_CMD enable
 * the backend-down and reconnect cases (the scripts in tests/backends set all three). */
#include "unit/persist/persist_contract.h"

int main(int argc, char **argv)
{
    contract_cfg cfg = {0};
    cfg.url = argc > 1 ? argv[1] : getenv("SC_PERSIST_URL");
    if (!cfg.url || !*cfg.url)
        cfg.url = "memory:";
    cfg.down_url = getenv("SC_PERSIST_DOWN_URL");
    cfg.revive_cmd = getenv("SC_PERSIST_REVIVE_CMD");
    char group[300];
    snprintf(group, sizeof group, "persist contract: %.200s", cfg.url);
    return contract_run(group, &cfg);
}
