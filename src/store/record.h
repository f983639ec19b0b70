/* SPDX-License-Identifier: MIT */
/*
 * From a validated document to what the store keeps: the final
 * document (schemas, id, attributes, meta), its text, its folded copy,
 * and the indexed keys. Shared by the server's writes and scimctl
 * import, so both store resources exactly alike.
 */
#ifndef SCIMD_STORE_RECORD_H
#define SCIMD_STORE_RECORD_H

#include <jansson.h>

#include "ctx.h"
#include "store.h"

struct record {
    json_t *doc;            /* final document (id and meta inside) */
    char *text;             /* doc as stored */
    char *ftext;            /* folded copy */
    char *name_key;         /* folded userName / group displayName */
    char *display_key;
    const char **email_keys;
    size_t nemail;
    json_t *members;        /* group members given in the body */
};

/* A new random (version 4) UUID as the SCIM id. */
void record_new_id(char out[37]);

/*
 * Builds r from valid (a resource_prepare result; its "members" are
 * moved to r->members for groups). old_meta (may be NULL) keeps
 * "created"; location is the resource's URL. Returns SCIM_OK or
 * SCIM_ENOMEM. Free with record_free.
 */
int record_build(struct record *r, const struct scim_rtype *rt,
                 json_t *valid, const char *id, const json_t *old_meta,
                 int64_t version, const char *location);

void record_free(struct record *r);

/* Fills change c (kind INSERT or UPDATE) to store r. */
void record_change(struct store_change *c, enum store_change_kind kind,
                   const struct scim_rtype *rt, const char *id,
                   const struct record *r, const struct scim_ctx *ctx);

#endif /* SCIMD_STORE_RECORD_H */
