/* versions_int: the layout of the live table versions registry, shared by versions.c and
 * reload.c (which keeps its counters there). */
#ifndef SC_ENGINE_VERSIONS_INT_H
#define SC_ENGINE_VERSIONS_INT_H

#include "engine/engine_int.h"

typedef struct sc_engine__version {
    sc_table *table;      /* reference held by the registry */
    uint64_t version;     /* counter, from 1 */
    int64_t loaded_at_us; /* wall time it was registered */
    size_t sessions;      /* sessions of the engine running on it */
} sc_engine__version;

typedef struct sc_engine__versions {
    sc_engine__version *v; /* live versions, oldest first */
    size_t n, cap;         /* used / allocated */
    sc_table *current;     /* the current table (the engine holds its reference) */
    uint64_t next;         /* last counter assigned */
    uint64_t released;     /* versions released so far */
    uint64_t reloads_ok;   /* reload counters (reload.c) */
    uint64_t reloads_unchanged;
    uint64_t reloads_failed;
    uint64_t sessions_migrated; /* moved by reloads' `migrate:` maps (migrate.c) */
} sc_engine__versions;

#endif
