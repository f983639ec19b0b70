/* SPDX-License-Identifier: MIT */
/*
 * Listing and searching: GET on a collection and POST .search, at the
 * root or per resource type. The filter is parsed once by the core and
 * compiled to SQL by the store; totalResults counts every match, pages
 * are 1-based and in a stable order (creation order unless sortBy says
 * otherwise), and itemsPerPage is what the page really holds.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "fold.h"
#include "render.h"
#include "sbuf.h"
#include "server.h"

#define DEFAULT_COUNT 100

struct list_q {
    const char *filter;
    const char *sort_by;
    const char *sort_order;
    const char *attrs;
    const char *excl;
    long start;
    long count;
};

static int
parse_long(struct req *r, const char *name, const char *text, long *out)
{
    char *end;
    long v;

    if (text == NULL)
        return 0;
    errno = 0;
    v = strtol(text, &end, 10);
    /* strtol would skip leading blanks; trailing ones are refused. */
    if (errno != 0 || end == text || *end != '\0' ||
        isspace((unsigned char)text[0])) {
        respond_fail(r, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue", name,
                     "Query parameter '%s' must be an integer, not '%s'.",
                     name, text);
        return -1;
    }
    *out = v;
    return 0;
}

static void
clamp(struct req *r, struct list_q *q)
{
    long max = r->tenant->cfg.max_results > 0 ? r->tenant->cfg.max_results
                                              : 1000;

    if (q->start < 1)
        q->start = 1;
    if (q->count < 0)
        q->count = 0;
    if (q->count > max)
        q->count = max;
}

static int
resolve_sort(struct req *r, const struct scim_rtype *rt,
             const struct list_q *q, struct scim_attr_ref *ref)
{
    if (q->sort_by == NULL || *q->sort_by == '\0')
        return 0;
    if (rtype_resolve(rt, q->sort_by, strlen(q->sort_by), ref) == SCIM_OK &&
        ref->attr != NULL)
        return 1;
    respond_fail(r, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue", "sortBy",
                 "sortBy names '%s', which is not an attribute of %s.",
                 q->sort_by, rt->name);
    return -1;
}

/* Appends the rendered page of one resource type to b. */
static int
append_page(struct req *r, const struct scim_rtype *rt,
            const struct store_page *page, const struct list_q *q,
            struct sbuf *b, int *first, json_t *ids)
{
    size_t i;

    for (i = 0; i < page->nitems; i++)
        json_array_append_new(ids, json_string(page->items[i].id));
    for (i = 0; i < page->nitems; i++) {
        struct render_in in = {
            .ctx = &r->ctx, .store = r->store, .tenant = r->tenant->id,
            .rt = rt, .id = page->items[i].id, .text = page->items[i].doc,
            .attrs = q->attrs, .excl = q->excl,
        };
        char *text = NULL;
        int rc = render_doc(&in, &text);

        if (rc != SCIM_OK)
            return rc;
        sbuf_add(b, *first ? "" : ",");
        sbuf_add(b, text);
        *first = 0;
        free(text);
    }
    return SCIM_OK;
}

/*
 * One resource type's page. keyset allows continuing from a remembered
 * cursor (cursor.c): only for a plain listing of a single type.
 */
static int
search_type(struct req *r, const struct scim_rtype *rt,
            const struct list_q *q, long start, long count, int keyset,
            struct store_page *page)
{
    struct filter_node *f = NULL;
    struct scim_attr_ref sort = { 0 };
    struct store_search s = { .rtype = rt->name, .start = start,
                              .count = count };
    struct scim_error err = { 0 };
    int rc, sorted;

    if (q->filter != NULL && *q->filter != '\0' &&
        filter_parse(&r->ctx, rt, q->filter, &f) != SCIM_OK) {
        /* The detail quotes the filter; never a password in it. */
        if (exchange_mentions_password(q->filter, strlen(q->filter)))
            snprintf(r->ctx.err.detail, sizeof(r->ctx.err.detail),
                     "The filter is invalid. It is not repeated here "
                     "because it mentions a password.");
        return SCIM_EINVAL;
    }
    sorted = resolve_sort(r, rt, q, &sort);
    if (sorted < 0) {
        filter_free(f);
        return SCIM_EINVAL;
    }
    s.filter = f;
    s.sort = sorted ? &sort : NULL;
    s.descending = q->sort_order != NULL &&
                   strcasecmp(q->sort_order, "descending") == 0;
    if (keyset && f == NULL && !sorted && start > 1)
        s.after_seq = cursor_find(r->tenant->id, rt->name, start);
    rc = store_search(r->store, r->tenant->id, &s, page, &err);
    if (keyset && rc == SCIM_OK && f == NULL && !sorted &&
        page->nitems > 0)
        cursor_put(r->tenant->id, rt->name, start + (long)page->nitems,
                   page->items[page->nitems - 1].seq);
    filter_free(f);
    if (rc == SCIM_EINVAL)
        r->ctx.err = err;
    return rc;
}

