/* SPDX-License-Identifier: MIT */
/*
 * Shared declarations of build/scim-vectors, the runner of the
 * third-party test vectors in ../shared/vectors (format in its README).
 * Each vector kind lives in its own file and reports through vec_report.
 */
#ifndef SCIMD_TESTS_VECTORS_H
#define SCIMD_TESTS_VECTORS_H

#include <jansson.h>

struct vec_stats {
    int passed;
    int failed;
    int skipped;     /* disputed cases not adopted, and unsupported ones */
    int disputed;    /* disputed cases seen (passed, failed or skipped) */
    int verbose;
};

/*
 * Records the outcome of one case: outcome is "pass", "fail" or "skip".
 * why explains a failure or skip; it is printed with the case id.
 */
void vec_report(struct vec_stats *st, const json_t *c, const char *outcome,
                const char *why);

/* Runners per file kind: each walks the array of cases. */
void vec_run_filters(const json_t *cases, struct vec_stats *st);
void vec_run_patch(const json_t *cases, struct vec_stats *st);
void vec_run_resources(const json_t *cases, struct vec_stats *st);

#endif /* SCIMD_TESTS_VECTORS_H */
