/* media_int: the structures shared by the files of the media module (context, stream, MOH
 * class) and the internal functions one file offers another. */
#ifndef SC_MEDIA_INT_H
#define SC_MEDIA_INT_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "session_core/media.h"

#define SC_MEDIA_MAX_PKT 1500                   /* largest RTP/RTCP datagram we handle */
#define SC_MEDIA_FRAME 160                      /* samples per 20 ms packet at 8 kHz */
#define SC_MEDIA_FRAME_US 20000                 /* one packet every 20 ms */
#define SC_MEDIA_DTMF_QUEUE 64                  /* bounded digit queue per stream */
#define SC_MEDIA_MOH_MAX_SAMPLES (8000u * 600u) /* 10 minutes */
#define SC_MEDIA_RND_POOL 256                   /* bytes of getrandom() output kept for draws */
/* RFC 3550 A.1: packets in sequence before a new SSRC is valid (MIN_SEQUENTIAL), the largest
 * forward jump taken as loss (MAX_DROPOUT) and the largest backward step taken as reordering
 * (MAX_MISORDER); anything between is a jump that a second packet in sequence must confirm. */
#define SC_MEDIA_MIN_SEQUENTIAL 2
#define SC_MEDIA_MAX_DROPOUT 3000
#define SC_MEDIA_MAX_MISORDER 100

typedef struct sc_moh_class sc_moh_class;

/* ---- codecs (codec.c; one file a codec: g711.c, g722.c, opus.c) ---------------------------- */

#define SC_CODEC_SLOTS 4          /* PCMU, PCMA, G722, OPUS: index of per-codec caches */
#define SC_CODEC_MAX_PCM 5760     /* samples of the longest decoded packet: 120 ms at 48 kHz */
#define SC_CODEC_MAX_PAYLOAD 1400 /* octets of an encoded 20 ms frame, at most */

/* One codec's encoder or decoder; pcm_rate is the rate of the PCM it takes or gives (G.711:
 * 8000; G.722: 8000 or 16000; Opus: 8000, 16000 or 48000), always mono. */
typedef struct sc_codec_ops {
    int (*enc_new)(void **state, unsigned pcm_rate, const sc_media_format *fmt);
    /* n samples (20 ms) in, octets out (or a negative error) */
    int (*encode)(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap);
    int (*dec_new)(void **state, unsigned pcm_rate);
    /* a payload in, samples out (or a negative error: the payload is not valid) */
    int (*decode)(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap);
    void (*free)(void *state, bool encoder);
} sc_codec_ops;

typedef struct sc_codec {
    const sc_codec_ops *ops;
    sc_media_codec id;
    unsigned pcm_rate;
    bool encoder;
    void *state;
} sc_codec;

/* A stream's transcoding state (bridge.c). */
typedef struct sc_transcode {
    sc_codec *dec;                       /* decodes what the remote sends to this stream */
    sc_codec *enc;                       /* encodes what this stream sends */
    int16_t pcm[SC_CODEC_MAX_PCM + 960]; /* decoded audio waiting for a whole 20 ms frame */
    size_t n;
    bool ts_set;            /* in_ts/out_ts are valid */
    uint32_t in_ts, out_ts; /* the last input timestamp and the output one it gave */
} sc_transcode;

extern const sc_codec_ops sc_codec__pcmu_ops, sc_codec__pcma_ops, sc_codec__g722_ops, sc_codec__opus_ops;

int sc_codec__slot(sc_media_codec c);            /* 0..SC_CODEC_SLOTS-1, -1 for an unknown codec */
unsigned sc_codec__audio_rate(sc_media_codec c); /* the codec's own audio rate: 8000, 16000, 48000 */
int sc_codec__static_pt(sc_media_codec c);       /* its static payload type, -1 for Opus */
/* The PCM rate a transcoding between a and b goes through: the lower of their audio rates. */
unsigned sc_codec__common_rate(sc_media_codec a, sc_media_codec b);
int sc_codec__new(sc_codec **out, sc_media_codec id, bool encoder, unsigned pcm_rate, const sc_media_format *fmt);
int sc_codec__encode(sc_codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t cap);
int sc_codec__decode(sc_codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap);
void sc_codec__free(sc_codec *c); /* NULL: no-op */

