/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From a resolved profile to what the filter does for every syscall number of
 * every target arch, with libseccomp's semantics (what runc and crun load):
 *  - a rule whose action is the default action is skipped (libseccomp refuses it);
 *  - if an argument index repeats in a rule, every condition becomes a rule of
 *    its own (runc, crun, containerd), added one after the other;
 *  - on muxing arches (x86, s390, ppc, mips o32) a socket or SysV IPC rule also
 *    applies to socketcall/ipc with argument 0 replaced by the call number, in
 *    the same step (libseccomp adds both or neither);
 *  - each step goes into the syscall's rule tree as libseccomp 2.5.4 builds it
 *    (tree.c says how): an unconditional rule beats conditional ones whatever
 *    the order, and of two unconditional rules the first wins; where
 *    conditional rules of different actions overlap, the tree's order decides,
 *    not the order of the rules.  That order puts a higher argument index
 *    first, then EQ/NE/MASKED_EQ before LT/LE before GT/GE, then the larger
 *    value first (LT/LE: the smaller); a rule that ends where another goes on
 *    beats it when it comes first and is refused when it comes later with a
 *    different action.  So `a0 == 1 → ALLOW` with `a1 == 3 → ERRNO` gives ERRNO
 *    for (1, 3), `a0 >= 8 → ALLOW` with `a0 > 100 → ERRNO` ERRNO for 200, and
 *    `a0 == 1 → ALLOW` with `a0 <= 5 → ERRNO` ALLOW for 1, in either order, as
 *    measured in the kernel;
 *  - where libseccomp is wrong sysfence is not, and says what runc and crun do:
 *    a 64-bit LT/LE merge libseccomp < 2.6.1 puts in the wrong branch is decided
 *    as 2.6.1 decides it (libseccomp-64bit-merge); a step libseccomp refuses
 *    (EEXIST, the container fails to start) or never returns from (its tree
 *    gets a loop, the runtime hangs) is skipped (libseccomp-refuses,
 *    libseccomp-hangs).
 * The profile is the user's, so the cost is bounded: repeats are found by hash,
 * the warnings that compare rule pairs stop after a budget, the tree's walks
 * have a step budget, and what cannot fit the kernel's 4096 instructions is
 * refused while deciding, by lower bounds on the program's length, before the
 * lowering builds anything. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile-internal.h"
#include "arch/tables.h"
#include "profile/profile-internal.h"

/* Multiplexed call numbers (linux/net.h SYS_*, and the ipc(2) calls). */
static const struct {
        const char *name;
        uint8_t call;
        bool ipc;
} muxed[] = {
        { "socket", 1, false },       { "bind", 2, false },        { "connect", 3, false },
        { "listen", 4, false },       { "accept", 5, false },      { "getsockname", 6, false },
        { "getpeername", 7, false },  { "socketpair", 8, false },  { "send", 9, false },
        { "recv", 10, false },        { "sendto", 11, false },     { "recvfrom", 12, false },
        { "shutdown", 13, false },    { "setsockopt", 14, false }, { "getsockopt", 15, false },
        { "sendmsg", 16, false },     { "recvmsg", 17, false },    { "accept4", 18, false },
        { "recvmmsg", 19, false },    { "sendmmsg", 20, false },   { "semop", 1, true },
        { "semget", 2, true },        { "semctl", 3, true },       { "semtimedop", 4, true },
        { "msgsnd", 11, true },       { "msgrcv", 12, true },      { "msgget", 13, true },
        { "msgctl", 14, true },       { "shmat", 21, true },       { "shmdt", 22, true },
        { "shmget", 23, true },       { "shmctl", 24, true },
};

