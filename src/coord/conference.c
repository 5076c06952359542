/* conference: the conference feature: the table's JoinConference {room} (no room: the
 * incoming INVITE's Request-URI user), LeaveConference and MuteConference {mute} on the leg's
 * RTP stream (the mixer is src/media/conference.c), the InConference guard, mute and the room
 * list for the API, the session's room in its inspection, and the rooms' metrics. A session
 * leaves its room when its stream closes (the session ended, StopMedia); a session in a room is
 * not bridged (BridgeMedia and JoinConference fail with -EBUSY). */
#include "coord/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#define MOD "conference"

typedef struct conf_state {
    sc_obs_metric *m_rooms, *m_members, *m_ticks, *m_mix, *m_mix_max, *m_joins;
    uint64_t joins;
} conf_state;

static sc_media_stream *stream_of(const sc_session *s)
{
    const sc_coord_leg *leg = s ? sc_coord__leg(s) : NULL;
    return leg ? leg->stream : NULL;
}

/* ---- The default room: the Request-URI's user ---------------------------------------------- */

static int on_incoming(sc_coord *c, sc_session *s, sc_coord_leg *leg, const struct osip_message *msg)
{
    (void)c;
    (void)s;
    const osip_message_t *m = (const osip_message_t *)msg;
    if (m && m->req_uri && m->req_uri->username && *m->req_uri->username) {
        free(leg->conf_user);
        leg->conf_user = strdup(m->req_uri->username);
    }
    return 0;
}

/* The user part of an outgoing call's target "sip:USER@host" into buf; false without one. */
static bool target_user(const char *uri, char *buf, size_t cap)
{
    const char *p = uri && !strncmp(uri, "sips:", 5) ? uri + 5 : uri && !strncmp(uri, "sip:", 4) ? uri + 4 : NULL;
    const char *at = p ? strchr(p, '@') : NULL;
    if (!at || at == p || (size_t)(at - p) >= cap)
        return false;
    memcpy(buf, p, (size_t)(at - p));
    buf[at - p] = '\0';
    return true;
}

static void leg_free(sc_coord_leg *leg)
{
    free(leg->conf_user);
    leg->conf_user = NULL;
}

static void leg_usage(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets)
{
    (void)sockets;
    if (leg->conf_user)
        *bytes += strlen(leg->conf_user) + 1;
}

/* ---- Actions and guard ------------------------------------------------------------------------ */

static int a_join(const sc_exec *x)
{
    sc_coord *c = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    const char *id = sc_session_id(x->session);
    char user[SC_MEDIA_CONF_NAME_MAX + 2];
    const char *room = sc_exec_param_str(x, "room", NULL);
    if (!room && leg && leg->conf_user)
        room = leg->conf_user;
    if (!room && leg && target_user(leg->to, user, sizeof user))
        room = user;
    if (!room) {
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: JoinConference without a room, and no Request-URI user", id);
        return -EINVAL;
    }
    sc_media_stream *st = leg ? leg->stream : NULL;
    if (!st) {
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: JoinConference %s: no RTP stream", id, room);
        return -ENOTCONN;
    }
    int rc = sc_media_conf_join(st, room);
    if (rc == -EBUSY)
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: JoinConference %s refused: the session is bridged", id, room);
    else if (rc == -EINVAL)
        sc_log(c->logger, SC_LOG_WARN, MOD,
               "session %s: JoinConference: bad room name (1..%d printable characters, no space, quote or slash)", id,
               SC_MEDIA_CONF_NAME_MAX);
    else if (rc == 0) {
        conf_state *cs = sc_coord__feat(c, SC_FEAT_CONFERENCE);
        if (cs)
            cs->joins++;
        sc_log(c->logger, SC_LOG_INFO, MOD, "session %s joined room %s", id, room);
    }
    return rc;
}

