/* SPDX-License-Identifier: MIT */
/*
 * scim-httptest [--bin DIR] [--tag T] [--skip-tag T] [--backend B]
 *               [--timeout S] [--keep] [-v] CASE...
 * scim-httptest --self-test
 * Runs declarative HTTP case files (tests/http/README.md) against a real
 * scimd. Each case runs in its own process group with its own temp dir,
 * database and scimd, under a wall-clock limit, so a hang or a crash
 * costs one case and never the suite; the parent kills the whole group
 * when the limit passes. One line per case, then "N passed, N failed".
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "httptest.h"

#define HT_CASE_TIMEOUT 60

struct opts {
    const char *bin;
    json_t *tags;               /* run only cases with one of these */
    json_t *skip_tags;          /* skip cases with one of these */
    enum ht_backend backend;
    int timeout;
    int verbose;
    int keep;
    int self_test;
};

enum verdict {
    HT_PASS,
    HT_FAIL,
    HT_SKIP
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
has_tag(const json_t *doc, const json_t *set)
{
    const json_t *tags = json_object_get(doc, "tags");
    const char *t;
    size_t i;
    size_t j;

    for (i = 0; i < json_array_size(tags); i++) {
        t = json_string_value(json_array_get(tags, i));
        for (j = 0; t != NULL && j < json_array_size(set); j++) {
            if (strcmp(t, json_string_value(json_array_get(set, j))) == 0)
                return 1;
        }
    }
    return 0;
}

/* Keys each kind of step may carry; a typo must not silently pass. */
static const char *const http_keys[] = {
    "note", "req", "headers", "auth", "authHeader", "body", "raw",
    "repeat", "status", "expect", "exact", "expectHeaders", "absent",
    "bodyAbsent", "bodyRegex", "bodyEquals", "save", "saveHeader",
    "saveBody", NULL
};
static const char *const cli_keys[] = {
    "note", "cli", "exit", "expect", "save", "stdoutRegex", "stderrRegex",
    "saveStdout", NULL
};
static const char *const other_keys[] = {
    "note", "restart", "kill", "start", "sleep_ms", "logRegex",
    "logAbsent", "dbAbsent", "file", NULL
};
static const char *const case_keys[] = {
    "name", "note", "tags", "tenants", "config", "env", "scimdArgs",
    "timeout", "headers", "contentType", "expectHeaders", "steps", NULL
};

/* Returns the first key of obj not in allowed, or NULL. */
static const char *
unknown_key(const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *item;
    size_t i;

    json_object_foreach((json_t *)obj, key, item) {
        for (i = 0; allowed[i] != NULL; i++) {
            if (strcmp(key, allowed[i]) == 0)
                break;
        }
        if (allowed[i] == NULL)
            return key;
    }
    return NULL;
}

/* Checks the case's shape before anything starts; NULL when fine. */
static char *
lint_case(const json_t *doc)
{
    const json_t *steps = json_object_get(doc, "steps");
    const char *bad = unknown_key(doc, case_keys);
    const json_t *st;
    char *why = NULL;
    size_t i;

    if (!json_is_array(steps))
        return ht_strdup("no \"steps\" array");
    if (bad != NULL && asprintf(&why, "unknown key \"%s\"", bad) >= 0)
        return why;
    json_array_foreach(steps, i, st) {
        if (json_object_get(st, "req") != NULL) {
            bad = unknown_key(st, http_keys);
            if (bad == NULL && json_object_get(st, "status") == NULL &&
                asprintf(&why, "step %zu: no \"status\"", i + 1) >= 0)
                return why;
        } else if (json_object_get(st, "cli") != NULL) {
            bad = unknown_key(st, cli_keys);
        } else {
            bad = unknown_key(st, other_keys);
        }
        if (bad != NULL && asprintf(&why, "step %zu: unknown key \"%s\"",
                                    i + 1, bad) >= 0)
            return why;
    }
    return NULL;
}

/* Returns why the case is skipped, or NULL to run it. */
static const char *
skip_reason(const json_t *doc, const struct opts *o)
{
    json_t *only = json_pack("[s]", o->backend == HT_POSTGRES ?
                             "sqlite-only" : "postgres-only");
    int backend_skip = has_tag(doc, only);

    json_decref(only);
    if (backend_skip)
        return o->backend == HT_POSTGRES ? "sqlite-only" : "postgres-only";
    if (json_array_size(o->tags) > 0 && !has_tag(doc, o->tags))
        return "not selected by --tag";
    if (has_tag(doc, o->skip_tags))
        return "--skip-tag";
    return NULL;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + 32];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
}

