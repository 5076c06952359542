/* player: announcements. A prompt (a sound file, or a music-on-hold class's audio) is decoded
 * once to 8 kHz (audio.c; in libuv's thread pool when asked first) and encoded once per codec,
 * frame by frame as players first need them, into a cache of the context; a stream's player
 * sends its frames from one 20 ms timer of the context that runs while anything plays, and
 * tells its owner when the file has played to its end. */
#include "media/media_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MOD "media"
#define MAX_CATCHUP 5 /* frames sent in one tick when the timer ran late; beyond it we skip */

/* One decoded prompt and its encodings. */
typedef struct sc_prompt {
    struct sc_prompt *next;
    char *key; /* the path, or "class:NAME" */
    dev_t dev; /* file identity when read (0 for a class) */
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int16_t *pcm; /* 8 kHz mono, padded with silence to whole frames */
    size_t nframes;
    /* per codec slot: the frames' payloads back to back (cap octets), where each begins
     * (nframes + 1), how many are encoded so far, and the encoder until all are */
    uint8_t *enc[SC_CODEC_SLOTS];
    size_t cap[SC_CODEC_SLOTS];
    uint32_t *off[SC_CODEC_SLOTS];
    size_t encoded[SC_CODEC_SLOTS];
    sc_codec *encoder[SC_CODEC_SLOTS];
    unsigned refs;      /* players using it */
    uint64_t last_used; /* a counter, for the eviction */
    size_t bytes;
} sc_prompt;

typedef struct sc_player {
    struct sc_player *prev, *next; /* in the context's players */
    sc_media_stream *st;
    sc_prompt *p;
    size_t frame; /* next frame */
    bool loop;
    uint64_t start_us, frames; /* pacing: frames due since start_us */
    sc_media_play_done_fn done;
    void *ud;
    uint64_t tick; /* the tick that served it last */
} sc_player;

typedef struct sc_player_ctx {
    sc_media *m;
    uv_timer_t timer;
    bool running;
    bool closing, timer_closed; /* sc_media_free: freed once the timer closed and no job runs */
    unsigned jobs;              /* prompt loads in the thread pool */
    sc_prompt *cache;
    size_t nprompts, bytes;
    uint64_t uses;
    sc_player *players;
    uint64_t tick;
} sc_player_ctx;

/* ---- The cache ------------------------------------------------------------------------------ */

static void prompt_free(sc_prompt *p)
{
    for (int k = 0; k < SC_CODEC_SLOTS; k++) {
        free(p->enc[k]);
        free(p->off[k]);
        sc_codec__free(p->encoder[k]);
    }
    free(p->pcm);
    free(p->key);
    free(p);
}

static void cache_unlink(sc_player_ctx *pc, sc_prompt *p)
{
    for (sc_prompt **pp = &pc->cache; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            pc->nprompts--;
            pc->bytes -= p->bytes;
            return;
        }
}

/* Room for one more prompt: drop the least recently used ones nobody plays. */
static void cache_trim(sc_player_ctx *pc)
{
    while (pc->nprompts >= SC_MEDIA_PROMPT_CACHE) {
        sc_prompt *victim = NULL;
        for (sc_prompt *p = pc->cache; p; p = p->next)
            if (!p->refs && (!victim || p->last_used < victim->last_used))
                victim = p;
        if (!victim)
            return; /* all playing: the cache grows past its bound for a while */
        cache_unlink(pc, victim);
        prompt_free(victim);
    }
}

