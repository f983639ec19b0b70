/* SPDX-License-Identifier: MIT */
/*
 * scimctl diagnose: answers "why did this user not provision?" from the
 * SCIM log, and "what is broken for everyone?" for a tenant.
 *
 *   diagnose --user X [--tenant NAME] [--at T] [--window 30m] [--json]
 *   diagnose --tenant NAME [--since T] [--until T] [--json]
 *   diagnose [--since T] [--until T] [--json]      (every tenant)
 *
 * For a user, every failed exchange in the window around --at becomes a
 * finding: what the identity provider sent, why scimd refused it and
 * what to change in that identity provider's console (explain.c), with
 * the exchanges just before and after it. Successful exchanges that
 * dropped unknown attributes are findings too, since they lose data
 * silently. Requests that carry no user of their own (a PATCH to the
 * collection, a stale SCIM id, a wrong token) are found by the user's
 * name or any SCIM id the user ever had appearing in their URL or body.
 * For a tenant (or all of them, which includes the 401s that name no
 * tenant), failures are grouped by cause and attribute, biggest first,
 * so one broken mapping shows as one problem with its count.
 * The exit status is 0 whenever the log could be read, findings or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "explain.h"

#define DEFAULT_WINDOW_MS (30LL * 60 * 1000)
#define DEFAULT_SINCE_MS (24LL * 3600 * 1000)
#define CONTEXT_BEFORE 5        /* timeline entries shown before a finding */
#define CONTEXT_AFTER 2         /* and after it */
#define WRAP 78

#define DIAG_USAGE \
    "usage: diagnose --user X [--tenant NAME] [--at T] [--window 30m]" \
    " [--json]\n       diagnose --tenant NAME [--since T] [--until T]" \
    " [--json]"

struct diag_opts {
    const char *user;
    const char *tenant;
    int64_t at, window, since, until;
    int json;
};

/* ---- Options ---------------------------------------------------------- */

static int
time_opt(const char *name, const char *v, int64_t *out, int duration)
{
    int rc = duration ? cli_duration(v, out) : cli_time(v, out);

    if (rc != 0)
        return cli_fail("cannot read %s '%s'%s", name, v,
                        duration ? ": use a duration such as 30m, 2h or 1d"
                                 : CLI_TIME_HELP);
    return 0;
}

static int
value_opt(const char *a, const char *v, struct diag_opts *o)
{
    if (strcmp(a, "--user") == 0)
        o->user = v;
    else if (strcmp(a, "--tenant") == 0)
        o->tenant = v;
    else if (strcmp(a, "--at") == 0)
        return time_opt(a, v, &o->at, 0);
    else if (strcmp(a, "--window") == 0)
        return time_opt(a, v, &o->window, 1);
    else if (strcmp(a, "--since") == 0)
        return time_opt(a, v, &o->since, 0);
    else if (strcmp(a, "--until") == 0)
        return time_opt(a, v, &o->until, 0);
    else
        return cli_fail("diagnose: unknown option '%s'\n" DIAG_USAGE, a);
    return 0;
}

static int
parse_opts(struct store *s, int argc, char **argv, struct diag_opts *o)
{
    struct store_tenant t;
    int i, rc;

    o->window = DEFAULT_WINDOW_MS;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            o->json = 1;
        else if (i + 1 >= argc)
            return cli_fail(DIAG_USAGE);
        else if ((rc = value_opt(argv[i], argv[i + 1], o)) != 0)
            return rc;
        else
            i++;
    }
    if (o->tenant != NULL) {
        if (cli_tenant(s, o->tenant, &t) != 0)
            return 1;
        store_tenant_free(&t);
    }
    return 0;
}

/* ---- Small helpers ---------------------------------------------------- */

static const char *
str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int64_t
row_time(const json_t *row)
{
    return json_integer_value(json_object_get(row, "time_ms"));
}

static int
row_status(const json_t *row)
{
    return (int)json_integer_value(json_object_get(row, "status"));
}

static int
same_row(const json_t *a, const json_t *b)
{
    const char *ra = str(a, "request_id"), *rb = str(b, "request_id");

    return row_time(a) == row_time(b) && ra != NULL && rb != NULL &&
           strcmp(ra, rb) == 0;
}

