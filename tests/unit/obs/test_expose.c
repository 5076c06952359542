/* Tests for obs exposition: render Prometheus 0.0.4 and OpenMetrics 1.0.0 text and read it
 * back with a strict parser; histogram math, escaping, child cap, name rules.
 * Run with --dump-prom or --dump-om to print a sample exposition (tests/cli/test_promtool.sh). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obs/obs_int.h"
#include "session_core/obs.h"

/* ---- a strict parser of the text formats ------------------------------------------------ */

#define MAXS 4096
typedef struct sample {
    char name[128];
    char labels[512]; /* canonical: a="x",b="y" (unescaped values) */
    double value;
} sample;

typedef struct parsed {
    sample s[MAXS];
    int n;
    char err[256];
} parsed;

static bool name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

static int pfail(parsed *p, int line, const char *msg)
{
    snprintf(p->err, sizeof p->err, "line %d: %s", line, msg);
    return -1;
}

static int parse_value(const char *s, double *v)
{
    if (strcmp(s, "+Inf") == 0) {
        *v = INFINITY;
        return 0;
    }
    if (strcmp(s, "-Inf") == 0) {
        *v = -INFINITY;
        return 0;
    }
    if (strcmp(s, "NaN") == 0) {
        *v = NAN;
        return 0;
    }
    char *end;
    *v = strtod(s, &end);
    return (*end || end == s || strpbrk(s, "iInN")) ? -1 : 0;
}

/* Parse text; om = OpenMetrics rules. Checks structure, TYPE before samples, histogram
 * cumulativity, +Inf == _count, counter suffix rules. */
