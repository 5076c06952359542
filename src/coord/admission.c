/* admission: the caps admission enforces and the admission of a new INVITE. A cap the
 * configuration leaves "auto" is derived at start: the session cap from the memory the process
 * may use (a cgroup limit, else the physical memory), the memory cap from the same, and the
 * RTP pairs admission hands out from the port range and the descriptor limit. An incoming
 * INVITE is admitted at its screen (sip_ood.c), before the SIP agent creates its transaction,
 * so a refusal is its first and only answer: 503 with Retry-After, no 100 Trying before. */
#include "coord/admission.h"
#include "coord/media.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <osipparser2/osip_parser.h>

#define SESSION_MEMORY_NUM 1u /* automatic max_sessions: this fraction of the memory basis */
#define SESSION_MEMORY_DEN 2u
#define RSS_CAP_NUM 3u /* automatic max_memory: this fraction of it */
#define RSS_CAP_DEN 4u
#define FD_RESERVE_MIN 64u /* descriptors kept for SIP, HTTP, the store and logs: a quarter, */
#define FD_RESERVE_DEN 4u  /* at least this many */

/* ---- Derivation --------------------------------------------------------------------------------- */

static uint32_t pairs_for_fds(uint64_t fd_limit, uint32_t pairs)
{
    if (!fd_limit)
        return pairs;
    uint64_t reserve = fd_limit / FD_RESERVE_DEN > FD_RESERVE_MIN ? fd_limit / FD_RESERVE_DEN : FD_RESERVE_MIN;
    uint64_t by_fds = fd_limit > reserve ? (fd_limit - reserve) / 2 : 0; /* RTP + RTCP a pair */
    return by_fds < pairs ? (uint32_t)by_fds : pairs;
}

void sc_coord__limits_derive(const sc_coord_limits_env *env, size_t max_sessions, uint64_t max_memory, uint32_t max_cps,
                             sc_coord_limits *out)
{
    memset(out, 0, sizeof *out);
    out->memory_basis = env->memory;
    out->fd_limit = env->fd_limit;
    out->media_pairs_range = env->port_pairs;
    out->media_pairs = pairs_for_fds(env->fd_limit, env->port_pairs);
    out->max_cps = max_cps;
    out->sessions_auto = max_sessions == SC_COORD_AUTO_SESSIONS;
    out->memory_auto = max_memory == SC_COORD_AUTO_MEMORY;
    if (out->sessions_auto) {
        uint64_t n = env->memory / SESSION_MEMORY_DEN * SESSION_MEMORY_NUM / SC_COORD_SESSION_BUDGET;
        out->max_sessions = n > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)n; /* 0: memory unknown, none */
        if (env->memory && !out->max_sessions)
            out->max_sessions = 1;
    } else {
        out->max_sessions = max_sessions;
    }
    out->max_memory = out->memory_auto ? env->memory / RSS_CAP_DEN * RSS_CAP_NUM : max_memory;
}

/* A cgroup file's limit: bytes, or 0 for "max", a missing file or garbage. */
static uint64_t read_limit(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char buf[64] = "";
    bool ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    char *end = NULL;
    errno = 0;
    unsigned long long v = ok ? strtoull(buf, &end, 10) : 0;
    if (!ok || errno || end == buf || (*end && *end != '\n'))
        return 0;
    return (uint64_t)v;
}

/* The smallest limit in file `name` of the cgroup at dir+cgpath and its ancestors (0: none). */
static uint64_t walk_limits(const char *dir, const char *cgpath, const char *name)
{
    char path[1024], file[1664];
    snprintf(path, sizeof path, "%s", cgpath); /* starts with '/' */
    uint64_t best = 0;
    for (;;) {
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
            path[--n] = '\0';
        snprintf(file, sizeof file, "%s%s/%s", dir, n <= 1 ? "" : path, name);
        uint64_t v = read_limit(file);
        if (v && (!best || v < best))
            best = v;
        if (n <= 1)
            break;
        char *slash = strrchr(path, '/'); /* "/a/b" -> "/a" -> "/" */
        slash[slash == path ? 1 : 0] = '\0';
    }
    return best;
}

uint64_t sc_coord__memory_basis(const char *root, uint64_t physical)
{
    char file[1024], line[1024];
    snprintf(file, sizeof file, "%s/proc/self/cgroup", root ? root : "");
    FILE *f = fopen(file, "re");
    uint64_t best = 0;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || c2[1] != '/')
            continue;
        *c1 = *c2 = '\0'; /* line: the hierarchy id */
        const char *ctrl = c1 + 1, *cgpath = c2 + 1;
        char dir[512];
        uint64_t v = 0;
        if (!strcmp(line, "0") && !*ctrl) { /* cgroup v2: "0::/path" */
            snprintf(dir, sizeof dir, "%s/sys/fs/cgroup", root ? root : "");
            v = walk_limits(dir, cgpath, "memory.max");
        } else if (!strcmp(ctrl, "memory") || !strncmp(ctrl, "memory,", 7) || strstr(ctrl, ",memory")) { /* v1 */
            snprintf(dir, sizeof dir, "%s/sys/fs/cgroup/memory", root ? root : "");
            v = walk_limits(dir, cgpath, "memory.limit_in_bytes");
        }
        if (v && (!best || v < best))
            best = v;
    }
    if (f)
        fclose(f);
    /* v1 says "no limit" with a huge number: anything at or above physical memory is none */
    if (best && (!physical || best < physical))
        return best;
    return physical;
}

static uint64_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

static uint64_t fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    return (uint64_t)rl.rlim_cur;
}