struct sorted {
    json_t *row;
    size_t idx;
};

/* By time; equal times keep the store's order (qsort is not stable). */
static int
by_time(const void *a, const void *b)
{
    const struct sorted *x = a, *y = b;
    int64_t ta = row_time(x->row), tb = row_time(y->row);

    if (ta != tb)
        return ta < tb ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sorts a JSON array of rows by time, oldest first. */
static void
sort_rows(json_t *rows)
{
    size_t n = json_array_size(rows), i;
    struct sorted *v = n > 0 ? malloc(n * sizeof(*v)) : NULL;

    if (v == NULL)
        return;
    for (i = 0; i < n; i++) {
        v[i].row = json_incref(json_array_get(rows, i));
        v[i].idx = i;
    }
    qsort(v, n, sizeof(*v), by_time);
    json_array_clear(rows);
    for (i = 0; i < n; i++)
        json_array_append_new(rows, v[i].row);
    free(v);
}

/*
 * Prints text after a label, wrapped at WRAP columns, continuation
 * lines indented under the text.
 */
static void
wrapped(const char *label, const char *text)
{
    size_t indent = strlen(label), col = indent, w;
    const char *p = text != NULL ? text : "-";

    fputs(label, stdout);
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        w = strcspn(p, " ");
        if (w == 0)
            break;
        if (col > indent && col + 1 + w > WRAP) {
            printf("\n%*s", (int)indent, "");
            col = indent;
        }
        if (col > indent) {
            fputc(' ', stdout);
            col++;
        }
        fwrite(p, 1, w, stdout);
        col += w;
        p += w;
    }
    fputc('\n', stdout);
}

/* ---- Finding the user's exchanges -------------------------------------- */

/* Case-insensitive substring test; needles under 3 bytes never match. */
static int
mentions(const char *hay, const char *needle)
{
    return hay != NULL && needle != NULL && strlen(needle) >= 3 &&
           strcasestr(hay, needle) != NULL;
}

/*
 * Does a row with no user of its own concern the user? Its decoded URL
 * or its body names the user or one of the user's SCIM ids.
 */
static int
row_mentions(const json_t *row, const json_t *needles)
{
    const char *path = str(row, "path");
    char *url = path != NULL ? explain_decode(path, strlen(path)) : NULL;
    json_t *body = json_object_get(row, "request_body");
    char *text = body != NULL ? json_dumps(body, JSON_ENCODE_ANY) : NULL;
    const json_t *n;
    size_t i;
    int hit = 0;

    json_array_foreach(needles, i, n) {
        if (mentions(url, json_string_value(n)) ||
            mentions(text, json_string_value(n)))
            hit = 1;
        if (hit)
            break;
    }
    free(url);
    free(text);
    return hit;
}

/* The user as typed plus every SCIM id the log ever tied to it. */
static json_t *
user_needles(struct store *s, const struct diag_opts *o)
{
    struct store_log_query q = { 0 };
    json_t *rows = NULL, *needles = json_array(), *row, *seen;
    const char *id;
    size_t i;

    json_array_append_new(needles, json_string(o->user));
    q.tenant = o->tenant;
    q.user = o->user;
    q.until_ms = o->at + o->window;
    /* Limitation: reads the user's whole history up to the window to
     * learn old SCIM ids; a very busy user makes this slow. */
    seen = json_object();
    if (store_log_query(s, &q, &rows) == SCIM_OK) {
        json_array_foreach(rows, i, row) {
            id = str(row, "resource_id");
            if (id == NULL || json_object_get(seen, id) != NULL)
                continue;
            json_object_set_new(seen, id, json_true());
            json_array_append_new(needles, json_string(id));
        }
    }
    json_decref(seen);
    json_decref(rows);
    return needles;
}

struct user_scan {
    json_t *rows;           /* the user's exchanges, oldest first */
    json_t *unauth_last;    /* latest 401 naming no one */
    long unauth;            /* how many of those */
};

static int
in_rows(const json_t *rows, const json_t *row)
{
    const json_t *r;
    size_t i;

    json_array_foreach(rows, i, r)
        if (same_row(r, row))
            return 1;
    return 0;
}

/*
 * Adds the window's failed requests that carry no user but mention one
 * of the needles, and counts the 401s that mention no one: a wrong
 * token breaks every user, so the diagnosis must say so.
 */
