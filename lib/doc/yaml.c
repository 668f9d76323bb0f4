/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* YAML into the document tree, through libyaml's event API.
 *
 * Events arrive in document order, so the tree is built with an explicit stack
 * of open containers: each one collects its children in a scratch array that
 * is copied into the arena when the container closes (O(n) overall, and no
 * arena space wasted on growth).  Every node keeps the line and column libyaml
 * gives it.
 *
 * A SeccompProfile (or a pod) means what the cluster reads in it: kubectl and
 * the API machinery convert YAML to JSON with sigs.k8s.io/yaml, which resolves
 * plain scalars with go-yaml v2's YAML 1.1 rules, not YAML 1.2's.  So `010` is
 * octal 8, `0x10` 16, `0b10` 2, `1_000` 1000 (every '_' is dropped), `yes`, `on`
 * and `y` are true.  Where go-yaml would do something we do not — a `<<` merge
 * key, an integer it reads through a float64 (`08`, `+9223372036854775809`) —
 * the input is refused at its spot rather than given another meaning.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "doc/doc.h"

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

typedef struct frame {
        sf_node *node;       /* SF_NODE_ARR or SF_NODE_OBJ; its array is set when it closes */
        sf_node **items;     /* a sequence's items so far */
        sf_member *members;  /* a mapping's entries so far */
        size_t n, cap;
        const char *key;     /* a mapping's key waiting for its value, or NULL */
        unsigned key_line, key_col;
} frame;

typedef struct builder {
        yaml_parser_t parser;
        bool parser_ready;   /* parser needs yaml_parser_delete() */
        const char *data;    /* the input as given to libyaml, to locate reader errors */
        size_t len;
        const char *file;
        sf_doc *doc;
        sf_diags *diags;
        /* A value's depth is the number of open containers plus one, as in the
         * JSON parser, so no more than SF_DOC_MAX_DEPTH containers are ever open. */
        frame stack[SF_DOC_MAX_DEPTH];
        size_t depth;
        size_t nodes;        /* values in all documents so far */
        size_t docs_seen;    /* documents started, empty ones included */
        sf_node *root;       /* of the current document; NULL while it is empty */
        sf_node **docs;      /* roots of the non-empty documents so far */
        size_t n_docs, cap_docs;
        bool failed;
} builder;

static void builder_release(builder *b)
{
        for (size_t i = 0; i < b->depth; i++) {
                free(b->stack[i].items);
                free(b->stack[i].members);
        }
        free(b->docs);
        if (b->parser_ready)
                yaml_parser_delete(&b->parser);
}

/* libyaml marks are 0-based; ours are 1-based. */
static unsigned pos1(size_t v)
{
        return v >= UINT_MAX ? UINT_MAX : (unsigned)v + 1;
}

/* Adds the one error diagnostic of this parse and returns r. */
__attribute__((format(printf, 6, 7))) static int fail(builder *b, int r, unsigned line, unsigned col,
                                                      const char *hint, const char *fmt, ...)
{
        if (b->failed)
                return r;
        b->failed = true;
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(b->diags, SF_SEV_ERROR, "yaml-syntax", b->file, "", line, col, hint, fmt, ap);
        va_end(ap);
        return r;
}

static int fail_oom(builder *b, const yaml_mark_t *m)
{
        return fail(b, -ENOMEM, pos1(m->line), pos1(m->column), NULL, "out of memory");
}

/* Renders user text for a message: double-quoted, escaped, cut after ~50 bytes. */
static const char *quote(char buf[static 64], const char *s, size_t len)
{
        size_t o = 0;
        buf[o++] = '"';
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                /* Cut before a character's first byte, keeping room for the
                 * longest escape (4), "...", the quote and the NUL. */
                if (o >= 52 && ((c & 0xC0) != 0x80 || o >= 58)) {
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                if (c == '"' || c == '\\') {
                        buf[o++] = '\\';
                        buf[o++] = (char)c;
                } else if (c == '\n') {
                        buf[o++] = '\\';
                        buf[o++] = 'n';
                } else if (c < 0x20 || c == 0x7f) {
                        o += (size_t)snprintf(buf + o, 64 - o, "\\x%02x", c);
                } else {
                        buf[o++] = (char)c;
                }
        }
        buf[o++] = '"';
        buf[o] = 0;
        return buf;
}

