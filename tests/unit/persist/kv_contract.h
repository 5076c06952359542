/* kv_contract: the key-value part of the storage contract (sc_persist_kv_*, the writer's
 * KV ops), included by persist_contract.h and run by every backend's test program. */
#ifndef SC_TEST_PERSIST_KV_CONTRACT_H
#define SC_TEST_PERSIST_KV_CONTRACT_H

#include <sys/time.h>

/* The entries a list call saw, as "key=text@expires;" (keys and texts here are printable). */
typedef struct kv_seen {
    char buf[4096];
    size_t n;
    size_t stop_after; /* 0 = never stop */
} kv_seen;

static int kv_collect(const char *key, const char *text, size_t len, int64_t expires_us, void *ud)
{
    kv_seen *s = ud;
    assert_int_equal(strlen(text), len);
    size_t used = strlen(s->buf);
    snprintf(s->buf + used, sizeof s->buf - used, "%s=%s@%lld;", key, text, (long long)expires_us);
    s->n++;
    return s->stop_after && s->n == s->stop_after ? 42 : 0;
}

static const char *kv_list_str(sc_persist *p, const char *ns, kv_seen *s)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(sc_persist_kv_list(p, ns, kv_collect, s), 0);
    return s->buf;
}

static void kv_expect(sc_persist *p, const char *ns, const char *key, const char *want)
{
    char *got = NULL;
    int rc = sc_persist_kv_get(p, ns, key, &got);
    if (!want) {
        assert_int_equal(rc, -ENOENT);
        assert_null(got);
        return;
    }
    assert_int_equal(rc, 0);
    assert_string_equal(got, want);
    free(got);
}

static void kv_put_s(sc_persist *p, const char *ns, const char *key, const char *text, int64_t expires_us)
{
    assert_int_equal(sc_persist_kv_put(p, ns, key, text, strlen(text), expires_us), 0);
}

static int64_t kv_now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Several handles on one store? "memory:" opened twice is two stores. */
static bool kv_shared_store(void) { return strncmp(contract.url, "memory:", 7) != 0; }

static void test_kv_put_get_overwrite_delete(void **state)
{
    sc_persist *p = *state;
    kv_expect(p, "reg", "sip:alice@example.com", NULL);
    kv_put_s(p, "reg", "sip:alice@example.com", "{\"contact\":\"sip:a@127.0.0.1\"}", 0);
    kv_put_s(p, "reg", "sip:bob@example.com", "bob-1", 0);
    kv_put_s(p, "other", "sip:alice@example.com", "not the registrar's", 0);
    kv_expect(p, "reg", "sip:alice@example.com", "{\"contact\":\"sip:a@127.0.0.1\"}");
    kv_put_s(p, "reg", "sip:alice@example.com", "alice-2", 0); /* overwrite */
    kv_expect(p, "reg", "sip:alice@example.com", "alice-2");
    kv_expect(p, "other", "sip:alice@example.com", "not the registrar's");
    assert_int_equal(sc_persist_kv_put(p, "reg", "empty", NULL, 0, 0), 0); /* empty text */
    kv_expect(p, "reg", "empty", "");
    /* only len bytes of text are stored */
    assert_int_equal(sc_persist_kv_put(p, "reg", "cut", "abcdef", 3, 0), 0);
    kv_expect(p, "reg", "cut", "abc");
    assert_int_equal(sc_persist_kv_delete(p, "reg", "sip:alice@example.com"), 0);
    assert_int_equal(sc_persist_kv_delete(p, "reg", "sip:alice@example.com"), -ENOENT);
    kv_expect(p, "reg", "sip:alice@example.com", NULL);
    kv_expect(p, "reg", "sip:bob@example.com", "bob-1");
    kv_expect(p, "other", "sip:alice@example.com", "not the registrar's");
    if (kv_shared_store()) { /* a second connection sees the same entries */
        sc_persist *q = NULL;
        assert_int_equal(sc_persist_open(&q, contract.url, NULL, NULL, 0), 0);
        kv_expect(q, "reg", "sip:bob@example.com", "bob-1");
        sc_persist_close(q);
    }
}