static bool same_file(const sc_prompt *p, const struct stat *sb)
{
    return p->dev == sb->st_dev && p->ino == sb->st_ino && p->size == sb->st_size &&
           p->mtime.tv_sec == sb->st_mtim.tv_sec && p->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

static int prompt_new(const char *key, int16_t *pcm, size_t n, sc_prompt **out)
{
    sc_prompt *p = calloc(1, sizeof *p);
    size_t nframes = (n + SC_MEDIA_FRAME - 1) / SC_MEDIA_FRAME;
    int16_t *padded = p ? realloc(pcm, nframes * SC_MEDIA_FRAME * sizeof *pcm) : NULL;
    if (!p || !padded || !(p->key = strdup(key))) {
        free(padded ? padded : pcm);
        free(p);
        return -ENOMEM;
    }
    memset(padded + n, 0, (nframes * SC_MEDIA_FRAME - n) * sizeof *padded);
    p->pcm = padded;
    p->nframes = nframes;
    p->bytes = nframes * SC_MEDIA_FRAME * sizeof *padded;
    *out = p;
    return 0;
}

/* The file path as it is on disk now: 0, -ENOENT, -EIO (not a regular file). */
static int file_stat(const char *path, struct stat *sb)
{
    if (stat(path, sb) != 0)
        return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EIO;
    return S_ISREG(sb->st_mode) ? 0 : -EIO;
}

/* The cached prompt of key, if it is still what is on disk (sb; NULL for a class). A changed
 * file's entry is dropped (or, while it plays, hidden until its players end). */
static sc_prompt *cache_find(sc_player_ctx *pc, const char *key, const struct stat *sb)
{
    for (sc_prompt *p = pc->cache; p; p = p->next) {
        if (strcmp(p->key, key))
            continue;
        if (!sb || same_file(p, sb)) {
            p->last_used = ++pc->uses;
            return p;
        }
        if (!p->refs) { /* the file changed: read it again */
            cache_unlink(pc, p);
            prompt_free(p);
        } else {
            p->key[0] = '\0'; /* stays for its players, never found again */
        }
        return NULL;
    }
    return NULL;
}

/* Put decoded audio (pcm taken) in the cache as key. */
static int cache_insert(sc_media *m, sc_player_ctx *pc, const char *key, const struct stat *sb, int16_t *pcm, size_t n,
                        sc_prompt **out)
{
    sc_prompt *p;
    int rc = prompt_new(key, pcm, n, &p);
    if (rc < 0)
        return rc;
    if (sb) {
        p->dev = sb->st_dev;
        p->ino = sb->st_ino;
        p->size = sb->st_size;
        p->mtime = sb->st_mtim;
    }
    cache_trim(pc);
    p->next = pc->cache;
    pc->cache = p;
    pc->nprompts++;
    pc->bytes += p->bytes;
    p->last_used = ++pc->uses;
    sc_log(m->logger, SC_LOG_INFO, MOD, "prompt %s: %zu samples (%.1f s) decoded", key, n, n / 8000.0);
    *out = p;
    return 0;
}

/* A music-on-hold class's audio, copied. */
static int class_pcm(sc_media *m, const char *cls, int16_t **pcm, size_t *n)
{
    sc_moh_class *c = sc_moh__find(m, cls);
    if (!c && !strcmp(cls, "default"))
        return sc_media_moh_default_pcm(pcm, n);
    if (!c)
        return -ENOENT;
    if (!(*pcm = malloc(c->len * sizeof **pcm)))
        return -ENOMEM;
    memcpy(*pcm, c->pcm, c->len * sizeof **pcm);
    *n = c->len;
    return 0;
}

/* The prompt of path (or of a MOH class), from the cache or read now. */
static int prompt_get(sc_media *m, sc_player_ctx *pc, const char *path, const char *cls, sc_prompt **out)
{
    char key[4096];
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    int rc = 0;
    if (path) {
        if (snprintf(key, sizeof key, "%s", path) >= (int)sizeof key)
            return -EINVAL;
        if ((rc = file_stat(path, &sb)) < 0)
            return rc;
    } else if (snprintf(key, sizeof key, "class:%s", cls) >= (int)sizeof key) {
        return -EINVAL;
    }
    if ((*out = cache_find(pc, key, path ? &sb : NULL)) != NULL)
        return 0;
    int16_t *pcm = NULL;
    size_t n = 0;
    rc = path ? sc_media_load_audio(path, &pcm, &n) : class_pcm(m, cls, &pcm, &n);
    if (rc == 0 && n == 0)
        rc = -EIO;
    if (rc < 0) {
        free(pcm);
        return rc;
    }
    return cache_insert(m, pc, key, path ? &sb : NULL, pcm, n, out);
}

/* Frames 0..frame of p encoded for the codec of fmt (slot k): each frame is encoded once, in
 * order, by one encoder a prompt and codec (its state carried across the frames, as for a live
 * stream), when a player first needs it: a long file costs the loop one frame at a time, not
 * all at once. The encoder is freed when the last frame is done. */
static int prompt_encode(sc_player_ctx *pc, sc_prompt *p, int k, const sc_media_format *fmt, size_t frame)
{
    if (frame < p->encoded[k])
        return 0;
    if (!p->off[k]) {
        int rc = sc_codec__new(&p->encoder[k], fmt->codec, true, 8000, fmt);
        if (rc < 0)
            return rc;
        if (!(p->off[k] = malloc((p->nframes + 1) * sizeof *p->off[k])))
            return -ENOMEM;
        p->off[k][0] = 0;
        p->bytes += (p->nframes + 1) * sizeof *p->off[k];
        pc->bytes += (p->nframes + 1) * sizeof *p->off[k];
    }
    while (p->encoded[k] <= frame) {
        size_t i = p->encoded[k], len = p->off[k][i];
        uint8_t out[SC_CODEC_MAX_PAYLOAD];
        int n = sc_codec__encode(p->encoder[k], p->pcm + i * SC_MEDIA_FRAME, SC_MEDIA_FRAME, out, sizeof out);
        if (n < 0)
            return n;
        if (len + (size_t)n > p->cap[k]) {
            size_t ncap = p->cap[k] ? p->cap[k] * 2 : (size_t)SC_MEDIA_FRAME * 50; /* one second of G.711 */
            while (ncap < len + (size_t)n)
                ncap *= 2;
            uint8_t *nb = realloc(p->enc[k], ncap);
            if (!nb)
                return -ENOMEM;
            p->bytes += ncap - p->cap[k];
            pc->bytes += ncap - p->cap[k];
            p->enc[k] = nb;
            p->cap[k] = ncap;
        }
        memcpy(p->enc[k] + len, out, (size_t)n);
        p->off[k][i + 1] = (uint32_t)(len + (size_t)n);
        p->encoded[k]++;
    }
    if (p->encoded[k] == p->nframes) {
        sc_codec__free(p->encoder[k]);
        p->encoder[k] = NULL;
    }
    return 0;
}

/* ---- Loading in the thread pool ----------------------------------------------------------- */

struct sc_media_prompt_job {
    uv_work_t work;
    sc_player_ctx *pc;
    char *path;
    struct stat sb; /* the file when the load was asked */
    int16_t *pcm;   /* decoded in the worker */
    size_t n;
    int rc;
    void (*done)(int rc, void *ud);
    void *ud;
    bool cancelled;
};

static sc_player_ctx *ctx_get(sc_media *m);
static void ctx_maybe_free(sc_player_ctx *pc);

/* In a worker thread: libsndfile and the resampler touch nothing shared. */
static void load_work(uv_work_t *w)
{
    sc_media_prompt_job *j = w->data;
    j->rc = sc_media_load_audio(j->path, &j->pcm, &j->n);
    if (j->rc == 0 && j->n == 0)
        j->rc = -EIO;
}

static void load_after(uv_work_t *w, int status)
{
    sc_media_prompt_job *j = w->data;
    sc_player_ctx *pc = j->pc;
    int rc = status < 0 ? -ECANCELED : j->rc;
    pc->jobs--;
    if (rc == 0 && !pc->closing) {
        sc_prompt *p = cache_find(pc, j->path, &j->sb); /* a load of the same file may have won */
        if (p)
            free(j->pcm);
        else
            rc = cache_insert(pc->m, pc, j->path, &j->sb, j->pcm, j->n, &p);
        j->pcm = NULL;
    }
    free(j->pcm);
    if (!j->cancelled && !pc->closing && j->done)
        j->done(rc, j->ud);
    free(j->path);
    free(j);
    ctx_maybe_free(pc);
}

int sc_media_prompt_cached(sc_media *m, const char *path)
{
    struct stat sb;
    if (!m || m->freeing || !path || !*path)
        return -EINVAL;
    int rc = file_stat(path, &sb);
    if (rc < 0)
        return rc;
    sc_player_ctx *pc = ctx_get(m);
    if (!pc)
        return -ENOMEM;
    return cache_find(pc, path, &sb) ? 1 : 0;
}

int sc_media_prompt_load(sc_media *m, const char *path, void (*done)(int rc, void *ud), void *ud,
                         sc_media_prompt_job **out)
{
    if (!m || m->freeing || !path || !*path || strlen(path) >= 4096 || !done)
        return -EINVAL;
    sc_player_ctx *pc = ctx_get(m);
    sc_media_prompt_job *j = pc ? calloc(1, sizeof *j) : NULL;
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return -ENOMEM;
    }
    int rc = file_stat(path, &j->sb);
    if (rc == 0) {
        j->pc = pc;
        j->done = done;
        j->ud = ud;
        j->work.data = j;
        rc = uv_queue_work(m->loop, &j->work, load_work, load_after);
    }
    if (rc < 0) {
        free(j->path);
        free(j);
        return rc;
    }
    pc->jobs++;
    if (out)
        *out = j;
    return 0;
}

