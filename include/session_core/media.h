/* media: RTP/RTCP streams on libuv (G.711 PCMU/PCMA, G.722, Opus; RFC 4733 DTMF), music on
 * hold shared by class, and an RTP relay that bridges two streams (relaying a shared codec
 * unchanged, transcoding otherwise).
 *
 * The API speaks in plain addresses, payload types and directions, not in SDP structures: the
 * caller (the api glue) negotiates SDP with the sip module and hands the outcome here.
 *
 * Threading: a sc_media and all its streams belong to the thread running its uv loop.
 *
 * Outgoing audio: a stream sends audio only from a source: music on hold (sc_media_moh_start)
 * or the bridge partner (sc_media_bridge); DTMF events interrupt either. With no source it
 * sends nothing (no silence, no comfort noise); only RTCP reports keep flowing. When both are
 * set, music on hold wins and relayed packets for that stream are dropped (a held party hears
 * the music, not its partner). Nothing is sent while the direction is recvonly or inactive.
 *
 * Sources: a stream accepts RTP only from the remote's address and port (sc_media_stream_set_remote)
 * and RTCP only from that address and port + 1 (where we send ours); everything else, and
 * everything before the remote is set, is dropped and counted (sc_media_stats.rejected): it
 * refreshes no RTP timeout, is not relayed and raises no DTMF. With sc_media_config.latch
 * (symmetric RTP, for a remote behind NAT) the first RTP packet after the remote is set, from
 * any address, fixes the source instead, and we send to it; see sc_media_config.latch. From the
 * accepted source, RFC 3550 A.1 applies: the first SSRC is taken at once; a different SSRC
 * becomes the source after 2 packets in sequence with no packet of the current SSRC in
 * between (sc_media_stats.probation counts what is dropped meanwhile), and a sequence jump of
 * more than 3,000 is taken only when the next packet follows it.
 *
 * Ports, SSRCs, initial sequence numbers and timestamps are drawn from the OS CSPRNG
 * (getrandom): a stream gets a random free pair of the range.
 *
 * Lifetime: handles are closed with uv_close, so memory is released by close callbacks. After
 * sc_media_stream_close the stream pointer must not be used (its ports are free at once);
 * after sc_media_free run the loop (uv_run) until it has no more handles to release the rest. */
#ifndef SESSION_CORE_MEDIA_H
#define SESSION_CORE_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "session_core/base.h"

typedef struct sc_media sc_media;               /* the media context: port pool, MOH classes */
typedef struct sc_media_stream sc_media_stream; /* one RTP+RTCP socket pair */

/* The codecs. PCMU, PCMA and G722 are their RFC 3551 static payload types; Opus has none (its
 * payload type is dynamic: sc_media_format.pt), so its value is an identifier only. */
typedef enum sc_media_codec {
    SC_MEDIA_PCMU = 0,   /* G.711 mu-law, 8 kHz */
    SC_MEDIA_PCMA = 8,   /* G.711 A-law, 8 kHz */
    SC_MEDIA_G722 = 9,   /* G.722 64 kbit/s, 16 kHz audio, RTP clock 8000 (RFC 3551 4.5.2) */
    SC_MEDIA_OPUS = 200, /* Opus (RFC 7587), RTP clock 48000, dynamic payload type */
} sc_media_codec;

/* What an SDP negotiated for a stream: the codec and its payload type, the telephone-event
 * payload type and clock, and the Opus parameters the remote's fmtp asked of what we send. */
typedef struct sc_media_format {
    sc_media_codec codec;
    int pt;                /* the codec's payload type (0..127); -1: its static one */
    int dtmf_pt;           /* telephone-event payload type (96..127), -1 for none */
    unsigned dtmf_clock;   /* telephone-event clock rate; 0: the codec's RTP clock */
    bool opus_fec;         /* Opus: the remote asked for in-band FEC (useinbandfec=1) */
    bool opus_stereo;      /* Opus: the remote prefers stereo (stereo=1); we still send mono */
    unsigned opus_maxrate; /* Opus: maxplaybackrate of the remote (Hz); 0: 48000 */
} sc_media_format;