static void test_kv_list_order_and_namespaces(void **state)
{
    sc_persist *p = *state;
    kv_seen s;
    assert_string_equal(kv_list_str(p, "reg", &s), "");
    kv_put_s(p, "reg", "b", "2", 0);
    kv_put_s(p, "reg", "a", "1", 0);
    kv_put_s(p, "reg", "c", "3", 4102444800000000); /* 2100-01-01 */
    kv_put_s(p, "reg", "B", "upper", 0);
    kv_put_s(p, "re", "g:a", "prefix namespace", 0); /* must not mix with "reg" */
    kv_put_s(p, "reg:x", "a", "longer namespace", 0);
    assert_string_equal(kv_list_str(p, "reg", &s), "B=upper@0;a=1@0;b=2@0;c=3@4102444800000000;");
    assert_int_equal(s.n, 4);
    assert_string_equal(kv_list_str(p, "re", &s), "g:a=prefix namespace@0;");
    assert_string_equal(kv_list_str(p, "reg:x", &s), "a=longer namespace@0;");
    assert_string_equal(kv_list_str(p, "nothing", &s), "");
    memset(&s, 0, sizeof s);
    s.stop_after = 2; /* the callback's non-zero value stops the walk and is returned */
    assert_int_equal(sc_persist_kv_list(p, "reg", kv_collect, &s), 42);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.buf, "B=upper@0;a=1@0;");
}

/* Expiry by the handle's clock (a manual one): an entry is gone from its expiry time on. When
 * the store is shared, a handle on the real clock (for which nothing has expired yet) shows
 * that get, put and list really removed the expired entries. */
static void test_kv_expiry(void **state)
{
    sc_persist *p = *state;
    int64_t now = kv_now_us();
    sc_manual_clock *mc = NULL;
    assert_int_equal(sc_manual_clock_new(&mc, 1, now), 0);
    sc_persist_config cfg = {.clock = sc_manual_clock_get(mc)};
    sc_persist *q = NULL;
    assert_int_equal(sc_persist_open(&q, contract.url, &cfg, NULL, 0), 0);
    int64_t soon = now + 60 * 1000000LL;
    kv_put_s(q, "b", "gets", "g", soon);
    kv_put_s(q, "b", "lists", "l", soon);
    kv_put_s(q, "b", "stays", "s", 0);
    kv_put_s(q, "b", "later", "x", soon + 1000000);
    kv_put_s(q, "c", "puts", "p", soon);
    kv_put_s(q, "b", "past", "never seen", now - 1); /* expiry in the past: not stored */
    kv_expect(q, "b", "past", NULL);
    kv_put_s(q, "b", "replaced", "r", 0);
    kv_put_s(q, "b", "replaced", "r2", 1); /* a past expiry removes the entry */
    kv_expect(q, "b", "replaced", NULL);
    assert_int_equal(sc_persist_kv_delete(q, "b", "replaced"), -ENOENT);
    kv_seen s;
    char want[256];
    snprintf(want, sizeof want, "gets=g@%lld;later=x@%lld;lists=l@%lld;stays=s@0;", (long long)soon,
             (long long)(soon + 1000000), (long long)soon);
    assert_string_equal(kv_list_str(q, "b", &s), want);
    kv_expect(q, "b", "gets", "g");
    sc_manual_clock_advance(mc, 60 * 1000000); /* now == soon: expired */
    kv_expect(q, "b", "gets", NULL);           /* removed when read */
    assert_int_equal(sc_persist_kv_delete(q, "b", "gets"), -ENOENT);
    snprintf(want, sizeof want, "later=x@%lld;stays=s@0;", (long long)(soon + 1000000));
    assert_string_equal(kv_list_str(q, "b", &s), want); /* "lists" removed by list */
    kv_put_s(q, "c", "other", "o", 0);                  /* "puts" removed by a put */
    assert_string_equal(kv_list_str(q, "c", &s), "other=o@0;");
    if (kv_shared_store()) {
        kv_expect(p, "b", "gets", NULL);
        kv_expect(p, "b", "lists", NULL);
        kv_expect(p, "c", "puts", NULL);
        kv_expect(p, "b", "later", "x"); /* not expired, not removed */
    }
    sc_manual_clock_advance(mc, 1000000);
    kv_expect(q, "b", "later", NULL);
    assert_string_equal(kv_list_str(q, "b", &s), "stays=s@0;");
    sc_persist_close(q);
    sc_manual_clock_free(mc);
}

/* The same on the real clock: an entry that expires in 300 ms is there, then gone. */
static void test_kv_expiry_real_clock(void **state)
{
    sc_persist *p = *state;
    int64_t at = kv_now_us() + 300000;
    kv_put_s(p, "t", "short", "lived", at);
    kv_put_s(p, "t", "long", "lived", at + 3600 * 1000000LL);
    kv_expect(p, "t", "short", "lived");
    usleep(400000);
    kv_expect(p, "t", "short", NULL);
    kv_seen s;
    char want[128];
    snprintf(want, sizeof want, "long=lived@%lld;", (long long)(at + 3600 * 1000000LL));
    assert_string_equal(kv_list_str(p, "t", &s), want);
}

