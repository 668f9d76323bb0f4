/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Merging profiles.  The union is assembled as a profile that borrows the
 * inputs' rules, written as Docker JSON and read back, so the result is an
 * ordinary loaded profile that owns its storage and emits canonically.  Then
 * every input and the merge are compiled and compared syscall by syscall: a
 * union of allowlists must allow whatever any input allows, except what another
 * input denies.
 *
 * Denials win over allowances because of how libseccomp 2.5 (runc, crun)
 * decides one syscall: of two unconditional rules it keeps the first, and an
 * unconditional rule beats every conditional one whatever the order.  So the
 * unconditional denials of every input are put first; and an unconditional
 * allowance of a syscall that an input denies for some arguments is written as
 * the allowance of the other arguments, which libseccomp cannot let overlap the
 * denial.  Without that the recording of a workload, merged with a baseline,
 * allowed what the baseline forbids the moment the workload tried it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile-internal.h"
#include "profile/merge.h"
#include "profile/profile-internal.h"
#include "sysfence/bpf.h"

static bool has_data(sf_action a) { return a.kind == SF_ACT_ERRNO || a.kind == SF_ACT_TRACE; }

static bool same_action(sf_action a, sf_action b)
{
        return a.kind == b.kind && (!has_data(a) || a.data == b.data);
}

/* What a rule with this action does to its syscall: stop it (anything but ALLOW
 * and LOG, which let it run). */
static bool denies(sf_action a) { return a.kind != SF_ACT_ALLOW && a.kind != SF_ACT_LOG; }

static const char *action_text(sf_action a, char *buf, size_t size)
{
        if (has_data(a))
                snprintf(buf, size, "%s(%u)", sf_action_name(a.kind), a.data);
        else
                snprintf(buf, size, "%s", sf_action_name(a.kind));
        return buf;
}

/* "a.json", or "profiles.yaml (webapp)" for one SeccompProfile of several. */
static const char *input_label(const sf_profile *p, char *buf, size_t size)
{
        if (p->name)
                snprintf(buf, size, "%s (%s)", p->file, p->name);
        else
                snprintf(buf, size, "%s", p->file);
        return buf;
}

/* ---- the inputs must fit together ---- */

static int check_defaults(const sf_profile *const *in, size_t n, sf_error **err)
{
        bool differ = false;
        for (size_t i = 1; i < n; i++)
                differ |= !same_action(in[i]->default_action, in[0]->default_action);
        if (!differ)
                return 0;
        sf_buf b = { 0 };
        sf_buf_puts(&b, "the inputs have different default actions: ");
        for (size_t i = 0; i < n; i++) {
                char lb[512], ab[64];
                sf_buf_printf(&b, "%s%s has %s", i ? ", " : "", input_label(in[i], lb, sizeof(lb)),
                              action_text(in[i]->default_action, ab, sizeof(ab)));
        }
        sf_buf_puts(&b, "; say which the merge takes (--default-action)");
        int r = b.oom ? sf_error_set(err, ENOMEM, "out of memory") : sf_error_set(err, EINVAL, "%s", b.s);
        sf_buf_release(&b);
        return r;
}

static int check_inputs(const sf_profile *const *in, size_t n, sf_error **err)
{
        char l1[512], l2[512];
        const sf_profile *with_arches = NULL, *with_map = NULL, *listener = NULL, *meta = NULL;
        for (size_t i = 0; i < n; i++) {
                const sf_profile *p = in[i];
                if (p->base_profile_name)
                        return sf_error_set(err, EINVAL,
                                            "%s: builds on baseProfileName \"%s\", whose rules are not in the file; merge the base profile's rules in instead",
                                            input_label(p, l1, sizeof(l1)), p->base_profile_name);
                if (p->n_arches && !with_arches)
                        with_arches = p;
                if (p->n_arch_map && !with_map)
                        with_map = p;
                if (p->listener_path) {
                        if (listener && strcmp(listener->listener_path, p->listener_path) != 0)
                                return sf_error_set(err, EINVAL,
                                                    "%s has listenerPath \"%s\" but %s has \"%s\"; a profile has one",
                                                    input_label(listener, l1, sizeof(l1)), listener->listener_path,
                                                    input_label(p, l2, sizeof(l2)), p->listener_path);
                        listener = p;
                }
                if (p->listener_metadata) {
                        if (meta && strcmp(meta->listener_metadata, p->listener_metadata) != 0)
                                return sf_error_set(err, EINVAL,
                                                    "%s has listenerMetadata \"%s\" but %s has \"%s\"; a profile has one",
                                                    input_label(meta, l1, sizeof(l1)), meta->listener_metadata,
                                                    input_label(p, l2, sizeof(l2)), p->listener_metadata);
                        meta = p;
                }
        }
        /* "architectures" is for every node, "archMap" picks by the node's arch:
         * their union depends on the node. */
        if (with_arches && with_map)
                return sf_error_set(err, EINVAL,
                                    "%s lists \"architectures\" but %s has an \"archMap\"; resolve the inputs for one node first (--arch, as sysfence convert --arch does)",
                                    input_label(with_arches, l1, sizeof(l1)), input_label(with_map, l2, sizeof(l2)));
        return 0;
}

