/* SPDX-License-Identifier: MIT */
/*
 * The SCIM filter parser (RFC 7644 section 3.4.2.2): a small lexer and
 * a recursive-descent parser that build the one AST the store compiles
 * to SQL and filter_eval.c evaluates in memory. Precedence is not, then
 * and, then or; and/or nodes stay binary and left-associative. Keywords
 * and operators are read in any case because identity providers send
 * "Eq" and "AND". Every error quotes the filter and points at the token
 * that broke it, since the client usually cannot see its own request.
 * Attribute resolution and type checks live in filter_check.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "filter.h"

#define QUOTE_MAX 200       /* bytes of the filter quoted in a message */
#define SHOW_MAX 40         /* bytes of a token quoted in a message */

enum tk {
    TK_EOF, TK_LPAREN, TK_RPAREN, TK_LBRACK, TK_RBRACK, TK_STRING, TK_WORD
};

struct token {
    enum tk kind;
    size_t start;
    size_t end;
};

struct parser {
    struct scim_ctx *ctx;
    const struct scim_rtype *rt;
    const char *text;
    size_t len;
    size_t pos;                         /* where the lexer goes on */
    struct token tok;                   /* the current token */
    struct token prev;                  /* the token consumed before it */
    const struct filter_attr *parent;   /* inside a value filter */
    int depth;
    int terms;
    int in_path;                        /* a PATCH path's value filter */
};

static const char *const op_names[] = {
    [FILTER_EQ] = "eq", [FILTER_NE] = "ne", [FILTER_CO] = "co",
    [FILTER_SW] = "sw", [FILTER_EW] = "ew", [FILTER_GT] = "gt",
    [FILTER_GE] = "ge", [FILTER_LT] = "lt", [FILTER_LE] = "le",
    [FILTER_PR] = "pr", [FILTER_AND] = "and", [FILTER_OR] = "or",
    [FILTER_NOT] = "not", [FILTER_VALUEPATH] = "valuePath",
};

const char *
filter_op_name(enum filter_op op)
{
    if ((size_t)op >= sizeof(op_names) / sizeof(op_names[0]))
        return "?";
    return op_names[op];
}

/* ---- Messages ------------------------------------------------------------ */

/* Offset of the first byte of s (n bytes) that is not UTF-8, or n. */
static size_t
bad_utf8(const char *s, size_t n)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t k;
    size_t i = 0;

    while (i < n) {
        k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                             (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            return i;
        i += (size_t)k;
    }
    return n;
}

static int
valid_utf8(const char *s, size_t n)
{
    return bad_utf8(s, n) == n;
}

/*
 * Copies at most max bytes of s into buf (size > max), cut on a
 * character start, with each byte that is not UTF-8 replaced by "?":
 * the detail goes into a JSON body, which must stay valid UTF-8
 * whatever the client sent.
 */
static void
quote(const char *s, size_t len, size_t max, char *buf)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t k;
    size_t i = 0, n = 0;

    while (i < len && n < max) {
        k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                             (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            buf[n++] = '?';
            i++;
            continue;
        }
        if (n + (size_t)k > max)
            break;
        memcpy(buf + n, s + i, (size_t)k);
        n += (size_t)k;
        i += (size_t)k;
    }
    snprintf(buf + n, 4, "%s", i < len ? "..." : "");
}