static int a_leave(const sc_exec *x)
{
    sc_coord *c = x->ud;
    sc_media_stream *st = stream_of(x->session);
    const char *room = sc_media_conf_room(st);
    if (room)
        sc_log(c->logger, SC_LOG_INFO, MOD, "session %s left room %s", sc_session_id(x->session), room);
    sc_media_conf_leave(st);
    return 0;
}

static int a_mute(const sc_exec *x)
{
    sc_coord *c = x->ud;
    bool mute = sc_exec_param_bool(x, "mute", true);
    int rc = sc_media_conf_mute(stream_of(x->session), mute);
    if (rc)
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: MuteConference: the session is in no room",
               sc_session_id(x->session));
    return rc;
}

static bool g_in_conference(const sc_exec *x) { return sc_media_conf_room(stream_of(x->session)) != NULL; }

static const sc_coord_action_def actions[] = {
    {"JoinConference", a_join},
    {"LeaveConference", a_leave},
    {"MuteConference", a_mute},
    {NULL, NULL},
};

static const sc_coord_guard_def guards[] = {
    {"InConference", g_in_conference},
    {NULL, NULL},
};

/* ---- API: mute, the rooms ----------------------------------------------------------------------- */

int sc_coord_conference_mute(sc_coord *c, const char *id, bool mute)
{
    if (!c || !id)
        return -EINVAL;
    sc_session *s = sc_store_get(c->store, id);
    if (!s)
        return -ENOENT;
    sc_media_stream *st = stream_of(s);
    if (sc_media_conf_mute(st, mute) != 0)
        return -ENOTCONN;
    sc_log(c->logger, SC_LOG_INFO, MOD, "session %s %s in room %s (api)", id, mute ? "muted" : "unmuted",
           sc_media_conf_room(st));
    return 0;
}

typedef struct list_ctx {
    json_t *rooms;    /* array of room objects, in the mixer's order */
    const char *only; /* one room, or NULL */
} list_ctx;

static void list_one(const char *room, sc_media_stream *st, bool muted, void *ud)
{
    list_ctx *l = ud;
    if (l->only && strcmp(l->only, room) != 0)
        return;
    size_t n = json_array_size(l->rooms);
    json_t *last = n ? json_array_get(l->rooms, n - 1) : NULL;
    if (!last || strcmp(json_string_value(json_object_get(last, "room")), room) != 0) {
        last = json_pack("{s:s,s:[]}", "room", room, "participants");
        if (!last || json_array_append_new(l->rooms, last) != 0)
            return;
    }
    const sc_coord_leg *leg = sc_media_stream_ud(st);
    json_array_append_new(json_object_get(last, "participants"),
                          json_pack("{s:s,s:b}", "id", leg ? leg->id : "", "muted", muted));
}

static int by_room(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "room")),
                  json_string_value(json_object_get(*(json_t *const *)b, "room")));
}

