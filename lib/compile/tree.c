/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rule tree of one arch: what libseccomp builds from the rules of a
 * syscall, so that overlapping conditional rules decide what runc and crun
 * decide.  libseccomp's choice between overlapping rules is not "the first
 * rule": it is the order of its tree, which does not depend on the order of
 * the rules, plus what its merging keeps.  The facts, read from libseccomp
 * 2.5.4's src/db.c and src/gen_bpf.c:
 *
 *  - A rule is a chain of nodes, one per 32-bit word test, its conditions in
 *    argument order.  A node tests (word & mask) EQ/GT/GE datum; NE, LT and LE
 *    are EQ, GE and GT with the true and false branches swapped.  On 64-bit
 *    arches a condition is two nodes (EQ, NE, MASKED_EQ: high word EQ, then
 *    low word) or three (GT, GE, LT, LE: high GT; else high EQ, then low GT or
 *    GE), whose outcomes lead to the next condition's first node or to the
 *    rule's action.
 *  - The nodes of one level are kept sorted, greatest first, by: argument
 *    (a higher index first), high word before low word, operator as written
 *    (EQ, NE, MASKED_EQ before LT, LE before GT, GE), then the datum
 *    (smaller first for LT/LE, larger first for the others).  Nodes that tie
 *    but are not equal keep the order they came in.
 *  - A node equal to an existing one of its level (same argument and word,
 *    same stored operator, datum and mask: a NE node equals an EQ node) is
 *    merged with it: its branches are added into the existing node's.  Where
 *    one rule ends (an action) and another goes on, the shorter wins and the
 *    longer is dropped on that branch when it comes later, and is refused
 *    (EEXIST) when it came first and holds a different action; two different
 *    actions on the same branch of a last node are refused too.  On the
 *    high-word node of a 64-bit ordering, two rules' actions on one branch
 *    keep the one of the larger datum (GT/GE) or the smaller (LT/LE), which
 *    keeps the high word consistent with the order of the low-word nodes.
 *    libseccomp before 2.6.1 wrote the LT/LE case into the true branch instead
 *    (GHSA-4q85-33p6-j5g6): the earlier rule's action stays on the false
 *    branch, and the true branch may get the later one's.  sysfence decides as
 *    2.6.1 does and reports each rule that hits it (compat_254 reproduces the
 *    bug, for the differential test).
 *  - Before a chain is added, subtrees it makes redundant (same action, the
 *    new chain a prefix) are pruned, and a new chain an existing shorter one
 *    with its action covers is dropped.
 *  - The filter runs a level's nodes in order: a node whose outcome leads to
 *    a subtree runs it, to an action returns it, to nothing goes on with the
 *    next node of the level; when a subtree's level runs out, the node after
 *    its parent goes on.  When the top level runs out, the default action.
 * The code below mirrors those algorithms (their node references included,
 * since what the pruning removes depends on them) in sysfence's own terms.
 * Every change is logged while a rule is added, so that a rule libseccomp
 * refuses leaves nothing behind (libseccomp rolls the rule back too). */
#include <errno.h>
#include <string.h>

#include "compile/compile-internal.h"

#define WORD_MAX UINT32_MAX

enum {
        IST_MATCH = 0x1,
        IST_MATCH_ONCE = 0x2,
        IST_X_FINISHED = 0x10,
        IST_N_FINISHED = 0x20,
        IST_X_PREFIX = 0x100,
        IST_N_PREFIX = 0x200,
        IST_MATCHSET = IST_MATCH | IST_MATCH_ONCE,
        IST_REDUNDANT = IST_MATCH | IST_X_FINISHED | IST_N_PREFIX,
};

typedef struct iter_state {
        unsigned flags;
        sf_action action;
        int32_t *root; /* the syscall's top level (what a removal searches) */
} iter_state;

