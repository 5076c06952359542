/* persist_redis: the "redis://HOST:PORT/DB" backend (hiredis): snapshots as hashes, the
 * event log as one Redis Stream with per-session and by-time sorted-set indexes, key-value
 * entries as one hash per namespace with a sorted set of expiry times, every write an atomic
 * Lua script, a batch one MULTI/EXEC pipeline. */
#include "persist/persist_int.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RD_PREFIX "sc:"
#define RD_PAGE 500

/* ARGV: prefix, id, seq, wall_us, record. Returns the new gseq, or 0 for a duplicate. */
static const char lua_append[] =
    "local p, id = ARGV[1], ARGV[2]\n"
    "local ek = p .. 'ev:' .. id\n"
    "if #redis.call('ZRANGEBYSCORE', ek, ARGV[3], ARGV[3], 'LIMIT', 0, 1) > 0 then return 0 end\n"
    "local g = redis.call('INCR', p .. 'gseq')\n"
    "local m = string.format('%020d', g)\n"
    "redis.call('XADD', p .. 'log', string.format('%d-0', g), 'id', id, 'seq', ARGV[3], 'wall', ARGV[4],"
    " 'rec', ARGV[5])\n"
    "redis.call('ZADD', ek, ARGV[3], m)\n"
    "redis.call('ZADD', p .. 'bytime', ARGV[4], m)\n"
    "redis.call('SADD', p .. 'sessions', id)\n"
    "return g\n";

/* Owners: sc:owned:NODE is the set of the live snapshots NODE owns ("" included: the
 * unowned ones), sc:owners the set of the non-empty NODEs whose owned set is not empty; the
 * save, delete and move scripts keep both. */
#define LUA_OWN_HEAD                                                                                    \
    "local p, id = ARGV[1], ARGV[2]\n"                                                                  \
    "local k = p .. 'snap:' .. id\n"                                                                    \
    "local function own(n)\n"                                                                           \
    "  redis.call('SADD', p .. 'owned:' .. n, id)\n"                                                    \
    "  if n ~= '' then redis.call('SADD', p .. 'owners', n) end\n"                                      \
    "end\n"                                                                                             \
    "local function unown(n)\n"                                                                         \
    "  redis.call('SREM', p .. 'owned:' .. n, id)\n"                                                    \
    "  if redis.call('SCARD', p .. 'owned:' .. n) == 0 then redis.call('SREM', p .. 'owners', n) end\n" \
    "end\n"                                                                                             \
    "local function fenced(cur, n) return cur ~= '' and n ~= '' and cur ~= n end\n"

/* ARGV: prefix, id, data, node, hash, updated_us. 1, or -1 when fenced (another non-empty
 * node owns the snapshot: it stays). */
static const char lua_save[] = LUA_OWN_HEAD
    "local node = ARGV[4]\n"
    "local cur = redis.call('HGET', k, 'node')\n"
    "if cur and fenced(cur, node) then return -1 end\n"
    "redis.call('HSET', k, 'data', ARGV[3], 'node', node, 'hash', ARGV[5], 'updated', ARGV[6])\n"
    "redis.call('SADD', p .. 'live', id)\n"
    "redis.call('SADD', p .. 'sessions', id)\n"
    "if cur ~= node then\n"
    "  if cur then unown(cur) end\n"
    "  own(node)\n"
    "end\n"
    "return 1\n";

/* ARGV: prefix, id, node ("": whoever owns it). 1 if a snapshot was removed, 0 if there was
 * none, -1 when fenced (another non-empty node owns it: it stays). */
static const char lua_delete[] = LUA_OWN_HEAD
    "local cur = redis.call('HGET', k, 'node')\n"
    "if cur and fenced(cur, ARGV[3]) then return -1 end\n"
    "local n = redis.call('DEL', k)\n"
    "redis.call('SREM', p .. 'live', id)\n"
    "if cur then unown(cur) end\n"
    "if redis.call('ZCARD', p .. 'ev:' .. id) == 0 then redis.call('SREM', p .. 'sessions', id) end\n"
    "return n\n";

/* ARGV: prefix, id, from, to. 1 moved, 0 no snapshot, -1 the owner is not from. */
static const char lua_move[] = LUA_OWN_HEAD "local cur = redis.call('HGET', k, 'node')\n"
                                            "if not cur then return 0 end\n"
                                            "if cur ~= ARGV[3] then return -1 end\n"
                                            "if ARGV[3] ~= ARGV[4] then\n"
                                            "  redis.call('HSET', k, 'node', ARGV[4])\n"
                                            "  unown(ARGV[3])\n"
                                            "  own(ARGV[4])\n"
                                            "end\n"
                                            "return 1\n";

/* ARGV: prefix. Every owner with the size of its owned set: node, count pairs. */
static const char lua_owners[] = "local p = ARGV[1]\n"
                                 "local out = {}\n"
                                 "for _, n in ipairs(redis.call('SMEMBERS', p .. 'owners')) do\n"
                                 "  out[#out + 1] = n; out[#out + 1] = redis.call('SCARD', p .. 'owned:' .. n)\n"
                                 "end\n"
                                 "return out\n";

/* ARGV: prefix. Schema 5: builds the owned and owners sets from the live snapshots of an
 * older store (once, in the version step). Returns the count of snapshots indexed. */
static const char lua_own_rebuild[] = "local p = ARGV[1]\n"
                                      "local c = 0\n"
                                      "for _, id in ipairs(redis.call('SMEMBERS', p .. 'live')) do\n"
                                      "  local n = redis.call('HGET', p .. 'snap:' .. id, 'node') or ''\n"
                                      "  redis.call('SADD', p .. 'owned:' .. n, id)\n"
                                      "  if n ~= '' then redis.call('SADD', p .. 'owners', n) end\n"
                                      "  c = c + 1\n"
                                      "end\n"
                                      "return c\n";

