/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decisions → BPF.  Instructions are built bottom-up as a DAG whose nodes are
 * shared when equal (so identical tails merge), then laid out in an order where
 * every jump goes forward, with jumps past 255 instructions repaired.
 *
 * Shape of the program:
 *   ld arch; jeq AUDIT_ARCH_A → region A; jeq AUDIT_ARCH_B → region B; …; ret badarch
 *   region: ld nr; a search tree over number intervals (jge K) whose leaves are
 *           RET (no argument to look at: the kernel's action cache can mark those
 *           numbers) or an argument block.
 * The tree is an optimal alphabetic tree for the weights of the intervals (each
 * known syscall number of the region's arch weighs the same, or as --hot says),
 * so the average number of instructions executed per syscall is minimal for the
 * jge-only search. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile-internal.h"

typedef struct ir ir;
struct ir {
        uint16_t code;
        uint32_t k;
        ir *jt, *jf;      /* jumps: targets; loads/ALU: jt is the next instruction */
        sf_src src;       /* RET: the rule that produced it */
        unsigned region;  /* RETs and nodes are shared within a region only */
        ir *hnext;        /* hash chain */
        int pos;          /* position in the laid-out program, -1 before */
        int mark;         /* DFS state */
        bool jt_first;    /* place jt right after this jump (arch dispatch) */
};

/* The node table starts at this many buckets and doubles when it holds twice
 * as many nodes, so a lookup stays O(1) whatever the program's size. */
#define HBUCKETS_MIN 4096

typedef struct lower {
        sf_cstate *s;
        ir **buckets;
        size_t n_buckets; /* a power of two */
        unsigned region;
        size_t n_nodes;
        bool too_many;    /* NODES_MAX reached */
        struct memo_ent *memo; /* tlevel()'s */
        size_t n_memo, memo_used;
        const sf_tout *outs;   /* the outcomes of the tree being lowered */
        uint64_t steps;        /* nodes tlevel() walked, for the whole program */
        bool too_costly;       /* LOWER_STEPS_MAX reached */
} lower;

/* A bound on the nodes built: a tree whose 64-bit orderings share subtrees
 * unfolds into more instructions than the kernel takes long before this. */
#define NODES_MAX (SF_BPF_MAX_INSNS * 64)

/* A bound on the walks that build the argument checks from the rule trees.
 * Random argument rules can leave a level of a tree linked into a loop (found
 * by replaying fuzz recipes: 98 rules on mmap), which was walked forever, and
 * a level is walked again under each fallthrough it is reached with.  Real
 * profiles walk at most a hundred nodes, 300 random fuzz recipes at most
 * 213,015; 2^24 takes about 0.1 s. */
#define LOWER_STEPS_MAX (UINT64_C(1) << 24)

/* Counts a step of tlevel()'s walks; false once past the bound. */
static bool lower_step(lower *l)
{
        if (++l->steps <= LOWER_STEPS_MAX)
                return true;
        l->too_costly = true;
        return false;
}

static bool is_jump(uint16_t code) { return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA; }

static uint64_t node_hash(uint16_t code, uint32_t k, const ir *jt, const ir *jf, unsigned region)
{
        uint64_t h = ((uint64_t)code * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)k * 0xC2B2AE3D27D4EB4Full) ^
                     (uint64_t)(uintptr_t)jt * 31 ^ (uint64_t)(uintptr_t)jf * 17 ^ region * 0x165667B19E3779F9ull;
        return h ^ (h >> 29);
}

/* Doubles the node table; a failure keeps the old one (lookups only get slower). */
static void grow(lower *l)
{
        size_t nb = l->n_buckets * 2;
        ir **b = calloc(nb, sizeof(*b));
        if (!b)
                return;
        for (size_t i = 0; i < l->n_buckets; i++)
                for (ir *n = l->buckets[i], *next; n; n = next) {
                        next = n->hnext;
                        size_t x = (size_t)(node_hash(n->code, n->k, n->jt, n->jf, n->region) & (nb - 1));
                        n->hnext = b[x];
                        b[x] = n;
                }
        free(l->buckets);
        l->buckets = b;
        l->n_buckets = nb;
}