static int parse_text(const char *text, bool om, parsed *p)
{
    memset(p, 0, sizeof *p);
    char fam[128] = "", famtype[32] = "";
    char *copy = strdup(text), *save = NULL;
    int ln = 0;
    bool eof = false;
    double last_bucket = -1, last_le = -INFINITY;
    char last_bucket_labels[512] = "";
    size_t tl = strlen(text);
    if (tl == 0 || text[tl - 1] != '\n') {
        free(copy);
        return pfail(p, 0, "no final newline");
    }
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        ln++;
        if (eof) {
            free(copy);
            return pfail(p, ln, "text after # EOF");
        }
        if (line[0] == '#') {
            if (strcmp(line, "# EOF") == 0) {
                eof = true;
                continue;
            }
            char kw[8], name[128];
            int off = 0;
            if (sscanf(line, "# %7s %127s %n", kw, name, &off) < 2) {
                free(copy);
                return pfail(p, ln, "bad comment");
            }
            for (int i = 0; name[i]; i++)
                if (!name_char(name[i], i == 0)) {
                    free(copy);
                    return pfail(p, ln, "bad family name");
                }
            if (strcmp(kw, "TYPE") == 0) {
                const char *t = line + off;
                const char *ok[] = {"counter", "gauge", "histogram", "summary", "untyped", "info", "unknown"};
                bool good = false;
                for (int i = 0; i < 7; i++)
                    good |= strcmp(t, ok[i]) == 0;
                if (!good || (!om && (strcmp(t, "info") == 0))) {
                    free(copy);
                    return pfail(p, ln, "bad type");
                }
                if (!om && strcmp(t, "counter") == 0 && strlen(name) > 6 &&
                    strcmp(name + strlen(name) - 6, "_total") != 0) {
                    free(copy);
                    return pfail(p, ln, "counter without _total");
                }
                if (om && strcmp(t, "counter") == 0 && strlen(name) > 6 &&
                    strcmp(name + strlen(name) - 6, "_total") == 0) {
                    free(copy);
                    return pfail(p, ln, "OpenMetrics family named _total");
                }
                snprintf(fam, sizeof fam, "%s", name);
                snprintf(famtype, sizeof famtype, "%s", t);
                last_bucket = -1;
                last_le = -INFINITY;
            } else if (strcmp(kw, "HELP") == 0) {
                for (const char *q = line + off; *q; q++)
                    if (*q == '\\' && !(q[1] == '\\' || q[1] == 'n' || (om && q[1] == '"'))) {
                        free(copy);
                        return pfail(p, ln, "bad escape in HELP");
                    } else if (*q == '\\')
                        q++;
            } else {
                free(copy);
                return pfail(p, ln, "unknown comment keyword");
            }
            continue;
        }
        if (p->n == MAXS) {
            free(copy);
            return pfail(p, ln, "too many samples");
        }
        sample *s = &p->s[p->n];
        const char *q = line;
        int i = 0;
        while (name_char(*q, i == 0) && i < 127)
            s->name[i++] = *q++;
        if (!i) {
            free(copy);
            return pfail(p, ln, "no metric name");
        }
        size_t lo = 0;
        if (*q == '{') {
            q++;
            while (*q != '}') {
                int j = 0;
                char lname[64];
                while (name_char(*q, j == 0) && *q != ':' && j < 63)
                    lname[j++] = *q++;
                lname[j] = 0;
                if (!j || *q++ != '=' || *q++ != '"') {
                    free(copy);
                    return pfail(p, ln, "bad label");
                }
                lo += (size_t)snprintf(s->labels + lo, sizeof s->labels - lo, "%s%s=\"", lo ? "," : "", lname);
                while (*q != '"') {
                    if (!*q) {
                        free(copy);
                        return pfail(p, ln, "unterminated label value");
                    }
                    char c = *q++;
                    if (c == '\\') {
                        c = *q++;
                        if (c == 'n')
                            c = '\n';
                        else if (c != '\\' && c != '"') {
                            free(copy);
                            return pfail(p, ln, "bad escape in label");
                        }
                    }
                    if (lo + 2 < sizeof s->labels)
                        s->labels[lo++] = c;
                }
                q++;
                lo += (size_t)snprintf(s->labels + lo, sizeof s->labels - lo, "\"");
                if (*q == ',')
                    q++;
                else if (*q != '}') {
                    free(copy);
                    return pfail(p, ln, "expected , or }");
                }
            }
            q++;
        }
        if (*q++ != ' ') {
            free(copy);
            return pfail(p, ln, "expected one space");
        }
        if (parse_value(q, &s->value) != 0) {
            free(copy);
            return pfail(p, ln, "bad value");
        }
        /* the sample must belong to the current family */
        size_t fl = strlen(fam);
        if (!fl || strncmp(s->name, fam, fl) != 0) {
            free(copy);
            return pfail(p, ln, "sample outside its family");
        }
        const char *suffix = s->name + fl;
        if (strcmp(famtype, "histogram") == 0) {
            if (strcmp(suffix, "_bucket") == 0) {
                const char *le = strncmp(s->labels, "le=\"", 4) == 0 ? s->labels : strstr(s->labels, ",le=\"");
                if (le && *le == ',')
                    le++;
                if (!le) {
                    free(copy);
                    return pfail(p, ln, "bucket without le");
                }
                double lev;
                char lebuf[64];
                sscanf(le + 4, "%63[^\"]", lebuf);
                if (parse_value(lebuf, &lev) != 0) {
                    free(copy);
                    return pfail(p, ln, "bad le");
                }
                if (om && !strpbrk(lebuf, ".eIN")) {
                    free(copy);
                    return pfail(p, ln, "OpenMetrics le not a float");
                }
                char other[512];
                snprintf(other, sizeof other, "%.*s", (int)(le - s->labels), s->labels);
                if (strcmp(other, last_bucket_labels) != 0) {
                    last_bucket = -1;
                    last_le = -INFINITY;
                    snprintf(last_bucket_labels, sizeof last_bucket_labels, "%s", other);
                }
                if (!(lev > last_le)) {
                    free(copy);
                    return pfail(p, ln, "le not ascending");
                }
                if (s->value < last_bucket) {
                    free(copy);
                    return pfail(p, ln, "buckets not cumulative");
                }
                last_le = lev;
                last_bucket = s->value;
            } else if (strcmp(suffix, "_count") == 0) {
                if (s->value != last_bucket || !isinf(last_le)) {
                    free(copy);
                    return pfail(p, ln, "_count != +Inf bucket");
                }
                last_bucket = -1;
                last_le = -INFINITY;
                last_bucket_labels[0] = 0;
            } else if (strcmp(suffix, "_sum") != 0) {
                free(copy);
                return pfail(p, ln, "bad histogram suffix");
            }
        } else if (strcmp(famtype, "counter") == 0) {
            if (strcmp(suffix, om ? "_total" : "") != 0) {
                free(copy);
                return pfail(p, ln, "bad counter sample name");
            }
            if (s->value < 0) {
                free(copy);
                return pfail(p, ln, "negative counter");
            }
        } else if (strcmp(famtype, "info") == 0) {
            if (strcmp(suffix, "_info") != 0 || s->value != 1) {
                free(copy);
                return pfail(p, ln, "bad info sample");
            }
        } else if (*suffix) {
            free(copy);
            return pfail(p, ln, "suffix on gauge");
        }
        p->n++;
    }
    free(copy);
    if (om && !eof)
        return pfail(p, ln, "missing # EOF");
    if (!om && eof)
        return pfail(p, ln, "# EOF in Prometheus text");
    return p->n;
}

