/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of fold.c: Unicode case folding with NFC (the comparison
 * key of caseExact=false text) and the canonical UTC form of
 * xsd:dateTime values, including offsets that cross day, month and
 * year boundaries and the values that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scimd/scim.h"
#include "fold.h"

static void
check_fold(const char *in, const char *want)
{
    char *f = scim_fold(in, strlen(in));

    assert_non_null(f);
    assert_string_equal(f, want);
    scim_free(f);
}

static void
test_fold_full_casefold(void **state)
{
    (void)state;
    check_fold("Straße", "strasse");
    check_fold("STRASSE", "strasse");
    check_fold("ÉCOLE", "\xc3\xa9" "cole");
    check_fold("Barbara.Jensen@Example.COM", "barbara.jensen@example.com");
    check_fold("", "");
}

static void
test_fold_nfc(void **state)
{
    /* "E" + U+0301 COMBINING ACUTE folds to the precomposed "é". */
    (void)state;
    check_fold("E\xcc\x81" "COLE", "\xc3\xa9" "cole");
    check_fold("\xc3\xa9" "cole", "\xc3\xa9" "cole");
}

static void
test_fold_len_and_bad_utf8(void **state)
{
    char *f;

    (void)state;
    f = scim_fold("ABCDEF", 3);
    assert_string_equal(f, "abc");
    scim_free(f);
    assert_null(scim_fold("\xff\xfe", 2));
    assert_null(scim_fold("\xc3", 1));
    assert_null(scim_fold(NULL, 0));
}

static void
test_fold_enomem(void **state)
{
    (void)state;
    scim_alloc_fail_after(1);
    assert_null(scim_fold("Hello", 5));
    scim_alloc_fail_after(0);
}

static void
check_dt(const char *in, const char *want)
{
    char out[SCIM_DATETIME_LEN];

    assert_int_equal(scim_datetime_canon(in, out), 0);
    assert_string_equal(out, want);
}

static void
test_datetime_utc(void **state)
{
    (void)state;
    check_dt("2008-01-23T04:56:22Z", "2008-01-23T04:56:22.0000000Z");
    check_dt("2008-01-23T04:56:22.5Z", "2008-01-23T04:56:22.5000000Z");
    check_dt("2008-01-23T04:56:22.123456789Z",
             "2008-01-23T04:56:22.1234567Z");
    check_dt("2024-01-01T00:00:00", "2024-01-01T00:00:00.0000000Z");
}

static void
test_datetime_offsets(void **state)
{
    (void)state;
    check_dt("2008-01-23T04:56:22+02:00", "2008-01-23T02:56:22.0000000Z");
    check_dt("2008-01-23T04:56:22-05:30", "2008-01-23T10:26:22.0000000Z");
    /* Crossing into the previous day, month and a leap day. */
    check_dt("2024-03-01T01:00:00+02:00", "2024-02-29T23:00:00.0000000Z");
    /* Crossing into the next year. */
    check_dt("2024-12-31T23:30:00-01:00", "2025-01-01T00:30:00.0000000Z");
    check_dt("2024-06-15T12:00:00+14:00", "2024-06-14T22:00:00.0000000Z");
    check_dt("2024-06-15T12:00:00-00:00", "2024-06-15T12:00:00.0000000Z");
    /* 24:00:00 is the first instant of the next day (xsd). */
    check_dt("2023-12-31T24:00:00Z", "2024-01-01T00:00:00.0000000Z");
}

static void
test_datetime_orders_as_instant(void **state)
{
    char a[SCIM_DATETIME_LEN], b[SCIM_DATETIME_LEN];

    (void)state;
    /* 10:00+02:00 (08:00Z) is earlier than 09:00Z. */
    assert_int_equal(scim_datetime_canon("2024-05-01T10:00:00+02:00", a), 0);
    assert_int_equal(scim_datetime_canon("2024-05-01T09:00:00Z", b), 0);
    assert_true(strcmp(a, b) < 0);
}

static void
test_datetime_invalid(void **state)
{
    static const char *const bad[] = {
        "", "2024", "2024-01-01", "04:56:22Z2008-01-23T",
        "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
        "2024-01-01T25:00:00Z", "2024-01-01T24:00:01Z",
        "2024-01-01T23:60:00Z", "2024-01-01T23:59:60Z",
        "2024-01-01 10:00:00Z", "2024-01-01T10:00:00z",
        "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00+15:00",
        "2024-01-01T10:00:00+01", "2024-01-01T10:00:00Zjunk",
        "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01",
        "9999-12-31T23:59:59-00:01", "24-01-01T00:00:00Z",
    };
    char out[SCIM_DATETIME_LEN];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (scim_datetime_canon(bad[i], out) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(scim_datetime_canon(NULL, out), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_full_casefold),
        cmocka_unit_test(test_fold_nfc),
        cmocka_unit_test(test_fold_len_and_bad_utf8),
        cmocka_unit_test(test_fold_enomem),
        cmocka_unit_test(test_datetime_utc),
        cmocka_unit_test(test_datetime_offsets),
        cmocka_unit_test(test_datetime_orders_as_instant),
        cmocka_unit_test(test_datetime_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
