/* record: recording a stream to WAV files. What the stream receives and what it sends is
 * decoded to 8 kHz and queued per direction; a 20 ms timer of the recording takes one frame of
 * each (silence where nothing came) and appends it, mixed or per direction, to one-second
 * chunks that libuv's asynchronous file operations write in the background (one write in
 * flight per file, in order, at explicit offsets); the WAV header's sizes are written last. */
#include "media/media_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "media"
#define QUEUE_MAX 1600    /* samples waiting per direction (200 ms); older ones are dropped */
#define CHUNK_BYTES 16000 /* one second of 16-bit 8 kHz audio a write */
#define CHUNKS_MAX 30     /* chunks waiting for the disk per file; more are dropped (counted) */
#define MAX_CATCHUP 5
#define WAV_HEADER 44

typedef struct chunk {
    struct chunk *next;
    size_t len;
    uint8_t data[CHUNK_BYTES];
} chunk;

/* One output file. */
typedef struct sc_rec_file {
    struct sc_recorder *r;
    char *path;
    uv_fs_t req;
    uv_file fd;         /* -1 until open */
    bool busy;          /* a request is in flight */
    bool failed;        /* an operation failed: nothing more is written */
    bool closed;        /* closed (or never opened): done */
    chunk *head, *tail; /* written in order */
    size_t nchunks;
    chunk *fill;     /* the chunk being filled */
    chunk *inflight; /* the chunk being written */
    uint64_t offset; /* where the next chunk goes */
    uint8_t header[WAV_HEADER];
    bool header_final; /* the final header has been written (or tried) */
    uint64_t dropped;
} sc_rec_file;

typedef struct sc_recorder {
    struct sc_recorder *next; /* in m->recorders */
    sc_media *m;
    sc_media_stream *st; /* NULL once stopped */
    sc_media_record_opts opts;
    bool mixed;
    sc_rec_file *files[2]; /* mixed: [0]; per direction: [0] in, [1] out (either may be NULL) */
    uv_timer_t timer;
    bool timer_closed;
    uint64_t start_us, frames;
    sc_codec *dec[2]; /* [0] what we receive, [1] what we send; made for the stream's codec */
    sc_media_codec dec_codec[2];
    int16_t q[2][QUEUE_MAX];
    size_t qn[2];
    uint64_t bytes;
    bool stopping;
} sc_recorder;

static void file_pump(sc_rec_file *f);
static void file_flush(sc_rec_file *f);
static void recorder_maybe_free(sc_recorder *r);

/* ---- WAV ------------------------------------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* RIFF/WAVE, PCM 16-bit mono 8 kHz, data_bytes of audio. */
static void wav_header(uint8_t *h, uint64_t data_bytes)
{
    uint32_t d = data_bytes > 0xFFFFFFF0u - 36 ? 0xFFFFFFF0u - 36 : (uint32_t)data_bytes;
    memcpy(h, "RIFF", 4);
    put32(h + 4, 36 + d);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, 1);    /* PCM */
    put16(h + 22, 1);    /* mono */
    put32(h + 24, 8000); /* rate */
    put32(h + 28, 16000);
    put16(h + 32, 2);
    put16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put32(h + 40, d);
}

/* ---- One file ------------------------------------------------------------------------------- */

static void file_fail(sc_rec_file *f, int err, const char *what)
{
    sc_recorder *r = f->r;
    f->failed = true;
    sc_log(r->m->logger, SC_LOG_WARN, MOD, "recording %s: %s: %s", f->path, what, sc_strerror(err));
    sc_media_stream *st = r->st;
    if (st && r->opts.on_error) {
        void (*cb)(sc_media_stream *, int, const char *, void *) = r->opts.on_error;
        r->opts.on_error = NULL; /* once a recording */
        sc_record__detach(st);   /* the recording stops; the other file is completed */
        cb(st, err, f->path, r->opts.ud);
    } else if (st) {
        sc_record__detach(st);
    }
}

static void on_close(uv_fs_t *req)
{
    sc_rec_file *f = req->data;
    uv_fs_req_cleanup(req);
    f->busy = false;
    f->closed = true;
    recorder_maybe_free(f->r);
}

