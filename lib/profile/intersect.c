/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Intersecting profiles: one profile that decides, for every (arch, syscall,
 * argument values), the most restrictive of what the inputs decide — what a
 * KEP-6061 runtime applies to baseline ∩ baseProfile ∩ pulled profile, and what
 * the kernel does with stacked filters.  Precedence is the kernel's
 * (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW);
 * of two equal actions with different data (errno, trace message) the earlier
 * input's wins, as in the KEP's reference merger.
 *
 * The inputs' semantics are never re-read here: each input is compiled, and its
 * decision at a point is sf_prog_lookup()'s.  Only the constants of the
 * compiled conditions and of the word tests of libseccomp's rule tree that
 * decides them are taken from the decision tables, to split each
 * argument's values into classes on which every input's decision is constant
 * (intervals between the constants, times the bit patterns of the MASKED_EQ
 * masks).  The result is then written with rules that never overlap where
 * their actions differ, so it does not depend on how a compiler resolves
 * overlapping conditional rules; a set that is no interval a single operator
 * states is a union of MASKED_EQ terms (aligned blocks, merged as in
 * Quine-McCluskey).  Docker JSON has one fallback per syscall, the profile's
 * default, so that default is the most restrictive of the inputs' defaults
 * (numbers no table knows need exactly that), and a syscall that would need
 * more rules than a runtime takes is refused, or with `approximate` made
 * unconditional at its most restrictive action.  Finally the result is compiled
 * and checked against the inputs at every class: it is never written otherwise.
 * The flags are those every input sets; listenerPath must agree. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/tables.h"
#include "compile/compile-internal.h"
#include "profile/profile-internal.h"
#include "sysfence/bpf.h"

/* Bounds on the work one syscall may cost (the inputs are the user's). */
#define MAX_MASK_BITS 12     /* distinct MASKED_EQ mask bits on one argument */
#define MAX_CLASSES 4096     /* value classes of one argument */
#define MAX_CELLS 65536      /* combinations of classes over the arguments */
#define MAX_TERMS 8192       /* MASKED_EQ terms while merging one union */
#define MAX_RULES_PER_SYSCALL 128 /* KEP-6061: at most 128 entries per syscall */

static bool has_data(sf_action a) { return a.kind == SF_ACT_ERRNO || a.kind == SF_ACT_TRACE; }

static bool same_action(sf_action a, sf_action b) { return a.kind == b.kind && (!has_data(a) || a.data == b.data); }

static const char *action_text(sf_action a, char *buf, size_t size)
{
        const char *n = sf_action_name(a.kind) + 9; /* without "SCMP_ACT_" */
        if (has_data(a))
                snprintf(buf, size, "%s(%u)", n, a.data);
        else
                snprintf(buf, size, "%s", n);
        return buf;
}

/* The most restrictive of a and b; of equal kinds, a (the earlier input). */
static sf_action stricter(sf_action a, sf_action b) { return b.kind < a.kind ? b : a; }

/* ---- one input ---- */

typedef struct input {
        const sf_profile *p;
        sf_prog *prog;
        const sf_cstate *st;
} input;

static const sf_decision *input_decision(const input *in, sf_arch arch, long idx)
{
        for (size_t t = 0; t < in->st->n_tables; t++) {
                const sf_arch_table *tb = &in->st->tables[t];
                if (tb->arch == arch)
                        return tb->set[idx] && tb->d[idx].conditional ? &tb->d[idx] : NULL;
        }
        return NULL;
}

static bool prog_has_arch(const sf_prog *p, sf_arch a)
{
        for (size_t i = 0; i < p->n_arches; i++)
                if (p->arches[i] == a)
                        return true;
        return false;
}

/* ---- the classes of one argument's values ---- */

typedef struct vclass {
        uint64_t lo, hi;    /* the interval piece */
        uint64_t pattern;   /* the bits of the masks (pattern ⊆ mask) */
        uint64_t rep;       /* a value of the class */
        unsigned group;     /* after coarsening */
} vclass;

typedef struct argspace {
        uint64_t max;       /* UINT32_MAX on 32-bit arches */
        uint64_t mask;      /* union of MASKED_EQ masks; 0: intervals only */
        vclass *c;
        size_t n;
        unsigned n_groups;
        size_t *group_rep;  /* a class of each group */
} argspace;

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* The smallest v >= lo with (v & mask) == pattern, or false if none above max:
 * keep lo's free bits above some free bit b that lo lacks, set b, clear the
 * free bits below (the lowest such b that reaches lo gives the smallest v). */
static bool next_with_pattern(uint64_t lo, uint64_t mask, uint64_t pattern, uint64_t max, uint64_t *ret)
{
        uint64_t v = (lo & ~mask) | pattern;
        if (v >= lo)
                return v <= max ? (*ret = v, true) : false;
        for (int b = 0; b < 64; b++) {
                uint64_t bit = 1ull << b;
                if (mask & bit || lo & bit)
                        continue;
                uint64_t above = b == 63 ? 0 : ~((bit << 1) - 1);
                uint64_t w = (lo & ~mask & above) | bit | pattern;
                if (w >= lo)
                        return w <= max ? (*ret = w, true) : false;
        }
        return false;
}

typedef struct work {
        sf_arena *a;
        const char *why;    /* a refusal's reason */
        char whybuf[256];
} work;

/* The run of set bits of m from the top of the word (max): the bits an aligned
 * block fixes; the other bits of a MASKED_EQ mask test single bits. */
static uint64_t top_run(uint64_t m, uint64_t max)
{
        uint64_t inv = ~m & max;
        if (!inv)
                return m & max;
        int top = 63 - __builtin_clzll(inv);
        return top == 63 ? 0 : m & max & ~((2ull << top) - 1);
}

static int build_space(work *w, argspace *s, const sf_cond *const *conds, size_t n_conds, uint64_t max)
{
        s->max = max;
        s->mask = 0;
        uint64_t *starts = sf_arena_alloc(w->a, (2 * n_conds + 2) * sizeof(uint64_t));
        if (!starts)
                return -ENOMEM;
        size_t ns = 0;
        starts[ns++] = 0;
        for (size_t i = 0; i < n_conds; i++) {
                const sf_cond *c = conds[i];
                uint64_t v = c->value & max;
                switch (c->op) {
                case SF_OP_MASKED_EQ: {
                        /* the run of mask bits from the top is an interval (an aligned
                         * block: what the result writes for ranges); the rest are bits */
                        uint64_t m = c->mask & max, high = top_run(m, max);
                        s->mask |= m & ~high;
                        if (high) {
                                uint64_t lo = c->value & high, hi = lo | (~high & max);
                                starts[ns++] = lo;
                                if (hi < max)
                                        starts[ns++] = hi + 1;
                        }
                        break;
                }
                case SF_OP_LT:
                case SF_OP_GE: starts[ns++] = v; break;
                case SF_OP_LE:
                case SF_OP_GT:
                        if (v < max)
                                starts[ns++] = v + 1;
                        break;
                case SF_OP_EQ:
                case SF_OP_NE:
                        starts[ns++] = v;
                        if (v < max)
                                starts[ns++] = v + 1;
                        break;
                }
        }
        if (__builtin_popcountll(s->mask) > MAX_MASK_BITS) {
                snprintf(w->whybuf, sizeof(w->whybuf),
                         "MASKED_EQ masks use %d distinct bits of one argument (at most %d are split)",
                         __builtin_popcountll(s->mask), MAX_MASK_BITS);
                w->why = w->whybuf;
                return -E2BIG;
        }
        qsort(starts, ns, sizeof(*starts), cmp_u64);
        size_t u = 0;
        for (size_t i = 0; i < ns; i++)
                if (!u || starts[u - 1] != starts[i])
                        starts[u++] = starts[i];
        size_t patterns = (size_t)1 << __builtin_popcountll(s->mask);
        if (u * patterns > MAX_CLASSES * 4) {
                w->why = "the argument conditions split one argument into too many classes";
                return -E2BIG;
        }
        s->c = sf_arena_alloc(w->a, (u * patterns + 1) * sizeof(vclass));
        if (!s->c)
                return -ENOMEM;
        s->n = 0;
        for (size_t i = 0; i < u; i++) {
                uint64_t lo = starts[i], hi = i + 1 < u ? starts[i + 1] - 1 : max;
                uint64_t pat = 0;
                do {
                        uint64_t v;
                        if (next_with_pattern(lo, s->mask, pat, max, &v) && v <= hi)
                                s->c[s->n++] = (vclass){ .lo = lo, .hi = hi, .pattern = pat, .rep = v };
                        pat = (pat - s->mask) & s->mask;
                } while (pat);
        }
        if (s->n > MAX_CLASSES) {
                w->why = "the argument conditions split one argument into too many classes";
                return -E2BIG;
        }
        return 0;
}

