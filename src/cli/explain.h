/* SPDX-License-Identifier: MIT */
/*
 * The support-facing reading of the SCIM log, shared by scimctl log and
 * scimctl diagnose: time formatting, recognising the identity provider
 * of an exchange, and the table that turns a cause code into an
 * explanation and a fix worded for that identity provider's admin
 * console. docs/CAUSES.md documents the same causes for people.
 */
#ifndef SCIMD_CLI_EXPLAIN_H
#define SCIMD_CLI_EXPLAIN_H

#include <stdint.h>

#include <jansson.h>

#include "scimd/scim.h"

/* "2024-05-01T12:34:56.789Z" plus the NUL, with room to spare. */
#define CLI_TIME_LEN 40

/* Appended to an error about a time the user typed. */
#define CLI_TIME_HELP ": use RFC 3339 (2024-05-01T12:00:00Z), " \
    "\"YYYY-MM-DD HH:MM\" (UTC), YYYY-MM-DD, or a time ago such as " \
    "30m, 2h or 3d"

/* The current time in Unix milliseconds (cli_time.c). */
int64_t cli_now_ms(void);

/* Formats Unix milliseconds as RFC 3339 UTC with milliseconds. */
void cli_time_format(int64_t ms, char out[CLI_TIME_LEN]);

enum explain_idp {
    EXPLAIN_GENERIC,
    EXPLAIN_OKTA,
    EXPLAIN_ENTRA
};

/*
 * Recognises the identity provider of an exchange: Okta by its
 * User-Agent ("Okta SCIM Client", "OKTA SCIM Integration"), Entra by a
 * User-Agent naming Azure or Microsoft or by the aadOptscim062020 flag
 * in the path. Either argument may be NULL.
 */
enum explain_idp explain_idp_of(const char *user_agent, const char *path);

/* Stable JSON name of idp: "okta", "entra" or "generic". */
const char *explain_idp_name(enum explain_idp idp);

/* One sentence saying what cause means; never NULL nor empty. */
const char *explain_meaning(enum scim_cause cause);

/*
 * What to change for cause, in idp's admin console, naming attr (may be
 * NULL or "") and the tenant (NULL: "TENANT"). Returns a string the
 * caller frees with free(), or NULL when out of memory.
 */
char *explain_fix(enum scim_cause cause, enum explain_idp idp,
                  const char *attr, const char *tenant);

/*
 * The attribute a log row's fault concerns, readable by an admin: a
 * PATCH error recorded at "Operations[2].path" becomes that operation's
 * path (or its value's keys). Caller frees; NULL when there is none.
 */
char *explain_attr(const json_t *row);

/*
 * Percent-decodes len bytes of a URL or query ('+' is a space, as
 * Entra sends it). Returns a NUL-terminated copy the caller frees.
 */
char *explain_decode(const char *s, size_t len);

/*
 * A short summary of what the identity provider sent in row's request
 * body: the attributes present, null or empty, PATCH operations, and
 * the state of attr (may be NULL) in particular. Caller frees.
 */
char *explain_sent(const json_t *row, const char *attr);

/*
 * The cause of a log row: its recorded cause, "internal" for a failure
 * that recorded none, SCIM_CAUSE_NONE for a success.
 */
enum scim_cause explain_row_cause(const json_t *row);

/*
 * A finding for one log row, as scimctl diagnose --json prints it:
 * request_id, time, method, path, status, cause, attribute, detail,
 * sent, explanation, fix, idp. cause and attr override the row's own
 * (for ignored attributes on a 2xx); attr may be NULL. New reference,
 * or NULL when out of memory.
 */
json_t *explain_finding(const json_t *row, enum scim_cause cause,
                        const char *attr);

#endif /* SCIMD_CLI_EXPLAIN_H */
