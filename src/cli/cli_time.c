/* SPDX-License-Identifier: MIT */
/*
 * Times and durations typed by support staff on the scimctl command
 * line: RFC 3339 stamps copied from a log or a ticket, the shorter
 * "YYYY-MM-DD HH:MM" and "YYYY-MM-DD" (always UTC, never the local zone,
 * so two people reading the same ticket get the same answer), and
 * relative times ("2h" = two hours ago). Everything is Unix milliseconds.
 * The parser is strict: a time that does not parse is refused rather than
 * guessed, because a wrong window silently hides the exchange sought.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "explain.h"

/* Upper bound for durations: 100 years keeps every sum inside int64. */
#define MAX_DURATION_MS (100LL * 366 * 86400 * 1000)

/* Reads exactly n digits at *p into *out and advances *p. */
static int
digits(const char **p, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                  30, 31 };

    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* "YYYY-MM-DD" at *p, checked against the calendar. */
static int
parse_date(const char **p, struct tm *tm)
{
    int y, m, d;

    if (digits(p, 4, &y) != 0 || *(*p)++ != '-' || digits(p, 2, &m) != 0 ||
        *(*p)++ != '-' || digits(p, 2, &d) != 0)
        return -1;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    tm->tm_year = y - 1900;
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    return 0;
}

/*
 * "HH:MM" with optional ":SS" and, after seconds, an optional fraction
 * (any number of digits; milliseconds are kept). A leap second (60) is
 * accepted, as RFC 3339 allows, and lands on the next second.
 */
static int
parse_clock(const char **p, struct tm *tm, int *ms)
{
    int h, mi, s = 0, scale = 100;

    if (digits(p, 2, &h) != 0 || *(*p)++ != ':' || digits(p, 2, &mi) != 0)
        return -1;
    if (**p == ':') {
        (*p)++;
        if (digits(p, 2, &s) != 0)
            return -1;
        if (**p == '.' || **p == ',') {
            (*p)++;
            if (!isdigit((unsigned char)**p))
                return -1;
            for (; isdigit((unsigned char)**p); (*p)++, scale /= 10)
                *ms += (**p - '0') * scale;
        }
    }
    if (h > 23 || mi > 59 || s > 60)
        return -1;
    tm->tm_hour = h;
    tm->tm_min = mi;
    tm->tm_sec = s;
    return 0;
}

/* "Z", "+HH:MM" or "-HH:MM" (also "+HHMM"); *off is seconds east. */
static int
parse_offset(const char **p, long *off)
{
    int sign, h, m;

    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *off = 0;
        return 0;
    }
    if (**p != '+' && **p != '-')
        return -1;
    sign = *(*p)++ == '-' ? -1 : 1;
    if (digits(p, 2, &h) != 0)
        return -1;
    if (**p == ':')
        (*p)++;
    if (digits(p, 2, &m) != 0 || h > 23 || m > 59)
        return -1;
    *off = sign * (h * 3600L + m * 60L);
    return 0;
}

/*
 * The absolute forms: "T" (RFC 3339) or a space between date and clock.
 * A zone is optional in both; without one the time is UTC, never the
 * local zone of whoever runs scimctl.
 */
static int
parse_absolute(const char *text, int64_t *out)
{
    struct tm tm = { 0 };
    const char *p = text;
    int ms = 0;
    long off = 0;
    time_t t;

    if (parse_date(&p, &tm) != 0)
        return -1;
    if (*p != '\0') {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return -1;
        p++;
        if (parse_clock(&p, &tm, &ms) != 0)
            return -1;
        if (*p != '\0' && parse_offset(&p, &off) != 0)
            return -1;
    }
    if (*p != '\0')
        return -1;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = ((int64_t)t - off) * 1000 + ms;
    return 0;
}

int
cli_duration(const char *text, int64_t *ms)
{
    const char *p = text;
    int64_t total = 0, n, unit;

    if (text == NULL || *text == '\0')
        return -1;
    /* One or more number+unit pairs: "90s", "1h30m", "2d". */
    while (*p != '\0') {
        if (!isdigit((unsigned char)*p))
            return -1;
        for (n = 0; isdigit((unsigned char)*p); p++) {
            n = n * 10 + (*p - '0');
            if (n > MAX_DURATION_MS / 1000)
                return -1;
        }
        switch (*p++) {
        case 's': unit = 1000; break;
        case 'm': unit = 60 * 1000; break;
        case 'h': unit = 3600 * 1000; break;
        case 'd': unit = 86400 * 1000; break;
        case 'w': unit = 7LL * 86400 * 1000; break;
        default: return -1;
        }
        total += n * unit;
        if (total > MAX_DURATION_MS)
            return -1;
    }
    *ms = total;
    return 0;
}

int64_t
cli_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cli_time(const char *text, int64_t *ms)
{
    int64_t ago;

    if (text == NULL)
        return -1;
    if (strcmp(text, "now") == 0) {
        *ms = cli_now_ms();
        return 0;
    }
    /* Four leading digits and a dash can only be a date. */
    if (strlen(text) >= 5 && text[4] == '-')
        return parse_absolute(text, ms);
    if (cli_duration(text, &ago) != 0)
        return -1;
    *ms = cli_now_ms() - ago;
    return 0;
}

void
cli_time_format(int64_t ms, char out[CLI_TIME_LEN])
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    struct tm tm;
    size_t n;

    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, CLI_TIME_LEN, "(time %lld)", (long long)ms);
        return;
    }
    n = strftime(out, CLI_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, CLI_TIME_LEN - n, ".%03dZ", frac);
}