/* "1.5 GiB", "300 MiB", or "none" for 0. */
static const char *fmt_bytes(uint64_t b, char *buf, size_t cap)
{
    if (!b)
        snprintf(buf, cap, "none");
    else if (b >= (1ull << 30))
        snprintf(buf, cap, "%.1f GiB", (double)b / (double)(1ull << 30));
    else
        snprintf(buf, cap, "%.1f MiB", (double)b / (double)(1ull << 20));
    return buf;
}

void sc_coord__limits_init(sc_coord *c, const sc_coord_config *cfg)
{
    sc_coord_limits_env env = {.port_pairs = (uint32_t)(c->port_max - c->port_min + 1) / 2,
                               .fd_limit = fd_limit(),
                               .memory = sc_coord__memory_basis("", physical_memory())};
    sc_coord__limits_derive(&env, cfg->max_sessions, cfg->max_memory, cfg->max_cps, &c->limits);
    c->max_sessions = c->limits.max_sessions;
    const sc_coord_limits *l = &c->limits;
    char sess[32] = "none", cps[32] = "none", mem[32], basis[32];
    if (l->max_sessions)
        snprintf(sess, sizeof sess, "%zu", l->max_sessions);
    if (l->max_cps)
        snprintf(cps, sizeof cps, "%" PRIu32, l->max_cps);
    sc_log(c->logger, SC_LOG_INFO, "coord",
           "admission limits: max_sessions %s%s, max_memory %s%s, max_cps %s, RTP pairs %" PRIu32 " (range %" PRIu32
           ", fd limit %" PRIu64 "), memory basis %s",
           sess, l->sessions_auto ? " (auto)" : "", fmt_bytes(l->max_memory, mem, sizeof mem),
           l->memory_auto ? " (auto)" : "", cps, l->media_pairs, l->media_pairs_range, l->fd_limit,
           fmt_bytes(l->memory_basis, basis, sizeof basis));
}

int sc_coord__admission_metrics(sc_coord *c)
{
    if (!c->reg)
        return 0;
    sc_obs_desc d = {.type = SC_OBS_GAUGE,
                     .name = "sessioncore_admission_limit",
                     .help = "Admission caps in force (given or derived at start), by kind: sessions, "
                             "memory_bytes, cps, media_pairs; 0 = no limit",
                     .labels = {"kind"}};
    sc_obs_metric *m = NULL;
    int rc = sc_obs_register(c->reg, &d, &m);
    if (rc)
        return rc;
    const sc_coord_limits *l = &c->limits;
    struct {
        const char *kind;
        double v;
    } set[] = {{"sessions", (double)l->max_sessions},
               {"memory_bytes", (double)l->max_memory},
               {"cps", (double)l->max_cps},
               {"media_pairs", (double)l->media_pairs}};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        sc_obs_gauge *g = sc_obs_gauge_with(m, set[i].kind);
        if (g)
            sc_obs_gauge_set(g, set[i].v);
    }
    return 0;
}

/* ---- A new INVITE ------------------------------------------------------------------------------- */

static const char *call_id_of(const osip_message_t *m)
{
    return m && m->call_id && m->call_id->number ? m->call_id->number : "";
}

int sc_coord__admit_invite(sc_coord *c, const struct osip_message *msg, char *hdrs, size_t cap)
{
    const osip_message_t *m = (const osip_message_t *)msg;
    unsigned need = 1;
    for (size_t i = 0; i < SC_FEAT__COUNT; i++) {
        const sc_coord_feature *f = sc_coord__features[i];
        if (c->started[i] && f->extra_legs)
            need += f->extra_legs(c, msg);
    }
    const char *why = NULL;
    c->admitted_invite = NULL;
    if (sc_coord__admit_n(c, "sip", need, &why) != 0) {
        sc_log(c->logger, SC_LOG_INFO, "coord", "refusing INVITE %s: %s", call_id_of(m), why ? why : "overload");
        snprintf(hdrs, cap, "Retry-After: %u\r\n", c->retry_after_s);
        return 503;
    }
    c->admitted_invite = msg;
    snprintf(c->admitted_call_id, sizeof c->admitted_call_id, "%s", call_id_of(m));
    return 0;
}

bool sc_coord__invite_admitted(sc_coord *c, const struct osip_message *msg)
{
    bool yes = c->admitted_invite && c->admitted_invite == msg &&
               !strcmp(c->admitted_call_id, call_id_of((const osip_message_t *)msg));
    c->admitted_invite = NULL;
    return yes;
}

/* ---- Public ------------------------------------------------------------------------------------- */

int sc_coord_admission_limits(const sc_coord *coord, sc_coord_limits *out)
{
    if (!coord || !out)
        return -EINVAL;
    *out = coord->limits;
    sc_media *m = sc_coord__media_ctx((sc_coord *)coord);
    sc_media_pairs(m, NULL, &out->media_pairs_used); /* 0 without media */
    out->media_pairs_parked = sc_media_pairs_parked(m);
    return 0;
}

const char *sc_coord_admission_refusal(const sc_coord *coord) { return coord ? coord->refusal : NULL; }

/* The SIP agent's cap on transactions or call objects: `given`, else `per` for each admitted
 * session over a floor, none when sessions are not limited. Transactions and released calls
 * linger 64*T1 after a call (32 s with T1 500 ms): at N calls per second ~64*N transactions
 * (INVITE and BYE) and ~32*N calls are alive besides the live ones, so a fixed cap (65,536
 * transactions) held a node below ~1,000 sustained calls per second whatever its limits. */
unsigned sc_coord__sip_cap(unsigned given, size_t max_sessions, size_t per, size_t floor)
{
    if (given)
        return given;
    if (!max_sessions || max_sessions >= (UINT_MAX / 2 - floor) / per)
        return UINT_MAX / 2;
    return (unsigned)(max_sessions * per + floor);
}