/* ---- unions of classes as conditions ---- */

typedef struct term {
        sf_op op;
        uint64_t value, value_two; /* as in a profile's args[] */
} term;

typedef struct tlist {
        term *v;
        size_t n, cap;
} tlist;

static int tl_add(tlist *l, term t)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 16;
                term *v = realloc(l->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                l->v = v;
                l->cap = cap;
        }
        l->v[l->n++] = t;
        return 0;
}

/* [lo, hi] as aligned blocks {v : v & bmask == base}, each narrowed to the
 * values whose bits in extra_mask are pattern (dropped where they cannot be). */
static int add_blocks(tlist *l, uint64_t lo, uint64_t hi, uint64_t extra_mask, uint64_t pattern)
{
        for (;;) {
                int j = 0; /* the largest aligned block at lo that fits: 2^j values */
                while (j < 64) {
                        if (j + 1 == 64) {
                                if (lo == 0 && hi == UINT64_MAX)
                                        j = 64;
                                break;
                        }
                        uint64_t size = 1ull << (j + 1);
                        if (lo & (size - 1) || hi - lo < size - 1)
                                break;
                        j++;
                }
                uint64_t bmask = j == 64 ? 0 : ~((1ull << j) - 1);
                uint64_t end = j == 64 ? UINT64_MAX : lo + ((1ull << j) - 1);
                if (((lo ^ pattern) & bmask & extra_mask) == 0) {
                        term t = { .op = SF_OP_MASKED_EQ, .value = bmask | extra_mask,
                                   .value_two = (lo & bmask) | pattern };
                        if (tl_add(l, t) < 0)
                                return -ENOMEM;
                }
                if (end >= hi)
                        return 0;
                lo = end + 1;
        }
}

static int cmp_term(const void *a, const void *b)
{
        const term *x = a, *y = b;
        if (x->op != y->op)
                return (int)x->op - (int)y->op;
        if (x->value != y->value)
                return x->value < y->value ? -1 : 1;
        return x->value_two < y->value_two ? -1 : x->value_two > y->value_two;
}

/* Merges MASKED_EQ terms that differ in one masked bit of `bits`, until none
 * do, then drops terms another term covers (the union stays the same).  Only
 * the argument's mask bits merge: a term's mask stays an aligned block's bits
 * plus some of those, which the check below splits exactly. */
static int merge_terms(work *w, tlist *l, uint64_t bits, uint64_t max)
{
        for (;;) {
                if (l->n)
                        qsort(l->v, l->n, sizeof(term), cmp_term);
                size_t u = 0;
                for (size_t i = 0; i < l->n; i++)
                        if (!u || cmp_term(&l->v[u - 1], &l->v[i]) != 0)
                                l->v[u++] = l->v[i];
                l->n = u;
                if (l->n > MAX_TERMS) {
                        w->why = "the values it allows need too many MASKED_EQ terms";
                        return -E2BIG;
                }
                tlist next = { 0 };
                _cleanup_free_ bool *used = calloc(l->n + 1, sizeof(bool));
                if (!used)
                        return -ENOMEM;
                bool merged = false;
                for (size_t i = 0; i < l->n; i++)
                        for (size_t j = i + 1; j < l->n && l->v[j].value == l->v[i].value; j++) {
                                uint64_t d = l->v[i].value_two ^ l->v[j].value_two;
                                if (d && !(d & (d - 1)) && (d & l->v[i].value & bits & ~top_run(l->v[i].value, max))) {
                                        term t = { SF_OP_MASKED_EQ, l->v[i].value & ~d, l->v[i].value_two & ~d };
                                        if (tl_add(&next, t) < 0) {
                                                free(next.v);
                                                return -ENOMEM;
                                        }
                                        used[i] = used[j] = merged = true;
                                }
                        }
                if (!merged) {
                        free(next.v);
                        break;
                }
                for (size_t i = 0; i < l->n; i++)
                        if (!used[i] && tl_add(&next, l->v[i]) < 0) {
                                free(next.v);
                                return -ENOMEM;
                        }
                free(l->v);
                *l = next;
        }
        /* absorption: x ⊆ y when y's mask is within x's and they agree on it */
        size_t u = 0;
        for (size_t i = 0; i < l->n; i++) {
                bool covered = false;
                for (size_t j = 0; j < l->n && !covered; j++)
                        covered = j != i && (l->v[j].value & ~l->v[i].value) == 0 &&
                                  (l->v[i].value_two & l->v[j].value) == l->v[j].value_two &&
                                  (l->v[j].value != l->v[i].value || j < i);
                if (!covered)
                        l->v[u++] = l->v[i];
        }
        l->n = u;
        return 0;
}

/* The conditions on one argument (a union) that hold exactly on the classes of
 * `in_set` (bit per group).  An empty list with *ret_any: no condition needed. */
static int express(work *w, const argspace *s, const bool *in_set, tlist *out, bool *ret_any)
{
        *ret_any = false;
        out->n = 0;
        bool all = true;
        for (unsigned g = 0; g < s->n_groups; g++)
                all &= in_set[g];
        if (all) {
                *ret_any = true;
                return 0;
        }
        if (!s->mask) {
                /* intervals only: the classes are the pieces, in order */
                uint64_t gap_count = 0, gap_at = 0;
                bool open = false;
                uint64_t lo = 0, hi = 0;
                tlist iv = { 0 };
                for (size_t i = 0; i <= s->n; i++) {
                        bool in = i < s->n && in_set[s->c[i].group];
                        if (in && !open) {
                                lo = s->c[i].lo;
                                open = true;
                        }
                        if (in)
                                hi = s->c[i].hi;
                        if (!in && open) {
                                open = false;
                                if (tl_add(&iv, (term){ SF_OP_EQ, lo, hi }) < 0) {
                                        free(iv.v);
                                        return -ENOMEM;
                                }
                        }
                        if (i < s->n && !in) {
                                gap_count += s->c[i].hi - s->c[i].lo + 1;
                                gap_at = s->c[i].lo;
                        }
                }
                int r = 0;
                if (gap_count == 1) {
                        r = tl_add(out, (term){ SF_OP_NE, gap_at, 0 });
                } else {
                        for (size_t k = 0; k < iv.n && r == 0; k++) {
                                uint64_t a = iv.v[k].value, b = iv.v[k].value_two;
                                if (a == b)
                                        r = tl_add(out, (term){ SF_OP_EQ, a, 0 });
                                else if (a == 0)
                                        r = tl_add(out, (term){ SF_OP_LE, b, 0 });
                                else if (b == s->max)
                                        r = tl_add(out, (term){ SF_OP_GE, a, 0 });
                                else {
                                        tlist bl = { 0 };
                                        r = add_blocks(&bl, a, b, 0, 0);
                                        if (r == 0)
                                                r = merge_terms(w, &bl, 0, s->max);
                                        for (size_t m = 0; r == 0 && m < bl.n; m++) {
                                                term t = bl.v[m];
                                                if ((t.value & s->max) == s->max)
                                                        t = (term){ SF_OP_EQ, t.value_two, 0 };
                                                r = tl_add(out, t);
                                        }
                                        free(bl.v);
                                }
                        }
                }
                free(iv.v);
                return r;
        }
        /* with masks: every class is (piece ∩ pattern), a union of MASKED_EQ terms */
        int r = 0;
        for (size_t i = 0; i < s->n && r == 0; i++)
                if (in_set[s->c[i].group])
                        r = add_blocks(out, s->c[i].lo, s->c[i].hi, s->mask, s->c[i].pattern);
        /* a 32-bit arch compares the low words only: the high bits of a block's mask
         * say nothing there, and without them the terms read as the 64-bit arch's */
        for (size_t i = 0; r == 0 && i < out->n; i++)
                out->v[i].value &= s->max;
        if (r == 0)
                r = merge_terms(w, out, s->mask, s->max);
        for (size_t i = 0; r == 0 && i < out->n; i++) {
                term *t = &out->v[i];
                if ((t->value & s->max) == s->max)
                        *t = (term){ SF_OP_EQ, t->value_two, 0 };
                else if ((t->value & s->max) == 0) {
                        /* fixes no bit: every value, which only the set of every class
                         * (handled above) is; the check after compiling refuses anything else */
                        *ret_any = true;
                        out->n = 0;
                        return 0;
                }
        }
        return r;
}