/* ARGV: prefix, mode, a, b, offset, count. Mode 's': session a from seq b; 't': time range
 * [a, b); 'g': gseq > a (b, offset unused). Returns id, seq, wall, gseq, rec per event. */
static const char lua_read[] =
    "local p, mode = ARGV[1], ARGV[2]\n"
    "local out = {}\n"
    "local function emit(g, f)\n"
    "  out[#out + 1] = f[2]; out[#out + 1] = f[4]; out[#out + 1] = f[6]\n"
    "  out[#out + 1] = g; out[#out + 1] = f[8]\n"
    "end\n"
    "if mode == 'g' then\n"
    "  local es = redis.call('XRANGE', p .. 'log', string.format('%d-0', tonumber(ARGV[3]) + 1), '+',"
    " 'COUNT', ARGV[6])\n"
    "  for _, e in ipairs(es) do emit(string.match(e[1], '^(%d+)'), e[2]) end\n"
    "  return out\n"
    "end\n"
    "local ms\n"
    "if mode == 's' then\n"
    "  ms = redis.call('ZRANGEBYSCORE', p .. 'ev:' .. ARGV[3], ARGV[4], '+inf', 'LIMIT', ARGV[5], ARGV[6])\n"
    "else\n"
    "  ms = redis.call('ZRANGEBYSCORE', p .. 'bytime', ARGV[3], '(' .. ARGV[4], 'LIMIT', ARGV[5], ARGV[6])\n"
    "end\n"
    "for _, m in ipairs(ms) do\n"
    "  local g = string.format('%d', tonumber(m))\n"
    "  local e = redis.call('XRANGE', p .. 'log', g .. '-0', g .. '-0')\n"
    "  if #e > 0 then emit(g, e[1][2]) end\n"
    "end\n"
    "return out\n";

/* ARGV: prefix, before_us, max. Removes the oldest events (by time) with wall < before_us of
 * sessions not in the live set, at most max of them, from the stream, the session's set and
 * the time index, passing over the live sessions' ones; a session left with no event (and no
 * snapshot) leaves the sessions set. Returns {removed, more (0/1)}. */
static const char lua_prune[] =
    "local p, max = ARGV[1], tonumber(ARGV[3])\n"
    "local bt, log, live = p .. 'bytime', p .. 'log', p .. 'live'\n"
    "local removed, kept, more = 0, 0, 1\n"
    "local alive, touched = {}, {}\n"
    "while removed < max do\n"
    "  local want = max - removed\n"
    "  local ms = redis.call('ZRANGEBYSCORE', bt, '-inf', '(' .. ARGV[2], 'LIMIT', kept, want)\n"
    "  for _, m in ipairs(ms) do\n"
    "    local g = string.format('%d-0', tonumber(m))\n"
    "    local e = redis.call('XRANGE', log, g, g)\n"
    "    local id = nil\n"
    "    if #e > 0 then id = e[1][2][2] end\n"
    "    if id and alive[id] == nil then alive[id] = redis.call('SISMEMBER', live, id) == 1 end\n"
    "    if id and alive[id] then\n"
    "      kept = kept + 1\n"
    "    else\n"
    "      if id then\n"
    "        redis.call('XDEL', log, g)\n"
    "        redis.call('ZREM', p .. 'ev:' .. id, m)\n"
    "        touched[id] = true\n"
    "      end\n"
    "      redis.call('ZREM', bt, m)\n"
    "      removed = removed + 1\n"
    "    end\n"
    "  end\n"
    "  if #ms < want then more = 0; break end\n"
    "end\n"
    "for id in pairs(touched) do\n"
    "  if redis.call('ZCARD', p .. 'ev:' .. id) == 0 and redis.call('EXISTS', p .. 'snap:' .. id) == 0 then\n"
    "    redis.call('SREM', p .. 'sessions', id)\n"
    "  end\n"
    "end\n"
    "return {removed, more}\n";

/* ARGV: prefix, id, node, now_us, until_us, mode ('c' claim, 'r' renew). 1 or 0 (busy). */
static const char lua_claim[] = "local p, id, node = ARGV[1], ARGV[2], ARGV[3]\n"
                                "local k = p .. 'lease:' .. id\n"
                                "local cur = redis.call('HMGET', k, 'node', 'until')\n"
                                "if cur[1] and cur[1] ~= node then\n"
                                "  if ARGV[6] ~= 'c' or tonumber(cur[2]) > tonumber(ARGV[4]) then return 0 end\n"
                                "end\n"
                                "redis.call('HSET', k, 'node', node, 'until', ARGV[5])\n"
                                "redis.call('ZADD', p .. 'leases', ARGV[5], id)\n"
                                "return 1\n";

/* ARGV: prefix, id, node. 1 if node's lease was dropped. */
static const char lua_release[] = "local p, id = ARGV[1], ARGV[2]\n"
                                  "local k = p .. 'lease:' .. id\n"
                                  "if redis.call('HGET', k, 'node') ~= ARGV[3] then return 0 end\n"
                                  "redis.call('DEL', k)\n"
                                  "redis.call('ZREM', p .. 'leases', id)\n"
                                  "return 1\n";

/* ARGV: prefix, now_us. Returns id, node, until per expired lease. */
static const char lua_expired[] =
    "local p = ARGV[1]\n"
    "local out = {}\n"
    "for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'leases', '-inf', ARGV[2])) do\n"
    "  local h = redis.call('HMGET', p .. 'lease:' .. id, 'node', 'until')\n"
    "  out[#out + 1] = id; out[#out + 1] = h[1] or ''; out[#out + 1] = h[2] or '0'\n"
    "end\n"
    "return out\n";