static double get(const parsed *p, const char *name, const char *labels)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->s[i].name, name) == 0 && strcmp(p->s[i].labels, labels) == 0)
            return p->s[i].value;
    return -12345;
}

/* ---- a registry with one of everything --------------------------------------------------- */

static sc_obs_registry *sample_registry(void)
{
    sc_obs_registry *r = NULL;
    assert_int_equal(sc_obs_registry_new(&r), 0);
    sc_obs_std_metrics m;
    assert_int_equal(sc_obs_std_metrics_new(r, &m), 0);
    assert_int_equal(sc_obs_process_register(r, sc_clock_system()), 0);
    sc_obs_counter_add(sc_obs_counter_with(m.sessions_ended, "uac", "normal"), 7);
    sc_obs_counter_inc(sc_obs_counter_with(m.transitions, "Dialog200OK", "ok"));
    sc_obs_counter_inc(sc_obs_counter_with(m.sip_messages, "in", "INVITE", "request"));
    sc_obs_gauge_set(sc_obs_gauge_with(m.sessions_active, "Talking", "uas"), 3);
    sc_obs_gauge_set(sc_obs_gauge_with(m.sessions_active, "we\"ird\\st\nate", "uac"), 1);
    sc_obs_histogram *h = sc_obs_histogram_with(m.session_duration, "uac");
    sc_obs_histogram_observe(h, 0.5);
    sc_obs_histogram_observe(h, 3);
    sc_obs_histogram_observe(h, 1000);
    sc_obs_histogram_observe(sc_obs_histogram_with(m.transition_duration), 0.0004);
    const char *ver[] = {"v3"};
    assert_int_equal(sc_obs_info_set(m.table_version, ver), 0);
    return r;
}