/* The codec's name in SDP ("PCMU", "PCMA", "G722", "opus"), NULL for an unknown one. */
SC_EXPORT const char *sc_media_codec_name(sc_media_codec c);
/* Its RTP clock rate (8000, or 48000 for Opus; G.722's is 8000 though its audio is 16 kHz);
 * 0 for an unknown codec. */
SC_EXPORT unsigned sc_media_codec_clock(sc_media_codec c);
/* The codec named name ("PCMU", "pcma", "G722", "opus"; case-insensitive): 0 or -EINVAL. */
SC_EXPORT int sc_media_codec_parse(const char *name, sc_media_codec *out);

/* Our direction, as in our SDP (same values as sc_sdp_direction in sip.h, so a cast works).
 * The remote sends to us when ours is SENDRECV or RECVONLY; we send when ours is SENDRECV or
 * SENDONLY. */
typedef enum sc_media_direction {
    SC_MEDIA_SENDRECV = 0,
    SC_MEDIA_SENDONLY = 1,
    SC_MEDIA_RECVONLY = 2,
    SC_MEDIA_INACTIVE = 3,
} sc_media_direction;

/* Callbacks; ud is the stream's user data given to sc_media_stream_open. Each may close the
 * stream (or the other stream of a bridge) from inside the call. */
typedef struct sc_media_callbacks {
    /* A complete RFC 4733 event received: digit is one of 0-9 * # A-D, duration_ms its
     * length. Called once per event (repeated end packets are deduplicated). */
    void (*on_dtmf)(sc_media_stream *st, char digit, unsigned duration_ms, void *ud);
    /* No RTP for rtp_timeout_ms while the remote should be sending. Called once per silence;
     * re-armed when RTP arrives again or the remote/direction is set again. */
    void (*on_rtp_timeout)(sc_media_stream *st, void *ud);
} sc_media_callbacks;

/* The default RTP port range: 8,192 RTP/RTCP pairs. A call leg holds one pair while it lasts,
 * so this carries 8,192 concurrent legs (e.g. 4,000 CPS of 2 s calls answered locally). */
#define SC_MEDIA_PORT_MIN_DEFAULT 16384
#define SC_MEDIA_PORT_MAX_DEFAULT 32767

typedef struct sc_media_config {
    const sc_clock *clock;     /* NULL: sc_clock_system(); borrowed, must outlive the context */
    const sc_logger *logger;   /* NULL: silent; borrowed */
    const char *bind_addr;     /* local IPv4/IPv6 address to bind; NULL: "127.0.0.1" (copied) */
    uint16_t port_min;         /* RTP port range, inclusive; RTP ports are even, RTCP = RTP+1 */
    uint16_t port_max;         /* (0, 0): SC_MEDIA_PORT_MIN_DEFAULT..SC_MEDIA_PORT_MAX_DEFAULT */
    uint32_t rtp_timeout_ms;   /* 0: no RTP timeout */
    uint32_t rtcp_interval_ms; /* mean RTCP report interval (randomised x0.5..1.5); 0: 5000 */
    const char *cname;         /* RTCP SDES CNAME; NULL: "sessioncore@<bind_addr>" (copied) */
    sc_media_callbacks cb;     /* copied */
    /* Symmetric RTP (latching, for remotes behind NAT); default false: only the SDP's address.
     * When true, after sc_media_stream_set_remote the first valid RTP packet (RTP version 2, a
     * negotiated payload type) from any address latches the stream: it then accepts RTP only
     * from that address and port and sends there, and RTCP only from the first RTCP source with
     * the same IP (until one arrives it sends RTCP to that IP, port + 1). A packet never moves
     * the latch; a set_remote that keeps the address keeps it, one to 0.0.0.0 or port 0 (hold,
     * disabled) suspends it, and one to another address learns again (a signalled move). */
    bool latch;
    /* Parked pairs: up to park_max closed streams keep their two sockets bound (and read,
     * whatever arrives being dropped) to be reused by the next opens, which then cost no
     * socket, bind, epoll or close call. A pair is reused only after park_quarantine_ms
     * (0: 500 ms) parked, so that the late RTP of its last call finds nobody; an open finding
     * no quarantined pair opens a fresh one, or takes the oldest parked pair when the range
     * (or pair_limit) has no other. Parked pairs unused for park_idle_ms (0: 5000) are
     * closed. 0: none parked, the ports are free again as sc_media_stream_close returns. */
    uint32_t park_max;
    uint32_t park_quarantine_ms;
    uint32_t park_idle_ms;
    /* Pairs open at once, live and parked (the descriptor budget): past it an open reuses a
     * parked pair rather than open sockets. 0: the range. */
    uint32_t pair_limit;
} sc_media_config;