static bool act_eq(sf_action a, sf_action b)
{
        return a.kind == b.kind && ((a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == b.data);
}

/* The node, for writing: its old value is logged once per rule added. */
static sf_tnode *W(sf_tree *t, int32_t i)
{
        sf_tnode *n = &t->v[i];
        if (n->epoch != t->epoch) {
                if (t->n_log == t->cap_log) {
                        size_t cap = t->cap_log ? t->cap_log * 2 : 64;
                        sf_tlog *v = realloc(t->log, cap * sizeof(*v));
                        if (!v) {
                                t->oom = true;
                                n->epoch = t->epoch; /* the rule fails: sf_tree_rollback cannot be exact, the caller gives up */
                                return n;
                        }
                        t->log = v;
                        t->cap_log = cap;
                }
                t->log[t->n_log++] = (sf_tlog){ .i = i, .old = *n };
                n->epoch = t->epoch;
        }
        return n;
}

static const sf_tnode *R(const sf_tree *t, int32_t i) { return &t->v[i]; }

static sf_action act_of(const sf_tree *t, uint32_t out) { return t->outs[out].act; }

/* A new outcome (entry 0, the zeroed action, comes first); 0 when out of memory. */
static uint32_t out_new(sf_tree *t, sf_action a, sf_src s)
{
        if (t->n_outs + 2 > t->cap_outs) {
                size_t cap = t->cap_outs ? t->cap_outs * 2 : 64;
                if (cap > UINT32_MAX)
                        return 0;
                sf_tout *v = realloc(t->outs, cap * sizeof(*v));
                if (!v)
                        return 0;
                t->outs = v;
                t->cap_outs = cap;
        }
        if (t->n_outs == 0)
                t->outs[t->n_outs++] = (sf_tout){ .act = { .kind = SF_ACT_KILL_THREAD }, .src = { -1, -1 } };
        t->outs[t->n_outs] = (sf_tout){ a, s };
        return (uint32_t)t->n_outs++;
}

/* The whole value of a high-word node's condition.  Only nodes that compare the
 * whole word hold an action (EQ, NE and the orderings: MASKED_EQ's is on its
 * low word), so their datum is the value's high word. */
static uint64_t value_of(const sf_tnode *n) { return (uint64_t)n->datum << 32 | n->value_lo; }

/* libseccomp 2.5.4 can link a level into a loop and then never returns from
 * adding the rule (measured: two shmget rules, `a1 > 1 && a0 > 2^63` and
 * `a1 & 2^32 == 0 && a0 > 2^63`, hang seccomp_rule_add_array on x86_64).
 * Every walk takes a step from a budget far above what a rule needs; when it
 * runs out, the rule is one libseccomp hangs on. */
static bool step(sf_tree *t)
{
        if (++t->total_steps > SF_TREE_TOTAL_STEPS) {
                t->too_costly = true;
                t->loop = true;
                return false;
        }
        if (++t->steps <= t->budget)
                return true;
        t->loop = true;
        return false;
}

static int32_t get(sf_tree *t, int32_t i)
{
        if (i >= 0)
                W(t, i)->refcnt++;
        return i;
}

void sf_tree_begin(sf_tree *t)
{
        t->epoch++;
        t->n_log = 0;
        t->n_begin = t->n;
        t->n_outs_begin = t->n_outs;
        t->bug_hit = false;
        t->loop = false;
        t->steps = 0;
        t->budget = (UINT64_C(1) << 16) + 256 * (uint64_t)t->n;
}

void sf_tree_rollback(sf_tree *t)
{
        for (size_t k = t->n_log; k-- > 0;)
                t->v[t->log[k].i] = t->log[k].old;
        t->n = t->n_begin;
        t->n_outs = t->n_outs_begin;
        t->n_log = 0;
}

void sf_tree_release(sf_tree *t)
{
        free(t->v);
        free(t->outs);
        free(t->log);
        *t = (sf_tree){ 0 };
}

static int32_t node_new(sf_tree *t, const sf_tnode *tmpl)
{
        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 64;
                if (cap > INT32_MAX)
                        return -1;
                sf_tnode *v = realloc(t->v, cap * sizeof(*v));
                if (!v)
                        return -1;
                t->v = v;
                t->cap = cap;
        }
        sf_tnode *n = &t->v[t->n];
        *n = *tmpl;
        n->prv = n->nxt = n->t = n->f = -1;
        n->refcnt = 0;
        /* libseccomp's nodes start zeroed: an unset action reads as 0, KILL_THREAD */
        if (!n->act_t_flg)
                n->out_t = 0;
        if (!n->act_f_flg)
                n->out_f = 0;
        n->epoch = t->epoch; /* new in this rule: a rollback drops it by the count */
        return (int32_t)t->n++;
}

