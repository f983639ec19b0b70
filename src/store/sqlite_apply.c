/* SPDX-License-Identifier: MIT */
/*
 * Applying a change set on the writer connection: resource inserts,
 * versioned updates, deletes, membership edits, and log records. Runs
 * inside the writer's savepoint, so an error here undoes only this
 * request. Unique-key violations are reported with enough context for
 * the admin: which key, and whether its holder is a deactivated user
 * (Okta re-creating a user it should have reactivated).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_db.h"
#include "store_sql.h"

static int64_t
seq_of(sqlite3 *c, int64_t tenant, const char *id, const char **rtype)
{
    sqlite3_stmt *st = sq_stmt(c, "SELECT seq, rtype FROM resources"
                                  " WHERE tenant_id = ? AND id = ?");
    int64_t seq = 0;
    static __thread char rt[16];

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, tenant);
    sq_bind_text(st, 2, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        seq = sqlite3_column_int64(st, 0);
        snprintf(rt, sizeof(rt), "%s",
                 (const char *)sqlite3_column_text(st, 1));
        if (rtype != NULL)
            *rtype = rt;
    }
    sqlite3_reset(st);
    return seq;
}

static int
conflict(sqlite3 *c, int64_t tenant, const struct store_change *ch,
         struct scim_error *err)
{
    sqlite3_stmt *st = sq_stmt(c, "SELECT active, id FROM resources"
                                  " WHERE tenant_id = ? AND rtype = ?"
                                  " AND name_key = ?");
    int inactive = 0;

    if (st != NULL && ch->keys.name_key != NULL) {
        sqlite3_bind_int64(st, 1, tenant);
        sq_bind_text(st, 2, ch->rtype);
        sq_bind_text(st, 3, ch->keys.name_key);
        if (sqlite3_step(st) == SQLITE_ROW)
            inactive = sqlite3_column_int(st, 0) == 0;
        sqlite3_reset(st);
    }
    return store_conflict(ch->rtype, inactive, err);
}

static int
put_emails(sqlite3 *c, int64_t tenant, int64_t seq,
           const struct store_keys *k)
{
    sqlite3_stmt *del = sq_stmt(c, "DELETE FROM emails WHERE res_seq = ?");
    sqlite3_stmt *ins;
    size_t i;

    if (del == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(del, 1, seq);
    if (sqlite3_step(del) != SQLITE_DONE)
        return SCIM_ESTORE;
    sqlite3_reset(del);
    for (i = 0; k->email_keys != NULL && k->email_keys[i] != NULL; i++) {
        ins = sq_stmt(c, "INSERT INTO emails(res_seq, tenant_id, value_key)"
                         " VALUES (?, ?, ?)");
        if (ins == NULL)
            return SCIM_ESTORE;
        sqlite3_bind_int64(ins, 1, seq);
        sqlite3_bind_int64(ins, 2, tenant);
        sq_bind_text(ins, 3, k->email_keys[i]);
        if (sqlite3_step(ins) != SQLITE_DONE)
            return SCIM_ESTORE;
        sqlite3_reset(ins);
    }
    return SCIM_OK;
}

static void
bind_keys(sqlite3_stmt *st, int first, const struct store_change *ch)
{
    sq_bind_text(st, first, ch->keys.external_id);
    sq_bind_text(st, first + 1, ch->keys.name_key);
    sq_bind_text(st, first + 2, ch->keys.display_key);
    sqlite3_bind_int(st, first + 3, ch->keys.active);
    sq_bind_text(st, first + 4, ch->doc);
    sq_bind_text(st, first + 5, ch->fdoc);
}

/* Keeps resource_counts exact; runs in the change's transaction. */
static int
count_add(sqlite3 *c, int64_t tenant, const char *rtype, int delta)
{
    sqlite3_stmt *st = sq_stmt(c,
        "INSERT INTO resource_counts VALUES (?, ?, 0, ?)"
        " ON CONFLICT(tenant_id, rtype, slot) DO UPDATE SET n = n + ?3");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, tenant);
    sq_bind_text(st, 2, rtype);
    sqlite3_bind_int(st, 3, delta);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SCIM_OK : SCIM_ESTORE;
}

