/* SPDX-License-Identifier: MIT */
/*
 * Text canonicalisation for comparisons. Strings of caseExact=false
 * attributes compare by their full Unicode case folding followed by NFC
 * (utf8proc does both in one pass), so "Straße" equals "STRASSE" and a
 * decomposed "É" equals the precomposed one. dateTimes compare by the
 * instant they name: every accepted xsd:dateTime is rewritten as UTC
 * with a fixed seven-digit fraction, a form that sorts as text exactly
 * as the instants do, so the store can index and order it directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "scimd/scim.h"
#include "fold.h"

char *
scim_fold(const char *s, size_t len)
{
    utf8proc_uint8_t *tmp = NULL;
    utf8proc_ssize_t n;
    char *out;

    if (s == NULL)
        return NULL;
    n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
                     &tmp, UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE
                           | UTF8PROC_STABLE);
    if (n < 0)
        return NULL;
    /* utf8proc allocates with malloc; the core hands out scim_malloc. */
    out = scim_strndup((const char *)tmp, (size_t)n);
    free(tmp);      /* checksrc: allow (utf8proc's buffer) */
    return out;
}

/* ---- dateTime --------------------------------------------------------- */

struct dt {
    int year, mon, day, hour, min, sec;
    long frac;               /* ten-millionths of a second */
    int offset;              /* minutes east of UTC */
};

/* Reads exactly n digits at *p. */
static int
digits(const char **p, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int
expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

static int
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
    static const int days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long
days_from_civil(int y, int m, int d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, struct dt *t)
{
    long era, doe, yoe, doy, mp, y;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    t->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    t->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    t->year = (int)(y + (t->mon <= 2));
}

static int
parse_date_time(const char **p, struct dt *t)
{
    if (digits(p, 4, &t->year) || expect(p, '-')
        || digits(p, 2, &t->mon) || expect(p, '-')
        || digits(p, 2, &t->day) || expect(p, 'T')
        || digits(p, 2, &t->hour) || expect(p, ':')
        || digits(p, 2, &t->min) || expect(p, ':')
        || digits(p, 2, &t->sec))
        return -1;
    if (t->year < 1 || t->mon < 1 || t->mon > 12 || t->day < 1
        || t->day > month_days(t->year, t->mon) || t->min > 59
        || t->sec > 59 || t->hour > 24)
        return -1;
    return 0;
}

/* Fraction: one or more digits; digits past the seventh are dropped. */
static int
parse_frac(const char **p, struct dt *t)
{
    int i;

    t->frac = 0;
    if (**p != '.')
        return 0;
    (*p)++;
    if (**p < '0' || **p > '9')
        return -1;
    for (i = 0; **p >= '0' && **p <= '9'; i++, (*p)++)
        if (i < 7)
            t->frac = t->frac * 10 + (**p - '0');
    for (; i < 7; i++)
        t->frac *= 10;
    return 0;
}

/*
 * Zone: "Z", "+hh:mm" or "-hh:mm" up to 14:00 (xsd). A value without a
 * zone is read as UTC.
 */
static int
parse_zone(const char **p, struct dt *t)
{
    int sign, h, m;

    t->offset = 0;
    if (**p == '\0')
        return 0;
    if (**p == 'Z')
        return (*p)[1] == '\0' ? ((*p)++, 0) : -1;
    if (**p != '+' && **p != '-')
        return -1;
    sign = **p == '-' ? -1 : 1;
    (*p)++;
    if (digits(p, 2, &h) || expect(p, ':') || digits(p, 2, &m)
        || **p != '\0' || m > 59 || h > 14 || (h == 14 && m != 0))
        return -1;
    t->offset = sign * (h * 60 + m);
    return 0;
}

int
scim_datetime_canon(const char *s, char out[SCIM_DATETIME_LEN])
{
    struct dt t;
    long long secs;
    long days;

    if (s == NULL || parse_date_time(&s, &t) || parse_frac(&s, &t)
        || parse_zone(&s, &t))
        return -1;
    /* xsd allows 24:00:00 exactly, meaning the start of the next day. */
    if (t.hour == 24 && (t.min != 0 || t.sec != 0 || t.frac != 0))
        return -1;
    secs = (long long)days_from_civil(t.year, t.mon, t.day) * 86400
           + t.hour * 3600 + t.min * 60 + t.sec - t.offset * 60LL;
    days = (long)(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400);
    secs -= (long long)days * 86400;
    civil_from_days(days, &t);
    if (t.year < 1 || t.year > 9999)
        return -1;
    snprintf(out, SCIM_DATETIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%07ldZ",
             t.year, t.mon, t.day, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60), t.frac);
    return 0;
}