static ir *node(lower *l, uint16_t code, uint32_t k, ir *jt, ir *jf, sf_src src)
{
        if (l->n_nodes >= NODES_MAX) {
                l->too_many = true;
                return NULL;
        }
        if (l->n_nodes >= 2 * l->n_buckets)
                grow(l);
        size_t b = (size_t)(node_hash(code, k, jt, jf, l->region) & (l->n_buckets - 1));
        for (ir *n = l->buckets[b]; n; n = n->hnext)
                if (n->code == code && n->k == k && n->jt == jt && n->jf == jf && n->region == l->region)
                        return n;
        ir *n = sf_arena_alloc(&l->s->arena, sizeof(*n));
        if (!n)
                return NULL;
        *n = (ir){ .code = code, .k = k, .jt = jt, .jf = jf, .src = src, .region = l->region, .pos = -1 };
        n->hnext = l->buckets[b];
        l->buckets[b] = n;
        l->n_nodes++;
        return n;
}

static const sf_src no_src = { -1, -1 };

static ir *ret(lower *l, sf_action a, sf_src src) { return node(l, BPF_RET | BPF_K, sf_action_ret(a), NULL, NULL, src); }
static ir *ld(lower *l, uint32_t off, ir *next)
{
        return next ? node(l, BPF_LD | BPF_W | BPF_ABS, off, next, NULL, no_src) : NULL;
}
static ir *jmp(lower *l, uint16_t op, uint32_t k, ir *jt, ir *jf)
{
        if (!jt || !jf)
                return NULL;
        if (jt == jf)
                return jt; /* a test whose outcome does not matter */
        return node(l, BPF_JMP | op | BPF_K, k, jt, jf, no_src);
}
static ir *and_(lower *l, uint32_t k, ir *next)
{
        return next ? node(l, BPF_ALU | BPF_AND | BPF_K, k, next, NULL, no_src) : NULL;
}

/* Offsets of an argument's words in seccomp_data. */
static uint32_t arg_lo(const sf_region *rg, unsigned i)
{
        return (uint32_t)offsetof(struct seccomp_data, args) + 8 * i + (rg->big_endian ? 4 : 0);
}
static uint32_t arg_hi(const sf_region *rg, unsigned i)
{
        return (uint32_t)offsetof(struct seccomp_data, args) + 8 * i + (rg->big_endian ? 0 : 4);
}

/* Whether x is `ld off` (then, with mask not all ones, `and mask`): what A
 * already holds after a test of that word, so a jump there can skip it. */
static ir *past_load(ir *x, uint32_t off, uint32_t mask)
{
        if (x->code != (BPF_LD | BPF_W | BPF_ABS) || x->k != off)
                return x;
        if (mask == UINT32_MAX)
                return x->jt;
        ir *y = x->jt;
        return y->code == (BPF_ALU | BPF_AND | BPF_K) && y->k == mask ? y->jt : x;
}

static ir *tlevel(lower *l, const sf_region *rg, const sf_tnode *v, int32_t i, ir *fall);

/* Where one outcome of node n leads: its subtree (whose level runs out into
 * `next`, the rest of n's level), its action, or `next`. */
static ir *outcome(lower *l, const sf_region *rg, const sf_tnode *v, const sf_tnode *n, bool t, ir *next)
{
        int32_t child = t ? n->t : n->f;
        if (child >= 0)
                return tlevel(l, rg, v, child, next);
        if (t ? n->act_t_flg : n->act_f_flg) {
                const sf_tout *o = &l->outs[t ? n->out_t : n->out_f];
                return ret(l, o->act, o->src);
        }
        return next;
}

/* One node of libseccomp's tree: load the word, mask it, compare. */
static ir *tnode(lower *l, const sf_region *rg, const sf_tnode *n, ir *t, ir *f)
{
        if (!t || !f)
                return NULL;
        uint32_t off = n->hi ? arg_hi(rg, n->arg) : arg_lo(rg, n->arg);
        /* tests whose outcome is fixed: a zero mask, >= 0, > UINT32_MAX */
        if (n->mask == 0 || (n->op == SF_OP_GE && n->datum == 0))
                return t;
        if (n->op == SF_OP_GT && n->datum == UINT32_MAX)
                return f;
        if (t == f)
                return t;
        /* the load is made here: a target that would make it again skips it */
        t = past_load(t, off, n->mask);
        f = past_load(f, off, n->mask);
        uint16_t op = n->op == SF_OP_GT ? BPF_JGT : n->op == SF_OP_GE ? BPF_JGE : BPF_JEQ;
        ir *x = jmp(l, op, n->datum, t, f);
        if (n->mask != UINT32_MAX)
                x = and_(l, n->mask, x);
        return ld(l, off, x);
}