/* Key-value entries of namespace NS: hash sc:kv:NS, field = key, value = "EXPIRES_US TEXT";
 * sorted set sc:kvx:NS holds the keys that expire, scored by expiry. Expiry is judged by the
 * caller's clock (ARGV now), as everywhere else in persist, not by Redis's own: so a hash
 * plus an index rather than PEXPIREAT, and the scripts remove what has expired.
 * The purge shared by the scripts: removes every entry with 0 < expiry <= now. */
#define LUA_KV_HEAD                                                                \
    "local p, ns, now = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"                     \
    "local h, z = p .. 'kv:' .. ns, p .. 'kvx:' .. ns\n"                           \
    "local function purge()\n"                                                     \
    "  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', ARGV[3])\n"             \
    "  for _, k in ipairs(gone) do redis.call('HDEL', h, k) end\n"                 \
    "  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', ARGV[3]) end\n" \
    "end\n"                                                                        \
    "local function exp_of(v) return tonumber(string.match(v, '^(%d+) ')) end\n"

/* ARGV: prefix, ns, now_us, key, expires_us, text. */
static const char lua_kv_put[] = LUA_KV_HEAD "purge()\n"
                                             "local k, e = ARGV[4], tonumber(ARGV[5])\n"
                                             "redis.call('HSET', h, k, ARGV[5] .. ' ' .. ARGV[6])\n"
                                             "if e ~= 0 then redis.call('ZADD', z, ARGV[5], k)\n"
                                             "else redis.call('ZREM', z, k) end\n"
                                             "return 1\n";

/* ARGV: prefix, ns, now_us, key. The value ("EXPIRES TEXT"), or nil (absent or expired: then
 * removed). */
static const char lua_kv_get[] = LUA_KV_HEAD "local k = ARGV[4]\n"
                                             "local v = redis.call('HGET', h, k)\n"
                                             "if not v then return false end\n"
                                             "local e = exp_of(v)\n"
                                             "if e ~= 0 and e <= now then\n"
                                             "  redis.call('HDEL', h, k); redis.call('ZREM', z, k)\n"
                                             "  return false\n"
                                             "end\n"
                                             "return v\n";

/* ARGV: prefix, ns, now_us, key. 1 if an unexpired entry was removed. */
static const char lua_kv_del[] = LUA_KV_HEAD "purge()\n"
                                             "local k = ARGV[4]\n"
                                             "redis.call('ZREM', z, k)\n"
                                             "return redis.call('HDEL', h, k)\n";

/* ARGV: prefix, ns, now_us. The namespace's entries after the purge: key, value pairs. */
static const char lua_kv_list[] = LUA_KV_HEAD "purge()\n"
                                              "return redis.call('HGETALL', h)\n";

enum {
    SC_APPEND,
    SC_SAVE,
    SC_DELETE,
    SC_READ,
    SC_CLAIM,
    SC_RELEASE,
    SC_EXPIRED,
    SC_KV_PUT,
    SC_KV_GET,
    SC_KV_DEL,
    SC_KV_LIST,
    SC_PRUNE,
    SC_MOVE,
    SC_OWNERS,
    SC_OWN_REBUILD,
    SC_NSCRIPTS
};
static const char *const scripts[SC_NSCRIPTS] = {lua_append,  lua_save,    lua_delete, lua_read,   lua_claim,
                                                 lua_release, lua_expired, lua_kv_put, lua_kv_get, lua_kv_del,
                                                 lua_kv_list, lua_prune,   lua_move,   lua_owners, lua_own_rebuild};

typedef struct rd {
    char host[256];
    int port;
    int db;
    char pass[256];
    redisContext *c;           /* NULL while disconnected */
    char sha[SC_NSCRIPTS][48]; /* loaded script digests */
    size_t pending;            /* commands queued in the current MULTI */
} rd;

static int rd_init(sc_persist *p, const char *rest)
{
    rd *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    p->impl = r;
    r->port = 6379;
    const char *at = strrchr(rest, '@');
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        const char *pw = colon ? colon + 1 : rest;
        snprintf(r->pass, sizeof r->pass, "%.*s", (int)(at - pw), pw);
        rest = at + 1;
    }
    size_t hl = strcspn(rest, ":/");
    if (hl == 0 || hl >= sizeof r->host)
        return sc_persist__error(p, -EINVAL, "redis URL needs a host: redis://HOST:PORT/DB");
    memcpy(r->host, rest, hl);
    rest += hl;
    char *end = NULL;
    if (*rest == ':') {
        long port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || port <= 0 || port > 65535)
            return sc_persist__error(p, -EINVAL, "redis URL: bad port in '%s'", p->url);
        r->port = (int)port;
        rest = end;
    }
    if (*rest == '/' && rest[1]) {
        long db = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || *end || db < 0 || db > 100000)
            return sc_persist__error(p, -EINVAL, "redis URL: bad database number in '%s'", p->url);
        r->db = (int)db;
    } else if (*rest && strcmp(rest, "/") != 0) {
        return sc_persist__error(p, -EINVAL, "redis URL: unexpected '%s' in '%s'", rest, p->url);
    }
    return 0;
}

