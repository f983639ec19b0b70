/* SPDX-License-Identifier: MIT */
/*
 * build/scim-vectors FILE...: checks scimd's core against third-party
 * SCIM test vectors. The kind of each file is told by its cases' shape
 * (filter, operations or payload). Failures are printed by id, disputed
 * cases apart; each file ends with "N passed, N failed, N skipped" and
 * the exit status is non-zero when any case failed.
 */
#include <stdio.h>
#include <string.h>

#include "vectors.h"

void
vec_report(struct vec_stats *st, const json_t *c, const char *outcome,
           const char *why)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    int disputed = json_is_true(json_object_get(c, "disputed"));

    if (disputed)
        st->disputed++;
    if (strcmp(outcome, "pass") == 0) {
        st->passed++;
        if (st->verbose)
            printf("  pass %s%s\n", id, disputed ? " (disputed)" : "");
        return;
    }
    if (strcmp(outcome, "skip") == 0) {
        st->skipped++;
        printf("  skip %s%s: %s\n", id, disputed ? " (disputed)" : "",
               why != NULL ? why : "");
        return;
    }
    st->failed++;
    printf("  FAIL %s%s: %s\n", id, disputed ? " (disputed)" : "",
           why != NULL ? why : "");
}

static int
run_file(const char *path, int verbose)
{
    json_error_t jerr;
    json_t *cases = json_load_file(path, 0, &jerr);
    json_t *first;
    struct vec_stats st = { .verbose = verbose };

    if (!json_is_array(cases)) {
        fprintf(stderr, "%s: not a JSON array of cases: %s (line %d)\n",
                path, jerr.text, jerr.line);
        json_decref(cases);
        return 1;
    }
    first = json_array_get(cases, 0);
    printf("%s:\n", path);
    if (json_object_get(first, "filter") != NULL)
        vec_run_filters(cases, &st);
    else if (json_object_get(first, "operations") != NULL)
        vec_run_patch(cases, &st);
    else if (json_object_get(first, "payload") != NULL)
        vec_run_resources(cases, &st);
    else
        fprintf(stderr, "%s: unknown vector kind\n", path);
    printf("%s: %d disputed seen\n", path, st.disputed);
    printf("%d passed, %d failed, %d skipped\n", st.passed, st.failed,
           st.skipped);
    json_decref(cases);
    return st.failed > 0;
}

int
main(int argc, char **argv)
{
    int i, bad = 0, verbose = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
            continue;
        }
        bad |= run_file(argv[i], verbose);
    }
    if (argc < 2) {
        fprintf(stderr, "usage: scim-vectors [-v] FILE...\n");
        return 2;
    }
    return bad;
}