/* Memo of built levels: (pool, first node, fallthrough) → code, so that a
 * level reached from several places is built once. */
typedef struct memo_ent {
        const sf_tnode *pool;
        int32_t i;
        ir *fall, *code;
} memo_ent;

static size_t memo_slot(const lower *l, const sf_tnode *v, int32_t i, const ir *fall)
{
        uint64_t h = ((uint64_t)(uintptr_t)v * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)(uint32_t)i * 0xC2B2AE3D27D4EB4Full) ^
                     ((uint64_t)(uintptr_t)fall * 0x165667B19E3779F9ull);
        return (size_t)(h ^ h >> 29) & (l->n_memo - 1);
}

static memo_ent *memo_find(lower *l, const sf_tnode *v, int32_t i, ir *fall)
{
        if (l->memo_used * 2 >= l->n_memo) {
                size_t nm = l->n_memo ? l->n_memo * 2 : 1024;
                memo_ent *m = calloc(nm, sizeof(*m));
                if (!m)
                        return NULL;
                memo_ent *old = l->memo;
                size_t n_old = l->n_memo;
                l->memo = m;
                l->n_memo = nm;
                for (size_t k = 0; k < n_old; k++)
                        if (old[k].code) {
                                size_t j = memo_slot(l, old[k].pool, old[k].i, old[k].fall);
                                while (l->memo[j].code)
                                        j = (j + 1) & (nm - 1);
                                l->memo[j] = old[k];
                        }
                free(old);
        }
        size_t j = memo_slot(l, v, i, fall);
        while (l->memo[j].code && !(l->memo[j].pool == v && l->memo[j].i == i && l->memo[j].fall == fall))
                j = (j + 1) & (l->n_memo - 1);
        return &l->memo[j];
}

static bool same_word(const sf_tnode *a, const sf_tnode *b) { return a->arg == b->arg && a->hi == b->hi; }

static bool word_holds(const sf_tnode *n, uint32_t w)
{
        w &= n->mask;
        return n->op == SF_OP_GT ? w > n->datum : n->op == SF_OP_GE ? w >= n->datum : w == n->datum;
}

/* A level of the tree, from its last node back: each node's "nothing here"
 * goes on with the node after it, the last one's with `fall`.  Where a node
 * compares the whole word with EQ and holds, the nodes after it that test the
 * same word have a known outcome: its subtree goes on with the first of them
 * that has something for that outcome (what a set of values on one word
 * needs: the high word matched, the low word not, nothing else can match). */
static ir *tlevel(lower *l, const sf_region *rg, const sf_tnode *v, int32_t i, ir *fall)
{
        /* (a step per node: a level that loops is refused, not walked forever) */
        while (v[i].prv >= 0) {
                if (!lower_step(l))
                        return NULL;
                i = v[i].prv;
        }
        if (!lower_step(l))
                return NULL;
        memo_ent *me = memo_find(l, v, i, fall);
        if (!me)
                return NULL;
        if (me->code)
                return me->code;
        size_t n = 0;
        for (int32_t c = i; c >= 0; c = v[c].nxt) {
                if (!lower_step(l))
                        return NULL;
                n++;
        }
        int32_t *idx = malloc(n * sizeof(*idx));
        ir **rest = malloc((n + 1) * sizeof(*rest));
        ir *x = NULL;
        if (!idx || !rest)
                goto out;
        n = 0;
        for (int32_t c = i; c >= 0; c = v[c].nxt)
                idx[n++] = c;
        rest[n] = fall;
        for (size_t k = n; k-- > 0;) {
                const sf_tnode *c = &v[idx[k]];
                ir *known = rest[k + 1];
                if (c->op == SF_OP_EQ && c->mask == UINT32_MAX && c->t >= 0) {
                        size_t m = k + 1;
                        while (m < n && same_word(&v[idx[m]], c) && v[idx[m]].mask == UINT32_MAX) {
                                const sf_tnode *s = &v[idx[m]];
                                bool h = word_holds(s, c->datum);
                                if ((h ? s->t : s->f) >= 0 || (h ? s->act_t_flg : s->act_f_flg))
                                        break;
                                m++;
                        }
                        if (m < n && same_word(&v[idx[m]], c) && v[idx[m]].mask == UINT32_MAX)
                                known = outcome(l, rg, v, &v[idx[m]], word_holds(&v[idx[m]], c->datum), rest[m + 1]);
                        else
                                known = rest[m];
                }
                rest[k] = tnode(l, rg, c, outcome(l, rg, v, c, true, known), outcome(l, rg, v, c, false, rest[k + 1]));
                if (!rest[k])
                        goto out;
        }
        x = rest[0];
        me = memo_find(l, v, i, fall); /* the table may have grown meanwhile */
        if (me) {
                if (!me->code)
                        l->memo_used++;
                *me = (memo_ent){ v, i, fall, x };
        }
out:
        free(idx);
        free(rest);
        return x;
}

