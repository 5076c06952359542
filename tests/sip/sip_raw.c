/* sip_raw: sends one SIP message, byte for byte as a file holds it (any bytes, not only UTF-8),
 * in a UDP datagram from 127.0.0.1:LPORT to 127.0.0.1:DPORT, then writes every datagram that
 * comes back within WAIT_MS to stdout, each followed by a line "--". For the wire tests that
 * need bytes SIPp's XML scenarios cannot carry. Usage: sip_raw LPORT DPORT FILE [WAIT_MS] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sip_raw LPORT DPORT FILE [WAIT_MS]\n");
        return 2;
    }
    static char msg[65536], buf[65536];
    FILE *f = fopen(argv[3], "rb");
    if (!f) {
        perror(argv[3]);
        return 1;
    }
    size_t n = fread(msg, 1, sizeof msg, f);
    fclose(f);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in src = loopback(atoi(argv[1])), dst = loopback(atoi(argv[2]));
    if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
        perror("bind");
        return 1;
    }
    if (sendto(fd, msg, n, 0, (struct sockaddr *)&dst, sizeof dst) != (ssize_t)n) {
        perror("sendto");
        return 1;
    }
    int wait_ms = argc > 4 ? atoi(argv[4]) : 1000;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, wait_ms) > 0) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        fwrite(buf, 1, (size_t)r, stdout);
        fputs("\n--\n", stdout);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