/* ---- architectures ---- */

static void add_arch(sf_arch *v, size_t *n, sf_arch a)
{
        for (size_t i = 0; i < *n; i++)
                if (v[i] == a)
                        return;
        v[(*n)++] = a;
}

static int unite_arches(sf_profile *t, const sf_profile *const *in, size_t n, sf_arena *a)
{
        t->arches = sf_arena_alloc(a, SF_ARCH__COUNT * sizeof(sf_arch));
        t->arch_map = sf_arena_alloc(a, SF_ARCH__COUNT * sizeof(sf_arch_map));
        if (!t->arches || !t->arch_map)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const sf_profile *p = in[i];
                for (size_t k = 0; k < p->n_arches; k++)
                        add_arch(t->arches, &t->n_arches, p->arches[k]);
                for (size_t k = 0; k < p->n_arch_map; k++) {
                        const sf_arch_map *m = &p->arch_map[k];
                        sf_arch_map *dst = NULL;
                        for (size_t j = 0; j < t->n_arch_map && !dst; j++)
                                if (t->arch_map[j].arch == m->arch)
                                        dst = &t->arch_map[j];
                        if (!dst) {
                                dst = &t->arch_map[t->n_arch_map++];
                                dst->arch = m->arch;
                                dst->sub = sf_arena_alloc(a, SF_ARCH__COUNT * sizeof(sf_arch));
                                if (!dst->sub)
                                        return -ENOMEM;
                        }
                        for (size_t s = 0; s < m->n_sub; s++)
                                add_arch(dst->sub, &dst->n_sub, m->sub[s]);
                }
        }
        return 0;
}

/* ---- rules ---- */

/* What a rule does to each of its names, apart from the name: two mentions of a
 * name with equal keys decide alike, so the later one can go. */
static void cond_key(sf_buf *b, const sf_filter_cond *c)
{
        if (!c->present) {
                sf_buf_putc(b, '-');
                return;
        }
        for (size_t i = 0; i < c->n_arches; i++)
                sf_buf_printf(b, "%d,", (int)c->arches[i]);
        sf_buf_printf(b, "/%jx/%u.%u", (uintmax_t)c->caps, c->min_kernel_major, c->min_kernel_minor);
}

static void rule_key(sf_buf *b, const sf_rule *r)
{
        sf_buf_printf(b, "\x1f%d:%u", (int)r->action.kind, has_data(r->action) ? r->action.data : 0);
        for (size_t i = 0; i < r->n_args; i++) {
                const sf_arg *g = &r->args[i];
                sf_buf_printf(b, ";%u,%d,%ju,%ju", g->index, (int)g->op, (uintmax_t)g->value,
                              (uintmax_t)g->value_two);
        }
        sf_buf_puts(b, "|");
        cond_key(b, &r->includes);
        sf_buf_puts(b, "|");
        cond_key(b, &r->excludes);
}

/* Open addressing over the keys seen so far, each with an action; sized once
 * for every name. */
typedef struct key_map {
        const char **keys;
        sf_action *acts;
        const sf_profile **who; /* the input the key came from */
        size_t mask;
} key_map;

static uint64_t hash_str(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ull;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        return h;
}

static int key_map_init(key_map *m, sf_arena *a, size_t n)
{
        size_t cap = 16;
        while (cap < 2 * n + 16)
                cap *= 2;
        m->keys = sf_arena_alloc(a, cap * sizeof(*m->keys));
        m->acts = sf_arena_alloc(a, cap * sizeof(*m->acts));
        m->who = sf_arena_alloc(a, cap * sizeof(*m->who));
        m->mask = cap - 1;
        return m->keys && m->acts && m->who ? 0 : -ENOMEM;
}

/* The slot of key: set, or empty where it would go. */
static size_t key_slot(const key_map *m, const char *key)
{
        size_t i = (size_t)hash_str(key) & m->mask;
        while (m->keys[i] && strcmp(m->keys[i], key) != 0)
                i = (i + 1) & m->mask;
        return i;
}

/* 1: added, 0: already there, -ENOMEM. */
static int key_add(key_map *m, sf_arena *a, const char *key, sf_action act, const sf_profile *who)
{
        size_t i = key_slot(m, key);
        if (m->keys[i])
                return 0;
        m->keys[i] = sf_arena_strdup(a, key);
        m->acts[i] = act;
        m->who[i] = who;
        return m->keys[i] ? 1 : -ENOMEM;
}

static bool key_has(const key_map *m, const char *key) { return m->keys[key_slot(m, key)] != NULL; }

/* Where a rule of the merge came from. */
typedef struct origin {
        const sf_profile *p;
        size_t rule;
} origin;

static bool uses_conditions(const sf_rule *r) { return r->includes.present || r->excludes.present; }

/* ---- denials for some arguments: the complement ---- */