/* Create a context on loop (borrowed; must outlive the context). -EINVAL on a bad range or
 * bind address, -ENOMEM, -EIO when the OS has no random source (getrandom, /dev/urandom).
 * *out is set only on success. */
SC_EXPORT int sc_media_new(sc_media **out, uv_loop_t *loop, const sc_media_config *cfg);
/* Close every stream and MOH class and release the context; NULL is a no-op. The memory is
 * released by close callbacks: run the loop afterwards. */
SC_EXPORT void sc_media_free(sc_media *m);

/* ---- streams ----------------------------------------------------------------------------- */

/* Allocate an RTP+RTCP socket pair at random from the range (real binds; pairs whose ports
 * are taken by another socket are skipped; every pair is tried before giving up). -ENOSPC when every pair of the range is used by our streams,
 * -EADDRINUSE when the free pairs are all taken by other sockets, -ENOMEM. The stream is
 * owned by m until sc_media_stream_close. ud is passed to the callbacks. */
SC_EXPORT int sc_media_stream_open(sc_media *m, sc_media_stream **out, void *ud);
/* The same on one given RTP port (crash recovery re-binds the port announced before):
 * -EINVAL if port is odd or outside the range, -EADDRINUSE if our stream or another socket
 * holds it (RTP or RTCP), -ENOMEM. */
SC_EXPORT int sc_media_stream_open_port(sc_media *m, sc_media_stream **out, uint16_t port, void *ud);
/* Stop everything on the stream (MOH, bridge, DTMF), then close its sockets and return its
 * ports to the pool at once, or park them (park_max above): the ports stay ours, not counted
 * as used. NULL is a no-op. st must not be used afterwards. */
SC_EXPORT void sc_media_stream_close(sc_media_stream *st);
/* The range's RTP/RTCP pairs (*total) and those our open streams hold (*used); either may be
 * NULL. Pairs bound by other sockets are not known until a bind fails: they count as free. */
SC_EXPORT void sc_media_pairs(const sc_media *m, uint32_t *total, uint32_t *used);
/* Pairs parked (bound, waiting for reuse; not in sc_media_pairs' used), 0 for NULL. */
SC_EXPORT uint32_t sc_media_pairs_parked(const sc_media *m);

/* Set (or move) the remote: addr (numeric IPv4/IPv6 of the same family as the bind address),
 * RTP port (RTCP goes to port+1; port 0 means the stream is disabled: nothing is sent),
 * codec, the telephone-event payload type (96..127, or -1 for none) and our direction.
 * Calling it again (re-INVITE) moves the stream; a codec change restarts a talkspurt.
 * -EINVAL on a bad address, codec or payload type; the stream is unchanged then. */
SC_EXPORT int sc_media_stream_set_remote(sc_media_stream *st, const char *addr, uint16_t port, sc_media_codec codec,
                                         int dtmf_pt, sc_media_direction dir);
