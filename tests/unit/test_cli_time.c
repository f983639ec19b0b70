/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of src/cli/cli_time.c: the times and durations support
 * staff type into scimctl log and diagnose. The CLI is not a library, so
 * the file under test is compiled into this program directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/cli/cli_time.c"

/* 2024-05-01T12:34:56Z */
#define T0 1714566896000LL

static void
check_time(const char *text, int64_t want)
{
    int64_t got = -1;

    assert_int_equal(cli_time(text, &got), 0);
    assert_int_equal(got, want);
}

static void
check_bad_time(const char *text)
{
    int64_t got = 42;

    assert_int_equal(cli_time(text, &got), -1);
    assert_int_equal(got, 42);
}

static void
test_rfc3339(void **state)
{
    (void)state;
    check_time("2024-05-01T12:34:56Z", T0);
    check_time("2024-05-01t12:34:56z", T0);
    check_time("2024-05-01T12:34:56.5Z", T0 + 500);
    check_time("2024-05-01T12:34:56.123Z", T0 + 123);
    check_time("2024-05-01T12:34:56.123999Z", T0 + 123);
    check_time("2024-05-01T14:34:56+02:00", T0);
    check_time("2024-05-01T14:34:56+0200", T0);
    check_time("2024-05-01T07:04:56-05:30", T0);
    check_time("2024-05-01T12:34:56.250+00:00", T0 + 250);
    /* Across a day boundary, and a leap second lands on the next. */
    check_time("2024-05-02T00:34:56+12:00", T0);
    check_time("2016-12-31T23:59:60Z", 1483228800000LL);
}

static void
test_short_forms(void **state)
{
    (void)state;
    check_time("2024-05-01 12:34", 1714566840000LL);
    check_time("2024-05-01 12:34:56", T0);
    check_time("2024-05-01T12:34:56", T0);
    check_time("2024-05-01", 1714521600000LL);
    check_time("2024-02-29", 1709164800000LL);
}

static void
test_bad_times(void **state)
{
    (void)state;
    check_bad_time(NULL);
    check_bad_time("");
    check_bad_time("2023-02-29");
    check_bad_time("2024-13-01");
    check_bad_time("2024-04-31");
    check_bad_time("2024-05-01T24:00:00Z");
    check_bad_time("2024-05-01T12:60:00Z");
    check_bad_time("2024-05-01T12:34:61Z");
    check_bad_time("2024-5-1");
    check_bad_time("2024-05-01T12:34:56.Z");
    check_bad_time("2024-05-01T12:34:56+2");
    check_bad_time("2024-05-01T12:34:56Zjunk");
    check_bad_time("2024-05-01X12:34");
    check_bad_time("1969-12-31");
    check_bad_time("yesterday");
    check_bad_time("2 h");
    check_bad_time("-2h");
}

static void
check_ago(const char *text, int64_t ago)
{
    int64_t before = cli_now_ms(), got, after;

    assert_int_equal(cli_time(text, &got), 0);
    after = cli_now_ms();
    assert_true(got >= before - ago);
    assert_true(got <= after - ago);
}

static void
test_relative(void **state)
{
    (void)state;
    check_ago("2h", 2 * 3600 * 1000LL);
    check_ago("30m", 30 * 60 * 1000LL);
    check_ago("45s", 45 * 1000LL);
    check_ago("3d", 3 * 86400 * 1000LL);
    check_ago("1h30m", 90 * 60 * 1000LL);
    check_ago("now", 0);
}

static void
test_duration(void **state)
{
    int64_t ms = 7;

    (void)state;
    assert_int_equal(cli_duration("30m", &ms), 0);
    assert_int_equal(ms, 1800000);
    assert_int_equal(cli_duration("90s", &ms), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(cli_duration("2h", &ms), 0);
    assert_int_equal(ms, 7200000);
    assert_int_equal(cli_duration("1d", &ms), 0);
    assert_int_equal(ms, 86400000);
    assert_int_equal(cli_duration("1w", &ms), 0);
    assert_int_equal(ms, 604800000);
    assert_int_equal(cli_duration("1h30m15s", &ms), 0);
    assert_int_equal(ms, 5415000);
    assert_int_equal(cli_duration("0s", &ms), 0);
    assert_int_equal(ms, 0);
    ms = 7;
    assert_int_equal(cli_duration("", &ms), -1);
    assert_int_equal(cli_duration(NULL, &ms), -1);
    assert_int_equal(cli_duration("30", &ms), -1);
    assert_int_equal(cli_duration("m", &ms), -1);
    assert_int_equal(cli_duration("5x", &ms), -1);
    assert_int_equal(cli_duration("1h 5m", &ms), -1);
    assert_int_equal(cli_duration("99999999999999999999d", &ms), -1);
    assert_int_equal(cli_duration("99999d", &ms), -1);
    assert_int_equal(ms, 7);
}

static void
test_format(void **state)
{
    char buf[CLI_TIME_LEN];
    int64_t back;

    (void)state;
    cli_time_format(0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    cli_time_format(T0 + 123, buf);
    assert_string_equal(buf, "2024-05-01T12:34:56.123Z");
    cli_time_format(T0 + 7, buf);
    assert_string_equal(buf, "2024-05-01T12:34:56.007Z");
    /* What log prints, diagnose --at reads back. */
    assert_int_equal(cli_time(buf, &back), 0);
    assert_int_equal(back, T0 + 7);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_short_forms),
        cmocka_unit_test(test_bad_times),
        cmocka_unit_test(test_relative),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