static void on_write(uv_fs_t *req)
{
    sc_rec_file *f = req->data;
    ssize_t res = req->result;
    uv_fs_req_cleanup(req);
    f->busy = false;
    free(f->inflight);
    f->inflight = NULL;
    if (res < 0 && !f->failed)
        file_fail(f, (int)res, "write");
    file_pump(f);
}

static void on_open(uv_fs_t *req)
{
    sc_rec_file *f = req->data;
    ssize_t res = req->result;
    uv_fs_req_cleanup(req);
    f->busy = false;
    if (res < 0) {
        f->closed = true; /* nothing to close */
        if (!f->failed)
            file_fail(f, (int)res, "cannot create");
        recorder_maybe_free(f->r);
        return;
    }
    f->fd = (uv_file)res;
    file_pump(f);
}

/* Next step of f: the next chunk, else (stopping, or failed) the final header, then the close. */
static void file_pump(sc_rec_file *f)
{
    sc_recorder *r = f->r;
    if (f->busy || f->closed || f->fd < 0)
        return;
    uv_loop_t *loop = r->m->loop;
    f->req.data = f;
    if (f->head && !f->failed) {
        chunk *c = f->head;
        f->head = c->next;
        if (!f->head)
            f->tail = NULL;
        f->nchunks--;
        f->inflight = c; /* libuv keeps the buffer list, not the bytes: freed in on_write */
        uv_buf_t b = uv_buf_init((char *)c->data, (unsigned)c->len);
        int rc = uv_fs_write(loop, &f->req, f->fd, &b, 1, (int64_t)f->offset, on_write);
        if (rc < 0) {
            f->inflight = NULL;
            free(c);
            file_fail(f, rc, "write");
            file_pump(f);
            return;
        }
        f->busy = true;
        f->offset += c->len;
        return;
    }
    if (!r->stopping && !f->failed)
        return; /* waiting for audio */
    if (!f->header_final) {
        f->header_final = true;
        wav_header(f->header, f->offset > WAV_HEADER ? f->offset - WAV_HEADER : 0);
        uv_buf_t b = uv_buf_init((char *)f->header, WAV_HEADER);
        if (uv_fs_write(loop, &f->req, f->fd, &b, 1, 0, on_write) == 0) {
            f->busy = true;
            return;
        }
    }
    if (uv_fs_close(loop, &f->req, f->fd, on_close) == 0) {
        f->busy = true;
        f->fd = -1;
        return;
    }
    f->closed = true;
    recorder_maybe_free(r);
}

/* Queue the chunk being filled for the disk. */
static void file_flush(sc_rec_file *f)
{
    chunk *c = f->fill;
    if (!c)
        return;
    f->fill = NULL;
    if (!c->len || f->failed) {
        free(c);
        return;
    }
    if (f->tail)
        f->tail->next = c;
    else
        f->head = c;
    f->tail = c;
    f->nchunks++;
    file_pump(f);
}

/* Append n samples to f (into one-second chunks queued for the disk). */
static void file_append(sc_rec_file *f, const int16_t *pcm, size_t n)
{
    if (f->failed || f->closed)
        return;
    const uint8_t *src = (const uint8_t *)pcm; /* little-endian hosts: the WAV byte order */
    size_t len = n * sizeof *pcm;
    while (len) {
        if (!f->fill) {
            if (f->nchunks >= CHUNKS_MAX) { /* the disk does not keep up: drop */
                f->dropped += len;
                return;
            }
            if (!(f->fill = malloc(sizeof *f->fill))) {
                f->dropped += len;
                return;
            }
            f->fill->next = NULL;
            f->fill->len = 0;
        }
        size_t room = CHUNK_BYTES - f->fill->len, k = len < room ? len : room;
        memcpy(f->fill->data + f->fill->len, src, k);
        f->fill->len += k;
        f->r->bytes += k;
        src += k;
        len -= k;
        if (f->fill->len == CHUNK_BYTES)
            file_flush(f);
    }
}

