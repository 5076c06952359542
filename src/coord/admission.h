/* admission: the caps admission enforces (as configured, or derived from the RTP range, the
 * descriptor limit and the memory the process may use), reported in the log, the metrics and
 * sc_coord_admission_limits; and the admission of a new INVITE at its screen, before the SIP
 * agent sends any provisional response. */
#ifndef SC_COORD_ADMISSION_H
#define SC_COORD_ADMISSION_H

#include "coord/coord_int.h"

/* What the automatic caps are derived from. */
typedef struct sc_coord_limits_env {
    uint32_t port_pairs; /* RTP/RTCP pairs in the range */
    uint64_t fd_limit;   /* RLIMIT_NOFILE soft limit; 0 = unknown or unlimited */
    uint64_t memory;     /* the memory basis in bytes (sc_coord__memory_basis); 0 = unknown */
} sc_coord_limits_env;

/* The caps for the configured values (SC_COORD_AUTO_* to derive, 0 = none) in env: pure. */
void sc_coord__limits_derive(const sc_coord_limits_env *env, size_t max_sessions, uint64_t max_memory, uint32_t max_cps,
                             sc_coord_limits *out);
/* The SIP agent's cap on transactions (per 4, floor 65536) or call objects (per 2, floor
 * 32768): given if set, else per for each admitted session over the floor; UINT_MAX / 2 (none)
 * when sessions are not limited (max_sessions 0). Pure. */
unsigned sc_coord__sip_cap(unsigned given, size_t max_sessions, size_t per, size_t floor);
/* The memory this process may use: the smallest cgroup limit on its path (v2 memory.max, v1
 * memory.limit_in_bytes, read under root: "" for this system) that is below physical, else
 * physical (bytes; 0 = unknown). */
uint64_t sc_coord__memory_basis(const char *root, uint64_t physical);
/* Derive c->limits (and c->max_sessions) from cfg and this system; c->port_min/max are set.
 * Logs the caps in one line. */
void sc_coord__limits_init(sc_coord *c, const sc_coord_config *cfg);
/* Register sessioncore_admission_limit{kind} on c->reg (none with metrics off). */
int sc_coord__admission_metrics(sc_coord *c);
/* A new out-of-dialog INVITE at its screen (sip_ood.c): admitted (0; on_incoming then skips
 * its own admission), or 503 with a Retry-After line written into hdrs. */
int sc_coord__admit_invite(sc_coord *c, const struct osip_message *msg, char *hdrs, size_t cap);
/* msg was admitted at its screen (forgets it). */
bool sc_coord__invite_admitted(sc_coord *c, const struct osip_message *msg);

#endif