static void
answer(struct req *r, const struct scim_rtype *only, const struct list_q *q)
{
    struct sbuf b = { 0 };
    struct store_page page;
    long total = 0, items = 0, start = q->start, count = q->count;
    json_t *ids = json_array();
    size_t i;
    int first = 1, rc = SCIM_OK;
    char num[96];

    sbuf_add(&b, "{\"schemas\":[\"" SCIM_MSG_LIST "\"],\"Resources\":[");
    for (i = 0; rc == SCIM_OK && i < r->tenant->reg->nrtypes; i++) {
        const struct scim_rtype *rt = r->tenant->reg->rtypes[i];

        if (only != NULL && rt != only)
            continue;
        rc = search_type(r, rt, q, start, count, only != NULL, &page);
        if (rc != SCIM_OK)
            break;
        rc = append_page(r, rt, &page, q, &b, &first, ids);
        total += page.total;
        items += (long)page.nitems;
        /*
         * A root search continues the page in the next type (a sorted
         * one is merged instead, see answer_root_sorted).
         * Limitation: a root filter naming an attribute that one type
         * lacks is a 400 rather than "no match in that type".
         */
        start = start > page.total ? start - page.total : 1;
        count -= (long)page.nitems;
        store_page_free(&page);
    }
    if (rc != SCIM_OK) {
        json_decref(ids);
        free(sbuf_take(&b));
        if (!scim_error_isset(&r->ctx.err))
            scim_failf(&r->ctx.err, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
                       "The search could not be run.");
        respond_error(r, &r->ctx.err);
        return;
    }
    snprintf(num, sizeof(num), "],\"totalResults\":%ld,\"startIndex\":%ld,"
             "\"itemsPerPage\":%ld}", total, q->start, items);
    r->read_summary = json_pack("{s:I, s:I, s:I, s:o}", "totalResults",
                                (json_int_t)total, "startIndex",
                                (json_int_t)q->start, "itemsPerPage",
                                (json_int_t)items, "ids", ids);
    ids = NULL;
    sbuf_add(&b, num);
    free(r->resp);
    r->resp = sbuf_take(&b);
    r->status = r->resp != NULL ? 200 : 500;
}

/* ---- Root search with sortBy: users and groups in one order -------- */

#define ROOT_SORT_MAX 10000
#define ROOT_TYPES_MAX 8

struct ranked {
    const struct scim_rtype *rt;
    const struct store_res *res;
    json_t *key;                /* normalised sort value; NULL: missing */
};

/* The value to sort a stored document by, as the store would. */
static json_t *
sort_value(const struct scim_rtype *rt, const char *text, const char *by)
{
    struct scim_attr_ref ref;
    const struct scim_attr *def;
    json_t *doc, *v = NULL, *key = NULL, *e, *pick;
    char canon[SCIM_DATETIME_LEN], *f;
    size_t i;

    if (rtype_resolve(rt, by, strlen(by), &ref) != SCIM_OK || !ref.attr ||
        (doc = json_loads(text, 0, NULL)) == NULL)
        return NULL;
    v = json_iget(rtype_container(rt, doc, &ref, 0), ref.attr->name,
                  strlen(ref.attr->name), NULL);
    if (json_is_array(v)) {     /* the primary element, else the first */
        pick = json_array_get(v, 0);
        json_array_foreach(v, i, e)
            if (json_is_true(json_object_get(e, "primary"))) {
                pick = e;
                break;
            }
        v = pick;
    }
    if (ref.sub != NULL)
        v = json_iget(v, ref.sub->name, strlen(ref.sub->name), NULL);
    def = ref.sub != NULL ? ref.sub : ref.attr;
    if (json_is_string(v) && def->type == SCIM_AT_DATETIME &&
        scim_datetime_canon(json_string_value(v), canon) == 0)
        key = json_string(canon);
    else if (json_is_string(v) && !def->case_exact &&
             (f = scim_fold(json_string_value(v),
                            json_string_length(v))) != NULL) {
        key = json_string(f);
        scim_free(f);
    } else if (json_is_string(v) || json_is_number(v) ||
               json_is_boolean(v))
        key = json_copy(v);
    json_decref(doc);
    return key;
}