static int file_new(sc_recorder *r, const char *path, sc_rec_file **out)
{
    sc_rec_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return -ENOMEM;
    }
    f->r = r;
    f->fd = -1;
    f->offset = WAV_HEADER;
    *out = f;
    return 0;
}

/* Create the file (its header: sizes 0 until the end) in the background. */
static void file_open(sc_rec_file *f)
{
    f->req.data = f;
    int rc = uv_fs_open(f->r->m->loop, &f->req, f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644, on_open);
    if (rc < 0) {
        f->closed = true;
        file_fail(f, rc, "cannot create");
        return;
    }
    f->busy = true;
    /* the provisional header is the first chunk: a file cut short still reads as WAV */
    chunk *c = malloc(sizeof *c);
    if (c) {
        wav_header(c->data, 0);
        c->len = WAV_HEADER;
        c->next = NULL;
        f->head = f->tail = c;
        f->nchunks = 1;
        f->offset = 0;
    }
}

static void file_free(sc_rec_file *f)
{
    if (!f)
        return;
    while (f->head) {
        chunk *c = f->head;
        f->head = c->next;
        free(c);
    }
    free(f->fill);
    free(f->inflight);
    free(f->path);
    free(f);
}

/* ---- The recorder --------------------------------------------------------------------------- */

static void recorder_close_cb(uv_handle_t *h)
{
    sc_recorder *r = h->data;
    r->timer_closed = true;
    recorder_maybe_free(r);
}

