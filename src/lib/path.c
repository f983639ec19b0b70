/* SPDX-License-Identifier: MIT */
/*
 * PATCH paths (RFC 7644 section 3.5.2, the PATH rule of figure 7):
 * attrPath, or valuePath with an optional sub-attribute after the "]"
 * (emails[type eq "work"].value), plus a bare schema URN, which the ABNF
 * does not produce but clients send to mean the whole extension object.
 * The value filter is read by the filter parser, so a path filter obeys
 * exactly the rules of a search filter; a bad path is 400 invalidPath
 * and a bad filter inside it 400 invalidFilter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "filter.h"

struct pstate {
    struct scim_ctx *ctx;
    const struct scim_rtype *rt;
    const char *text;
    size_t len;
    unsigned flags;
};

static int
perr(const struct pstate *ps, size_t at, const char *fmt, ...)
    SCIM_PRINTF(3, 4);

static int
perr(const struct pstate *ps, size_t at, const char *fmt, ...)
{
    char msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return filter_failf(ps->ctx, ps->text, ps->len, 0, 1, NULL, at, "%s",
                        msg);
}

/* The attribute part ends at "[" or the end; anything else is an error. */
static size_t
attr_end(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && s[i] != '[' && s[i] != ']' && s[i] != ' '
           && s[i] != '"' && s[i] != '(' && s[i] != ')')
        i++;
    return i;
}

/*
 * A bare schema URN of rt ("urn:...:enterprise:2.0:User").
 * Limitation: without rt a bare URN cannot be told from a qualified
 * attribute and parses as uri "urn:...:2.0" plus name "User"; only the
 * schema knows which URNs are schemas.
 */
static int
bare_urn(const struct pstate *ps, size_t n, struct filter_attr *a)
{
    struct scim_attr_ref ref;

    if (ps->rt == NULL || rtype_resolve(ps->rt, ps->text, n, &ref) != SCIM_OK
        || ref.attr != NULL)
        return 0;
    a->text = scim_strndup(ps->text, n);
    a->uri = scim_strndup(ps->text, n);
    a->ref = ref;
    a->ext = !rtype_is_core(ps->rt, ref.schema);
    return 1;
}

static int
read_attr(const struct pstate *ps, size_t n, struct filter_attr *a)
{
    int rc;

    if (bare_urn(ps, n, a))
        return a->text != NULL && a->uri != NULL ? SCIM_OK : SCIM_ENOMEM;
    rc = filter_attr_split(ps->text, n, a);
    if (rc == SCIM_EINVAL)
        return perr(ps, 0, "'%.*s' is not a valid attribute path", (int)n,
                    ps->text);
    if (rc != SCIM_OK || ps->rt == NULL)
        return rc;
    if (rtype_resolve(ps->rt, a->text, n, &a->ref) != SCIM_OK) {
        memset(&a->ref, 0, sizeof(a->ref));
        if (ps->flags & PATH_ALLOW_UNKNOWN)
            return SCIM_OK;
        return perr(ps, 0, "unknown attribute '%s'", a->text);
    }
    a->ext = !rtype_is_core(ps->rt, a->ref.schema);
    return SCIM_OK;
}

/* attr[...] needs a multi-valued or complex attribute, no sub. */
static int
check_target(const struct pstate *ps, const struct filter_attr *a)
{
    const struct scim_attr *d = a->ref.attr;

    if (a->sub != NULL || a->ref.sub != NULL)
        return perr(ps, 0, "a value filter cannot follow the "
                    "sub-attribute '%s'", a->text);
    if (a->name == NULL)
        return perr(ps, 0, "a value filter cannot follow a schema URN");
    if (d != NULL && d->type != SCIM_AT_COMPLEX && !d->multi_valued)
        return perr(ps, 0, "'%s' is neither multi-valued nor complex; it "
                    "takes no value filter", a->text);
    return SCIM_OK;
}

/* ".sub" after the "]" at text[pos]. */
static int
read_sub_after(const struct pstate *ps, size_t pos, struct scim_path *p)
{
    const struct scim_attr *d = p->attr.ref.attr;
    struct filter_attr s;
    int rc;

    rc = filter_attr_split(ps->text + pos + 1, ps->len - pos - 1, &s);
    if (rc == SCIM_EINVAL || (rc == SCIM_OK && (s.uri != NULL
                                                || s.sub != NULL)))
        rc = perr(ps, pos + 1, "'%s' is not a sub-attribute name",
                  ps->text + pos + 1);
    if (rc == SCIM_OK && d != NULL
        && (p->sub_after_def = attr_sub(d, s.name, strlen(s.name))) == NULL)
        rc = perr(ps, pos + 1, "'%s' has no sub-attribute '%s'",
                  p->attr.text, s.name);
    if (rc == SCIM_OK) {
        p->sub_after = s.name;
        s.name = NULL;
    }
    filter_attr_clear(&s);
    return rc;
}

/* "[" valFilter "]" [ "." ATTRNAME ] from text[pos] (the "["). */
static int
read_filter(const struct pstate *ps, size_t pos, struct scim_path *p)
{
    int rc = check_target(ps, &p->attr);

    pos++;
    if (rc == SCIM_OK)
        rc = filter_parse_valfilter(ps->ctx, ps->rt, ps->text, &pos,
                                    &p->attr, &p->filter);
    if (rc != SCIM_OK)
        return rc;
    if (pos < ps->len && ps->text[pos] == '.')
        return read_sub_after(ps, pos, p);
    if (pos < ps->len)
        return perr(ps, pos, "unexpected '%c' after the value filter",
                    ps->text[pos]);
    return SCIM_OK;
}

int
path_parse_flags(struct scim_ctx *ctx, const struct scim_rtype *rt,
                 const char *text, unsigned flags, struct scim_path **out)
{
    struct pstate ps = { ctx, rt, text != NULL ? text : "", 0, flags };
    struct scim_path *p;
    size_t n;
    int rc;

    *out = NULL;
    ps.len = strlen(ps.text);
    n = attr_end(ps.text, ps.len);
    if (ps.len == 0)
        return perr(&ps, 0, "the path is empty");
    if (n == 0 || (n < ps.len && ps.text[n] != '['))
        return perr(&ps, n, "unexpected '%c'", ps.text[n]);
    if ((p = scim_calloc(1, sizeof(*p))) == NULL)
        return SCIM_ENOMEM;
    rc = read_attr(&ps, n, &p->attr);
    if (rc == SCIM_OK && n < ps.len)
        rc = read_filter(&ps, n, p);
    if (rc != SCIM_OK) {
        path_free(p);
        return rc;
    }
    *out = p;
    return SCIM_OK;
}

int
path_parse(struct scim_ctx *ctx, const struct scim_rtype *rt,
           const char *text, struct scim_path **out)
{
    return path_parse_flags(ctx, rt, text, 0, out);
}

void
path_free(struct scim_path *p)
{
    if (p == NULL)
        return;
    filter_attr_clear(&p->attr);
    filter_free(p->filter);
    scim_free(p->sub_after);
    scim_free(p);
}