static void
set_builtin_vars(struct ht_case *c)
{
    struct timespec ts;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, sizeof(buf), "%lx%lx", (long)getpid() & 0xfffff,
             (long)(ts.tv_nsec ^ ts.tv_sec) & 0xffffff);
    ht_var_set(c, "rand", buf);
    ht_var_set(c, "dir", c->dir);
    ht_var_set(c, "log", c->log);
    ht_var_set(c, "bin", c->bin);
}

/* Exports the case's "env" object to scimd and scimctl. */
static int
apply_env(struct ht_case *c)
{
    json_t *env = json_object_get(c->doc, "env");
    const char *key;
    json_t *item;
    char *v;

    json_object_foreach(env, key, item) {
        v = ht_subst_str(c, json_string_value(item) ? json_string_value(item)
                                                    : "");
        if (v == NULL)
            return -1;
        setenv(key, v, 1);
        free(v);
    }
    return 0;
}

static int
set_vars_after_start(struct ht_case *c)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "%d", c->port);
    ht_var_set(c, "port", buf);
    snprintf(buf, sizeof(buf), "http://127.0.0.1:%d/scim/v2", c->port);
    ht_var_set(c, "base", buf);
    return 0;
}

static int
step_signal(struct ht_case *c, const json_t *step)
{
    const char *name = json_string_value(json_object_get(step, "kill"));
    int sig = SIGKILL;

    if (name != NULL && strcmp(name, "TERM") == 0)
        sig = SIGTERM;
    else if (name != NULL && strcmp(name, "INT") == 0)
        sig = SIGINT;
    else if (name != NULL && strcmp(name, "KILL") != 0)
        return ht_fail(c, "kill: unknown signal \"%s\"", name);
    return ht_scimd_stop(c, sig, 0);
}

static int
step_start(struct ht_case *c, int restart)
{
    if (restart && ht_scimd_stop(c, SIGTERM, 1) != 0)
        return -1;
    if (ht_scimd_start(c) != 0)
        return -1;
    return set_vars_after_start(c);
}

/*
 * {"file": {"path": "${dir}/x.json", "content": ...}}: writes content
 * (a string as is, any other JSON compact) after substitution, so a case
 * can hand scimctl a file (a schema for "config extension add").
 */
static int
step_file(struct ht_case *c, const json_t *step)
{
    json_t *f = ht_subst(c, json_object_get(step, "file"));
    const char *path = json_string_value(json_object_get(f, "path"));
    const json_t *content = json_object_get(f, "content");
    char *text;
    FILE *out;
    int rc = -1;

    if (f == NULL)
        return -1;
    if (path == NULL || content == NULL) {
        json_decref(f);
        return ht_fail(c, "file: needs \"path\" and \"content\"");
    }
    text = json_is_string(content) ? ht_strdup(json_string_value(content))
        : json_dumps(content, JSON_COMPACT | JSON_ENCODE_ANY);
    out = fopen(path, "w");
    if (out == NULL || text == NULL || fputs(text, out) < 0)
        ht_fail(c, "file: cannot write %s", path);
    else
        rc = 0;
    if (out != NULL && fclose(out) != 0 && rc == 0)
        rc = ht_fail(c, "file: cannot write %s", path);
    free(text);
    json_decref(f);
    return rc;
}

