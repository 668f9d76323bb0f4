/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A strict JSON parser (RFC 8259) into the document tree.
 *
 * Ours rather than a library's because a profile needs what none of the
 * Debian-packaged parsers gives at once: integers exact up to 2^64-1, the line
 * and column of every value, duplicate keys rejected, hard limits, and no
 * allocation per value (the tree lives in one arena).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include "doc/doc.h"

typedef struct parser {
        const char *p, *end, *start;
        const char *line_start;
        const char *col_at;   /* column cache: the column of col_at is col */
        unsigned col;
        unsigned line;
        const char *file;
        sf_doc *doc;
        sf_diags *diags;
        size_t nodes;
        sf_buf tmp;       /* string decoding scratch */
        void **stack;     /* child scratch shared by all arrays */
        size_t stack_n, stack_cap;
        sf_member *mem;   /* member scratch shared by all objects */
        size_t mem_n, mem_cap;
        const char *interned[1024]; /* short keys and numbers seen, shared (a profile repeats them) */
        bool failed;
} parser;

#define INTERN_MAX 24

/* A copy of s in the arena, shared with an earlier equal one when s is short:
 * "index", "value", "op" and small numbers come back hundreds of thousands of
 * times in a large profile, 16 bytes each. */
static const char *intern(parser *ps, const char *s, size_t n)
{
        if (n > INTERN_MAX)
                return sf_arena_strndup(&ps->doc->strings, s, n);
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)s[i]) * 16777619u;
        const char **slot = &ps->interned[(h ^ h >> 10) & 1023];
        if (*slot && strncmp(*slot, s, n) == 0 && (*slot)[n] == 0)
                return *slot;
        char *c = sf_arena_strndup(&ps->doc->strings, s, n);
        if (c)
                *slot = c;
        return c;
}

/* Columns count characters, not bytes (UTF-8 continuation bytes are skipped).
 * Values come in order, so counting on from the last one keeps this O(n) even
 * for a minified profile on one line. */
static unsigned col_of(parser *ps, const char *at)
{
        if (ps->col_at < ps->line_start || ps->col_at > at) {
                ps->col_at = ps->line_start;
                ps->col = 1;
        }
        for (const char *q = ps->col_at; q < at; q++)
                if (((unsigned char)*q & 0xC0) != 0x80)
                        ps->col++;
        ps->col_at = at;
        return ps->col;
}