/* A failed request: a NULL reply means the connection broke. Frees reply. */
static int rd_fail(sc_persist *p, redisReply *reply, const char *what)
{
    rd *r = p->impl;
    int rc;
    if (!reply) {
        rc = sc_persist__error(p, -EIO, "redis %s: %s", what, r->c && r->c->err ? r->c->errstr : "no reply");
    } else {
        rc = sc_persist__error(p, -EREMOTEIO, "redis %s: %s", what,
                               reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
        freeReplyObject(reply);
    }
    return rc;
}

/* Runs one command given as argv; *out gets the reply (caller frees) unless it is an error. */
static int cmd(sc_persist *p, redisReply **out, const char *what, int argc, const char **argv)
{
    rd *r = p->impl;
    redisReply *reply = redisCommandArgv(r->c, argc, argv, NULL);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        return rd_fail(p, reply, what);
    *out = reply;
    return 0;
}

static int cmd_simple(sc_persist *p, const char *what, int argc, const char **argv)
{
    redisReply *reply = NULL;
    int rc = cmd(p, &reply, what, argc, argv);
    freeReplyObject(reply);
    return rc;
}

static void rd_disconnect(sc_persist *p)
{
    rd *r = p->impl;
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
    r->pending = 0;
}

static int check_version(sc_persist *p)
{
    char cur[16];
    snprintf(cur, sizeof cur, "%d", SC_PERSIST_SCHEMA_VERSION);
    const char *set[] = {"HSETNX", RD_PREFIX "meta", "schema_version", cur};
    int rc = cmd_simple(p, "schema", 4, set);
    int v = 0;
    if (rc == 0)
        rc = p->be->get_version(p, &v);
    if (rc == 0 && v > SC_PERSIST_SCHEMA_VERSION)
        rc = sc_persist__schema_too_new(p, v);
    /* 1 -> 2 only adds the sc:tables hash, 3 -> 4 the sc:kv: hashes, all created on first use;
     * 4 -> 5 builds the owner sets of the snapshots stored so far. */
    if (rc == 0 && v < 5) {
        rd *r = p->impl;
        const char *argv[] = {"EVALSHA", r->sha[SC_OWN_REBUILD], "0", RD_PREFIX};
        rc = cmd_simple(p, "schema 5 (owner sets)", 4, argv);
    }
    if (rc == 0 && v < SC_PERSIST_SCHEMA_VERSION)
        rc = p->be->set_version(p, SC_PERSIST_SCHEMA_VERSION);
    return rc;
}

static int rd_connect(sc_persist *p)
{
    rd *r = p->impl;
    unsigned ms = p->cfg.connect_timeout_ms;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    r->c = redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->c || r->c->err) {
        int rc = sc_persist__error(p, -ECONNREFUSED, "redis connect %s:%d: %s", r->host, r->port,
                                   r->c ? r->c->errstr : "out of memory");
        rd_disconnect(p);
        return rc;
    }
    struct timeval io = {5, 0};
    redisSetTimeout(r->c, io);
    int rc = 0;
    if (r->pass[0]) {
        const char *auth[] = {"AUTH", r->pass};
        rc = cmd_simple(p, "auth", 2, auth);
    }
    char db[16];
    snprintf(db, sizeof db, "%d", r->db);
    const char *sel[] = {"SELECT", db};
    if (rc == 0)
        rc = cmd_simple(p, "select", 2, sel);
    for (int i = 0; rc == 0 && i < SC_NSCRIPTS; i++) {
        const char *load[] = {"SCRIPT", "LOAD", scripts[i]};
        redisReply *reply = NULL;
        rc = cmd(p, &reply, "script load", 3, load);
        if (rc == 0 && reply->type == REDIS_REPLY_STRING)
            snprintf(r->sha[i], sizeof r->sha[i], "%s", reply->str);
        freeReplyObject(reply);
    }
    if (rc == 0)
        rc = check_version(p);
    if (rc < 0)
        rd_disconnect(p);
    return rc;
}

static void rd_destroy(sc_persist *p)
{
    free(p->impl);
    p->impl = NULL;
}

static int rd_begin(sc_persist *p)
{
    rd *r = p->impl;
    if (redisAppendCommand(r->c, "MULTI") != REDIS_OK)
        return sc_persist__error(p, -ENOMEM, "redis: cannot queue MULTI");
    r->pending = 0;
    return 0;
}

/* Reads n replies; the first error wins. */
static int drain(sc_persist *p, size_t n, redisReply **last)
{
    rd *r = p->impl;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(r->c, (void **)&reply) != REDIS_OK || !reply)
            return rd_fail(p, NULL, "batch");
        if (reply->type == REDIS_REPLY_ERROR && rc == 0) {
            rc = rd_fail(p, reply, "batch");
            continue;
        }
        if (last && i + 1 == n) {
            *last = reply;
            continue;
        }
        freeReplyObject(reply);
    }
    return rc;
}

static int rd_commit(sc_persist *p)
{
    rd *r = p->impl;
    if (redisAppendCommand(r->c, "EXEC") != REDIS_OK)
        return sc_persist__error(p, -ENOMEM, "redis: cannot queue EXEC");
    redisReply *exec = NULL;
    int rc = drain(p, r->pending + 2, &exec); /* MULTI's OK, one QUEUED per op, EXEC */
    r->pending = 0;
    if (rc == 0 && (!exec || exec->type != REDIS_REPLY_ARRAY))
        rc = sc_persist__error(p, -EIO, "redis: transaction aborted");
    uint64_t fenced = 0; /* only the save and delete scripts answer -1 */
    for (size_t i = 0; rc == 0 && i < exec->elements; i++) {
        if (exec->element[i]->type == REDIS_REPLY_ERROR)
            rc = sc_persist__error(p, -EREMOTEIO, "redis batch: %s", exec->element[i]->str);
        else if (exec->element[i]->type == REDIS_REPLY_INTEGER && exec->element[i]->integer == -1)
            fenced++;
    }
    if (rc == 0)
        sc_persist__note_fenced(p, fenced);
    freeReplyObject(exec);
    return rc;
}

