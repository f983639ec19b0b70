/* SPDX-License-Identifier: MIT */
/*
 * scimctl log: lists SCIM exchanges from the database log, oldest first,
 * as a table for people or, with --json, as one JSON array for scripts.
 *
 *   log [--tenant NAME] [--user X] [--since T] [--until T] [--failed]
 *       [--limit N] [--json]
 *
 * The JSON field names are a contract with scripts outside this
 * repository: request_id, time (RFC 3339 UTC with milliseconds), tenant,
 * method, path, status, user_name, emails, cause, attribute,
 * request_body, response_body and the others below never change name.
 * Bodies are printed as the server stored them, passwords already
 * redacted; the bearer token is never part of a record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explain.h"

struct log_opts {
    struct store_log_query q;
    int json;
};

/* Table columns, and the widest each may grow before it is cut. */
enum { C_TIME, C_TENANT, C_METHOD, C_PATH, C_STATUS, C_USER, C_CAUSE,
       C_REQ, C_COUNT };

static const struct {
    const char *title;
    size_t cap;
} columns[C_COUNT] = {
    { "TIME", 24 }, { "TENANT", 16 }, { "METHOD", 6 }, { "PATH", 48 },
    { "STATUS", 6 }, { "USER", 32 }, { "CAUSE", 40 }, { "REQUEST", 40 },
};

#define LOG_USAGE "usage: log [--tenant NAME] [--user X] [--since T] " \
                  "[--until T] [--failed] [--limit N] [--json]"

/* Options with a value; returns 0, or the exit status of a failure. */
static int
value_opt(const char *a, const char *v, struct log_opts *o)
{
    char *end;

    if (strcmp(a, "--tenant") == 0)
        o->q.tenant = v;
    else if (strcmp(a, "--user") == 0)
        o->q.user = v;
    else if (strcmp(a, "--since") == 0) {
        if (cli_time(v, &o->q.since_ms) != 0)
            return cli_fail("cannot read --since '%s'%s", v, CLI_TIME_HELP);
    } else if (strcmp(a, "--until") == 0) {
        if (cli_time(v, &o->q.until_ms) != 0)
            return cli_fail("cannot read --until '%s'%s", v, CLI_TIME_HELP);
    } else if (strcmp(a, "--limit") == 0) {
        o->q.limit = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || o->q.limit < 0)
            return cli_fail("--limit needs a number, not '%s'", v);
    } else {
        return cli_fail("log: unknown option '%s'\n" LOG_USAGE, a);
    }
    return 0;
}

static int
parse_opts(struct store *s, int argc, char **argv, struct log_opts *o)
{
    struct store_tenant t;
    int i, rc;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            o->json = 1;
        else if (strcmp(argv[i], "--failed") == 0)
            o->q.failed_only = 1;
        else if (i + 1 >= argc)
            return cli_fail(LOG_USAGE);
        else if ((rc = value_opt(argv[i], argv[i + 1], o)) != 0)
            return rc;
        else
            i++;
    }
    /* A misspelt tenant would list nothing and look like a quiet log. */
    if (o->q.tenant != NULL) {
        if (cli_tenant(s, o->q.tenant, &t) != 0)
            return 1;
        store_tenant_free(&t);
    }
    return 0;
}

static void
copy(json_t *o, const json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);

    json_object_set_new(o, key, v != NULL ? json_incref(v) : json_null());
}

/* One record in the contract's shape and order. */
static json_t *
row_out(const json_t *row)
{
    json_t *o = json_object(), *lat = json_object_get(row, "latency_us");
    char when[CLI_TIME_LEN];

    cli_time_format(json_integer_value(json_object_get(row, "time_ms")),
                    when);
    copy(o, row, "request_id");
    json_object_set_new(o, "time", json_string(when));
    copy(o, row, "tenant");
    copy(o, row, "client");
    copy(o, row, "user_agent");
    copy(o, row, "method");
    copy(o, row, "path");
    copy(o, row, "status");
    json_object_set_new(o, "latency_ms", json_is_integer(lat)
        ? json_real((double)json_integer_value(lat) / 1000.0)
        : json_null());
    copy(o, row, "resource_id");
    copy(o, row, "user_name");
    copy(o, row, "emails");
    copy(o, row, "external_id");
    copy(o, row, "cause");
    copy(o, row, "attribute");
    copy(o, row, "detail");
    copy(o, row, "dialects");
    copy(o, row, "ignored");
    copy(o, row, "request_body");
    copy(o, row, "response_body");
    return o;
}

static int
print_json(const json_t *rows)
{
    json_t *out = json_array(), *row;
    size_t i;
    int rc;

    json_array_foreach(rows, i, row)
        json_array_append_new(out, row_out(row));
    rc = json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6))
             == 0 ? 0 : 1;
    fputc('\n', stdout);
    json_decref(out);
    return rc != 0 ? cli_fail("cannot write the output") : 0;
}