void sc_media_prompt_cancel(sc_media_prompt_job *job)
{
    if (job)
        job->cancelled = true; /* the decoding finishes (into the cache); done is not called */
}

/* ---- Playing -------------------------------------------------------------------------------- */

static sc_player_ctx *ctx_get(sc_media *m)
{
    if (m->players)
        return m->players;
    sc_player_ctx *pc = calloc(1, sizeof *pc);
    if (!pc)
        return NULL;
    pc->m = m;
    uv_timer_init(m->loop, &pc->timer);
    pc->timer.data = pc;
    m->live++;
    m->players = pc;
    return pc;
}

static void unlink_player(sc_player_ctx *pc, sc_player *pl)
{
    if (pl->prev)
        pl->prev->next = pl->next;
    else
        pc->players = pl->next;
    if (pl->next)
        pl->next->prev = pl->prev;
    pl->st->player = NULL;
    if (pl->st->src == SC_SRC_PLAY)
        pl->st->src = SC_SRC_NONE; /* the talkspurt ended: the next audio has the marker */
    pl->p->refs--;
    if (!pl->p->key[0] && !pl->p->refs) { /* a stale version of a changed file */
        cache_unlink(pc, pl->p);
        prompt_free(pl->p);
    }
    free(pl);
    if (!pc->players && pc->running) {
        pc->running = false;
        uv_timer_stop(&pc->timer);
    }
}