static ir *decision(lower *l, const sf_region *region_, const sf_decision *d)
{
        if (!d->conditional)
                return ret(l, d->action, d->src);
        /* x32 rules live in x86_64's region but compare 32-bit words */
        sf_region local = *region_;
        local.is_32bit = d->is32;
        l->outs = d->outs;
        return tlevel(l, &local, d->pool, d->root, ret(l, d->action, no_src));
}

/* The search over the intervals of a region: an optimal alphabetic tree of jge
 * tests (Knuth's O(n²) method), where a range whose wider intervals all share
 * one decision may instead be a short chain of jeq tests on its single-number
 * intervals (an allowed syscall between denied ones costs one jeq, not two jge). */
#define CHAIN_MAX 4
/* One instruction of size weighs as much as 8 more executed per known syscall:
 * size drops by a tenth at a cost of about 0.1 instructions on average. */
#define SIZE_WEIGHT 8000

static bool same_leaf(const sf_decision *a, const sf_decision *b)
{
        if (a == b)
                return true;
        if (a->conditional || b->conditional)
                return false;
        return a->action.kind == b->action.kind && a->action.data == b->action.data;
}

/* Whether [i..j] can be a jeq chain: its non-point intervals share one decision,
 * at least one exists, and it has at most CHAIN_MAX points.  Fills the points
 * in descending weight order and the cost. */
static bool chain_of(const sf_region *rg, size_t i, size_t j, size_t *pts, size_t *n_pts, size_t *bg,
                     uint64_t *cost, uint64_t scale)
{
        if (!scale)
                scale = 1;
        size_t n = 0, b = SIZE_MAX;
        uint64_t wb = 0;
        for (size_t k = i; k <= j; k++) {
                const sf_interval *v = &rg->iv[k];
                if (v->lo == v->hi) {
                        if (n == CHAIN_MAX)
                                return false;
                        pts[n++] = k;
                } else {
                        if (b != SIZE_MAX && !same_leaf(rg->iv[b].d, v->d))
                                return false;
                        b = k;
                        wb += v->weight / scale ? v->weight / scale : 1;
                }
        }
        if (b == SIZE_MAX || n == 0)
                return false;
        for (size_t x = 1; x < n; x++)
                for (size_t y = x; y > 0 && rg->iv[pts[y - 1]].weight < rg->iv[pts[y]].weight; y--) {
                        size_t t = pts[y];
                        pts[y] = pts[y - 1];
                        pts[y - 1] = t;
                }
        uint64_t sw = SIZE_WEIGHT / scale ? SIZE_WEIGHT / scale : 1;
        uint64_t c = wb * n + sw * n;
        for (size_t x = 0; x < n; x++) {
                uint64_t w = rg->iv[pts[x]].weight / scale;
                c += (w ? w : 1) * (x + 1);
        }
        *n_pts = n;
        *bg = b;
        *cost = c;
        return true;
}

/* Windows of at most EXACT_MAX intervals get the exact optimal tree (with jeq
 * chains); above that the range is halved at its weighted median, which for
 * the near-uniform weights of syscall numbers costs a fraction of an
 * instruction on average and keeps compiling linear in practice.  Measured on
 * containers-common (3 arches): windows of 48 give 248 instructions, of 24 give
 * 252 with the same steps per syscall, for 8% fewer instructions compiling. */
#define EXACT_MAX 24
#define CELLS (EXACT_MAX * (EXACT_MAX + 1) / 2)