static unsigned node_put(sf_tree *t, int32_t *slot);

static bool leaf(const sf_tnode *n) { return n->t < 0 && n->f < 0; }
static bool zombie(const sf_tnode *n) { return leaf(n) && !n->act_t_flg && !n->act_f_flg; }

static int32_t level_start(sf_tree *t, int32_t i)
{
        while (R(t, i)->prv >= 0 && step(t))
                i = R(t, i)->prv;
        return i;
}

/* Frees the level of node i if nothing but the level's own links holds it. */
static unsigned level_clean(sf_tree *t, int32_t i)
{
        int32_t start = level_start(t, i);
        for (int32_t n = start; n >= 0 && step(t); n = R(t, n)->nxt) {
                unsigned links = (R(t, n)->prv >= 0) + (R(t, n)->nxt >= 0);
                if (R(t, n)->refcnt > links)
                        return 0;
        }
        unsigned cnt = 0;
        for (int32_t n = start; n >= 0 && step(t);)
                cnt += node_put(t, &n);
        return cnt;
}

static unsigned tree_put(sf_tree *t, int32_t *slot)
{
        unsigned cnt = node_put(t, slot);
        if (*slot >= 0)
                cnt += level_clean(t, *slot);
        return cnt;
}

/* Drops a reference; the last one frees the node (unlinking it from its level)
 * and drops its subtrees.  *slot becomes a neighbour of a freed node, or -1. */
static unsigned node_put(sf_tree *t, int32_t *slot)
{
        int32_t i = *slot;
        if (i < 0 || !step(t))
                return 0;
        sf_tnode *n = W(t, i);
        if (--n->refcnt != 0)
                return 0;
        int32_t p = n->prv, x = n->nxt, nt = n->t, nf = n->f;
        unsigned cnt = 0;
        if (p >= 0)
                W(t, p)->nxt = -1;
        if (x >= 0)
                W(t, x)->prv = -1;
        if (p >= 0)
                cnt += node_put(t, &p);
        if (x >= 0)
                cnt += node_put(t, &x);
        if (p >= 0)
                W(t, p)->nxt = get(t, x);
        if (x >= 0)
                W(t, x)->prv = get(t, p);
        *slot = p >= 0 ? p : x;
        cnt += tree_put(t, &nt);
        cnt += tree_put(t, &nf);
        return cnt + 1;
}

/* Removes node `node` (and zombie nodes met on the way) from the tree at *slot. */
static unsigned tree_remove(sf_tree *t, int32_t *slot, int32_t node)
{
        if (*slot < 0 || node < 0 || !step(t))
                return 0;
        unsigned cnt = 0;
        int32_t c = level_start(t, *slot);
        do {
                if (c == node)
                        goto remove;
                cnt += tree_remove(t, &W(t, c)->t, node);
                cnt += tree_remove(t, &W(t, c)->f, node);
                if (zombie(R(t, c)))
                        goto remove;
                c = R(t, c)->nxt;
        } while (c >= 0 && cnt == 0 && !t->loop);
        return cnt;
remove:
        if (c == *slot)
                *slot = R(t, c)->prv >= 0 ? R(t, c)->prv : R(t, c)->nxt;
        {
                sf_tnode *n = W(t, c);
                if (n->prv >= 0)
                        W(t, n->prv)->nxt = n->nxt;
                if (n->nxt >= 0)
                        W(t, n->nxt)->prv = n->prv;
                n->prv = n->nxt = -1;
        }
        cnt += node_put(t, &c);
        return cnt;
}