static int
run_step(struct ht_case *c, const json_t *step)
{
    json_int_t ms;

    if (json_object_get(step, "req") != NULL)
        return ht_step_http(c, step);
    if (json_object_get(step, "cli") != NULL)
        return ht_step_cli(c, step);
    if (json_is_true(json_object_get(step, "restart")))
        return step_start(c, 1);
    if (json_object_get(step, "kill") != NULL)
        return step_signal(c, step);
    if (json_is_true(json_object_get(step, "start")))
        return step_start(c, 0);
    if (json_object_get(step, "sleep_ms") != NULL) {
        ms = json_integer_value(json_object_get(step, "sleep_ms"));
        usleep((useconds_t)(ms > 0 ? ms : 0) * 1000);
        return 0;
    }
    if (json_object_get(step, "logRegex") != NULL ||
        json_object_get(step, "logAbsent") != NULL)
        return ht_step_log(c, step);
    if (json_object_get(step, "dbAbsent") != NULL)
        return ht_step_db(c, step);
    if (json_object_get(step, "file") != NULL)
        return step_file(c, step);
    return ht_fail(c, "unknown step kind");
}

/* Notes where the case is, so a timeout can name the step it hung in. */
static void
note_progress(struct ht_case *c, const json_t *step)
{
    char *what = ht_value_str(step);
    char line[200];

    snprintf(line, sizeof(line), "step %d: %.150s", c->stepno, what);
    write_file(c->dir, "progress", line);
    free(what);
}

static int
run_steps(struct ht_case *c)
{
    const json_t *steps = json_object_get(c->doc, "steps");
    const char *note;
    size_t i;

    if (!json_is_array(steps))
        return ht_fail(c, "the case has no \"steps\" array");
    for (i = 0; i < json_array_size(steps); i++) {
        c->stepno = (int)i + 1;
        note_progress(c, json_array_get(steps, i));
        if (run_step(c, json_array_get(steps, i)) != 0) {
            note = json_string_value(json_object_get(
                json_array_get(steps, i), "note"));
            if (note != NULL)
                ht_buf_printf(&c->report, "    note: %s\n", note);
            return -1;
        }
    }
    return 0;
}

static void
case_setup(struct ht_case *c)
{
    if (apply_env(c) != 0 || ht_db_prepare(c) != 0)
        return;
    ht_var_set(c, "db", c->db);
    if (ht_setup_tenants(c) != 0 || ht_scimd_start(c) != 0)
        return;
    set_vars_after_start(c);
    run_steps(c);
}

/* The body of a case's own process: returns its exit status. */
static int
run_case(struct ht_case *c)
{
    int failed;

    snprintf(c->log, sizeof(c->log), "%s/scimd.log", c->dir);
    c->vars = json_object();
    c->scimd = -1;
    set_builtin_vars(c);
    snprintf(c->pgname, sizeof(c->pgname), "scimtest_%ld",
             (long)getpid());

    case_setup(c);
    ht_http_cleanup(c);
    c->stepno = -1;
    ht_scimd_stop(c, SIGTERM, c->report.len == 0);
    ht_sanitizer_scan(c);
    ht_db_drop(c);

    ht_buf_add(&c->report, "", 0);
    write_file(c->dir, "report", c->report.data);
    failed = c->report.len > 0;
    ht_buf_free(&c->report);
    json_decref(c->vars);
    return failed;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

/* Waits for the case process; kills its group after the time limit. */
static int
wait_case(pid_t pid, int timeout, int *status)
{
    double deadline = now_s() + timeout;
    pid_t r;

    for (;;) {
        r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_s() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, status, 0);
            return 1;
        }
        usleep(20000);
    }

    /* Stragglers (a scimd the case could not stop) die with the group. */
    kill(-pid, SIGKILL);
    return 0;
}

/* Appends text to stdout with each line indented by six spaces. */
static void
print_indented(const char *text)
{
    const char *p;

    fputs("      ", stdout);
    for (p = text; *p != '\0'; p++) {
        putchar(*p);
        if (*p == '\n' && p[1] != '\0')
            fputs("      ", stdout);
    }
    if (p > text && p[-1] != '\n')
        putchar('\n');
}