/* The same with the negotiated format (any codec, its payload type, telephone-event's clock,
 * the Opus parameters): the one for Opus and G.722. -EINVAL on a bad format as above (a pt
 * outside 0..127, a dtmf_pt equal to pt); -ENOMEM when a codec's state cannot be made. */
SC_EXPORT int sc_media_stream_set_remote_format(sc_media_stream *st, const char *addr, uint16_t port,
                                                const sc_media_format *fmt, sc_media_direction dir);
/* The stream's codec (SC_MEDIA_PCMU until a remote is set). */
SC_EXPORT sc_media_codec sc_media_stream_codec(const sc_media_stream *st);
SC_EXPORT int sc_media_stream_set_direction(sc_media_stream *st, sc_media_direction dir);

SC_EXPORT uint16_t sc_media_stream_port(const sc_media_stream *st); /* local RTP port */
SC_EXPORT void *sc_media_stream_ud(const sc_media_stream *st);
SC_EXPORT uint32_t sc_media_stream_ssrc(const sc_media_stream *st); /* our SSRC */
/* The RTP source we accept and send to, "IP:PORT" ("[IP]:PORT" for IPv6): the remote's, or the
 * latched one. -ENOENT (buf "") with no usable remote or while a latch is still to happen. */
SC_EXPORT int sc_media_stream_source(const sc_media_stream *st, char *buf, size_t cap);

typedef struct sc_media_stats {
    uint64_t packets_sent;     /* RTP packets sent (audio and DTMF) */
    uint64_t bytes_sent;       /* RTP payload octets sent */
    uint64_t packets_received; /* valid RTP packets received */
    uint64_t bytes_received;   /* their payload octets */
    uint64_t packets_invalid;  /* dropped: bad version, length or payload type */
    uint64_t rejected;         /* dropped: RTP or RTCP from another address than the accepted one */
    uint64_t probation;        /* dropped: RTP of a new SSRC on probation, or an unconfirmed jump */
    uint64_t ssrc_changes;     /* new SSRCs that passed probation and replaced the current one */
    bool latched;              /* latch mode: the source is learnt */
    uint64_t send_errors;      /* sends that failed (socket buffer full, ...) */
    int64_t lost;              /* expected - received, RFC 3550 A.3 (may be < 0 on duplicates) */
    uint32_t jitter;           /* interarrival jitter in timestamp units (RFC 3550 A.8) */
    double jitter_ms;          /* the same in milliseconds */
    uint32_t last_ssrc;        /* SSRC of the last valid RTP packet received */
    bool have_ssrc;            /* last_ssrc is meaningful */
    uint64_t rtcp_sent;        /* compound RTCP packets sent */
    uint64_t rtcp_received;    /* valid RTCP packets received */
    /* From the last report block about our SSRC in an incoming SR/RR: */
    uint8_t remote_fraction_lost; /* fraction lost seen by the remote, /256 */
    int32_t remote_cumulative_lost;
    uint32_t remote_jitter; /* jitter seen by the remote, timestamp units */
    double rtt_ms;          /* round trip from LSR/DLSR; < 0 when unknown */
    uint64_t dtmf_received; /* events reported through on_dtmf */
    /* SRTP (sc_media_stream_set_srtp): */
    uint64_t srtp_protected;     /* RTP and RTCP packets protected before sending */
    uint64_t srtp_unprotected;   /* SRTP and SRTCP packets authenticated and decrypted */
    uint64_t srtp_auth_failures; /* dropped: failed authentication (or not SRTP at all) */
    uint64_t srtp_replays;       /* dropped: replayed, or older than the replay window */
    uint64_t transcoded;         /* packets the bridge sent after decoding and re-encoding (codecs differ) */
    uint64_t decode_errors;      /* received packets the bridge could not decode (dropped) */
} sc_media_stats;

SC_EXPORT void sc_media_stream_stats(const sc_media_stream *st, sc_media_stats *out);