static void test_prometheus_text_parses_back(void **state)
{
    (void)state;
    sc_obs_registry *r = sample_registry();
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(sc_obs_render(r, SC_OBS_PROMETHEUS, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    static parsed p;
    int n = parse_text(text, false, &p);
    if (n < 0)
        fail_msg("%s\n%s", p.err, text);
    assert_true(get(&p, "sessioncore_sessions_ended_total", "role=\"uac\",outcome=\"normal\"") == 7);
    assert_true(get(&p, "sessioncore_sessions_active", "state=\"Talking\",role=\"uas\"") == 3);
    assert_true(get(&p, "sessioncore_sessions_active", "state=\"we\"ird\\st\nate\",role=\"uac\"") == 1);
    assert_true(get(&p, "sessioncore_table_version_info", "version=\"v3\"") == 1);
    assert_true(get(&p, "sessioncore_transition_duration_seconds_count", "") == 1);
    assert_true(get(&p, "process_open_fds", "") > 0);
    assert_true(get(&p, "process_resident_memory_bytes", "") > 0);
    assert_non_null(strstr(text, "# TYPE sessioncore_sessions_ended_total counter\n"));
    assert_non_null(strstr(text, "state=\"we\\\"ird\\\\st\\nate\""));
    free(text);
    sc_obs_registry_free(r);
}

static void test_openmetrics_text_parses_back(void **state)
{
    (void)state;
    sc_obs_registry *r = sample_registry();
    char *text = NULL;
    assert_int_equal(sc_obs_render(r, SC_OBS_OPENMETRICS, &text, NULL), 0);
    static parsed p;
    int n = parse_text(text, true, &p);
    if (n < 0)
        fail_msg("%s\n%s", p.err, text);
    assert_non_null(strstr(text, "# TYPE sessioncore_sessions_ended counter\n"));
    assert_non_null(strstr(text, "# TYPE sessioncore_table_version info\n"));
    assert_true(get(&p, "sessioncore_sessions_ended_total", "role=\"uac\",outcome=\"normal\"") == 7);
    assert_true(get(&p, "sessioncore_session_duration_seconds_bucket", "role=\"uac\",le=\"1.0\"") == 1);
    size_t len = strlen(text);
    assert_string_equal(text + len - 6, "# EOF\n");
    free(text);
    sc_obs_registry_free(r);
}

static void test_histogram_is_cumulative(void **state)
{
    (void)state;
    sc_obs_registry *r = NULL;
    assert_int_equal(sc_obs_registry_new(&r), 0);
    static const double b[] = {1, 2, 5};
    sc_obs_desc d = {
        .type = SC_OBS_HISTOGRAM, .name = "sessioncore_x_seconds", .help = "x", .buckets = b, .nbuckets = 3};
    sc_obs_metric *m = NULL;
    assert_int_equal(sc_obs_register(r, &d, &m), 0);
    sc_obs_histogram *h = sc_obs_histogram_with(m);
    double obs[] = {0.5, 1, 1.5, 2, 4.9, 5, 6, 100};
    for (size_t i = 0; i < 8; i++)
        sc_obs_histogram_observe(h, obs[i]);
    char *text = NULL;
    assert_int_equal(sc_obs_render(r, SC_OBS_PROMETHEUS, &text, NULL), 0);
    static parsed p;
    if (parse_text(text, false, &p) < 0)
        fail_msg("%s\n%s", p.err, text);
    assert_true(get(&p, "sessioncore_x_seconds_bucket", "le=\"1\"") == 2); /* 0.5, 1 */
    assert_true(get(&p, "sessioncore_x_seconds_bucket", "le=\"2\"") == 4); /* +1.5, 2 */
    assert_true(get(&p, "sessioncore_x_seconds_bucket", "le=\"5\"") == 6); /* +4.9, 5 */
    assert_true(get(&p, "sessioncore_x_seconds_bucket", "le=\"+Inf\"") == 8);
    assert_true(get(&p, "sessioncore_x_seconds_count", "") == 8);
    assert_true(fabs(get(&p, "sessioncore_x_seconds_sum", "") - 120.9) < 1e-9);
    free(text);
    sc_obs_registry_free(r);
}

static void test_child_cap_overflows_to_other(void **state)
{
    (void)state;
    sc_obs_registry *r = NULL;
    assert_int_equal(sc_obs_registry_new(&r), 0);
    sc_obs_desc d = {
        .type = SC_OBS_COUNTER, .name = "sessioncore_y_total", .help = "y", .labels = {"who"}, .max_children = 3};
    sc_obs_metric *m = NULL;
    assert_int_equal(sc_obs_register(r, &d, &m), 0);
    sc_obs_counter *a = sc_obs_counter_with(m, "a");
    assert_ptr_equal(sc_obs_counter_with(m, "a"), a); /* same child on a second lookup */
    sc_obs_counter_with(m, "b");
    sc_obs_counter_with(m, "c");
    sc_obs_counter *d1 = sc_obs_counter_with(m, "d");
    sc_obs_counter *e1 = sc_obs_counter_with(m, "e");
    assert_ptr_equal(d1, e1);
    sc_obs_counter_inc(d1);
    sc_obs_counter_inc(e1);
    assert_int_equal(sc_obs_metric_children(m), 4);
    assert_int_equal(sc_obs_metric_overflows(m), 2);
    assert_null(sc_obs_gauge_with(m, "a")); /* type mismatch */
    char *text = NULL;
    assert_int_equal(sc_obs_render(r, SC_OBS_PROMETHEUS, &text, NULL), 0);
    assert_non_null(strstr(text, "sessioncore_y_total{who=\"other\"} 2\n"));
    free(text);
    sc_obs_registry_free(r);
}

static void test_name_rules(void **state)
{
    (void)state;
    assert_int_equal(sc_obs_name_check(SC_OBS_COUNTER, "sessioncore_calls_total", false), 0);
    assert_int_equal(sc_obs_name_check(SC_OBS_COUNTER, "sessioncore_calls", false), -EINVAL);
    assert_int_equal(sc_obs_name_check(SC_OBS_GAUGE, "calls_active", false), -EINVAL);
    assert_int_equal(sc_obs_name_check(SC_OBS_GAUGE, "process_open_fds", true), 0);
    assert_int_equal(sc_obs_name_check(SC_OBS_HISTOGRAM, "sessioncore_setup_milliseconds", false), -EINVAL);
    assert_int_equal(sc_obs_name_check(SC_OBS_GAUGE, "sessioncore_x_total", false), -EINVAL);
    assert_int_equal(sc_obs_name_check(SC_OBS_GAUGE, "sessioncore_bad-name", false), -EINVAL);
    assert_int_equal(sc_obs_name_check(SC_OBS_INFO, "sessioncore_build_info", false), 0);
    sc_obs_registry *r = NULL;
    assert_int_equal(sc_obs_registry_new(&r), 0);
    sc_obs_desc d = {.type = SC_OBS_GAUGE, .name = "sessioncore_z", .help = "z", .labels = {"__x"}};
    assert_int_equal(sc_obs_register(r, &d, NULL), -EINVAL);
    d.labels[0] = "ok";
    assert_int_equal(sc_obs_register(r, &d, NULL), 0);
    assert_int_equal(sc_obs_register(r, &d, NULL), -EEXIST);
    sc_obs_desc h = {.type = SC_OBS_HISTOGRAM, .name = "sessioncore_h_seconds", .help = "h", .labels = {"le"}};
    assert_int_equal(sc_obs_register(r, &h, NULL), -EINVAL);
    sc_obs_registry_free(r);
}

/* Sample values: whole numbers (written without printf) match "%.0f"; others round-trip. */
static void test_number_format(void **state)
{
    (void)state;
    const double whole[] = {
        0.0, -0.0, 1, -1, 9, 10, 99, 100, 123456789, -987654321, 9007199254740991.0, -9007199254740991.0, 4294967296.0};
    char got[64], want[64];
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        sc_obs__fmt_double(got, sizeof got, whole[i]);
        snprintf(want, sizeof want, "%.0f", whole[i] == 0 ? 0.0 : whole[i]);
        assert_string_equal(got, want);
    }
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 10000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v = (double)(int64_t)(x % 9007199254740991ull) * (x & 1 ? -1 : 1);
        sc_obs__fmt_double(got, sizeof got, v);
        snprintf(want, sizeof want, "%.0f", v == 0 ? 0.0 : v);
        assert_string_equal(got, want);
        double f = v / 1024.0 + 0.5;
        sc_obs__fmt_double(got, sizeof got, f);
        assert_true(strtod(got, NULL) == f);
    }
    sc_obs__fmt_double(got, sizeof got, 1e300);
    assert_true(strtod(got, NULL) == 1e300);
    sc_obs__fmt_double(got, sizeof got, NAN);
    assert_string_equal(got, "NaN");
    sc_obs__fmt_double(got, sizeof got, -INFINITY);
    assert_string_equal(got, "-Inf");
}