/* 1-based character (not byte) position of byte offset off. */
static size_t
char_pos(const char *s, size_t off)
{
    size_t i, n = 1;

    for (i = 0; i < off; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* How many bytes of s to show, at most max, cut on a character start. */
static size_t
clip(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

int
filter_failf(struct scim_ctx *ctx, const char *text, size_t len,
             int in_path, int path_err, const char *attr, size_t at,
             const char *fmt, ...)
{
    char raw[400], msg[400], q[QUOTE_MAX + 4];
    va_list ap;
    const char *what = path_err ? "path" : in_path ? "filter in path"
                                                   : "filter";

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    quote(raw, strlen(raw), sizeof(msg) - 4, msg);
    quote(text, len, QUOTE_MAX, q);
    return scim_failf(ctx != NULL ? &ctx->err : NULL, 400,
                      path_err ? SCIM_CAUSE_INVALID_PATH
                               : SCIM_CAUSE_INVALID_FILTER,
                      path_err ? "invalidPath" : "invalidFilter",
                      attr != NULL ? attr : path_err ? "path" : "filter",
                      "Invalid %s '%s': %s at position %zu.", what, q, msg,
                      char_pos(text, at));
}

static int
perr(struct parser *p, size_t at, const char *fmt, ...) SCIM_PRINTF(3, 4);

static int
perr(struct parser *p, size_t at, const char *fmt, ...)
{
    char msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return filter_failf(p->ctx, p->text, p->len, p->in_path, 0, NULL, at,
                        "%s", msg);
}

/* A token as the client wrote it, for messages. */
static const char *
show(const struct parser *p, const struct token *t, char *buf, size_t size)
{
    size_t n;

    if (t->kind == TK_EOF)
        return "end of filter";
    n = clip(p->text + t->start, t->end - t->start, SHOW_MAX);
    snprintf(buf, size, "'%.*s%s'", (int)n, p->text + t->start,
             n < t->end - t->start ? "..." : "");
    return buf;
}

/* "expected X after 'prev'" pointing at the current token. */
static int
expected(struct parser *p, const char *what)
{
    char a[64], b[64];

    if (p->prev.end == 0)
        return perr(p, p->tok.start, "expected %s but found %s", what,
                    show(p, &p->tok, b, sizeof(b)));
    return perr(p, p->tok.start, "expected %s after %s but found %s", what,
                show(p, &p->prev, a, sizeof(a)),
                show(p, &p->tok, b, sizeof(b)));
}

/* ---- Lexer --------------------------------------------------------------- */

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_delim(char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '[' || c == ']'
           || c == '"';
}

/* Finds the closing quote; escapes are checked when the value is read. */
static int
lex_string(struct parser *p, size_t i)
{
    size_t start = i;

    for (i++; i < p->len; i++) {
        if (p->text[i] == '\\' && i + 1 < p->len) {
            i++;
            continue;
        }
        if (p->text[i] == '"') {
            p->tok.kind = TK_STRING;
            p->tok.end = i + 1;
            p->pos = i + 1;
            return SCIM_OK;
        }
    }
    return perr(p, start, "unterminated string starting");
}

/* Advances to the next token. */
static int
lex(struct parser *p)
{
    const char *s = p->text;
    size_t i = p->pos;

    p->prev = p->tok;
    while (i < p->len && is_space(s[i]))
        i++;
    p->tok.start = i;
    if (i >= p->len)
        p->tok.kind = TK_EOF;
    else if (s[i] == '"')
        return lex_string(p, i);
    else if (s[i] == '(' || s[i] == ')' || s[i] == '[' || s[i] == ']') {
        p->tok.kind = s[i] == '(' ? TK_LPAREN : s[i] == ')' ? TK_RPAREN
                      : s[i] == '[' ? TK_LBRACK : TK_RBRACK;
        i++;
    } else {
        p->tok.kind = TK_WORD;
        while (i < p->len && !is_delim(s[i]))
            i++;
    }
    p->tok.end = i;
    p->pos = i;
    return SCIM_OK;
}

static int
word_is(const struct parser *p, const char *kw)
{
    size_t n = strlen(kw);

    return p->tok.kind == TK_WORD && p->tok.end - p->tok.start == n
           && strncasecmp(p->text + p->tok.start, kw, n) == 0;
}

/* ---- Literals ------------------------------------------------------------ */

static int
hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/*
 * Reads the \uXXXX escape at s[*i] (just past the "u"), joining a
 * surrogate pair (RFC 8259 section 7). Returns the code point, or -1.
 */
static long
read_u(const char *s, size_t end, size_t *i)
{
    unsigned hi, lo;

    if (*i + 4 > end || hex4(s + *i, &hi) != 0)
        return -1;
    *i += 4;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return -1;
    if (hi < 0xD800 || hi > 0xDBFF)
        return hi;
    if (*i + 6 > end || s[*i] != '\\' || s[*i + 1] != 'u'
        || hex4(s + *i + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
        return -1;
    *i += 6;
    return 0x10000 + (((long)hi - 0xD800) << 10) + ((long)lo - 0xDC00);
}

static int
simple_escape(char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
    }
}

/* Decodes the escape at s[*i] (the backslash) into buf[*n]. */
static int
unescape(struct parser *p, size_t end, size_t *i, char *buf, size_t *n)
{
    const char *s = p->text;
    size_t at = *i;
    long cp;
    int c;

    if ((c = simple_escape(s[at + 1])) >= 0) {
        buf[(*n)++] = (char)c;
        *i += 2;
        return SCIM_OK;
    }
    if (s[at + 1] != 'u')
        return perr(p, at, "invalid escape '\\%c' in string", s[at + 1]);
    *i += 2;
    cp = read_u(s, end, i);
    if (cp <= 0)
        return perr(p, at, cp == 0 ? "'\\u0000' is not allowed in a value"
                                   : "invalid \\u escape in string");
    *n += (size_t)utf8proc_encode_char((utf8proc_int32_t)cp,
                                       (utf8proc_uint8_t *)buf + *n);
    return SCIM_OK;
}

/* The JSON string token t as a jansson string (RFC 8259 escapes). */
static int
read_string(struct parser *p, json_t **out)
{
    size_t i = p->tok.start + 1, end = p->tok.end - 1, n = 0;
    char *buf = scim_malloc(end - i + 1);
    int rc = SCIM_OK;

    if (buf == NULL)
        return SCIM_ENOMEM;
    while (rc == SCIM_OK && i < end) {
        if (p->text[i] == '\\')
            rc = unescape(p, end, &i, buf, &n);
        else if ((unsigned char)p->text[i] < 0x20)
            rc = perr(p, i, "control character in string");
        else
            buf[n++] = p->text[i++];
    }
    if (rc == SCIM_OK && !valid_utf8(buf, n))
        rc = perr(p, p->tok.start, "string is not valid UTF-8");
    if (rc == SCIM_OK && (*out = json_stringn(buf, n)) == NULL)
        rc = SCIM_ENOMEM;
    scim_free(buf);
    return rc;
}

static size_t
digits(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/*
 * Nonzero when s (n bytes) is a JSON number (RFC 8259 section 6);
 * *integral tells whether it has neither fraction nor exponent.
 */
static int
is_number(const char *s, size_t n, int *integral)
{
    size_t i = 0, j;

    *integral = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if ((j = digits(s, i, n)) > i)
        i = j;
    else
        return 0;
    if (i < n && s[i] == '.') {
        *integral = 0;
        if ((j = digits(s, i + 1, n)) == i + 1)
            return 0;
        i = j;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *integral = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((j = digits(s, i, n)) == i)
            return 0;
        i = j;
    }
    return i == n;
}

/* The number token as an integer when it fits, else as a real. */
static int
read_number(struct parser *p, int integral, json_t **out)
{
    char *z = scim_strndup(p->text + p->tok.start,
                           p->tok.end - p->tok.start);
    long long ll = 0;
    double d = 0;

    *out = NULL;
    if (z == NULL)
        return SCIM_ENOMEM;
    errno = 0;
    if (integral)
        ll = strtoll(z, NULL, 10);
    if (integral && errno == 0)
        *out = json_integer((json_int_t)ll);
    else if (isfinite(d = strtod(z, NULL)))
        *out = json_real(d);
    scim_free(z);
    if (*out == NULL && !isfinite(d))
        return perr(p, p->tok.start, "number out of range");
    return *out != NULL ? SCIM_OK : SCIM_ENOMEM;
}

/* A bare word: true, false, null, a number, or (dialect) a string. */
static int
read_word(struct parser *p, const char *opname, json_t **out)
{
    const char *s = p->text + p->tok.start;
    size_t n = p->tok.end - p->tok.start;
    int integral;
    char b[64];

    /* RFC 7644 spells the literals in lower case; any case is read. */
    if (word_is(p, "true") || word_is(p, "false"))
        *out = json_boolean(s[0] == 't' || s[0] == 'T');
    else if (word_is(p, "null"))
        *out = json_null();
    else if (is_number(s, n, &integral))
        return read_number(p, integral, out);
    else if (strcmp(opname, "eq") == 0 && memchr(s, '\'', n) == NULL
             && valid_utf8(s, n)
             && scim_ctx_dialect(p->ctx, SCIM_DIALECT_UNQUOTED_VALUE)) {
        /*
         * Entra ID's legacy docs send externalId eq jyoung unquoted.
         * Limitation: a bare word that reads as a number or literal
         * (externalId eq 12345) stays one, and so fails the type check.
         */
        scim_ctx_fire(p->ctx, SCIM_DIALECT_UNQUOTED_VALUE);
        *out = json_stringn(s, n);
    } else
        return perr(p, p->tok.start, "%s is not a value (strings take "
                    "double quotes; numbers, true, false and null are bare)",
                    show(p, &p->tok, b, sizeof(b)));
    return *out != NULL ? SCIM_OK : SCIM_ENOMEM;
}

/* ---- Parser -------------------------------------------------------------- */

static struct filter_node *
node_new(enum filter_op op, size_t pos)
{
    struct filter_node *n = scim_calloc(1, sizeof(*n));

    if (n != NULL) {
        n->op = op;
        n->pos = pos;
    }
    return n;
}

static int parse_or(struct parser *p, struct filter_node **out);

static enum filter_op
op_lookup(const struct parser *p)
{
    int op;

    for (op = FILTER_EQ; op <= FILTER_PR; op++)
        if (word_is(p, op_names[op]))
            return (enum filter_op)op;
    return FILTER_AND;      /* not a comparison operator */
}

/* The compValue after the operator (current token), then advances. */
static int
parse_value(struct parser *p, struct filter_node *n)
{
    const char *opname = op_names[n->op];
    char b[64];
    int rc;

    if (p->tok.kind == TK_STRING)
        rc = read_string(p, &n->value);
    else if (p->tok.kind == TK_WORD && op_lookup(p) == FILTER_AND
             && !word_is(p, "and") && !word_is(p, "or"))
        rc = read_word(p, opname, &n->value);
    else if (p->tok.kind == TK_EOF)
        return perr(p, p->tok.start, "expected a value after '%s'",
                    opname);
    else
        return perr(p, p->tok.start, "expected a value after '%s' but "
                    "found %s", opname, show(p, &p->tok, b, sizeof(b)));
    return rc == SCIM_OK ? lex(p) : rc;
}

/* attr[valFilter]: the current token is the "[". */
static int
parse_valuepath(struct parser *p, struct filter_node *n)
{
    const struct filter_attr *saved = p->parent;
    size_t open = p->tok.start;
    int rc;

    if (p->parent != NULL)
        return perr(p, open, "a value filter cannot contain another "
                    "value filter");
    if (++p->depth > FILTER_MAX_DEPTH)
        return perr(p, open, "filter nested too deeply");
    n->op = FILTER_VALUEPATH;
    rc = filter_resolve(p->ctx, p->rt, NULL, n, p->text, p->len, p->in_path);
    if (rc != SCIM_OK)
        return rc;
    p->parent = &n->attr;
    rc = lex(p);
    if (rc == SCIM_OK)
        rc = parse_or(p, &n->a);
    p->parent = saved;
    p->depth--;
    if (rc == SCIM_OK && p->tok.kind != TK_RBRACK)
        return perr(p, p->tok.start, "the '[' at position %zu is not "
                    "closed; expected ']'", char_pos(p->text, open));
    return rc == SCIM_OK ? lex(p) : rc;
}

/* The comparison of a sub-attribute tail: ".value eq "x"". */
static int
parse_tail_cmp(struct parser *p, struct filter_node *vp,
               struct filter_node *c)
{
    const struct filter_attr *saved = p->parent;
    size_t len = p->tok.end - p->tok.start;
    char b[64];
    int rc;

    if (len < 2 || filter_attr_split(p->text + p->tok.start + 1, len - 1,
                                     &c->attr) != SCIM_OK)
        return perr(p, p->tok.start, "%s is not a valid sub-attribute",
                    show(p, &p->tok, b, sizeof(b)));
    rc = lex(p);
    if (rc != SCIM_OK)
        return rc;
    if (p->tok.kind != TK_WORD || (c->op = op_lookup(p)) == FILTER_AND)
        return expected(p, "an operator");
    rc = lex(p);
    if (rc == SCIM_OK && c->op != FILTER_PR)
        rc = parse_value(p, c);
    p->parent = &vp->attr;
    if (rc == SCIM_OK)
        rc = filter_resolve(p->ctx, p->rt, p->parent, c, p->text, p->len,
                            p->in_path);
    p->parent = saved;
    return rc;
}

/*
 * Entra ID matches users with emails[type eq "work"].value eq "x": PATCH
 * path syntax used as a filter. It is read as emails[type eq "work" and
 * value eq "x"], both tests on the same element, when the tenant's
 * filter_subattr dialect rule is on. The current token is ".value".
 */
static int
parse_subattr_tail(struct parser *p, struct filter_node *vp)
{
    struct filter_node *c, *both;
    int rc;

    if (!scim_ctx_dialect(p->ctx, SCIM_DIALECT_FILTER_SUBATTR))
        return perr(p, p->tok.start, "a sub-attribute after ']' is only "
                    "allowed in PATCH paths; write attr[... and sub op "
                    "value]");
    c = node_new(FILTER_EQ, p->tok.start);
    both = node_new(FILTER_AND, p->tok.start);
    if (c == NULL || both == NULL) {
        scim_free(c);
        scim_free(both);
        return SCIM_ENOMEM;
    }
    rc = parse_tail_cmp(p, vp, c);
    if (rc != SCIM_OK) {
        filter_free(c);
        scim_free(both);
        return rc;
    }
    both->a = vp->a;
    both->b = c;
    vp->a = both;
    scim_ctx_fire(p->ctx, SCIM_DIALECT_FILTER_SUBATTR);
    return SCIM_OK;
}

/* attrPath, then "[" valFilter "]", "pr", or compareOp compValue. */
static int
parse_attrexp(struct parser *p, struct filter_node *n)
{
    size_t len = p->tok.end - p->tok.start;
    char b[64];
    int rc;

    if (word_is(p, "and") || word_is(p, "or"))
        return expected(p, "an attribute path, 'not' or '('");
    rc = filter_attr_split(p->text + p->tok.start, len, &n->attr);
    if (rc == SCIM_EINVAL)
        return perr(p, p->tok.start, "%s is not a valid attribute path",
                    show(p, &p->tok, b, sizeof(b)));
    if (rc == SCIM_OK && ++p->terms > FILTER_MAX_TERMS)
        return perr(p, p->tok.start, "more than %d comparisons",
                    FILTER_MAX_TERMS);
    if (rc == SCIM_OK)
        rc = lex(p);
    if (rc != SCIM_OK)
        return rc;
    if (p->tok.kind == TK_LBRACK) {
        rc = parse_valuepath(p, n);
        if (rc == SCIM_OK && p->tok.kind == TK_WORD &&
            p->text[p->tok.start] == '.')
            rc = parse_subattr_tail(p, n);
        return rc;
    }
    if (p->tok.kind != TK_WORD)
        return expected(p, "an operator");
    if ((n->op = op_lookup(p)) == FILTER_AND)
        return perr(p, p->tok.start, "unknown operator %s",
                    show(p, &p->tok, b, sizeof(b)));
    rc = lex(p);
    if (rc == SCIM_OK && n->op != FILTER_PR)
        rc = parse_value(p, n);
    if (rc == SCIM_OK)
        rc = filter_resolve(p->ctx, p->rt, p->parent, n, p->text, p->len,
                            p->in_path);
    return rc;
}

/* "(" FILTER ")": the current token is the "(". */
static int
parse_group(struct parser *p, struct filter_node **out)
{
    size_t open = p->tok.start;
    int rc;

    if (++p->depth > FILTER_MAX_DEPTH)
        return perr(p, open, "filter nested too deeply");
    rc = lex(p);
    if (rc == SCIM_OK)
        rc = parse_or(p, out);
    p->depth--;
    if (rc == SCIM_OK && p->tok.kind != TK_RPAREN)
        rc = perr(p, p->tok.start, "the '(' at position %zu is not "
                  "closed; expected ')'", char_pos(p->text, open));
    if (rc == SCIM_OK)
        return lex(p);
    filter_free(*out);
    *out = NULL;
    return rc;
}

/* not "(" FILTER ")" / "(" FILTER ")" / attribute expression. */
static int
parse_unary(struct parser *p, struct filter_node **out)
{
    struct filter_node *n;
    int rc;

    if (p->tok.kind == TK_LPAREN)
        return parse_group(p, out);
    if (p->tok.kind != TK_WORD)
        return expected(p, "an attribute path, 'not' or '('");
    if ((n = node_new(FILTER_NOT, p->tok.start)) == NULL)
        return SCIM_ENOMEM;
    if (word_is(p, "not")) {
        /* RFC 7644 ABNF: "not" always takes a parenthesised filter. */
        rc = lex(p);
        if (rc == SCIM_OK && p->tok.kind != TK_LPAREN)
            rc = expected(p, "'('");
        if (rc == SCIM_OK)
            rc = parse_group(p, &n->a);
    } else
        rc = parse_attrexp(p, n);
    if (rc != SCIM_OK) {
        filter_free(n);
        return rc;
    }
    *out = n;
    return SCIM_OK;
}

/* Left-associative chain of sub-expressions joined by keyword kw. */
static int
parse_chain(struct parser *p, struct filter_node **out, const char *kw,
            enum filter_op op,
            int (*sub)(struct parser *, struct filter_node **))
{
    struct filter_node *left = NULL, *n;
    int rc = sub(p, &left);

    while (rc == SCIM_OK && word_is(p, kw)) {
        if ((n = node_new(op, p->tok.start)) == NULL) {
            rc = SCIM_ENOMEM;
            break;
        }
        n->a = left;
        left = n;
        rc = lex(p);
        if (rc == SCIM_OK)
            rc = sub(p, &n->b);
    }
    if (rc != SCIM_OK) {
        filter_free(left);
        return rc;
    }
    *out = left;
    return SCIM_OK;
}

static int
parse_and(struct parser *p, struct filter_node **out)
{
    return parse_chain(p, out, "and", FILTER_AND, parse_unary);
}

static int
parse_or(struct parser *p, struct filter_node **out)
{
    return parse_chain(p, out, "or", FILTER_OR, parse_and);
}

/* What may not follow a complete filter, said plainly. */
static int
trailing(struct parser *p)
{
    char b[64];

    if (p->tok.kind == TK_RPAREN)
        return perr(p, p->tok.start, "unexpected ')' without a matching "
                    "'('");
    if (p->tok.kind == TK_RBRACK)
        return perr(p, p->tok.start, "unexpected ']' without a matching "
                    "'['");
    if (p->tok.kind == TK_WORD && p->text[p->tok.start] == '.'
        && p->prev.kind == TK_RBRACK)
        return perr(p, p->tok.start, "a sub-attribute after a value filter "
                    "(%s) is only allowed in PATCH paths",
                    show(p, &p->tok, b, sizeof(b)));
    return perr(p, p->tok.start, "unexpected %s; expected 'and', 'or' or "
                "the end of the filter", show(p, &p->tok, b, sizeof(b)));
}

static void
parser_init(struct parser *p, struct scim_ctx *ctx,
            const struct scim_rtype *rt, const char *text, size_t len)
{
    memset(p, 0, sizeof(*p));
    p->ctx = ctx;
    p->rt = rt;
    p->text = text;
    p->len = len;
}

int
filter_parse(struct scim_ctx *ctx, const struct scim_rtype *rt,
             const char *text, struct filter_node **out)
{
    struct parser p;
    struct filter_node *f = NULL;
    int rc;

    *out = NULL;
    if (text == NULL)
        text = "";
    parser_init(&p, ctx, rt, text, strlen(text));
    if (!valid_utf8(text, p.len))
        return perr(&p, bad_utf8(text, p.len), "the filter is not valid "
                    "UTF-8");
    rc = lex(&p);
    if (rc == SCIM_OK && p.tok.kind == TK_EOF)
        return perr(&p, 0, "the filter is empty");
    if (rc == SCIM_OK)
        rc = parse_or(&p, &f);
    if (rc == SCIM_OK && p.tok.kind != TK_EOF)
        rc = trailing(&p);
    if (rc != SCIM_OK) {
        filter_free(f);
        return rc;
    }
    *out = f;
    return SCIM_OK;
}

int
filter_parse_valfilter(struct scim_ctx *ctx, const struct scim_rtype *rt,
                       const char *text, size_t *pos,
                       const struct filter_attr *parent,
                       struct filter_node **out)
{
    struct parser p;
    struct filter_node *f = NULL;
    int rc;

    *out = NULL;
    parser_init(&p, ctx, rt, text, strlen(text));
    p.pos = *pos;
    p.parent = parent;
    p.in_path = 1;
    p.depth = 1;
    rc = lex(&p);
    if (rc == SCIM_OK)
        rc = parse_or(&p, &f);
    if (rc == SCIM_OK && p.tok.kind != TK_RBRACK)
        rc = perr(&p, p.tok.start, "expected ']' to close the value "
                  "filter");
    if (rc != SCIM_OK) {
        filter_free(f);
        return rc;
    }
    *pos = p.tok.end;
    *out = f;
    return SCIM_OK;
}

void
filter_free(struct filter_node *f)
{
    if (f == NULL)
        return;
    filter_free(f->a);
    filter_free(f->b);
    filter_attr_clear(&f->attr);
    json_decref(f->value);
    scim_free(f);
}