/* ---- SRTP (RFC 3711) ---------------------------------------------------------------------- */

/* SRTP works at the socket boundary: a stream with keys protects every RTP and RTCP packet it
 * sends and accepts only packets that authenticate (after the source check). A packet that
 * fails is dropped and counted (srtp_auth_failures, srtp_replays): it refreshes no RTP timeout,
 * is not relayed and raises no DTMF. MOH, DTMF and the bridge see plain RTP, so a bridge
 * between an SRTP leg and a plain one (or two legs with their own keys) re-encrypts per leg. */
typedef enum sc_media_srtp_suite {
    SC_MEDIA_SRTP_NONE = 0,
    SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80 = 1, /* RFC 4568 */
    SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32 = 2, /* RFC 4568 (SRTCP keeps the 80-bit tag) */
    SC_MEDIA_SRTP_AEAD_AES_128_GCM = 3,        /* RFC 7714, where libsrtp2 has it */
} sc_media_srtp_suite;

#define SC_MEDIA_SRTP_KEY_MAX 30 /* master key + master salt, octets */

/* One direction's master key: suite, then key || salt (key_len = sc_media_srtp_key_len). */
typedef struct sc_media_srtp {
    sc_media_srtp_suite suite;
    uint8_t key[SC_MEDIA_SRTP_KEY_MAX];
    size_t key_len;
} sc_media_srtp;

/* Counters of a context, summed over every stream it ever had. */
typedef struct sc_media_srtp_counts {
    uint64_t protected_pkts;   /* RTP + RTCP packets protected */
    uint64_t unprotected_pkts; /* SRTP + SRTCP packets accepted */
    uint64_t auth_failures;    /* dropped: authentication failed */
    uint64_t replays;          /* dropped: replay */
} sc_media_srtp_counts;

/* "AES_CM_128_HMAC_SHA1_80", ... (the RFC 4568 / RFC 7714 names); NULL for an unknown suite. */
SC_EXPORT const char *sc_media_srtp_suite_name(sc_media_srtp_suite s);
/* The suite of an RFC 4568 name: 0, or -ENOENT. */
SC_EXPORT int sc_media_srtp_suite_parse(const char *name, sc_media_srtp_suite *out);
/* Octets of master key + salt for the suite (30, or 28 for GCM); 0 for an unknown one. */
SC_EXPORT size_t sc_media_srtp_key_len(sc_media_srtp_suite s);
/* This libsrtp2 can run the suite (AEAD_AES_128_GCM needs one built with a crypto library). */
SC_EXPORT bool sc_media_srtp_supported(sc_media_srtp_suite s);
/* A fresh master key and salt for suite from the OS CSPRNG. -ENOTSUP for a suite not supported. */
SC_EXPORT int sc_media_srtp_keygen(sc_media_srtp *k, sc_media_srtp_suite suite);
/* Protect what st sends with tx and accept only what authenticates with rx (both copied), or go
 * back to plain RTP with both NULL. A direction whose key is the same as before keeps its
 * context (rollover counter, replay window); a new key starts a new one. -EINVAL (one NULL, a bad suite or key length),
 * -ENOTSUP (suite not supported), -ENOMEM; the stream is unchanged on failure. */
SC_EXPORT int sc_media_stream_set_srtp(sc_media_stream *st, const sc_media_srtp *tx, const sc_media_srtp *rx);
SC_EXPORT bool sc_media_stream_srtp(const sc_media_stream *st); /* keys are set */
/* The context's SRTP counters (closed streams included); zeros for NULL. */
SC_EXPORT void sc_media_srtp_totals(const sc_media *m, sc_media_srtp_counts *out);

/* ---- DTMF (RFC 4733) --------------------------------------------------------------------- */