/* ---- one syscall on one arch ---- */

typedef struct orule {
        sf_action action;
        unsigned n;
        sf_arg args[SF_PROFILE_MAX_ARGS];
} orule;

typedef struct olist {
        orule *v;
        size_t n, cap;
} olist;

static int ol_add(olist *l, const orule *r)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 8;
                orule *v = realloc(l->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                l->v = v;
                l->cap = cap;
        }
        l->v[l->n++] = *r;
        return 0;
}

static int cmp_orule(const void *a, const void *b)
{
        const orule *x = a, *y = b;
        if (x->action.kind != y->action.kind)
                return (int)x->action.kind - (int)y->action.kind;
        if (x->action.data != y->action.data)
                return x->action.data < y->action.data ? -1 : 1;
        for (unsigned i = 0; i < x->n && i < y->n; i++) {
                const sf_arg *p = &x->args[i], *q = &y->args[i];
                if (p->index != q->index)
                        return (int)p->index - (int)q->index;
                if (p->op != q->op)
                        return (int)p->op - (int)q->op;
                if (p->value != q->value)
                        return p->value < q->value ? -1 : 1;
                if (p->value_two != q->value_two)
                        return p->value_two < q->value_two ? -1 : 1;
        }
        return (int)x->n - (int)y->n;
}

/* What was found for one syscall on one arch. */
typedef struct sysres {
        olist rules;
        bool constant;
        sf_action strictest;    /* over every class (for approximate) */
        uint64_t takers;        /* bit per input that made it more restrictive */
        uint64_t overlap;       /* bit per input with overlapping rules of different actions here */
        bool differ;            /* the inputs do not all decide alike */
        bool refused;
        const char *why;
        char whybuf[256];
} sysres;

typedef struct ictx {
        input *in;
        size_t n_in;
        sf_action def;
        const sf_intersect_opts *opts;
} ictx;

static int lookup_all(const ictx *x, sf_arch arch, uint32_t nr, const uint64_t args[6], sf_action *ret, sf_verdict *v)
{
        uint32_t audit = sf_arch_audit(arch);
        sf_action r = { 0 };
        for (size_t k = 0; k < x->n_in; k++) {
                if (sf_prog_lookup(x->in[k].prog, audit, nr, args, &v[k]) < 0)
                        return -EINVAL;
                r = k ? stricter(r, v[k].action) : v[k].action;
        }
        *ret = r;
        return 0;
}

/* The word tests of libseccomp's rule tree that decides d (the compiler builds
 * it as libseccomp 2.5.4 does; its merges of 64-bit comparisons test words in
 * ways no written condition does, so a decision need not be constant between
 * the written constants) as conditions on the whole argument, so that the
 * classes split where the tree does.  A low-word test of a 64-bit argument is
 * periodic: it is placed under every high word the tree tests (and 0 and the
 * top).  Appends to v (room for `room`); returns the count. */
static size_t tree_conds(const sf_decision *d, bool is64, sf_cond *v, size_t room)
{
        if (!d->pool || d->root < 0)
                return 0;
        const sf_tnode *pool = d->pool;
        int32_t stack[256];
        size_t sp = 0, n = 0, nh = 0;
        uint32_t highs[64];
        highs[nh++] = 0;
        highs[nh++] = UINT32_MAX;
        /* two passes: the high words first, then every node */
        for (int pass = 0; pass < 2; pass++) {
                sp = 0;
                stack[sp++] = d->root;
                size_t visited = 0;
                while (sp && visited < 4096) {
                        int32_t i = stack[--sp];
                        while (pool[i].prv >= 0)
                                i = pool[i].prv;
                        for (; i >= 0 && visited < 4096; i = pool[i].nxt, visited++) {
                                const sf_tnode *t = &pool[i];
                                if (t->t >= 0 && sp < 256)
                                        stack[sp++] = t->t;
                                if (t->f >= 0 && sp < 256)
                                        stack[sp++] = t->f;
                                if (t->arg > 5)
                                        continue;
                                uint8_t op = t->op == SF_OP_GT || t->op == SF_OP_GE ? t->op : SF_OP_EQ;
                                bool full = t->mask == UINT32_MAX;
                                if (pass == 0) {
                                        if (is64 && t->hi && full && nh + 2 <= 64) {
                                                highs[nh++] = t->datum;
                                                if (t->datum < UINT32_MAX)
                                                        highs[nh++] = t->datum + 1;
                                        }
                                        continue;
                                }
                                if (!full) {
                                        if (n < room)
                                                v[n++] = (sf_cond){ .index = t->arg, .op = SF_OP_MASKED_EQ,
                                                                    .mask = (uint64_t)t->mask << (t->hi ? 32 : 0),
                                                                    .value = (uint64_t)(t->datum & t->mask)
                                                                             << (t->hi ? 32 : 0) };
                                        continue;
                                }
                                if (!is64 || t->hi) {
                                        uint64_t base = t->hi ? (uint64_t)t->datum << 32 : t->datum;
                                        uint64_t top = t->hi ? base | UINT32_MAX : base;
                                        if (op == SF_OP_EQ && n + 2 <= room) {
                                                v[n++] = (sf_cond){ .index = t->arg, .op = SF_OP_GE, .value = base };
                                                v[n++] = (sf_cond){ .index = t->arg, .op = SF_OP_GT, .value = top };
                                        } else if (op != SF_OP_EQ && n < room) {
                                                v[n++] = (sf_cond){ .index = t->arg, .op = op == SF_OP_GT ? SF_OP_GT : SF_OP_GE,
                                                                    .value = op == SF_OP_GT ? top : base };
                                        }
                                        continue;
                                }
                                for (size_t h = 0; h < nh && n < room; h++)
                                        v[n++] = (sf_cond){ .index = t->arg, .op = op,
                                                            .value = (uint64_t)highs[h] << 32 | t->datum };
                        }
                }
        }
        return n;
}

/* The classes of every argument for (arch, syscall), from the conditions the
 * programs' decision tables hold for it; *ret_cells: their combinations.
 * -E2BIG (w->why says why) when they are too many. */
