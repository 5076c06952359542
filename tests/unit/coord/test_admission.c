/* Tests for admission's caps: the derivation of the automatic caps from the RTP range, the
 * descriptor limit and the memory basis; the memory basis read from cgroup v1 and v2 files
 * (a fake /proc and /sys tree in a temporary directory); and a real coordinator whose two RTP
 * pairs admit two calls and refuse the third with "media_ports" (the pairs coming back when
 * calls end is in the wire test, tests/sip/test_admission_media.sh). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "coord/admission.h"
#include "session_core/coord.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

static sc_coord_limits derive(uint32_t pairs, uint64_t fds, uint64_t mem, size_t sessions, uint64_t memory)
{
    sc_coord_limits l;
    sc_coord_limits_env env = {.port_pairs = pairs, .fd_limit = fds, .memory = mem};
    sc_coord__limits_derive(&env, sessions, memory, 0, &l);
    return l;
}

/* Automatic caps: half the memory at 64 KiB a session, 3/4 of it for RSS; pairs from the range. */
static void test_auto_from_memory(void **state)
{
    (void)state;
    sc_coord_limits l = derive(8192, 0, 8 * GiB, SC_COORD_AUTO_SESSIONS, SC_COORD_AUTO_MEMORY);
    assert_true(l.sessions_auto);
    assert_true(l.memory_auto);
    assert_int_equal(l.max_sessions, 65536); /* 4 GiB / 64 KiB */
    assert_int_equal(l.max_memory, 6 * GiB);
    assert_int_equal(l.media_pairs, 8192);
    assert_int_equal(l.media_pairs_range, 8192);
    assert_int_equal(l.memory_basis, 8 * GiB);
    l = derive(8192, 0, 256 * MiB, SC_COORD_AUTO_SESSIONS, SC_COORD_AUTO_MEMORY);
    assert_int_equal(l.max_sessions, 2048);
    assert_int_equal(l.max_memory, 192 * MiB);
    /* very little memory still admits one; unknown memory sets no cap */
    assert_int_equal(derive(2, 0, 64 * KiB, SC_COORD_AUTO_SESSIONS, SC_COORD_AUTO_MEMORY).max_sessions, 1);
    l = derive(2, 0, 0, SC_COORD_AUTO_SESSIONS, SC_COORD_AUTO_MEMORY);
    assert_int_equal(l.max_sessions, 0);
    assert_int_equal(l.max_memory, 0);
}

/* RTP pairs: two descriptors a pair, a quarter of the limit (at least 64) kept for the rest. */
/* The SIP agent's caps follow the admitted sessions (the transactions and calls a call leaves
 * lingering 64*T1 at a sustained rate), none when sessions are not limited, as given if set. */
static void test_sip_caps(void **state)
{
    (void)state;
    assert_int_equal(sc_coord__sip_cap(0, 196608, 4, 65536), 196608 * 4 + 65536);
    assert_int_equal(sc_coord__sip_cap(0, 196608, 2, 32768), 196608 * 2 + 32768);
    assert_int_equal(sc_coord__sip_cap(0, 10, 4, 65536), 65576);
    assert_int_equal(sc_coord__sip_cap(0, 0, 4, 65536), UINT_MAX / 2);
    assert_int_equal(sc_coord__sip_cap(0, SIZE_MAX - 1, 2, 32768), UINT_MAX / 2);
    assert_int_equal(sc_coord__sip_cap(5000, 0, 4, 65536), 5000);
}

static void test_pairs_from_fds(void **state)
{
    (void)state;
    assert_int_equal(derive(8192, 20000, GiB, 0, 0).media_pairs, 7500); /* (20000 - 5000) / 2 */
    assert_int_equal(derive(8192, 1024, GiB, 0, 0).media_pairs, 384);   /* (1024 - 256) / 2 */
    assert_int_equal(derive(8192, 100, GiB, 0, 0).media_pairs, 18);     /* (100 - 64) / 2 */
    assert_int_equal(derive(8192, 50, GiB, 0, 0).media_pairs, 0);
    assert_int_equal(derive(2, 1024, GiB, 0, 0).media_pairs, 2); /* the range is smaller */
    assert_int_equal(derive(2, 1024, GiB, 0, 0).media_pairs_range, 2);
}

/* Given values are kept: 0 is "none", not "derive". */
static void test_explicit(void **state)
{
    (void)state;
    sc_coord_limits l = derive(8192, 0, 8 * GiB, 0, 0);
    assert_false(l.sessions_auto);
    assert_false(l.memory_auto);
    assert_int_equal(l.max_sessions, 0);
    assert_int_equal(l.max_memory, 0);
    l = derive(8192, 0, 8 * GiB, 500, GiB);
    assert_int_equal(l.max_sessions, 500);
    assert_int_equal(l.max_memory, GiB);
}

/* ---- The memory basis from a fake tree ---------------------------------------------------------- */

