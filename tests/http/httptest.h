/* SPDX-License-Identifier: MIT */
/*
 * Shared declarations of scim-httptest, the runner of the declarative
 * HTTP case files in tests/http (format: tests/http/README.md). The
 * runner is split by responsibility: httptest.c drives cases and their
 * processes, ht_proc.c manages scimd, scimctl and the databases,
 * ht_http.c performs and checks HTTP steps, ht_match.c holds variable
 * substitution, JSON paths and the subset matcher.
 */
#ifndef SCIMD_TESTS_HTTP_HTTPTEST_H
#define SCIMD_TESTS_HTTP_HTTPTEST_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#if defined(__GNUC__)
#define HT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HT_PRINTF(f, a)
#endif

/* Failure bodies and logs shown in a report are cut to this size. */
#define HT_SHOW_MAX 2048

/* Temp dirs are short; this leaves room for file names under them. */
#define HT_DIR_MAX 1024

enum ht_backend {
    HT_SQLITE,
    HT_POSTGRES
};

/* A growable byte buffer, always NUL-terminated when data is not NULL. */
struct ht_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Everything one running case needs; lives in the case's own process. */
struct ht_case {
    const char *file;           /* case file path */
    const char *name;           /* short name printed in reports */
    json_t *doc;                /* the parsed case file */
    json_t *vars;               /* variable name -> string value */
    const char *bin;            /* directory holding scimd and scimctl */
    enum ht_backend backend;
    int verbose;
    char dir[HT_DIR_MAX];       /* the case's temp dir */
    char db[PATH_MAX];          /* --db argument: file or postgresql URL */
    char log[PATH_MAX];         /* scimd stderr, appended across restarts */
    char pgname[64];            /* database name on the PG server */
    int port;
    pid_t scimd;                /* running scimd or -1 */
    int stepno;                 /* 1-based step; 0 set-up, -1 teardown */
    struct ht_buf report;       /* failure text, empty while all is well */
    void *curl;                 /* CURL handle reused across requests */
};

/* Buffers (ht_match.c). Allocation failure aborts: this is a test tool. */
void ht_buf_add(struct ht_buf *b, const void *p, size_t n);
void ht_buf_printf(struct ht_buf *b, const char *fmt, ...) HT_PRINTF(2, 3);
void ht_buf_free(struct ht_buf *b);
char *ht_strdup(const char *s);

/*
 * Records a failure of the current step in c->report and returns -1, so
 * callers can write `return ht_fail(c, ...)`. Only the first failure of
 * a case is kept; later calls append nothing.
 */
int ht_fail(struct ht_case *c, const char *fmt, ...) HT_PRINTF(2, 3);

/* Appends at most HT_SHOW_MAX bytes of text to the report, indented. */
void ht_show(struct ht_case *c, const char *label, const char *text,
             size_t len);

/* Sets variable name to a copy of value. */
void ht_var_set(struct ht_case *c, const char *name, const char *value);

/*
 * Expands ${name} and ${re:name} (the value with regex metacharacters
 * escaped) in s. Returns a string the caller frees, or NULL after
 * recording a failure for an undefined variable.
 */
char *ht_subst_str(struct ht_case *c, const char *s);

/*
 * Deep copy of v with every string value (not object keys) expanded by
 * ht_subst_str. Returns a new reference, or NULL after a failure.
 */
json_t *ht_subst(struct ht_case *c, const json_t *v);

/*
 * Subset match of actual against expected (semantics in README.md).
 * Returns 1 on a match; 0 on a mismatch, with the reason appended to
 * why. A bad regex is a mismatch too.
 */
int ht_match(const json_t *exp, const json_t *act, int exact,
             struct ht_buf *why);

/*
 * Resolves a dotted/[index] path ("Resources[0].emails[*].value"). An
 * object key may itself contain dots (extension URNs): the longest key
 * that fits wins. [*] visits every element. Returns how many values the
 * path reaches; *first, when not NULL, receives the first one.
 */
int ht_path(const json_t *root, const char *path, const json_t **first);

/* The value as text: strings raw, others as compact JSON. Caller frees. */
char *ht_value_str(const json_t *v);

/*
 * Regex match (POSIX ERE) of re against s. flags add to REG_EXTENDED
 * (e.g. REG_NEWLINE). Returns 1 match, 0 no match, -1 bad regex with
 * the reason in why.
 */
int ht_regex(const char *re, const char *s, int flags, struct ht_buf *why);

/* Reads a whole file; returns 0, or -1 when it cannot be read. */
int ht_read_file(const char *path, struct ht_buf *out);

/* Processes and databases (ht_proc.c). Each returns 0 or -1 (failed). */
int ht_db_prepare(struct ht_case *c);
void ht_db_drop(struct ht_case *c);
int ht_setup_tenants(struct ht_case *c);
int ht_scimd_start(struct ht_case *c);
int ht_scimd_stop(struct ht_case *c, int sig, int check_exit);
int ht_sanitizer_scan(struct ht_case *c);
int ht_step_cli(struct ht_case *c, const json_t *step);
int ht_step_log(struct ht_case *c, const json_t *step);
int ht_step_db(struct ht_case *c, const json_t *step);

/* Runs the runner's own table-driven checks (ht_selftest.c); prints
 * "N passed, N failed" and returns the exit status. */
int ht_self_test(void);

/* One HTTP request step (ht_http.c); returns 0 or -1. */
int ht_step_http(struct ht_case *c, const json_t *step);
void ht_http_cleanup(struct ht_case *c);

#endif