/* A tag for a message, quoted, "tag:yaml.org,2002:int" shown as "!!int" as it was written. */
static const char *show_tag(char buf[static 64], const char *tag)
{
        static const char prefix[] = YAML_TAG_PREFIX;
        char t[64];
        if (strncmp(tag, prefix, sizeof(prefix) - 1) == 0) {
                snprintf(t, sizeof(t), "!!%s", tag + sizeof(prefix) - 1);
                tag = t;
        }
        return quote(buf, tag, strlen(tag));
}

/* Byte offset of the index-th character (libyaml's mark.index counts characters). */
static size_t offset_of_char(const char *data, size_t len, size_t index)
{
        size_t off = 0;
        for (size_t chars = 0; off < len; off++) {
                if (((unsigned char)data[off] & 0xC0) == 0x80)
                        continue;
                if (chars++ == index)
                        break;
        }
        return off;
}

/* Line and column of a byte offset, counted as libyaml counts them. */
static void position_of(const char *data, size_t len, size_t off, unsigned *ret_line, unsigned *ret_col)
{
        size_t line = 0, col = 0;
        for (size_t i = 0; i < off && i < len; i++) {
                unsigned char c = (unsigned char)data[i];
                if (c == '\n' || (c == '\r' && (i + 1 >= len || data[i + 1] != '\n'))) {
                        line++;
                        col = 0;
                } else if ((c & 0xC0) != 0x80) {
                        col++;
                }
        }
        *ret_line = pos1(line);
        *ret_col = pos1(col);
}

static int syntax_error(builder *b, const yaml_parser_t *p)
{
        const char *problem = p->problem ? p->problem : "unknown error";
        unsigned line, col;

        switch (p->error) {
        case YAML_MEMORY_ERROR:
                return fail(b, -ENOMEM, 0, 0, NULL, "out of memory");
        case YAML_READER_ERROR:
                /* The reader knows a byte offset only. */
                position_of(b->data, b->len, p->problem_offset, &line, &col);
                if (p->problem_value < 0)
                        return fail(b, -EINVAL, line, col, NULL, "yaml syntax: %s", problem);
                if (strstr(problem, "octet"))
                        return fail(b, -EINVAL, line, col, NULL, "yaml syntax: %s (byte 0x%02x)", problem,
                                    (unsigned)p->problem_value);
                return fail(b, -EINVAL, line, col, NULL, "yaml syntax: %s (U+%04X)", problem,
                            (unsigned)p->problem_value);
        case YAML_SCANNER_ERROR:
        case YAML_PARSER_ERROR: {
                const yaml_mark_t *m = &p->problem_mark;
                const char *hint = NULL;
                char context[160];
                size_t off = offset_of_char(b->data, b->len, m->index);
                /* libyaml's words for a tab in the indentation do not say "tab". */
                if (off < b->len && b->data[off] == '\t') {
                        hint = "indent with spaces: yaml does not allow tabs there";
                } else if (p->context && p->context_mark.index != m->index) {
                        snprintf(context, sizeof(context), "%s that starts at line %u, column %u", p->context,
                                 pos1(p->context_mark.line), pos1(p->context_mark.column));
                        hint = context;
                }
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), hint, "yaml syntax: %s", problem);
        }
        default:
                return fail(b, -EINVAL, 0, 0, NULL, "yaml syntax: %s", problem);
        }
}

/* Grows a scratch array so it can take one more element; NULL on ENOMEM (v stays valid). */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
        if (n < *cap)
                return v;
        size_t ncap = *cap ? *cap * 2 : 8;
        void *nv = reallocarray(v, ncap, size);
        if (nv)
                *cap = ncap;
        return nv;
}

static frame *top(builder *b)
{
        return b->depth ? &b->stack[b->depth - 1] : NULL;
}

static bool awaiting_key(const frame *f)
{
        return f && f->node->kind == SF_NODE_OBJ && !f->key;
}

/* go-yaml v2's resolution (its resolve.go), one function per type: what
 * sigs.k8s.io/yaml hands to encoding/json, so what the cluster holds. */

static bool is_null(const char *s, size_t n)
{
        if (n == 4)
                return memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 || memcmp(s, "NULL", 4) == 0;
        return n == 0 || (n == 1 && s[0] == '~');
}

