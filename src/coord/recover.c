/* recover: rebuilds a session restored from the store: its leg, SIP dialog (from the
 * session's dialog fields), RTP stream on the same port, music on hold and bridge; then
 * dispatches Recovered and resolves what was in flight at the crash (see docs/persistence.md,
 * "Recovery"). */
#include "coord/recover.h"
#include "coord/media.h"
#include "coord/media_keep.h"
#include "coord/srtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SDP_MAX SC_COORD_SDP_MAX

/* The persisted text fields are parsed in recover_fields.c. */

static void copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

/* ---- Dialog ----------------------------------------------------------------------------------- */

/* Our listener for the dialog's transport and the peer's family (first one of the family). */
static void local_addr(sc_coord *coord, int family, struct sockaddr_storage *out)
{
    struct sockaddr_storage ss;
    for (size_t i = 0; sc_sip_listener_addr(coord->sip, i, &ss) == 0; i++) {
        if (ss.ss_family == family) {
            *out = ss;
            return;
        }
    }
}

static int rebuild_dialog(sc_coord *coord, sc_coord_leg *leg, sc_session *s)
{
    const char *cid = sc_session_field(s, SC_FIELD_CALL_ID);
    const char *ltag = sc_session_field(s, SC_FIELD_LOCAL_TAG);
    const char *rtag = sc_session_field(s, SC_FIELD_REMOTE_TAG);
    const char *target = sc_session_field(s, SC_FIELD_REMOTE_TARGET);
    if (!cid || !ltag || !rtag || !target)
        return -ENOENT;
    sc_sip_dialog_state *d = sc_coord__recover_dialog_of(s);
    if (!d)
        return -ENOMEM;
    d->phase = SC_SIP_DIALOG_CONFIRMED;
    int rc = sc_coord__recover_first_hop(d, &d->remote_addr);
    if (rc == 0) {
        local_addr(coord, d->remote_addr.ss_family, &d->local_addr);
        sc_sip_call *call = NULL;
        rc = sc_sip_call_restore(coord->sip, &call, d, leg);
        if (rc == 0) {
            leg->call = call;
            char key[SC_SIP_CALLID_MAX + 2 * SC_SIP_TAG_MAX + 4];
            sc_store_index_add(coord->store, SC_KEY_CALL_ID, cid, s);
            sc_store_dialog_key(key, sizeof key, cid, ltag, rtag);
            leg->dialog_indexed = sc_store_index_add(coord->store, SC_KEY_DIALOG, key, s) == 0;
        }
    }
    free(d);
    return rc;
}

/* ---- Media ------------------------------------------------------------------------------------ */

/* Our SDP origin goes on where it was: the same session id, the version after the last one we
 * sent (RFC 3264 8). A record written before sdp_origin existed: a new session id (the leg's)
 * and a version above any earlier one (the wall clock in seconds). */
static void restore_origin(sc_coord *coord, sc_coord_leg *leg, const sc_session *s)
{
    uint64_t id, version;
    int rc = sc_coord__origin_parse(sc_session_field(s, SC_FIELD_SDP_ORIGIN), &id, &version);
    if (rc == 0) {
        leg->sdp_id = id;
        leg->sdp_version = version + 1;
        return;
    }
    if (rc != -ENOENT)
        sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: bad sdp_origin \"%s\"; a new SDP origin is used",
               sc_session_id(s), sc_session_field(s, SC_FIELD_SDP_ORIGIN));
    leg->sdp_version = (uint64_t)(sc_clock_wall_us(coord->clock) / 1000000);
}

