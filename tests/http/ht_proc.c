/* SPDX-License-Identifier: MIT */
/*
 * The processes and databases behind a case: a fresh SQLite file or a
 * fresh PostgreSQL database per case, scimctl runs for tenants, tokens,
 * config and CLI steps, and the scimd under test, started on a port the
 * kernel just handed out and stopped with SIGTERM so a clean exit status
 * and a sanitizer-free stderr are part of every case's verdict. Every
 * child gets its output in files under the case's temp dir, so nothing
 * can block on a full pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <regex.h>

#include "httptest.h"

#define HT_START_TIMEOUT_MS 20000
#define HT_STOP_TIMEOUT_MS 20000
#define HT_CLI_TIMEOUT_MS 30000
#define HT_LOG_WAIT_MS 3000

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Starts argv[0] with stdin from /dev/null and output into files. */
static pid_t
spawn(char *const argv[], const char *out, const char *err)
{
    pid_t pid = fork();
    int fd;

    if (pid != 0)
        return pid;
    fd = open("/dev/null", O_RDONLY);
    if (fd >= 0)
        dup2(fd, 0);
    fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0)
        dup2(fd, 1);
    fd = open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0)
        dup2(fd, 2);
    execv(argv[0], argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Waits up to ms for pid; returns 1 with *status when it exited. */
static int
wait_for(pid_t pid, long ms, int *status)
{
    long waited;
    pid_t r;

    for (waited = 0; waited <= ms; waited += 10) {
        r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return 1;
        sleep_ms(10);
    }
    return 0;
}

static void
describe_status(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "status %#x", status);
}

/*
 * Runs scimctl --db DB args... (args: array of strings). Returns 0 with
 * its exit code in *code (-1 for a signal) and its output read back.
 */
static int
run_scimctl(struct ht_case *c, const json_t *args, int *code,
            struct ht_buf *out, struct ht_buf *err)
{
    char *argv[64];
    char exe[PATH_MAX + 16];
    char fout[PATH_MAX + 16];
    char ferr[PATH_MAX + 16];
    size_t i;
    int status;
    pid_t pid;

    if (json_array_size(args) > 60)
        return ht_fail(c, "too many scimctl arguments");
    snprintf(exe, sizeof(exe), "%s/scimctl", c->bin);
    snprintf(fout, sizeof(fout), "%s/cli.out", c->dir);
    snprintf(ferr, sizeof(ferr), "%s/cli.err", c->dir);
    unlink(fout);
    unlink(ferr);
    argv[0] = exe;
    argv[1] = (char *)"--db";
    argv[2] = c->db;
    for (i = 0; i < json_array_size(args); i++)
        argv[3 + i] = (char *)json_string_value(json_array_get(args, i));
    argv[3 + i] = NULL;

    pid = spawn(argv, fout, ferr);
    if (pid < 0)
        return ht_fail(c, "fork: %s", strerror(errno));
    if (!wait_for(pid, HT_CLI_TIMEOUT_MS, &status)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return ht_fail(c, "scimctl did not finish within %d s",
                       HT_CLI_TIMEOUT_MS / 1000);
    }
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    ht_read_file(fout, out);
    ht_read_file(ferr, err);
    return 0;
}

/* scimctl with fixed arguments that must exit 0; stdout kept in out. */
static int
scimctl_ok(struct ht_case *c, json_t *args, struct ht_buf *out)
{
    struct ht_buf err = { 0 };
    char *line = ht_value_str(args);
    int code = 0;
    int rc;

    rc = run_scimctl(c, args, &code, out, &err);
    if (rc == 0 && code != 0) {
        rc = ht_fail(c, "scimctl %s: exit %d", line, code);
        ht_show(c, "stderr", err.data, err.len);
    }
    json_decref(args);
    free(line);
    ht_buf_free(&err);
    return rc;
}

static void
trim(struct ht_buf *b)
{
    while (b->len > 0 && strchr(" \t\r\n", b->data[b->len - 1]) != NULL)
        b->data[--b->len] = '\0';
}

