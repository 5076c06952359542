/* Tests for persist: the storage contract against the "memory:" backend. */
#include "unit/persist/persist_contract.h"

int main(void)
{
    contract_cfg cfg = {.url = "memory:"};
    return contract_run("persist contract: memory", &cfg);
}