static void rebuild_media(sc_coord *coord, sc_coord_leg *leg, sc_session *s, sc_coord_store_report *rep,
                          bool taken_over)
{
    char host[64];
    uint16_t port = 0;
    const char *dir_name = sc_session_field(s, SC_FIELD_MEDIA_DIRECTION);
    sc_sdp_direction dir = SC_SDP_SENDRECV;
    if (dir_name)
        sc_sdp_direction_parse(dir_name, &dir);
    const char *state = sc_session_state_name(s);
    bool held_state = !strcmp(state, "OnHold") || !strcmp(state, "Holding");
    if (held_state && (dir == SC_SDP_SENDONLY || dir == SC_SDP_INACTIVE) && strcmp(state, "Holding") != 0)
        leg->local_dir = SC_SDP_SENDONLY; /* we put the call on hold */
    if (!strcmp(state, "Holding"))
        leg->local_dir = SC_SDP_SENDONLY;
    if (held_state && dir == SC_SDP_RECVONLY)
        leg->remote_held = true; /* the peer put us on hold */
    restore_origin(coord, leg, s);
    if (sc_coord__recover_split_addr(sc_session_field(s, SC_FIELD_LOCAL_RTP), host, sizeof host, &port) != 0 ||
        !sc_coord__media_ctx(coord))
        return;
    sc_media_stream *st = NULL;
    int rc = sc_media_stream_open_port(sc_coord__media_ctx(coord), &st, port, leg);
    if (rc) {
        sc_log(coord->logger, SC_LOG_WARN, "persist",
               "session %s: RTP port %u not available again (%s); a new one is used", sc_session_id(s), port,
               sc_strerror(rc));
        if (sc_media_stream_open(sc_coord__media_ctx(coord), &st, leg) != 0)
            return;
        rep->media_moved++;
    }
    leg->stream = st;
    leg->rtp_port = sc_media_stream_port(st);
    copy(leg->rtp_addr, sizeof leg->rtp_addr, host);
    if (taken_over) /* another node's address: ours, as for a new leg (empty: by route) */
        copy(leg->rtp_addr, sizeof leg->rtp_addr, coord->media_announce);
    leg->media_started = true;
    uint16_t rport = 0;
    if (sc_coord__recover_split_addr(sc_session_field(s, SC_FIELD_REMOTE_RTP), host, sizeof host, &rport) == 0) {
        sc_media_codec c;
        int pt = -1;
        if (!sc_coord__recover_codec(s, &c, &pt))
            rport = 0;
        else if (c == SC_MEDIA_OPUS)
            leg->opus_pt = pt; /* our re-offers keep it */
        /* The negotiated telephone-event payload type; a record without it: 101, the value
         * our offers use and most peers answer with. */
        int te = sc_coord__dtmf_pt_parse(sc_session_field(s, SC_FIELD_DTMF_PT), 101);
        sc_media_format fmt = {.codec = c, .pt = pt, .dtmf_pt = te};
        rc = sc_media_stream_set_remote_format(st, host, rport, &fmt, sc_coord__stream_direction(dir));
        if (rc)
            sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: cannot send RTP to %s:%u: %s", sc_session_id(s),
                   host, rport, sc_strerror(rc));
    }
    /* the SRTP keys in force (srtp.c); a record whose keys cannot be used: the stream stays off */
    if ((rc = sc_coord__srtp_recover(leg, s)) != 0) {
        sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: SRTP keys not restored (%s): media off",
               sc_session_id(s), sc_strerror(rc));
        sc_media_stream_set_remote(st, "0.0.0.0", 0, SC_MEDIA_PCMU, -1, SC_MEDIA_INACTIVE);
    }
}

/* ---- Phase one: rebuild -------------------------------------------------------------------------- */

static bool established(const sc_session *s)
{
    int id = sc_vocab_lookup(sc_table_vocab(sc_session_table(s)), SC_VOCAB_CONDITION, "DialogEstablished");
    return id >= 0 && sc_session_condition(s, (sc_id)id);
}

/* An incoming call not answered yet whose INVITE's Vias were recorded (invite_vias). */
static bool ringing_uas(const sc_session *s)
{
    const char *state = sc_session_state_name(s);
    return sc_session_role(s) == SC_ROLE_UAS && sc_session_field(s, SC_FIELD_INVITE_VIAS) &&
           (!strcmp(state, "Ringing") || !strcmp(state, "EarlyMedia"));
}