int sc_coord_conferences(sc_coord *c, const char *room, json_t **out)
{
    if (!c || !out)
        return -EINVAL;
    list_ctx l = {.rooms = json_array(), .only = room};
    if (!l.rooms)
        return -ENOMEM;
    sc_media_conf_each(sc_coord__media_ctx(c), list_one, &l);
    size_t n = json_array_size(l.rooms);
    if (room) {
        json_t *r = n ? json_incref(json_array_get(l.rooms, 0)) : NULL;
        json_decref(l.rooms);
        if (!r)
            return -ENOENT;
        *out = r;
        return 0;
    }
    json_t **v = n ? calloc(n, sizeof *v) : NULL;
    json_t *sorted = json_array();
    if ((n && !v) || !sorted) {
        free(v);
        json_decref(sorted);
        json_decref(l.rooms);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(l.rooms, i);
    if (n > 1)
        qsort(v, n, sizeof *v, by_room);
    for (size_t i = 0; i < n; i++)
        json_array_append(sorted, v[i]);
    free(v);
    json_decref(l.rooms);
    *out = sorted;
    return 0;
}

/* ---- Inspection: the session's room -------------------------------------------------------------- */

static void inspect(sc_coord *c, const sc_session *s, json_t *out)
{
    (void)c;
    sc_media_stream *st = stream_of(s);
    const char *room = sc_media_conf_room(st);
    if (room && json_is_object(out))
        json_object_set_new(out, "conference", json_pack("{s:s,s:b}", "room", room, "muted", sc_media_conf_muted(st)));
}

/* ---- Metrics ------------------------------------------------------------------------------------- */

static void collect(void *ud, sc_obs_registry *r)
{
    (void)r;
    sc_coord *c = ud;
    conf_state *cs = sc_coord__feat(c, SC_FEAT_CONFERENCE);
    if (!cs)
        return;
    sc_media_conf_stats st;
    sc_media_conf_stats_get(sc_coord__media_ctx(c), &st);
    sc_obs_gauge *g;
    sc_obs_counter *k;
    if ((g = sc_obs_gauge_with(cs->m_rooms)) != NULL)
        g->value = (double)st.rooms;
    if ((g = sc_obs_gauge_with(cs->m_members)) != NULL)
        g->value = (double)st.participants;
    if ((g = sc_obs_gauge_with(cs->m_mix_max)) != NULL)
        g->value = (double)st.mix_ns_max / 1e9;
    if ((k = sc_obs_counter_with(cs->m_ticks)) != NULL)
        k->value = st.ticks;
    if ((k = sc_obs_counter_with(cs->m_mix)) != NULL)
        k->fvalue = (double)st.mix_ns / 1e9;
    if ((k = sc_obs_counter_with(cs->m_joins)) != NULL)
        k->value = cs->joins;
}

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    (void)cfg;
    conf_state *cs = calloc(1, sizeof *cs);
    if (!cs)
        return -ENOMEM;
    c->feat[SC_FEAT_CONFERENCE] = cs;
    if (!c->reg)
        return 0;
    const sc_obs_desc d[] = {
        {.type = SC_OBS_GAUGE, .name = "sessioncore_conference_rooms", .help = "Conference rooms open now"},
        {.type = SC_OBS_GAUGE,
         .name = "sessioncore_conference_participants",
         .help = "Sessions in conference rooms now"},
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_conference_mix_ticks_total",
         .help = "20 ms conference mixes run (one a room a tick)"},
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_conference_mix_seconds_total",
         .help = "Time spent mixing conference rooms (decoded input taken, mixed, encoded, sent)"},
        {.type = SC_OBS_GAUGE,
         .name = "sessioncore_conference_mix_max_seconds",
         .help = "The longest 20 ms mix of one room so far"},
        {.type = SC_OBS_COUNTER,
         .name = "sessioncore_conference_joins_total",
         .help = "JoinConference actions that put a session in a room"},
    };
    sc_obs_metric **slots[] = {&cs->m_rooms, &cs->m_members, &cs->m_ticks, &cs->m_mix, &cs->m_mix_max, &cs->m_joins};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        int rc = sc_obs_register(c->reg, &d[i], slots[i]);
        if (rc)
            return rc;
    }
    return sc_obs_registry_add_collector(c->reg, collect, c);
}

static void stop(sc_coord *c)
{
    conf_state *cs = c->feat[SC_FEAT_CONFERENCE];
    if (!cs)
        return;
    if (c->reg)
        sc_obs_registry_remove_collector(c->reg, collect, c);
    free(cs);
    c->feat[SC_FEAT_CONFERENCE] = NULL;
}

const sc_coord_feature sc_coord__feature_conference = {
    .name = "conference",
    .needs = "media",
    .guards = guards,
    .actions = actions,
    .start = start,
    .stop = stop,
    .on_incoming = on_incoming,
    .leg_free = leg_free,
    .leg_usage = leg_usage,
    .inspect = inspect,
};