/* 0 if every action in the tree at i is a, else -EEXIST. */
static int act_check(sf_tree *t, int32_t i, sf_action a)
{
        if (i < 0)
                return 0;
        for (int32_t c = level_start(t, i); c >= 0 && step(t); c = R(t, c)->nxt) {
                const sf_tnode *n = R(t, c);
                if ((n->act_t_flg && !act_eq(act_of(t, n->out_t), a)) || (n->act_f_flg && !act_eq(act_of(t, n->out_f), a)))
                        return -EEXIST;
                if (act_check(t, n->t, a) < 0 || act_check(t, n->f, a) < 0)
                        return -EEXIST;
        }
        return 0;
}

static unsigned op_rank(sf_op op)
{
        switch (op) {
        case SF_OP_MASKED_EQ:
        case SF_OP_EQ:
        case SF_OP_NE: return 3;
        case SF_OP_LE:
        case SF_OP_LT: return 2;
        case SF_OP_GE:
        case SF_OP_GT: return 1;
        }
        return 0;
}

/* Whether a sorts before b is false and b before a is true: the level's order,
 * where the greater node comes first. */
static bool node_lt(const sf_tnode *a, const sf_tnode *b)
{
        unsigned aa = a->arg * 2u + a->hi, ba = b->arg * 2u + b->hi;
        if (aa != ba)
                return aa < ba;
        unsigned ao = op_rank(a->op_orig), bo = op_rank(b->op_orig);
        if (ao != bo)
                return ao < bo;
        if (a->op_orig == SF_OP_LT || a->op_orig == SF_OP_LE)
                return a->datum > b->datum;
        return a->datum < b->datum;
}

static bool node_eq(const sf_tnode *a, const sf_tnode *b)
{
        return a->arg == b->arg && a->hi == b->hi && a->op == b->op && a->datum == b->datum && a->mask == b->mask;
}

/* Where a node comes in a chain: conditions by argument, a high word before
 * the low word. */
static unsigned chain_pos(const sf_tnode *n) { return n->arg * 2u + !n->hi; }

/* Whether a node equal to n can be below x.  Below a node come the nodes of
 * later conditions and of its own low word, and below the high-word GT of an
 * ordering its high-word EQ: nothing else of the same place.  Looking below x
 * for n only finds an equal node or nothing (the pruning's outcome is then
 * the same without looking), so where none can be there it is skipped: a
 * level of thousands of values would otherwise be walked for every rule. */
static bool may_hold(const sf_tnode *x, const sf_tnode *n)
{
        unsigned px = chain_pos(x), pn = chain_pos(n);
        return px < pn || (px == pn && x->hi && x->op == SF_OP_GT);
}

/* Prunes the existing tree at *existing by the new chain at n (libseccomp's
 * _db_tree_prune): returns how many nodes it freed. */