static int
add_tenant(struct ht_case *c, const char *name, const char *var)
{
    struct ht_buf out = { 0 };
    int rc;

    rc = scimctl_ok(c, json_pack("[sss]", "tenant", "add", name), &out);
    ht_buf_free(&out);
    if (rc != 0)
        return rc;
    rc = scimctl_ok(c, json_pack("[sss]", "token", "issue", name), &out);
    trim(&out);
    if (rc == 0 && (out.len == 0 || strchr(out.data, '\n') != NULL))
        rc = ht_fail(c, "token issue %s: expected one token line, got "
                     "\"%.200s\"", name, out.data ? out.data : "");
    if (rc == 0 && var != NULL)
        ht_var_set(c, var, out.data);
    ht_buf_free(&out);
    return rc;
}

int
ht_setup_tenants(struct ht_case *c)
{
    const json_t *tenants = json_object_get(c->doc, "tenants");
    const json_t *config = json_object_get(c->doc, "config");
    json_t *t;
    json_t *args;
    struct ht_buf out = { 0 };
    size_t i;
    int rc = 0;

    if (tenants == NULL && (rc = add_tenant(c, "acme", "token")) != 0)
        return rc;
    json_array_foreach(tenants, i, t) {
        rc = add_tenant(c, json_string_value(json_object_get(t, "name")),
                        json_string_value(json_object_get(t, "var")));
        if (rc != 0)
            return rc;
    }
    json_array_foreach(config, i, t) {
        args = ht_subst(c, t);
        if (args == NULL)
            return -1;
        json_array_insert_new(args, 0, json_string("set"));
        json_array_insert_new(args, 0, json_string("config"));
        rc = scimctl_ok(c, args, &out);
        ht_buf_free(&out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Appends s to url with everything but unreserved characters and '/'
 * percent-encoded, as libpq decodes URI parameter values. */
static void
url_encode(struct ht_buf *url, const char *s)
{
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
            ht_buf_add(url, p, 1);
        else
            ht_buf_printf(url, "%%%02X", *p);
    }
}

/* SCIMD_TEST_PG (key=value conninfo) plus dbname, as a postgresql URL. */
static int
pg_url(struct ht_case *c, const char *conninfo)
{
    struct ht_buf url = { 0 };
    PQconninfoOption *opts;
    PQconninfoOption *o;
    char *err = NULL;
    char sep = '?';

    opts = PQconninfoParse(conninfo, &err);
    if (opts == NULL) {
        ht_fail(c, "SCIMD_TEST_PG: %s", err != NULL ? err : "bad conninfo");
        PQfreemem(err);
        return -1;
    }
    ht_buf_printf(&url, "postgresql:///%s", c->pgname);
    for (o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL || strcmp(o->keyword, "dbname") == 0)
            continue;
        ht_buf_printf(&url, "%c%s=", sep, o->keyword);
        url_encode(&url, o->val);
        sep = '&';
    }
    PQconninfoFree(opts);
    if (url.len >= sizeof(c->db)) {
        ht_buf_free(&url);
        return ht_fail(c, "SCIMD_TEST_PG is too long");
    }
    memcpy(c->db, url.data, url.len + 1);
    ht_buf_free(&url);
    return 0;
}

/* Runs one statement on the server's maintenance database. */
static int
pg_admin(struct ht_case *c, const char *sql, int report)
{
    const char *keys[] = { "dbname", "dbname", NULL };
    const char *vals[] = { getenv("SCIMD_TEST_PG"), "postgres", NULL };
    PGconn *conn;
    PGresult *res;
    int rc = 0;

    /* The first dbname is expanded as conninfo; the second overrides. */
    conn = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        if (report)
            rc = ht_fail(c, "PostgreSQL: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return report ? rc : -1;
    }
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = -1;
        if (report)
            ht_fail(c, "PostgreSQL: %s: %s", sql, PQerrorMessage(conn));
    }
    PQclear(res);
    PQfinish(conn);
    return rc;
}

int
ht_db_prepare(struct ht_case *c)
{
    const char *conninfo = getenv("SCIMD_TEST_PG");
    char sql[128];

    if (c->backend == HT_SQLITE) {
        snprintf(c->db, sizeof(c->db), "%s/scim.db", c->dir);
        return 0;
    }
    if (conninfo == NULL || *conninfo == '\0')
        return ht_fail(c, "--backend postgres needs SCIMD_TEST_PG");
    if (pg_url(c, conninfo) != 0)
        return -1;
    snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", c->pgname);
    return pg_admin(c, sql, 1);
}

void
ht_db_drop(struct ht_case *c)
{
    char sql[160];

    if (c->backend != HT_POSTGRES || c->pgname[0] == '\0')
        return;
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
             c->pgname);
    pg_admin(c, sql, 0);
}