static int make_spaces(work *w, const input *in, size_t n_in, sf_arch arch, long idx, argspace sp[6],
                       size_t radix[6], size_t *ret_cells, bool *ret_any_cond)
{
        uint64_t max = sf_arch_is_64bit(arch) ? UINT64_MAX : UINT32_MAX;
        size_t nby[6] = { 0 }, total = 0;
        for (size_t k = 0; k < n_in; k++) {
                const sf_decision *d = input_decision(&in[k], arch, idx);
                for (size_t i = 0; d && i < d->n_rules; i++)
                        total += d->rules[i].n;
        }
        /* and the word tests of the trees that decide */
        enum { TREE_ROOM = 4096 };
        sf_cond *extra = sf_arena_alloc(w->a, TREE_ROOM * sizeof(sf_cond));
        if (!extra)
                return -ENOMEM;
        size_t n_extra = 0;
        for (size_t k = 0; k < n_in; k++) {
                const sf_decision *d = input_decision(&in[k], arch, idx);
                if (d)
                        n_extra += tree_conds(d, sf_arch_is_64bit(arch) && !d->is32, extra + n_extra,
                                              TREE_ROOM - n_extra);
        }
        total += n_extra;
        const sf_cond **byarg[6];
        for (unsigned i = 0; i < 6; i++) {
                byarg[i] = sf_arena_alloc(w->a, (total + 1) * sizeof(sf_cond *));
                if (!byarg[i])
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n_extra; i++)
                byarg[extra[i].index][nby[extra[i].index]++] = &extra[i];
        bool any_cond = false;
        for (size_t k = 0; k < n_in; k++) {
                const sf_decision *d = input_decision(&in[k], arch, idx);
                any_cond |= d != NULL;
                for (size_t i = 0; d && i < d->n_rules; i++)
                        for (unsigned c = 0; c < d->rules[i].n; c++) {
                                const sf_cond *cd = &d->conds[d->rules[i].cond + c];
                                byarg[cd->index][nby[cd->index]++] = cd;
                        }
        }
        size_t cells = 1;
        for (unsigned i = 0; i < 6; i++) {
                int r = build_space(w, &sp[i], byarg[i], nby[i], max);
                if (r == -E2BIG) {
                        char tmp[256];
                        snprintf(tmp, sizeof(tmp), "argument %u: %.200s", i, w->why);
                        memcpy(w->whybuf, tmp, sizeof(tmp));
                        w->why = w->whybuf;
                }
                if (r < 0)
                        return r;
                radix[i] = sp[i].n;
                cells *= radix[i];
                if (cells > MAX_CELLS) {
                        w->why = "the argument conditions combine into too many cases";
                        return -E2BIG;
                }
        }
        *ret_cells = cells;
        *ret_any_cond = any_cond;
        return 0;
}

static void cell_args(const argspace sp[6], const size_t radix[6], size_t c, uint64_t args[6])
{
        for (unsigned i = 0; i < 6; i++) {
                args[i] = sp[i].c[c % radix[i]].rep;
                c /= radix[i];
        }
}

/* Decides one (arch, syscall): the rules of the result, or a refusal. */
static int decide_syscall(const ictx *x, sf_arch arch, long idx, int nr, sysres *res)
{
        sf_arena arena = { 0 };
        work w = { .a = &arena };
        int r = 0;
        sf_verdict vs[64];
        *res = (sysres){ 0 };
        uint64_t max = sf_arch_is_64bit(arch) ? UINT64_MAX : UINT32_MAX;
        static const uint64_t zero[6];
        sf_action a0;
        if ((r = lookup_all(x, arch, (uint32_t)nr, zero, &a0, vs)) < 0)
                goto out;
        argspace sp[6];
        size_t radix[6], cells = 1;
        bool any_cond = false;
        r = make_spaces(&w, x->in, x->n_in, arch, idx, sp, radix, &cells, &any_cond);
        if (r == -E2BIG) {
                res->refused = true;
                snprintf(res->whybuf, sizeof(res->whybuf), "%.250s", w.why);
                res->why = res->whybuf;
                r = 0;
                goto strictest;
        }
        if (r < 0)
                goto out;
        if (!any_cond) {
                res->constant = true;
                res->strictest = a0;
                for (size_t k = 0; k < x->n_in; k++)
                        if (!same_action(vs[k].action, a0)) {
                                res->differ = true;
                                for (size_t j = 0; j < x->n_in; j++)
                                        if (same_action(vs[j].action, a0) && vs[j].action.kind < vs[k].action.kind)
                                                res->takers |= 1ull << j;
                        }
                if (!same_action(a0, x->def)) {
                        orule o = { .action = a0 };
                        r = ol_add(&res->rules, &o);
                }
                goto out;
        }
        sf_action *act = sf_arena_alloc(&arena, cells * sizeof(sf_action));
        if (!act) {
                r = -ENOMEM;
                goto out;
        }
        res->strictest = (sf_action){ SF_ACT_ALLOW, 0 };
        for (size_t c = 0; c < cells; c++) {
                uint64_t args[6];
                cell_args(sp, radix, c, args);
                if ((r = lookup_all(x, arch, (uint32_t)nr, args, &act[c], vs)) < 0)
                        goto out;
                res->strictest = c ? stricter(res->strictest, act[c]) : act[c];
                for (size_t k = 0; k < x->n_in; k++) {
                        if (!same_action(vs[k].action, act[c])) {
                                res->differ = true;
                                for (size_t j = 0; j < x->n_in; j++)
                                        if (same_action(vs[j].action, act[c]) &&
                                            vs[j].action.kind < vs[k].action.kind)
                                                res->takers |= 1ull << j;
                        }
                        /* an input whose matching rules disagree: its compiler's resolution decided */
                        const sf_decision *d = input_decision(&x->in[k], arch, idx);
                        if (!d)
                                continue;
                        const sf_action *first = NULL;
                        for (size_t i = 0; i < d->n_rules; i++) {
                                const sf_prule *cr = &d->rules[i];
                                const sf_cond *cc = &d->conds[cr->cond];
                                bool all = true;
                                for (unsigned m = 0; m < cr->n && all; m++)
                                        all = sf_cond_holds(&cc[m], args[cc[m].index] & max);
                                if (!all)
                                        continue;
                                if (first && !same_action(*first, cr->action))
                                        res->overlap |= 1ull << k;
                                first = &cr->action;
                        }
                }
        }
        bool constant = true;
        for (size_t c = 1; c < cells && constant; c++)
                constant = same_action(act[c], act[0]);
        if (constant) {
                res->constant = true;
                if (!same_action(act[0], x->def)) {
                        orule o = { .action = act[0] };
                        r = ol_add(&res->rules, &o);
                }
                goto out;
        }

        /* coarsen each argument: classes whose slices decide alike are one group */
        for (unsigned i = 0; i < 6; i++) {
                size_t stride = 1;
                for (unsigned j = 0; j < i; j++)
                        stride *= radix[j];
                sp[i].group_rep = sf_arena_alloc(&arena, (radix[i] + 1) * sizeof(size_t));
                if (!sp[i].group_rep) {
                        r = -ENOMEM;
                        goto out;
                }
                sp[i].n_groups = 0;
                for (size_t ci = 0; ci < radix[i]; ci++) {
                        unsigned g;
                        for (g = 0; g < sp[i].n_groups; g++) {
                                size_t cj = sp[i].group_rep[g];
                                bool eq = true;
                                /* only the cells whose coordinate i is ci */
                                size_t outer = cells / (stride * radix[i]);
                                for (size_t hi = 0; hi < outer && eq; hi++)
                                        for (size_t lo = 0; lo < stride && eq; lo++) {
                                                size_t base = lo + hi * stride * radix[i];
                                                eq = same_action(act[base + ci * stride], act[base + cj * stride]);
                                        }
                                if (eq)
                                        break;
                        }
                        if (g == sp[i].n_groups)
                                sp[i].group_rep[sp[i].n_groups++] = ci;
                        sp[i].c[ci].group = g;
                }
        }
        /* the coarse grid */
        size_t gradix[6], gcells = 1;
        for (unsigned i = 0; i < 6; i++)
                gcells *= gradix[i] = sp[i].n_groups;
        sf_action *gact = sf_arena_alloc(&arena, gcells * sizeof(sf_action));
        bool *done = sf_arena_alloc(&arena, gcells);
        bool *in_set = sf_arena_alloc(&arena, MAX_CLASSES + 1);
        if (!gact || !done || !in_set) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t g = 0; g < gcells; g++) {
                size_t rest = g, c = 0, stride = 1;
                for (unsigned i = 0; i < 6; i++) {
                        c += sp[i].group_rep[rest % gradix[i]] * stride;
                        stride *= radix[i];
                        rest /= gradix[i];
                }
                gact[g] = act[c];
        }
        /* for every action but the default: rules along the argument that needs fewest */
        for (size_t g0 = 0; g0 < gcells; g0++) {
                if (same_action(gact[g0], x->def) || done[g0])
                        continue;
                sf_action a = gact[g0];
                unsigned best = 0;
                size_t best_n = SIZE_MAX;
                for (unsigned j = 0; j < 6; j++) {
                        /* how many distinct rows along j hold a */
                        size_t n_rows = 0;
                        size_t stride = 1;
                        for (unsigned i = 0; i < j; i++)
                                stride *= gradix[i];
                        for (size_t g = 0; g < gcells; g++) {
                                if ((g / stride) % gradix[j] != 0)
                                        continue;
                                bool has = false;
                                for (size_t k = 0; k < gradix[j] && !has; k++)
                                        has = same_action(gact[g + k * stride], a);
                                n_rows += has;
                        }
                        if (n_rows < best_n) {
                                best_n = n_rows;
                                best = j;
                        }
                }
                size_t stride = 1;
                for (unsigned i = 0; i < best; i++)
                        stride *= gradix[i];
                for (size_t g = 0; g < gcells; g++) {
                        if ((g / stride) % gradix[best] != 0)
                                continue;
                        memset(in_set, 0, gradix[best]);
                        bool has = false;
                        for (size_t k = 0; k < gradix[best]; k++)
                                if (same_action(gact[g + k * stride], a)) {
                                        in_set[k] = has = true;
                                        done[g + k * stride] = true;
                                }
                        if (!has)
                                continue;
                        /* the row: a product of unions, multiplied out */
                        tlist per[6] = { { 0 } };
                        bool any[6];
                        size_t prod = 1;
                        for (unsigned i = 0; i < 6 && r == 0; i++) {
                                if (i == best) {
                                        r = express(&w, &sp[i], in_set, &per[i], &any[i]);
                                } else {
                                        bool *one = sf_arena_alloc(&arena, gradix[i] + 1);
                                        if (!one) {
                                                r = -ENOMEM;
                                                break;
                                        }
                                        size_t st = 1;
                                        for (unsigned m = 0; m < i; m++)
                                                st *= gradix[m];
                                        one[(g / st) % gradix[i]] = true;
                                        r = express(&w, &sp[i], one, &per[i], &any[i]);
                                }
                                if (r == 0 && !any[i])
                                        prod *= per[i].n ? per[i].n : 1;
                        }
                        if (r == 0 && (prod > MAX_RULES_PER_SYSCALL ||
                                       res->rules.n + prod > MAX_RULES_PER_SYSCALL)) {
                                res->refused = true;
                                snprintf(res->whybuf, sizeof(res->whybuf),
                                         "the result needs more than %d rules for it (KEP-6061 takes at most %d entries per syscall)",
                                         MAX_RULES_PER_SYSCALL, MAX_RULES_PER_SYSCALL);
                                res->why = res->whybuf;
                        }
                        if (r == -E2BIG) {
                                res->refused = true;
                                res->why = w.why;
                                r = 0;
                        }
                        for (size_t p = 0; r == 0 && !res->refused && p < prod; p++) {
                                orule o = { .action = a };
                                size_t rest = p;
                                for (unsigned i = 0; i < 6; i++) {
                                        if (any[i] || !per[i].n)
                                                continue;
                                        const term *t = &per[i].v[rest % per[i].n];
                                        rest /= per[i].n;
                                        o.args[o.n++] = (sf_arg){ .index = i, .op = t->op, .value = t->value,
                                                                  .value_two = t->value_two };
                                }
                                r = ol_add(&res->rules, &o);
                        }
                        for (unsigned i = 0; i < 6; i++)
                                free(per[i].v);
                        if (r < 0 || res->refused)
                                goto strictest;
                }
        }
        if (res->rules.n)
                qsort(res->rules.v, res->rules.n, sizeof(orule), cmp_orule);
        goto out;