/* Queue digits (0-9 * # A-D, case-insensitive) to send as telephone-events of duration_ms
 * each (clamped to 40..8000), with a 40 ms pause between digits. Audio from MOH or the bridge
 * is suppressed while an event is sent. -EINVAL on a bad digit (nothing queued), -ENOTSUP if
 * the remote has no telephone-event payload type, -ENOTCONN with no remote or a direction
 * that does not send, -EAGAIN if the bounded queue (64 digits) has no room. */
SC_EXPORT int sc_media_stream_send_dtmf(sc_media_stream *st, const char *digits, unsigned duration_ms);

/* ---- music on hold ------------------------------------------------------------------------- */

/* Add a class: decode path once with libsndfile (any format it reads), downmix to mono,
 * resample to 8 kHz (windowed-sinc, see src/media/resample.c), keep the PCM (up to 10
 * minutes). path NULL: the built-in tune (sc_media_moh_default_pcm). The class "default" is
 * created with the built-in tune on first use unless added before. -EEXIST if name exists,
 * -EINVAL on a bad name (1..31 chars), -EIO when the file cannot be read or is empty. */
SC_EXPORT int sc_media_moh_class_add(sc_media *m, const char *name, const char *path);
/* Play class_name (NULL: "default") to st, joining the class's shared position. A stream
 * plays one class at a time (a new start moves it). -ENOENT for an unknown class. */
SC_EXPORT int sc_media_moh_start(sc_media_stream *st, const char *class_name);
SC_EXPORT void sc_media_moh_stop(sc_media_stream *st); /* no-op when not playing */
SC_EXPORT bool sc_media_moh_playing(const sc_media_stream *st);
/* The class's current position in samples, and its length; -ENOENT for an unknown class. */
SC_EXPORT int sc_media_moh_class_position(sc_media *m, const char *name, size_t *pos, size_t *len);

/* The built-in MOH tune, synthesised: 8 kHz mono 16-bit. *pcm is malloc'd (free() it). */
SC_EXPORT int sc_media_moh_default_pcm(int16_t **pcm, size_t *n);
/* Write the built-in tune to path as a 16-bit PCM WAV with libsndfile (-EIO on failure). */
SC_EXPORT int sc_media_moh_write_default(const char *path);

/* Decode any libsndfile file to 8 kHz mono 16-bit (what a class holds). *pcm malloc'd. */
SC_EXPORT int sc_media_load_audio(const char *path, int16_t **pcm, size_t *n);

/* ---- announcements and recording (player.c, record.c) -------------------------------------- */

/* Announcements. A sound file (any format libsndfile reads) is decoded once to 8 kHz mono
 * (sc_media_load_audio) and encoded once per codec, frame by frame as the first stream of that
 * codec plays it; both are kept in the context's cache (up to SC_MEDIA_PROMPT_CACHE files, the
 * least recently used unplayed one evicted first; a file whose size or modification time
 * changed is read again). A play of a file not cached decodes it on the calling thread: see
 * sc_media_prompt_load to decode it in the thread pool first. A playback is the stream's audio
 * source: it wins over music on hold, the bridge partner and a conference's mix (they resume
 * when it ends); our own DTMF interrupts it. Paced by one 20 ms timer of the context (catching
 * up at most 5 frames after a stall). */
#define SC_MEDIA_PROMPT_CACHE 32

/* Called once when a playback started by sc_media_play_file ends by itself (the file played to its end);
 * never for a stop the caller asked for or the stream's close. May close the stream. */
typedef void (*sc_media_play_done_fn)(sc_media_stream *st, void *ud);

/* Play path to st from its start (loop: again and again until stopped), replacing the stream's
 * playback if any. class_name instead of path (path NULL): the music-on-hold class's audio,
 * from its start (not the class's shared position). 0; -EINVAL; -ENOENT (no such file or
 * class), -EIO (unreadable, not a sound file or empty), -ENOMEM. The stream need not send yet:
 * the playback runs in real time and frames are sent only while the stream can send. */