/* A conjunction of conditions, at most one per argument index. */
typedef struct term {
        sf_arg c[SF_PROFILE_MAX_ARGS];
        unsigned n;
} term;

#define MAX_TERMS 64 /* rules the complement of one syscall's denials may take */

/* As the compiler reads the condition (lib/compile/decide.c). */
static bool arg_holds(const sf_arg *c, uint64_t v)
{
        sf_cond k = { .index = (uint8_t)c->index, .op = c->op, .value = c->value };
        if (c->op == SF_OP_MASKED_EQ) {
                k.mask = c->value;
                k.value = c->value_two & c->value;
        }
        return sf_cond_holds(&k, v);
}

/* The conditions one of which holds wherever c does not: one, or for
 * MASKED_EQ one per bit of the mask (that bit differs).  The count, 0 when c
 * always holds (a mask of 0). */
static size_t negate(const sf_arg *c, sf_arg *out)
{
        static const sf_op inverse[] = {
                [SF_OP_NE] = SF_OP_EQ, [SF_OP_EQ] = SF_OP_NE, [SF_OP_LT] = SF_OP_GE,
                [SF_OP_GE] = SF_OP_LT, [SF_OP_LE] = SF_OP_GT, [SF_OP_GT] = SF_OP_LE,
        };
        if (c->op != SF_OP_MASKED_EQ) {
                out[0] = (sf_arg){ .index = c->index, .op = inverse[c->op], .value = c->value, .loc = c->loc };
                return 1;
        }
        size_t n = 0;
        for (int b = 0; b < 64; b++) {
                uint64_t bit = UINT64_C(1) << b;
                if (c->value & bit)
                        out[n++] = (sf_arg){ .index = c->index, .op = SF_OP_MASKED_EQ, .value = bit,
                                             .value_two = (c->value_two & bit) ^ bit, .loc = c->loc };
        }
        return n;
}

/* t AND g, in *out: 1, 0 when it can never hold, -1 when one rule cannot say
 * it (two conditions on one index that neither decides: a repeated index in a
 * rule means OR to the runtimes). */
static int conjoin(const term *t, const sf_arg *g, term *out)
{
        *out = *t;
        for (unsigned i = 0; i < t->n; i++) {
                const sf_arg *c = &t->c[i];
                if (c->index != g->index)
                        continue;
                if (c->op == g->op && c->value == g->value && (c->op != SF_OP_MASKED_EQ || c->value_two == g->value_two))
                        return 1;
                if (c->op == SF_OP_EQ)
                        return arg_holds(g, c->value) ? 1 : 0;
                if (g->op == SF_OP_EQ) {
                        if (!arg_holds(c, g->value))
                                return 0;
                        out->c[i] = *g;
                        return 1;
                }
                return -1;
        }
        out->c[out->n++] = *g;
        return 1;
}

/* The clauses under which rule r denies: its conditions ANDed, or, when an
 * index repeats, each condition alone (what runc, crun and containerd make of
 * it).  Calls fn for each; stops at its first nonzero return. */
static int each_clause(const sf_rule *r, int (*fn)(void *ctx, const sf_arg *c, size_t n), void *ctx)
{
        bool repeats = false;
        for (size_t i = 0; i < r->n_args; i++)
                for (size_t j = 0; j < i; j++)
                        repeats |= r->args[i].index == r->args[j].index;
        if (!repeats)
                return fn(ctx, r->args, r->n_args);
        for (size_t i = 0; i < r->n_args; i++) {
                int e = fn(ctx, &r->args[i], 1);
                if (e)
                        return e;
        }
        return 0;
}

/* The complement being built: the terms whose OR holds wherever no denial does. */
typedef struct complement {
        term *v;
        size_t n;
        bool inexact;  /* some of it could not be said: less is allowed than the allowance asked */
        bool overflow; /* more than MAX_TERMS rules: given up */
} complement;

static int clause_cut(void *ctx, const sf_arg *c, size_t n)
{
        complement *k = ctx;
        sf_arg negs[SF_PROFILE_MAX_ARGS * 64];
        size_t n_negs = 0;
        for (size_t i = 0; i < n; i++)
                n_negs += negate(&c[i], negs + n_negs);
        term next[MAX_TERMS];
        size_t n_next = 0;
        for (size_t t = 0; t < k->n; t++)
                for (size_t g = 0; g < n_negs; g++) {
                        if (n_next == MAX_TERMS) {
                                k->overflow = true;
                                return 1;
                        }
                        int e = conjoin(&k->v[t], &negs[g], &next[n_next]);
                        if (e < 0)
                                k->inexact = true;
                        n_next += e > 0;
                }
        memcpy(k->v, next, n_next * sizeof(*next));
        k->n = n_next;
        return 0;
}

/* Whether input p has an unconditional rule for name with another action than
 * the default: then its argument rules for it never decide (libseccomp). */