/* YAML 1.1's booleans, as go-yaml v2 reads them: `privileged: yes` is true there. */
static bool parse_bool(const char *s, size_t n, bool *ret)
{
        static const char *const words[][2] = {
                { "y", "n" },       { "Y", "N" },         { "yes", "no" },   { "Yes", "No" },
                { "YES", "NO" },    { "true", "false" },  { "True", "False" }, { "TRUE", "FALSE" },
                { "on", "off" },    { "On", "Off" },      { "ON", "OFF" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                for (int v = 0; v < 2; v++)
                        if (strlen(words[i][v]) == n && memcmp(s, words[i][v], n) == 0) {
                                *ret = v == 0;
                                return true;
                        }
        return false;
}

static int digit_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'Z')
                return c - 'A' + 10;
        return -1;
}

typedef enum go_num {
        GO_OK,
        GO_SYNTAX,
        GO_RANGE,
} go_num;

/* Go's strconv.ParseUint(s, 0, 64): 0b/0B binary, 0o/0O octal, 0x/0X hex (each
 * with at least one more character), else a leading 0 means octal (010 is 8),
 * else decimal. */
static go_num go_parse_uint(const char *s, size_t n, uint64_t *ret)
{
        unsigned base = 10;
        size_t i = 0;

        if (n == 0)
                return GO_SYNTAX;
        if (s[0] == '0') {
                char p = n >= 3 ? (char)(s[1] | 0x20) : 0;
                base = p == 'b' ? 2 : p == 'o' ? 8 : p == 'x' ? 16 : 8;
                i = p == 'b' || p == 'o' || p == 'x' ? 2 : 1;
        }
        uint64_t v = 0;
        bool range = false;
        for (; i < n; i++) {
                int d = digit_value(s[i]);
                if (d < 0 || (unsigned)d >= base)
                        return GO_SYNTAX;
                if (v > (UINT64_MAX - (unsigned)d) / base)
                        range = true;
                else
                        v = v * base + (unsigned)d;
        }
        if (range)
                return GO_RANGE;
        *ret = v;
        return GO_OK;
}

static size_t skip_digits(const char *s, size_t n, size_t i)
{
        while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
        return i;
}

/* go-yaml's yamlStyleFloat: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_decimal_float(const char *s, size_t n)
{
        size_t i = n > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
        size_t j = skip_digits(s, n, i);
        bool int_digits = j > i;
        if (j < n && s[j] == '.') {
                size_t k = skip_digits(s, n, j + 1);
                if (!int_digits && k == j + 1)
                        return false; /* "." alone */
                j = k;
        } else if (!int_digits) {
                return false;
        }
        if (j < n && (s[j] == 'e' || s[j] == 'E')) {
                size_t k = j + 1;
                if (k < n && (s[k] == '-' || s[k] == '+'))
                        k++;
                j = skip_digits(s, n, k);
                if (j == k)
                        return false;
        }
        return j == n;
}

/* .nan, [-+]?.inf in go-yaml's spellings. */
static bool is_special_float(const char *s, size_t n)
{
        if (n == 4 && (memcmp(s, ".nan", 4) == 0 || memcmp(s, ".NaN", 4) == 0 || memcmp(s, ".NAN", 4) == 0))
                return true;
        size_t i = n > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
        return n - i == 4 && (memcmp(s + i, ".inf", 4) == 0 || memcmp(s + i, ".Inf", 4) == 0 ||
                              memcmp(s + i, ".INF", 4) == 0);
}

static void set_int(sf_node *node, bool neg, bool overflow, uint64_t mag)
{
        node->num_is_int = true;
        node->num_overflow = overflow;
        node->num.mag = overflow ? 0 : mag;
        node->num_neg = neg && (mag != 0 || overflow); /* -0 is 0, as go-yaml reads it */
}

static void set_float(sf_node *node, const char *s)
{
        node->num_is_int = false;
        node->num_neg = s[0] == '-';
}

typedef enum resolved {
        RES_NONE,  /* not a number of that kind */
        RES_INT,
        RES_FLOAT,
} resolved;

/* A number as go-yaml resolves one that starts with a digit or a sign: every '_'
 * dropped, then Go's ParseInt(s, 0, 64), then ParseUint(s, 0, 64), then a
 * decimal float.  Integers come out exact; where go-yaml would go through a
 * float64 and could change the value, the scalar is refused at its spot
 * (and a negative code returned). */
