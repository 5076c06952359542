/* sip_flood: a transaction-table flood for the wire tests. From SRC_IP (a loopback address, an
 * ephemeral port) it sends COUNT distinct out-of-dialog requests (new Call-ID and branch each),
 * cycling through the methods of -m (comma-separated; default OPTIONS,REGISTER,INFO,MESSAGE,INVITE),
 * to DST_IP:DPORT at -r RATE per second (0, the default: as fast as the socket takes them),
 * reading every answer meanwhile and -w WAIT_MS (default 2000) after the last send; then prints
 * "sent N", "received N" and one line "STATUS COUNT" per final status (first answers of a
 * Call-ID only: a 200 retransmitted counts once). With -x every request is sent twice: a
 * stateless answer must come back the same, which "same_tag N"/"differing_tag N" count (the
 * To tags of the two answers).
 * Usage: sip_flood [-m METHODS] [-r RATE] [-w WAIT_MS] [-x] SRC_IP DST_IP DPORT COUNT */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_METHODS 16
#define MAX_CODE 700

typedef struct flood {
    int fd;
    char src[64];
    unsigned lport;
    unsigned long received, first[MAX_CODE], same_tag, differing_tag;
    char **tags; /* per request: the To tag of its first final answer, or NULL */
    unsigned char *seen;
    unsigned long count;
} flood;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The value after "name" up to the end of its line (NUL-terminated copy into out). */
static int header(const char *msg, const char *name, char *out, size_t cap)
{
    const char *p = strstr(msg, name);
    if (!p)
        return -1;
    p += strlen(name);
    size_t n = strcspn(p, "\r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static void on_answer(flood *f, char *buf)
{
    int code = 0;
    char cid[128], to[256];
    f->received++;
    if (sscanf(buf, "SIP/2.0 %d", &code) != 1 || code < 200 || code >= MAX_CODE)
        return;
    if (header(buf, "\r\nCall-ID: flood-", cid, sizeof cid) != 0)
        return;
    unsigned long i = strtoul(cid, NULL, 10);
    if (i >= f->count)
        return;
    const char *tag = header(buf, "\r\nTo: ", to, sizeof to) == 0 ? strstr(to, "tag=") : NULL;
    if (!f->seen[i]) {
        f->seen[i] = 1;
        f->first[code]++;
        f->tags[i] = tag ? strdup(tag) : NULL;
    } else if (f->tags[i] && tag && f->tags[i][0] != '\1') { /* the retransmission's answer */
        if (strcmp(f->tags[i], tag) == 0)
            f->same_tag++;
        else
            f->differing_tag++;
        free(f->tags[i]);
        f->tags[i] = strdup("\1"); /* compared once */
    }
}

/* Reads answers until wait_ms pass quietly or the clock reaches deadline (ms, 0: none). */
static void drain_until(flood *f, int wait_ms, long deadline)
{
    static char buf[65536];
    struct pollfd p = {.fd = f->fd, .events = POLLIN};
    for (;;) {
        int t = wait_ms;
        if (deadline) {
            long left = deadline - now_ms();
            if (left <= 0)
                return;
            t = left < t ? (int)left : t;
        }
        if (poll(&p, 1, t) <= 0)
            return;
        ssize_t r = recv(f->fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (r <= 0)
            return;
        buf[r] = '\0';
        on_answer(f, buf);
    }
}

static void drain(flood *f, int wait_ms) { drain_until(f, wait_ms, now_ms() + 50); }

static int send_one(flood *f, const struct sockaddr_in *dst, const char *dhost, const char *method, unsigned long i)
{
    char msg[1024];
    int n = snprintf(msg, sizeof msg,
                     "%s sip:flood%lu@%s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKflood%lu;rport\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:f%lu@%s>;tag=ft%lu\r\n"
                     "To: <sip:flood%lu@%s>\r\n"
                     "Call-ID: flood-%lu\r\n"
                     "CSeq: 1 %s\r\n"
                     "Contact: <sip:f%lu@%s:%u>\r\n"
                     "Content-Length: 0\r\n\r\n",
                     method, i, dhost, f->src, f->lport, i, i, f->src, i, i, dhost, i, method, i, f->src, f->lport);
    for (;;) {
        if (sendto(f->fd, msg, (size_t)n, 0, (const struct sockaddr *)dst, sizeof *dst) == n)
            return 0;
        if (errno != EAGAIN && errno != ENOBUFS && errno != EWOULDBLOCK)
            return -1;
        drain(f, 1);
    }
}

int main(int argc, char **argv)
{
    const char *methods_arg = "OPTIONS,REGISTER,INFO,MESSAGE,INVITE";
    int wait_ms = 2000, retx = 0, opt;
    long rate = 0;
    while ((opt = getopt(argc, argv, "m:r:w:x")) != -1) {
        switch (opt) {
        case 'm': methods_arg = optarg; break;
        case 'r': rate = atol(optarg); break;
        case 'w': wait_ms = atoi(optarg); break;
        case 'x': retx = 1; break;
        default: argc = 0; break;
        }
    }
    if (argc - optind != 4) {
        fprintf(stderr, "usage: sip_flood [-m METHODS] [-r RATE] [-w WAIT_MS] [-x] SRC_IP DST_IP DPORT COUNT\n");
        return 2;
    }
    argv += optind - 1; /* argv[1..4]: the operands */
    flood f = {.count = strtoul(argv[4], NULL, 10)};
    char mbuf[256], *methods[MAX_METHODS];
    size_t nm = 0;
    snprintf(mbuf, sizeof mbuf, "%s", methods_arg);
    for (char *save = NULL, *t = strtok_r(mbuf, ",", &save); t && nm < MAX_METHODS; t = strtok_r(NULL, ",", &save))
        methods[nm++] = t;
    f.tags = calloc(f.count ? f.count : 1, sizeof *f.tags);
    f.seen = calloc(f.count ? f.count : 1, 1);
    snprintf(f.src, sizeof f.src, "%s", argv[1]);
    struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
    dst.sin_port = htons((unsigned short)atoi(argv[3]));
    if (!nm || !f.tags || !f.seen || inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
        inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
        fprintf(stderr, "sip_flood: bad arguments\n");
        return 2;
    }
    f.fd = socket(AF_INET, SOCK_DGRAM, 0);
    int rcv = 8 << 20;
    setsockopt(f.fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    socklen_t sl = sizeof src;
    if (f.fd < 0 || bind(f.fd, (struct sockaddr *)&src, sizeof src) != 0 ||
        getsockname(f.fd, (struct sockaddr *)&src, &sl) != 0) {
        perror("sip_flood: bind");
        return 1;
    }
    f.lport = ntohs(src.sin_port);
    long t0 = now_ms();
    unsigned long sent = 0;
    for (unsigned long i = 0; i < f.count; i++) {
        for (int k = 0; k <= retx; k++) {
            if (send_one(&f, &dst, argv[2], methods[i % nm], i) != 0) {
                perror("sip_flood: sendto");
                return 1;
            }
            sent++;
        }
        if (i % 64 == 63)
            drain(&f, 0);
        while (rate > 0 && (long)(i + 1) * 1000 / rate > now_ms() - t0) /* ahead of the rate */
            drain(&f, 1);
    }
    long t1 = now_ms();
    drain_until(&f, wait_ms, t1 + wait_ms); /* a retransmitted 2xx keeps coming: bounded */
    printf("sent %lu\nsend_ms %ld\nreceived %lu\n", sent, t1 - t0, f.received);
    for (int c = 200; c < MAX_CODE; c++)
        if (f.first[c])
            printf("%d %lu\n", c, f.first[c]);
    if (retx)
        printf("same_tag %lu\ndiffering_tag %lu\n", f.same_tag, f.differing_tag);
    for (unsigned long i = 0; i < f.count; i++)
        free(f.tags[i]);
    free(f.tags);
    free(f.seen);
    close(f.fd);
    return 0;
}
