/* SPDX-License-Identifier: MIT */
/*
 * Turning a stored document into the representation a response shows.
 * Without attributes/excludedAttributes the stored text is sent as it
 * is, with a user's groups or a group's members spliced in; only when
 * the client asks for a selection is the document parsed and projected.
 * Members are read from their own table, and never when the selection
 * leaves them out, so large groups cost nothing unless asked for.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render.h"
#include "resource.h"
#include "sbuf.h"

int
render_is(const struct scim_rtype *rt, const char *name)
{
    return strcmp(rt->name, name) == 0;
}

/* Whether the comma-separated list names attr (or a sub-attribute). */
static int
list_names(const char *list, const char *attr)
{
    size_t n = strlen(attr);
    const char *p = list;

    while (p != NULL && *p != '\0') {
        const char *start = p, *colon;

        while (*p != '\0' && *p != ',')
            p++;
        /* Strip a schema URN prefix: "urn:...:Group:members". */
        colon = memrchr(start, ':', (size_t)(p - start));
        if (colon != NULL)
            start = colon + 1;
        while (*start == ' ')
            start++;
        if ((size_t)(p - start) >= n && strncasecmp(start, attr, n) == 0 &&
            (start[n] == ',' || start[n] == '.' || start[n] == '\0' ||
             start[n] == ' '))
            return 1;
        if (*p == ',')
            p++;
    }
    return 0;
}

int
render_wants(const char *attrs, const char *excl, const char *attr)
{
    if (attrs != NULL && *attrs != '\0')
        return list_names(attrs, attr);
    return excl == NULL || !list_names(excl, attr);
}

static int
has_request_only(const struct scim_rtype *rt)
{
    size_t i, k;

    for (i = 0; i < rt->core->nattrs; i++)
        if (rt->core->attrs[i].returned == SCIM_RET_REQUEST)
            return 1;
    for (k = 0; k < rt->nexts; k++)
        for (i = 0; i < rt->exts[k].schema->nattrs; i++)
            if (rt->exts[k].schema->attrs[i].returned == SCIM_RET_REQUEST)
                return 1;
    return 0;
}

static int
schema_known(const struct scim_rtype *rt, const char *id)
{
    size_t k;

    if (strcasecmp(id, rt->core->id) == 0)
        return 1;
    for (k = 0; k < rt->nexts; k++)
        if (strcasecmp(id, rt->exts[k].schema->id) == 0)
            return 1;
    return 0;
}

/*
 * Whether the stored text may be sent as it is: it starts with its
 * "schemas" list (as stored documents do) and every URN there is one rt
 * still has. Data of an extension the admin has since removed must go
 * through resource_project, which shows only what the schemas define.
 * Limitation: attributes dropped from an extension that is still
 * registered (removed and added again with fewer) are not detected here.
 */
static int
schemas_known(const struct scim_rtype *rt, const char *text)
{
    static const char lead[] = "{\"schemas\":";
    json_t *list, *v;
    size_t i;
    int ok;

    if (strncmp(text, lead, sizeof(lead) - 1) != 0)
        return 0;
    list = json_loads(text + sizeof(lead) - 1, JSON_DISABLE_EOF_CHECK,
                      NULL);
    ok = json_is_array(list);
    json_array_foreach(list, i, v)
        ok = ok && json_is_string(v)
             && schema_known(rt, json_string_value(v));
    json_decref(list);
    return ok;
}

const char *
render_link_attr(const struct scim_rtype *rt)
{
    if (render_is(rt, "User"))
        return "groups";
    if (render_is(rt, "Group"))
        return "members";
    return NULL;
}

int
render_links(struct store *s, int64_t tenant, const struct scim_rtype *rt,
             const char *id, const char *attrs, const char *excl,
             json_t **out)
{
    const char *key = render_link_attr(rt);
    int rc;

    *out = NULL;
    if (key == NULL || !render_wants(attrs, excl, key))
        return SCIM_OK;
    rc = render_is(rt, "User") ? store_groups_of(s, tenant, id, out)
                               : store_members(s, tenant, id, out);
    if (rc == SCIM_OK && json_array_size(*out) == 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int
render_doc(struct render_in *in, char **out)
{
    const char *key = render_link_attr(in->rt);
    json_t *links = NULL, *doc, *shown = NULL;
    char *ltext;
    int rc;

    *out = NULL;
    rc = in->links_given ? SCIM_OK
                         : render_links(in->store, in->tenant, in->rt, in->id,
                                        in->attrs, in->excl, &links);
    if (in->links_given)
        links = json_incref((json_t *)in->links);
    if (rc != SCIM_OK)
        return rc;
    if ((in->attrs == NULL || *in->attrs == '\0') &&
        (in->excl == NULL || *in->excl == '\0') &&
        !has_request_only(in->rt) && schemas_known(in->rt, in->text)) {
        if (links == NULL) {
            *out = strdup(in->text);
            return *out != NULL ? SCIM_OK : SCIM_ENOMEM;
        }
        ltext = json_dumps(links, JSON_COMPACT);
        *out = ltext != NULL ? sbuf_splice(in->text, key, ltext) : NULL;
        free(ltext);
        json_decref(links);
        return *out != NULL ? SCIM_OK : SCIM_ENOMEM;
    }

    doc = json_loads(in->text, 0, NULL);
    if (doc == NULL) {
        json_decref(links);
        return SCIM_EINTERNAL;
    }
    if (links != NULL)
        json_object_set_new(doc, key, links);
    rc = resource_project(in->ctx, in->rt, doc, in->attrs, in->excl, &shown);
    json_decref(doc);
    if (rc == SCIM_OK)
        *out = json_dumps(shown, JSON_COMPACT);
    json_decref(shown);
    return rc == SCIM_OK && *out == NULL ? SCIM_ENOMEM : rc;
}