void sc_coord__recover_rebuild(sc_session *s, void *ud)
{
    sc_coord_recover_ctx *c = ud;
    sc_coord *coord = c->coord;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        void *ids = realloc(c->ids, cap * sizeof *c->ids);
        if (!ids)
            return;
        c->ids = ids;
        c->cap = cap;
    }
    copy(c->ids[c->n++], SC_SESSION_ID_MAX + 1, sc_session_id(s));
    if (sc_coord__is_terminal(s))
        return; /* kept for its history until its retention ends */
    sc_coord_leg *leg = NULL;
    if (sc_coord__leg_new(coord, s, &leg) != 0)
        return;
    /* A dialog exists after a 2xx; a uas in Answering has sent its 2xx (the BYE needs it). */
    if (!established(s) && strcmp(sc_session_state_name(s), "Answering") != 0) {
        if (ringing_uas(s)) /* its INVITE is answered after all (resume_incoming): same origin, port */
            rebuild_media(coord, leg, s, c->rep, c->taken_from != NULL);
        return;
    }
    int rc = rebuild_dialog(coord, leg, s);
    if (rc) {
        sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: dialog not rebuilt: %s", sc_session_id(s),
               sc_strerror(rc));
        return;
    }
    rebuild_media(coord, leg, s, c->rep, c->taken_from != NULL);
}

/* ---- Phase two: Recovered, bridges, music on hold, in-flight transactions ------------------- */

static void restart_media(sc_coord *coord, sc_session *s, sc_coord_leg *leg)
{
    const char *state = sc_session_state_name(s);
    if (!leg->stream)
        return;
    if ((!strcmp(state, "OnHold") || !strcmp(state, "Holding")) && leg->local_dir == SC_SDP_SENDONLY) {
        int rc = sc_media_moh_start(leg->stream, NULL);
        if (rc)
            sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: music on hold not restarted: %s",
                   sc_session_id(s), sc_strerror(rc));
    }
    if (!strcmp(state, "Bridged")) {
        sc_session *peer = sc_coord__peer(coord, s);
        sc_coord_leg *pl = sc_coord__leg(peer);
        if (pl && pl->stream && sc_media_bridge_peer(leg->stream) != pl->stream && !sc_media_bridge_peer(pl->stream)) {
            int rc = sc_media_bridge(leg->stream, pl->stream);
            if (rc)
                sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: bridge not restored: %s", sc_session_id(s),
                       sc_strerror(rc));
        }
    }
}

/* Our initial INVITE was unanswered at the crash (uac, no dialog yet) and its top Via was
 * recorded when it was sent (invite_via): its transaction is rebuilt in the SIP layer and
 * CANCELled (RFC 3261 9.1), through the table's hangup of an unanswered call (HangupCall:
 * SendCancel, outcome cancelled, Cancelling; then 487 -> Cancelled, a crossing 2xx -> ACK + BYE,
 * no final answer -> Cancelled by the 64*T1 cancel timer or the state timer). In Cancelling
 * the CANCEL is sent again. False: not such a session (or the transaction cannot be rebuilt). */