static unsigned prune(sf_tree *t, int32_t *existing, int32_t n, iter_state *st)
{
        unsigned cnt = 0;
        iter_state nw = *st, nx;
        int32_t x = *existing;
        if (n < 0 || x < 0 || !step(t))
                goto out;
        if ((st->flags & IST_MATCHSET) == IST_MATCH_ONCE)
                goto out;
        x = level_start(t, x);
        do {
                int32_t x_next = R(t, x)->nxt;
                const sf_tnode *xn = R(t, x), *nn = R(t, n);
                if (node_eq(xn, nn)) {
                        nw.flags |= IST_MATCHSET;
                        if (leaf(nn))
                                nw.flags |= IST_N_FINISHED;
                        if (leaf(xn))
                                nw.flags |= IST_X_FINISHED;
                        if ((xn->act_t_flg || xn->t >= 0) && !(nn->act_t_flg || nn->t >= 0))
                                goto out;
                        if ((xn->act_f_flg || xn->f >= 0) && !(nn->act_f_flg || nn->f >= 0))
                                goto out;
                        if ((nw.flags & IST_N_FINISHED) && (nw.flags & IST_X_FINISHED)) {
                                if (nn->act_t_flg != xn->act_t_flg || !act_eq(act_of(t, nn->out_t), act_of(t, xn->out_t)))
                                        goto out;
                                if (nn->act_f_flg != xn->act_f_flg || !act_eq(act_of(t, nn->out_f), act_of(t, xn->out_f)))
                                        goto out;
                        }
                        for (int br = 0; br < 2; br++) {
                                int32_t nchild = br ? R(t, n)->f : R(t, n)->t;
                                if (nchild < 0)
                                        continue;
                                get(t, x);
                                nx = *st;
                                nx.flags |= IST_MATCHSET;
                                cnt += prune(t, br ? &W(t, x)->f : &W(t, x)->t, nchild, &nx);
                                cnt += node_put(t, &x);
                                if (nx.flags & IST_MATCH)
                                        nw.flags |= nx.flags;
                                if (x < 0)
                                        goto next;
                        }
                        /* (the flags first: the action check walks the whole level) */
                        bool shorter = (nw.flags & IST_MATCH) && (nw.flags & IST_N_FINISHED) && (nw.flags & IST_X_PREFIX);
                        bool longer = (nw.flags & IST_MATCH) && (nw.flags & IST_X_FINISHED) && (nw.flags & IST_N_PREFIX);
                        if ((shorter || longer) && act_check(t, x, nw.action) == 0) {
                                if (!shorter)
                                        goto out; /* the new chain is longer */
                                cnt += tree_remove(t, st->root, x);
                                if (*st->root < 0)
                                        goto out;
                        }
                } else {
                        /* the existing node sorts first: look for the new one below it;
                         * else: look below the new node for the existing one */
                        bool below_x = node_lt(xn, nn);
                        if (st->flags & (below_x ? IST_N_PREFIX : IST_X_PREFIX))
                                goto out;
                        for (int br = 0; br < 2; br++) {
                                const sf_tnode *side = R(t, below_x ? x : n);
                                int32_t child = br ? side->f : side->t;
                                if (child < 0 || (below_x && !may_hold(R(t, x), R(t, n))))
                                        continue;
                                get(t, x);
                                nx = *st;
                                nx.flags &= ~(unsigned)IST_MATCH;
                                nx.flags |= below_x ? IST_X_PREFIX : IST_N_PREFIX;
                                if (below_x)
                                        cnt += prune(t, br ? &W(t, x)->f : &W(t, x)->t, n, &nx);
                                else
                                        cnt += prune(t, &x, child, &nx);
                                cnt += node_put(t, &x);
                                if (nx.flags & IST_MATCH) {
                                        nw.flags |= nx.flags;
                                        goto out;
                                }
                                if (x < 0)
                                        goto next;
                        }
                }
next:
                x = x_next;
        } while (x >= 0 && step(t));
        nw.flags &= ~(unsigned)IST_MATCH;
out:
        if (nw.flags & IST_MATCH)
                st->flags |= nw.flags;
        else
                st->flags &= ~(unsigned)IST_MATCH;
        return cnt;
}