static int resolve_number(builder *b, const yaml_event_t *ev, const char *s, size_t n, sf_node *node,
                          resolved *ret)
{
        const yaml_mark_t *m = &ev->start_mark;
        char q[64];
        if (n == 0 || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+'))
                return *ret = RES_NONE, 0;

        char small[128];
        _cleanup_free_ char *big = NULL;
        char *p = small;
        if (n >= sizeof(small)) {
                p = big = malloc(n + 1);
                if (!big)
                        return fail_oom(b, m);
        }
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
                if (s[i] != '_')
                        p[len++] = s[i];
        p[len] = 0;

        bool neg = p[0] == '-', sign = neg || p[0] == '+';
        const char *u = p + sign;
        size_t ulen = len - sign;
        uint64_t mag = 0;
        go_num r = go_parse_uint(u, ulen, &mag);
        if (r == GO_OK && (!sign || mag <= (uint64_t)INT64_MAX + neg)) {
                set_int(node, neg, false, mag);
                return *ret = RES_INT, 0;
        }
        if (!is_decimal_float(p, len)) {
                /* 0x1g, or a signed 0x… beyond int64, is a string to go-yaml; an
                 * unsigned one beyond uint64 a big integer (its newest fork). */
                if (r != GO_RANGE || sign)
                        return *ret = RES_NONE, 0;
                set_int(node, false, true, 0);
                return *ret = RES_INT, 0;
        }
        if (skip_digits(u, ulen, 0) != ulen) {
                set_float(node, p);
                return *ret = RES_FLOAT, 0;
        }
        /* Digits only, and no integer for Go: read as a decimal float64. */
        if (u[0] == '0' && r == GO_SYNTAX) {
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column),
                            "write it without the leading 0 for decimal, or with 0o for octal",
                            "%s is read by go-yaml (Kubernetes) as a decimal float: a leading 0 means "
                            "octal (010 is 8), but 8 and 9 are not octal digits", quote(q, s, n));
        }
        if (u[0] != '0' && r == GO_OK && !neg) {
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), "write it without the '+'",
                            "%s is above 9223372036854775807 with a sign, so go-yaml (Kubernetes) "
                            "reads it as a float64, which keeps 53 bits of it", quote(q, s, n));
        }
        /* Beyond the range as a float too: an integer out of range either way. */
        set_int(node, neg, r != GO_OK, mag);
        return *ret = RES_INT, 0;
}

/* What a scalar's tag (or its absence) asks it to be. */
typedef enum want {
        WANT_ANY, /* untagged plain scalar: resolve by the core schema */
        WANT_STR,
        WANT_NULL,
        WANT_BOOL,
        WANT_INT,
        WANT_FLOAT,
} want;

static int scalar_want(builder *b, const yaml_event_t *ev, want *ret)
{
        static const struct {
                const char *name;
                want w;
        } tags[] = {
                { YAML_TAG_PREFIX "str", WANT_STR },     { YAML_TAG_PREFIX "null", WANT_NULL },
                { YAML_TAG_PREFIX "bool", WANT_BOOL },   { YAML_TAG_PREFIX "int", WANT_INT },
                { YAML_TAG_PREFIX "float", WANT_FLOAT },
        };
        const char *tag = (const char *)ev->data.scalar.tag;

        if (!tag) {
                *ret = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? WANT_ANY : WANT_STR;
                return 0;
        }
        if (strcmp(tag, "!") == 0) { /* the non-specific tag: a string */
                *ret = WANT_STR;
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
                if (strcmp(tag, tags[i].name) == 0) {
                        *ret = tags[i].w;
                        return 0;
                }
        char q[64];
        return fail(b, -EINVAL, pos1(ev->start_mark.line), pos1(ev->start_mark.column),
                    "only !!str, !!null, !!bool, !!int and !!float are supported on scalars",
                    "unsupported yaml tag %s", show_tag(q, tag));
}

static int new_node(builder *b, sf_node_kind kind, const yaml_mark_t *m, sf_node **ret)
{
        if (b->depth >= SF_DOC_MAX_DEPTH)
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL, "nesting deeper than %d levels",
                            SF_DOC_MAX_DEPTH);
        if (++b->nodes > SF_DOC_MAX_NODES)
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL,
                            "more than %d values in one file", SF_DOC_MAX_NODES);
        sf_node *n = sf_arena_alloc(&b->doc->arena, sizeof(*n));
        if (!n)
                return fail_oom(b, m);
        n->kind = kind;
        n->line = pos1(m->line);
        n->col = pos1(m->column);
        *ret = n;
        return 0;
}

