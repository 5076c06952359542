/* sc_sip_send_many_unhooked over a real UDP listener: messages arrive in order whether they
 * go out in one sendmmsg or alone, a batch longer than one system call's 64 included, a
 * message that cannot be sent (no IPv6 listener) is counted and skipped, and the ones after it
 * still go. */
#include "sip_test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define N 150

/* A blocking UDP socket on 127.0.0.1 with a 2 s receive timeout; its address in *addr. */
static int receiver(struct sockaddr_storage *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    int big = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    socklen_t len = sizeof *addr;
    memset(addr, 0, sizeof *addr);
    assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    return fd;
}

static void test_order_and_failures(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    sc_sip *sip = NULL;
    sc_sip_config cfg = {.t1_ms = 50};
    assert_int_equal(sc_sip_new(&sip, &loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(sip, "udp:127.0.0.1:0"), 0);
    struct sockaddr_storage to, v6 = {0};
    int fd = receiver(&to);
    v6.ss_family = AF_INET6; /* no IPv6 listener: this one fails */
    ((struct sockaddr_in6 *)&v6)->sin6_addr = in6addr_loopback;
    ((struct sockaddr_in6 *)&v6)->sin6_port = htons(9);

    static char text[N][32];
    sc_sip_outmsg m[N];
    for (int i = 0; i < N; i++) {
        int n = snprintf(text[i], sizeof text[i], "message %03d", i);
        m[i] = (sc_sip_outmsg){SC_SIP_UDP, i == 70 ? &v6 : &to, text[i], (size_t)n};
    }
    sc_sip_stats before, after;
    sc_sip_get_stats(sip, &before);
    assert_int_equal(sc_sip_send_many_unhooked(sip, m, N), 1);
    sc_sip_get_stats(sip, &after);
    assert_int_equal(after.send_errors, before.send_errors + 1);

    for (int i = 0; i < N; i++) {
        if (i == 70)
            continue;
        char buf[64];
        ssize_t r = recv(fd, buf, sizeof buf - 1, 0);
        assert_true(r > 0);
        buf[r] = '\0';
        assert_string_equal(buf, text[i]);
    }
    assert_int_equal(sc_sip_send_many_unhooked(sip, m, 0), 0);
    close(fd);
    tu_free_sip(&loop, sip);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_order_and_failures)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