static int kv_count(const char *key, const char *text, size_t len, int64_t expires_us, void *ud)
{
    (void)key;
    (void)text;
    (void)len;
    (void)expires_us;
    ++*(size_t *)ud;
    return 0;
}

/* Namespaces, keys and texts are bytes: quotes, separators, patterns, newlines, UTF-8 and
 * invalid UTF-8 round-trip unchanged and stay distinct. */
static void test_kv_binary_safe(void **state)
{
    sc_persist *p = *state;
    static const char *const nss[] = {"ns \"q\" 'x' \\ % * ? [a] {b}", "\xff\xfe\x01\x7f", "caf\xc3\xa9 \xe2\x98\x83",
                                      "a:b", "a"};
    static const char *const keys[] = {"b:c", "line1\nline2\r\t", "%s %d %n",    "\xc3\x28 invalid",
                                       "*",   "sc:kv:x",          "' OR 1=1 --", "\x01"};
    for (size_t i = 0; i < sizeof nss / sizeof nss[0]; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            char text[256];
            snprintf(text, sizeof text, "%zu/%zu \"\\\n\xe2\x82\xac\xff\x01 %%s", i, k);
            kv_put_s(p, nss[i], keys[k], text, 0);
        }
    for (size_t i = 0; i < sizeof nss / sizeof nss[0]; i++) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            char text[256];
            snprintf(text, sizeof text, "%zu/%zu \"\\\n\xe2\x82\xac\xff\x01 %%s", i, k);
            kv_expect(p, nss[i], keys[k], text);
        }
        size_t n = 0;
        assert_int_equal(sc_persist_kv_list(p, nss[i], kv_count, &n), 0);
        assert_int_equal(n, sizeof keys / sizeof keys[0]);
    }
    /* "a" + "b:c" and "a:b" + "c" are different entries */
    kv_expect(p, "a", "b:c", "4/0 \"\\\n\xe2\x82\xac\xff\x01 %s");
    kv_expect(p, "a:b", "c", NULL);
    assert_int_equal(sc_persist_kv_delete(p, "\xff\xfe\x01\x7f", "\xc3\x28 invalid"), 0);
    kv_expect(p, "\xff\xfe\x01\x7f", "\xc3\x28 invalid", NULL);
    kv_expect(p, "a", "\xc3\x28 invalid", "4/3 \"\\\n\xe2\x82\xac\xff\x01 %s");
}