static bool same_action(sf_action a, sf_action b)
{
        return a.kind == b.kind && ((a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == b.data);
}

typedef sf_arch_table arch_table;

static bool cond_eq(const sf_cond *a, const sf_cond *b)
{
        return a->index == b->index && a->op == b->op && a->value == b->value && a->mask == b->mask;
}

static bool crule_eq(const sf_crule *a, const sf_crule *b)
{
        if (a->n != b->n || !same_action(a->action, b->action))
                return false;
        for (unsigned i = 0; i < a->n; i++)
                if (!cond_eq(&a->c[i], &b->c[i]))
                        return false;
        return true;
}

bool sf_cond_holds(const sf_cond *c, uint64_t v)
{
        switch (c->op) {
        case SF_OP_NE: return v != c->value;
        case SF_OP_LT: return v < c->value;
        case SF_OP_LE: return v <= c->value;
        case SF_OP_EQ: return v == c->value;
        case SF_OP_GE: return v >= c->value;
        case SF_OP_GT: return v > c->value;
        case SF_OP_MASKED_EQ: return (v & c->mask) == c->value;
        }
        return false;
}

/* Whether some value satisfies both conditions on one argument (conservative:
 * true unless provably disjoint). */
static bool range_of(const sf_cond *c, uint64_t max, uint64_t *lo, uint64_t *hi)
{
        switch (c->op) {
        case SF_OP_LT:
                if (c->value == 0)
                        return *lo = 1, *hi = 0, true;
                return *lo = 0, *hi = c->value - 1, true;
        case SF_OP_LE: return *lo = 0, *hi = c->value, true;
        case SF_OP_GE: return *lo = c->value, *hi = max, true;
        case SF_OP_GT:
                if (c->value >= max)
                        return *lo = 1, *hi = 0, true;
                return *lo = c->value + 1, *hi = max, true;
        case SF_OP_EQ: return *lo = c->value, *hi = c->value, true;
        default: return false;
        }
}

static bool conds_may_overlap(const sf_cond *a, const sf_cond *b, uint64_t max)
{
        if (a->op == SF_OP_EQ)
                return sf_cond_holds(b, a->value);
        if (b->op == SF_OP_EQ)
                return sf_cond_holds(a, b->value);
        uint64_t alo, ahi, blo, bhi;
        if (range_of(a, max, &alo, &ahi) && range_of(b, max, &blo, &bhi))
                return alo <= ahi && blo <= bhi && alo <= bhi && blo <= ahi;
        if (a->op == SF_OP_MASKED_EQ && b->op == SF_OP_MASKED_EQ)
                return ((a->value ^ b->value) & a->mask & b->mask) == 0;
        return true;
}

static bool crules_may_overlap(const sf_crule *a, const sf_crule *b, uint64_t max)
{
        for (unsigned i = 0; i < a->n; i++)
                for (unsigned j = 0; j < b->n; j++)
                        if (a->c[i].index == b->c[j].index && !conds_may_overlap(&a->c[i], &b->c[j], max))
                                return false;
        return true;
}

typedef struct adder {
        sf_cstate *s;
        arch_table *t;
        const sf_rule *rule;
        size_t name_i;
        int rule_i;
} adder;

static void say_rule(adder *ad, sf_severity sev, const char *id, const char *fmt, va_list ap)
{
        char path[128];
        const sf_rule *r = ad->rule;
        sf_diags_vadd(ad->s->diags, sev, id, ad->s->p->file,
                      sf_rule_name_path(r, ad->name_i, path, sizeof(path)), r->name_locs[ad->name_i].line,
                      r->name_locs[ad->name_i].col, NULL, fmt, ap);
}

static void warn_rule(adder *ad, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn_rule(adder *ad, const char *id, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        say_rule(ad, SF_SEV_WARNING, id, fmt, ap);
        va_end(ap);
}

static void note_overlap(adder *ad, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_overlap(adder *ad, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        say_rule(ad, SF_SEV_NOTE, "overlapping-rules", fmt, ap);
        va_end(ap);
}

/* What the warnings below may cost: rule pairs compared per arch.  They are
 * quadratic in the rules of one syscall, and the profile is the user's: past
 * this many comparisons (tens of milliseconds) the rest go unchecked, and one
 * warning says so.  Real profiles compare a few thousand pairs. */
#define CHECK_BUDGET (UINT64_C(1) << 22)

/* A decision that needs more instructions than the kernel takes is refused as
 * soon as its rules show it, before the program is built.  Lower bound: along
 * the failure path of a decision every block of rules has an instruction of its
 * own (a rule that is not a single EQ is a block; so is, on a 32-bit word, every
 * value of a set of EQs), and the program also loads arch and nr, dispatches
 * the arch and has the bad-arch RET and the fallback RET. */
#define FIXED_INSNS 5

static bool over_budget(adder *ad, const char *name, uint64_t cost)
{
        arch_table *t = ad->t;
        t->checks += cost;
        if (t->checks <= CHECK_BUDGET)
                return false;
        if (!t->warned_budget) {
                t->warned_budget = true;
                warn_rule(ad, "overlap-check-limit",
                          "%s on %s: too many conditional rules to compare them all; overlapping rules are not reported from here on",
                          name, sf_arch_short_name(t->arch));
        }
        return true;
}

/* Rule i of idx's decision, unpacked. */
static void unpack(const arch_table *t, long idx, size_t i, sf_crule *out)
{
        const sf_prule *pr = &t->d[idx].rules[i];
        *out = (sf_crule){ .n = pr->n, .action = pr->action, .src = pr->src };
        memcpy(out->c, &t->conds[pr->cond], pr->n * sizeof(sf_cond));
}

static uint64_t crule_hash(long idx, const sf_crule *cr)
{
        uint64_t h = (uint64_t)idx * 0x9E3779B97F4A7C15ull ^ cr->n ^ (uint64_t)cr->action.kind << 8;
        if (cr->action.kind == SF_ACT_ERRNO || cr->action.kind == SF_ACT_TRACE)
                h ^= (uint64_t)cr->action.data << 16;
        for (unsigned i = 0; i < cr->n; i++) {
                const sf_cond *c = &cr->c[i];
                h = (h ^ c->index ^ (uint64_t)c->op << 3) * 0xC2B2AE3D27D4EB4Full;
                h = (h ^ c->value) * 0x165667B19E3779F9ull;
                h = (h ^ c->mask) * 0x9E3779B97F4A7C15ull;
                h ^= h >> 29;
        }
        return h ^ h >> 32;
}

/* The position of a rule equal to cr among idx's rules, or -1 (a hash over all
 * the decisions of the arch, so that adding a rule costs O(1), not O(rules)). */
static long seen_find(const arch_table *t, long idx, const sf_crule *cr, size_t *ret_slot)
{
        size_t i = (size_t)crule_hash(idx, cr) & t->seen_mask;
        for (;; i = (i + 1) & t->seen_mask) {
                uint64_t e = t->seen[i];
                if (e == 0)
                        break;
                if ((long)(e >> 32) - 1 != idx)
                        continue;
                sf_crule had;
                unpack(t, idx, (uint32_t)e, &had);
                if (crule_eq(&had, cr))
                        return (long)(uint32_t)e;
        }
        *ret_slot = i;
        return -1;
}

static int seen_grow(arch_table *t)
{
        size_t cap = t->seen_mask ? (t->seen_mask + 1) * 2 : 1024;
        uint64_t *v = calloc(cap, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; t->seen_mask && i <= t->seen_mask; i++) {
                uint64_t e = t->seen[i];
                if (!e)
                        continue;
                long idx = (long)(e >> 32) - 1;
                if ((uint32_t)e >= t->d[idx].n_rules)
                        continue; /* an unconditional rule took over: its rules are gone */
                sf_crule had;
                unpack(t, idx, (uint32_t)e, &had);
                size_t j = (size_t)crule_hash(idx, &had) & (cap - 1);
                while (v[j])
                        j = (j + 1) & (cap - 1);
                v[j] = e;
        }
        free(t->seen);
        t->seen = v;
        t->seen_mask = cap - 1;
        return 0;
}

/* Counts the low word of every condition of a rule that stays in the program.
 * Each distinct one is the constant of at least one jump of the region: every
 * condition ends in a 32-bit compare of its low word (a MASKED_EQ of the high
 * word only excepted), and the compare stays because its outcomes differ. */
static int count_words(sf_cstate *s, unsigned region, const sf_crule *cr)
{
        for (unsigned i = 0; i < cr->n; i++) {
                const sf_cond *c = &cr->c[i];
                if (c->op == SF_OP_MASKED_EQ && (uint32_t)c->mask == 0)
                        continue;
                uint64_t key = (uint64_t)(region + 1) << 32 | (uint32_t)c->value;
                if ((s->n_words + 1) * 2 > s->words_mask + 1) {
                        size_t cap = s->words_mask ? (s->words_mask + 1) * 2 : 1024;
                        uint64_t *v = calloc(cap, sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        for (size_t k = 0; s->words && k <= s->words_mask; k++) {
                                if (!s->words[k])
                                        continue;
                                size_t j = (size_t)((s->words[k] * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
                                while (v[j])
                                        j = (j + 1) & (cap - 1);
                                v[j] = s->words[k];
                        }
                        free(s->words);
                        s->words = v;
                        s->words_mask = cap - 1;
                }
                size_t j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & s->words_mask;
                while (s->words[j] && s->words[j] != key)
                        j = (j + 1) & s->words_mask;
                if (s->words[j])
                        continue;
                s->words[j] = key;
                s->n_words++;
                if (++s->region_words[region] + FIXED_INSNS > SF_BPF_MAX_INSNS) {
                        s->too_big_region = region;
                        return -E2BIG;
                }
        }
        return 0;
}

/* Records a rule the tree took in its decision's list (what the warnings and
 * the bounds on the program's length read). */
static int note_rule(adder *ad, long idx, const sf_crule *cr)
{
        sf_cstate *s = ad->s;
        sf_decision *d = &ad->t->d[idx];
        const char *name = sf_syscalls.names[idx];
        if (cr->n == 0 || !d->conditional) {
                /* unconditional: the tree dropped the chains (or this rule) */
                free(d->rules);
                d->rules = NULL;
                d->n_rules = d->cap_rules = d->n_blocks = 0;
                return 0;
        }
        uint64_t max = sf_arch_is_64bit(ad->t->arch) ? UINT64_MAX : UINT32_MAX;
        size_t slot = 0;
        long dup = d->n_rules ? seen_find(ad->t, idx, cr, &slot) : -1;
        /* the earlier rules up to an equal one (which makes this one a repeat) */
        size_t upto = dup >= 0 ? (size_t)dup : d->n_rules;
        if (!ad->t->warned_budget && !over_budget(ad, name, upto))
                for (size_t i = 0; i < upto; i++) {
                        if (same_action(d->rules[i].action, cr->action))
                                continue;
                        sf_crule had;
                        unpack(ad->t, idx, i, &had);
                        if (crules_may_overlap(&had, cr, max)) {
                                note_overlap(ad, "%s on %s: conditions overlap an earlier rule with a different action; libseccomp, and sysfence with it, decides by the order of its rule tree, whatever the order of the rules (sysfence test PROFILE SYSCALL ARG... shows which rule decides)",
                                          name, sf_arch_short_name(ad->t->arch));
                                break;
                        }
                }
        if (dup >= 0)
                return 0;
        if (d->n_rules == d->cap_rules) {
                /* grown geometrically (a copy per rule made profiles quadratic in memory) */
                size_t cap = d->cap_rules ? d->cap_rules * 2 : 4;
                sf_prule *v = realloc(d->rules, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                d->rules = v;
                d->cap_rules = cap;
        }
        if (ad->t->n_conds + cr->n > ad->t->cap_conds) {
                size_t cap = ad->t->cap_conds ? ad->t->cap_conds * 2 : 64;
                while (cap < ad->t->n_conds + cr->n)
                        cap *= 2;
                if (cap > UINT32_MAX)
                        return -E2BIG;
                sf_cond *v = realloc(ad->t->conds, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                ad->t->conds = v;
                ad->t->cap_conds = cap;
        }
        if ((ad->t->n_seen + 1) * 2 > ad->t->seen_mask + 1) {
                if (seen_grow(ad->t) < 0)
                        return -ENOMEM;
                seen_find(ad->t, idx, cr, &slot);
        } else if (!d->n_rules) {
                seen_find(ad->t, idx, cr, &slot);
        }
        ad->t->seen[slot] = (uint64_t)(idx + 1) << 32 | d->n_rules;
        ad->t->n_seen++;
        d->rules[d->n_rules] = (sf_prule){ .cond = (uint32_t)ad->t->n_conds, .n = (uint8_t)cr->n,
                                           .action = cr->action, .src = cr->src };
        memcpy(&ad->t->conds[ad->t->n_conds], cr->c, cr->n * sizeof(sf_cond));
        ad->t->n_conds += cr->n;
        d->n_rules++;
        /* The bounds hold only for decisions no later rule makes unconditional,
         * and for rules whose RET differs from the fallback's (else the lowering
         * may drop their tests, whose outcomes would not matter). */
        if (ad->t->ends_uncond[idx] || sf_action_ret(cr->action) == sf_action_ret(s->def))
                return 0;
        if (d->is32 || !(cr->n == 1 && cr->c[0].op == SF_OP_EQ))
                d->n_blocks++;
        if (d->n_blocks + FIXED_INSNS > SF_BPF_MAX_INSNS) {
                ad->t->too_big = idx;
                return -E2BIG;
        }
        return count_words(s, ad->t->region, cr);
}

static void decision_init(adder *ad, long idx)
{
        if (ad->t->set[idx])
                return;
        ad->t->set[idx] = true;
        ad->t->d[idx] = (sf_decision){ .action = ad->s->def, .src = { -1, -1 }, .root = -1,
                                       .is32 = !sf_arch_is_64bit(ad->t->arch) };
}

/* One rule for one syscall, as one seccomp_rule_add() of runc's: the rule
 * for the syscall (idx, when the arch has it) and, on muxing arches, its
 * socketcall/ipc form (mux_idx), together or not at all. */
static int add_call(adder *ad, long idx, const sf_crule *cr, long mux_idx, const sf_crule *mcr)
{
        arch_table *t = ad->t;
        long ids[2] = { mux_idx, idx };
        const sf_crule *crs[2] = { mcr, cr };
        sf_decision saved[2];
        bool is64 = sf_arch_is_64bit(t->arch);
        for (int k = 0; k < 2; k++)
                if (ids[k] >= 0) {
                        decision_init(ad, ids[k]);
                        saved[k] = t->d[ids[k]];
                }
        sf_tree_begin(&t->tree);
        int r = 0, k = 0;
        for (; k < 2 && r == 0; k++)
                if (ids[k] >= 0)
                        r = sf_tree_add_rule(&t->tree, &t->d[ids[k]], crs[k], is64);
        if (t->tree.too_costly) {
                sf_tree_rollback(&t->tree);
                for (int m = 0; m < 2; m++)
                        if (ids[m] >= 0)
                                t->d[ids[m]] = saved[m];
                ad->s->too_costly = true;
                return -E2BIG;
        }
        if (r == -EEXIST || r == -ELOOP) {
                sf_tree_rollback(&t->tree);
                for (int m = 0; m < 2; m++)
                        if (ids[m] >= 0)
                                t->d[ids[m]] = saved[m];
                if (r == -ELOOP) {
                        warn_rule(ad, "libseccomp-hangs",
                                  "%s on %s: libseccomp 2.5.4 never returns from adding this rule beside the earlier ones for %s (its rule tree gets a loop), so runc and crun hang creating the container; sysfence skips it",
                                  sf_syscalls.names[idx >= 0 ? idx : mux_idx], sf_arch_short_name(t->arch),
                                  sf_syscalls.names[ids[k - 1]]);
                        return 0;
                }
                /* k - 1 failed: 0 is the socketcall/ipc form */
                warn_rule(ad, "libseccomp-refuses",
                          "%s on %s: libseccomp refuses this rule (EEXIST: on %s it ends where another rule with a different action goes on, or the reverse, or both end with different actions), so runc and crun fail to start the container; sysfence skips it",
                          sf_syscalls.names[idx >= 0 ? idx : mux_idx], sf_arch_short_name(t->arch),
                          sf_syscalls.names[ids[k - 1]]);
                return 0;
        }
        if (r < 0)
                return r;
        if (t->tree.bug_hit && !t->warned_ordering) {
                t->warned_ordering = true;
                warn_rule(ad, "libseccomp-64bit-merge",
                          "%s on %s: runc and crun on libseccomp older than 2.6.1 decide differently for this rule: they merge its 64-bit LT/LE comparison with another rule's into the wrong branch (GHSA-4q85-33p6-j5g6); sysfence decides as the fixed libseccomp",
                          sf_syscalls.names[idx >= 0 ? idx : mux_idx], sf_arch_short_name(t->arch));
        }
        for (int m = 0; m < 2 && r == 0; m++)
                if (ids[m] >= 0)
                        r = note_rule(ad, ids[m], crs[m]);
        return r;
}

/* Normalizes one profile condition for the arch; false if it always holds. */
static bool norm_cond(const sf_arg *a, bool is32, sf_cond *ret)
{
        uint64_t wmask = is32 ? UINT32_MAX : UINT64_MAX;
        sf_cond c = { .index = (uint8_t)a->index, .op = a->op, .value = a->value & wmask };
        if (a->op == SF_OP_MASKED_EQ) {
                c.mask = a->value & wmask;
                c.value = a->value_two & c.mask;
                if (c.mask == 0)
                        return false;
        }
        *ret = c;
        return true;
}

/* The conjunctions a rule makes on the arch; returns how many. */
static size_t make_crules(const sf_rule *r, const arch_table *t, sf_crule crs[static SF_PROFILE_MAX_ARGS + 1])
{
        bool is32 = !sf_arch_is_64bit(t->arch);

        /* Conjunctions: all conditions together, or each alone when an index repeats. */
        bool repeat = false;
        for (size_t i = 0; i < r->n_args; i++)
                for (size_t j = 0; j < i; j++)
                        repeat |= r->args[i].index == r->args[j].index;
        size_t n_crs = 0;
        if (!repeat || r->n_args == 0) {
                sf_crule *cr = &crs[n_crs++];
                *cr = (sf_crule){ .action = r->action };
                for (size_t i = 0; i < r->n_args; i++)
                        if (norm_cond(&r->args[i], is32, &cr->c[cr->n]))
                                cr->n++;
        } else {
                for (size_t i = 0; i < r->n_args; i++) {
                        sf_crule *cr = &crs[n_crs++];
                        *cr = (sf_crule){ .action = r->action };
                        if (norm_cond(&r->args[i], is32, &cr->c[0]))
                                cr->n = 1;
                }
        }
        /* Conditions in index order, as libseccomp chains them. */
        for (size_t k = 0; k < n_crs; k++)
                for (unsigned i = 1; i < crs[k].n; i++)
                        for (unsigned j = i; j > 0 && crs[k].c[j - 1].index > crs[k].c[j].index; j--) {
                                sf_cond tmp = crs[k].c[j];
                                crs[k].c[j] = crs[k].c[j - 1];
                                crs[k].c[j - 1] = tmp;
                        }
        return n_crs;
}

static int add_for_arch(sf_cstate *s, arch_table *t, int rule_i)
{
        const sf_rule *r = &s->p->rules[rule_i];
        sf_crule crs[SF_PROFILE_MAX_ARGS + 1];
        size_t n_crs = make_crules(r, t, crs);

        adder ad = { .s = s, .t = t, .rule = r, .rule_i = rule_i };
        const int32_t *nr_by_name = sf_syscalls.arch[t->arch].nr_by_name;
        bool muxes = sf_arch_muxes(t->arch);
        for (size_t j = 0; j < r->n_names; j++) {
                long idx = s->name_idx[rule_i][j];
                if (idx < 0)
                        continue;
                ad.name_i = j;
                uint8_t m = muxes ? s->mux[idx] : 0;
                long mux_idx = m & 0x80 ? s->ipc_idx : s->socketcall_idx;
                if (!m || mux_idx < 0 || nr_by_name[mux_idx] < 0)
                        mux_idx = -1;
                long direct = nr_by_name[idx] >= 0 ? idx : -1;
                for (size_t k = 0; k < n_crs && (direct >= 0 || mux_idx >= 0); k++) {
                        crs[k].src = (sf_src){ s->rule_map ? s->rule_map[rule_i] : rule_i, (int)j };
                        /* argument 0 becomes the call number, the others stay */
                        sf_crule cr = { .action = crs[k].action, .src = crs[k].src };
                        cr.c[cr.n++] = (sf_cond){ .index = 0, .op = SF_OP_EQ, .value = m & 0x7f };
                        for (unsigned i = 0; i < crs[k].n; i++)
                                if (crs[k].c[i].index != 0)
                                        cr.c[cr.n++] = crs[k].c[i];
                        int e = add_call(&ad, direct, &crs[k], mux_idx, &cr);
                        if (e < 0)
                                return e;
                }
        }
        return 0;
}

/* Moves the malloc'd table *v of n elements of `size` bytes into the arena,
 * shrunk to n (in place: not copied); *v is then NULL.  Returns the table,
 * or NULL (n 0, or out of memory: *v stays the caller's to free). */
static void *adopt_shrunk(sf_arena *a, void **v, size_t n, size_t size)
{
        if (!n)
                return NULL;
        void *x = realloc(*v, n * size);
        if (!x)
                return NULL;
        *v = NULL;
        return sf_arena_adopt(a, x) == 0 ? x : NULL;
}

/* Once the tables are built: the tree's pool and outcomes, the rules as added
 * and their conditions join the arena at their final size (shrunk in place, not
 * copied: on a 16 MiB profile the pool and a copy of it were a third of the
 * peak). */
static int settle(sf_cstate *s, arch_table *t, bool ok)
{
        free(t->seen);
        t->seen = NULL;
        t->seen_mask = t->n_seen = 0;
        sf_cond *conds = ok ? adopt_shrunk(&s->arena, (void **)&t->conds, t->n_conds, sizeof(*t->conds)) : NULL;
        ok = ok && (conds || !t->n_conds);
        free(t->conds);
        t->conds = NULL;
        t->n_conds = t->cap_conds = 0;
        t->nodes = ok ? adopt_shrunk(&s->arena, (void **)&t->tree.v, t->tree.n, sizeof(*t->tree.v)) : NULL;
        ok = ok && (t->nodes || !t->tree.n);
        t->outs = ok ? adopt_shrunk(&s->arena, (void **)&t->tree.outs, t->tree.n_outs, sizeof(*t->tree.outs)) : NULL;
        ok = ok && (t->outs || !t->tree.n_outs);
        sf_tree_release(&t->tree);
        for (size_t i = 0; i < t->n; i++) {
                sf_decision *d = &t->d[i];
                d->pool = t->nodes;
                d->outs = t->outs;
                d->conds = conds;
                if (!d->cap_rules)
                        continue;
                sf_prule *v = ok && d->n_rules ? realloc(d->rules, d->n_rules * sizeof(*v)) : NULL;
                if (v && sf_arena_adopt(&s->arena, v) == 0) {
                        d->rules = v;
                } else {
                        if (!v)
                                free(d->rules);
                        d->rules = NULL;
                        if (d->n_rules)
                                ok = false;
                }
                d->cap_rules = 0;
        }
        return ok ? 0 : -ENOMEM;
}

static int build_table(sf_cstate *s, arch_table *t)
{
        t->n = sf_syscalls.name_count;
        t->too_big = -1;
        t->tree.compat_254 = s->opts->libseccomp_254;
        t->d = sf_arena_alloc(&s->arena, (t->n + 1) * sizeof(*t->d));
        t->set = sf_arena_alloc(&s->arena, (t->n + 1) * sizeof(*t->set));
        t->ends_uncond = sf_arena_alloc(&s->arena, (t->n + 1) * sizeof(*t->ends_uncond));
        if (!t->d || !t->set || !t->ends_uncond)
                return -ENOMEM;
        /* Which decisions end unconditional, whatever comes before: only the
         * others can be refused early. */
        const int32_t *nr_by_name = sf_syscalls.arch[t->arch].nr_by_name;
        /* runc's ENOSYS bound: the highest number any rule names, whatever its action */
        for (size_t i = 0; i < s->p->n_rules; i++)
                for (size_t j = 0; j < s->p->rules[i].n_names; j++) {
                        long idx = s->name_idx[i][j];
                        /* runc asks libseccomp, which lacks the newer names */
                        if (idx < 0 || nr_by_name[idx] < 0 || sf_syscall_from_facts[idx])
                                continue;
                        if (!t->has_named || (uint32_t)nr_by_name[idx] > t->max_named)
                                t->max_named = (uint32_t)nr_by_name[idx];
                        t->has_named = true;
                }
        for (size_t i = 0; i < s->p->n_rules; i++) {
                const sf_rule *r = &s->p->rules[i];
                if (same_action(r->action, s->def))
                        continue;
                sf_crule crs[SF_PROFILE_MAX_ARGS + 1];
                size_t n_crs = make_crules(r, t, crs);
                bool uncond = false;
                for (size_t k = 0; k < n_crs; k++)
                        uncond |= crs[k].n == 0;
                for (size_t j = 0; uncond && j < r->n_names; j++) {
                        long idx = s->name_idx[i][j];
                        if (idx >= 0 && nr_by_name[idx] >= 0)
                                t->ends_uncond[idx] = true;
                }
        }
        for (size_t i = 0; i < s->p->n_rules; i++) {
                const sf_rule *r = &s->p->rules[i];
                if (same_action(r->action, s->def))
                        continue; /* libseccomp refuses rules with the default action */
                int e = add_for_arch(s, t, (int)i);
                if (e < 0) {
                        settle(s, t, false);
                        return e;
                }
        }
        return settle(s, t, true);
}

static bool decision_eq(const sf_decision *a, const sf_decision *b)
{
        if (a == b)
                return true;
        if (a->conditional || b->conditional)
                return false;
        return same_action(a->action, b->action);
}

typedef struct ivbuf {
        sf_interval *v;
        size_t n, cap;
} ivbuf;

static int iv_add(ivbuf *b, uint32_t lo, uint32_t hi, const sf_decision *d, uint64_t w)
{
        if (b->n && decision_eq(b->v[b->n - 1].d, d) && b->v[b->n - 1].hi + 1 == lo) {
                b->v[b->n - 1].hi = hi;
                b->v[b->n - 1].weight += w;
                return 0;
        }
        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 64;
                sf_interval *v = realloc(b->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                b->v = v;
                b->cap = cap;
        }
        b->v[b->n++] = (sf_interval){ .lo = lo, .hi = hi, .d = d, .weight = w };
        return 0;
}

#define X32_BIT 0x40000000u

/* runc's ENOSYS stub (libcontainer/seccomp/patchbpf, runc 1.1): where the
 * default action is not ALLOW, LOG or TRACE, every number above the highest
 * one the profile names on the arch (any rule, any action) gets ENOSYS before
 * the filter runs, -1 included (an unsigned compare), so that a newer glibc
 * falls back from a call the profile does not know.  An arch the profile names
 * nothing of gets no stub. */
static bool enosys_stub(const sf_cstate *s, const arch_table *t)
{
        sf_action_kind k = s->def.kind;
        return s->opts->enosys_unknown && t->has_named && k != SF_ACT_ALLOW && k != SF_ACT_LOG && k != SF_ACT_TRACE;
}

/* Adds the numbers of one arch table in [from, to] (gaps: the default; with
 * runc's stub, ENOSYS above the highest number the profile names). */
static int add_arch_range(sf_cstate *s, ivbuf *b, const arch_table *t, uint32_t from, uint32_t to, bool primary,
                          const uint64_t *hot, size_t n_hot)
{
        uint32_t next = from;
        uint32_t max = (uint32_t)sf_syscall_max(t->arch);
        if (enosys_stub(s, t) && t->max_named < max)
                max = t->max_named; /* the stub answers above it */
        const sf_syscall_arch_table *at = &sf_syscalls.arch[t->arch];
        for (size_t i = 0; i < at->count; i++) {
                uint32_t u = (uint32_t)at->by_nr[i].nr;
                uint32_t idx = at->by_nr[i].name;
                if (u < from || u > to || u > max)
                        continue;
                if (u > next && iv_add(b, next, u - 1, s->default_d, 1) < 0)
                        return -ENOMEM;
                uint64_t w = primary ? 1000 : 1;
                size_t hi = u & ~X32_BIT;
                if (hot && hi < n_hot)
                        w += hot[hi] * 1000;
                if (iv_add(b, u, u, t->set[idx] ? &t->d[idx] : s->default_d, w) < 0)
                        return -ENOMEM;
                next = u + 1;
        }
        if (next <= to && next <= max) {
                if (iv_add(b, next, max, s->default_d, 1) < 0)
                        return -ENOMEM;
                next = max + 1;
        }
        if (next <= to && next > max)
                if (iv_add(b, next, to, enosys_stub(s, t) ? s->enosys_d : s->default_d, 1) < 0)
                        return -ENOMEM;
        return 0;
}

int sf_decide_prepare(sf_cstate *s, sf_error **err)
{
        const sf_profile *p = s->p;
        s->name_idx = sf_arena_alloc(&s->arena, (p->n_rules + 1) * sizeof(*s->name_idx));
        s->mux = sf_arena_alloc(&s->arena, sf_syscalls.name_count);
        if (!s->name_idx || !s->mux)
                return sf_error_set(err, ENOMEM, "out of memory");
        /* Each name is looked up once, for every arch. */
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                s->name_idx[i] = sf_arena_alloc(&s->arena, (r->n_names + 1) * sizeof(int32_t));
                if (!s->name_idx[i])
                        return sf_error_set(err, ENOMEM, "out of memory");
                for (size_t j = 0; j < r->n_names; j++) {
                        long idx = sf_syscall_index(r->names[j]);
                        s->name_idx[i][j] = (int32_t)idx;
                        const char *ntables = NULL, *nsince = idx >= 0 ? sf_syscall_newer(r->names[j], &ntables) : NULL;
                        if (nsince) {
                                /* compiled by its number; the runtimes' tables lack it */
                                char npath[128];
                                sf_diags_add(s->diags, SF_SEV_WARNING, "newer-syscall", p->file,
                                             sf_rule_name_path(r, j, npath, sizeof(npath)), r->name_locs[j].line,
                                             r->name_locs[j].col, NULL,
                                             "syscall \"%s\" (Linux %s) is newer than %s: compiled by its number "
                                             "here (sysfence run, oci-precompile), but runc and crun skip it",
                                             r->names[j], nsince, ntables);
                        }
                        if (idx >= 0)
                                continue;
                        /* runtimes skip names they do not know, so do we (check says so too) */
                        char path[128];
                        bool strict = s->opts->strict;
                        const char *tables = NULL, *since = sf_syscall_newer(r->names[j], &tables);
                        if (since)
                                sf_diags_add(s->diags, strict ? SF_SEV_ERROR : SF_SEV_WARNING, "newer-syscall", p->file,
                                             sf_rule_name_path(r, j, path, sizeof(path)), r->name_locs[j].line,
                                             r->name_locs[j].col, NULL,
                                             "syscall \"%s\" (Linux %s) is newer than %s: skipped, as runc and crun "
                                             "skip it",
                                             r->names[j], since, tables);
                        else
                                sf_diags_add(s->diags, strict ? SF_SEV_ERROR : SF_SEV_WARNING, "unknown-syscall", p->file,
                                             sf_rule_name_path(r, j, path, sizeof(path)), r->name_locs[j].line,
                                             r->name_locs[j].col, NULL,
                                             strict ? "unknown syscall \"%s\"" : "unknown syscall \"%s\" is skipped",
                                             r->names[j]);
                        if (strict)
                                return sf_error_set(err, EINVAL, "%s: %s: unknown syscall \"%s\"", p->file, path,
                                                    r->names[j]);
                }
        }
        for (size_t m = 0; m < ARRAY_SIZE(muxed); m++) {
                long idx = sf_syscall_index(muxed[m].name);
                if (idx >= 0)
                        s->mux[idx] = (uint8_t)(muxed[m].call | (muxed[m].ipc ? 0x80 : 0));
        }
        s->socketcall_idx = sf_syscall_index("socketcall");
        s->ipc_idx = sf_syscall_index("ipc");
        return 0;
}

int sf_decide(sf_cstate *s, const sf_arch *arches, size_t n_arches, sf_error **err)
{
        arch_table *tables = sf_arena_alloc(&s->arena, (n_arches + 1) * sizeof(*tables));
        if (!tables)
                return sf_error_set(err, ENOMEM, "out of memory");
        s->tables = tables;
        s->n_tables = n_arches;
        s->default_d = sf_arena_alloc(&s->arena, sizeof(sf_decision));
        s->badarch_d = sf_arena_alloc(&s->arena, sizeof(sf_decision));
        s->enosys_d = sf_arena_alloc(&s->arena, sizeof(sf_decision));
        if (!s->default_d || !s->badarch_d || !s->enosys_d)
                return sf_error_set(err, ENOMEM, "out of memory");
        *s->default_d = (sf_decision){ .action = s->def, .src = { -1, -1 } };
        *s->badarch_d = (sf_decision){ .action = s->badarch, .src = { -1, -1 } };
        *s->enosys_d = (sf_decision){ .action = { SF_ACT_ERRNO, ENOSYS }, .src = { -1, -1 } };
        s->too_big_region = -1;
        int x86_64_table = -1;
        for (size_t i = 0; i < n_arches; i++)
                if (arches[i] == SF_ARCH_X86_64)
                        x86_64_table = (int)i;
        for (size_t i = 0; i < n_arches; i++) {
                /* x32 joins x86_64's region when both are targets (below) */
                unsigned region = arches[i] == SF_ARCH_X32 && x86_64_table >= 0 ? (unsigned)x86_64_table : (unsigned)i;
                tables[i] = (arch_table){ .arch = arches[i], .region = region };
                int e = build_table(s, &tables[i]);
                if (e == -E2BIG && s->too_costly) {
                        free(s->words);
                        s->words = NULL;
                        return sf_error_set(err, E2BIG,
                                            "on %s, the rule tree (libseccomp's, which sysfence follows) takes more than %llu steps to build for these argument rules: refused, as it would cost the runtime as much; split the profile or drop conditions",
                                            sf_arch_short_name(arches[i]), (unsigned long long)SF_TREE_TOTAL_STEPS);
                }
                if (e == -E2BIG && tables[i].too_big < 0) {
                        free(s->words);
                        s->words = NULL;
                        return sf_error_set(err, E2BIG,
                                            "on %s, argument conditions compare with more than %d distinct values, each a jump of its own: the program cannot fit in the kernel's limit of %d instructions; split the profile or drop conditions",
                                            sf_arch_short_name(arches[s->too_big_region]),
                                            SF_BPF_MAX_INSNS - FIXED_INSNS, SF_BPF_MAX_INSNS);
                }
                if (e < 0) {
                        free(s->words);
                        s->words = NULL;
                }
                if (e == -E2BIG) {
                        const sf_decision *d = &tables[i].d[tables[i].too_big];
                        return sf_error_set(err, E2BIG,
                                            "%s on %s: more than %zu distinct argument rules, which cannot fit in the kernel's limit of %d instructions; split the profile or drop conditions",
                                            sf_syscalls.names[tables[i].too_big], sf_arch_short_name(arches[i]),
                                            d->n_blocks - 1, SF_BPF_MAX_INSNS);
                }
                if (e < 0)
                        return sf_error_set(err, ENOMEM, "out of memory");
        }

        free(s->words);
        s->words = NULL;
        s->regions = sf_arena_alloc(&s->arena, (n_arches + 1) * sizeof(sf_region));
        if (!s->regions)
                return sf_error_set(err, ENOMEM, "out of memory");
        int x86_64 = -1, x32 = -1;
        for (size_t i = 0; i < n_arches; i++) {
                if (arches[i] == SF_ARCH_X86_64)
                        x86_64 = (int)i;
                if (arches[i] == SF_ARCH_X32)
                        x32 = (int)i;
        }
        for (size_t i = 0; i < n_arches; i++) {
                sf_arch a = arches[i];
                /* x32 shares AUDIT_ARCH_X86_64 and joins x86_64's region when both are targets */
                if (a == SF_ARCH_X32 && x86_64 >= 0)
                        continue;
                sf_region *rg = &s->regions[s->n_regions++];
                *rg = (sf_region){ .audit = sf_arch_audit(a), .primary = a, .big_endian = sf_arch_big_endian(a),
                                   .is_32bit = !sf_arch_is_64bit(a) };
                rg->arches[rg->n_arches++] = a;
                size_t n_hot = 0;
                const uint64_t *hot = s->opts->hot ? s->opts->hot(s->opts->hot_ctx, a, &n_hot) : NULL;
                ivbuf b = { 0 };
                int r = 0;
                if (a == SF_ARCH_X86_64) {
                        r = add_arch_range(s, &b, &tables[i], 0, X32_BIT - 1, true, hot, n_hot);
                        if (r == 0 && x32 >= 0) {
                                rg->arches[rg->n_arches++] = SF_ARCH_X32;
                                r = add_arch_range(s, &b, &tables[x32], X32_BIT, UINT32_MAX - 1, false, NULL, 0);
                        } else if (r == 0) {
                                /* x32 calls carry the same AUDIT_ARCH: without this they would bypass the filter */
                                r = iv_add(&b, X32_BIT, UINT32_MAX - 1, s->badarch_d, 1);
                        }
                } else if (a == SF_ARCH_X32) {
                        r = iv_add(&b, 0, X32_BIT - 1, s->badarch_d, 1);
                        if (r == 0)
                                r = add_arch_range(s, &b, &tables[i], X32_BIT, UINT32_MAX - 1, true, hot, n_hot);
                } else {
                        r = add_arch_range(s, &b, &tables[i], 0, UINT32_MAX - 1, true, hot, n_hot);
                }
                /* -1 is a tracer's "skip this call": the default action, as
                 * libseccomp; but runc's stub answers it ENOSYS where it covers
                 * the numbers with bit 30 (not on x86_64 without x32) */
                const arch_table *top = a == SF_ARCH_X86_64 ? (x32 >= 0 ? &tables[x32] : NULL) : &tables[i];
                if (r == 0)
                        r = iv_add(&b, UINT32_MAX, UINT32_MAX, top && enosys_stub(s, top) ? s->enosys_d : s->default_d, 1);
                if (r < 0) {
                        free(b.v);
                        return sf_error_set(err, ENOMEM, "out of memory");
                }
                rg->iv = sf_arena_alloc(&s->arena, b.n * sizeof(sf_interval));
                if (!rg->iv) {
                        free(b.v);
                        return sf_error_set(err, ENOMEM, "out of memory");
                }
                memcpy(rg->iv, b.v, b.n * sizeof(sf_interval));
                rg->n_iv = b.n;
                free(b.v);
        }
        return 0;
}