/* Send pl's next frame; true when the file has ended (not looping). */
static bool play_frame(sc_player_ctx *pc, sc_player *pl)
{
    sc_media_stream *st = pl->st;
    sc_prompt *p = pl->p;
    if (sc_media__can_send(st) && !sc_dtmf__sending(st)) {
        int k = sc_codec__slot(st->fmt.codec);
        if (k >= 0 && prompt_encode(pc, p, k, &st->fmt, pl->frame) == 0) {
            uint8_t pkt[12 + SC_CODEC_MAX_PAYLOAD];
            size_t n = p->off[k][pl->frame + 1] - p->off[k][pl->frame];
            if (n > 0 && n <= SC_CODEC_MAX_PAYLOAD) {
                memcpy(pkt + 12, p->enc[k] + p->off[k][pl->frame], n);
                sc_media__audio_header(st, pkt, SC_SRC_PLAY);
                sc_media__send_rtp(st, pkt, 12 + n, n);
            }
        }
    }
    if (++pl->frame < p->nframes)
        return false;
    pl->frame = 0;
    return !pl->loop;
}

static void timer_cb(uv_timer_t *t)
{
    sc_player_ctx *pc = t->data;
    uint64_t now = sc_media__now(pc->m);
    uint64_t tick = ++pc->tick;
    /* a player that ends calls its owner, who may close streams (and so other players):
     * after each such call the walk starts again, skipping the players served this tick */
    sc_player *pl = pc->players;
    while (pl) {
        if (pl->tick == tick) {
            pl = pl->next;
            continue;
        }
        pl->tick = tick;
        uint64_t due = (now - pl->start_us) / SC_MEDIA_FRAME_US;
        if (due > pl->frames + MAX_CATCHUP) { /* far behind (loop stalled): skip, keep real time */
            uint64_t skip = due - pl->frames - 1;
            pl->frame = pl->loop ? (size_t)((pl->frame + skip) % pl->p->nframes)
                                 : (size_t)(pl->frame + skip < pl->p->nframes ? pl->frame + skip : pl->p->nframes - 1);
            pl->frames += skip;
        }
        bool ended = false;
        while (pl->frames < due && !ended) {
            pl->frames++;
            ended = play_frame(pc, pl);
        }
        if (!ended) {
            pl = pl->next;
            continue;
        }
        sc_media_stream *st = pl->st;
        sc_media_play_done_fn done = pl->done;
        void *ud = pl->ud;
        unlink_player(pc, pl);
        if (done)
            done(st, ud);
        pl = pc->players;
    }
}