/* Adds the new chain n into the tree at *existing (libseccomp's _db_tree_add). */
static int add(sf_tree *t, int32_t *existing, int32_t n)
{
        int32_t x = *existing;
        do {
                if (!step(t))
                        return -ELOOP;
                if (node_eq(R(t, x), R(t, n))) {
                        for (int br = 0; br < 2; br++) {
                                const sf_tnode *nn = R(t, n);
                                bool nflg = br ? nn->act_f_flg : nn->act_t_flg;
                                if (!nflg)
                                        continue;
                                uint32_t no = br ? nn->out_f : nn->out_t;
                                sf_action na = act_of(t, no);
                                sf_tnode *xn = W(t, x);
                                bool xflg = br ? xn->act_f_flg : xn->act_t_flg;
                                if (!xflg) {
                                        if (act_check(t, br ? xn->f : xn->t, na) < 0)
                                                return -EEXIST;
                                        int32_t *slot = br ? &xn->f : &xn->t;
                                        node_put(t, slot);
                                        xn = W(t, x);
                                        *(br ? &xn->f : &xn->t) = -1;
                                        if (br)
                                                xn->out_f = no, xn->act_f_flg = true;
                                        else
                                                xn->out_t = no, xn->act_t_flg = true;
                                } else if (!act_eq(na, act_of(t, br ? xn->out_f : xn->out_t))) {
                                        /* the high word of a 64-bit ordering keeps the action
                                         * of the larger datum (true branch: GT/GE) or of the
                                         * smaller (false branch: LT/LE) */
                                        if (!br && nn->hi && value_of(nn) > value_of(xn))
                                                xn->out_t = no;
                                        if (br && nn->hi && value_of(nn) < value_of(xn)) {
                                                /* the high-word EQ of an ordering is false only below
                                                 * its datum: with 0 the branch is never taken */
                                                bool ordering = xn->op_orig == SF_OP_LT || xn->op_orig == SF_OP_LE ||
                                                                xn->op_orig == SF_OP_GT || xn->op_orig == SF_OP_GE;
                                                t->bug_hit |= !(ordering && xn->datum == 0);
                                                if (t->compat_254) {
                                                        /* < 2.6.1: the true branch's action is overwritten */
                                                        xn->out_t = nn->out_t;
                                                } else {
                                                        xn->out_f = no;
                                                }
                                        }
                                        if (leaf(xn) || leaf(nn))
                                                return -EEXIST;
                                }
                        }
                        for (int br = 0; br < 2; br++) {
                                int32_t nchild = br ? R(t, n)->f : R(t, n)->t;
                                if (nchild < 0)
                                        continue;
                                const sf_tnode *xn = R(t, x);
                                int32_t xchild = br ? xn->f : xn->t;
                                if (xchild >= 0) {
                                        int r = add(t, br ? &W(t, x)->f : &W(t, x)->t, nchild);
                                        if (r < 0)
                                                return r;
                                } else if (!(br ? xn->act_f_flg : xn->act_t_flg)) {
                                        int32_t c = get(t, nchild);
                                        *(br ? &W(t, x)->f : &W(t, x)->t) = c;
                                } else {
                                        return 0; /* the existing chain is shorter */
                                }
                        }
                        return 0;
                } else if (!node_lt(R(t, x), R(t, n))) {
                        if (R(t, x)->nxt < 0) {
                                W(t, n)->prv = get(t, x);
                                W(t, x)->nxt = get(t, n);
                                return 0;
                        }
                        x = R(t, x)->nxt;
                } else {
                        int32_t p = R(t, x)->prv;
                        if (p >= 0) {
                                W(t, p)->nxt = get(t, n);
                                W(t, n)->prv = p;
                                W(t, x)->prv = get(t, n);
                                W(t, n)->nxt = x;
                        } else {
                                W(t, x)->prv = get(t, n);
                                W(t, n)->nxt = get(t, x);
                        }
                        if (*existing == x) {
                                *existing = get(t, n);
                                node_put(t, &x);
                        }
                        return 0;
                }
        } while (x >= 0);
        return 0;
}