strictest:
        if (res->refused) {
                if (res->why != res->whybuf) {
                        snprintf(res->whybuf, sizeof(res->whybuf), "%s", res->why ? res->why : "not expressible");
                        res->why = res->whybuf;
                }
                /* the most restrictive action any argument values can get: every input's
                 * strictest action over its rules and default (an upper bound of restriction) */
                sf_action s = x->def;
                for (size_t k = 0; k < x->n_in; k++) {
                        const sf_decision *d = input_decision(&x->in[k], arch, idx);
                        if (!d)
                                continue;
                        for (size_t i = 0; i < d->n_rules; i++)
                                s = stricter(s, d->rules[i].action);
                        s = stricter(s, d->action);
                }
                res->strictest = stricter(s, a0);
                res->differ = true;
        }
out:
        sf_arena_release(&arena);
        return r;
}

/* ---- the report ---- */

static int report_add(sf_intersect_report *rep, char *line)
{
        if (!line)
                return -ENOMEM;
        char **v = realloc(rep->lines, (rep->n + 1) * sizeof(*v));
        if (!v) {
                free(line);
                return -ENOMEM;
        }
        rep->lines = v;
        rep->lines[rep->n++] = line;
        return 0;
}

SF_EXPORT void sf_intersect_report_release(sf_intersect_report *rep)
{
        if (!rep)
                return;
        for (size_t i = 0; i < rep->n; i++)
                free(rep->lines[i]);
        free(rep->lines);
        *rep = (sf_intersect_report){ 0 };
}

static const char *input_label(const sf_profile *p, char *buf, size_t size)
{
        if (p->name)
                snprintf(buf, size, "%s (%s)", p->file, p->name);
        else
                snprintf(buf, size, "%s", p->file);
        return buf;
}

/* "clone [amd64, x86]: a.json: ALLOW; b.json: by arguments -> by arguments; taken away by b.json" */
static char *explain_line(const ictx *x, const char *name, unsigned arches, sf_arch arch, int nr, const sysres *res)
{
        static const uint64_t zero[6];
        sf_buf b = { 0 };
        char ab[64], lb[512];
        sf_buf_printf(&b, "%s [", name);
        bool first = true;
        for (int a = 1; a < SF_ARCH__COUNT; a++)
                if (arches & (1u << a)) {
                        sf_buf_printf(&b, "%s%s", first ? "" : ", ", sf_arch_short_name((sf_arch)a));
                        first = false;
                }
        sf_buf_puts(&b, "]:");
        for (size_t k = 0; k < x->n_in; k++) {
                sf_verdict v;
                sf_prog_lookup(x->in[k].prog, sf_arch_audit(arch), (uint32_t)nr, zero, &v);
                sf_buf_printf(&b, "%s %s: %s", k ? ";" : "", input_label(x->in[k].p, lb, sizeof(lb)),
                              v.conditional ? "by arguments" : action_text(v.action, ab, sizeof(ab)));
        }
        if (res->refused)
                sf_buf_printf(&b, " -> %s (approximated: %s)", action_text(res->strictest, ab, sizeof(ab)), res->why);
        else if (res->constant)
                sf_buf_printf(&b, " -> %s",
                              res->rules.n ? action_text(res->rules.v[0].action, ab, sizeof(ab))
                                           : action_text(x->def, ab, sizeof(ab)));
        else
                sf_buf_printf(&b, " -> by arguments (%zu rule%s)", res->rules.n, res->rules.n == 1 ? "" : "s");
        first = true;
        for (size_t k = 0; k < x->n_in; k++)
                if (res->takers & (1ull << k)) {
                        sf_buf_printf(&b, "%s%s", first ? "; taken away by " : ", ",
                                      input_label(x->in[k].p, lb, sizeof(lb)));
                        first = false;
                }
        return sf_buf_steal(&b);
}