static bool unconditional_in(const sf_profile *p, const char *name, sf_action def)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if (r->n_args || same_action(r->action, def))
                        continue;
                for (size_t j = 0; j < r->n_names; j++)
                        if (strcmp(r->names[j], name) == 0)
                                return true;
        }
        return false;
}

/* The arguments for which some input denies name by argument rules, as the
 * complement's terms in k->v (MAX_TERMS of room).  The first such input in
 * *ret_by, NULL when none does. */
static int complement_of(const sf_profile *const *in, size_t n, const char *name, complement *k,
                         const sf_profile **ret_by)
{
        *ret_by = NULL;
        k->n = 1;
        k->v[0].n = 0; /* no denial yet: everything */
        k->inexact = k->overflow = false;
        for (size_t i = 0; i < n && !k->overflow; i++) {
                bool checked = false, live = false;
                for (size_t r = 0; r < in[i]->n_rules && !k->overflow; r++) {
                        const sf_rule *rule = &in[i]->rules[r];
                        /* one with the default action is a no-op to libseccomp, but says
                         * the same: those arguments are denied */
                        if (!rule->n_args || !denies(rule->action))
                                continue;
                        bool named = false;
                        for (size_t j = 0; j < rule->n_names && !named; j++)
                                named = strcmp(rule->names[j], name) == 0;
                        if (!named)
                                continue;
                        if (!checked) {
                                live = !unconditional_in(in[i], name, in[i]->default_action);
                                checked = true;
                        }
                        if (!live)
                                break;
                        if (!*ret_by)
                                *ret_by = in[i];
                        each_clause(rule, clause_cut, k);
                }
        }
        return 0;
}

/* ---- the union ---- */

/* A syscall one input allows and another denies, the denial kept. */
typedef struct held {
        const sf_profile *allower, *denier;
        const char *name;
        bool partly; /* denied for some arguments only */
        bool lost;   /* ...and the rest could not be said: only what the denier allows */
} held;

typedef struct uniter {
        const sf_profile *const *in;
        size_t n;
        sf_profile *t;
        sf_arena *a;
        bool deny_first;
        origin *org;
        key_map seen, first, done; /* done: names whose complement is written */
        sf_rule *extra;            /* the complements' rules, appended at the end */
        origin *extra_org;
        size_t n_extra, cap_extra;
        held *held;
        size_t n_held, cap_held;
} uniter;