static void put(const char *root, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++) /* mkdir -p of the parents */
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void rm_tree(const char *root)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void test_basis_v2(void **state)
{
    (void)state;
    char root[] = "/tmp/sc-admission-XXXXXX";
    assert_non_null(mkdtemp(root));
    put(root, "proc/self/cgroup", "0::/a/b\n");
    put(root, "sys/fs/cgroup/a/b/memory.max", "max\n");
    put(root, "sys/fs/cgroup/a/memory.max", "1073741824\n"); /* the parent's limit applies */
    put(root, "sys/fs/cgroup/memory.max", "garbage\n");
    assert_int_equal(sc_coord__memory_basis(root, 8 * GiB), GiB);
    assert_int_equal(sc_coord__memory_basis(root, 512 * MiB), 512 * MiB); /* physical is less */
    put(root, "sys/fs/cgroup/a/b/memory.max", "536870912\n");
    assert_int_equal(sc_coord__memory_basis(root, 8 * GiB), 512 * MiB);
    put(root, "proc/self/cgroup", "0::/\n"); /* a cgroup namespace: the root file is ours */
    put(root, "sys/fs/cgroup/memory.max", "268435456\n");
    assert_int_equal(sc_coord__memory_basis(root, 8 * GiB), 256 * MiB);
    rm_tree(root);
}

static void test_basis_v1(void **state)
{
    (void)state;
    char root[] = "/tmp/sc-admission-XXXXXX";
    assert_non_null(mkdtemp(root));
    put(root, "proc/self/cgroup", "9:pids:/\n4:memory:/x/y\n1:cpu,cpuacct:/\n");
    /* v1 "no limit": a huge number, at or above physical */
    put(root, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    assert_int_equal(sc_coord__memory_basis(root, 8 * GiB), 8 * GiB);
    put(root, "sys/fs/cgroup/memory/x/memory.limit_in_bytes", "2147483648\n"); /* /x/y itself is missing */
    assert_int_equal(sc_coord__memory_basis(root, 8 * GiB), 2 * GiB);
    rm_tree(root);
    /* nothing readable: physical */
    assert_int_equal(sc_coord__memory_basis("/nonexistent-sc-root", 3 * GiB), 3 * GiB);
}

/* ---- A real coordinator with two RTP pairs ---------------------------------------------------- */

/* A range of 4 ports no socket holds now (an even start in 50000..59998). */
static uint16_t free_range(void)
{
    for (int tries = 0; tries < 200; tries++) {
        uint16_t lo = (uint16_t)((50000 + rand() % 9990) & ~1);
        bool ok = true;
        for (int i = 0; i < 4 && ok; i++) {
            int fd = socket(AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(lo + i))};
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
            if (fd >= 0)
                close(fd);
        }
        if (ok)
            return lo;
    }
    fail_msg("no free port range");
    return 0;
}

static void test_coord_media_ports(void **state)
{
    (void)state;
    uv_loop_t loop;
    sc_vocab *vocab = NULL;
    sc_table *table = NULL;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(sc_vocab_new(&vocab), 0);
    assert_int_equal(sc_table_load_file(&table, SC_SOURCE_DIR "/tables/default.yaml", vocab, NULL), 0);
    srand((unsigned)getpid());
    uint16_t lo = free_range();
    sc_coord_config c;
    sc_coord_config_default(&c);
    assert_int_equal(c.max_sessions, SC_COORD_AUTO_SESSIONS);
    assert_int_equal(c.max_memory, SC_COORD_AUTO_MEMORY);
    c.loop = &loop;
    c.table = table;
    c.listen[0] = "udp:127.0.0.1:0";
    c.nlisten = 1;
    c.media_port_min = lo;
    c.media_port_max = (uint16_t)(lo + 3);
    sc_coord *coord = NULL;
    assert_int_equal(sc_coord_new(&coord, &c), 0);
    sc_coord_limits l;
    assert_int_equal(sc_coord_admission_limits(coord, &l), 0);
    assert_true(l.sessions_auto);
    assert_true(l.max_sessions > 2);
    assert_int_equal(l.media_pairs, 2);
    assert_null(sc_coord_admission_refusal(coord));
    /* calls to a port nobody answers stay Calling, each holding its pair */
    char id[SC_SESSION_ID_MAX + 1];
    assert_int_equal(sc_coord_make_call(coord, "sip:x@127.0.0.1:9", NULL, id, sizeof id), 0);
    assert_int_equal(sc_coord_make_call(coord, "sip:y@127.0.0.1:9", NULL, id, sizeof id), 0);
    assert_int_equal(sc_coord_admission_limits(coord, &l), 0);
    assert_int_equal(l.media_pairs_used, 2);
    assert_int_equal(sc_coord_make_call(coord, "sip:z@127.0.0.1:9", NULL, id, sizeof id), SC_E_OVERLOAD);
    assert_string_equal(sc_coord_admission_refusal(coord), "media_ports");
    sc_coord_free(coord);
    sc_table_unref(table);
    sc_vocab_free(vocab);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_from_memory),  cmocka_unit_test(test_sip_caps),
        cmocka_unit_test(test_pairs_from_fds),    cmocka_unit_test(test_explicit),
        cmocka_unit_test(test_basis_v2),          cmocka_unit_test(test_basis_v1),
        cmocka_unit_test(test_coord_media_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