/* Hands a new value to its container (or makes it the document's root). */
static int attach(builder *b, sf_node *n)
{
        frame *f = top(b);
        if (!f) {
                b->root = n;
                return 0;
        }
        if (f->node->kind == SF_NODE_ARR) {
                if (f->n >= SF_DOC_MAX_ITEMS)
                        return fail(b, -EINVAL, n->line, n->col, NULL, "more than %d items in one sequence",
                                    SF_DOC_MAX_ITEMS);
                sf_node **v = grow(f->items, &f->cap, f->n, sizeof(*v));
                if (!v)
                        return fail(b, -ENOMEM, n->line, n->col, NULL, "out of memory");
                f->items = v;
                f->items[f->n++] = n;
                return 0;
        }
        sf_member *v = grow(f->members, &f->cap, f->n, sizeof(*v));
        if (!v)
                return fail(b, -ENOMEM, n->line, n->col, NULL, "out of memory");
        f->members = v;
        f->members[f->n++] = (sf_member){ .key = f->key, .val = n, .line = f->key_line, .col = f->key_col };
        f->key = NULL;
        return 0;
}

static int on_key(builder *b, frame *f, const yaml_event_t *ev)
{
        const char *tag = (const char *)ev->data.scalar.tag;
        const yaml_mark_t *m = &ev->start_mark;

        /* Keys are kept as written; a tag that would make one a number or a
         * boolean has no meaning for a profile, so it is refused rather than ignored. */
        char q[64];
        if (tag && strcmp(tag, "!") != 0 && strcmp(tag, YAML_TAG_PREFIX "str") != 0)
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL,
                            "unsupported yaml tag %s on a mapping key", show_tag(q, tag));
        /* go-yaml merges the mapping a plain << names into this one (YAML 1.1's
         * merge key); taking it as an ordinary key would yield another object
         * than the cluster's, and merging needs aliases, which are refused too. */
        if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.length == 2 &&
            memcmp(ev->data.scalar.value, "<<", 2) == 0)
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), "write the merged keys out in full",
                            "yaml merge keys (<<) are not supported: go-yaml (Kubernetes) would merge "
                            "another mapping into this one");
        if (f->n >= SF_DOC_MAX_ITEMS)
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL,
                            "more than %d entries in one mapping", SF_DOC_MAX_ITEMS);
        f->key = sf_arena_strndup(&b->doc->strings, (const char *)ev->data.scalar.value,
                                  ev->data.scalar.length);
        if (!f->key)
                return fail_oom(b, m);
        f->key_line = pos1(m->line);
        f->key_col = pos1(m->column);
        return 0;
}

static int on_scalar(builder *b, const yaml_event_t *ev)
{
        const char *s = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        const yaml_mark_t *m = &ev->start_mark;
        char q[64];

        if (len > SF_DOC_MAX_STRING)
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL,
                            "string of %zu bytes is longer than the limit of %d", len, SF_DOC_MAX_STRING);
        /* A double-quoted "\0" or "\x00"; the tree's strings are C strings. */
        if (memchr(s, 0, len))
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL, "NUL byte in %s",
                            quote(q, s, len));

        frame *f = top(b);
        if (awaiting_key(f))
                return on_key(b, f, ev);

        want w = WANT_STR;
        int r = scalar_want(b, ev, &w);
        if (r < 0)
                return r;
        /* An empty document ("---" and nothing, or a trailing "---") is no document. */
        if (!f && w == WANT_ANY && len == 0)
                return 0;

        sf_node *n = NULL;
        r = new_node(b, SF_NODE_STR, m, &n);
        if (r < 0)
                return r;
        bool bv;
        resolved num = RES_NONE;
        if (w == WANT_ANY || w == WANT_INT || w == WANT_FLOAT) {
                /* go-yaml reads a scalar that starts with '.' by ParseFloat, underscores and all. */
                if (is_special_float(s, len) || (len > 0 && s[0] == '.' && is_decimal_float(s, len))) {
                        set_float(n, s);
                        num = RES_FLOAT;
                } else {
                        r = resolve_number(b, ev, s, len, n, &num);
                        if (r < 0)
                                return r;
                }
                if (w == WANT_FLOAT && num == RES_INT) {
                        set_float(n, s);
                        num = RES_FLOAT;
                }
                if (w == WANT_INT && num == RES_FLOAT)
                        num = RES_NONE;
        }
        if ((w == WANT_ANY || w == WANT_NULL) && is_null(s, len)) {
                n->kind = SF_NODE_NULL;
        } else if ((w == WANT_ANY || w == WANT_BOOL) && parse_bool(s, len, &bv)) {
                n->kind = SF_NODE_BOOL;
                n->b = bv;
        } else if (num != RES_NONE) {
                n->kind = SF_NODE_NUM;
                n->num.text = sf_arena_strndup(&b->doc->strings, s, len);
                if (!n->num.text)
                        return fail_oom(b, m);
        } else if (w == WANT_ANY || w == WANT_STR) {
                n->str.s = sf_arena_strndup(&b->doc->strings, s, len);
                n->str.len = len;
                if (!n->str.s)
                        return fail_oom(b, m);
        } else {
                char qt[64];
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL, "%s is not a valid %s",
                            quote(q, s, len), show_tag(qt, (const char *)ev->data.scalar.tag));
        }
        return attach(b, n);
}