static int hold(uniter *u, const sf_profile *allower, const sf_profile *denier, const char *name, bool partly,
                bool lost)
{
        for (size_t i = 0; i < u->n_held; i++)
                if (u->held[i].allower == allower && u->held[i].denier == denier && strcmp(u->held[i].name, name) == 0)
                        return 0;
        if (u->n_held == u->cap_held) {
                size_t cap = u->cap_held ? 2 * u->cap_held : 16;
                held *v = realloc(u->held, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                u->held = v;
                u->cap_held = cap;
        }
        u->held[u->n_held++] = (held){ allower, denier, name, partly, lost };
        return 0;
}

/* Allows name where no input's argument rules deny it, for the allowing rule
 * src (unconditional) of input p, rule k.  1: done so (or held), 0: nothing
 * denies name by arguments, the allowance goes in as it is. */
static int allow_around(uniter *u, const sf_profile *p, size_t k, const sf_rule *src, size_t j)
{
        const char *name = src->names[j];
        term v[MAX_TERMS];
        complement c = { .v = v };
        const sf_profile *by;
        complement_of(u->in, u->n, name, &c, &by);
        if (!by)
                return 0;
        if (key_has(&u->done, name))
                return 1; /* an earlier allowance wrote it */
        if (key_add(&u->done, u->a, name, src->action, p) < 0)
                return -ENOMEM;
        size_t n_terms = c.overflow ? 0 : c.n;
        if (u->n_extra + n_terms > u->cap_extra) {
                size_t cap = 2 * (u->n_extra + n_terms) + 16;
                sf_rule *e = realloc(u->extra, cap * sizeof(*e));
                if (!e)
                        return -ENOMEM;
                u->extra = e;
                origin *o = realloc(u->extra_org, cap * sizeof(*o));
                if (!o)
                        return -ENOMEM;
                u->extra_org = o;
                u->cap_extra = cap;
        }
        for (size_t i = 0; i < n_terms; i++) {
                sf_rule *r = &u->extra[u->n_extra];
                *r = *src;
                r->comment = NULL;
                r->names = sf_arena_alloc(u->a, sizeof(char *));
                r->name_locs = sf_arena_alloc(u->a, sizeof(sf_loc));
                r->args = sf_arena_alloc(u->a, c.v[i].n * sizeof(sf_arg) + 1);
                if (!r->names || !r->name_locs || !r->args)
                        return -ENOMEM;
                r->names[0] = name;
                r->name_locs[0] = src->name_locs[j];
                r->n_names = 1;
                memcpy(r->args, c.v[i].c, c.v[i].n * sizeof(sf_arg));
                r->n_args = c.v[i].n;
                u->extra_org[u->n_extra++] = (origin){ .p = p, .rule = k };
        }
        return hold(u, p, by, name, true, c.overflow || c.inexact) < 0 ? -ENOMEM : 1;
}

/* One name of rule src (input p, rule k) into the merge's rule dst: 0, or -ENOMEM. */
static int unite_name(uniter *u, const sf_profile *p, size_t k, const sf_rule *src, size_t j, sf_rule *dst,
                      sf_buf *key, const sf_buf *tail)
{
        const char *name = src->names[j];
        sf_action def = u->t->default_action;
        bool decides = !src->n_args && (!same_action(src->action, def) || (u->deny_first && denies(src->action)));
        /* Of two unconditional rules the first wins (libseccomp): a later one
         * with another action never decides.  Left in, it would make the merge
         * fail sysfence check. */
        if (decides) {
                size_t f = key_slot(&u->first, name);
                if (u->first.keys[f] && !same_action(u->first.acts[f], src->action)) {
                        if (u->deny_first && !denies(src->action) && denies(u->first.acts[f]) &&
                            u->first.who[f] != p && hold(u, p, u->first.who[f], name, false, false) < 0)
                                return -ENOMEM;
                        return 0;
                }
                if (u->deny_first && !denies(src->action) && !uses_conditions(src)) {
                        int e = allow_around(u, p, k, src, j);
                        if (e != 0)
                                return e < 0 ? e : 0;
                }
                if (!uses_conditions(src) && key_add(&u->first, u->a, name, src->action, p) < 0)
                        return -ENOMEM;
        } else if (u->deny_first && src->n_args && !denies(src->action)) {
                /* argument rules allowing what another input denies outright: lost */
                size_t f = key_slot(&u->first, name);
                if (u->first.keys[f] && denies(u->first.acts[f]) && u->first.who[f] != p &&
                    hold(u, p, u->first.who[f], name, false, false) < 0)
                        return -ENOMEM;
        }
        sf_buf_truncate(key, 0);
        sf_buf_puts(key, name);
        sf_buf_add(key, tail->s ? tail->s : "", tail->len);
        if (key->oom || tail->oom)
                return -ENOMEM;
        int added = key_add(&u->seen, u->a, key->s, src->action, p);
        if (added < 0)
                return added;
        if (added) {
                dst->names[dst->n_names] = name;
                dst->name_locs[dst->n_names++] = src->name_locs[j];
        }
        return 0;
}

/* Whether an earlier rule of p than rule k gives name another action without
 * arguments: p's own order decides between them (libseccomp keeps the first),
 * so rule k's denial does not move ahead of it. */
static bool decided_earlier(const sf_profile *p, size_t k, const char *name)
{
        const sf_rule *late = &p->rules[k];
        for (size_t i = 0; i < k; i++) {
                const sf_rule *r = &p->rules[i];
                if (r->n_args || same_action(r->action, late->action) || same_action(r->action, p->default_action))
                        continue;
                for (size_t j = 0; j < r->n_names; j++)
                        if (strcmp(r->names[j], name) == 0)
                                return true;
        }
        return false;
}

static int unite_rules(uniter *u)
{
        const sf_profile *const *in = u->in;
        sf_profile *t = u->t;
        size_t n_rules = 0, n_names = 0;
        for (size_t i = 0; i < u->n; i++) {
                n_rules += in[i]->n_rules;
                for (size_t k = 0; k < in[i]->n_rules; k++)
                        n_names += in[i]->rules[k].n_names;
        }
        /* seen: every (name, what the rule does) so far; first: for each name, the
         * action of the first unconditional rule that applies on every node */
        t->rules = sf_arena_alloc(u->a, (n_rules + 1) * sizeof(sf_rule));
        u->org = sf_arena_alloc(u->a, (n_rules + 1) * sizeof(origin));
        if (key_map_init(&u->seen, u->a, n_names) < 0 || key_map_init(&u->first, u->a, n_names) < 0 ||
            key_map_init(&u->done, u->a, n_names) < 0 || !t->rules || !u->org)
                return -ENOMEM;

        sf_buf key = { 0 }, tail = { 0 };
        int r = 0;
        /* the unconditional denials of every input first, when they win */
        for (int pass = u->deny_first ? 0 : 1; pass < 2 && r == 0; pass++)
                for (size_t i = 0; i < u->n && r == 0; i++)
                        for (size_t k = 0; k < in[i]->n_rules && r == 0; k++) {
                                const sf_rule *src = &in[i]->rules[k];
                                bool denial = !src->n_args && denies(src->action);
                                if (u->deny_first && pass == 0 && !denial)
                                        continue;
                                sf_rule *dst = &t->rules[t->n_rules];
                                *dst = *src;
                                dst->names = sf_arena_alloc(u->a, (src->n_names + 1) * sizeof(char *));
                                dst->name_locs = sf_arena_alloc(u->a, (src->n_names + 1) * sizeof(sf_loc));
                                if (!dst->names || !dst->name_locs) {
                                        r = -ENOMEM;
                                        break;
                                }
                                dst->n_names = 0;
                                sf_buf_truncate(&tail, 0);
                                rule_key(&tail, src);
                                for (size_t j = 0; j < src->n_names && r == 0; j++) {
                                        /* a denial goes first, unless its own input decides
                                         * the name by an earlier rule */
                                        if (u->deny_first && denial &&
                                            (pass == 0) == decided_earlier(in[i], k, src->names[j]))
                                                continue;
                                        r = unite_name(u, in[i], k, src, j, dst, &key, &tail);
                                }
                                /* a rule without names decides nothing */
                                if (dst->n_names) {
                                        u->org[t->n_rules] = (origin){ .p = in[i], .rule = k };
                                        t->n_rules++;
                                }
                        }
        sf_buf_release(&key);
        sf_buf_release(&tail);
        if (r < 0 || !u->n_extra)
                return r;
        /* the complements after every rule: conditional, their place decides nothing */
        sf_rule *all = sf_arena_alloc(u->a, (t->n_rules + u->n_extra) * sizeof(sf_rule));
        origin *org = sf_arena_alloc(u->a, (t->n_rules + u->n_extra) * sizeof(origin));
        if (!all || !org)
                return -ENOMEM;
        memcpy(all, t->rules, t->n_rules * sizeof(sf_rule));
        memcpy(all + t->n_rules, u->extra, u->n_extra * sizeof(sf_rule));
        memcpy(org, u->org, t->n_rules * sizeof(origin));
        memcpy(org + t->n_rules, u->extra_org, u->n_extra * sizeof(origin));
        t->rules = all;
        u->org = org;
        t->n_rules += u->n_extra;
        return 0;
}

/* One warning per input whose allowances another input's denials held back. */
static void report_held(const uniter *u, sf_diags *diags)
{
        for (size_t i = 0; i < u->n_held; i++) {
                const held *h = &u->held[i];
                bool first = true;
                for (size_t j = 0; j < i && first; j++)
                        first = u->held[j].allower != h->allower || u->held[j].denier != h->denier;
                if (!first)
                        continue;
                sf_buf b = { 0 };
                size_t count = 0;
                for (size_t j = i; j < u->n_held; j++) {
                        const held *g = &u->held[j];
                        if (g->allower != h->allower || g->denier != h->denier)
                                continue;
                        sf_buf_printf(&b, "%s%s%s", count++ ? ", " : "", g->name,
                                      g->lost ? " (only as the baseline allows it)"
                                              : g->partly ? " (for the arguments it denies)" : "");
                }
                char la[512], lb[512];
                if (!b.oom)
                        sf_diags_add(diags, SF_SEV_WARNING, "merge-denied", h->allower->file, NULL, 0, 0,
                                     "a merge never widens a denial; --prefer recorded lets the first input win",
                                     "%zu syscall%s allowed in %s %s denied in %s and stay%s denied: %s", count,
                                     count == 1 ? "" : "s", input_label(h->allower, la, sizeof(la)),
                                     count == 1 ? "is" : "are", input_label(h->denier, lb, sizeof(lb)),
                                     count == 1 ? "s" : "", b.s);
                sf_buf_release(&b);
        }
}

/* ---- the check: compile both sides ---- */

typedef struct conflict {
        const sf_profile *loser, *winner;
        size_t win_rule;
        const char *name;
        sf_action lose_act, win_act;
        bool lose_conditional;
        int lose_rule, lose_name;  /* -1: not found */
        unsigned arches;           /* bit per sf_arch */
} conflict;

typedef struct checker {
        const sf_profile *merged;
        const sf_prog *pm;
        const origin *org;
        const uniter *u;
        conflict *v;
        size_t n, cap;
} checker;

static int add_conflict(checker *c, const conflict *k, sf_arch arch)
{
        for (size_t i = 0; i < c->n; i++) {
                conflict *e = &c->v[i];
                if (e->loser == k->loser && e->winner == k->winner && e->win_rule == k->win_rule &&
                    e->lose_conditional == k->lose_conditional && strcmp(e->name, k->name) == 0) {
                        e->arches |= 1u << arch;
                        return 0;
                }
        }
        if (c->n == c->cap) {
                size_t cap = c->cap ? 2 * c->cap : 16;
                conflict *v = realloc(c->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                c->v = v;
                c->cap = cap;
        }
        c->v[c->n] = *k;
        c->v[c->n++].arches = 1u << arch;
        return 0;
}

/* The first rule of p that names `name` with arguments, for a warning's spot. */
static int find_arg_rule(const sf_profile *p, const char *name, int *ret_name)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if (!r->n_args || same_action(r->action, p->default_action))
                        continue;
                for (size_t j = 0; j < r->n_names; j++)
                        if (strcmp(r->names[j], name) == 0) {
                                *ret_name = (int)j;
                                return (int)i;
                        }
        }
        *ret_name = -1;
        return -1;
}