__attribute__((format(printf, 3, 4))) static int fail_at(parser *ps, const char *at, const char *fmt, ...)
{
        if (ps->failed)
                return -EINVAL;
        ps->failed = true;
        /* Recompute the line of `at` (it may lie behind the cursor). */
        unsigned line = 1;
        const char *ls = ps->start;
        for (const char *q = ps->start; q < at && q < ps->end; q++)
                if (*q == '\n') {
                        line++;
                        ls = q + 1;
                }
        ps->line = line;
        ps->line_start = ls;
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(ps->diags, SF_SEV_ERROR, "json-syntax", ps->file, "", line, col_of(ps, at), NULL, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static const char *describe(const parser *ps, const char *at, char buf[static 16])
{
        if (at >= ps->end)
                return "end of input";
        unsigned char c = (unsigned char)*at;
        if (c >= 0x20 && c < 0x7f)
                snprintf(buf, 16, "'%c'", c);
        else
                snprintf(buf, 16, "byte 0x%02x", c);
        return buf;
}

static void skip_ws(parser *ps)
{
        while (ps->p < ps->end) {
                char c = *ps->p;
                if (c == '\n') {
                        ps->line++;
                        ps->line_start = ps->p + 1;
                } else if (c != ' ' && c != '\t' && c != '\r') {
                        return;
                }
                ps->p++;
        }
}

static sf_node *new_node(parser *ps, sf_node_kind kind, const char *at)
{
        if (++ps->nodes > SF_DOC_MAX_NODES) {
                fail_at(ps, at, "more than %d values in one file", SF_DOC_MAX_NODES);
                return NULL;
        }
        sf_node *n = sf_arena_alloc(&ps->doc->arena, sizeof(*n));
        if (!n) {
                fail_at(ps, at, "out of memory");
                return NULL;
        }
        n->kind = kind;
        n->line = ps->line;
        n->col = col_of(ps, at);
        return n;
}

static int push(parser *ps, void *item)
{
        if (ps->stack_n == ps->stack_cap) {
                size_t cap = ps->stack_cap ? ps->stack_cap * 2 : 256;
                void **s = realloc(ps->stack, cap * sizeof(*s));
                if (!s)
                        return fail_at(ps, ps->p, "out of memory");
                ps->stack = s;
                ps->stack_cap = cap;
        }
        ps->stack[ps->stack_n++] = item;
        return 0;
}

static int push_member(parser *ps, const sf_member *m)
{
        if (ps->mem_n == ps->mem_cap) {
                size_t cap = ps->mem_cap ? ps->mem_cap * 2 : 64;
                sf_member *v = realloc(ps->mem, cap * sizeof(*v));
                if (!v)
                        return fail_at(ps, ps->p, "out of memory");
                ps->mem = v;
                ps->mem_cap = cap;
        }
        ps->mem[ps->mem_n++] = *m;
        return 0;
}

/* Returns the number of bytes of the UTF-8 sequence at p, or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
        unsigned char c = p[0];
        size_t n;
        uint32_t cp;
        if (c < 0x80)
                return 1;
        if (c >= 0xC2 && c <= 0xDF) {
                n = 2;
                cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
                n = 3;
                cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
                n = 4;
                cp = c & 0x07;
        } else {
                return 0;
        }
        if ((size_t)(end - p) < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                return 0;
        return n;
}

static void put_utf8(sf_buf *b, uint32_t cp)
{
        char s[4];
        size_t n;
        if (cp < 0x80) {
                s[0] = (char)cp;
                n = 1;
        } else if (cp < 0x800) {
                s[0] = (char)(0xC0 | (cp >> 6));
                s[1] = (char)(0x80 | (cp & 0x3F));
                n = 2;
        } else if (cp < 0x10000) {
                s[0] = (char)(0xE0 | (cp >> 12));
                s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                s[2] = (char)(0x80 | (cp & 0x3F));
                n = 3;
        } else {
                s[0] = (char)(0xF0 | (cp >> 18));
                s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                s[3] = (char)(0x80 | (cp & 0x3F));
                n = 4;
        }
        sf_buf_add(b, s, n);
}

static int hex4(parser *ps, const char *at, uint32_t *ret)
{
        uint32_t v = 0;
        if (ps->end - at < 4)
                return fail_at(ps, at, "truncated \\u escape");
        for (int i = 0; i < 4; i++) {
                char c = at[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (uint32_t)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (uint32_t)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (uint32_t)(c - 'A' + 10);
                else
                        return fail_at(ps, at + i, "invalid hex digit in \\u escape");
        }
        *ret = v;
        return 0;
}

/* Parses the string at ps->p (on the opening quote); the result is in the arena. */
static int parse_string(parser *ps, bool shared, const char **ret_s, size_t *ret_len)
{
        /* The common case, plain ASCII without escapes, is copied once. */
        const char *q = ps->p + 1;
        while (q < ps->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80)
                q++;
        if (q < ps->end && *q == '"' && (size_t)(q - ps->p - 1) <= SF_DOC_MAX_STRING) {
                size_t n = (size_t)(q - ps->p - 1);
                const char *s = shared ? intern(ps, ps->p + 1, n) : sf_arena_strndup(&ps->doc->strings, ps->p + 1, n);
                if (!s)
                        return fail_at(ps, ps->p, "out of memory");
                ps->p = q + 1;
                *ret_s = s;
                *ret_len = n;
                return 0;
        }
        const char *open = ps->p++;
        sf_buf_truncate(&ps->tmp, 0);
        const char *run = ps->p; /* start of the pending unescaped run */
        for (;;) {
                if (ps->p >= ps->end)
                        return fail_at(ps, open, "unterminated string");
                unsigned char c = (unsigned char)*ps->p;
                if (c == '"')
                        break;
                if (c < 0x20)
                        return fail_at(ps, ps->p, "control character 0x%02x in string (escape it)", c);
                if (c == '\\') {
                        sf_buf_add(&ps->tmp, run, (size_t)(ps->p - run));
                        const char *esc = ps->p;
                        if (++ps->p >= ps->end)
                                return fail_at(ps, open, "unterminated string");
                        char e = *ps->p++;
                        switch (e) {
                        case '"': sf_buf_putc(&ps->tmp, '"'); break;
                        case '\\': sf_buf_putc(&ps->tmp, '\\'); break;
                        case '/': sf_buf_putc(&ps->tmp, '/'); break;
                        case 'b': sf_buf_putc(&ps->tmp, '\b'); break;
                        case 'f': sf_buf_putc(&ps->tmp, '\f'); break;
                        case 'n': sf_buf_putc(&ps->tmp, '\n'); break;
                        case 'r': sf_buf_putc(&ps->tmp, '\r'); break;
                        case 't': sf_buf_putc(&ps->tmp, '\t'); break;
                        case 'u': {
                                uint32_t cp;
                                if (hex4(ps, ps->p, &cp) < 0)
                                        return -EINVAL;
                                ps->p += 4;
                                if (cp >= 0xD800 && cp <= 0xDBFF) {
                                        uint32_t lo;
                                        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
                                                return fail_at(ps, esc, "unpaired surrogate in \\u escape");
                                        if (hex4(ps, ps->p + 2, &lo) < 0)
                                                return -EINVAL;
                                        if (lo < 0xDC00 || lo > 0xDFFF)
                                                return fail_at(ps, esc, "unpaired surrogate in \\u escape");
                                        ps->p += 6;
                                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                                        return fail_at(ps, esc, "unpaired surrogate in \\u escape");
                                }
                                if (cp == 0)
                                        return fail_at(ps, esc, "NUL character (\\u0000) in string");
                                put_utf8(&ps->tmp, cp);
                                break;
                        }
                        default:
                                return fail_at(ps, esc, "invalid escape \"\\%c\"", e >= 0x20 && e < 0x7f ? e : '?');
                        }
                        run = ps->p;
                        continue;
                }
                if (c >= 0x80) {
                        size_t n = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
                        if (!n)
                                return fail_at(ps, ps->p, "invalid UTF-8 in string");
                        ps->p += n;
                        continue;
                }
                ps->p++;
        }
        sf_buf_add(&ps->tmp, run, (size_t)(ps->p - run));
        ps->p++; /* closing quote */
        if (ps->tmp.oom)
                return fail_at(ps, open, "out of memory");
        if (ps->tmp.len > SF_DOC_MAX_STRING)
                return fail_at(ps, open, "string of %zu bytes is longer than the limit of %d", ps->tmp.len,
                               SF_DOC_MAX_STRING);
        char *s = sf_arena_strndup(&ps->doc->strings, ps->tmp.s ? ps->tmp.s : "", ps->tmp.len);
        if (!s)
                return fail_at(ps, open, "out of memory");
        *ret_s = s;
        *ret_len = ps->tmp.len;
        return 0;
}

static int parse_number(parser *ps, sf_node **ret)
{
        const char *s = ps->p;
        sf_node *n = new_node(ps, SF_NODE_NUM, s);
        if (!n)
                return -EINVAL;
        const char *p = s;
        bool neg = false;
        if (*p == '-') {
                neg = true;
                p++;
        }
        if (p >= ps->end || !(*p >= '0' && *p <= '9'))
                return fail_at(ps, s, "invalid number");
        uint64_t mag = 0;
        bool overflow = false;
        if (*p == '0') {
                p++;
                if (p < ps->end && *p >= '0' && *p <= '9')
                        return fail_at(ps, s, "leading zeros are not allowed in numbers");
        } else {
                for (; p < ps->end && *p >= '0' && *p <= '9'; p++) {
                        unsigned d = (unsigned)(*p - '0');
                        if (mag > (UINT64_MAX - d) / 10)
                                overflow = true;
                        else
                                mag = mag * 10 + d;
                }
        }
        bool is_int = true;
        if (p < ps->end && *p == '.') {
                is_int = false;
                p++;
                if (p >= ps->end || !(*p >= '0' && *p <= '9'))
                        return fail_at(ps, p, "expected a digit after the decimal point");
                while (p < ps->end && *p >= '0' && *p <= '9')
                        p++;
        }
        if (p < ps->end && (*p == 'e' || *p == 'E')) {
                is_int = false;
                p++;
                if (p < ps->end && (*p == '+' || *p == '-'))
                        p++;
                if (p >= ps->end || !(*p >= '0' && *p <= '9'))
                        return fail_at(ps, p, "expected a digit in the exponent");
                while (p < ps->end && *p >= '0' && *p <= '9')
                        p++;
        }
        if ((size_t)(p - s) > 1024)
                return fail_at(ps, s, "number longer than 1024 characters");
        n->num.text = intern(ps, s, (size_t)(p - s));
        if (!n->num.text)
                return fail_at(ps, s, "out of memory");
        n->num_is_int = is_int;
        n->num_neg = neg && (mag != 0 || overflow);
        n->num.mag = overflow ? 0 : mag;
        n->num_overflow = is_int && overflow;
        ps->p = p;
        *ret = n;
        return 0;
}

static bool match_word(parser *ps, const char *w)
{
        size_t n = strlen(w);
        if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
                return false;
        const char *after = ps->p + n;
        if (after < ps->end && ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z') ||
                                (*after >= '0' && *after <= '9') || *after == '_'))
                return false;
        ps->p += n;
        return true;
}

static int parse_value(parser *ps, unsigned depth, sf_node **ret);

/* Objects with more members than this find duplicates with a hash table;
 * below, a scan of the earlier keys is cheaper. */
#define SCAN_MAX 16

/* A hash of a key, seeded per process (the kernel's AT_RANDOM bytes) so that a
 * file cannot be made of keys that all collide. */
static uint64_t key_hash(const char *k, size_t len)
{
        static uint64_t seed;
        if (!seed) {
                const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
                uint64_t v = 0x9E3779B97F4A7C15ull;
                if (r)
                        memcpy(&v, r, sizeof(v));
                seed = v | 1;
        }
        uint64_t h = seed ^ len;
        for (size_t i = 0; i < len; i += 8) {
                uint64_t w = 0;
                memcpy(&w, k + i, len - i < 8 ? len - i : 8);
                h = (h ^ w) * 0xC2B2AE3D27D4EB4Full;
                h ^= h >> 31;
        }
        h *= 0x9E3779B97F4A7C15ull;
        return h ^ h >> 29;
}

/* The member of the open object (its members are stack[base..]) whose key is
 * `key`, or NULL (its members are mem[base..]); with more than SCAN_MAX members,
 * through *ht (slots hold offsets + 1), which grows with the object. */
static const sf_member *find_key(parser *ps, size_t base, const char *key, size_t klen, uint32_t **ht,
                                 size_t *mask, bool *oom)
{
        size_t cnt = ps->mem_n - base;
        if (cnt <= SCAN_MAX) {
                for (size_t i = base; i < ps->mem_n; i++) {
                        const sf_member *o = &ps->mem[i];
                        if (strcmp(o->key, key) == 0)
                                return o;
                }
                return NULL;
        }
        if (!*ht || (cnt + 1) * 2 > *mask + 1) {
                size_t cap = 64;
                while (cap < (cnt + 1) * 4)
                        cap *= 2;
                uint32_t *v = calloc(cap, sizeof(*v));
                if (!v) {
                        *oom = true;
                        return NULL;
                }
                for (size_t i = 0; i < cnt; i++) {
                        const sf_member *o = &ps->mem[base + i];
                        size_t j = (size_t)key_hash(o->key, strlen(o->key)) & (cap - 1);
                        while (v[j])
                                j = (j + 1) & (cap - 1);
                        v[j] = (uint32_t)i + 1;
                }
                free(*ht);
                *ht = v;
                *mask = cap - 1;
        }
        size_t j = (size_t)key_hash(key, klen) & *mask;
        for (; (*ht)[j]; j = (j + 1) & *mask) {
                const sf_member *o = &ps->mem[base + (*ht)[j] - 1];
                if (strcmp(o->key, key) == 0)
                        return o;
        }
        (*ht)[j] = (uint32_t)cnt + 1; /* the caller pushes this key next, at mem[base + cnt] */
        return NULL;
}

static int parse_array(parser *ps, unsigned depth, sf_node **ret)
{
        const char *open = ps->p;
        sf_node *n = new_node(ps, SF_NODE_ARR, open);
        if (!n)
                return -EINVAL;
        ps->p++;
        size_t base = ps->stack_n;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ']') {
                ps->p++;
                *ret = n;
                return 0;
        }
        for (;;) {
                sf_node *item;
                if (ps->stack_n - base >= SF_DOC_MAX_ITEMS)
                        return fail_at(ps, ps->p, "more than %d elements in one array", SF_DOC_MAX_ITEMS);
                if (parse_value(ps, depth + 1, &item) < 0 || push(ps, item) < 0)
                        return -EINVAL;
                skip_ws(ps);
                char b[16];
                if (ps->p < ps->end && *ps->p == ',') {
                        const char *comma = ps->p++;
                        skip_ws(ps);
                        if (ps->p < ps->end && *ps->p == ']')
                                return fail_at(ps, comma, "trailing comma before ']'");
                        continue;
                }
                if (ps->p < ps->end && *ps->p == ']') {
                        ps->p++;
                        break;
                }
                if (ps->p >= ps->end)
                        return fail_at(ps, open, "unterminated array (expected ']')");
                return fail_at(ps, ps->p, "expected ',' or ']' after an array element, found %s",
                               describe(ps, ps->p, b));
        }
        size_t cnt = ps->stack_n - base;
        n->arr.v = sf_arena_alloc(&ps->doc->arena, cnt * sizeof(sf_node *));
        if (!n->arr.v)
                return fail_at(ps, open, "out of memory");
        memcpy(n->arr.v, ps->stack + base, cnt * sizeof(sf_node *));
        n->arr.n = cnt;
        ps->stack_n = base;
        *ret = n;
        return 0;
}