static void rd_rollback(sc_persist *p)
{
    rd *r = p->impl;
    if (r->c && redisAppendCommand(r->c, "DISCARD") == REDIS_OK)
        drain(p, r->pending + 2, NULL);
    r->pending = 0;
}

/* Runs script i with argv (prefix first); in a batch, only queues it. */
static int eval(sc_persist *p, int i, int argc, const char **args, long long *result)
{
    rd *r = p->impl;
    const char *argv[12];
    char nkeys[] = "0";
    argv[0] = "EVALSHA";
    argv[1] = r->sha[i];
    argv[2] = nkeys;
    argv[3] = RD_PREFIX;
    for (int k = 0; k < argc; k++)
        argv[4 + k] = args[k];
    if (p->in_batch) {
        if (redisAppendCommandArgv(r->c, argc + 4, argv, NULL) != REDIS_OK)
            return sc_persist__error(p, -ENOMEM, "redis: cannot queue a command");
        r->pending++;
        *result = 0;
        return 0;
    }
    redisReply *reply = NULL;
    int rc = cmd(p, &reply, "eval", argc + 4, argv);
    if (rc == 0)
        *result = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
    freeReplyObject(reply);
    return rc;
}

static int rd_save(sc_persist *p, const char *id, const char *data, const char *node, const char *hash,
                   int64_t updated_us)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)updated_us);
    const char *args[] = {id, data, node, hash, t};
    long long res = 0;
    int rc = eval(p, SC_SAVE, 5, args, &res);
    return rc == 0 && res == -1 ? 1 : rc;
}

static int rd_load(sc_persist *p, const char *id, char **data, sc_persist_snapshot_info *info)
{
    char key[600];
    snprintf(key, sizeof key, RD_PREFIX "snap:%s", id);
    const char *argv[] = {"HMGET", key, "data", "node", "hash", "updated"};
    redisReply *reply = NULL;
    int rc = cmd(p, &reply, "load", 6, argv);
    if (rc < 0)
        return rc;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4 || reply->element[0]->type != REDIS_REPLY_STRING) {
        freeReplyObject(reply);
        return -ENOENT;
    }
    redisReply **e = reply->element;
    *data = strdup(e[0]->str);
    snprintf(info->node_id, sizeof info->node_id, "%s", e[1]->type == REDIS_REPLY_STRING ? e[1]->str : "");
    snprintf(info->table_hash, sizeof info->table_hash, "%s", e[2]->type == REDIS_REPLY_STRING ? e[2]->str : "");
    info->updated_us = e[3]->type == REDIS_REPLY_STRING ? strtoll(e[3]->str, NULL, 10) : 0;
    freeReplyObject(reply);
    return *data ? 0 : -ENOMEM;
}

/* Table texts: one hash, field = table hash (HSETNX: a stored version never changes). */
static int rd_save_table(sc_persist *p, const char *hash, const char *text, int64_t saved_us)
{
    (void)saved_us;
    rd *r = p->impl;
    const char *argv[] = {"HSETNX", RD_PREFIX "tables", hash, text};
    if (p->in_batch) {
        if (redisAppendCommandArgv(r->c, 4, argv, NULL) != REDIS_OK)
            return sc_persist__error(p, -ENOMEM, "redis: cannot queue a command");
        r->pending++;
        return 0;
    }
    return cmd_simple(p, "save table", 4, argv);
}

static int rd_load_table(sc_persist *p, const char *hash, char **text)
{
    const char *argv[] = {"HGET", RD_PREFIX "tables", hash};
    redisReply *reply = NULL;
    int rc = cmd(p, &reply, "load table", 3, argv);
    if (rc < 0)
        return rc;
    if (reply->type != REDIS_REPLY_STRING) {
        freeReplyObject(reply);
        return -ENOENT;
    }
    *text = strdup(reply->str);
    freeReplyObject(reply);
    return *text ? 0 : -ENOMEM;
}

static int rd_del(sc_persist *p, const char *id, const char *node)
{
    const char *args[] = {id, node};
    long long res = 0;
    int rc = eval(p, SC_DELETE, 2, args, &res);
    if (rc < 0 || p->in_batch)
        return rc;
    return res == -1 ? 1 : res == 0 ? -ENOENT : 0;
}

static int rd_owner_move(sc_persist *p, const char *id, const char *from, const char *to)
{
    const char *args[] = {id, from, to};
    long long res = 0;
    int rc = eval(p, SC_MOVE, 3, args, &res);
    if (rc < 0)
        return rc;
    return res == 1 ? 0 : res == -1 ? -EBUSY : -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((*(redisReply *const *)a)->str, (*(redisReply *const *)b)->str);
}

/* Walks the Redis set key in id order, calling cb for each member. With data each snapshot is
 * loaded: with owner NULL, a member without one is passed with NULL data; with an owner, a
 * member whose snapshot is gone or owned by another node since is passed over. */