/* Whether x's allowance of name was held back by another input's denial. */
static bool is_held(const uniter *u, const sf_profile *x, const char *name)
{
        for (size_t i = 0; i < u->n_held; i++)
                if (u->held[i].allower == x && strcmp(u->held[i].name, name) == 0)
                        return true;
        return false;
}

/* One input against the merge, on every syscall of every arch it filters. */
static int check_input(checker *c, const sf_profile *x, const sf_prog *px, sf_error **err)
{
        static const uint64_t zero[6];
        for (size_t ai = 0; ai < px->n_arches; ai++) {
                sf_arch arch = px->arches[ai];
                uint32_t audit = sf_arch_audit(arch);
                size_t count = sf_syscall_count(arch);
                for (size_t i = 0; i < count; i++) {
                        int nr;
                        const char *name;
                        if (!sf_syscall_at(arch, i, &nr, &name))
                                continue;
                        sf_verdict vx, vm;
                        if (sf_prog_lookup(px, audit, (uint32_t)nr, zero, &vx) < 0 ||
                            sf_prog_lookup(c->pm, audit, (uint32_t)nr, zero, &vm) < 0)
                                return sf_error_set(err, EINVAL, "internal error: no decision tables");
                        if (vx.bad_arch)
                                continue;
                        if (is_held(c->u, x, name))
                                continue; /* reported apart */
                        const origin *win = !vm.conditional && vm.src.rule >= 0 ? &c->org[vm.src.rule] : NULL;
                        conflict k = { .loser = x, .name = name, .lose_act = vx.action, .win_act = vm.action };
                        if (win) {
                                k.winner = win->p;
                                k.win_rule = win->rule;
                        }
                        if (!vx.conditional && vx.src.rule >= 0) {
                                /* an input's own rule decides, whatever the arguments */
                                if (same_action(vx.action, vm.action) && !vm.conditional)
                                        continue;
                                /* it became the merge's default, which other inputs refine */
                                if (same_action(vx.action, c->merged->default_action))
                                        continue;
                                if (!win || win->p == x) {
                                        char b1[64], b2[64];
                                        return sf_error_set(err, EINVAL,
                                                            "internal error: the merge decides %s on %s as %s%s where %s decides %s",
                                                            name, sf_arch_short_name(arch),
                                                            action_text(vm.action, b1, sizeof(b1)),
                                                            vm.conditional ? " (by its arguments)" : "", x->file,
                                                            action_text(vx.action, b2, sizeof(b2)));
                                }
                                k.lose_rule = vx.src.rule;
                                k.lose_name = vx.src.name;
                        } else if (vx.conditional) {
                                /* an unconditional rule of another input takes the syscall:
                                 * allowing it whatever the arguments is the union; anything
                                 * else loses the input's argument rules */
                                if (!win || win->p == x || vm.action.kind == SF_ACT_ALLOW)
                                        continue;
                                k.lose_conditional = true;
                                k.lose_rule = find_arg_rule(x, name, &k.lose_name);
                        } else {
                                continue; /* the input's default: nothing to keep */
                        }
                        if (add_conflict(c, &k, arch) < 0)
                                return sf_error_set(err, ENOMEM, "out of memory");
                }
        }
        return 0;
}