static int parse_object(parser *ps, unsigned depth, sf_node **ret)
{
        const char *open = ps->p;
        sf_node *n = new_node(ps, SF_NODE_OBJ, open);
        if (!n)
                return -EINVAL;
        ps->p++;
        size_t base = ps->mem_n;
        _cleanup_free_ uint32_t *ht = NULL;
        size_t hmask = 0;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                *ret = n;
                return 0;
        }
        for (;;) {
                char b[16];
                if (ps->p >= ps->end)
                        return fail_at(ps, open, "unterminated object (expected '}')");
                if (*ps->p != '"')
                        return fail_at(ps, ps->p, "expected a string key in double quotes, found %s",
                                       describe(ps, ps->p, b));
                if (ps->mem_n - base >= SF_DOC_MAX_ITEMS)
                        return fail_at(ps, ps->p, "more than %d members in one object", SF_DOC_MAX_ITEMS);
                /* built here and pushed once its value is parsed (nested objects use
                 * the scratch above it meanwhile) */
                sf_member mm = { 0 }, *m = &mm;
                const char *keyp = ps->p;
                m->line = ps->line;
                m->col = col_of(ps, keyp);
                size_t klen;
                if (parse_string(ps, true, &m->key, &klen) < 0)
                        return -EINVAL;
                /* Duplicate keys: last-wins in Go and first-wins elsewhere, so a
                 * profile with one means different things to different runtimes. */
                bool oom = false;
                const sf_member *o = find_key(ps, base, m->key, klen, &ht, &hmask, &oom);
                if (oom)
                        return fail_at(ps, keyp, "out of memory");
                if (o)
                        return fail_at(ps, keyp, "duplicate key \"%s\" (first at line %u, column %u)", m->key,
                                       o->line, o->col);
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':')
                        return fail_at(ps, ps->p, "expected ':' after key \"%s\", found %s", m->key,
                                       describe(ps, ps->p, b));
                ps->p++;
                if (parse_value(ps, depth + 1, &m->val) < 0 || push_member(ps, m) < 0)
                        return -EINVAL;
                skip_ws(ps);
                if (ps->p < ps->end && *ps->p == ',') {
                        const char *comma = ps->p++;
                        skip_ws(ps);
                        if (ps->p < ps->end && *ps->p == '}')
                                return fail_at(ps, comma, "trailing comma before '}'");
                        continue;
                }
                if (ps->p < ps->end && *ps->p == '}') {
                        ps->p++;
                        break;
                }
                if (ps->p >= ps->end)
                        return fail_at(ps, open, "unterminated object (expected '}')");
                return fail_at(ps, ps->p, "expected ',' or '}' after a member, found %s", describe(ps, ps->p, b));
        }
        size_t cnt = ps->mem_n - base;
        n->obj.v = sf_arena_alloc(&ps->doc->arena, cnt * sizeof(sf_member));
        if (!n->obj.v)
                return fail_at(ps, open, "out of memory");
        memcpy(n->obj.v, ps->mem + base, cnt * sizeof(sf_member));
        n->obj.n = cnt;
        ps->mem_n = base;
        *ret = n;
        return 0;
}