static int
do_insert(sqlite3 *c, int64_t tenant, const struct store_change *ch,
          struct scim_error *err)
{
    sqlite3_stmt *st = sq_stmt(c,
        "INSERT INTO resources(tenant_id, rtype, id, external_id, name_key,"
        " display_key, active, doc, fdoc, version, created, modified,"
        " pw_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1,"
        " strftime('%Y-%m-%dT%H:%M:%fZ'), strftime('%Y-%m-%dT%H:%M:%fZ'),"
        " ?)");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, tenant);
    sq_bind_text(st, 2, ch->rtype);
    sq_bind_text(st, 3, ch->keys.id);
    bind_keys(st, 4, ch);
    sq_bind_text(st, 10, ch->pw_hash);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT)
        return conflict(c, tenant, ch, err);
    if (rc != SQLITE_DONE)
        return SCIM_ESTORE;
    rc = put_emails(c, tenant, sqlite3_last_insert_rowid(c), &ch->keys);
    return rc == SCIM_OK ? count_add(c, tenant, ch->rtype, 1) : rc;
}

static int
do_update(sqlite3 *c, int64_t tenant, const struct store_change *ch,
          struct scim_error *err)
{
    sqlite3_stmt *st = sq_stmt(c,
        "UPDATE resources SET external_id = ?, name_key = ?,"
        " display_key = ?, active = ?, doc = ?, fdoc = ?,"
        " version = version + 1,"
        " modified = strftime('%Y-%m-%dT%H:%M:%fZ'),"
        " pw_hash = CASE WHEN ? THEN pw_hash ELSE ? END"
        " WHERE tenant_id = ?10 AND id = ?11"
        " AND (?12 < 0 OR version = ?12)");
    int64_t seq;
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    bind_keys(st, 1, ch);
    sqlite3_bind_int(st, 7, ch->keep_pw);
    sq_bind_text(st, 8, ch->pw_hash);
    sqlite3_bind_int64(st, 10, tenant);
    sq_bind_text(st, 11, ch->id);
    sqlite3_bind_int64(st, 12, ch->version);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT)
        return conflict(c, tenant, ch, err);
    if (rc != SQLITE_DONE)
        return SCIM_ESTORE;
    seq = seq_of(c, tenant, ch->id, NULL);
    if (seq <= 0)
        return SCIM_ENOTFOUND;
    if (sqlite3_changes(c) == 0)
        return SCIM_ERETRY;
    return put_emails(c, tenant, seq, &ch->keys);
}

static int
exec_seq(sqlite3 *c, const char *sql, int64_t seq)
{
    sqlite3_stmt *st = sq_stmt(c, sql);
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, seq);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SCIM_OK : SCIM_ESTORE;
}

static int
do_delete(sqlite3 *c, int64_t tenant, const struct store_change *ch)
{
    const char *rtype = NULL;
    int64_t seq = seq_of(c, tenant, ch->id, &rtype);
    char rt[16];

    if (seq <= 0)
        return SCIM_ENOTFOUND;
    snprintf(rt, sizeof(rt), "%s", rtype);
    if (count_add(c, tenant, rt, -1) != SCIM_OK ||
        exec_seq(c, "DELETE FROM resources WHERE seq = ?", seq) != SCIM_OK ||
        exec_seq(c, "DELETE FROM emails WHERE res_seq = ?", seq) != SCIM_OK ||
        exec_seq(c, "DELETE FROM members WHERE group_seq = ?", seq)
            != SCIM_OK ||
        exec_seq(c, "DELETE FROM members WHERE member_seq = ?", seq)
            != SCIM_OK)
        return SCIM_ESTORE;
    return SCIM_OK;
}

static int
do_members(sqlite3 *c, int64_t tenant, const struct store_change *ch,
           struct scim_error *err)
{
    int64_t group = seq_of(c, tenant, ch->id, NULL), *seqs;
    const char *sql;
    size_t i;
    int rc = SCIM_OK;