/* Asks the kernel for a free loopback port (closed again at once). */
static int
free_port(void)
{
    struct sockaddr_in sa = { 0 };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = 0;

    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int
port_open(int port)
{
    struct sockaddr_in sa = { 0 };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int ok;

    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((unsigned short)port);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void
show_log_tail(struct ht_case *c, size_t from)
{
    struct ht_buf log = { 0 };
    size_t start;

    if (ht_read_file(c->log, &log) != 0 || log.len <= from) {
        ht_buf_free(&log);
        return;
    }
    start = log.len - from > HT_SHOW_MAX ? log.len - HT_SHOW_MAX : from;
    ht_show(c, "scimd stderr (tail)", log.data + start, log.len - start);
    ht_buf_free(&log);
}

static size_t
log_size(struct ht_case *c)
{
    struct ht_buf log = { 0 };
    size_t n;

    ht_read_file(c->log, &log);
    n = log.len;
    ht_buf_free(&log);
    return n;
}

/* One start attempt: 0 ready, 1 port taken (retry), -1 failed. */
static int
start_once(struct ht_case *c, char **argv, size_t logpos)
{
    struct ht_buf log = { 0 };
    char out[PATH_MAX + 16];
    char why[96];
    int status;
    long waited;
    int taken;

    snprintf(out, sizeof(out), "%s/scimd.out", c->dir);
    c->scimd = spawn(argv, out, c->log);
    if (c->scimd < 0)
        return ht_fail(c, "fork: %s", strerror(errno));
    for (waited = 0; waited < HT_START_TIMEOUT_MS; waited += 20) {
        if (waitpid(c->scimd, &status, WNOHANG) == c->scimd)
            break;
        if (port_open(c->port))
            return 0;
        sleep_ms(20);
    }
    if (waited >= HT_START_TIMEOUT_MS) {
        ht_scimd_stop(c, SIGKILL, 0);
        ht_fail(c, "scimd did not listen on port %d within %d s", c->port,
                HT_START_TIMEOUT_MS / 1000);
        show_log_tail(c, logpos);
        return -1;
    }
    c->scimd = -1;
    ht_read_file(c->log, &log);
    taken = log.len > logpos && strstr(log.data + logpos, "in use") != NULL;
    ht_buf_free(&log);
    if (taken)
        return 1;
    describe_status(status, why, sizeof(why));
    ht_fail(c, "scimd exited during start-up (%s)", why);
    show_log_tail(c, logpos);
    return -1;
}

int
ht_scimd_start(struct ht_case *c)
{
    const json_t *extra = json_object_get(c->doc, "scimdArgs");
    char exe[PATH_MAX + 16];
    char listen[64];
    char *argv[40];
    json_t *args = extra != NULL ? ht_subst(c, extra) : json_array();
    size_t i;
    int attempt;
    int rc = -1;

    if (args == NULL || json_array_size(args) > 32)
        goto out;
    snprintf(exe, sizeof(exe), "%s/scimd", c->bin);
    argv[0] = exe;
    argv[1] = (char *)"--db";
    argv[2] = c->db;
    argv[3] = (char *)"--listen";
    argv[4] = listen;
    for (i = 0; i < json_array_size(args); i++)
        argv[5 + i] = (char *)json_string_value(json_array_get(args, i));
    argv[5 + i] = NULL;

    /* Restarts keep the port; a clash (another process took it) moves. */
    for (attempt = 0; attempt < 5; attempt++) {
        if (c->port == 0 || attempt > 0)
            c->port = free_port();
        snprintf(listen, sizeof(listen), "127.0.0.1:%d", c->port);
        rc = start_once(c, argv, log_size(c));
        if (rc != 1)
            break;
    }
    if (rc == 1)
        rc = ht_fail(c, "scimd: no free port after 5 attempts");

out:
    json_decref(args);
    return rc;
}

int
ht_scimd_stop(struct ht_case *c, int sig, int check_exit)
{
    char why[96];
    int status = 0;

    if (c->scimd <= 0)
        return 0;
    kill(c->scimd, sig);
    if (!wait_for(c->scimd, HT_STOP_TIMEOUT_MS, &status)) {
        kill(c->scimd, SIGKILL);
        waitpid(c->scimd, &status, 0);
        c->scimd = -1;
        return ht_fail(c, "scimd did not exit within %d s of signal %d",
                       HT_STOP_TIMEOUT_MS / 1000, sig);
    }
    c->scimd = -1;
    if (check_exit && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        describe_status(status, why, sizeof(why));
        ht_fail(c, "scimd did not exit cleanly on SIGTERM (%s)", why);
        show_log_tail(c, 0);
        return -1;
    }
    return 0;
}

int
ht_sanitizer_scan(struct ht_case *c)
{
    static const char *marks[] = {
        "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
    };
    struct ht_buf log = { 0 };
    const char *hit = NULL;
    size_t i;

    if (ht_read_file(c->log, &log) != 0)
        return 0;
    for (i = 0; i < sizeof(marks) / sizeof(marks[0]) && hit == NULL; i++)
        hit = strstr(log.data, marks[i]);
    if (hit != NULL) {
        ht_fail(c, "sanitizer report in scimd stderr");
        ht_show(c, "scimd stderr", hit, strlen(hit));
    }
    ht_buf_free(&log);
    return hit != NULL ? -1 : 0;
}

/* A string or an array of strings, as a list. */
static size_t
list_size(const json_t *v)
{
    return json_is_string(v) ? 1 : json_array_size(v);
}

static const json_t *
list_get(const json_t *v, size_t i)
{
    return json_is_string(v) ? v : json_array_get(v, i);
}

static int
check_cli_output(struct ht_case *c, const json_t *step, struct ht_buf *out)
{
    const json_t *exp = json_object_get(step, "expect");
    const json_t *save = json_object_get(step, "save");
    struct ht_buf why = { 0 };
    const json_t *found;
    json_t *doc = NULL;
    json_t *copy = NULL;
    const char *var;
    json_t *item;
    char *s;
    int rc = -1;

    if (exp == NULL && save == NULL)
        return 0;
    doc = json_loadb(out->data ? out->data : "", out->len, 0, NULL);
    if (doc == NULL) {
        ht_fail(c, "scimctl stdout is not JSON");
        goto out;
    }
    json_object_foreach((json_t *)save, var, item) {
        if (ht_path(doc, json_string_value(item), &found) == 0) {
            ht_fail(c, "nothing at %s in stdout to save as ${%s}",
                    json_string_value(item), var);
            goto out;
        }
        s = ht_value_str(found);
        ht_var_set(c, var, s);
        free(s);
    }
    copy = exp != NULL ? ht_subst(c, exp) : NULL;
    if (exp != NULL && (copy == NULL || !ht_match(copy, doc, 0, &why))) {
        ht_fail(c, "scimctl stdout %s", why.data ? why.data : "");
        goto out;
    }
    rc = 0;

out:
    json_decref(doc);
    json_decref(copy);
    ht_buf_free(&why);
    return rc;
}

static int
check_regex_list(struct ht_case *c, const json_t *list, const char *text,
                 const char *what, int quiet)
{
    struct ht_buf why = { 0 };
    size_t i;
    char *re;
    int ok = 1;

    for (i = 0; i < list_size(list) && ok == 1; i++) {
        re = ht_subst_str(c, json_string_value(list_get(list, i)));
        if (re == NULL)
            return -1;
        ok = ht_regex(re, text, REG_NEWLINE, &why);
        if (ok != 1 && !quiet)
            ht_fail(c, "%s does not match /%s/ %s", what, re,
                    why.data ? why.data : "");
        free(re);
    }
    ht_buf_free(&why);
    return ok == 1 ? 0 : -1;
}

int
ht_step_cli(struct ht_case *c, const json_t *step)
{
    const json_t *want = json_object_get(step, "exit");
    const char *keep = json_string_value(json_object_get(step,
                                                         "saveStdout"));
    struct ht_buf out = { 0 };
    struct ht_buf err = { 0 };
    json_t *args = ht_subst(c, json_object_get(step, "cli"));
    int code = 0;
    int rc = -1;

    if (args == NULL || run_scimctl(c, args, &code, &out, &err) != 0)
        goto out;
    ht_buf_add(&out, "", 0);
    ht_buf_add(&err, "", 0);
    if (code != (want != NULL ? json_integer_value(want) : 0)) {
        ht_fail(c, "scimctl: exit expected %lld, got %d",
                want != NULL ? (long long)json_integer_value(want) : 0LL,
                code);
    } else if (check_regex_list(c, json_object_get(step, "stdoutRegex"),
                                out.data, "scimctl stdout", 0) == 0 &&
               check_regex_list(c, json_object_get(step, "stderrRegex"),
                                err.data, "scimctl stderr", 0) == 0 &&
               check_cli_output(c, step, &out) == 0) {
        trim(&out);
        if (keep != NULL)
            ht_var_set(c, keep, out.data);
        rc = 0;
    }
    if (rc != 0) {
        ht_show(c, "scimctl stdout", out.data, out.len);
        ht_show(c, "scimctl stderr", err.data, err.len);
    }

out:
    json_decref(args);
    ht_buf_free(&out);
    ht_buf_free(&err);
    return rc;
}

/* Literal (not regex) absence of each string of list in text. */
static int
check_absent_list(struct ht_case *c, const json_t *list, const char *text,
                  size_t len, const char *what)
{
    size_t i;
    char *s;
    int found;

    for (i = 0; i < list_size(list); i++) {
        s = ht_subst_str(c, json_string_value(list_get(list, i)));
        if (s == NULL)
            return -1;
        found = *s != '\0' && memmem(text, len, s, strlen(s)) != NULL;
        if (found)
            ht_fail(c, "%s contains \"%s\"", what, s);
        free(s);
        if (found)
            return -1;
    }
    return 0;
}

int
ht_step_log(struct ht_case *c, const json_t *step)
{
    const json_t *want = json_object_get(step, "logRegex");
    struct ht_buf log = { 0 };
    long waited = 0;
    int rc;

    /* The access line may be written just after the response is sent. */
    for (;;) {
        log.len = 0;
        ht_read_file(c->log, &log);
        ht_buf_add(&log, "", 0);
        if (check_regex_list(c, want, log.data, "", 1) == 0 ||
            waited >= HT_LOG_WAIT_MS)
            break;
        sleep_ms(100);
        waited += 100;
    }
    rc = check_regex_list(c, want, log.data, "scimd stderr", 0);
    if (rc == 0)
        rc = check_absent_list(c, json_object_get(step, "logAbsent"),
                               log.data, log.len, "scimd stderr");
    if (rc != 0)
        ht_show(c, "scimd stderr (tail)",
                log.data + (log.len > HT_SHOW_MAX ? log.len - HT_SHOW_MAX
                                                  : 0),
                log.len > HT_SHOW_MAX ? HT_SHOW_MAX : log.len);
    ht_buf_free(&log);
    return rc;
}

/*
 * pg_dump of the case's database, for dbAbsent on PostgreSQL.
 * Limitation: this searches what SQL can read (a data-only dump), not
 * the server's WAL or free pages, which the cluster shares across cases.
 */
static int
pg_dump_into(struct ht_case *c, struct ht_buf *out)
{
    char fout[PATH_MAX + 16];
    char ferr[PATH_MAX + 16];
    char *argv[] = { (char *)"/usr/bin/env", (char *)"pg_dump",
                     (char *)"--data-only", c->db, NULL };
    int status;
    pid_t pid;

    snprintf(fout, sizeof(fout), "%s/pg_dump.out", c->dir);
    snprintf(ferr, sizeof(ferr), "%s/pg_dump.err", c->dir);
    unlink(fout);
    pid = spawn(argv, fout, ferr);
    if (pid < 0 || !wait_for(pid, HT_CLI_TIMEOUT_MS, &status) ||
        !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return ht_fail(c, "pg_dump of %s failed (see %s)", c->pgname, ferr);
    return ht_read_file(fout, out);
}

int
ht_step_db(struct ht_case *c, const json_t *step)
{
    static const char *suffix[] = { "", "-wal", "-shm", "-journal" };
    struct ht_buf all = { 0 };
    char path[PATH_MAX + 16];
    size_t i;
    int rc;

    if (c->backend == HT_POSTGRES) {
        if (pg_dump_into(c, &all) != 0) {
            ht_buf_free(&all);
            return -1;
        }
    }
    for (i = 0; c->backend == HT_SQLITE && i < 4; i++) {
        snprintf(path, sizeof(path), "%s%s", c->db, suffix[i]);
        ht_read_file(path, &all);
    }
    ht_buf_add(&all, "", 0);
    rc = check_absent_list(c, json_object_get(step, "dbAbsent"), all.data,
                           all.len, "the database");
    ht_buf_free(&all);
    return rc;
}