int sc_media_play_file(sc_media_stream *st, const char *path, const char *class_name, bool loop,
                       sc_media_play_done_fn done, void *ud)
{
    if (!st || st->closing || (!path == !class_name) || (path && !*path) || (class_name && !*class_name))
        return -EINVAL;
    sc_media *m = st->m;
    sc_player_ctx *pc = ctx_get(m);
    if (!pc)
        return -ENOMEM;
    sc_prompt *p = NULL;
    int rc = prompt_get(m, pc, path, class_name, &p);
    if (rc < 0)
        return rc;
    sc_player *pl = calloc(1, sizeof *pl);
    if (!pl)
        return -ENOMEM;
    sc_player__detach(st);
    p->refs++;
    pl->st = st;
    pl->p = p;
    pl->loop = loop;
    pl->done = done;
    pl->ud = ud;
    pl->start_us = sc_media__now(m);
    pl->tick = pc->tick;
    pl->next = pc->players;
    if (pc->players)
        pc->players->prev = pl;
    pc->players = pl;
    st->player = pl;
    if (!pc->running) {
        pc->running = true;
        uv_timer_start(&pc->timer, timer_cb, SC_MEDIA_FRAME_US / 1000, SC_MEDIA_FRAME_US / 1000);
    }
    return 0;
}

void sc_player__detach(sc_media_stream *st)
{
    if (st && st->player)
        unlink_player(st->m->players, st->player);
}

void sc_media_play_stop(sc_media_stream *st) { sc_player__detach(st); }

bool sc_media_playing(const sc_media_stream *st) { return st && st->player; }

void sc_media_prompt_cache(const sc_media *m, size_t *files, size_t *bytes)
{
    const sc_player_ctx *pc = m ? m->players : NULL;
    if (files)
        *files = pc ? pc->nprompts : 0;
    if (bytes)
        *bytes = pc ? pc->bytes : 0;
}

static void ctx_maybe_free(sc_player_ctx *pc)
{
    if (!pc->closing || !pc->timer_closed || pc->jobs)
        return;
    sc_media *m = pc->m;
    while (pc->cache) {
        sc_prompt *p = pc->cache;
        pc->cache = p->next;
        prompt_free(p);
    }
    free(pc);
    sc_media__release(m);
}

static void ctx_close_cb(uv_handle_t *h)
{
    sc_player_ctx *pc = h->data;
    pc->timer_closed = true;
    ctx_maybe_free(pc);
}

void sc_player__free_ctx(sc_media *m)
{
    sc_player_ctx *pc = m->players;
    if (!pc)
        return;
    while (pc->players)
        sc_player__detach(pc->players->st);
    m->players = NULL;
    pc->closing = true; /* loads still running finish, then it is freed */
    uv_close((uv_handle_t *)&pc->timer, ctx_close_cb);
}
