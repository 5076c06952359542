/* time_text: wall-clock microseconds as ISO 8601 / RFC 3339 UTC text, and back. */
#include "session_core/base.h"

#include <errno.h>
#include <string.h>

#define US_PER_SEC INT64_C(1000000)
#define SECS_PER_DAY INT64_C(86400)

/* Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's
 * civil_from_days, exact for every day count an int64_t of microseconds reaches). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Day count since 1970-01-01 of a date (the inverse of civil_from_days). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

/* v as exactly width digits (leading zeros; v < 10^width). */
static char *put_digits(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* A year: at least 4 digits, with a '-' before the epoch's year 0. */
static char *put_year(char *p, int64_t y)
{
    uint64_t a = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
    int width = 4;
    for (uint64_t v = a / 10000; v; v /= 10)
        width++;
    if (y < 0)
        *p++ = '-';
    return put_digits(p, a, width);
}

size_t sc_time_format_iso8601(char *buf, size_t cap, int64_t wall_us, int digits)
{
    if (cap)
        buf[0] = '\0';
    if (digits < 0 || digits > 6)
        return 0;
    int64_t frac = wall_us % US_PER_SEC, secs = wall_us / US_PER_SEC;
    if (frac < 0) { /* floor, so that times before the epoch count back from a whole second */
        frac += US_PER_SEC;
        secs--;
    }
    int64_t days = secs / SECS_PER_DAY, sod = secs % SECS_PER_DAY;
    if (sod < 0) {
        sod += SECS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char tmp[SC_TIME_ISO8601_MAX], *p = put_year(tmp, y);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, (uint64_t)sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, (uint64_t)sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, (uint64_t)sod % 60, 2);
    if (digits > 0) {
        uint64_t f = (uint64_t)frac;
        for (int i = digits; i < 6; i++)
            f /= 10; /* truncated, never rounded up into the next second */
        *p++ = '.';
        p = put_digits(p, f, digits);
    }
    *p++ = 'Z';
    size_t n = (size_t)(p - tmp);
    if (n >= cap)
        return 0;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

/* The n decimal digits at s as a number, or -1 when they are not n digits. */
static int read_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static unsigned days_in_month(int y, int m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* The microseconds of an optional ".fraction" at *pp (digits past the sixth are dropped);
 * -1 for a '.' with no digit. Advances *pp past it. */
static int64_t read_fraction(const char **pp)
{
    const char *p = *pp;
    if (*p != '.')
        return 0;
    int64_t us = 0;
    int n = 0;
    for (p++; *p >= '0' && *p <= '9'; p++, n++)
        if (n < 6)
            us = us * 10 + (*p - '0');
    if (n == 0)
        return -1;
    for (; n < 6; n++)
        us *= 10;
    *pp = p;
    return us;
}

int sc_time_parse_iso8601(const char *text, int64_t *wall_us)
{
    if (!text || !wall_us || strlen(text) < 19)
        return -EINVAL;
    const char *t = text;
    int y = read_digits(t, 4), mo = read_digits(t + 5, 2), d = read_digits(t + 8, 2);
    int h = read_digits(t + 11, 2), mi = read_digits(t + 14, 2), s = read_digits(t + 17, 2);
    if (t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || y < 0 || mo < 1 || mo > 12 ||
        d < 1 || (unsigned)d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return -EINVAL;
    const char *p = t + 19;
    int64_t us = read_fraction(&p);
    if (us < 0)
        return -EINVAL;
    if (*p == 'Z')
        p++;
    if (*p)
        return -EINVAL;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *wall_us = (days * SECS_PER_DAY + h * 3600 + mi * 60 + s) * US_PER_SEC + us;
    return 0;
}