/* Where the audio we send comes from; a change starts a new talkspurt (marker bit). */
typedef enum sc_media_src {
    SC_SRC_NONE = 0,
    SC_SRC_MOH = 1,
    SC_SRC_RELAY = 2,
    SC_SRC_DTMF = 3,
    SC_SRC_CONF = 4, /* conference.c: the room's mix */
    SC_SRC_PLAY = 5, /* player.c: an announcement */
} sc_media_src;

/* State of the digit being sent (RFC 4733). */
typedef enum sc_dtmf_phase {
    SC_DTMF_IDLE = 0,  /* nothing being sent */
    SC_DTMF_EVENT = 1, /* sending the event, duration growing */
    SC_DTMF_END = 2,   /* sending the 3 end packets */
    SC_DTMF_GAP = 3,   /* pause before the next digit */
} sc_dtmf_phase;

struct sc_media_stream {
    sc_media *m;                  /* owner */
    void *ud;                     /* user data for callbacks */
    sc_media_stream *prev, *next; /* in m->streams */
    uv_udp_t rtp;                 /* RTP socket (port) */
    uv_udp_t rtcp;                /* RTCP socket (port + 1) */
    uv_timer_t timer;             /* housekeeping: RTCP reports and the RTP timeout */
    uv_timer_t dtmf_timer;        /* 20 ms ticks while digits are sent */
    int closes_pending;           /* close callbacks still to come */
    uint64_t parked_ms;           /* park.c: the loop's time when parked */
    bool closing;                 /* sc_media_stream_close called */
    uint16_t port;                /* local RTP port */
    uint32_t pair;                /* index of the port pair in m->pool */

    /* remote and negotiation */
    bool has_remote;                  /* remote address set (port may be 0) */
    struct sockaddr_storage remote;   /* RTP address of the remote SDP */
    struct sockaddr_storage remote_c; /* its RTCP address (port + 1) */
    uint16_t remote_port;             /* 0: disabled */

    /* the one source we accept and the destination we send to: the SDP's addresses, or with
     * m->latch the first source heard (RTCP: the first RTCP from the latched IP) */
    struct sockaddr_storage rtp_peer;              /* RTP: accepted source and destination */
    struct sockaddr_storage rtcp_peer;             /* RTCP: accepted source and destination */
    bool latched;                                  /* m->latch: the RTP source is learnt (latch_* are valid) */
    bool latched_c;                                /* m->latch: the RTCP source is learnt too */
    struct sockaddr_storage latch_sdp;             /* the SDP RTP address in effect when the latch happened */
    struct sockaddr_storage latch_rtp, latch_rtcp; /* the learnt addresses */
    int codec;                                     /* payload type of our codec, -1 until set */
    sc_media_format fmt;                           /* the negotiated format (codec, pt, Opus fmtp) */
    unsigned clock;                                /* RTP clock of the codec (8000 until set) */
    unsigned frame_ts;                             /* timestamp units of 20 ms (clock / 50) */
    unsigned dtmf_clock;                           /* telephone-event clock */
    int dtmf_pt;                                   /* telephone-event pt, -1 for none */
    sc_media_direction dir;                        /* our direction */

    /* sending */
    uint32_t ssrc;              /* our SSRC, random */
    uint16_t seq;               /* next sequence number */
    uint32_t ts_last;           /* timestamp of the last audio (or event end) sent */
    uint32_t ts_last_len;       /* samples that packet covered */
    uint64_t ts_last_us;        /* when it was sent; 0: never */
    sc_media_src src;           /* source of the last audio packet sent */
    uint32_t relay_ssrc;        /* incoming SSRC the relay offsets belong to */
    uint32_t relay_ts_off;      /* out ts = in ts + off */
    uint16_t relay_seq_off;     /* out seq = in seq + off */
    uint32_t octets_sent_rtcp;  /* payload octets for the SR (wraps) */
    uint32_t packets_sent_rtcp; /* packets for the SR (wraps) */
    bool sent_since_report;     /* SR rather than RR */