static int walk_id_set(sc_persist *p, const char *key, const char *what, const char *owner, bool with_data,
                       sc_persist__raw_list_cb cb, void *ud)
{
    const char *argv[] = {"SMEMBERS", key};
    redisReply *set = NULL;
    int rc = cmd(p, &set, what, 2, argv);
    if (rc < 0)
        return rc;
    if (set->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(set);
        return sc_persist__error(p, -EREMOTEIO, "redis %s: unexpected reply", what);
    }
    if (set->elements)
        qsort(set->element, set->elements, sizeof *set->element, cmp_str);
    for (size_t i = 0; rc == 0 && i < set->elements; i++) {
        const char *id = set->element[i]->str;
        char *data = NULL;
        if (with_data) {
            sc_persist_snapshot_info info;
            memset(&info, 0, sizeof info);
            int lrc = rd_load(p, id, &data, &info);
            if (owner && (lrc == -ENOENT || (lrc == 0 && strcmp(info.node_id, owner) != 0))) {
                free(data);
                continue;
            }
            if (lrc < 0 && lrc != -ENOENT) {
                rc = lrc;
                break;
            }
        }
        rc = cb(id, data, ud);
        free(data);
    }
    freeReplyObject(set);
    return rc;
}

static int rd_list(sc_persist *p, sc_persist_list_mode mode, bool with_data, sc_persist__raw_list_cb cb, void *ud)
{
    const char *key = mode == SC_PERSIST_LIST_ALL ? RD_PREFIX "sessions" : RD_PREFIX "live";
    return walk_id_set(p, key, "list", NULL, with_data, cb, ud);
}

/* The members of node's owned set in id order; with data, each snapshot is loaded (one
 * gone or moved since is passed over). */
static int rd_list_owned(sc_persist *p, const char *node, bool with_data, sc_persist__raw_list_cb cb, void *ud)
{
    char key[600];
    snprintf(key, sizeof key, RD_PREFIX "owned:%s", node);
    return walk_id_set(p, key, "list owned", node, with_data, cb, ud);
}

typedef struct owner_row {
    const redisReply *node;
    long long n;
} owner_row;

static int cmp_owner(const void *a, const void *b)
{
    const redisReply *x = ((const owner_row *)a)->node, *y = ((const owner_row *)b)->node;
    int c = memcmp(x->str, y->str, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int rd_owners(sc_persist *p, sc_persist_owner_cb cb, void *ud)
{
    rd *r = p->impl;
    const char *argv[] = {"EVALSHA", r->sha[SC_OWNERS], "0", RD_PREFIX};
    redisReply *reply = NULL;
    int rc = cmd(p, &reply, "owners", 4, argv);
    if (rc < 0)
        return rc;
    size_t n = reply->type == REDIS_REPLY_ARRAY ? reply->elements / 2 : 0;
    owner_row *v = malloc((n + 1) * sizeof *v);
    if (!v) {
        freeReplyObject(reply);
        return -ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const redisReply *c = reply->element[2 * i + 1];
        if (c->type == REDIS_REPLY_INTEGER && c->integer > 0)
            v[k++] = (owner_row){reply->element[2 * i], c->integer};
    }
    if (k)
        qsort(v, k, sizeof *v, cmp_owner);
    for (size_t i = 0; rc == 0 && i < k; i++)
        rc = cb(v[i].node->str, (size_t)v[i].n, ud);
    free(v);
    freeReplyObject(reply);
    return rc;
}

static int rd_append(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const char *rec, uint64_t *gseq)
{
    char s[32], w[32];
    snprintf(s, sizeof s, "%llu", (unsigned long long)seq);
    snprintf(w, sizeof w, "%lld", (long long)wall_us);
    const char *args[] = {id, s, w, rec};
    long long g = 0;
    int rc = eval(p, SC_APPEND, 4, args, &g);
    if (rc < 0)
        return rc;
    if (p->in_batch) {
        *gseq = 0;
        return 0;
    }
    *gseq = (uint64_t)g;
    return g == 0 ? 1 : 0;
}

/* Runs the read script page by page. For mode 'g', a is advanced past each page; for the
 * others the offset moves. */
static int read_pages(sc_persist *p, char mode, const char *a0, const char *b, size_t limit,
                      sc_persist__raw_event_cb cb, void *ud)
{
    char a[600], off[32], cnt[32], m[2] = {mode, 0};
    snprintf(a, sizeof a, "%s", a0);
    size_t offset = 0, seen = 0;
    for (;;) {
        size_t want = RD_PAGE;
        if (limit && limit - seen < want)
            want = limit - seen;
        if (want == 0)
            return 0;
        snprintf(off, sizeof off, "%zu", offset);
        snprintf(cnt, sizeof cnt, "%zu", want);
        const char *args[] = {m, a, b, off, cnt};
        rd *r = p->impl;
        const char *argv[] = {"EVALSHA", r->sha[SC_READ], "0", RD_PREFIX, args[0], args[1], args[2], args[3], args[4]};
        redisReply *reply = NULL;
        int rc = cmd(p, &reply, "read events", 9, argv);
        if (rc < 0)
            return rc;
        size_t n = reply->type == REDIS_REPLY_ARRAY ? reply->elements / 5 : 0;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            redisReply **e = reply->element + i * 5;
            sc_persist__raw_event ev = {
                e[0]->str, strtoull(e[1]->str, NULL, 10), strtoll(e[2]->str, NULL, 10), strtoull(e[3]->str, NULL, 10),
                e[4]->str,
            };
            rc = cb(&ev, ud);
            if (mode == 'g')
                snprintf(a, sizeof a, "%s", e[3]->str);
        }
        freeReplyObject(reply);
        seen += n;
        offset += n;
        if (rc != 0 || n < want)
            return rc;
    }
}

static int rd_read_events(sc_persist *p, const char *id, uint64_t from_seq, sc_persist__raw_event_cb cb, void *ud)
{
    char from[32];
    snprintf(from, sizeof from, "%llu", (unsigned long long)from_seq);
    return read_pages(p, 's', id, from, 0, cb, ud);
}

static int rd_read_range(sc_persist *p, int64_t since_us, int64_t until_us, sc_persist__raw_event_cb cb, void *ud)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "%lld", (long long)since_us);
    snprintf(b, sizeof b, "%lld", (long long)until_us);
    return read_pages(p, 't', a, b, 0, cb, ud);
}