SC_EXPORT int sc_media_play_file(sc_media_stream *st, const char *path, const char *class_name, bool loop,
                                 sc_media_play_done_fn done, void *ud);
SC_EXPORT void sc_media_play_stop(sc_media_stream *st); /* no-op when nothing plays; no callback */
SC_EXPORT bool sc_media_playing(const sc_media_stream *st);
/* Decoding a long file takes time (a minute of 44.1 kHz stereo: ~0.2 s): to keep the calling
 * loop free, ask whether it is cached and, if not, have it decoded in libuv's thread pool
 * first; sc_media_play_file then finds it. */
typedef struct sc_media_prompt_job sc_media_prompt_job;
/* path is cached and unchanged on disk: 1; 0: not (yet); -ENOENT, -EIO (not a regular file), -EINVAL. */
SC_EXPORT int sc_media_prompt_cached(sc_media *m, const char *path);
/* Decode path into the cache in the thread pool; done(rc, ud) is called on the loop when it is
 * there (rc 0) or could not be read (-ENOENT, -EIO, -ENOMEM). 0 (*job, if job is not NULL, is
 * valid until done is called), or an error at once (-ENOENT: no such file; done is not called). */
SC_EXPORT int sc_media_prompt_load(sc_media *m, const char *path, void (*done)(int rc, void *ud), void *ud,
                                   sc_media_prompt_job **job);
/* done will not be called (the owner of ud is gone); the decoding still fills the cache. */
SC_EXPORT void sc_media_prompt_cancel(sc_media_prompt_job *job);
/* Files in the cache and their bytes (decoded and encoded audio); either may be NULL. */
SC_EXPORT void sc_media_prompt_cache(const sc_media *m, size_t *files, size_t *bytes);

/* Recording. What the stream receives and what it sends (audio only: telephone-events are not
 * recorded) is decoded to 8 kHz and written as 16-bit mono WAV: one file with both mixed
 * (mixed_path), or one file a direction (in_path: what we receive; out_path: what we send; either
 * may be NULL). A 20 ms timer of the recording takes one frame of each direction (silence where
 * nothing arrived; at most 200 ms kept waiting), so the files keep real time and per-direction
 * files stay aligned. The files are written with libuv's asynchronous file operations (the
 * thread pool), in chunks of one second: the loop never waits on the disk. The WAV header is
 * completed when the recording stops (sc_media_record_stop, or the stream's close). */
typedef struct sc_media_record_opts {
    const char *mixed_path; /* one file, both directions mixed; or NULL and: */
    const char *in_path;    /* what we receive, or NULL */
    const char *out_path;   /* what we send, or NULL */
    /* A file could not be created or written (err: negative errno, -ENOSPC for a full disk;
     * path: the file). Called at most once a recording, on the loop, while the recording is
     * still the stream's; the recording stops then (what was written is closed properly). */
    void (*on_error)(sc_media_stream *st, int err, const char *path, void *ud);
    void *ud;
} sc_media_record_opts;

/* Start recording st. 0 (the files are created asynchronously: a failure comes through
 * on_error), -EINVAL (no path), -EBUSY (st records already), -ENOMEM. */
SC_EXPORT int sc_media_record_start(sc_media_stream *st, const sc_media_record_opts *opts);
/* Stop recording st (files completed and closed in the background); no-op when not recording. */
SC_EXPORT void sc_media_record_stop(sc_media_stream *st);
SC_EXPORT bool sc_media_recording(const sc_media_stream *st);
/* Bytes of audio written (or queued to be) by st's recording so far; 0 when not recording. */
SC_EXPORT uint64_t sc_media_record_bytes(const sc_media_stream *st);

/* ---- bridge -------------------------------------------------------------------------------- */

/* Relay RTP both ways between a and b: audio received on one is sent on the other with the
 * sender's own SSRC, sequence and timestamp rewritten to stay continuous (offsets recomputed
 * and the marker set when the source changes), transcoded when the codecs differ;
 * telephone-events are passed through with the payload type mapped (dropped when the other
 * side has none). -EBUSY if either is bridged already, -EINVAL if a == b. */