static void test_accept_header_picks_format(void **state)
{
    (void)state;
    assert_int_equal(sc_obs_format_from_accept(NULL), SC_OBS_PROMETHEUS);
    assert_int_equal(sc_obs_format_from_accept("text/plain"), SC_OBS_PROMETHEUS);
    assert_int_equal(sc_obs_format_from_accept("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
                     SC_OBS_OPENMETRICS);
    assert_int_equal(sc_obs_format_from_accept("application/openmetrics-text;q=0,text/plain"), SC_OBS_PROMETHEUS);
    assert_non_null(strstr(sc_obs_content_type(SC_OBS_PROMETHEUS), "0.0.4"));
}

static int dump(const char *mode)
{
    sc_obs_registry *r = sample_registry();
    char *text = NULL;
    if (sc_obs_render(r, strcmp(mode, "--dump-om") == 0 ? SC_OBS_OPENMETRICS : SC_OBS_PROMETHEUS, &text, NULL) != 0)
        return 1;
    fputs(text, stdout);
    free(text);
    sc_obs_registry_free(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return dump(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prometheus_text_parses_back),
        cmocka_unit_test(test_openmetrics_text_parses_back),
        cmocka_unit_test(test_histogram_is_cumulative),
        cmocka_unit_test(test_child_cap_overflows_to_other),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_accept_header_picks_format),
        cmocka_unit_test(test_number_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
