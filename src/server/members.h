/* SPDX-License-Identifier: MIT */
/*
 * Group membership edits as store change sets (members.c). A group's
 * members live in their own table, so PATCH operations on "members"
 * become a short list of add/remove/clear changes whose cost follows
 * the number of members named, not the size of the group.
 */
#ifndef SCIMD_SERVER_MEMBERS_H
#define SCIMD_SERVER_MEMBERS_H

#include <jansson.h>

#include "patch.h"
#include "server.h"

struct member_acc {
    struct req *r;
    const char *group_id;
    struct store_change *ch;
    size_t n;
    size_t cap;
    json_t *hold;           /* keeps member id strings alive */
};

void member_acc_init(struct member_acc *a, struct req *r,
                     const char *group_id);
void member_acc_free(struct member_acc *a);

/* Queues the addition of the members in values (array of objects). */
int member_add(struct member_acc *a, struct scim_ctx *ctx,
               const json_t *values);

/* Queues removal of every member, then addition of values (if any). */
int member_replace(struct member_acc *a, struct scim_ctx *ctx,
                   const json_t *values);

/* Fills h with PATCH hooks that queue changes into a. */
void member_hooks_init(struct patch_members *h, struct member_acc *a);

#endif /* SCIMD_SERVER_MEMBERS_H */
