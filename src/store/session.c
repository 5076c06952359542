/* session: accessors of the session record: ids, state, conditions, times, string fields,
 * attachments, failure counter and resource accounting. */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const field_names[SC_FIELD__COUNT] = {
#define SC_FIELD_NAME(name, json) #json,
    SC_SESSION_FIELDS(SC_FIELD_NAME)
#undef SC_FIELD_NAME
};

const char *sc_field_name(sc_field f) { return (unsigned)f < SC_FIELD__COUNT ? field_names[f] : NULL; }

int sc_field_parse(const char *name, sc_field *out)
{
    for (int f = 0; name && f < SC_FIELD__COUNT; f++) {
        if (strcmp(field_names[f], name) == 0) {
            *out = (sc_field)f;
            return 0;
        }
    }
    return -ENOENT;
}

const char *sc_session_id(const sc_session *s) { return s->id; }
sc_role sc_session_role(const sc_session *s) { return s->role; }
sc_store *sc_session_store(const sc_session *s) { return s->store; }
const sc_table *sc_session_table(const sc_session *s) { return s->table; }
sc_id sc_session_state(const sc_session *s) { return s->state; }

const char *sc_session_state_name(const sc_session *s)
{
    const sc_state_info *si = sc_table_state(s->table, s->state);
    return si ? si->name : NULL;
}

void sc_session_touch(sc_session *s)
{
    s->updated_mono_us = sc_clock_mono_us(s->store->clock);
    s->updated_wall_us = sc_clock_wall_us(s->store->clock);
}

int sc_session_set_state(sc_session *s, sc_id state)
{
    if (!sc_table_state(s->table, state))
        return -EINVAL;
    s->state = state;
    sc_session_touch(s);
    s->entered_mono_us = s->updated_mono_us;
    s->entered_wall_us = s->updated_wall_us;
    return 0;
}

bool sc_session_condition(const sc_session *s, sc_id cond) { return cond < 64 && (s->conditions >> cond) & 1u; }

int sc_session_set_condition(sc_session *s, sc_id cond, bool value)
{
    if (cond >= 64)
        return -EINVAL;
    if (value)
        s->conditions |= (uint64_t)1 << cond;
    else
        s->conditions &= ~((uint64_t)1 << cond);
    return 0;
}

uint64_t sc_session_condition_bits(const sc_session *s) { return s->conditions; }
void sc_session_set_condition_bits(sc_session *s, uint64_t bits) { s->conditions = bits; }
bool sc_session_established_fired(const sc_session *s) { return s->established_fired; }
void sc_session_set_established_fired(sc_session *s, bool fired) { s->established_fired = fired; }

int64_t sc_session_created_wall_us(const sc_session *s) { return s->created_wall_us; }
uint64_t sc_session_created_mono_us(const sc_session *s) { return s->created_mono_us; }
int64_t sc_session_updated_wall_us(const sc_session *s) { return s->updated_wall_us; }
uint64_t sc_session_updated_mono_us(const sc_session *s) { return s->updated_mono_us; }
int64_t sc_session_state_entered_wall_us(const sc_session *s) { return s->entered_wall_us; }
uint64_t sc_session_state_entered_mono_us(const sc_session *s) { return s->entered_mono_us; }

/* Replace *slot with a copy of value (NULL clears), keeping strings_bytes right. */
static int replace_string(sc_session *s, char **slot, const char *value)
{
    char *copy = NULL;
    if (value) {
        copy = strdup(value);
        if (!copy)
            return -ENOMEM;
        s->strings_bytes += strlen(copy) + 1;
    }
    if (*slot)
        s->strings_bytes -= strlen(*slot) + 1;
    sc_store__free_string(s, *slot);
    *slot = copy;
    return 0;
}

const char *sc_session_outcome(const sc_session *s) { return s->outcome; }

int sc_session_set_outcome(sc_session *s, const char *outcome)
{
    int r = replace_string(s, &s->outcome, outcome);
    if (!r)
        sc_session_touch(s);
    return r;
}

const char *sc_session_field(const sc_session *s, sc_field f)
{
    return (unsigned)f < SC_FIELD__COUNT ? s->fields[f] : NULL;
}

int sc_session_set_field(sc_session *s, sc_field f, const char *value)
{
    if ((unsigned)f >= SC_FIELD__COUNT)
        return -EINVAL;
    int r = replace_string(s, &s->fields[f], value);
    if (!r) {
        s->dirty_fields |= (uint32_t)1 << f;
        s->dirty_late |= (uint32_t)1 << f;
        sc_session_touch(s);
    }
    return r;
}

int sc_session_set_attachment(sc_session *s, sc_attach_slot slot, void *ptr, void (*free_fn)(void *))
{
    if ((unsigned)slot >= SC_ATTACH_COUNT)
        return -EINVAL;
    if (s->attach[slot] && s->attach[slot] != ptr && s->attach_free[slot])
        s->attach_free[slot](s->attach[slot]);
    s->attach[slot] = ptr;
    s->attach_free[slot] = ptr ? free_fn : NULL;
    return 0;
}

void *sc_session_get_attachment(const sc_session *s, sc_attach_slot slot)
{
    return (unsigned)slot < SC_ATTACH_COUNT ? s->attach[slot] : NULL;
}

void *sc_session_take_attachment(sc_session *s, sc_attach_slot slot)
{
    if ((unsigned)slot >= SC_ATTACH_COUNT)
        return NULL;
    void *p = s->attach[slot];
    s->attach[slot] = NULL;
    s->attach_free[slot] = NULL;
    return p;
}

uint32_t sc_session_failed_transitions(const sc_session *s) { return s->failed; }
void sc_session_count_failure(sc_session *s) { s->failed++; }

size_t sc_session_bytes(const sc_session *s)
{
    return sizeof *s + s->strings_bytes + sc_store__history_bytes(s) + s->qbytes;
}
