/* Tests for obs runtime parts: real process stats, loop lag probe, heartbeat, the health
 * model and the StatsD push over a real UDP socket on 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "session_core/obs.h"

static void test_process_stats_are_real(void **state)
{
    (void)state;
    sc_obs_process_stats a, b;
    assert_int_equal(sc_obs_process_sample(&a), 0);
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(sc_obs_process_sample(&b), 0);
    assert_int_equal(b.open_fds, a.open_fds + 1);
    close(fd);
    assert_int_equal(sc_obs_process_sample(&b), 0);
    assert_int_equal(b.open_fds, a.open_fds);
    assert_true(a.resident_bytes > 100000);
    assert_true(a.virtual_bytes >= a.resident_bytes);
    assert_true(a.max_fds >= a.open_fds);
    /* start time within the last hour, and not in the future */
    double now = (double)sc_clock_wall_us(sc_clock_system()) / 1e6;
    assert_true(a.start_time_seconds <= now + 1 && a.start_time_seconds > now - 3600);
    /* burn some CPU: the counter moves */
    volatile double x = 0;
    for (long i = 0; i < 30000000; i++)
        x += (double)i * 0.5;
    assert_int_equal(sc_obs_process_sample(&b), 0);
    assert_true(b.cpu_seconds > a.cpu_seconds);
    /* memory grows when we touch 64 MiB */
    char *big = malloc(64 << 20);
    assert_non_null(big);
    memset(big, 1, 64 << 20);
    assert_int_equal(sc_obs_process_sample(&b), 0);
    assert_true(b.resident_bytes > a.resident_bytes + (32 << 20));
    free(big);
}

static void test_loop_probe_measures_lag(void **state)
{
    (void)state;
    sc_manual_clock *mc = NULL;
    assert_int_equal(sc_manual_clock_new(&mc, 1000000, 0), 0);
    sc_obs_registry *r = NULL;
    assert_int_equal(sc_obs_registry_new(&r), 0);
    sc_obs_std_metrics m;
    assert_int_equal(sc_obs_std_metrics_new(r, &m), 0);
    sc_obs_histogram *h = sc_obs_histogram_with(m.loop_lag);
    sc_obs_loop_probe p;
    sc_obs_loop_probe_init(&p, sc_manual_clock_get(mc), h, 100000);
    sc_obs_loop_probe_arm(&p);
    sc_manual_clock_advance(mc, 100000); /* on time */
    assert_int_equal(sc_obs_loop_probe_fire(&p), 0);
    sc_manual_clock_advance(mc, 350000); /* 250 ms late */
    assert_int_equal(sc_obs_loop_probe_fire(&p), 250000);
    sc_manual_clock_advance(mc, 100000);
    assert_int_equal(sc_obs_loop_probe_fire(&p), 0); /* the stall is counted once */
    assert_int_equal(h->count, 3);
    assert_true(h->sum > 0.2499 && h->sum < 0.2501);
    assert_int_equal(p.max_lag_us, 250000);
    sc_obs_registry_free(r);
    sc_manual_clock_free(mc);
}

static void test_heartbeat_and_liveness(void **state)
{
    (void)state;
    sc_manual_clock *mc = NULL;
    assert_int_equal(sc_manual_clock_new(&mc, 5000, 0), 0);
    sc_obs_heartbeat hb;
    sc_obs_heartbeat_init(&hb, sc_manual_clock_get(mc));
    assert_true(sc_obs_heartbeat_age_us(&hb) == UINT64_MAX);
    assert_false(sc_obs_health_live(&hb, 1000000));
    sc_obs_heartbeat_beat(&hb);
    sc_manual_clock_advance(mc, 400000);
    assert_int_equal(sc_obs_heartbeat_age_us(&hb), 400000);
    assert_true(sc_obs_health_live(&hb, 1000000));
    sc_manual_clock_advance(mc, 700000);
    assert_false(sc_obs_health_live(&hb, 1000000));
    sc_obs_heartbeat_beat(&hb);
    assert_true(sc_obs_health_live(&hb, 1000000));
    sc_manual_clock_free(mc);
}