static int
add_mentions(struct store *s, const struct diag_opts *o, json_t *needles,
             struct user_scan *u)
{
    struct store_log_query q = { 0 };
    json_t *rows = NULL, *row;
    const char *t;
    size_t i;

    q.since_ms = o->at - o->window;
    q.until_ms = o->at + o->window;
    q.failed_only = 1;
    if (store_log_query(s, &q, &rows) != SCIM_OK) {
        json_decref(rows);
        return -1;
    }
    json_array_foreach(rows, i, row) {
        t = str(row, "tenant");
        if ((o->tenant != NULL && t != NULL && strcmp(t, o->tenant) != 0) ||
            in_rows(u->rows, row))
            continue;
        if (row_mentions(row, needles)) {
            json_object_set_new(row, "matched", json_string("mention"));
            json_array_append(u->rows, row);
        } else if (row_status(row) == 401 && t == NULL) {
            u->unauth++;
            json_decref(u->unauth_last);
            u->unauth_last = json_incref(row);
        }
    }
    json_decref(rows);
    return 0;
}

static int
scan_user(struct store *s, const struct diag_opts *o, struct user_scan *u)
{
    struct store_log_query q = { 0 };
    json_t *needles;
    int rc;

    q.tenant = o->tenant;
    q.user = o->user;
    q.since_ms = o->at - o->window;
    q.until_ms = o->at + o->window;
    if (store_log_query(s, &q, &u->rows) != SCIM_OK)
        return -1;
    needles = user_needles(s, o);
    rc = add_mentions(s, o, needles, u);
    json_decref(needles);
    sort_rows(u->rows);
    return rc;
}

/* ---- Findings for a user ---------------------------------------------- */

static json_t *
timeline_entry(const json_t *row)
{
    char when[CLI_TIME_LEN];
    json_t *e;

    cli_time_format(row_time(row), when);
    e = json_pack("{s:s, s:O, s:O, s:i}", "time", when,
                  "method", json_object_get(row, "method"),
                  "path", json_object_get(row, "path"),
                  "status", row_status(row));
    if (e == NULL)
        return NULL;
    json_object_set_new(e, "cause", str(row, "cause") != NULL
                            ? json_string(str(row, "cause")) : json_null());
    json_object_set_new(e, "attribute", str(row, "attribute") != NULL
                            ? json_string(str(row, "attribute"))
                            : json_null());
    json_object_set(e, "request_id", json_object_get(row, "request_id"));
    return e;
}

/* The exchanges around rows[at]: a few before and after it. */
static json_t *
context(const json_t *rows, size_t at)
{
    size_t from = at > CONTEXT_BEFORE ? at - CONTEXT_BEFORE : 0, i;
    json_t *a = json_array();

    for (i = from; i < json_array_size(rows) && i <= at + CONTEXT_AFTER;
         i++)
        json_array_append_new(a, timeline_entry(json_array_get(rows, i)));
    return a;
}

static void
add_finding(json_t *findings, const json_t *rows, size_t at,
            enum scim_cause cause, const char *attr)
{
    const json_t *row = json_array_get(rows, at);
    json_t *f = explain_finding(row, cause, attr);

    if (f == NULL)
        return;
    json_object_set_new(f, "matched", json_string(
        str(row, "matched") != NULL ? str(row, "matched") : "user"));
    json_object_set_new(f, "timeline", context(rows, at));
    json_array_append_new(findings, f);
}

/* A wrong or missing token hides who the request was for. */
static void
add_unauth(json_t *findings, const struct user_scan *u)
{
    json_t *f, *row = u->unauth_last;
    char *text;

    if (u->unauth == 0 || row == NULL)
        return;
    f = explain_finding(row, SCIM_CAUSE_UNAUTHORIZED, NULL);
    if (f == NULL)
        return;
    if (asprintf(&text, "%ld request%s in this window %s refused for "
                 "authentication; such requests name no user, so they "
                 "may be this user's. %s", u->unauth,
                 u->unauth == 1 ? "" : "s", u->unauth == 1 ? "was" : "were",
                 str(f, "explanation") != NULL ? str(f, "explanation")
                                               : "") >= 0) {
        json_object_set_new(f, "explanation", json_string(text));
        free(text);
    }
    json_object_set_new(f, "matched", json_string("unattributed"));
    json_object_set_new(f, "count", json_integer(u->unauth));
    json_array_append_new(findings, f);
}

