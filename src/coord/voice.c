/* voice: the building blocks of voice applications on a leg's RTP stream: announcements
 * (PlayFile, StopPlayback -> PlaybackDone, with barge-in on DTMF), recording (RecordCall,
 * StopRecording; RecordingFailed when a file cannot be written) and digit collection
 * (CollectDigits -> DigitsCollected or DigitsTimeout, the digits in a session variable). Digits
 * are read from the session's DtmfReceived runs (RFC 4733 and SIP INFO alike); the media parts
 * are src/media/player.c and record.c; a file not cached yet is decoded in the thread pool
 * while PlayFile waits (the session's run suspended, sc_exec_suspend). Counted in
 * sessioncore_playbacks_total, sessioncore_recordings_total and
 * sessioncore_digit_collections_total; shown in inspections. */
#include "coord/media.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "voice"
#define DIGITS_MAX 64         /* CollectDigits' max, at most */
#define TYPEAHEAD_MAX 16      /* barged-in digits kept for the next CollectDigits */
#define TIMEOUT_MAX_MS 600000 /* CollectDigits' timeouts, at most */

enum { PLAY_DONE, PLAY_BARGE_IN, PLAY_STOPPED, PLAY_FAILED, PLAY__N };
enum { REC_STARTED, REC_COMPLETED, REC_FAILED, REC__N };
enum { DIG_COLLECTED, DIG_TIMEOUT, DIG__N };
static const char *const play_results[PLAY__N] = {"done", "barge_in", "stopped", "failed"};
static const char *const rec_results[REC__N] = {"started", "completed", "failed"};
static const char *const dig_results[DIG__N] = {"collected", "timeout"};

typedef struct voice_state {
    char *sounds_dir; /* relative PlayFile paths are under it; NULL: the working directory */
    sc_obs_counter *plays[PLAY__N], *recs[REC__N], *digits[DIG__N];
} voice_state;

/* A leg's voice state (leg->voice), made by its first voice action; freed after its timer closed. */
typedef struct sc_coord_voice {
    sc_coord *c;
    char id[SC_SESSION_ID_MAX + 1];
    uv_timer_t timer; /* the digit collection's timeouts */
    /* playback */
    bool playing, barge_in;
    char file[256]; /* as the table named it (or "class:NAME") */
    char typeahead[TYPEAHEAD_MAX + 1];
    /* digit collection */
    bool collecting;
    char digits[DIGITS_MAX + 1];
    size_t n, max;
    char terminator; /* '\0': none */
    uint32_t first_ms, inter_ms;
    char var[SC_VAR_NAME_MAX + 1];
    /* recording */
    bool recording;
    char *rec_files[2];
} sc_coord_voice;

static voice_state *state_of(sc_coord *c) { return sc_coord__feat(c, SC_FEAT_VOICE); }

static void count(sc_obs_counter *ctr)
{
    if (ctr)
        sc_obs_counter_inc(ctr);
}

static void voice_close_cb(uv_handle_t *h)
{
    sc_coord_voice *v = h->data;
    free(v->rec_files[0]);
    free(v->rec_files[1]);
    free(v);
}

static sc_coord_voice *voice_of(sc_coord_leg *leg)
{
    if (!leg)
        return NULL;
    if (!leg->voice) {
        sc_coord_voice *v = calloc(1, sizeof *v);
        if (!v)
            return NULL;
        v->c = leg->c;
        snprintf(v->id, sizeof v->id, "%s", leg->id);
        uv_timer_init(leg->c->loop, &v->timer);
        v->timer.data = v;
        leg->voice = v;
    }
    return leg->voice;
}

static sc_media_stream *stream_of(const sc_coord_leg *leg) { return leg ? (sc_media_stream *)leg->stream : NULL; }

static sc_session *session_of(const sc_coord_voice *v) { return sc_store_get(v->c->store, v->id); }

/* ---- Digit collection ------------------------------------------------------------------------ */