    /* receiving (RFC 3550 A.1, A.3, A.8) */
    bool rx_started; /* a packet has been received from rx_ssrc */
    uint32_t rx_ssrc;
    uint16_t rx_max_seq;
    uint32_t rx_bad_seq; /* after a big jump: the sequence that confirms it; > 0xFFFF: none */
    uint32_t prb_ssrc;   /* a new SSRC on probation (RFC 3550 A.1) */
    uint16_t prb_seq;    /* its last sequence number */
    unsigned prb_count;  /* its packets in sequence so far; 0: no probation */
    uint32_t rx_cycles;
    uint32_t rx_base_seq;
    uint64_t rx_received;                          /* since the source began */
    uint32_t rx_expected_prior, rx_received_prior; /* at the last report */
    int64_t rx_transit;                            /* previous relative transit time */
    double rx_jitter;                              /* jitter, timestamp units */
    uint32_t rx_lsr;                               /* middle 32 bits of the last SR's NTP time */
    uint64_t rx_lsr_us;                            /* when that SR arrived; 0: none */
    uint64_t last_rx_us;                           /* last valid RTP (or arming time) for the timeout */
    bool timeout_fired;                            /* on_rtp_timeout called for this silence */
    uint64_t next_rtcp_us;                         /* when the next report is due */

    /* DTMF receive */
    bool drx_active; /* an event is in progress */
    bool drx_ended;  /* the event at drx_ts was reported */
    uint32_t drx_ts; /* timestamp of the current/last event */
    uint8_t drx_event;
    uint16_t drx_duration;

    /* DTMF send */
    char dq[SC_MEDIA_DTMF_QUEUE]; /* queued digits */
    unsigned dq_head, dq_count;
    unsigned dtx_duration_ms; /* per digit, of the queued digits */
    sc_dtmf_phase dtx_phase;
    uint8_t dtx_event;
    uint32_t dtx_ts;     /* event timestamp */
    uint16_t dtx_dur;    /* current duration, samples */
    uint16_t dtx_target; /* target duration, samples */
    unsigned dtx_count;  /* end packets sent / gap ticks */

    /* MOH */
    sc_moh_class *moh;                    /* playing class or NULL */
    sc_media_stream *moh_prev, *moh_next; /* in moh->listeners */

    /* bridge */
    sc_media_stream *peer; /* bridged partner or NULL */
    /* transcoding (bridge.c): the decoder of what the remote sends us, the encoder of what we
     * send, 20 ms frames gathered from the partner's decoded audio, timestamps mapped between
     * the two clocks (last input and output timestamps) */
    struct sc_transcode *tc; /* allocated when first needed */

    sc_media_stats stats; /* counters reported by sc_media_stream_stats */

    struct sc_media_srtp_ctx *srtp; /* srtp.c: SRTP contexts, NULL for plain RTP */

    struct sc_conf_member *conf; /* conference.c: the stream's place in a room, or NULL */
    struct sc_player *player;    /* player.c: the announcement playing, or NULL */
    struct sc_recorder *rec;     /* record.c: the recording, or NULL */
};

struct sc_moh_class {
    sc_media *m;
    sc_moh_class *next; /* in m->classes */
    char name[32];
    int16_t *pcm;     /* 8 kHz mono, owned */
    size_t len;       /* samples, >= SC_MEDIA_FRAME */
    size_t pos;       /* shared playout position */
    uv_timer_t timer; /* 20 ms ticks while listeners exist */
    bool running;
    uint64_t start_us;          /* when ticking began */
    uint64_t frames;            /* frames played since start_us */
    sc_media_stream *listeners; /* head of the listener list */
    size_t nlisteners;
    sc_codec *enc[SC_CODEC_SLOTS]; /* one encoder a codec in use (8 kHz PCM in), made on first use */
};