static int rd_read_after(sc_persist *p, uint64_t after, size_t limit, sc_persist__raw_event_cb cb, void *ud)
{
    char a[32];
    snprintf(a, sizeof a, "%llu", (unsigned long long)after);
    return read_pages(p, 'g', a, "0", limit, cb, ud);
}

static int rd_prune(sc_persist *p, int64_t before_us, size_t max, size_t *removed)
{
    rd *r = p->impl;
    char before[32], lim[32];
    snprintf(before, sizeof before, "%lld", (long long)before_us);
    snprintf(lim, sizeof lim, "%zu", max);
    const char *argv[] = {"EVALSHA", r->sha[SC_PRUNE], "0", RD_PREFIX, before, lim};
    redisReply *reply = NULL;
    int rc = cmd(p, &reply, "prune", 6, argv);
    if (rc < 0)
        return rc;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_INTEGER ||
        reply->element[1]->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(reply);
        return sc_persist__error(p, -EREMOTEIO, "redis prune: unexpected reply");
    }
    *removed = (size_t)reply->element[0]->integer;
    rc = reply->element[1]->integer ? 1 : 0;
    freeReplyObject(reply);
    return rc;
}

static int rd_claim(sc_persist *p, const char *id, const char *node, int64_t now_us, int64_t until_us, char mode)
{
    char now[32], until[32], m[2] = {mode, 0};
    snprintf(now, sizeof now, "%lld", (long long)now_us);
    snprintf(until, sizeof until, "%lld", (long long)until_us);
    const char *args[] = {id, node, now, until, m};
    long long res = 0;
    int rc = eval(p, SC_CLAIM, 5, args, &res);
    return rc == 0 && res == 0 ? -EBUSY : rc;
}

static int rd_release(sc_persist *p, const char *id, const char *node)
{
    const char *args[] = {id, node};
    long long res = 0;
    int rc = eval(p, SC_RELEASE, 2, args, &res);
    return rc == 0 && res == 0 ? -ENOENT : rc;
}

typedef struct lease_row {
    const char *id;
    const char *node;
    int64_t until;
} lease_row;

static int cmp_lease(const void *a, const void *b)
{
    return strcmp(((const lease_row *)a)->id, ((const lease_row *)b)->id);
}

static int rd_expired(sc_persist *p, int64_t now_us, sc_persist_lease_cb cb, void *ud)
{
    rd *r = p->impl;
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)now_us);
    const char *argv[] = {"EVALSHA", r->sha[SC_EXPIRED], "0", RD_PREFIX, now};
    redisReply *reply = NULL;
    int rc = cmd(p, &reply, "expired leases", 5, argv);
    if (rc < 0)
        return rc;
    size_t n = reply->type == REDIS_REPLY_ARRAY ? reply->elements / 3 : 0;
    lease_row *v = malloc((n + 1) * sizeof *v);
    if (!v) {
        freeReplyObject(reply);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        redisReply **e = reply->element + i * 3;
        v[i] = (lease_row){e[0]->str, e[1]->str, strtoll(e[2]->str, NULL, 10)};
    }
    if (n)
        qsort(v, n, sizeof *v, cmp_lease);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = cb(v[i].id, v[i].node, v[i].until, ud);
    free(v);
    freeReplyObject(reply);
    return rc;
}

/* ---- key-value entries ---- */

/* Runs kv script i: argv = prefix, ns, now, then extra (up to 3). Names and the text go with
 * their lengths (binary-safe); in a batch the script is only queued. reply may be NULL. */
static int kv_eval(sc_persist *p, int i, const char *ns, int64_t now_us, int n, const char **extra,
                   const size_t *extra_len, redisReply **reply)
{
    rd *r = p->impl;
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)now_us);
    const char *argv[10] = {"EVALSHA", r->sha[i], "0", RD_PREFIX, ns, now};
    size_t lens[10] = {7, strlen(r->sha[i]), 1, strlen(RD_PREFIX), strlen(ns), strlen(now)};
    for (int k = 0; k < n; k++) {
        argv[6 + k] = extra[k];
        lens[6 + k] = extra_len[k];
    }
    if (p->in_batch) {
        if (redisAppendCommandArgv(r->c, 6 + n, argv, lens) != REDIS_OK)
            return sc_persist__error(p, -ENOMEM, "redis: cannot queue a command");
        r->pending++;
        return 0;
    }
    redisReply *rep = redisCommandArgv(r->c, 6 + n, argv, lens);
    if (!rep || rep->type == REDIS_REPLY_ERROR)
        return rd_fail(p, rep, "kv");
    if (reply)
        *reply = rep;
    else
        freeReplyObject(rep);
    return 0;
}

static int rd_kv_put(sc_persist *p, const char *ns, const char *key, const char *text, size_t len, int64_t expires_us,
                     int64_t now_us)
{
    char exp[32];
    snprintf(exp, sizeof exp, "%lld", (long long)expires_us);
    const char *extra[] = {key, exp, text};
    size_t lens[] = {strlen(key), strlen(exp), len};
    return kv_eval(p, SC_KV_PUT, ns, now_us, 3, extra, lens, NULL);
}

/* The text of a stored value "EXPIRES TEXT" (as written by lua_kv_put). */
static const char *value_text(const redisReply *v, size_t *len)
{
    const char *sp = memchr(v->str, ' ', v->len);
    size_t off = sp ? (size_t)(sp - v->str) + 1 : v->len;
    *len = v->len - off;
    return v->str + off;
}