static void collect_end(sc_coord_voice *v, sc_session *s, bool timeout)
{
    sc_coord *c = v->c;
    voice_state *vs = state_of(c);
    v->collecting = false;
    uv_timer_stop(&v->timer);
    int rc = sc_session_var_set(s, v->var, v->digits);
    if (rc < 0)
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: cannot set variable %s: %s", v->id, v->var, sc_strerror(rc));
    sc_log(c->logger, SC_LOG_INFO, MOD, "session %s: digits '%s' %s", v->id, v->digits,
           timeout ? "(timeout)" : "collected");
    if (vs)
        count(vs->digits[timeout ? DIG_TIMEOUT : DIG_COLLECTED]);
    char text[DIGITS_MAX + 1];
    snprintf(text, sizeof text, "%s", v->digits);
    sc_coord__dispatch(c, s, timeout ? SC_EV_DigitsTimeout : SC_EV_DigitsCollected, (int32_t)v->n, text, NULL);
}

static void collect_timer_cb(uv_timer_t *t)
{
    sc_coord_voice *v = t->data;
    sc_session *s = session_of(v);
    if (s && v->collecting)
        collect_end(v, s, true);
}

static void collect_arm(sc_coord_voice *v)
{
    uint32_t ms = v->n ? v->inter_ms : v->first_ms;
    uv_timer_stop(&v->timer);
    if (ms)
        uv_timer_start(&v->timer, collect_timer_cb, ms, 0);
}

/* One digit for the collection: it ends on the terminator (not kept) or at max digits. */
static void collect_digit(sc_coord_voice *v, sc_session *s, char d)
{
    if (v->terminator && d == v->terminator) {
        collect_end(v, s, false);
        return;
    }
    v->digits[v->n++] = d;
    v->digits[v->n] = '\0';
    if (v->n >= v->max)
        collect_end(v, s, false);
    else
        collect_arm(v);
}

static bool dtmf_char(char d) { return d && strchr("0123456789*#ABCD", d) != NULL; }

static int a_collect_digits(const sc_exec *x)
{
    sc_coord *c = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    int64_t max = sc_exec_param_int(x, "max", 1);
    const char *term = sc_exec_param_str(x, "terminator", "");
    int64_t first = sc_exec_param_int(x, "first_digit_timeout_ms", 5000);
    int64_t inter = sc_exec_param_int(x, "inter_digit_timeout_ms", 3000);
    const char *var = sc_exec_param_str(x, "var", "digits");
    if (max < 1 || max > DIGITS_MAX || strlen(term) > 1 || (*term && !dtmf_char(*term)) || first < 0 ||
        first > TIMEOUT_MAX_MS || inter < 0 || inter > TIMEOUT_MAX_MS || !sc_var_name_valid(var)) {
        sc_log(c->logger, SC_LOG_WARN, MOD,
               "session %s: CollectDigits: bad parameters (max 1..%d, terminator one of 0-9*#A-D, timeouts 0..%d ms, "
               "var [A-Za-z0-9_.-]{1,%d})",
               sc_session_id(x->session), DIGITS_MAX, TIMEOUT_MAX_MS, SC_VAR_NAME_MAX);
        return -EINVAL;
    }
    sc_coord_voice *v = voice_of(leg);
    if (!v)
        return leg ? -ENOMEM : -ENOTCONN;
    v->collecting = true;
    v->n = 0;
    v->digits[0] = '\0';
    v->max = (size_t)max;
    v->terminator = *term;
    v->first_ms = (uint32_t)first;
    v->inter_ms = (uint32_t)inter;
    snprintf(v->var, sizeof v->var, "%s", var);
    collect_arm(v);
    /* digits that barged into an announcement before the collection began count first */
    char ahead[TYPEAHEAD_MAX + 1];
    snprintf(ahead, sizeof ahead, "%s", v->typeahead);
    v->typeahead[0] = '\0';
    for (const char *p = ahead; *p && v->collecting; p++)
        collect_digit(v, x->session, *p);
    return 0;
}

/* ---- Announcements --------------------------------------------------------------------------- */

static void play_done(sc_media_stream *st, void *ud)
{
    sc_coord_voice *v = ud;
    sc_session *s = session_of(v);
    voice_state *vs = state_of(v->c);
    v->playing = false;
    if (vs)
        count(vs->plays[PLAY_DONE]);
    if (s)
        sc_coord__dispatch(v->c, s, SC_EV_PlaybackDone, 0, v->file, NULL);
}