static void test_kv_limits(void **state)
{
    sc_persist *p = *state;
    char ns[SC_PERSIST_KV_NS_MAX + 2], key[SC_PERSIST_KV_KEY_MAX + 2];
    memset(ns, 'n', sizeof ns - 1);
    ns[sizeof ns - 1] = '\0';
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    char *text = malloc(SC_PERSIST_KV_TEXT_MAX + 2);
    assert_non_null(text);
    for (size_t i = 0; i < SC_PERSIST_KV_TEXT_MAX + 1; i++)
        text[i] = (char)('a' + i % 26);
    text[SC_PERSIST_KV_TEXT_MAX + 1] = '\0';
    /* one byte over each bound */
    assert_int_equal(sc_persist_kv_put(p, ns, "k", "t", 1, 0), -EINVAL);
    assert_non_null(strstr(sc_persist_last_error(p), "out of bounds"));
    assert_int_equal(sc_persist_kv_put(p, "n", key, "t", 1, 0), -EINVAL);
    assert_int_equal(sc_persist_kv_put(p, "n", "k", text, SC_PERSIST_KV_TEXT_MAX + 1, 0), -EINVAL);
    char *got = NULL;
    assert_int_equal(sc_persist_kv_get(p, ns, "k", &got), -EINVAL);
    assert_int_equal(sc_persist_kv_get(p, "n", key, &got), -EINVAL);
    assert_int_equal(sc_persist_kv_delete(p, ns, "k"), -EINVAL);
    size_t n = 0;
    assert_int_equal(sc_persist_kv_list(p, ns, kv_count, &n), -EINVAL);
    /* empty names, NULLs, a NUL inside the text, a negative expiry */
    assert_int_equal(sc_persist_kv_put(p, "", "k", "t", 1, 0), -EINVAL);
    assert_int_equal(sc_persist_kv_put(p, "n", "", "t", 1, 0), -EINVAL);
    assert_int_equal(sc_persist_kv_put(p, NULL, "k", "t", 1, 0), -EINVAL);
    assert_int_equal(sc_persist_kv_put(p, "n", NULL, "t", 1, 0), -EINVAL);
    assert_int_equal(sc_persist_kv_put(p, "n", "k", NULL, 1, 0), -EINVAL);
    assert_int_equal(sc_persist_kv_put(p, "n", "k", "a\0b", 3, 0), -EINVAL);
    assert_int_equal(sc_persist_kv_put(p, "n", "k", "t", 1, -5), -EINVAL);
    assert_int_equal(sc_persist_kv_get(p, "n", "k", NULL), -EINVAL);
    assert_int_equal(sc_persist_kv_list(p, "n", NULL, NULL), -EINVAL);
    assert_int_equal(sc_persist_kv_list(p, "", kv_count, &n), -EINVAL);
    assert_int_equal(n, 0);
    /* exactly at each bound */
    ns[SC_PERSIST_KV_NS_MAX] = '\0';
    key[SC_PERSIST_KV_KEY_MAX] = '\0';
    assert_int_equal(sc_persist_kv_put(p, ns, key, text, SC_PERSIST_KV_TEXT_MAX, 0), 0);
    assert_int_equal(sc_persist_kv_get(p, ns, key, &got), 0);
    assert_int_equal(strlen(got), SC_PERSIST_KV_TEXT_MAX);
    assert_memory_equal(got, text, SC_PERSIST_KV_TEXT_MAX);
    free(got);
    assert_int_equal(sc_persist_kv_list(p, ns, kv_count, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sc_persist_kv_delete(p, ns, key), 0);
    free(text);
}

static void test_kv_writer_ops(void **state)
{
    sc_persist *p = *state;
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {0};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    kv_put_s(p, "reg", "old", "to be deleted", 0);
    json_t *snap = json_pack("{s:s}", "state", "up");
    uint64_t ticket = 0, t1 = 0, t2 = 0;
    /* in ticket order, in one batch: the last write of a key wins */
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "x", "1", 1, 0, &t1), 0);
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "x", "2", 1, 0, &t2), 0);
    assert_int_equal(t2, t1 + 1);
    assert_int_equal(sc_persist_writer_kv_delete(w, "reg", "missing", NULL), 0); /* no error */
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "y", "3", 1, 0, NULL), 0);
    assert_int_equal(sc_persist_writer_kv_delete(w, "reg", "y", NULL), 0);
    assert_int_equal(sc_persist_writer_kv_delete(w, "reg", "old", NULL), 0);
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "z", "", 0, kv_now_us() + 3600 * 1000000LL, NULL), 0);
    /* a session and a key of the same name do not coalesce with each other */
    assert_int_equal(sc_persist_writer_save(w, "dup", snap, NULL, NULL, NULL), 0);
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "dup", "k", 1, 0, NULL), 0);
    assert_int_equal(sc_persist_writer_kv_delete(w, "reg", "dup", NULL), 0);
    sc_persist_text_op op = {.kind = SC_PERSIST_OP_KV_PUT,
                             .session_id = "text-op",
                             .text = "via submit_text",
                             .text_len = 15,
                             .kv_ns = "reg"};
    assert_int_equal(sc_persist_writer_submit_text(w, &op, &ticket), 0);
    /* bad KV ops are refused on submit */
    assert_int_equal(sc_persist_writer_kv_put(w, "", "k", "t", 1, 0, NULL), -EINVAL);
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "k", "a\0b", 3, 0, NULL), -EINVAL);
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "k", "t", SC_PERSIST_KV_TEXT_MAX + 1, 0, NULL), -EINVAL);
    assert_int_equal(sc_persist_writer_kv_delete(w, NULL, "k", NULL), -EINVAL);
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "k", "t", 1, -1, NULL), -EINVAL);
    char long_key[SC_PERSIST_KV_KEY_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    assert_int_equal(sc_persist_writer_kv_delete(w, "reg", long_key, NULL), -EINVAL);
    op.kv_ns = NULL;
    assert_int_equal(sc_persist_writer_submit_text(w, &op, NULL), -EINVAL);
    op.kind = (sc_persist_op_kind)99;
    op.kv_ns = "reg";
    assert_int_equal(sc_persist_writer_submit_text(w, &op, NULL), -EINVAL);
    sc_persist_op jop = {.kind = SC_PERSIST_OP_KV_PUT, .session_id = "k", .doc = snap};
    assert_int_equal(sc_persist_writer_submit(w, &jop, NULL), -EINVAL); /* submit_text only */
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 10000), 0);
    sc_persist_health h;
    sc_persist_writer_health(w, &h);
    assert_int_equal(h.durable_ticket, ticket);
    assert_int_equal(h.failed_batches, 0);
    sc_persist_writer_free(w);
    json_decref(snap);
    kv_seen s;
    const char *got = kv_list_str(p, "reg", &s), *want = "text-op=via submit_text@0;x=2@0;z=@";
    assert_int_equal(strncmp(got, want, strlen(want)), 0);
    assert_int_equal(s.n, 3);
    json_t *j = NULL;
    assert_int_equal(sc_persist_load(p, "dup", &j, NULL), 0);
    json_decref(j);
}