/* The user a row concerns, as a person would name it. */
static const char *
row_user(const json_t *row)
{
    const char *u = json_string_value(json_object_get(row, "user_name"));

    if (u == NULL)
        u = json_string_value(json_array_get(json_object_get(row, "emails"),
                                             0));
    if (u == NULL)
        u = json_string_value(json_object_get(row, "external_id"));
    if (u == NULL)
        u = json_string_value(json_object_get(row, "resource_id"));
    return u != NULL ? u : "-";
}

static void
row_cause(const json_t *row, char *buf, size_t size)
{
    const char *c = json_string_value(json_object_get(row, "cause"));
    const char *a = json_string_value(json_object_get(row, "attribute"));
    const json_t *ign = json_object_get(row, "ignored");

    if (c != NULL)
        snprintf(buf, size, "%s%s%s", c, a != NULL ? " " : "",
                 a != NULL ? a : "");
    else if (json_array_size(ign) > 0)
        snprintf(buf, size, "ignored %s%s",
                 json_string_value(json_array_get(ign, 0)) != NULL
                     ? json_string_value(json_array_get(ign, 0)) : "?",
                 json_array_size(ign) > 1 ? ",..." : "");
    else
        snprintf(buf, size, "-");
}

/* The cells of one row; strings point into row or into bufs. */
static void
row_cells(const json_t *row, const char *cell[C_COUNT], char *when,
          char *status, char *cause, size_t cause_size)
{
    const char *v;

    cli_time_format(json_integer_value(json_object_get(row, "time_ms")),
                    when);
    snprintf(status, 8, "%d",
             (int)json_integer_value(json_object_get(row, "status")));
    row_cause(row, cause, cause_size);
    cell[C_TIME] = when;
    v = json_string_value(json_object_get(row, "tenant"));
    cell[C_TENANT] = v != NULL ? v : "-";
    v = json_string_value(json_object_get(row, "method"));
    cell[C_METHOD] = v != NULL ? v : "-";
    v = json_string_value(json_object_get(row, "path"));
    cell[C_PATH] = v != NULL ? v : "-";
    cell[C_STATUS] = status;
    cell[C_USER] = row_user(row);
    cell[C_CAUSE] = cause;
    v = json_string_value(json_object_get(row, "request_id"));
    cell[C_REQ] = v != NULL ? v : "-";
}

/* Prints a cell padded to width; a longer one is cut with "...". */
static void
put_cell(const char *s, size_t width, int last)
{
    size_t n = strlen(s);

    if (n > width)
        printf("%.*s...", (int)(width - 3), s);
    else
        printf("%s%*s", s, last ? 0 : (int)(width - n), "");
    fputs(last ? "\n" : "  ", stdout);
}

static void
print_table(const json_t *rows)
{
    const char *cell[C_COUNT];
    char when[CLI_TIME_LEN], status[8], cause[320];
    size_t width[C_COUNT], i, c;
    json_t *row;

    for (c = 0; c < C_COUNT; c++)
        width[c] = strlen(columns[c].title);
    json_array_foreach(rows, i, row) {
        row_cells(row, cell, when, status, cause, sizeof(cause));
        for (c = 0; c < C_COUNT; c++)
            if (strlen(cell[c]) > width[c])
                width[c] = strlen(cell[c]) < columns[c].cap
                               ? strlen(cell[c]) : columns[c].cap;
    }
    for (c = 0; c < C_COUNT; c++)
        put_cell(columns[c].title, width[c], c + 1 == C_COUNT);
    json_array_foreach(rows, i, row) {
        row_cells(row, cell, when, status, cause, sizeof(cause));
        for (c = 0; c < C_COUNT; c++)
            put_cell(cell[c], c + 1 == C_COUNT ? strlen(cell[c]) : width[c],
                     c + 1 == C_COUNT);
    }
    if (json_array_size(rows) == 0)
        printf("(no exchanges match)\n");
}

int
cmd_log(struct store *s, int argc, char **argv)
{
    struct log_opts o;
    json_t *rows = NULL;
    int rc;

    memset(&o, 0, sizeof(o));
    rc = parse_opts(s, argc, argv, &o);
    if (rc != 0)
        return rc;
    /* Limitation: the whole result is held in memory before printing;
     * use --since/--until or --limit on very large logs. */
    if (store_log_query(s, &o.q, &rows) != SCIM_OK) {
        json_decref(rows);
        return cli_fail("cannot read the SCIM log from the database");
    }
    if (o.json)
        rc = print_json(rows);
    else
        print_table(rows);
    json_decref(rows);
    return rc;
}