/* A digit arrived: barge-in (the announcement stops, PlaybackDone with code 1) and collection. */
static void on_digit(sc_coord *c, sc_session *s, sc_coord_leg *leg, char d)
{
    sc_coord_voice *v = leg->voice;
    if (!v || !dtmf_char(d))
        return;
    if (v->playing && v->barge_in && sc_media_playing(stream_of(leg))) {
        sc_media_play_stop(stream_of(leg));
        v->playing = false;
        voice_state *vs = state_of(c);
        if (vs)
            count(vs->plays[PLAY_BARGE_IN]);
        if (!v->collecting) {
            size_t n = strlen(v->typeahead);
            if (n < TYPEAHEAD_MAX) {
                v->typeahead[n] = d;
                v->typeahead[n + 1] = '\0';
            }
        }
        sc_log(c->logger, SC_LOG_INFO, MOD, "session %s: digit %c stops %s (barge-in)", v->id, d, v->file);
        sc_coord__dispatch(c, s, SC_EV_PlaybackDone, 1, v->file, NULL);
    }
    if (v->collecting)
        collect_digit(v, s, d);
}

/* A relative path is taken under the sounds directory (when one is set). */
static int resolve(const voice_state *vs, const char *file, char *out, size_t cap)
{
    int n = file[0] == '/' || !vs || !vs->sounds_dir ? snprintf(out, cap, "%s", file)
                                                     : snprintf(out, cap, "%s/%s", vs->sounds_dir, file);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static void cannot_play(sc_coord *c, const char *sid, const char *path, const char *cls, int rc)
{
    sc_log(c->logger, SC_LOG_ERROR, MOD, "session %s: PlayFile: cannot play %s%s: %s", sid, path ? path : "class ",
           path ? "" : cls, sc_strerror(rc));
}

/* Start the playback of path (or of class cls) on leg's stream; named is the file as the table
 * wrote it. 0 or the error (logged and counted). */
static int play_start(sc_coord *c, sc_coord_leg *leg, const char *sid, const char *path, const char *cls,
                      const char *named, bool loop, bool barge_in)
{
    voice_state *vs = state_of(c);
    sc_coord_voice *v = voice_of(leg);
    sc_media_stream *st = stream_of(leg);
    int rc;
    if (!v) {
        rc = leg ? -ENOMEM : -ENOTCONN;
    } else if (!st) {
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: PlayFile %s: no media stream", sid, named);
        rc = -ENOTCONN;
    } else {
        bool was = v->playing && sc_media_playing(st);
        rc = sc_media_play_file(st, path, cls, loop, play_done, v);
        if (rc < 0) {
            cannot_play(c, sid, path, cls, rc);
        } else {
            if (was && vs)
                count(vs->plays[PLAY_STOPPED]); /* the one it replaces */
            v->playing = true;
            v->barge_in = barge_in;
            snprintf(v->file, sizeof v->file, "%s", named);
        }
    }
    if (rc < 0 && vs)
        count(vs->plays[PLAY_FAILED]);
    return rc;
}

/* A PlayFile waiting for its file to be decoded in the thread pool (the session's run is
 * suspended meanwhile, its later events queued). */
typedef struct play_wait {
    sc_coord *c;
    char id[SC_SESSION_ID_MAX + 1];
    char path[PATH_MAX];
    char named[256];
    bool loop, barge_in;
    uint64_t token;
    sc_media_prompt_job *job;
} play_wait;

static void play_loaded(int rc, void *ud)
{
    play_wait *w = ud;
    sc_coord *c = w->c;
    sc_session *s = sc_store_get(c->store, w->id);
    voice_state *vs = state_of(c);
    if (rc < 0) {
        cannot_play(c, w->id, w->path, NULL, rc);
        if (vs)
            count(vs->plays[PLAY_FAILED]);
    } else if (s) {
        rc = play_start(c, sc_coord__leg(s), w->id, w->path, NULL, w->named, w->loop, w->barge_in);
    }
    uint64_t token = w->token;
    free(w);
    sc_engine_resume(c->engine, token, rc); /* the row goes on (or takes ActionFailed) */
}

/* The session was removed while its file was being decoded. */
static void play_cancel(void *ud)
{
    play_wait *w = ud;
    sc_media_prompt_cancel(w->job);
    free(w);
}

/* A file not cached yet is decoded in the thread pool while the action waits (sc_exec_suspend):
 * 1 when it waits, 0 when it could not (the caller decodes it at once). */
static int play_later(const sc_exec *x, sc_coord *c, const char *path, const char *named)
{
    play_wait *w = calloc(1, sizeof *w);
    if (!w)
        return 0;
    w->c = c;
    snprintf(w->id, sizeof w->id, "%s", sc_session_id(x->session));
    snprintf(w->path, sizeof w->path, "%s", path);
    snprintf(w->named, sizeof w->named, "%s", named);
    w->loop = sc_exec_param_bool(x, "loop", false);
    w->barge_in = sc_exec_param_bool(x, "barge_in", false);
    if (sc_media_prompt_load(sc_coord__media_ctx(c), path, play_loaded, w, &w->job) == 0) {
        if ((w->token = sc_exec_suspend(x, play_cancel, w)) != 0)
            return 1;
        sc_media_prompt_cancel(w->job);
    }
    free(w);
    return 0;
}

static int a_play_file(const sc_exec *x)
{
    sc_coord *c = x->ud;
    voice_state *vs = state_of(c);
    sc_coord_leg *leg = sc_coord__leg(x->session);
    const char *file = sc_exec_param_str(x, "file", NULL);
    const char *cls = sc_exec_param_str(x, "class", NULL);
    const char *sid = sc_session_id(x->session);
    char path[PATH_MAX], named[256];
    int rc = 0;
    if ((!file || !*file) == (!cls || !*cls)) {
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: PlayFile needs one of file and class", sid);
        rc = -EINVAL;
    } else if (file && (rc = resolve(vs, file, path, sizeof path)) < 0) {
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: PlayFile %s: path too long", sid, file);
    } else if (file && stream_of(leg) && (rc = sc_media_prompt_cached(sc_coord__media_ctx(c), path)) < 0) {
        cannot_play(c, sid, path, NULL, rc); /* no such file: fail now */
    }
    if (rc < 0) {
        if (vs)
            count(vs->plays[PLAY_FAILED]);
        return rc;
    }
    snprintf(named, sizeof named, "%s%s", file ? "" : "class:", file ? file : cls);
    if (file && rc == 0 && stream_of(leg) && play_later(x, c, path, named))
        return 0; /* answered by play_loaded */
    return play_start(c, leg, sid, file ? path : NULL, file ? NULL : cls, named, sc_exec_param_bool(x, "loop", false),
                      sc_exec_param_bool(x, "barge_in", false));
}

static int a_stop_playback(const sc_exec *x)
{
    sc_coord *c = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    sc_coord_voice *v = leg ? leg->voice : NULL;
    if (v && v->playing) {
        sc_media_play_stop(stream_of(leg));
        v->playing = false;
        voice_state *vs = state_of(c);
        if (vs)
            count(vs->plays[PLAY_STOPPED]);
    }
    return 0;
}

/* ---- Recording ------------------------------------------------------------------------------- */

static void rec_error(sc_media_stream *st, int err, const char *path, void *ud)
{
    sc_coord_voice *v = ud;
    voice_state *vs = state_of(v->c);
    sc_session *s = session_of(v);
    v->recording = false;
    if (vs)
        count(vs->recs[REC_FAILED]);
    sc_log(v->c->logger, SC_LOG_ERROR, MOD, "session %s: recording failed: %s: %s (the call goes on)", v->id, path,
           sc_strerror(err));
    /* the history keeps a short text: the reason first, then the file's name */
    const char *base = strrchr(path, '/');
    char text[SC_HISTORY_TEXT_MAX];
    snprintf(text, sizeof text, "%s: %s", sc_strerror(err), base ? base + 1 : path);
    if (s)
        sc_coord__dispatch(v->c, s, SC_EV_RecordingFailed, err, text, NULL);
}

/* The recording ended without a failure (StopRecording, or the session's end). */
static void rec_completed(sc_coord *c, sc_coord_voice *v)
{
    voice_state *vs = state_of(c);
    if (!v->recording)
        return;
    v->recording = false;
    if (vs)
        count(vs->recs[REC_COMPLETED]);
    sc_log(c->logger, SC_LOG_INFO, MOD, "session %s: recording completed: %s%s%s", v->id,
           v->rec_files[0] ? v->rec_files[0] : "", v->rec_files[0] && v->rec_files[1] ? ", " : "",
           v->rec_files[1] ? v->rec_files[1] : "");
}

static int a_record_call(const sc_exec *x)
{
    sc_coord *c = x->ud;
    voice_state *vs = state_of(c);
    sc_coord_leg *leg = sc_coord__leg(x->session);
    const char *dir = sc_exec_param_str(x, "path", "");
    const char *mode = sc_exec_param_str(x, "mode", "mixed");
    const char *format = sc_exec_param_str(x, "format", "wav");
    const char *sid = sc_session_id(x->session);
    bool mixed = !strcmp(mode, "mixed");
    if (!*dir || (!mixed && strcmp(mode, "per-leg")) || strcmp(format, "wav")) {
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: RecordCall: path needed, mode mixed|per-leg, format wav", sid);
        return -EINVAL;
    }
    sc_media_stream *st = stream_of(leg);
    sc_coord_voice *v = voice_of(leg);
    if (!st || !v) {
        sc_log(c->logger, SC_LOG_WARN, MOD, "session %s: RecordCall: no media stream", sid);
        return -ENOTCONN;
    }
    if (sc_media_recording(st))
        return -EBUSY;
    char a[PATH_MAX], b[PATH_MAX];
    int na = snprintf(a, sizeof a, mixed ? "%s/%s.wav" : "%s/%s-in.wav", dir, sid);
    int nb = snprintf(b, sizeof b, "%s/%s-out.wav", dir, sid);
    if (na < 0 || (size_t)na >= sizeof a || nb < 0 || (size_t)nb >= sizeof b)
        return -ENAMETOOLONG;
    for (int i = 0; i < 2; i++) {
        free(v->rec_files[i]);
        v->rec_files[i] = NULL;
    }
    if (!(v->rec_files[0] = strdup(a)) || (!mixed && !(v->rec_files[1] = strdup(b))))
        return -ENOMEM;
    sc_media_record_opts o = {.mixed_path = mixed ? a : NULL,
                              .in_path = mixed ? NULL : a,
                              .out_path = mixed ? NULL : b,
                              .on_error = rec_error,
                              .ud = v};
    v->recording = true;
    int rc = sc_media_record_start(st, &o);
    if (rc < 0) {
        v->recording = false;
        sc_log(c->logger, SC_LOG_ERROR, MOD, "session %s: RecordCall: %s", sid, sc_strerror(rc));
        return rc;
    }
    if (vs)
        count(vs->recs[REC_STARTED]);
    sc_log(c->logger, SC_LOG_INFO, MOD, "session %s: recording (%s) to %s%s%s", sid, mode, a, mixed ? "" : ", ",
           mixed ? "" : b);
    return 0;
}

static int a_stop_recording(const sc_exec *x)
{
    sc_coord *c = x->ud;
    sc_coord_leg *leg = sc_coord__leg(x->session);
    sc_media_record_stop(stream_of(leg));
    if (leg && leg->voice)
        rec_completed(c, leg->voice);
    return 0;
}

/* ---- Hooks ------------------------------------------------------------------------------------ */

/* Every run of the session: its digits (DtmfReceived, whether a row took it or not), and its
 * end (the collection stops; the stream's close already ended playback and recording). */
static void on_transition(sc_coord *c, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    sc_coord_leg *leg = sc_coord__leg(s);
    if (!leg || !leg->voice)
        return;
    if (rec->event == SC_EV_DtmfReceived)
        on_digit(c, s, leg, rec->event_text[0]);
    if (sc_coord__entered_terminal(s, rec)) {
        sc_coord_voice *v = leg->voice;
        v->collecting = false;
        uv_timer_stop(&v->timer);
        sc_media_play_stop(stream_of(leg));
        v->playing = false;
        sc_media_record_stop(stream_of(leg));
        rec_completed(c, v);
    }
}

static void leg_free(sc_coord_leg *leg)
{
    sc_coord_voice *v = leg->voice;
    if (!v)
        return;
    leg->voice = NULL;
    sc_media_play_stop(stream_of(leg));
    sc_media_record_stop(stream_of(leg));
    rec_completed(leg->c, v);
    uv_timer_stop(&v->timer);
    uv_close((uv_handle_t *)&v->timer, voice_close_cb);
}

static void leg_usage(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets)
{
    if (leg->voice)
        *bytes += sizeof *leg->voice;
}

static void inspect(sc_coord *c, const sc_session *s, json_t *out)
{
    sc_coord_leg *leg = sc_coord__leg(s);
    sc_coord_voice *v = leg ? leg->voice : NULL;
    if (!v || !json_is_object(out))
        return;
    json_t *o = json_object();
    if (!o)
        return;
    /* StopMedia closes the stream: what it played and recorded ends with it */
    sc_media_stream *st = stream_of(leg);
    bool playing = v->playing && sc_media_playing(st), recording = v->recording && sc_media_recording(st);
    json_object_set_new(o, "playing", playing ? json_string(v->file) : json_null());
    json_object_set_new(o, "barge_in", json_boolean(playing && v->barge_in));
    json_object_set_new(o, "collecting",
                        v->collecting ? json_pack("{s:s,s:i}", "digits", v->digits, "max", (int)v->max) : json_null());
    json_t *files = json_array();
    for (int i = 0; i < 2 && files; i++)
        if (recording && v->rec_files[i])
            json_array_append_new(files, json_string(v->rec_files[i]));
    json_object_set_new(o, "recording", files ? files : json_null());
    json_object_set_new(o, "recorded_bytes", json_integer((json_int_t)sc_media_record_bytes(st)));
    json_object_set_new(out, "voice", o);
}

/* ---- Start and stop --------------------------------------------------------------------------- */

static int counters(sc_coord *c, const char *name, const char *help, const char *const *values, size_t n,
                    sc_obs_counter **out)
{
    if (!c->reg)
        return 0;
    sc_obs_metric *m = NULL;
    sc_obs_desc d = {.type = SC_OBS_COUNTER, .name = name, .help = help, .labels = {"result"}};
    int rc = sc_obs_register(c->reg, &d, &m);
    for (size_t i = 0; rc == 0 && i < n; i++)
        out[i] = sc_obs_counter_with(m, values[i]);
    return rc;
}

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    voice_state *vs = calloc(1, sizeof *vs);
    if (!vs)
        return -ENOMEM;
    c->feat[SC_FEAT_VOICE] = vs;
    if (cfg->sounds_dir && *cfg->sounds_dir && !(vs->sounds_dir = strdup(cfg->sounds_dir)))
        return -ENOMEM;
    int rc = counters(c, "sessioncore_playbacks_total",
                      "PlayFile announcements by how they ended (done, barge_in, stopped, failed)", play_results,
                      PLAY__N, vs->plays);
    if (rc == 0)
        rc = counters(c, "sessioncore_recordings_total", "RecordCall recordings (started, completed, failed)",
                      rec_results, REC__N, vs->recs);
    if (rc == 0)
        rc = counters(c, "sessioncore_digit_collections_total",
                      "CollectDigits collections by result (collected, timeout)", dig_results, DIG__N, vs->digits);
    return rc;
}

static void stop(sc_coord *c)
{
    voice_state *vs = c->feat[SC_FEAT_VOICE];
    if (!vs)
        return;
    free(vs->sounds_dir);
    free(vs);
    c->feat[SC_FEAT_VOICE] = NULL;
}

static const sc_coord_action_def actions[] = {
    {"PlayFile", a_play_file},           {"StopPlayback", a_stop_playback},   {"RecordCall", a_record_call},
    {"StopRecording", a_stop_recording}, {"CollectDigits", a_collect_digits}, {NULL, NULL},
};

const sc_coord_feature sc_coord__feature_voice = {
    .name = "voice",
    .needs = "media", /* the leg's stream */
    .actions = actions,
    .start = start,
    .stop = stop,
    .on_transition = on_transition,
    .leg_free = leg_free,
    .leg_usage = leg_usage,
    .inspect = inspect,
};