static int parse_value(parser *ps, unsigned depth, sf_node **ret)
{
        skip_ws(ps);
        if (ps->p >= ps->end)
                return fail_at(ps, ps->p, "unexpected end of input (expected a value)");
        if (depth > SF_DOC_MAX_DEPTH)
                return fail_at(ps, ps->p, "nesting deeper than %d levels", SF_DOC_MAX_DEPTH);
        char c = *ps->p;
        sf_node *n;
        switch (c) {
        case '{':
                return parse_object(ps, depth, ret);
        case '[':
                return parse_array(ps, depth, ret);
        case '"': {
                n = new_node(ps, SF_NODE_STR, ps->p);
                if (!n || parse_string(ps, false, &n->str.s, &n->str.len) < 0)
                        return -EINVAL;
                *ret = n;
                return 0;
        }
        case '-':
        case '0' ... '9':
                return parse_number(ps, ret);
        default:
                break;
        }
        const char *at = ps->p;
        if (match_word(ps, "true") || match_word(ps, "false")) {
                n = new_node(ps, SF_NODE_BOOL, at);
                if (!n)
                        return -EINVAL;
                n->b = *at == 't';
        } else if (match_word(ps, "null")) {
                n = new_node(ps, SF_NODE_NULL, at);
                if (!n)
                        return -EINVAL;
        } else {
                char b[16];
                if ((unsigned char)c >= 0x80 && !utf8_len((const unsigned char *)at, (const unsigned char *)ps->end))
                        return fail_at(ps, at, "invalid UTF-8");
                if (c == '\'')
                        return fail_at(ps, at, "expected a value, found %s (JSON strings use double quotes)",
                                       describe(ps, at, b));
                return fail_at(ps, at, "expected a value, found %s", describe(ps, at, b));
        }
        *ret = n;
        return 0;
}

int sf_json_parse(const char *data, size_t len, const char *file, sf_doc *doc, sf_diags *diags)
{
        parser ps = {
                .p = data, .end = data + len, .start = data, .line_start = data, .line = 1,
                .file = file, .doc = doc, .diags = diags,
        };
        /* A UTF-8 byte order mark is tolerated, as by most JSON readers. */
        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
                ps.p += 3;
                ps.start = ps.p;
                ps.line_start = ps.p;
        }
        sf_node *root = NULL;
        int r = parse_value(&ps, 1, &root);
        if (r == 0) {
                skip_ws(&ps);
                if (ps.p < ps.end) {
                        char b[16];
                        r = fail_at(&ps, ps.p, "unexpected %s after the end of the document", describe(&ps, ps.p, b));
                }
        }
        if (r == 0) {
                doc->docs = sf_arena_alloc(&doc->arena, sizeof(sf_node *));
                if (!doc->docs)
                        r = fail_at(&ps, data, "out of memory");
                else {
                        doc->docs[0] = root;
                        doc->n_docs = 1;
                }
        }
        free(ps.stack);
        free(ps.mem);
        sf_buf_release(&ps.tmp);
        return r < 0 ? -EINVAL : 0;
}