static json_t *
user_findings(const struct user_scan *u)
{
    json_t *findings = json_array(), *row, *ign;
    size_t i, j;

    json_array_foreach(u->rows, i, row) {
        if (row_status(row) >= 400) {
            add_finding(findings, u->rows, i, explain_row_cause(row), NULL);
            continue;
        }
        /* Accepted, but attributes were dropped: data lost silently. */
        json_array_foreach(json_object_get(row, "ignored"), j, ign)
            if (json_is_string(ign))
                add_finding(findings, u->rows, i,
                            SCIM_CAUSE_IGNORED_ATTRIBUTE,
                            json_string_value(ign));
    }
    add_unauth(findings, u);
    return findings;
}

/* ---- Text output for a user ------------------------------------------- */

static void
print_timeline(const json_t *rows)
{
    char when[CLI_TIME_LEN];
    const json_t *row;
    size_t i;

    printf("Timeline (oldest first):\n");
    if (json_array_size(rows) == 0)
        printf("  (no exchanges for this user in the window)\n");
    json_array_foreach(rows, i, row) {
        cli_time_format(row_time(row), when);
        printf("  %s  %-6s %-40s %3d%s%s%s%s\n", when,
               str(row, "method") != NULL ? str(row, "method") : "-",
               str(row, "path") != NULL ? str(row, "path") : "-",
               row_status(row), str(row, "cause") != NULL ? " " : "",
               str(row, "cause") != NULL ? str(row, "cause") : "",
               str(row, "attribute") != NULL ? " " : "",
               str(row, "attribute") != NULL ? str(row, "attribute") : "");
    }
}

static void
print_finding(size_t n, const json_t *f)
{
    printf("\nFinding %zu: %s %s -> %d at %s\n", n, str(f, "method"),
           str(f, "path"),
           (int)json_integer_value(json_object_get(f, "status")),
           str(f, "time"));
    printf("  Request id: %s   Identity provider: %s\n",
           str(f, "request_id") != NULL ? str(f, "request_id") : "-",
           str(f, "idp"));
    wrapped("  Sent:    ", str(f, "sent"));
    wrapped("  Why:     ", str(f, "explanation"));
    wrapped("  Fix:     ", str(f, "fix"));
}

static void
print_user(const struct diag_opts *o, const struct user_scan *u,
           const json_t *findings)
{
    char from[CLI_TIME_LEN], to[CLI_TIME_LEN];
    const json_t *f;
    size_t i;

    cli_time_format(o->at - o->window, from);
    cli_time_format(o->at + o->window, to);
    printf("Diagnosis for %s%s%s, %s .. %s\n", o->user,
           o->tenant != NULL ? " in tenant " : "",
           o->tenant != NULL ? o->tenant : "", from, to);
    print_timeline(u->rows);
    json_array_foreach(findings, i, f)
        print_finding(i + 1, f);
    if (json_array_size(findings) == 0)
        printf("\nNo failed exchanges and no dropped attributes for this "
               "user in the window.\n");
}

static int
print_json(const json_t *v)
{
    int rc = json_dumpf(v, stdout, JSON_INDENT(2));

    fputc('\n', stdout);
    return rc == 0 ? 0 : cli_fail("cannot write the output");
}

static int
diagnose_user(struct store *s, struct diag_opts *o)
{
    struct user_scan u = { 0 };
    json_t *findings;
    int rc = 0;

    if (o->at == 0)
        o->at = cli_now_ms();
    if (scan_user(s, o, &u) != 0) {
        rc = cli_fail("cannot read the SCIM log from the database");
        goto out;
    }
    findings = user_findings(&u);
    if (o->json)
        rc = print_json(findings);
    else
        print_user(o, &u, findings);
    json_decref(findings);

out:
    json_decref(u.rows);
    json_decref(u.unauth_last);
    return rc;
}

/* ---- Summary for a tenant --------------------------------------------- */