static void
print_failure(const char *name, const char *dir, struct ht_buf *rep,
              double secs)
{
    struct ht_buf log = { 0 };
    char path[PATH_MAX + 16];

    printf("FAIL %s (%.1f s): %s", name, secs,
           rep->len > 0 ? rep->data : "no report\n");
    if (rep->len > 0 && strstr(rep->data, "scimd stderr") != NULL)
        return;
    snprintf(path, sizeof(path), "%s/scimd.log", dir);
    if (ht_read_file(path, &log) == 0 && log.len > 0) {
        printf("    scimd stderr (tail):\n");
        if (log.len > 1024)
            printf("      ...\n");
        print_indented(log.data + (log.len > 1024 ? log.len - 1024 : 0));
    }
    ht_buf_free(&log);
}

/* Forks the case's process (its own group); returns its pid or -1. */
static pid_t
spawn_case(const char *file, json_t *doc, const char *name,
           const struct opts *o, const char *dir)
{
    struct ht_case c = { 0 };
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid != 0) {
        if (pid > 0)
            setpgid(pid, pid);
        return pid;
    }
    setpgid(0, 0);
    c.file = file;
    c.name = name;
    c.doc = doc;
    c.bin = o->bin;
    c.backend = o->backend;
    c.verbose = o->verbose;
    snprintf(c.dir, sizeof(c.dir), "%s", dir);

    /* exit(), not _exit(): a SAN=1 runner then reports its own leaks. */
    exit(run_case(&c));
}

/* What a case that ran out of time was doing; drops its PG database. */
static void
timeout_report(const struct opts *o, const char *dir, pid_t pid,
               int limit, struct ht_buf *rep)
{
    struct ht_case c = { 0 };
    char path[PATH_MAX + 16];

    ht_buf_printf(rep, "timeout after %d s in ", limit);
    snprintf(path, sizeof(path), "%s/progress", dir);
    if (ht_read_file(path, rep) != 0)
        ht_buf_printf(rep, "set-up");
    ht_buf_add(rep, "\n", 1);
    c.backend = o->backend;
    snprintf(c.pgname, sizeof(c.pgname), "scimtest_%ld", (long)pid);
    ht_db_drop(&c);
}

/* Runs one case in a child process; returns its verdict. */
static enum verdict
run_one(const char *file, json_t *doc, const char *name,
        const struct opts *o)
{
    struct ht_buf rep = { 0 };
    char dir[HT_DIR_MAX];
    char path[PATH_MAX + 16];
    const char *tmp = getenv("TMPDIR");
    json_int_t limit = json_integer_value(json_object_get(doc, "timeout"));
    double t0 = now_s();
    int status = 0;
    int passed = 0;
    pid_t pid;

    if (limit <= 0)
        limit = o->timeout;
    snprintf(dir, sizeof(dir), "%s/scim-httptest.XXXXXX",
             tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL || (pid = spawn_case(file, doc, name, o,
                                                  dir)) < 0) {
        printf("FAIL %s: cannot start: %s\n", name, strerror(errno));
        return HT_FAIL;
    }

    /* The child leaves its verdict in DIR/report (empty when it passed). */
    snprintf(path, sizeof(path), "%s/report", dir);
    if (wait_case(pid, (int)limit, &status) != 0)
        timeout_report(o, dir, pid, (int)limit, &rep);
    else if (ht_read_file(path, &rep) != 0 || (rep.len == 0 && status != 0))
        ht_buf_printf(&rep, "case process ended with status %#x (a crash "
                      "or a leak report of the runner itself)\n", status);
    else
        passed = rep.len == 0;

    if (passed)
        printf("ok   %s (%.1f s)\n", name, now_s() - t0);
    else
        print_failure(name, dir, &rep, now_s() - t0);
    ht_buf_free(&rep);
    if (o->keep)
        printf("     kept %s\n", dir);
    else
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return passed ? HT_PASS : HT_FAIL;
}

/* The case's short name: its file name without directory and .case. */
static char *
case_name(const char *file)
{
    const char *base = strrchr(file, '/');
    char *name = ht_strdup(base != NULL ? base + 1 : file);
    size_t n = strlen(name);

    if (n > 5 && strcmp(name + n - 5, ".case") == 0)
        name[n - 5] = '\0';
    return name;
}