/* The chain of one rule (libseccomp's _db_rule_gen_64/_32); -1 when out of memory. */
static int32_t chain(sf_tree *t, const sf_crule *cr, bool is64)
{
        int32_t head = -1, prev[3] = { -1, -1, -1 }, cur[3] = { -1, -1, -1 };
        sf_op prev_op = SF_OP_EQ;
        bool tf = true, prev_tf = true;
        for (unsigned i = 0; i < cr->n; i++) {
                const sf_cond *c = &cr->c[i];
                uint64_t mask = c->op == SF_OP_MASKED_EQ ? c->mask : UINT64_MAX;
                if (!is64) {
                        sf_tnode tm = { .arg = c->index, .op_orig = (uint8_t)c->op, .mask = (uint32_t)mask };
                        switch (c->op) {
                        case SF_OP_NE: tm.op = SF_OP_EQ, tf = false; break;
                        case SF_OP_LT: tm.op = SF_OP_GE, tf = false; break;
                        case SF_OP_LE: tm.op = SF_OP_GT, tf = false; break;
                        default: tm.op = (uint8_t)c->op, tf = true; break;
                        }
                        tm.datum = (uint32_t)c->value & tm.mask;
                        int32_t k = node_new(t, &tm);
                        if (k < 0)
                                return -1;
                        if (prev[0] >= 0 && prev_tf)
                                W(t, prev[0])->t = get(t, k);
                        else if (prev[0] >= 0)
                                W(t, prev[0])->f = get(t, k);
                        else
                                head = get(t, k);
                        prev[0] = k;
                        prev_tf = tf;
                        continue;
                }
                bool ordering = c->op == SF_OP_GT || c->op == SF_OP_GE || c->op == SF_OP_LT || c->op == SF_OP_LE;
                sf_tnode hi = { .arg = c->index, .hi = true, .op_orig = (uint8_t)c->op, .mask = (uint32_t)(mask >> 32),
                                .value_lo = (uint32_t)c->value };
                hi.datum = (uint32_t)(c->value >> 32) & hi.mask;
                sf_tnode lo = hi;
                lo.hi = false;
                lo.mask = (uint32_t)mask;
                lo.datum = (uint32_t)c->value & lo.mask;
                cur[2] = -1;
                if (ordering) {
                        hi.op = SF_OP_GT;
                        sf_tnode he = hi;
                        he.op = SF_OP_EQ;
                        lo.op = c->op == SF_OP_GT || c->op == SF_OP_LE ? SF_OP_GT : SF_OP_GE;
                        cur[0] = node_new(t, &hi);
                        cur[1] = node_new(t, &he);
                        cur[2] = node_new(t, &lo);
                        if (cur[0] < 0 || cur[1] < 0 || cur[2] < 0)
                                return -1;
                        W(t, cur[0])->f = get(t, cur[1]);
                        W(t, cur[1])->t = get(t, cur[2]);
                } else {
                        hi.op = lo.op = c->op == SF_OP_MASKED_EQ ? SF_OP_MASKED_EQ : SF_OP_EQ;
                        cur[0] = node_new(t, &hi);
                        cur[1] = node_new(t, &lo);
                        if (cur[0] < 0 || cur[1] < 0)
                                return -1;
                        W(t, cur[0])->t = get(t, cur[1]);
                }
                if (prev[0] >= 0) {
                        switch (prev_op) {
                        case SF_OP_GT:
                        case SF_OP_GE:
                                W(t, prev[0])->t = get(t, cur[0]);
                                W(t, prev[2])->t = get(t, cur[0]);
                                break;
                        case SF_OP_EQ:
                        case SF_OP_MASKED_EQ: W(t, prev[1])->t = get(t, cur[0]); break;
                        case SF_OP_LE:
                        case SF_OP_LT:
                                W(t, prev[1])->f = get(t, cur[0]);
                                W(t, prev[2])->f = get(t, cur[0]);
                                break;
                        case SF_OP_NE:
                                W(t, prev[0])->f = get(t, cur[0]);
                                W(t, prev[1])->f = get(t, cur[0]);
                                break;
                        }
                } else {
                        head = get(t, cur[0]);
                }
                memcpy(prev, cur, sizeof(prev));
                prev_op = c->op;
        }
        if (head < 0)
                return -1;
        uint32_t o = out_new(t, cr->action, cr->src);
        if (o == 0)
                return -1;
#define ACT_T(k) (W(t, k)->out_t = o, W(t, k)->act_t_flg = true)
#define ACT_F(k) (W(t, k)->out_f = o, W(t, k)->act_f_flg = true)
        if (!is64) {
                if (tf)
                        ACT_T(prev[0]);
                else
                        ACT_F(prev[0]);
                return head;
        }
        switch (prev_op) {
        case SF_OP_GT:
        case SF_OP_GE: ACT_T(prev[0]), ACT_T(prev[2]); break;
        case SF_OP_LE:
        case SF_OP_LT: ACT_F(prev[1]), ACT_F(prev[2]); break;
        case SF_OP_EQ:
        case SF_OP_MASKED_EQ: ACT_T(prev[1]); break;
        case SF_OP_NE: ACT_F(prev[0]), ACT_F(prev[1]); break;
        }
#undef ACT_T
#undef ACT_F
        return head;
}