/* Who a row is about, for counting distinct users; NULL when no one. */
static const char *
row_who(const json_t *row)
{
    const char *w = str(row, "resource_id");

    if (w == NULL)
        w = str(row, "user_name");
    if (w == NULL)
        w = str(row, "external_id");
    if (w == NULL)
        w = json_string_value(json_array_get(json_object_get(row,
                                                             "emails"), 0));
    return w;
}

/* "emails[0].value" and "emails[1].value" are one problem. */
static char *
group_attr(const char *attr)
{
    char *out = strdup(attr != NULL ? attr : ""), *o = out;
    const char *p;

    if (out == NULL)
        return NULL;
    for (p = attr != NULL ? attr : ""; *p != '\0'; p++) {
        *o++ = *p;
        if (*p == '[' && p[1] >= '0' && p[1] <= '9') {
            *o++ = '*';
            p += strspn(p + 1, "0123456789");
        }
    }
    *o = '\0';
    return out;
}

static json_t *
new_group(const json_t *row, enum scim_cause cause, const char *attr)
{
    json_t *g = json_object();

    json_object_set_new(g, "cause", json_string(scim_cause_name(cause)));
    json_object_set_new(g, "attribute", *attr != '\0' ? json_string(attr)
                                                      : json_null());
    json_object_set_new(g, "count", json_integer(0));
    json_object_set_new(g, "users", json_integer(0));
    json_object_set_new(g, "first_ms", json_integer(row_time(row)));
    json_object_set_new(g, "who", json_object());
    return g;
}

/* Counts row into the group of (cause, attr), creating it. */
static void
tally(json_t *groups, const json_t *row, enum scim_cause cause,
      const char *attr)
{
    char *ga = group_attr(attr);
    char *key = NULL;
    json_t *g, *who;
    const char *w = row_who(row);

    if (ga == NULL || asprintf(&key, "%s\x1f%s", scim_cause_name(cause),
                               ga) < 0) {
        free(ga);
        return;
    }
    g = json_object_get(groups, key);
    if (g == NULL) {
        g = new_group(row, cause, ga);
        json_object_set_new(groups, key, g);
    }
    json_object_set_new(g, "count", json_integer(
        json_integer_value(json_object_get(g, "count")) + 1));
    who = json_object_get(g, "who");
    if (w != NULL)
        json_object_set_new(who, w, json_true());
    json_object_set_new(g, "users", json_integer(
        (json_int_t)json_object_size(who)));
    json_object_set_new(g, "last_ms", json_integer(row_time(row)));
    json_object_set(g, "example", (json_t *)row);
    free(key);
    free(ga);
}

static json_t *
tenant_groups(const json_t *rows)
{
    json_t *groups = json_object(), *row, *ign;
    char *attr;
    size_t i, j;

    json_array_foreach(rows, i, row) {
        if (row_status(row) >= 400) {
            attr = explain_attr(row);
            tally(groups, row, explain_row_cause(row), attr);
            free(attr);
            continue;
        }
        json_array_foreach(json_object_get(row, "ignored"), j, ign)
            if (json_is_string(ign))
                tally(groups, row, SCIM_CAUSE_IGNORED_ATTRIBUTE,
                      json_string_value(ign));
    }
    return groups;
}

static int
by_count(const void *a, const void *b)
{
    const json_t *ga = *(json_t *const *)a, *gb = *(json_t *const *)b;
    json_int_t ca = json_integer_value(json_object_get(ga, "count"));
    json_int_t cb = json_integer_value(json_object_get(gb, "count"));
    const char *na = str(ga, "cause"), *nb = str(gb, "cause");

    if (ca != cb)
        return ca > cb ? -1 : 1;
    return strcmp(na, nb);
}