static int
key_cmp(const json_t *a, const json_t *b)
{
    double x, y;

    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    if (json_is_number(a) && json_is_number(b)) {
        x = json_number_value(a);
        y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    return (int)json_typeof(a) - (int)json_typeof(b);
}

/* Missing values sort last ascending and first descending; ties keep
 * the store's order (seq), as one SQL ORDER BY would. */
static int
ranked_cmp(const void *pa, const void *pb, void *arg)
{
    const struct ranked *a = pa, *b = pb;
    int desc = *(const int *)arg, c;

    if (a->key == NULL || b->key == NULL)
        c = (a->key == NULL) - (b->key == NULL);
    else
        c = key_cmp(a->key, b->key);
    if (c != 0)
        return desc ? -c : c;
    return a->res->seq < b->res->seq ? -1 : a->res->seq > b->res->seq;
}

/* Each type's first `need` matches in sort order, into pages. */
static int
fetch_sorted(struct req *r, const struct list_q *q, long need,
             struct store_page *pages, const struct scim_rtype **types,
             size_t *ntypes)
{
    const struct scim_registry *reg = r->tenant->reg;
    struct scim_attr_ref ref;
    struct list_q tq;
    size_t i;
    int rc = SCIM_OK;

    for (i = 0; rc == SCIM_OK && i < reg->nrtypes && i < ROOT_TYPES_MAX;
         i++) {
        tq = *q;
        /* A type without the attribute has no value to sort by. */
        if (rtype_resolve(reg->rtypes[i], q->sort_by, strlen(q->sort_by),
                          &ref) != SCIM_OK || ref.attr == NULL)
            tq.sort_by = NULL;
        types[i] = reg->rtypes[i];
        rc = search_type(r, reg->rtypes[i], &tq, 1, need, 0, &pages[i]);
        if (rc == SCIM_OK)
            *ntypes = i + 1;
    }
    return rc;
}

static void
answer_root_sorted(struct req *r, const struct list_q *q)
{
    struct store_page pages[ROOT_TYPES_MAX];
    const struct scim_rtype *types[ROOT_TYPES_MAX];
    struct ranked *all = NULL;
    struct sbuf b = { 0 };
    long need = q->start - 1 + q->count, total = 0, k;
    size_t ntypes = 0, n = 0, i, j;
    int desc = q->sort_order != NULL &&
               strcasecmp(q->sort_order, "descending") == 0;
    int first = 1, rc;
    json_t *ids = json_array();
    char num[96];

    if (need > ROOT_SORT_MAX) {
        respond_fail(r, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                     "startIndex", "A root search sorted by '%s' can page "
                     "through its first %d results only; search one "
                     "resource type instead.", q->sort_by, ROOT_SORT_MAX);
        json_decref(ids);
        return;
    }
    rc = fetch_sorted(r, q, need, pages, types, &ntypes);
    for (i = 0; i < ntypes; i++)
        n += pages[i].nitems;
    all = calloc(n + 1, sizeof(*all));
    if (rc == SCIM_OK && all == NULL)
        rc = SCIM_ENOMEM;
    for (i = 0, n = 0; rc == SCIM_OK && i < ntypes; i++) {
        total += pages[i].total;
        for (j = 0; j < pages[i].nitems; j++, n++) {
            all[n].rt = types[i];
            all[n].res = &pages[i].items[j];
            all[n].key = sort_value(types[i], pages[i].items[j].doc,
                                    q->sort_by);
        }
    }
    if (rc == SCIM_OK)
        qsort_r(all, n, sizeof(*all), ranked_cmp, &desc);

    sbuf_add(&b, "{\"schemas\":[\"" SCIM_MSG_LIST "\"],\"Resources\":[");
    for (k = q->start - 1; rc == SCIM_OK && k < need && k < (long)n; k++) {
        struct store_page one = { .items = (struct store_res *)all[k].res,
                                  .nitems = 1 };

        rc = append_page(r, all[k].rt, &one, q, &b, &first, ids);
    }
    for (i = 0; i < n; i++)
        json_decref(all[i].key);
    free(all);
    for (i = 0; i < ntypes; i++)
        store_page_free(&pages[i]);
    if (rc != SCIM_OK) {
        json_decref(ids);
        free(sbuf_take(&b));
        if (!scim_error_isset(&r->ctx.err))
            scim_failf(&r->ctx.err, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
                       "The search could not be run.");
        respond_error(r, &r->ctx.err);
        return;
    }
    snprintf(num, sizeof(num), "],\"totalResults\":%ld,\"startIndex\":%ld,"
             "\"itemsPerPage\":%ld}", total, q->start,
             (long)json_array_size(ids));
    r->read_summary = json_pack("{s:I, s:I, s:I, s:o}", "totalResults",
                                (json_int_t)total, "startIndex",
                                (json_int_t)q->start, "itemsPerPage",
                                (json_int_t)json_array_size(ids), "ids",
                                ids);
    sbuf_add(&b, num);
    free(r->resp);
    r->resp = sbuf_take(&b);
    r->status = r->resp != NULL ? 200 : 500;
}

void
handle_list(struct req *r, const struct scim_rtype *rt)
{
    struct list_q q = { .start = 1, .count = DEFAULT_COUNT };

    q.filter = req_arg(r, "filter");
    q.sort_by = req_arg(r, "sortBy");
    q.sort_order = req_arg(r, "sortOrder");
    q.attrs = req_arg(r, "attributes");
    q.excl = req_arg(r, "excludedAttributes");
    if (parse_long(r, "startIndex", req_arg(r, "startIndex"), &q.start) ||
        parse_long(r, "count", req_arg(r, "count"), &q.count))
        return;
    clamp(r, &q);
    answer(r, rt, &q);
}

/* A SearchRequest list member ("attributes": [...]) as a CSV string. */
static char *
csv_of(struct req *r, const json_t *v, const char *name)
{
    struct sbuf b = { 0 };
    const json_t *e;
    size_t i;

    if (v == NULL)
        return NULL;
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (!json_is_array(v)) {
        respond_fail(r, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue", name,
                     "'%s' must be an array of attribute paths.", name);
        return NULL;
    }
    json_array_foreach(v, i, e) {
        sbuf_add(&b, i > 0 ? "," : "");
        sbuf_add(&b, json_string_value(e) != NULL ? json_string_value(e)
                                                  : "");
    }
    return sbuf_take(&b);
}

static int
search_number(struct req *r, const json_t *body, const char *name,
              long *out)
{
    const json_t *v = json_object_get(body, name);

    if (v == NULL)
        return 0;
    if (!json_is_integer(v)) {
        respond_fail(r, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue", name,
                     "'%s' must be an integer.", name);
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 0;
}

void
handle_search(struct req *r, const struct scim_rtype *rt)
{
    struct list_q q = { .start = 1, .count = DEFAULT_COUNT };
    json_t *body = req_json(r), *f;
    char *attrs = NULL, *excl = NULL;

    if (body == NULL)
        return;
    f = json_object_get(body, "filter");
    if (f != NULL && !json_is_string(f)) {
        respond_fail(r, 400, SCIM_CAUSE_INVALID_FILTER, "invalidFilter",
                     "filter", "'filter' must be a string.");
        goto out;
    }
    q.filter = json_string_value(f);
    q.sort_by = json_string_value(json_object_get(body, "sortBy"));
    q.sort_order = json_string_value(json_object_get(body, "sortOrder"));
    attrs = csv_of(r, json_object_get(body, "attributes"), "attributes");
    excl = csv_of(r, json_object_get(body, "excludedAttributes"),
                  "excludedAttributes");
    if (r->status != 0 ||
        search_number(r, body, "startIndex", &q.start) ||
        search_number(r, body, "count", &q.count))
        goto out;
    q.attrs = attrs;
    q.excl = excl;
    clamp(r, &q);
    if (rt == NULL && q.sort_by != NULL && *q.sort_by != '\0')
        answer_root_sorted(r, &q);
    else
        answer(r, rt, &q);

out:
    free(attrs);
    free(excl);
    json_decref(body);
}
