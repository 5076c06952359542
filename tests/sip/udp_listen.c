/* udp_listen: a tiny UDP sink for the wire tests: binds 127.0.0.1:PORT and writes every
 * datagram received within SECONDS to stdout, one datagram per block ending in a newline.
 * Usage: udp_listen PORT SECONDS. Exit 0 after the time is up, 1 on a bad argument or bind. */
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

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    long port = argc == 3 ? strtol(argv[1], NULL, 10) : 0;
    long secs = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
    if (port <= 0 || port > 65535 || secs <= 0) {
        fprintf(stderr, "usage: udp_listen PORT SECONDS\n");
        return 1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "udp_listen: bind 127.0.0.1:%ld: %s\n", port, strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    long long end = now_ms() + secs * 1000;
    char buf[65536];
    for (long long left; (left = end - now_ms()) > 0;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            fwrite(buf, 1, (size_t)n, stdout);
            fputc('\n', stdout);
            fflush(stdout);
        }
    }
    close(fd);
    return 0;
}