/* A group in its printed form: example and fix instead of internals. */
static json_t *
group_out(const json_t *g)
{
    const json_t *ex = json_object_get(g, "example");
    enum scim_cause cause = scim_cause_from_name(str(g, "cause"));
    const char *attr = str(g, "attribute");
    enum explain_idp idp = explain_idp_of(str(ex, "user_agent"),
                                          str(ex, "path"));
    char first[CLI_TIME_LEN], last[CLI_TIME_LEN], *fix;
    json_t *o;

    if (strcmp(str(g, "cause"), "internal") == 0)
        cause = SCIM_CAUSE_INTERNAL;
    cli_time_format(json_integer_value(json_object_get(g, "first_ms")),
                    first);
    cli_time_format(json_integer_value(json_object_get(g, "last_ms")),
                    last);
    fix = explain_fix(cause, idp, attr, str(ex, "tenant"));
    o = json_pack("{s:O, s:O, s:O, s:O, s:s, s:s, s:O, s:O, s:O, s:O,"
                  " s:s, s:s, s:s?}",
                  "cause", json_object_get(g, "cause"),
                  "attribute", json_object_get(g, "attribute"),
                  "count", json_object_get(g, "count"),
                  "users", json_object_get(g, "users"),
                  "first_time", first, "last_time", last,
                  "example_request_id", json_object_get(ex, "request_id"),
                  "status", json_object_get(ex, "status"),
                  "method", json_object_get(ex, "method"),
                  "path", json_object_get(ex, "path"),
                  "idp", explain_idp_name(idp),
                  "explanation", explain_meaning(cause),
                  "fix", fix);
    free(fix);
    return o;
}

static json_t *
summary(const json_t *rows)
{
    json_t *groups = tenant_groups(rows), *out = json_array(), *g;
    size_t n = json_object_size(groups), i = 0;
    json_t **v = n > 0 ? malloc(n * sizeof(*v)) : NULL;
    const char *key;

    json_object_foreach(groups, key, g)
        if (v != NULL)
            v[i++] = g;
    if (v != NULL)
        qsort(v, n, sizeof(*v), by_count);
    for (i = 0; v != NULL && i < n; i++)
        json_array_append_new(out, group_out(v[i]));
    free(v);
    json_decref(groups);
    return out;
}

static void
print_summary(const struct diag_opts *o, const json_t *groups)
{
    char from[CLI_TIME_LEN];
    const json_t *g;
    size_t i;

    cli_time_format(o->since, from);
    printf("Failures%s%s since %s, by cause and attribute:\n",
           o->tenant != NULL ? " in tenant " : "",
           o->tenant != NULL ? o->tenant : "", from);
    if (json_array_size(groups) == 0)
        printf("  none: no failed exchanges and no dropped attributes.\n");
    json_array_foreach(groups, i, g) {
        printf("\n%lld x %s %s (%lld user%s, %s .. %s)\n",
               (long long)json_integer_value(json_object_get(g, "count")),
               str(g, "cause"),
               str(g, "attribute") != NULL ? str(g, "attribute") : "",
               (long long)json_integer_value(json_object_get(g, "users")),
               json_integer_value(json_object_get(g, "users")) == 1
                   ? "" : "s",
               str(g, "first_time"), str(g, "last_time"));
        printf("  Example: %s %s -> %lld, request %s\n", str(g, "method"),
               str(g, "path"),
               (long long)json_integer_value(json_object_get(g, "status")),
               str(g, "example_request_id") != NULL
                   ? str(g, "example_request_id") : "-");
        wrapped("  Why:     ", str(g, "explanation"));
        wrapped("  Fix:     ", str(g, "fix"));
    }
}

static int
diagnose_tenant(struct store *s, struct diag_opts *o)
{
    struct store_log_query q = { 0 };
    json_t *rows = NULL, *groups;
    int rc = 0;

    if (o->since == 0)
        o->since = cli_now_ms() - DEFAULT_SINCE_MS;
    q.tenant = o->tenant;
    q.since_ms = o->since;
    q.until_ms = o->until;
    /* Limitation: every record of the period is read, bodies included,
     * because dropped attributes hide in successful exchanges too. */
    if (store_log_query(s, &q, &rows) != SCIM_OK) {
        json_decref(rows);
        return cli_fail("cannot read the SCIM log from the database");
    }
    groups = summary(rows);
    if (o->json)
        rc = print_json(groups);
    else
        print_summary(o, groups);
    json_decref(groups);
    json_decref(rows);
    return rc;
}

int
cmd_diagnose(struct store *s, int argc, char **argv)
{
    struct diag_opts o;
    int rc;

    memset(&o, 0, sizeof(o));
    rc = parse_opts(s, argc, argv, &o);
    if (rc != 0)
        return rc;
    if (o.user != NULL)
        return diagnose_user(s, &o);
    return diagnose_tenant(s, &o);
}