struct sc_media {
    uv_loop_t *loop;         /* borrowed */
    const sc_clock *clock;   /* borrowed */
    const sc_logger *logger; /* borrowed, may be NULL */
    sc_media_callbacks cb;
    struct sockaddr_storage bind; /* bind address, port 0 */
    char bind_str[64];
    char cname[128];
    uint16_t port_min;   /* even */
    uint32_t npairs;     /* pairs in the range */
    uint8_t *pair_used;  /* one flag per pair */
    uint32_t pairs_used; /* by open streams (parked pairs are flagged, not counted) */
    uint32_t pair_limit; /* pairs open at once, live and parked (0: npairs) */
    /* park.c: parked streams, oldest first (linked by prev/next), and their sweep */
    sc_media_stream *park_head, *park_tail;
    uint32_t nparked, park_max, park_quarantine_ms, park_idle_ms;
    uv_timer_t park_timer; /* initialised when park_max > 0 */
    uint32_t rtp_timeout_ms;
    uint32_t rtcp_interval_ms;
    bool latch;                     /* symmetric RTP: learn the source from the first packet */
    uint8_t rnd[SC_MEDIA_RND_POOL]; /* getrandom() output not used yet */
    size_t rnd_pos;                 /* bytes of rnd already used */
    uint64_t rnd_fallback;          /* only if getrandom and /dev/urandom both fail */
    sc_media_stream *streams;       /* open streams */
    sc_media_stream *spare;         /* closed streams' memory kept for the next opens (media.c) */
    unsigned nspare;
    sc_moh_class *classes;
    unsigned live;                /* objects whose close callbacks are pending or open */
    bool freeing;                 /* sc_media_free called */
    char rxbuf[SC_MEDIA_MAX_PKT]; /* receive buffer shared by all sockets (one thread) */
    bool rxbuf_busy;
    sc_media_srtp_counts srtp_totals; /* srtp.c: every stream's SRTP counters summed */
    struct sc_conf_room *rooms;       /* conference.c: the rooms with participants */
    sc_media_conf_stats conf_stats;   /* conference.c: ticks, mixing time (rooms, participants live) */
    struct sc_player_ctx *players;    /* player.c: the prompt cache and the playout timer, or NULL */
    struct sc_recorder *recorders;    /* record.c: recordings running or finishing their files */
};

/* pair_used flags: free, held by an open stream, parked */
enum { SC_PAIR_FREE = 0, SC_PAIR_OPEN = 1, SC_PAIR_PARKED = 2 };

/* media.c */
uint32_t sc_media__random(sc_media *m);                   /* 32 bits from the OS CSPRNG (getrandom) */
uint32_t sc_media__random_below(sc_media *m, uint32_t n); /* uniform in [0, n), n >= 1 */
uint64_t sc_media__now(const sc_media *m);
void sc_media__release(sc_media *m);                      /* one live object gone; frees m when freeing and none */
void sc_media__close_stream_handles(sc_media_stream *st); /* its sockets and timers closed, then freed */

/* park.c: closed streams whose sockets stay bound for reuse (sc_media_config.park_max) */
void sc_media__park_init(sc_media *m, const sc_media_config *cfg); /* counts a live object if on */
bool sc_media__park(sc_media *m, sc_media_stream *st);             /* false: not parked (off, full) */
/* The oldest parked stream, unlinked: quarantined at least park_quarantine_ms unless any. */
sc_media_stream *sc_media__unpark(sc_media *m, bool any);
sc_media_stream *sc_media__unpark_pair(sc_media *m, uint32_t pair); /* that pair's, unlinked */
void sc_media__park_free(sc_media *m);                              /* every parked stream closed */
bool sc_media__can_send(const sc_media_stream *st);
/* Send a ready RTP packet (header written by the caller) to the remote; counts stats. */
void sc_media__send_rtp(sc_media_stream *st, const uint8_t *pkt, size_t len, size_t payload);
/* One datagram received on the stream's RTP (rtcp false) or RTCP socket from from: the socket
 * callback's work, and the entry of the fuzz target fuzz/fuzz_rtp.c. */
void sc_media__receive(sc_media_stream *st, bool rtcp, uint8_t *pkt, size_t len, const struct sockaddr *from);
/* Write the RTP header of the next audio packet from source src (new talkspurt on a change),
 * advancing seq and ts. */
void sc_media__audio_header(sc_media_stream *st, uint8_t *hdr, sc_media_src src);
/* Timestamp for a new talkspurt: continues from the last one by the time elapsed. */
uint32_t sc_media__next_ts(sc_media_stream *st);