static bool cancel_lost_invite(sc_coord *coord, sc_session *s, sc_coord_leg *leg, const char *id)
{
    char state[64];
    copy(state, sizeof state, sc_session_state_name(s));
    const char *via = sc_session_field(s, SC_FIELD_INVITE_VIA);
    bool cancelling = !strcmp(state, "Cancelling");
    if (!leg || leg->call || sc_session_role(s) != SC_ROLE_UAC || !via ||
        (!cancelling && strcmp(state, "Initiating") && strcmp(state, "Ringing") && strcmp(state, "EarlyMedia")))
        return false;
    sc_sip_dialog_state *d = sc_coord__recover_dialog_of(s);
    if (!d)
        return false;
    sc_coord__recover_invite_dest(sc_session_field(s, SC_FIELD_INVITE_DEST), d);
    const char *cid = sc_session_field(s, SC_FIELD_CALL_ID);
    sc_sip_call *call = NULL;
    int rc = sc_sip_call_resume_invite(coord->sip, &call, d, via, leg);
    free(d);
    if (rc) {
        sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: INVITE transaction not rebuilt: %s", id,
               sc_strerror(rc));
        return false;
    }
    leg->call = call;
    sc_store_index_add(coord->store, SC_KEY_CALL_ID, cid, s);
    if (cancelling) { /* our CANCEL's transaction is gone: send it again */
        rc = sc_sip_call_cancel(call);
        sc_log(coord->logger, SC_LOG_INFO, "persist", "session %s: CANCEL sent again after recovery: %s", id,
               rc ? sc_strerror(rc) : "ok");
        return true;
    }
    rc = sc_coord__dispatch(coord, s, SC_EV_HangupCall, 0, "recovery: INVITE cancelled", NULL);
    s = sc_store_get(coord->store, id);
    if (rc >= 0 && s && strcmp(sc_session_state_name(s), state) != 0) {
        sc_log(coord->logger, SC_LOG_INFO, "persist", "session %s in %s: unanswered INVITE cancelled after recovery",
               id, state);
        return true;
    }
    /* The table did not take the hangup: CANCEL anyway, and end the session as before. */
    rc = sc_sip_call_cancel(call);
    sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s in %s: HangupCall not taken; CANCEL sent: %s", id, state,
           rc ? sc_strerror(rc) : "ok");
    if (s)
        sc_coord__dispatch(coord, s, SC_EV_DialogError, 0, "recovery: our INVITE transaction lost", NULL);
    return true;
}

/* An incoming call still ringing at the crash (uas, Ringing/EarlyMedia) with its INVITE's
 * Vias recorded (invite_vias): the INVITE server transaction is rebuilt in the SIP layer in
 * the Proceeding state (RFC 3261 17.2.1), so the call can still be answered or rejected and
 * the caller's CANCEL gets 200 + 487; its offer (invite_offer) is pending again. False: not
 * such a session or not rebuilt (then the INVITE is given up as lost, as before). */
static bool resume_incoming(sc_coord *coord, sc_session *s, sc_coord_leg *leg)
{
    const char *id = sc_session_id(s);
    if (!leg || leg->call || !ringing_uas(s))
        return false;
    sc_sip_dialog_state *d = sc_coord__recover_dialog_of(s);
    if (!d)
        return false;
    const char *cid = sc_session_field(s, SC_FIELD_CALL_ID);
    sc_sip_call *call = NULL;
    int rc = sc_sip_call_resume_incoming(coord->sip, &call, d, sc_session_field(s, SC_FIELD_INVITE_VIAS), leg);
    free(d);
    if (rc) {
        sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: incoming INVITE transaction not rebuilt: %s", id,
               sc_strerror(rc));
        return false;
    }
    leg->call = call;
    sc_store_index_add(coord->store, SC_KEY_CALL_ID, cid, s);
    const char *offer = sc_session_field(s, SC_FIELD_INVITE_OFFER);
    sc_sdp_info *info = offer ? malloc(sizeof *info) : NULL;
    if (info && sc_sdp_parse(offer, strlen(offer), info) == 0) /* the answer goes in our 2xx */
        sc_coord__set_offer(leg, info);
    free(info);
    return true;
}

/* Auto answer: the AcceptCall scheduled with the ring delay died with the process (events
 * scheduled by actions are not persisted): scheduled again for what is left of the delay. */
static void rearm_auto_answer(sc_coord *coord, sc_session *s)
{
    if (!coord->auto_answer || strcmp(sc_session_state_name(s), "Ringing") != 0 ||
        sc_session_field(s, SC_FIELD_PEER_ID))
        return;
    uint64_t now = sc_clock_mono_us(coord->clock), entered = sc_session_state_entered_mono_us(s);
    uint64_t rang_ms = now > entered ? (now - entered) / 1000 : 0;
    uint64_t delay = coord->ring_delay_ms > rang_ms ? coord->ring_delay_ms - rang_ms : 0;
    sc_event ev = {.type = SC_EV_AcceptCall, .text = "auto-answer"};
    int rc = sc_engine_schedule(coord->engine, s, delay, &ev, false);
    if (rc)
        sc_log(coord->logger, SC_LOG_WARN, "persist", "session %s: auto answer not scheduled again: %s",
               sc_session_id(s), sc_strerror(rc));
}