static int on_container_start(builder *b, const yaml_event_t *ev, sf_node_kind kind)
{
        const yaml_mark_t *m = &ev->start_mark;
        const char *what = kind == SF_NODE_OBJ ? "mapping" : "sequence";
        const char *tag = (const char *)(kind == SF_NODE_OBJ ? ev->data.mapping_start.tag
                                                             : ev->data.sequence_start.tag);
        const char *own = kind == SF_NODE_OBJ ? YAML_TAG_PREFIX "map" : YAML_TAG_PREFIX "seq";

        char q[64];
        if (tag && strcmp(tag, "!") != 0 && strcmp(tag, own) != 0)
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL,
                            "unsupported yaml tag %s on a %s", show_tag(q, tag), what);
        frame *f = top(b);
        if (awaiting_key(f))
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL,
                            "a mapping key must be a scalar, not a %s", what);
        sf_node *n = NULL;
        int r = new_node(b, kind, m, &n);
        if (r < 0)
                return r;
        r = attach(b, n);
        if (r < 0)
                return r;
        /* new_node() checked the depth: the stack has room. */
        b->stack[b->depth++] = (frame){ .node = n };
        return 0;
}

static int cmp_members(const void *a, const void *b)
{
        const sf_member *x = *(const sf_member *const *)a, *y = *(const sf_member *const *)b;
        int c = strcmp(x->key, y->key);
        if (c != 0)
                return c;
        return (x > y) - (x < y); /* equal keys stay in document order */
}

/* Sorting finds duplicates in O(n log n); of all the repeated keys, the one
 * reported is the earliest second occurrence, as a streaming check would. */
static int check_duplicates(builder *b, const frame *f)
{
        if (f->n < 2)
                return 0;
        _cleanup_free_ const sf_member **v = malloc(f->n * sizeof(*v));
        if (!v)
                return fail(b, -ENOMEM, f->node->line, f->node->col, NULL, "out of memory");
        for (size_t i = 0; i < f->n; i++)
                v[i] = &f->members[i];
        qsort(v, f->n, sizeof(*v), cmp_members);

        const sf_member *first = NULL, *second = NULL;
        for (size_t i = 1; i < f->n; i++)
                if (strcmp(v[i - 1]->key, v[i]->key) == 0 && (!second || v[i] < second)) {
                        first = v[i - 1];
                        second = v[i];
                }
        if (!second)
                return 0;
        char q[64];
        quote(q, second->key, strlen(second->key));
        return fail(b, -EINVAL, second->line, second->col, NULL,
                    "duplicate key %s (first at line %u, column %u)", q, first->line, first->col);
}