SC_EXPORT int sc_media_bridge(sc_media_stream *a, sc_media_stream *b);
SC_EXPORT void sc_media_unbridge(sc_media_stream *st); /* splits st and its partner; no-op if none */
SC_EXPORT sc_media_stream *sc_media_bridge_peer(const sc_media_stream *st);

/* ---- conference (src/media/conference.c) ------------------------------------------------- */

/* An N-party audio mixer. A room mixes at 16 kHz (wideband between G.722 and Opus
 * participants; G.711 ones are interpolated from and low-passed down to 8 kHz): every 20 ms
 * (one timer a room) each participant is sent the sum of the other participants' latest
 * audio, saturated to 16 bits, never its own; each participant's RTP is decoded from its codec
 * and the mix encoded to it (PCMU, PCMA, G.722, Opus), through the stream's own sender
 * (sequence, timestamps, SRTP). A
 * muted participant is not heard by the others and still hears the room. A room exists while
 * it has participants: its first join creates it, its last leave (or its last stream's close)
 * frees it. A stream is in one room at a time and never in a room and bridged at once; music
 * on hold and our own DTMF take precedence over the mix (the held party hears the music).
 * Telephone-events are not mixed (the stream still reports them through on_dtmf). */
#define SC_MEDIA_CONF_NAME_MAX 63 /* longest room name */

/* Put st in room (copied; 1..SC_MEDIA_CONF_NAME_MAX printable ASCII characters, no space or
 * quote), leaving the room it was in; the same room again is a no-op. -EINVAL (bad name, NULL,
 * a closing stream), -EBUSY (st is bridged), -ENOMEM. */
SC_EXPORT int sc_media_conf_join(sc_media_stream *st, const char *room);
/* Take st out of its room (the room is freed when st was its last participant); no-op when in none. */
SC_EXPORT void sc_media_conf_leave(sc_media_stream *st);
/* Mute (the others stop hearing st) or unmute it: 0, or -ENOENT when st is in no room. */
SC_EXPORT int sc_media_conf_mute(sc_media_stream *st, bool mute);
SC_EXPORT const char *sc_media_conf_room(const sc_media_stream *st); /* NULL when in no room */
SC_EXPORT bool sc_media_conf_muted(const sc_media_stream *st);

typedef struct sc_media_conf_stats {
    size_t rooms;          /* rooms now */
    size_t participants;   /* streams in them */
    uint64_t ticks;        /* 20 ms mixes run, every room */
    uint64_t mix_ns;       /* time spent in them (decoded input gathered, mixed, encoded, sent) */
    uint64_t mix_ns_max;   /* the longest one */
    uint64_t frames_out;   /* mixed frames sent to participants */
    uint64_t dropped_late; /* decoded samples dropped because a participant's backlog was full */
} sc_media_conf_stats;
SC_EXPORT void sc_media_conf_stats_get(const sc_media *m, sc_media_conf_stats *out); /* zeros for NULL */
/* Call fn once per participant, room by room (a room's participants in join order). fn must
 * not join, leave or close streams. */
typedef void (*sc_media_conf_visit_fn)(const char *room, sc_media_stream *st, bool muted, void *ud);
SC_EXPORT void sc_media_conf_each(sc_media *m, sc_media_conf_visit_fn fn, void *ud);

/* ---- G.711 (exposed for tests and tools) ------------------------------------------------- */

SC_EXPORT uint8_t sc_media_ulaw_encode(int16_t pcm);
SC_EXPORT int16_t sc_media_ulaw_decode(uint8_t code);
SC_EXPORT uint8_t sc_media_alaw_encode(int16_t pcm);
SC_EXPORT int16_t sc_media_alaw_decode(uint8_t code);

#endif