/* Freed once stopped, its timer closed and every file closed. */
static void recorder_maybe_free(sc_recorder *r)
{
    if (!r->stopping || !r->timer_closed)
        return;
    for (int i = 0; i < 2; i++)
        if (r->files[i] && (!r->files[i]->closed || r->files[i]->busy))
            return;
    sc_media *m = r->m;
    for (sc_recorder **pp = &m->recorders; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    for (int i = 0; i < 2; i++) {
        file_free(r->files[i]);
        sc_codec__free(r->dec[i]);
    }
    free(r);
    sc_media__release(m);
}

/* Decode one payload of direction d into its queue. */
static void queue_payload(sc_recorder *r, int d, const uint8_t *payload, size_t len)
{
    sc_media_stream *st = r->st;
    if (!r->dec[d] || r->dec_codec[d] != st->fmt.codec) {
        sc_codec__free(r->dec[d]);
        r->dec[d] = NULL;
        if (sc_codec__new(&r->dec[d], st->fmt.codec, false, 8000, &st->fmt) < 0)
            return;
        r->dec_codec[d] = st->fmt.codec;
    }
    int16_t pcm[SC_CODEC_MAX_PCM];
    int n = sc_codec__decode(r->dec[d], payload, len, pcm, SC_CODEC_MAX_PCM);
    if (n <= 0)
        return;
    size_t k = (size_t)n > QUEUE_MAX ? QUEUE_MAX : (size_t)n;
    const int16_t *src = pcm + ((size_t)n - k);
    if (r->qn[d] + k > QUEUE_MAX) { /* too much waiting (clock drift, a burst): drop the oldest */
        size_t drop = r->qn[d] + k - QUEUE_MAX;
        memmove(r->q[d], r->q[d] + drop, (r->qn[d] - drop) * sizeof r->q[d][0]);
        r->qn[d] -= drop;
    }
    memcpy(r->q[d] + r->qn[d], src, k * sizeof *src);
    r->qn[d] += k;
}

void sc_record__rx(sc_media_stream *st, const uint8_t *payload, size_t len)
{
    if (st->rec && !st->rec->stopping)
        queue_payload(st->rec, 0, payload, len);
}

void sc_record__tx(sc_media_stream *st, const uint8_t *pkt, size_t len)
{
    sc_rtp_hdr h;
    if (!st->rec || st->rec->stopping || sc_rtp__parse(pkt, len, &h) < 0 || h.pt != st->codec)
        return;
    queue_payload(st->rec, 1, pkt + h.hlen, h.plen);
}

/* One 20 ms frame of direction d (silence for what is missing). */
static void take_frame(sc_recorder *r, int d, int16_t *out)
{
    size_t k = r->qn[d] < SC_MEDIA_FRAME ? r->qn[d] : SC_MEDIA_FRAME;
    memcpy(out, r->q[d], k * sizeof *out);
    memset(out + k, 0, (SC_MEDIA_FRAME - k) * sizeof *out);
    memmove(r->q[d], r->q[d] + k, (r->qn[d] - k) * sizeof r->q[d][0]);
    r->qn[d] -= k;
}

static void record_frame(sc_recorder *r)
{
    int16_t in[SC_MEDIA_FRAME], out[SC_MEDIA_FRAME];
    take_frame(r, 0, in);
    take_frame(r, 1, out);
    if (r->mixed) {
        for (size_t i = 0; i < SC_MEDIA_FRAME; i++) {
            int v = in[i] + out[i];
            in[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
        }
        file_append(r->files[0], in, SC_MEDIA_FRAME);
        return;
    }
    if (r->files[0])
        file_append(r->files[0], in, SC_MEDIA_FRAME);
    if (r->files[1])
        file_append(r->files[1], out, SC_MEDIA_FRAME);
}

static void timer_cb(uv_timer_t *t)
{
    sc_recorder *r = t->data;
    uint64_t due = (sc_media__now(r->m) - r->start_us) / SC_MEDIA_FRAME_US;
    if (due > r->frames + MAX_CATCHUP) /* the loop stalled: the gap is written as silence */
        due = r->frames + MAX_CATCHUP;
    while (r->frames < due && r->st) {
        r->frames++;
        record_frame(r);
    }
}

int sc_media_record_start(sc_media_stream *st, const sc_media_record_opts *opts)
{
    if (!st || st->closing || !opts || (!opts->mixed_path && !opts->in_path && !opts->out_path))
        return -EINVAL;
    if (st->rec)
        return -EBUSY;
    sc_media *m = st->m;
    sc_recorder *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->m = m;
    r->opts = *opts;
    r->mixed = opts->mixed_path != NULL;
    const char *paths[2] = {r->mixed ? opts->mixed_path : opts->in_path, r->mixed ? NULL : opts->out_path};
    for (int i = 0; i < 2; i++)
        if (paths[i] && file_new(r, paths[i], &r->files[i]) < 0) {
            file_free(r->files[0]);
            file_free(r->files[1]);
            free(r);
            return -ENOMEM;
        }
    r->opts.mixed_path = r->opts.in_path = r->opts.out_path = NULL; /* borrowed: not kept */
    m->live++;
    r->next = m->recorders;
    m->recorders = r;
    r->st = st;
    st->rec = r;
    uv_timer_init(m->loop, &r->timer);
    r->timer.data = r;
    r->start_us = sc_media__now(m);
    uv_timer_start(&r->timer, timer_cb, SC_MEDIA_FRAME_US / 1000, SC_MEDIA_FRAME_US / 1000);
    for (int i = 0; i < 2 && st->rec == r; i++)
        if (r->files[i])
            file_open(r->files[i]);
    return 0;
}

/* Stop r: the rest of the audio is flushed, headers completed and files closed in the background. */
static void recorder_stop(sc_recorder *r)
{
    if (r->stopping)
        return;
    r->stopping = true;
    if (r->st) {
        r->st->rec = NULL;
        r->st = NULL;
    }
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, recorder_close_cb);
    for (int i = 0; i < 2; i++) {
        sc_rec_file *f = r->files[i];
        if (!f)
            continue;
        file_flush(f);
        file_pump(f);
    }
}

void sc_record__detach(sc_media_stream *st)
{
    if (st && st->rec)
        recorder_stop(st->rec);
}

void sc_media_record_stop(sc_media_stream *st) { sc_record__detach(st); }

bool sc_media_recording(const sc_media_stream *st) { return st && st->rec; }

uint64_t sc_media_record_bytes(const sc_media_stream *st) { return st && st->rec ? st->rec->bytes : 0; }

void sc_record__free_all(sc_media *m)
{
    for (sc_recorder *r = m->recorders; r; r = r->next)
        recorder_stop(r);
}