static int on_container_end(builder *b, const yaml_event_t *ev)
{
        frame *f = top(b);
        sf_node *n = f->node;

        if (n->kind == SF_NODE_OBJ) {
                int r = check_duplicates(b, f);
                if (r < 0)
                        return r;
                if (f->n > 0) {
                        n->obj.v = sf_arena_alloc(&b->doc->arena, f->n * sizeof(sf_member));
                        if (!n->obj.v)
                                return fail_oom(b, &ev->start_mark);
                        memcpy(n->obj.v, f->members, f->n * sizeof(sf_member));
                        n->obj.n = f->n;
                }
        } else if (f->n > 0) {
                n->arr.v = sf_arena_alloc(&b->doc->arena, f->n * sizeof(sf_node *));
                if (!n->arr.v)
                        return fail_oom(b, &ev->start_mark);
                memcpy(n->arr.v, f->items, f->n * sizeof(sf_node *));
                n->arr.n = f->n;
        }
        free(f->items);
        free(f->members);
        *f = (frame){ 0 };
        b->depth--;
        return 0;
}

static int on_event(builder *b, const yaml_event_t *ev)
{
        const yaml_mark_t *m = &ev->start_mark;

        switch (ev->type) {
        case YAML_DOCUMENT_START_EVENT:
                if (++b->docs_seen > SF_DOC_MAX_DOCS)
                        return fail(b, -EINVAL, pos1(m->line), pos1(m->column), NULL,
                                    "more than %d yaml documents in one file", SF_DOC_MAX_DOCS);
                b->root = NULL;
                return 0;
        case YAML_DOCUMENT_END_EVENT: {
                if (!b->root)
                        return 0;
                sf_node **v = grow(b->docs, &b->cap_docs, b->n_docs, sizeof(*v));
                if (!v)
                        return fail_oom(b, m);
                b->docs = v;
                b->docs[b->n_docs++] = b->root;
                return 0;
        }
        case YAML_ALIAS_EVENT: {
                char q[64];
                const char *anchor = (const char *)ev->data.alias.anchor;
                return fail(b, -EINVAL, pos1(m->line), pos1(m->column), "write the value out in full",
                            "yaml aliases are not supported (%s)", quote(q, anchor, strlen(anchor)));
        }
        case YAML_SCALAR_EVENT:
                return on_scalar(b, ev);
        case YAML_SEQUENCE_START_EVENT:
                return on_container_start(b, ev, SF_NODE_ARR);
        case YAML_MAPPING_START_EVENT:
                return on_container_start(b, ev, SF_NODE_OBJ);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                return on_container_end(b, ev);
        default: /* stream start and end */
                return 0;
        }
}

/* On error, a doc whose arena was empty is left empty again; otherwise what was
 * allocated stays in its arena until sf_doc_release(). */
int sf_yaml_parse(const char *data, size_t len, const char *file, sf_doc *doc, sf_diags *diags)
{
        bool fresh = !doc->arena.head && !doc->strings.head;

        if (!data)
                data = "";
        /* libyaml is told the input is UTF-8 (so UTF-16 is refused, as in JSON);
         * then it would count a byte order mark as a column, so drop it here. */
        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
                data += 3;
                len -= 3;
        }

        _cleanup_(builder_release) builder b = {
                .data = data, .len = len, .file = file, .doc = doc, .diags = diags,
        };
        if (!yaml_parser_initialize(&b.parser))
                return fail(&b, -ENOMEM, 0, 0, NULL, "out of memory");
        b.parser_ready = true;
        yaml_parser_set_input_string(&b.parser, (const unsigned char *)data, len);
        yaml_parser_set_encoding(&b.parser, YAML_UTF8_ENCODING);

        int r = 0;
        for (bool end = false; !end && r == 0;) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&b.parser, &ev)) {
                        r = syntax_error(&b, &b.parser);
                        break;
                }
                end = ev.type == YAML_STREAM_END_EVENT;
                r = on_event(&b, &ev);
                yaml_event_delete(&ev);
        }

        sf_node **docs = NULL;
        if (r == 0 && b.n_docs > 0) {
                docs = sf_arena_alloc(&doc->arena, b.n_docs * sizeof(*docs));
                if (!docs)
                        r = fail(&b, -ENOMEM, 0, 0, NULL, "out of memory");
                else
                        memcpy(docs, b.docs, b.n_docs * sizeof(*docs));
        }
        if (r < 0) {
                if (fresh) {
                        sf_arena_release(&doc->arena);
                        sf_arena_release(&doc->strings);
                }
                return r;
        }
        doc->docs = docs;
        doc->n_docs = b.n_docs;
        doc->yaml = true;
        return 0;
}