static void report_conflict(const conflict *k, sf_diags *diags)
{
        char arches[256] = "", la[64], wa[64], wl[512], path[128] = "";
        size_t len = 0;
        for (int a = 1; a < SF_ARCH__COUNT; a++)
                if (k->arches & (1u << a))
                        len += (size_t)snprintf(arches + len, sizeof(arches) - len, "%s%s", len ? ", " : "",
                                                sf_arch_short_name((sf_arch)a));
        /* the winning rule's spot, from its name in the input */
        const sf_rule *wr = &k->winner->rules[k->win_rule];
        unsigned wline = wr->loc.line;
        for (size_t j = 0; j < wr->n_names; j++)
                if (strcmp(wr->names[j], k->name) == 0 && wr->name_locs[j].line) {
                        wline = wr->name_locs[j].line;
                        break;
                }
        input_label(k->winner, wl, sizeof(wl));
        if (wline)
                snprintf(wl + strlen(wl), sizeof(wl) - strlen(wl), ":%u", wline);
        unsigned line = 0, col = 0;
        if (k->lose_rule >= 0 && k->lose_name >= 0) {
                const sf_rule *lr = &k->loser->rules[k->lose_rule];
                sf_rule_name_path(lr, (size_t)k->lose_name, path, sizeof(path));
                line = lr->name_locs[k->lose_name].line;
                col = lr->name_locs[k->lose_name].col;
        }
        if (k->lose_conditional)
                sf_diags_add(diags, SF_SEV_WARNING, "merge-conflict", k->loser->file, path, line, col,
                             "an unconditional rule beats argument rules whatever the order",
                             "the argument rules for \"%s\" are lost in the merge: %s gives it %s unconditionally (%s)",
                             k->name, wl, action_text(k->win_act, wa, sizeof(wa)), arches);
        else
                sf_diags_add(diags, SF_SEV_WARNING, "merge-conflict", k->loser->file, path, line, col,
                             "of two unconditional rules the first wins; reorder the inputs to change it",
                             "\"%s\" is %s here but %s in %s, which comes first in the merge and wins (%s)", k->name,
                             action_text(k->lose_act, la, sizeof(la)), action_text(k->win_act, wa, sizeof(wa)), wl,
                             arches);
}

