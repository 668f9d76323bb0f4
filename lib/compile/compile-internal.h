/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The compiler's stages: rules → per-arch decisions (decide.c) → a DAG of BPF
 * instructions (lower.c) → a linear program with jumps in range (layout.c). */
#ifndef SF_COMPILE_INTERNAL_H
#define SF_COMPILE_INTERNAL_H

#include "sysfence/bpf.h"
#include "util/util.h"

/* One argument comparison, normalized for the arch's word size: on 32-bit arches
 * values are truncated to the low word; MASKED_EQ's datum is masked (as libseccomp
 * does), and a comparison that always holds is dropped. */
typedef struct sf_cond {
        uint8_t index;
        sf_op op;
        uint64_t value;   /* the datum (MASKED_EQ: valueTwo & mask) */
        uint64_t mask;    /* MASKED_EQ only */
} sf_cond;

/* A conjunction of conditions and the action when all hold. */
typedef struct sf_crule {
        sf_cond c[SF_PROFILE_MAX_ARGS];
        unsigned n;
        sf_action action;
        sf_src src;
} sf_crule;

/* An outcome's action and where it came from; a node names one by its index
 * in the tree's table (one entry per rule added: a 16 MiB profile builds
 * ~200,000 nodes, and the action and source inline took 32 of a node's 80
 * bytes).  Entry 0 is libseccomp's zeroed action: KILL_THREAD, no source. */
typedef struct sf_tout {
        sf_action act;
        sf_src src;
} sf_tout;

/* A node of libseccomp's rule tree (tree.c): (word & mask) op datum, where op
 * is EQ, MASKED_EQ, GT or GE, and each outcome leads to a subtree (t, f), an
 * action (out_t, out_f: sf_tout indexes, meaningful where act_*_flg), or the
 * next node of the level (prv, nxt).  Indexes into the arch's pool; -1: none. */
typedef struct sf_tnode {
        uint32_t datum, mask;
        uint32_t value_lo;    /* high-word nodes: the low word of the condition's value */
        uint32_t out_t, out_f;
        int32_t prv, nxt, t, f;
        uint32_t refcnt;      /* libseccomp's references: what a pruning frees depends on them */
        uint32_t epoch;       /* the rule that last logged it */
        uint8_t arg;
        uint8_t op, op_orig;  /* sf_op: as tested, and as written */
        bool hi : 1;          /* the high word of a 64-bit argument */
        bool act_t_flg : 1, act_f_flg : 1;
} sf_tnode;
_Static_assert(sizeof(sf_tnode) == 48, "a rule-tree node is 48 bytes");

typedef struct sf_tlog {
        int32_t i;
        sf_tnode old;
} sf_tlog;

/* The nodes of one arch's trees, and the undo log of the rule being added. */
typedef struct sf_tree {
        sf_tnode *v;
        size_t n, cap, n_begin;
        sf_tout *outs;           /* the outcomes; [0]: KILL_THREAD, no source */
        size_t n_outs, cap_outs, n_outs_begin;
        sf_tlog *log;
        size_t n_log, cap_log;
        uint32_t epoch;
        bool oom;
        bool compat_254; /* decide as libseccomp < 2.6.1 (its 64-bit LT/LE merge) */
        bool bug_hit;    /* the rule being added met that merge */
        bool loop;       /* ... made libseccomp loop forever (step budget spent) */
        uint64_t steps, budget;
        uint64_t total_steps;  /* of every rule: bounded, so a hostile profile costs bounded time */
        bool too_costly;
} sf_tree;

/* Steps of the tree's walks for a whole arch: a real profile takes a few
 * thousand; past this (about a second) the profile is refused. */
#define SF_TREE_TOTAL_STEPS (UINT64_C(1) << 26)

/* A rule as added, packed: its conditions are n entries of its arch table's
 * pool from `cond` on (a crule holds room for six; most rules have one or two,
 * and a 16 MiB profile has 98,304 of them). */
typedef struct sf_prule {
        uint32_t cond;
        uint8_t n;
        sf_action action;
        sf_src src;
} sf_prule;

/* What the filter does for one syscall number. */
typedef struct sf_decision {
        bool present;      /* some rule reached libseccomp's database */
        int32_t root;      /* conditional: the top level of its tree in the arch's pool */
        const sf_tnode *pool; /* after deciding: that pool */
        const sf_tout *outs;  /* ... and its outcomes */
        bool conditional;
        bool is32;         /* compare the low words only (the rules' arch is 32-bit) */
        sf_action action;  /* unconditional: the action; conditional: the fallback */
        sf_src src;        /* of the action when unconditional ({-1,-1}: default) */
        sf_prule *rules;   /* conditional: the rules as added (the warnings, the length bounds, and
                            * intersect read them; the tree decides), their conditions in conds */
        const sf_cond *conds; /* after deciding: the arch's pool of the rules' conditions */
        size_t n_rules;
        size_t cap_rules;  /* while decide.c builds: rules is malloc'd with this room */
        size_t n_blocks;   /* rules that are an instruction of their own at least (decide.c: FIXED_INSNS) */
} sf_decision;