/* KV ops in none mode are accepted and dropped, like every other op. */
static void test_kv_writer_none_mode(void **state)
{
    sc_persist *p = *state;
    sc_persist_writer *w = NULL;
    sc_persist_writer_config cfg = {.durability = SC_PERSIST_NONE};
    assert_int_equal(sc_persist_writer_new(&w, p, &cfg), 0);
    uint64_t ticket = 0;
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "x", "1", 1, 0, &ticket), 0);
    assert_int_equal(sc_persist_writer_kv_put(w, "reg", "k", "a\0b", 3, 0, NULL), -EINVAL);
    assert_int_equal(sc_persist_writer_flush_wait(w, ticket, 1000), 0);
    sc_persist_writer_free(w);
    kv_expect(p, "reg", "x", NULL);
}

static void test_kv_wipe(void **state)
{
    sc_persist *p = *state;
    kv_put_s(p, "reg", "a", "1", 0);
    kv_put_s(p, "reg", "b", "2", kv_now_us() + 3600 * 1000000LL);
    kv_put_s(p, "other", "a", "3", 0);
    assert_int_equal(sc_persist_wipe(p), 0);
    kv_expect(p, "reg", "a", NULL);
    kv_expect(p, "reg", "b", NULL);
    kv_expect(p, "other", "a", NULL);
    kv_seen s;
    assert_string_equal(kv_list_str(p, "reg", &s), "");
    assert_string_equal(kv_list_str(p, "other", &s), "");
    kv_put_s(p, "reg", "a", "again", 0); /* usable after a wipe */
    kv_expect(p, "reg", "a", "again");
    int v = 0;
    assert_int_equal(sc_persist_schema_version(p, &v), 0);
    assert_int_equal(v, SC_PERSIST_SCHEMA_VERSION);
}

/* A store written by schema version 3 (before key-value entries) is upgraded on open, not
 * refused; its data stays. (test_sqlite.c also checks a real v3 SQLite file.) */
static void test_kv_old_schema_upgraded(void **state)
{
    sc_persist *p = *state;
    if (!kv_shared_store())
        skip();
    save_doc(p, "s1", "up", "n1");
    assert_int_equal(sc_persist_set_schema_version(p, 3), 0);
    sc_persist *q = NULL;
    char err[512] = "";
    assert_int_equal(sc_persist_open(&q, contract.url, NULL, err, sizeof err), 0);
    int v = 0;
    assert_int_equal(sc_persist_schema_version(q, &v), 0);
    assert_int_equal(v, SC_PERSIST_SCHEMA_VERSION);
    kv_put_s(q, "reg", "a", "1", 0);
    kv_expect(q, "reg", "a", "1");
    json_t *j = NULL;
    assert_int_equal(sc_persist_load(q, "s1", &j, NULL), 0);
    json_decref(j);
    sc_persist_close(q);
}

#define KV_CONTRACT_CASES                                                                                            \
    CONTRACT_CASE(test_kv_put_get_overwrite_delete), CONTRACT_CASE(test_kv_list_order_and_namespaces),               \
        CONTRACT_CASE(test_kv_expiry), CONTRACT_CASE(test_kv_expiry_real_clock), CONTRACT_CASE(test_kv_binary_safe), \
        CONTRACT_CASE(test_kv_limits), CONTRACT_CASE(test_kv_writer_ops), CONTRACT_CASE(test_kv_writer_none_mode),   \
        CONTRACT_CASE(test_kv_wipe), CONTRACT_CASE(test_kv_old_schema_upgraded)

#endif