/* What was in flight at the crash, and what we do about it. Returns true if resolved. */
static bool resolve(sc_coord *coord, sc_session *s, sc_coord_leg *leg)
{
    char id[SC_SESSION_ID_MAX + 1];
    copy(id, sizeof id, sc_session_id(s));
    const char *state = sc_session_state_name(s);
    if (cancel_lost_invite(coord, s, leg, id))
        return true;
    if (!leg || !leg->call) {
        /* No dialog to resume: an INVITE transaction (the peer's or ours, recorded without
         * its Vias by an older build, or not rebuilt) died with the process. It can be
         * neither answered nor cancelled. */
        const char *why = sc_session_role(s) == SC_ROLE_UAC ? "recovery: our INVITE transaction lost"
                                                            : "recovery: incoming INVITE transaction lost";
        sc_log(coord->logger, SC_LOG_INFO, "persist", "session %s in %s: %s; ending it", id, state, why);
        sc_coord__dispatch(coord, s, SC_EV_DialogError, 0, why, NULL);
        return true;
    }
    if (!strcmp(state, "Answering")) { /* our 2xx's retransmissions and the ACK match are gone */
        sc_coord__dispatch(coord, s, SC_EV_DialogTimeout, 0, "recovery: no ACK can match our 2xx any more", NULL);
        return true;
    }
    if (!strcmp(state, "Terminating")) { /* our BYE's transaction is gone: send it again */
        int rc = sc_sip_call_bye(leg->call);
        sc_log(coord->logger, SC_LOG_INFO, "persist", "session %s: BYE sent again after recovery: %s", id,
               rc ? sc_strerror(rc) : "ok");
        return true;
    }
    if (!strcmp(state, "Holding") || !strcmp(state, "Resuming")) {
        int rc = sc_coord__reinvite(leg, !strcmp(state, "Holding") ? SC_SDP_SENDONLY : SC_SDP_SENDRECV);
        sc_log(coord->logger, SC_LOG_INFO, "persist", "session %s: re-INVITE (%s) retried after recovery: %s", id,
               state, rc ? sc_strerror(rc) : "ok");
        return true;
    }
    return false;
}

void sc_coord__recover_finish(sc_coord_recover_ctx *c)
{
    sc_coord *coord = c->coord;
    for (size_t i = 0; i < c->n; i++) {
        sc_session *s = sc_store_get(coord->store, c->ids[i]);
        if (!s)
            continue;
        sc_coord_leg *leg = sc_coord__leg(s);
        if (leg)
            restart_media(coord, s, leg);
        bool resumed = resume_incoming(coord, s, leg);
        if (resumed)
            sc_log(coord->logger, SC_LOG_INFO, "persist", "session %s in %s: recovery: INVITE transaction resumed",
                   c->ids[i], sc_session_state_name(s));
        char why[160];
        if (c->taken_from)
            snprintf(why, sizeof why, "taken over from %s", c->taken_from);
        else
            snprintf(why, sizeof why, "%s",
                     resumed ? "recovery: INVITE transaction resumed" : "recovered after restart");
        /* code 1: taken over, our media moved here (the table re-INVITEs); 0: a restart */
        sc_coord__dispatch(coord, s, SC_EV_Recovered, c->taken_from ? 1 : 0, why, NULL);
        s = sc_store_get(coord->store, c->ids[i]);
        if (!s || sc_coord__is_terminal(s))
            continue;
        if (resumed) {
            rearm_auto_answer(coord, s);
            c->rep->resolved++;
        } else if (resolve(coord, s, sc_coord__leg(s))) {
            c->rep->resolved++;
        }
        s = sc_store_get(coord->store, c->ids[i]);
        if (s)
            sc_coord__store_snapshot(coord, s);
    }
}