/* A run of syscall numbers [lo, hi] with one decision. */
typedef struct sf_interval {
        uint32_t lo, hi;
        const sf_decision *d;
        uint64_t weight;
} sf_interval;

/* The numbers dispatched under one AUDIT_ARCH value (x86_64 and x32 share one). */
typedef struct sf_region {
        uint32_t audit;
        sf_arch primary;    /* whose numbers weigh most in the search */
        sf_arch arches[2];
        size_t n_arches;
        sf_interval *iv;
        size_t n_iv;
        bool big_endian;
        bool is_32bit;
} sf_region;

/* The decisions of one arch, indexed by name (sf_syscalls.names). */
typedef struct sf_arch_table {
        sf_arch arch;
        sf_tree tree;            /* every decision's nodes */
        const sf_tnode *nodes;   /* after deciding: the pool, in the arena */
        const sf_tout *outs;     /* ... and the outcomes its nodes name */
        size_t n;
        sf_decision *d;
        bool *set;
        bool warned_ordering;
        bool warned_budget;      /* the overlap checks ran out of budget (said once) */
        uint64_t checks;         /* rule pairs compared for the warnings so far */
        uint64_t *seen;          /* while building: (name index + 1) << 32 | rule position, hashed by rule */
        size_t seen_mask, n_seen;
        long too_big;            /* name index whose decision cannot fit the kernel's limit, or -1 */
        bool *ends_uncond;       /* per name: some rule makes it unconditional on this arch */
        unsigned region;         /* the region (tables of x86_64 and x32 share one) */
        uint32_t max_named;      /* the highest number a rule names on this arch (runc's ENOSYS bound) */
        sf_cond *conds;          /* while building: the pool of the packed rules' conditions */
        size_t n_conds, cap_conds;
        bool has_named;          /* some rule names a syscall of this arch */
} sf_arch_table;

typedef struct sf_cstate {
        sf_arena arena;
        const sf_profile *p;       /* resolved */
        const sf_compile_opts *opts;
        sf_diags *diags;
        sf_action def;
        sf_action badarch;
        sf_region *regions;
        size_t n_regions;
        sf_decision *default_d, *badarch_d, *enosys_d; /* in the arena */
        const int *rule_map;       /* resolved rule index → the profile's rule index */
        int32_t **name_idx;        /* per resolved rule, its names' indexes (-1: unknown) */
        uint8_t *mux;              /* per name index: socketcall call number, or ipc call | 0x80 */
        long socketcall_idx, ipc_idx;
        sf_arch_table *tables;     /* one per target arch, in the arena */
        size_t n_tables;
        /* While deciding: the distinct low words that conditions compare with, per
         * region (region << 32 | word), a bound on the program's length. */
        uint64_t *words;
        size_t words_mask, n_words;
        size_t region_words[SF_ARCH__COUNT];
        long too_big_region;       /* the region that cannot fit, or -1 */
        bool too_costly;           /* a rule tree took more than SF_TREE_TOTAL_STEPS */
} sf_cstate;

/* tree.c: adds one rule to a decision as libseccomp does; -EEXIST where
 * libseccomp refuses it, -ELOOP where it never returns (then sf_tree_rollback undoes what it changed, and the
 * caller restores the decision). */
void sf_tree_begin(sf_tree *t);
int sf_tree_add_rule(sf_tree *t, sf_decision *d, const sf_crule *cr, bool is64);
void sf_tree_rollback(sf_tree *t);
void sf_tree_release(sf_tree *t);
/* What the tree at root decides for args (false: nothing, the default). */
bool sf_tree_run(const sf_tnode *v, const sf_tout *outs, int32_t root, const uint64_t *args, sf_action *ret,
                 sf_src *ret_src);

/* Whether argument value v satisfies c (v already cut to the arch's word). */
bool sf_cond_holds(const sf_cond *c, uint64_t v);

/* Looks every rule name up once; warns about (or, strict, refuses) unknown ones. */
int sf_decide_prepare(sf_cstate *s, sf_error **err);
int sf_decide(sf_cstate *s, const sf_arch *arches, size_t n_arches, sf_error **err);
int sf_lower(sf_cstate *s, sf_prog *prog, sf_error **err);

#endif