typedef struct dp {
        size_t base, n;
        size_t off[EXACT_MAX];   /* row offsets of the triangle i <= j */
        uint32_t cost[CELLS];
        int16_t split[CELLS];    /* the best jge split of [i..j] (window-relative) */
        uint8_t chain[CELLS];    /* [i..j] is a jeq chain */
        uint64_t chain_cost[CELLS]; /* what [i..j] costs as a jeq chain; UINT64_MAX: it cannot be one */
        uint64_t w[EXACT_MAX + 1]; /* scaled weights, prefix sums */
        uint64_t size_w, scale;
} dp;

#define AT(d, i, j) ((d)->off[i] + ((j) - (i)))

static ir *search(lower *l, const sf_region *rg, ir **leaves, const dp *d, size_t i, size_t j)
{
        size_t b = d->base;
        if (i == j)
                return leaves[b + i];
        if (d->chain[AT(d, i, j)]) {
                size_t pts[CHAIN_MAX], n_pts, bg;
                uint64_t cost;
                if (!chain_of(rg, b + i, b + j, pts, &n_pts, &bg, &cost, d->scale))
                        return NULL; /* chain_costs() said it is one */
                ir *x = leaves[bg];
                for (size_t m = n_pts; m-- > 0;)
                        x = jmp(l, BPF_JEQ, rg->iv[pts[m]].lo, leaves[pts[m]], x);
                return x;
        }
        size_t k = (size_t)d->split[AT(d, i, j)]; /* [i..k] | [k+1..j] */
        ir *left = search(l, rg, leaves, d, i, k);
        ir *right = search(l, rg, leaves, d, k + 1, j);
        return jmp(l, BPF_JGE, rg->iv[b + k + 1].lo, right, left);
}

/* What each [i..j] of the window costs as a jeq chain, as chain_of() counts it,
 * growing j from each i: a chain that breaks (a second background decision, a
 * point too many) stays broken for every longer range. */
static void chain_costs(dp *d, const sf_region *rg, size_t lo, uint64_t scale)
{
        uint64_t sw = d->size_w;
        for (size_t i = 0; i < d->n; i++) {
                uint64_t pw[CHAIN_MAX]; /* the points' weights, descending */
                size_t n = 0;
                const sf_decision *bgd = NULL;
                uint64_t wb = 0;
                size_t j = i;
                d->chain_cost[AT(d, i, i)] = UINT64_MAX;
                for (; j < d->n && j - i < 2 * CHAIN_MAX + 1; j++) {
                        const sf_interval *v = &rg->iv[lo + j];
                        uint64_t w = v->weight / scale;
                        if (v->lo == v->hi) {
                                if (n == CHAIN_MAX)
                                        break;
                                size_t y = n++;
                                for (; y > 0 && pw[y - 1] < v->weight; y--)
                                        pw[y] = pw[y - 1];
                                pw[y] = v->weight;
                        } else {
                                if (bgd && !same_leaf(bgd, v->d))
                                        break;
                                bgd = v->d;
                                wb += w ? w : 1;
                        }
                        uint64_t c = UINT64_MAX;
                        if (bgd && n > 0 && j > i) {
                                c = wb * n + sw * n;
                                for (size_t x = 0; x < n; x++) {
                                        uint64_t px = pw[x] / scale;
                                        c += (px ? px : 1) * (x + 1);
                                }
                        }
                        d->chain_cost[AT(d, i, j)] = c;
                }
                for (; j < d->n; j++)
                        d->chain_cost[AT(d, i, j)] = UINT64_MAX;
        }
}

