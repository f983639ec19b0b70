/* SPDX-License-Identifier: MIT */
/*
 * PATCH (RFC 7644 section 3.5.2) with the dialects identity providers
 * really send. Operations apply in order to a document; the caller
 * passes a copy and keeps the original, so that a failure anywhere
 * leaves the stored resource untouched (all or nothing).
 */
#ifndef SCIMD_LIB_PATCH_H
#define SCIMD_LIB_PATCH_H

#include <jansson.h>

#include "ctx.h"
#include "filter.h"
#include "schema.h"

/*
 * A group's members can be far too many to hold in its JSON document.
 * When the caller passes these hooks, operations on "members" become
 * calls to them instead of edits of doc["members"]. Each returns SCIM_OK
 * or an error recorded in ctx->err. Values are arrays of member objects
 * ({"value":..., "display":..., "$ref":...}) as the client sent them.
 */
struct patch_members {
    void *arg;
    int (*add)(void *arg, struct scim_ctx *ctx, const json_t *values);
    /* filter NULL and values NULL: remove all members */
    int (*remove)(void *arg, struct scim_ctx *ctx,
                  const struct filter_node *filter, const json_t *values);
    int (*replace)(void *arg, struct scim_ctx *ctx, const json_t *values);
};

/*
 * Applies the PatchOp body to doc (modified in place). Checks the
 * message (schemas, Operations), each op, path and value, mutability
 * (readOnly and immutable attributes may only be "set" to their current
 * value), and records dialect rules that fired in ctx. Errors name the
 * operation's index and path ("Operations[1].path") in ctx->err.attr.
 * members may be NULL to edit doc["members"] directly.
 * Returns SCIM_OK or SCIM_EINVAL / SCIM_ENOMEM.
 */
int patch_apply(struct scim_ctx *ctx, const struct scim_rtype *rt,
                json_t *doc, const json_t *body,
                const struct patch_members *members);

#endif /* SCIMD_LIB_PATCH_H */