/* rtp.c: headers and RTCP */
typedef struct sc_rtp_hdr {
    uint8_t pt;
    bool marker;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    size_t hlen; /* header length (with CSRCs and extension) */
    size_t plen; /* payload length (without padding) */
} sc_rtp_hdr;
void sc_rtp__write_header(uint8_t *p, uint8_t pt, bool marker, uint16_t seq, uint32_t ts, uint32_t ssrc);
int sc_rtp__parse(const uint8_t *p, size_t len, sc_rtp_hdr *h); /* -EINVAL when invalid */
/* Receiver statistics and the RFC 3550 A.1 source checks for a packet from the accepted
 * address: false when the packet must be dropped (a new SSRC on probation, or a sequence jump
 * not confirmed yet); true when it counts (and the statistics were updated). */
bool sc_rtp__rx_update(sc_media_stream *st, const sc_rtp_hdr *h);
size_t sc_rtcp__build(sc_media_stream *st, uint8_t *buf, size_t cap);
int sc_rtcp__parse(sc_media_stream *st, const uint8_t *p, size_t len);
void sc_rtcp__ntp(const sc_media *m, uint32_t *sec, uint32_t *frac);

/* g711.c */
void sc_g711__encode(int pt, const int16_t *pcm, uint8_t *out, size_t n);
void sc_g711__transcode(int from_pt, int to_pt, uint8_t *buf, size_t n);

/* dtmf.c */
void sc_dtmf__receive(sc_media_stream *st, const sc_rtp_hdr *h, const uint8_t *payload);
void sc_dtmf__stop(sc_media_stream *st);
bool sc_dtmf__sending(const sc_media_stream *st);

/* moh.c */
void sc_moh__detach(sc_media_stream *st);
void sc_moh__free_classes(sc_media *m);
void sc_media__moh_tick(sc_moh_class *c); /* one 20 ms frame to every listener (bench uses it) */
sc_moh_class *sc_moh__find(sc_media *m, const char *name);

/* resample.c */
/* Resample in (n samples at in_rate) to 8 kHz; *out malloc'd. */
int sc_media__resample(const float *in, size_t n, unsigned in_rate, float **out, size_t *out_n);

/* srtp.c: the stream's SRTP contexts (st->srtp must be set) */
#define SC_MEDIA_SRTP_TRAILER 160 /* room to leave behind a packet for its SRTP(C) trailer */
/* Protect pkt (len octets, cap the buffer) in place: 0, -ENOSPC, -EIO. */
int sc_srtp__protect(sc_media_stream *st, bool rtcp, uint8_t *pkt, size_t *len, size_t cap);
/* Authenticate and decrypt in place: 0, -EBADMSG (counted as an auth failure), -EALREADY (replay). */
int sc_srtp__unprotect(sc_media_stream *st, bool rtcp, uint8_t *pkt, size_t *len);
void sc_srtp__free(sc_media_stream *st); /* drop the contexts, wiping the keys */

/* player.c, record.c (announcements and recording) */
void sc_player__detach(sc_media_stream *st); /* stop st's playback, no callback */
void sc_player__free_ctx(sc_media *m);       /* at sc_media_free: the cache and the timer */
/* record.c: st received an audio payload; st sends the RTP packet pkt (recorded if audio) */
void sc_record__rx(sc_media_stream *st, const uint8_t *payload, size_t len);
void sc_record__tx(sc_media_stream *st, const uint8_t *pkt, size_t len);
void sc_record__detach(sc_media_stream *st); /* st closes: its recording stops */
void sc_record__free_all(sc_media *m);       /* at sc_media_free: every recording stops */

/* bridge.c */
void sc_bridge__relay(sc_media_stream *from, const sc_rtp_hdr *h, uint8_t *pkt, size_t len);
void sc_bridge__reset_codecs(sc_media_stream *st); /* frees the stream's transcoding state */

/* conference.c */
typedef struct sc_conf_room sc_conf_room;
/* An audio packet received on a stream in a room: decoded into its backlog. */
void sc_conf__receive(sc_media_stream *st, const sc_rtp_hdr *h, const uint8_t *payload);
void sc_conf__tick(sc_conf_room *r);                       /* one 20 ms mix for every participant (tests use it) */
sc_conf_room *sc_conf__room_of(const sc_media_stream *st); /* NULL when in no room */

#endif