/* The optimal tree over intervals [lo..hi] (at most EXACT_MAX of them). */
static ir *exact(lower *l, const sf_region *rg, ir **leaves, size_t lo, size_t hi, uint64_t scale)
{
        dp *d = malloc(sizeof(*d));
        if (!d)
                return NULL;
        size_t n = hi - lo + 1;
        d->base = lo;
        d->n = n;
        d->scale = scale;
        d->size_w = SIZE_WEIGHT / scale ? SIZE_WEIGHT / scale : 1;
        d->w[0] = 0;
        for (size_t i = 0, o = 0; i < n; i++) {
                uint64_t w = rg->iv[lo + i].weight / scale;
                d->w[i + 1] = d->w[i] + (w ? w : 1);
                d->off[i] = o;
                o += n - i;
                d->cost[AT(d, i, i)] = 0;
                d->split[AT(d, i, i)] = (int16_t)i;
                d->chain[AT(d, i, i)] = 0;
        }
        chain_costs(d, rg, lo, scale);
        for (size_t len = 2; len <= n; len++) {
                for (size_t i = 0; i + len - 1 < n; i++) {
                        size_t j = i + len - 1;
                        /* Knuth's bounds on the best split, kept over the jge splits only */
                        int klo = len == 2 ? (int)i : d->split[AT(d, i, j - 1)];
                        int khi = len == 2 ? (int)i : d->split[AT(d, i + 1, j)];
                        if (khi > (int)j - 1)
                                khi = (int)j - 1;
                        if (klo < (int)i)
                                klo = (int)i;
                        if (klo > khi)
                                klo = khi;
                        uint64_t best = UINT64_MAX;
                        int bk = klo;
                        for (int k = klo; k <= khi; k++) {
                                uint64_t c = (uint64_t)d->cost[AT(d, i, (size_t)k)] + d->cost[AT(d, (size_t)k + 1, j)];
                                if (c < best) {
                                        best = c;
                                        bk = k;
                                }
                        }
                        best += d->w[j + 1] - d->w[i] + d->size_w;
                        d->split[AT(d, i, j)] = (int16_t)bk;
                        d->chain[AT(d, i, j)] = 0;
                        if (d->chain_cost[AT(d, i, j)] <= best) {
                                best = d->chain_cost[AT(d, i, j)];
                                d->chain[AT(d, i, j)] = 1;
                        }
                        d->cost[AT(d, i, j)] = best > UINT32_MAX ? UINT32_MAX : (uint32_t)best;
                }
        }
        ir *r = search(l, rg, leaves, d, 0, n - 1);
        free(d);
        return r;
}

static ir *build(lower *l, const sf_region *rg, ir **leaves, const uint64_t *wsum, size_t lo, size_t hi,
                 uint64_t scale)
{
        if (hi - lo + 1 <= EXACT_MAX)
                return exact(l, rg, leaves, lo, hi, scale);
        /* the split nearest the weighted median: [lo..k] | [k+1..hi] */
        uint64_t half = wsum[lo] + (wsum[hi + 1] - wsum[lo]) / 2;
        size_t a = lo, b = hi - 1;
        while (a < b) {
                size_t mid = (a + b) / 2;
                if (wsum[mid + 1] < half)
                        a = mid + 1;
                else
                        b = mid;
        }
        size_t k = a;
        if (k > lo && half - wsum[k] < wsum[k + 1] - half)
                k--;
        ir *left = build(l, rg, leaves, wsum, lo, k, scale);
        ir *right = build(l, rg, leaves, wsum, k + 1, hi, scale);
        return left && right ? jmp(l, BPF_JGE, rg->iv[k + 1].lo, right, left) : NULL;
}