static enum verdict
run_file(const char *file, const struct opts *o)
{
    json_error_t err;
    json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &err);
    char *name = case_name(file);
    char *lint;
    const char *why;
    enum verdict v;

    if (!json_is_object(doc)) {
        printf("FAIL %s: cannot load case: %s (line %d)\n", name, err.text,
               err.line);
        v = HT_FAIL;
    } else if ((lint = lint_case(doc)) != NULL) {
        printf("FAIL %s: bad case file: %s\n", name, lint);
        free(lint);
        v = HT_FAIL;
    } else if ((why = skip_reason(doc, o)) != NULL) {
        if (o->verbose)
            printf("skip %s (%s)\n", name, why);
        v = HT_SKIP;
    } else {
        v = run_one(file, doc, name, o);
    }
    fflush(stdout);
    json_decref(doc);
    free(name);
    return v;
}

static void
usage(void)
{
    fprintf(stderr,
            "usage: scim-httptest [--bin DIR] [--tag T] [--skip-tag T]\n"
            "                     [--backend sqlite|postgres] [--timeout S]"
            "\n                     [--keep] [-v] CASE...\n"
            "       scim-httptest --self-test\n");
    exit(2);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {
        { "bin", required_argument, NULL, 'b' },
        { "tag", required_argument, NULL, 't' },
        { "skip-tag", required_argument, NULL, 's' },
        { "backend", required_argument, NULL, 'B' },
        { "timeout", required_argument, NULL, 'T' },
        { "keep", no_argument, NULL, 'k' },
        { "verbose", no_argument, NULL, 'v' },
        { "self-test", no_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "v", longs, NULL)) != -1) {
        switch (ch) {
        case 'b': o->bin = optarg; break;
        case 't': json_array_append_new(o->tags, json_string(optarg)); break;
        case 's':
            json_array_append_new(o->skip_tags, json_string(optarg));
            break;
        case 'B':
            if (strcmp(optarg, "sqlite") != 0 &&
                strcmp(optarg, "postgres") != 0)
                usage();
            o->backend = optarg[0] == 'p' ? HT_POSTGRES : HT_SQLITE;
            break;
        case 'T': o->timeout = (int)strtol(optarg, NULL, 10); break;
        case 'k': o->keep = 1; break;
        case 'v': o->verbose = 1; break;
        case 'S': o->self_test = 1; break;
        default: usage();
        }
    }
    if ((optind >= argc && !o->self_test) || o->timeout <= 0)
        usage();
}

static int
check_bins(const char *bin)
{
    static const char *progs[] = { "scimd", "scimctl" };
    char path[PATH_MAX];
    size_t i;

    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", bin, progs[i]);
        if (access(path, X_OK) != 0) {
            fprintf(stderr, "scim-httptest: %s: %s\n", path,
                    strerror(errno));
            return -1;
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct opts o = { .bin = "build", .timeout = HT_CASE_TIMEOUT };
    int counts[3] = { 0, 0, 0 };
    int rc;
    int i;

    o.tags = json_array();
    o.skip_tags = json_array();
    parse_opts(argc, argv, &o);
    if (o.self_test) {
        rc = ht_self_test();
        goto out;
    }
    if (check_bins(o.bin) != 0) {
        printf("0 passed, %d failed\n", argc - optind);
        rc = 1;
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* Limitation: cases run one at a time; each takes well under a
     * second against a plain build, so parallelism has not paid yet. */
    for (i = optind; i < argc; i++)
        counts[run_file(argv[i], &o)]++;
    curl_global_cleanup();
    if (counts[HT_SKIP] > 0)
        printf("(%d skipped)\n", counts[HT_SKIP]);
    printf("%d passed, %d failed\n", counts[HT_PASS], counts[HT_FAIL]);
    rc = counts[HT_FAIL] > 0 ? 1 : 0;

out:
    json_decref(o.tags);
    json_decref(o.skip_tags);
    return rc;
}
