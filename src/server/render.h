/* SPDX-License-Identifier: MIT */
/*
 * Response representations of stored resources (render.c).
 */
#ifndef SCIMD_SERVER_RENDER_H
#define SCIMD_SERVER_RENDER_H

#include <jansson.h>

#include "ctx.h"
#include "store.h"

struct render_in {
    struct scim_ctx *ctx;
    struct store *store;
    int64_t tenant;
    const struct scim_rtype *rt;
    const char *id;
    const char *text;       /* the stored JSON text */
    const char *attrs;      /* attributes=, or NULL */
    const char *excl;       /* excludedAttributes=, or NULL */
    int links_given;        /* use links below instead of reading them */
    const json_t *links;    /* groups/members to show, or NULL */
};

/* Nonzero when rt is the resource type called name. */
int render_is(const struct scim_rtype *rt, const char *name);

/* "groups" for User, "members" for Group, NULL otherwise. */
const char *render_link_attr(const struct scim_rtype *rt);

/* Whether a response with this selection shows attribute attr. */
int render_wants(const char *attrs, const char *excl, const char *attr);

/* A user's groups or a group's members when the selection shows them;
 * *out is NULL when there are none or they are not wanted. */
int render_links(struct store *s, int64_t tenant, const struct scim_rtype *rt,
                 const char *id, const char *attrs, const char *excl,
                 json_t **out);

/* The text a response shows for one resource (caller frees *out).
 * Errors of the selection lists are recorded in in->ctx->err. */
int render_doc(struct render_in *in, char **out);

#endif /* SCIMD_SERVER_RENDER_H */