static void test_health_readiness_and_json(void **state)
{
    (void)state;
    sc_manual_clock *mc = NULL;
    assert_int_equal(sc_manual_clock_new(&mc, 1, 1700000000000000), 0);
    sc_obs_health *h = NULL;
    assert_int_equal(sc_obs_health_new(&h, sc_manual_clock_get(mc)), 0);
    char why[256];
    assert_false(sc_obs_health_ready(h, why, sizeof why));
    assert_non_null(strstr(why, "sip_sockets: pending"));
    assert_int_equal(sc_obs_health_set(h, "sip_sockets", true, "udp:127.0.0.1:5060"), 0);
    assert_int_equal(sc_obs_health_set(h, "table", true, "v1"), 0);
    assert_int_equal(sc_obs_health_set(h, "recovery", true, "3 sessions"), 0);
    assert_int_equal(sc_obs_health_set(h, "store", false, "connection refused"), 0);
    assert_false(sc_obs_health_ready(h, why, sizeof why));
    assert_string_equal(why, "store: connection refused");
    assert_int_equal(sc_obs_health_set(h, "nope", true, NULL), -ENOENT);
    sc_manual_clock_advance(mc, 2000000);
    assert_int_equal(sc_obs_health_set(h, "store", true, "sqlite ok"), 0);
    assert_true(sc_obs_health_ready(h, why, sizeof why));
    assert_string_equal(why, "");
    assert_int_equal(sc_obs_health_set_detail(h, "sessions", 12), 0);
    sc_obs_heartbeat hb;
    sc_obs_heartbeat_init(&hb, sc_manual_clock_get(mc));
    sc_obs_heartbeat_beat(&hb);
    assert_int_equal(sc_obs_health_set(h, "loop", true, NULL), 0);
    char *js = sc_obs_health_json(h, &hb, 1000000);
    assert_non_null(js);
    json_t *o = json_loads(js, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "ok");
    assert_true(json_is_true(json_object_get(o, "ready")));
    assert_true(json_is_true(json_object_get(o, "live")));
    json_t *store = json_object_get(json_object_get(o, "checks"), "store");
    assert_string_equal(json_string_value(json_object_get(store, "reason")), "sqlite ok");
    assert_string_equal(json_string_value(json_object_get(store, "since")), "2023-11-14T22:13:22.000000Z");
    assert_true(json_number_value(json_object_get(json_object_get(o, "details"), "sessions")) == 12);
    json_decref(o);
    free(js);
    sc_obs_health_free(h);
    sc_manual_clock_free(mc);
}

static void test_statsd_push(void **state)
{
    (void)state;
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(rx, (struct sockaddr *)&a, &al);
    char hp[64];
    snprintf(hp, sizeof hp, "127.0.0.1:%d", ntohs(a.sin_port));
    sc_obs_registry *r = NULL;
    assert_int_equal(sc_obs_registry_new(&r), 0);
    sc_obs_std_metrics m;
    assert_int_equal(sc_obs_std_metrics_new(r, &m), 0);
    sc_obs_counter *c = sc_obs_counter_with(m.sip_messages, "in", "INVITE", "request");
    sc_obs_counter_add(c, 5);
    sc_obs_gauge_set(sc_obs_gauge_with(m.store_queue_depth), 4);
    sc_obs_histogram_observe(sc_obs_histogram_with(m.call_setup, "uac"), 0.25);
    sc_obs_statsd *s = NULL;
    assert_int_equal(sc_obs_statsd_new(&s, r, "no-port", 1000), -EINVAL);
    assert_int_equal(sc_obs_statsd_new(&s, r, hp, 1000), 0);
    assert_int_equal(sc_obs_statsd_interval_ms(s), 1000);
    assert_true(sc_obs_statsd_flush(s) > 0);
    char buf[8192] = {0};
    char all[65536] = {0};
    struct timeval tv = {1, 0};
    setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n;
    while ((n = recv(rx, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0 || (n < 0 && !all[0])) {
        if (n > 0) {
            buf[n] = 0;
            strcat(all, buf);
            strcat(all, "\n");
        } else {
            usleep(10000);
        }
    }
    assert_non_null(strstr(all, "sessioncore_sip_messages_total.in.INVITE.request:5|c\n"));
    assert_non_null(strstr(all, "sessioncore_store_queue_depth:4|g\n"));
    assert_non_null(strstr(all, "sessioncore_call_setup_seconds_count.uac:1|c\n"));
    assert_non_null(strstr(all, "sessioncore_call_setup_seconds_sum.uac:0.25|g\n"));
    /* second flush: counters send deltas only */
    sc_obs_counter_add(c, 2);
    assert_true(sc_obs_statsd_flush(s) > 0);
    all[0] = 0;
    usleep(20000);
    while ((n = recv(rx, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
        buf[n] = 0;
        strcat(all, buf);
        strcat(all, "\n");
    }
    assert_non_null(strstr(all, "sessioncore_sip_messages_total.in.INVITE.request:2|c\n"));
    assert_null(strstr(all, "sessioncore_call_setup_seconds_count.uac:"));
    sc_obs_statsd_free(s);
    sc_obs_registry_free(r);
    close(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_process_stats_are_real),
        cmocka_unit_test(test_loop_probe_measures_lag),
        cmocka_unit_test(test_heartbeat_and_liveness),
        cmocka_unit_test(test_health_readiness_and_json),
        cmocka_unit_test(test_statsd_push),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
