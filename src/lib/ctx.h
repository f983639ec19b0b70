/* SPDX-License-Identifier: MIT */
/*
 * The per-request context that core functions share: the tenant's
 * configuration and schema registry (read-only), the error slot, and
 * what the request taught us for the SCIM log: which identity-provider
 * dialect rules fired and which attributes were ignored.
 */
#ifndef SCIMD_LIB_CTX_H
#define SCIMD_LIB_CTX_H

#include <jansson.h>

#include "scimd/scim.h"
#include "config.h"
#include "schema.h"

struct scim_ctx {
    const struct scim_config *cfg;
    const struct scim_registry *reg;
    struct scim_error err;
    unsigned fired;        /* SCIM_DIALECT_* bits that changed the reading */
    json_t *ignored;       /* array of attribute paths ignored, or NULL */
    char *password_hash;   /* argon2id hash when a password was kept */
};

/* Prepares ctx for one request. Never fails. */
void scim_ctx_init(struct scim_ctx *ctx, const struct scim_config *cfg,
                   const struct scim_registry *reg);

/* Releases what ctx holds; the password hash is wiped first. */
void scim_ctx_clear(struct scim_ctx *ctx);

/*
 * Nonzero when dialect rule bit is enabled for the tenant. Call
 * scim_ctx_fire() when the rule actually changed how input was read.
 */
int scim_ctx_dialect(const struct scim_ctx *ctx, unsigned bit);
void scim_ctx_fire(struct scim_ctx *ctx, unsigned bit);

/* Records that attribute path was ignored (unknown or read-only). */
void scim_ctx_ignore(struct scim_ctx *ctx, const char *path);

#endif /* SCIMD_LIB_CTX_H */