static int rd_kv_get(sc_persist *p, const char *ns, const char *key, int64_t now_us, char **text)
{
    const char *extra[] = {key};
    size_t lens[] = {strlen(key)};
    redisReply *reply = NULL;
    int rc = kv_eval(p, SC_KV_GET, ns, now_us, 1, extra, lens, &reply);
    if (rc < 0)
        return rc;
    if (reply->type != REDIS_REPLY_STRING) {
        freeReplyObject(reply);
        return -ENOENT;
    }
    size_t len = 0;
    const char *t = value_text(reply, &len);
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, t, len);
        copy[len] = '\0';
    }
    freeReplyObject(reply);
    *text = copy;
    return copy ? 0 : -ENOMEM;
}

static int rd_kv_del(sc_persist *p, const char *ns, const char *key, int64_t now_us)
{
    const char *extra[] = {key};
    size_t lens[] = {strlen(key)};
    redisReply *reply = NULL;
    int rc = kv_eval(p, SC_KV_DEL, ns, now_us, 1, extra, lens, p->in_batch ? NULL : &reply);
    if (rc < 0 || p->in_batch)
        return rc;
    rc = reply->type == REDIS_REPLY_INTEGER && reply->integer == 0 ? -ENOENT : 0;
    freeReplyObject(reply);
    return rc;
}

typedef struct kv_pair {
    const redisReply *key, *value;
} kv_pair;

static int cmp_pair(const void *a, const void *b)
{
    const redisReply *x = ((const kv_pair *)a)->key, *y = ((const kv_pair *)b)->key;
    int c = memcmp(x->str, y->str, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* HGETALL gives fields in no order: the keys are sorted here, bytewise. hiredis ends every
 * string with a NUL, so a value's text (its tail) is NUL-terminated as it is. */
static int rd_kv_list(sc_persist *p, const char *ns, int64_t now_us, sc_persist_kv_cb cb, void *ud)
{
    redisReply *reply = NULL;
    int rc = kv_eval(p, SC_KV_LIST, ns, now_us, 0, NULL, NULL, &reply);
    if (rc < 0)
        return rc;
    size_t n = reply->type == REDIS_REPLY_ARRAY ? reply->elements / 2 : 0;
    kv_pair *v = malloc((n + 1) * sizeof *v);
    if (!v) {
        freeReplyObject(reply);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (kv_pair){reply->element[2 * i], reply->element[2 * i + 1]};
    if (n)
        qsort(v, n, sizeof *v, cmp_pair);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t len = 0;
        const char *t = value_text(v[i].value, &len);
        rc = cb(v[i].key->str, t, len, strtoll(v[i].value->str, NULL, 10), ud);
    }
    free(v);
    freeReplyObject(reply);
    return rc;
}

static int rd_ping(sc_persist *p)
{
    const char *argv[] = {"PING"};
    return cmd_simple(p, "ping", 1, argv);
}

static int rd_get_version(sc_persist *p, int *version)
{
    const char *argv[] = {"HGET", RD_PREFIX "meta", "schema_version"};
    redisReply *reply = NULL;
    int rc = cmd(p, &reply, "schema version", 3, argv);
    if (rc < 0)
        return rc;
    *version = reply->type == REDIS_REPLY_STRING ? atoi(reply->str) : 0;
    freeReplyObject(reply);
    return 0;
}

static int rd_set_version(sc_persist *p, int version)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *argv[] = {"HSET", RD_PREFIX "meta", "schema_version", v};
    return cmd_simple(p, "set schema version", 4, argv);
}

static int rd_wipe(sc_persist *p)
{
    char cursor[32] = "0";
    do {
        const char *argv[] = {"SCAN", cursor, "MATCH", RD_PREFIX "*", "COUNT", "1000"};
        redisReply *reply = NULL;
        int rc = cmd(p, &reply, "wipe", 6, argv);
        if (rc < 0)
            return rc;
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
            freeReplyObject(reply);
            return sc_persist__error(p, -EREMOTEIO, "redis wipe: unexpected SCAN reply");
        }
        snprintf(cursor, sizeof cursor, "%s", reply->element[0]->str);
        redisReply *keys = reply->element[1];
        for (size_t i = 0; rc == 0 && i < keys->elements; i++) {
            const char *del[] = {"DEL", keys->element[i]->str};
            rc = cmd_simple(p, "wipe", 2, del);
        }
        freeReplyObject(reply);
        if (rc < 0)
            return rc;
    } while (strcmp(cursor, "0") != 0);
    return rd_set_version(p, SC_PERSIST_SCHEMA_VERSION);
}

const sc_persist__backend sc_persist__redis = {
    .name = "redis",
    .init = rd_init,
    .connect = rd_connect,
    .disconnect = rd_disconnect,
    .destroy = rd_destroy,
    .begin = rd_begin,
    .commit = rd_commit,
    .rollback = rd_rollback,
    .save = rd_save,
    .load = rd_load,
    .del = rd_del,
    .list = rd_list,
    .owner_move = rd_owner_move,
    .list_owned = rd_list_owned,
    .owners = rd_owners,
    .append = rd_append,
    .read_events = rd_read_events,
    .read_range = rd_read_range,
    .read_after = rd_read_after,
    .prune = rd_prune,
    .claim = rd_claim,
    .release = rd_release,
    .expired = rd_expired,
    .ping = rd_ping,
    .get_version = rd_get_version,
    .set_version = rd_set_version,
    .wipe = rd_wipe,
    .save_table = rd_save_table,
    .load_table = rd_load_table,
    .kv_put = rd_kv_put,
    .kv_get = rd_kv_get,
    .kv_del = rd_kv_del,
    .kv_list = rd_kv_list,
};
