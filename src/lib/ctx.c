/* SPDX-License-Identifier: MIT */
/*
 * The per-request context. It carries what the core needs to read a
 * request (tenant configuration, schema registry) and collects what the
 * SCIM log should show afterwards: dialect rules that fired, attributes
 * that were ignored, and the first error. Notes are best effort: a
 * failed allocation while noting an ignored path loses the note, never
 * the request.
 */
#include <string.h>

#include <sodium.h>

#include "ctx.h"

void
scim_ctx_init(struct scim_ctx *ctx, const struct scim_config *cfg,
              const struct scim_registry *reg)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg = cfg;
    ctx->reg = reg;
}

void
scim_ctx_clear(struct scim_ctx *ctx)
{
    if (ctx == NULL)
        return;
    json_decref(ctx->ignored);
    ctx->ignored = NULL;
    if (ctx->password_hash != NULL) {
        sodium_memzero(ctx->password_hash, strlen(ctx->password_hash));
        scim_free(ctx->password_hash);
        ctx->password_hash = NULL;
    }
    ctx->fired = 0;
    scim_error_clear(&ctx->err);
}

int
scim_ctx_dialect(const struct scim_ctx *ctx, unsigned bit)
{
    return ctx != NULL && ctx->cfg != NULL && (ctx->cfg->dialects & bit);
}

void
scim_ctx_fire(struct scim_ctx *ctx, unsigned bit)
{
    if (ctx != NULL)
        ctx->fired |= bit;
}

void
scim_ctx_ignore(struct scim_ctx *ctx, const char *path)
{
    size_t i;

    if (ctx == NULL || path == NULL)
        return;
    if (ctx->ignored == NULL && (ctx->ignored = json_array()) == NULL)
        return;
    /* The same path is noted once, however often it was sent. */
    for (i = 0; i < json_array_size(ctx->ignored); i++)
        if (strcmp(json_string_value(json_array_get(ctx->ignored, i)),
                   path) == 0)
            return;
    (void)json_array_append_new(ctx->ignored, json_string(path));
}