static int check_merge(const sf_profile *const *in, size_t n, const sf_profile *merged, const uniter *u,
                       const sf_target *target, sf_diags *diags, sf_error **err)
{
        sf_compile_opts co = { 0 };
        if (target)
                co.target = *target;
        else
                sf_target_default(&co.target);
        sf_prog *pm = NULL;
        int r = sf_compile(merged, &co, &pm, NULL, err);
        if (r < 0)
                return r;
        checker c = { .merged = merged, .pm = pm, .org = u->org, .u = u };
        for (size_t i = 0; i < n && r == 0; i++) {
                sf_prog *px = NULL;
                r = sf_compile(in[i], &co, &px, NULL, err);
                if (r == 0)
                        r = check_input(&c, in[i], px, err);
                sf_prog_free(px);
        }
        if (r == 0)
                report_held(u, diags);
        for (size_t i = 0; r == 0 && i < c.n; i++)
                report_conflict(&c.v[i], diags);
        free(c.v);
        sf_prog_free(pm);
        return r;
}

/* ---- the merge ---- */

SF_EXPORT int sf_profile_merge(sf_profile *const *inputs, size_t n_inputs, const sf_merge_opts *opts,
                               sf_profile **ret, sf_diags *diags, sf_error **err)
{
        static const sf_merge_opts no_opts;
        if (!opts)
                opts = &no_opts;
        const char *name = opts->name ? opts->name : "<merged>";
        if (n_inputs == 0)
                return sf_error_set(err, EINVAL, "nothing to merge");

        /* a disabled SeccompProfile is applied nowhere: it adds nothing */
        _cleanup_free_ const sf_profile **in = calloc(n_inputs, sizeof(*in));
        if (!in)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        for (size_t i = 0; i < n_inputs; i++) {
                if (inputs[i]->disabled) {
                        char lb[512];
                        sf_diags_add(diags, SF_SEV_WARNING, "merge-disabled", inputs[i]->file,
                                     inputs[i]->name_loc.path, inputs[i]->name_loc.line, inputs[i]->name_loc.col, NULL,
                                     "%s is disabled; it is left out of the merge",
                                     input_label(inputs[i], lb, sizeof(lb)));
                        continue;
                }
                in[n++] = inputs[i];
        }
        if (n == 0)
                return sf_error_set(err, EINVAL, "every input is disabled: nothing to merge");

        int r = check_inputs(in, n, err);
        if (r < 0)
                return r;
        sf_action def = in[0]->default_action;
        if (opts->default_action)
                def = *opts->default_action;
        else if ((r = check_defaults(in, n, err)) < 0)
                return r;
        if (has_data(def) && def.data > SF_ERRNO_MAX)
                return sf_error_set(err, EINVAL, "errno %u is out of range (0 to %d)", def.data, SF_ERRNO_MAX);

        sf_arena a = { 0 };
        sf_profile t = {
                .file = name,
                .format = SF_FORMAT_DOCKER,
                .default_action = def,
                .default_errno_set = has_data(def),
        };
        uniter u = { .in = in, .n = n, .t = &t, .a = &a, .deny_first = !opts->prefer_first };
        for (size_t i = 0; i < n; i++) {
                t.flags |= in[i]->flags;
                if (!t.listener_path)
                        t.listener_path = in[i]->listener_path;
                if (!t.listener_metadata)
                        t.listener_metadata = in[i]->listener_metadata;
        }
        _cleanup_free_ char *text = NULL;
        sf_profile **v = NULL;
        size_t nv = 0;
        if (unite_arches(&t, in, n, &a) < 0 || unite_rules(&u) < 0) {
                r = sf_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        if ((r = sf_profile_emit(&t, SF_FORMAT_DOCKER, &text, err)) < 0)
                goto out;
        /* Read back: the merge then owns its storage, and the loader's limits hold.
         * The loader picks the syntax by the name: this one says JSON. */
        r = sf_profile_load_data(text, strlen(text), "<merged>.json", NULL, &v, &nv, NULL, err);
        if (r < 0) {
                sf_error_wrap(err, "%s", name);
                goto out;
        }
        if (nv != 1 || v[0]->n_rules != t.n_rules) {
                r = sf_error_set(err, EINVAL, "internal error: the merged profile did not read back");
                goto out;
        }
        v[0]->file = sf_arena_strdup(profile_arena(v[0]), name);
        if (!v[0]->file) {
                r = sf_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        if ((r = check_merge(in, n, v[0], &u, opts->target, diags, err)) < 0)
                goto out;
        *ret = v[0];
        free(v);
        v = NULL;
        nv = 0;
out:
        free(u.extra);
        free(u.extra_org);
        free(u.held);
        sf_profiles_free(v, nv);
        sf_arena_release(&a);
        return r;
}