    if (group <= 0)
        return SCIM_ENOTFOUND;
    if (ch->kind == STORE_MEMBERS_CLEAR)
        return exec_seq(c, "DELETE FROM members WHERE group_seq = ?", group);
    seqs = calloc(ch->nmembers + 1, sizeof(*seqs));
    if (seqs == NULL)
        return SCIM_ENOMEM;
    for (i = 0; i < ch->nmembers; i++)
        seqs[i] = seq_of(c, tenant, ch->members[i], NULL);
    if (ch->kind == STORE_MEMBERS_ADD)
        rc = store_unknown_members(ch, seqs, err);
    sql = ch->kind == STORE_MEMBERS_ADD
              ? "INSERT OR IGNORE INTO members VALUES (?, ?)"
              : "DELETE FROM members WHERE group_seq = ? AND member_seq = ?";
    for (i = 0; rc == SCIM_OK && i < ch->nmembers; i++) {
        sqlite3_stmt *st = sq_stmt(c, sql);

        if (seqs[i] <= 0)
            continue;
        if (st == NULL) {
            rc = SCIM_ESTORE;
            break;
        }
        sqlite3_bind_int64(st, 1, group);
        sqlite3_bind_int64(st, 2, seqs[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = SCIM_ESTORE;
        sqlite3_reset(st);
    }
    free(seqs);
    return rc;
}

int
sq_apply_changes(sqlite3 *c, int64_t tenant, const struct store_change *ch,
                 size_t n, struct scim_error *err)
{
    size_t i;
    int rc = SCIM_OK;

    for (i = 0; rc == SCIM_OK && i < n; i++) {
        switch (ch[i].kind) {
        case STORE_INSERT:
            rc = do_insert(c, tenant, &ch[i], err);
            break;
        case STORE_UPDATE:
            rc = do_update(c, tenant, &ch[i], err);
            break;
        case STORE_DELETE:
            rc = do_delete(c, tenant, &ch[i]);
            break;
        default:
            rc = do_members(c, tenant, &ch[i], err);
            break;
        }
    }
    return rc;
}

int
sq_log_insert(sqlite3 *c, const struct store_log *r)
{
    sqlite3_stmt *st = sq_stmt(c,
        "INSERT INTO scim_log(request_id, time_ms, tenant_id, tenant,"
        " client, user_agent, method, path, status, latency_us,"
        " resource_id, user_name, emails, external_id, request_body,"
        " response_body, cause, attribute, detail, dialects, ignored)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    json_t *keys;
    char *text;
    int64_t seq;
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sq_bind_text(st, 1, r->request_id);
    sqlite3_bind_int64(st, 2, r->time_ms);
    if (r->tenant_id > 0)
        sqlite3_bind_int64(st, 3, r->tenant_id);
    sq_bind_text(st, 4, r->tenant);
    sq_bind_text(st, 5, r->client);
    sq_bind_text(st, 6, r->user_agent);
    sq_bind_text(st, 7, r->method);
    sq_bind_text(st, 8, r->path);
    sqlite3_bind_int(st, 9, r->status);
    sqlite3_bind_int64(st, 10, r->latency_us);
    sq_bind_text(st, 11, r->resource_id);
    sq_bind_text(st, 12, r->user_name);
    sq_bind_text(st, 13, r->emails);
    sq_bind_text(st, 14, r->external_id);
    sq_bind_text(st, 15, r->request_body);
    sq_bind_text(st, 16, r->response_body);
    sq_bind_text(st, 17, r->cause);
    sq_bind_text(st, 18, r->attribute);
    sq_bind_text(st, 19, r->detail);
    sq_bind_text(st, 20, r->dialects);
    sq_bind_text(st, 21, r->ignored);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return SCIM_ESTORE;
    seq = sqlite3_last_insert_rowid(c);

    /* All search keys in one statement. */
    keys = store_log_keys(r);
    text = keys != NULL ? json_dumps(keys, JSON_COMPACT) : NULL;
    json_decref(keys);
    st = text != NULL ? sq_stmt(c, "INSERT INTO scim_log_keys SELECT ?,"
                                   " value FROM json_each(?)") : NULL;
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, seq);
        sq_bind_text(st, 2, text);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    free(text);
    return SCIM_OK;
}