static ir *region(lower *l, const sf_region *rg, sf_error **err)
{
        size_t n = rg->n_iv;
        ir **leaves = malloc(n * sizeof(*leaves));
        uint64_t *wsum = malloc((n + 1) * sizeof(*wsum));
        ir *r = NULL;
        if (!leaves || !wsum) {
                sf_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        wsum[0] = 0;
        for (size_t i = 0; i < n; i++) {
                leaves[i] = decision(l, rg, rg->iv[i].d);
                if (!leaves[i] && l->too_costly) {
                        sf_error_set(err, E2BIG,
                                     "on %s, building the argument checks from the rule tree takes more than %llu steps: refused; split the profile or drop conditions",
                                     sf_arch_short_name(rg->primary), (unsigned long long)LOWER_STEPS_MAX);
                        goto out;
                }
                if (!leaves[i] && l->too_many) {
                        sf_error_set(err, E2BIG,
                                     "the argument rules unfold into more than %d instructions, the kernel's limit; split the profile or drop conditions",
                                     SF_BPF_MAX_INSNS);
                        goto out;
                }
                if (!leaves[i]) {
                        sf_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                wsum[i + 1] = wsum[i] + rg->iv[i].weight;
        }
        /* Scale the weights so that every cost fits 32 bits (only --hot data is that big). */
        uint64_t total = wsum[n] + SIZE_WEIGHT * n;
        uint64_t scale = total > (UINT64_C(1) << 24) ? total / (UINT64_C(1) << 24) + 1 : 1;
        r = ld(l, offsetof(struct seccomp_data, nr), build(l, rg, leaves, wsum, 0, n - 1, scale));
        if (!r && l->too_many)
                sf_error_set(err, E2BIG, "the program has more than %d instructions, the kernel's limit; split the profile or drop conditions",
                             SF_BPF_MAX_INSNS);
        else if (!r)
                sf_error_set(err, ENOMEM, "out of memory");
out:
        free(leaves);
        free(wsum);
        return r;
}

/* ---- layout ---- */

typedef struct order {
        ir **v;
        size_t n, cap;
} order;

/* Iterative DFS; reverse postorder gives an order where all jumps go forward. */
static int postorder(ir *root, order *o)
{
        typedef struct frame {
                ir *n;
                int state;
        } frame;
        size_t cap = 256, sp = 0;
        frame *st = malloc(cap * sizeof(*st));
        if (!st)
                return -ENOMEM;
        st[sp++] = (frame){ root, 0 };
        root->mark = 1;
        while (sp) {
                frame *fr = &st[sp - 1];
                ir *n = fr->n;
                ir *kids[2] = { NULL, NULL };
                /* the child visited last is placed first after its parent */
                if (is_jump(n->code)) {
                        kids[0] = n->jt_first ? n->jf : n->jt;
                        kids[1] = n->jt_first ? n->jt : n->jf;
                } else if (BPF_CLASS(n->code) != BPF_RET) {
                        kids[0] = n->jt;
                }
                if (fr->state < 2) {
                        ir *c = kids[fr->state++];
                        if (c && c->mark == 0) {
                                c->mark = 1;
                                if (sp == cap) {
                                        cap *= 2;
                                        frame *ns = realloc(st, cap * sizeof(*st));
                                        if (!ns) {
                                                free(st);
                                                return -ENOMEM;
                                        }
                                        st = ns;
                                }
                                st[sp++] = (frame){ c, 0 };
                        }
                        continue;
                }
                if (o->n == o->cap) {
                        size_t nc = o->cap ? o->cap * 2 : 512;
                        ir **nv = realloc(o->v, nc * sizeof(*nv));
                        if (!nv) {
                                free(st);
                                return -ENOMEM;
                        }
                        o->v = nv;
                        o->cap = nc;
                }
                o->v[o->n++] = n;
                sp--;
        }
        free(st);
        return 0;
}

/* Inserts `x` at position p of the order (shifting the rest). */
static int insert_at(order *o, size_t p, ir *x)
{
        if (o->n == o->cap) {
                size_t nc = o->cap * 2;
                ir **nv = realloc(o->v, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                o->v = nv;
                o->cap = nc;
        }
        memmove(o->v + p + 1, o->v + p, (o->n - p) * sizeof(*o->v));
        o->v[p] = x;
        o->n++;
        return 0;
}

static ir *fresh(lower *l, const ir *like)
{
        ir *n = sf_arena_alloc(&l->s->arena, sizeof(*n));
        if (n) {
                *n = *like;
                n->hnext = NULL;
                n->pos = -1;
        }
        return n;
}

/* Makes the order a valid program: a load's successor must follow it directly
 * (else a JA is put between), and a conditional jump reaches at most 255 ahead
 * (else a copy of the target RET, or a JA to the target, is put right after it). */
/* Each repair is made at the first instruction that needs one, as a scan from the
 * start would find it.  An insertion after i moves only what follows i, so the
 * only instructions before it that it can break are jumps of at most 256 ahead
 * past it: the scan goes on from 256 before i, not from the start. */
static int fix_layout(lower *l, order *o)
{
        for (size_t i = 0; i < o->n; i++)
                o->v[i]->pos = (int)i;
        size_t from = 0;
        for (;;) {
                bool changed = false;
                size_t i = from;
                for (; i < o->n && !changed; i++) {
                        ir *n = o->v[i];
                        uint16_t cls = BPF_CLASS(n->code);
                        if (cls == BPF_RET)
                                continue;
                        if (n->code == (BPF_JMP | BPF_JA))
                                continue; /* 32-bit offset */
                        if (!is_jump(n->code)) {
                                if (n->jt->pos == (int)i + 1)
                                        continue;
                                ir tmpl = { .code = BPF_JMP | BPF_JA, .jt = n->jt, .src = no_src, .region = n->region };
                                ir *ja = BPF_CLASS(n->jt->code) == BPF_RET ? fresh(l, n->jt) : fresh(l, &tmpl);
                                if (!ja || insert_at(o, i + 1, ja) < 0)
                                        return -ENOMEM;
                                n->jt = ja;
                                changed = true;
                                continue;
                        }
                        ir **targets[2] = { &n->jt, &n->jf };
                        for (int t = 0; t < 2 && !changed; t++) {
                                ir *tg = *targets[t];
                                if (tg->pos - (int)i - 1 <= 255)
                                        continue;
                                ir tmpl = { .code = BPF_JMP | BPF_JA, .jt = tg, .src = no_src, .region = n->region };
                                ir *x = BPF_CLASS(tg->code) == BPF_RET ? fresh(l, tg) : fresh(l, &tmpl);
                                if (!x || insert_at(o, i + 1, x) < 0)
                                        return -ENOMEM;
                                *targets[t] = x;
                                changed = true;
                        }
                }
                if (!changed)
                        return 0;
                if (o->n > 4 * SF_BPF_MAX_INSNS)
                        return -E2BIG;
                /* the loop stepped past the repaired instruction (i - 1); the new
                 * one is at i and everything after it moved by one */
                for (size_t k = i; k < o->n; k++)
                        o->v[k]->pos = (int)k;
                from = i - 1 > 256 ? i - 1 - 256 : 0;
        }
}

int sf_lower(sf_cstate *s, sf_prog *prog, sf_error **err)
{
        lower *l = calloc(1, sizeof(*l));
        if (!l)
                return sf_error_set(err, ENOMEM, "out of memory");
        l->s = s;
        l->n_buckets = HBUCKETS_MIN;
        l->buckets = calloc(l->n_buckets, sizeof(*l->buckets));
        if (!l->buckets) {
                free(l);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        int r = 0;
        order o = { 0 };

        /* arch dispatch, built from the last check back */
        l->region = 0;
        ir *chain = ret(l, s->badarch, no_src);
        ir **roots = calloc(s->n_regions + 1, sizeof(*roots));
        if (!chain || !roots) {
                r = sf_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < s->n_regions; i++) {
                l->region = (unsigned)i + 1;
                roots[i] = region(l, &s->regions[i], err);
                if (!roots[i]) {
                        r = l->too_many || l->too_costly ? -E2BIG : -ENOMEM;
                        goto out;
                }
        }
        l->region = 0;
        for (size_t i = s->n_regions; i-- > 0;) {
                ir *j = node(l, BPF_JMP | BPF_JEQ | BPF_K, s->regions[i].audit, roots[i], chain, no_src);
                if (!j) {
                        r = sf_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                j->jt_first = true;
                chain = j;
        }
        ir *top = ld(l, offsetof(struct seccomp_data, arch), chain);
        if (!top || postorder(top, &o) < 0) {
                r = sf_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < o.n / 2; i++) {
                ir *t = o.v[i];
                o.v[i] = o.v[o.n - 1 - i];
                o.v[o.n - 1 - i] = t;
        }
        r = fix_layout(l, &o);
        if (r == -E2BIG || (r == 0 && o.n > SF_BPF_MAX_INSNS)) {
                r = sf_error_set(err, E2BIG,
                                 "the program has %zu instructions, more than the kernel's limit of %d; split the profile or drop conditions",
                                 o.n, SF_BPF_MAX_INSNS);
                goto out;
        }
        if (r < 0) {
                r = sf_error_set(err, ENOMEM, "out of memory");
                goto out;
        }

        prog->insns = calloc(o.n, sizeof(*prog->insns));
        prog->src = calloc(o.n, sizeof(*prog->src));
        if (!prog->insns || !prog->src) {
                r = sf_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < o.n; i++) {
                ir *n = o.v[i];
                struct sock_filter *f = &prog->insns[i];
                f->code = n->code;
                f->k = n->k;
                prog->src[i] = n->src;
                if (is_jump(n->code)) {
                        f->jt = (uint8_t)(n->jt->pos - (int)i - 1);
                        f->jf = (uint8_t)(n->jf->pos - (int)i - 1);
                } else if (n->code == (BPF_JMP | BPF_JA)) {
                        f->k = (uint32_t)(n->jt->pos - (int)i - 1);
                }
        }
        prog->len = o.n;
out:
        free(o.v);
        free(roots);
        free(l->buckets);
        free(l->memo);
        free(l);
        return r;
}