static int done(const sf_tree *t)
{
        return t->oom ? -ENOMEM : t->loop ? -ELOOP : 0;
}

int sf_tree_add_rule(sf_tree *t, sf_decision *d, const sf_crule *cr, bool is64)
{
        int32_t n = -1;
        if (cr->n) {
                n = chain(t, cr, is64);
                if (n < 0)
                        return -ENOMEM;
        }
        if (!d->present) {
                d->present = true;
                if (n < 0) {
                        d->action = cr->action;
                        d->src = cr->src;
                } else {
                        d->root = n;
                        d->conditional = true;
                }
                return done(t);
        }
        bool removed = false;
        for (;;) {
                if (d->root < 0) {
                        /* the syscall is unconditional (or the pruning emptied it) */
                        if (removed && n >= 0) {
                                d->root = n;
                                d->conditional = true;
                        } else if (removed) {
                                d->action = cr->action;
                                d->src = cr->src;
                        } else {
                                tree_put(t, &n); /* the earlier unconditional rule stays */
                        }
                        return done(t);
                }
                if (n < 0) {
                        /* an unconditional rule replaces the chains */
                        tree_put(t, &d->root);
                        d->root = -1;
                        d->conditional = false;
                        d->action = cr->action;
                        d->src = cr->src;
                        return done(t);
                }
                iter_state st = { .action = cr->action, .root = &d->root };
                unsigned cnt = prune(t, &d->root, n, &st);
                if (cnt > 0) {
                        removed = true;
                        if (d->root < 0)
                                continue;
                } else if ((st.flags & IST_REDUNDANT) == IST_REDUNDANT) {
                        tree_put(t, &n); /* an existing shorter chain covers it */
                        return done(t);
                }
                int r = add(t, &d->root, n);
                if (r < 0 && !t->loop)
                        return r;
                tree_put(t, &n);
                return done(t);
        }
}

static uint32_t word(const sf_tnode *n, const uint64_t *args)
{
        uint64_t v = args ? args[n->arg] : 0;
        return n->hi ? (uint32_t)(v >> 32) : (uint32_t)v;
}

static bool holds(const sf_tnode *n, uint32_t w)
{
        w &= n->mask;
        switch (n->op) {
        case SF_OP_GT: return w > n->datum;
        case SF_OP_GE: return w >= n->datum;
        default: return w == n->datum;
        }
}

/* Runs the level of node i: 1 with *ret set when an action decides, 0 when the
 * level runs out. */
static int run_level(const sf_tnode *v, int32_t i, const uint64_t *args, const sf_tnode **ret, bool *ret_t)
{
        while (v[i].prv >= 0)
                i = v[i].prv;
        for (; i >= 0; i = v[i].nxt) {
                const sf_tnode *n = &v[i];
                bool t = holds(n, word(n, args));
                int32_t child = t ? n->t : n->f;
                if (child >= 0) {
                        if (run_level(v, child, args, ret, ret_t))
                                return 1;
                        continue;
                }
                if (t ? n->act_t_flg : n->act_f_flg) {
                        *ret = n;
                        *ret_t = t;
                        return 1;
                }
        }
        return 0;
}

bool sf_tree_run(const sf_tnode *v, const sf_tout *outs, int32_t root, const uint64_t *args, sf_action *ret,
                 sf_src *ret_src)
{
        const sf_tnode *n;
        bool t;
        if (root < 0 || !run_level(v, root, args, &n, &t))
                return false;
        const sf_tout *o = &outs[t ? n->out_t : n->out_f];
        *ret = o->act;
        *ret_src = o->src;
        return true;
}