/* ---- the result as a profile ---- */

typedef struct body {
        orule r;
        const char **names;
        size_t n_names, cap;
} body;

static int cmp_body(const void *a, const void *b) { return cmp_orule(&((const body *)a)->r, &((const body *)b)->r); }

static bool orule_eq(const orule *a, const orule *b) { return cmp_orule(a, b) == 0 && same_action(a->action, b->action); }

static int add_body(body **v, size_t *n, const orule *r, const char *name)
{
        /* linear in the bodies: a profile has hundreds at most, and rules of one
         * name come sorted */
        body *b = NULL;
        for (size_t i = 0; i < *n && !b; i++)
                if (orule_eq(&(*v)[i].r, r))
                        b = &(*v)[i];
        if (!b) {
                body *g = realloc(*v, (*n + 1) * sizeof(*g));
                if (!g)
                        return -ENOMEM;
                *v = g;
                b = &g[(*n)++];
                *b = (body){ .r = *r };
        }
        if (b->n_names == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 8;
                const char **nv = realloc(b->names, cap * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                b->names = nv;
                b->cap = cap;
        }
        b->names[b->n_names++] = name;
        return 0;
}

/* ---- the check: the result decides as the intersection at every class ---- */

enum { SAME = 0, STRICTER = 1, LOOSER = 2, UNPROVEN = 3 };

/* How the result decides (arch, syscall) against the inputs, at every class of
 * the conditions of the inputs and of the result together: SAME, STRICTER
 * (as or more restrictive everywhere), LOOSER (somewhere less), or UNPROVEN
 * (too many classes to check them all). */
static int check_syscall(const ictx *x, const input *out, sf_arch arch, long idx, int nr, const sf_action *approx,
                         int *ret)
{
        if (approx) {
                /* made unconditional: as restrictive as the strictest the inputs can give */
                static const uint64_t zero[6];
                sf_verdict v;
                if (sf_prog_lookup(out->prog, sf_arch_audit(arch), (uint32_t)nr, zero, &v) < 0)
                        return -EINVAL;
                *ret = !v.conditional && v.action.kind <= approx->kind ? STRICTER : LOOSER;
                return 0;
        }
        sf_arena arena = { 0 };
        work w = { .a = &arena };
        input all[65];
        memcpy(all, x->in, x->n_in * sizeof(input));
        all[x->n_in] = *out;
        ictx one = { .in = all + x->n_in, .n_in = 1 };
        argspace sp[6];
        size_t radix[6], cells = 0;
        bool any;
        sf_verdict vs[65];
        int status = SAME;
        int r = make_spaces(&w, all, x->n_in + 1, arch, idx, sp, radix, &cells, &any);
        if (r == -E2BIG) {
                status = UNPROVEN;
                r = 0;
                cells = 0;
        }
        for (size_t c = 0; r == 0 && c < cells && status < LOOSER; c++) {
                uint64_t args[6];
                sf_action want, got;
                cell_args(sp, radix, c, args);
                if (lookup_all(x, arch, (uint32_t)nr, args, &want, vs) < 0 ||
                    lookup_all(&one, arch, (uint32_t)nr, args, &got, vs) < 0)
                        r = -EINVAL;
                else if (got.kind > want.kind)
                        status = LOOSER;
                else if (!same_action(got, want))
                        status = STRICTER;
        }
        sf_arena_release(&arena);
        *ret = status;
        return r;
}

/* Compiles the result and checks every syscall of every arch, and the numbers
 * no table knows; status[idx] gets the worst of each syscall's arches. */
static int verify(const ictx *x, const sf_profile *out, const sf_arch *arches, size_t n_arches,
                  const uint8_t *approx, const sf_action *strict, uint8_t *status, sf_arch *ret_arch, sf_error **err)
{
        sf_compile_opts co = { .target = x->opts->target, .arches = arches, .n_arches = n_arches };
        sf_prog *po = NULL;
        int r = sf_compile(out, &co, &po, NULL, err);
        if (r < 0)
                return r;
        input one = { .p = out, .prog = po, .st = po->internal_ };
        ictx ox = { .in = &one, .n_in = 1 };
        static const uint64_t zero[6];
        sf_verdict vs[65];
        memset(status, 0, sf_syscalls.name_count);
        for (size_t ai = 0; ai < n_arches && r == 0; ai++) {
                sf_arch arch = arches[ai];
                for (size_t idx = 0; idx < sf_syscalls.name_count && r == 0; idx++) {
                        int nr = sf_syscalls.arch[arch].nr_by_name[idx], st = SAME;
                        if (nr < 0)
                                continue;
                        r = check_syscall(x, &one, arch, (long)idx, nr, approx[idx] ? &strict[idx] : NULL, &st);
                        if (st > status[idx]) {
                                status[idx] = (uint8_t)st;
                                ret_arch[idx] = arch;
                        }
                }
                /* numbers no table knows: the defaults */
                const uint32_t other[] = { (uint32_t)sf_syscall_max(arch) + 1, UINT32_MAX };
                for (size_t k = 0; k < 2 && r == 0; k++) {
                        sf_action want, got;
                        if (lookup_all(x, arch, other[k], zero, &want, vs) < 0 ||
                            lookup_all(&ox, arch, other[k], zero, &got, vs) < 0)
                                r = -EINVAL;
                        else if (!same_action(want, got)) {
                                char b1[64], b2[64];
                                r = sf_error_set(err, EINVAL,
                                                 "internal error: the intersection decides number %u on %s as %s where the inputs' most restrictive is %s; nothing written",
                                                 other[k], sf_arch_short_name(arch), action_text(got, b1, sizeof(b1)),
                                                 action_text(want, b2, sizeof(b2)));
                        }
                }
        }
        if (r == -EINVAL && !(err && *err))
                r = sf_error_set(err, EINVAL, "internal error: no decision tables");
        else if (r == -ENOMEM)
                r = sf_error_set(err, ENOMEM, "out of memory");
        sf_prog_free(po);
        return r;
}

/* The most restrictive action any input's rules for a syscall give, on any of
 * the arches, and the defaults: what an approximation may use whatever the
 * arguments and the classes are. */
static sf_action strictest_possible(const ictx *x, const sf_arch *arches, size_t n_arches, long idx, sf_action a)
{
        for (size_t ai = 0; ai < n_arches; ai++)
                for (size_t k = 0; k < x->n_in; k++) {
                        const sf_decision *d = input_decision(&x->in[k], arches[ai], idx);
                        for (size_t i = 0; d && i < d->n_rules; i++)
                                a = stricter(a, d->rules[i].action);
                }
        return stricter(a, x->def);
}

/* ---- the intersection ---- */

SF_EXPORT int sf_profile_intersect(sf_profile *const *inputs, size_t n, const sf_intersect_opts *opts,
                                   sf_profile **ret, sf_intersect_report *report, sf_diags *diags, sf_error **err)
{
        static const sf_intersect_opts no_opts;
        if (!opts)
                opts = &no_opts;
        if (n < 1)
                return sf_error_set(err, EINVAL, "nothing to intersect");
        if (n > 64)
                return sf_error_set(err, E2BIG, "at most 64 profiles can be intersected at once");
        char l1[512];
        const char *listener = NULL, *meta = NULL;
        for (size_t i = 0; i < n; i++) {
                const sf_profile *p = inputs[i];
                if (p->disabled)
                        return sf_error_set(err, EINVAL, "%s is disabled: it restricts nothing, leave it out",
                                            input_label(p, l1, sizeof(l1)));
                if (p->base_profile_name)
                        return sf_error_set(err, EINVAL,
                                            "%s: builds on baseProfileName \"%s\", whose rules are not in the file; give the base profile as an input instead",
                                            input_label(p, l1, sizeof(l1)), p->base_profile_name);
                if (p->listener_path && listener && strcmp(listener, p->listener_path) != 0)
                        return sf_error_set(err, EINVAL, "%s has listenerPath \"%s\", another input \"%s\"; a profile has one",
                                            input_label(p, l1, sizeof(l1)), p->listener_path, listener);
                if (p->listener_path)
                        listener = p->listener_path;
                if (p->listener_metadata && !meta)
                        meta = p->listener_metadata;
        }

        sf_target t = opts->target;
        if (t.arch == SF_ARCH_NONE && t.caps == 0 && t.kernel_major == 0)
                sf_target_default(&t);
        sf_intersect_opts o2 = *opts;
        o2.target = t;
        sf_compile_opts co = { .target = t, .arches = opts->arches, .n_arches = opts->n_arches };
        input in[64] = { { 0 } };
        int r = 0;
        sf_action def = { 0 };
        for (size_t i = 0; i < n && r == 0; i++) {
                in[i].p = inputs[i];
                r = sf_compile(inputs[i], &co, &in[i].prog, NULL, err);
                if (r == 0) {
                        in[i].st = in[i].prog->internal_;
                        def = i ? stricter(def, in[i].prog->default_action) : in[i].prog->default_action;
                }
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        sf_prog_free(in[i].prog);
                return r;
        }
        ictx x = { .in = in, .n_in = n, .def = def, .opts = &o2 };

        /* the arches every input dispatches on; elsewhere each misses one, whose
         * bad-arch action (KILL_THREAD) the result's own then gives, unless an input
         * kills the process there */
        sf_arch arches[SF_ARCH__COUNT];
        size_t n_arches = 0;
        for (size_t a = 0; a < in[0].prog->n_arches; a++) {
                bool all = true;
                for (size_t k = 1; k < n; k++)
                        all &= prog_has_arch(in[k].prog, in[0].prog->arches[a]);
                if (all)
                        arches[n_arches++] = in[0].prog->arches[a];
        }
        for (size_t k = 0; k < n && r == 0; k++)
                for (size_t a = 0; a < in[k].prog->n_arches && r == 0; a++) {
                        sf_arch arch = in[k].prog->arches[a];
                        bool common = false;
                        for (size_t j = 0; j < n_arches; j++)
                                common |= arches[j] == arch;
                        if (common)
                                continue;
                        bool kp = in[k].prog->default_action.kind == SF_ACT_KILL_PROCESS;
                        for (size_t q = 0; q < in[k].p->n_rules; q++)
                                kp |= in[k].p->rules[q].action.kind == SF_ACT_KILL_PROCESS;
                        if (kp)
                                r = sf_error_set(err, EINVAL,
                                                 "%s filters %s, which another input does not (there it kills the thread), and kills the process there: the result cannot say both; pass --arch",
                                                 input_label(in[k].p, l1, sizeof(l1)), sf_arch_short_name(arch));
                }
        if (n_arches == 0 && r == 0)
                r = sf_error_set(err, EINVAL, "the inputs have no architecture in common: the result would kill every call");

        const char *out_name = opts->name ? opts->name : "<intersection>";
        size_t n_names = sf_syscalls.name_count;
        olist *chosen = calloc(n_names + 1, sizeof(olist));
        sf_action *strict = calloc(n_names + 1, sizeof(sf_action));
        uint8_t *approx = calloc(n_names + 1, 1), *status = calloc(n_names + 1, 1), *dropped = calloc(n_names + 1, 1);
        sf_arch *where = calloc(n_names + 1, sizeof(sf_arch)), *first_of = calloc(n_names + 1, sizeof(sf_arch));
        bool *present = calloc(n_names + 1, sizeof(bool));
        sf_intersect_report rep = { 0 };
        size_t took[64] = { 0 };
        if (r == 0 && (!chosen || !strict || !approx || !status || !dropped || !where || !first_of || !present))
                r = sf_error_set(err, ENOMEM, "out of memory");
        /* each syscall is decided on every arch; the rules of the first (the native
         * arch) are written, and the check below proves them on the others */
        for (size_t idx = 0; r == 0 && idx < n_names; idx++) {
                const char *name = sf_syscalls.names[idx];
                sysres first = { 0 }, cur = { 0 };
                bool have = false;
                unsigned arch_bits = 0;
                int first_nr = -1;
                for (size_t ai = 0; ai < n_arches && r == 0; ai++) {
                        int nr = sf_syscalls.arch[arches[ai]].nr_by_name[idx];
                        if (nr < 0)
                                continue;
                        r = decide_syscall(&x, arches[ai], (long)idx, nr, &cur);
                        if (r < 0) {
                                r = sf_error_set(err, -r, "out of memory");
                                free(cur.rules.v);
                                break;
                        }
                        arch_bits |= 1u << arches[ai];
                        if (!have) {
                                first = cur;
                                if (cur.why)
                                        first.why = first.whybuf;
                                have = true;
                                first_of[idx] = arches[ai];
                                first_nr = nr;
                                continue;
                        }
                        first.takers |= cur.takers;
                        first.overlap |= cur.overlap;
                        first.differ |= cur.differ;
                        first.strictest = stricter(first.strictest, cur.strictest);
                        if (cur.refused && !first.refused) {
                                first.refused = true;
                                snprintf(first.whybuf, sizeof(first.whybuf), "on %s: %.200s",
                                         sf_arch_short_name(arches[ai]), cur.why);
                                first.why = first.whybuf;
                        }
                        free(cur.rules.v);
                }
                if (r < 0 || !have) {
                        free(first.rules.v);
                        continue;
                }
                present[idx] = true;
                strict[idx] = first.strictest;
                if (first.refused && !opts->approximate) {
                        r = sf_error_set(err, EINVAL,
                                         "%s: the intersection cannot be written exactly as a profile: %s; nothing written (--approximate makes it %s whatever its arguments)",
                                         name, first.why, action_text(first.strictest, l1, sizeof(l1)));
                        free(first.rules.v);
                        break;
                }
                if (first.refused) {
                        approx[idx] = 1;
                        strict[idx] = first.strictest =
                                strictest_possible(&x, arches, n_arches, (long)idx, first.strictest);
                        first.rules.n = 0;
                        sf_diags_add(diags, SF_SEV_WARNING, "intersect-approximate", out_name, name, 0, 0, NULL,
                                     "%s; approximated as %s whatever its arguments (more restrictive than the inputs)",
                                     first.why, action_text(first.strictest, l1, sizeof(l1)));
                }
                chosen[idx] = first.rules;
                for (size_t k = 0; k < n; k++)
                        if (first.overlap & (1ull << k))
                                sf_diags_add(diags, SF_SEV_WARNING, "intersect-overlap", in[k].p->file, name, 0, 0, NULL,
                                             "argument rules for %s overlap with different actions; the intersection follows the compiler's resolution of them",
                                             name);
                for (size_t k = 0; k < n; k++)
                        took[k] += (first.takers >> k) & 1;
                if (report && first.differ)
                        r = report_add(&rep, explain_line(&x, name, arch_bits, first_of[idx], first_nr, &first));
                if (r < 0)
                        r = sf_error_set(err, ENOMEM, "out of memory");
        }

        /* the report ends with what each input took away, in all */
        for (size_t k = 0; report && r == 0 && k < n; k++) {
                char *line = NULL;
                if (asprintf(&line, "%s took away %zu syscall%s", input_label(in[k].p, l1, sizeof(l1)), took[k],
                             took[k] == 1 ? "" : "s") < 0)
                        line = NULL;
                if (report_add(&rep, line) < 0)
                        r = sf_error_set(err, ENOMEM, "out of memory");
        }

        /* the profile: one rule per distinct (action, args), names sorted by emit;
         * rebuilt while --approximate replaces a syscall the check refutes */
        sf_profile **v = NULL;
        size_t nv = 0;
        for (int attempt = 0; r == 0; attempt++) {
                sf_arena arena = { 0 };
                body *bodies = NULL;
                size_t n_bodies = 0;
                char *text = NULL;
                sf_profiles_free(v, nv);
                v = NULL;
                nv = 0;
                for (size_t idx = 0; r == 0 && idx < n_names; idx++) {
                        if (!present[idx])
                                continue;
                        if (approx[idx]) {
                                /* on socketcall/ipc a rule with the default action would leave
                                 * the socket and IPC calls' rules deciding (they apply there too) */
                                const char *nm = sf_syscalls.names[idx];
                                if (same_action(strict[idx], def) && def.kind != SF_ACT_KILL_PROCESS &&
                                    (strcmp(nm, "socketcall") == 0 || strcmp(nm, "ipc") == 0))
                                        strict[idx] = (sf_action){ SF_ACT_KILL_PROCESS, 0 };
                                orule o = { .action = strict[idx] };
                                if (!same_action(strict[idx], def))
                                        r = add_body(&bodies, &n_bodies, &o, sf_syscalls.names[idx]);
                                continue;
                        }
                        for (size_t i = 0; i < chosen[idx].n && r == 0; i++)
                                r = add_body(&bodies, &n_bodies, &chosen[idx].v[i], sf_syscalls.names[idx]);
                }
                if (r < 0)
                        r = sf_error_set(err, ENOMEM, "out of memory");
                if (r == 0) {
                        if (n_bodies)
                                qsort(bodies, n_bodies, sizeof(body), cmp_body);
                        sf_profile out = {
                                .file = opts->name ? opts->name : "<intersection>",
                                .format = SF_FORMAT_DOCKER,
                                .default_action = def,
                                .default_errno_set = has_data(def),
                                .listener_path = listener,
                                .listener_metadata = meta,
                                .arches = arches,
                                .n_arches = n_arches,
                        };
                        out.flags = in[0].p->flags;
                        for (size_t k = 1; k < n; k++)
                                out.flags &= in[k].p->flags;
                        out.rules = sf_arena_alloc(&arena, (n_bodies + 1) * sizeof(sf_rule));
                        if (!out.rules)
                                r = sf_error_set(err, ENOMEM, "out of memory");
                        for (size_t i = 0; r == 0 && i < n_bodies; i++) {
                                sf_rule *ru = &out.rules[out.n_rules++];
                                *ru = (sf_rule){ .names = bodies[i].names, .n_names = bodies[i].n_names,
                                                 .action = bodies[i].r.action, .errno_set = has_data(bodies[i].r.action),
                                                 .args = bodies[i].r.args, .n_args = bodies[i].r.n };
                                ru->name_locs = sf_arena_alloc(&arena, (ru->n_names + 1) * sizeof(sf_loc));
                                if (!ru->name_locs)
                                        r = sf_error_set(err, ENOMEM, "out of memory");
                        }
                        if (r == 0)
                                r = sf_profile_emit(&out, SF_FORMAT_DOCKER, &text, err);
                        if (r == 0)
                                r = sf_profile_load_data(text, strlen(text), "<intersection>.json", NULL, &v, &nv, NULL,
                                                         err);
                        if (r == 0 && nv != 1)
                                r = sf_error_set(err, EINVAL, "internal error: the intersection did not read back");
                        if (r == 0) {
                                v[0]->file = sf_arena_strdup(profile_arena(v[0]), out.file);
                                if (!v[0]->file)
                                        r = sf_error_set(err, ENOMEM, "out of memory");
                        }
                }
                free(text);
                for (size_t i = 0; i < n_bodies; i++)
                        free(bodies[i].names);
                free(bodies);
                sf_arena_release(&arena);
                if (r == 0)
                        r = verify(&x, v[0], arches, n_arches, approx, strict, status, where, err);
                bool again = false;
                for (size_t idx = 0; r == 0 && idx < n_names; idx++) {
                        if (status[idx] == SAME || (approx[idx] && status[idx] == STRICTER))
                                continue;
                        const char *name = sf_syscalls.names[idx];
                        bool mux = strcmp(name, "socketcall") == 0 || strcmp(name, "ipc") == 0;
                        char why[256];
                        /* the inputs' socketcall is often their socket rules alone, muxed:
                         * then so is the result's, without rules of its own */
                        if (mux && !approx[idx] && chosen[idx].n && !dropped[idx]) {
                                dropped[idx] = 1;
                                chosen[idx].n = 0;
                                again = true;
                                continue;
                        }
                        if (status[idx] == UNPROVEN)
                                snprintf(why, sizeof(why),
                                         "on %s its conditions and the result's split the arguments into too many cases to check that it is exact",
                                         sf_arch_short_name(where[idx]));
                        else if (mux)
                                snprintf(why, sizeof(why),
                                         "on %s the result's rules for the socket or IPC calls apply to it too (libseccomp multiplexes them) and change what it decides",
                                         sf_arch_short_name(where[idx]));
                        else
                                snprintf(why, sizeof(why),
                                         "the rules that state it on %s decide otherwise on %s (a rule applies to every architecture)",
                                         sf_arch_short_name(first_of[idx]), sf_arch_short_name(where[idx]));
                        if (approx[idx] && mux)
                                r = sf_error_set(err, EINVAL,
                                                 "%s: the intersection cannot be written as a profile, not even approximately: %s, and no action more restrictive than the default %s stops them; nothing written",
                                                 name, why, action_text(def, l1, sizeof(l1)));
                        else if (approx[idx] || attempt > 3)
                                r = sf_error_set(err, EINVAL,
                                                 "%s: the intersection cannot be written as a profile, not even approximately: made unconditional, it still decides less restrictively than the inputs on %s%s; nothing written",
                                                 name, sf_arch_short_name(where[idx]),
                                                 sf_arch_muxes(where[idx]) ? " (there libseccomp ties the socket and IPC calls to socketcall/ipc)" : "");
                        else if (!opts->approximate)
                                r = sf_error_set(err, EINVAL,
                                                 "%s: the intersection cannot be written exactly as a profile: %s; nothing written (--approximate makes it %s whatever its arguments)",
                                                 name, why, action_text(strict[idx], l1, sizeof(l1)));
                        else {
                                approx[idx] = 1;
                                strict[idx] = strictest_possible(&x, arches, n_arches, (long)idx, strict[idx]);
                                again = true;
                                sf_diags_add(diags, SF_SEV_WARNING, "intersect-approximate", out_name, name, 0, 0, NULL,
                                             "%s; approximated as %s whatever its arguments (more restrictive than the inputs)",
                                             why, action_text(strict[idx], l1, sizeof(l1)));
                        }
                }
                if (!again)
                        break;
        }
        if (r == 0) {
                *ret = v[0];
                free(v);
                v = NULL;
                nv = 0;
                if (report)
                        *report = rep;
                else
                        sf_intersect_report_release(&rep);
        } else {
                sf_intersect_report_release(&rep);
        }
        sf_profiles_free(v, nv);
        for (size_t idx = 0; chosen && idx < n_names; idx++)
                free(chosen[idx].v);
        free(chosen);
        free(strict);
        free(approx);
        free(status);
        free(dropped);
        free(where);
        free(first_of);
        free(present);
        for (size_t i = 0; i < n; i++)
                sf_prog_free(in[i].prog);
        return r;
}
