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
 * ({"value":..., "display":..., "$ref":...}) as the client sent them,
 * checked against the members definition and with null members dropped.
 * remove's filter is the value filter of "members[...]", whose paths
 * are relative to one member ("value eq \"u1\""); filter_match_elem()
 * evaluates it.
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
 * doc must hold the resource as it is served (with "id" and "meta"), so
 * that a value sent equal to the current one is recognised as such.
 * members may be NULL to edit doc["members"] directly.
 * rt may be NULL: the document is then edited without a schema (types
 * read from the JSON, no mutability or type checks), which only the
 * third-party test vectors use.
 * Returns SCIM_OK or SCIM_EINVAL / SCIM_ENOMEM.
 */
int patch_apply(struct scim_ctx *ctx, const struct scim_rtype *rt,
                json_t *doc, const json_t *body,
                const struct patch_members *members);

/*
 * Internal to patch*.c; not for callers. docs/internals/patch.md tells
 * how the pieces fit.
 */
enum patch_kind { PATCH_ADD, PATCH_REPLACE, PATCH_REMOVE };

/* The operation being applied, for its semantics and its messages. */
struct patch_op {
    struct scim_ctx *ctx;
    const struct scim_rtype *rt;          /* NULL: schemaless */
    const struct patch_members *members;
    json_t *doc;
    size_t idx;                           /* index in Operations */
    enum patch_kind kind;
    const char *path;                     /* as sent, or NULL */
    const char *key;                      /* path-less value key, or NULL */
};

/*
 * Where an operation lands: the attribute name in object box, an
 * optional value filter over its elements and an optional sub-attribute
 * (of the attribute, or of each selected element). def and subdef are
 * NULL for attributes no schema defines.
 */
struct patch_target {
    json_t *box;
    const char *name;
    const struct scim_attr *def;
    const struct filter_node *filter;
    const char *sub;
    const struct scim_attr *subdef;
};

/* Name of op's kind: "add", "replace" or "remove". */
const char *patch_kind_name(enum patch_kind kind);

/*
 * Records a 400 error for op: attr "Operations[<i>]<field>", detail
 * "Operation <i> (<op> <path>): " followed by the formatted text.
 */
int patch_failf(const struct patch_op *op, enum scim_cause cause,
                const char *scim_type, const char *field,
                const char *fmt, ...) SCIM_PRINTF(5, 6);

/* Applies op with value (NULL for remove) to target t (patch_target.c). */
int patch_target_apply(struct patch_op *op, const struct patch_target *t,
                       const json_t *value);

/*
 * One attribute slot, box[name] (patch_slot.c): add merges (multi-valued
 * without duplicates, complex per sub-attribute), replace overwrites
 * (complex: per sub-attribute, RFC 7644 3.5.2.3), remove deletes.
 */
int patch_slot_add(struct patch_op *op, json_t *box, const char *name,
                   const struct scim_attr *def, const json_t *value);
int patch_slot_replace(struct patch_op *op, json_t *box, const char *name,
                       const struct scim_attr *def, const json_t *value);
int patch_slot_remove(struct patch_op *op, json_t *box, const char *name);

/* Removes from array arr the elements equal to one of the values listed
   (Entra's remove-with-value); def is the attribute or NULL. */
int patch_remove_listed(struct patch_op *op, json_t *arr,
                        const struct scim_attr *def, const json_t *values);

/*
 * Checks value v against def and returns in *out a new, normalised copy
 * (patch_value.c): canonical sub-attribute names, "True"/"False" read as
 * booleans and a bare manager id as {"value": id} when the dialects
 * allow, null members dropped. elem: v is one element of a multi-valued
 * attribute. def NULL copies v as is.
 */
int patch_value_norm(struct patch_op *op, const struct scim_attr *def,
                     const json_t *v, int elem, json_t **out);

/*
 * The values v stands for, as a new array of normalised elements of
 * multi-valued attribute def (patch_value_norm): an array's elements, a
 * single value wrapped, nothing for null.
 */
int patch_value_list(struct patch_op *op, const struct scim_attr *def,
                     const json_t *v, json_t **out);

/*
 * A value as the attribute expects it (patch_value.c): dialect
 * manager_string reads Entra's bare manager id as {"value": id} (and a
 * one-element array as its element). *tmp receives a new reference when
 * the value was reshaped, else NULL; use *tmp when set.
 */
int patch_value_shape(struct patch_op *op, const struct scim_attr *def,
                      const json_t *v, json_t **tmp);

/*
 * Nonzero when v means "no value" for def (RFC 7643 2.5): null, [] for
 * a multi-valued attribute, "" for a simple one, {"value":""} for a
 * complex one (Entra clears the manager that way).
 */
int patch_value_empty(const struct scim_attr *def, const json_t *v);

/* Attribute of t's key in object o, case-insensitively, or NULL; *key
   receives the spelling found. */
json_t *patch_iget(const json_t *o, const char *name, const char **key);

#endif /* SCIMD_LIB_PATCH_H */
