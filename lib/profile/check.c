/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Semantic checks: what loads fine but does not do what its author thinks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "profile/profile-internal.h"
#include "sysfence/bpf.h"

static void add(sf_diags *d, const sf_profile *p, sf_severity sev, const char *id, const sf_loc *loc,
                const char *path, const char *hint, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static void add(sf_diags *d, const sf_profile *p, sf_severity sev, const char *id, const sf_loc *loc,
                const char *path, const char *hint, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(d, sev, id, p->file, path ? path : loc ? loc->path : "", loc ? loc->line : 0,
                      loc ? loc->col : 0, hint, fmt, ap);
        va_end(ap);
}

static bool same_action(sf_action a, sf_action b)
{
        if (a.kind != b.kind)
                return false;
        return (a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == b.data;
}

static const char *action_text(sf_action a, char *buf, size_t size)
{
        if (a.kind == SF_ACT_ERRNO || a.kind == SF_ACT_TRACE)
                snprintf(buf, size, "%s(%u)", sf_action_name(a.kind), a.data);
        else
                snprintf(buf, size, "%s", sf_action_name(a.kind));
        return buf;
}

static bool arch_in(const sf_arch *v, size_t n, sf_arch a)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == a)
                        return true;
        return false;
}

static unsigned kver(unsigned maj, unsigned min) { return maj * 100000 + min; }

/* Whether some node (arch, caps, kernel) keeps both rules. */
static bool can_coexist(const sf_rule *a, const sf_rule *b)
{
        for (int arch = 1; arch < SF_ARCH__COUNT; arch++) {
                bool ok = true;
                const sf_rule *rs[2] = { a, b };
                for (int k = 0; k < 2 && ok; k++) {
                        const sf_rule *r = rs[k];
                        if (r->includes.n_arches && !arch_in(r->includes.arches, r->includes.n_arches, (sf_arch)arch))
                                ok = false;
                        if (r->excludes.n_arches && arch_in(r->excludes.arches, r->excludes.n_arches, (sf_arch)arch))
                                ok = false;
                }
                if (!ok)
                        continue;
                if ((a->includes.caps | b->includes.caps) & (a->excludes.caps | b->excludes.caps))
                        return false;
                unsigned lo = 0, hi = ~0u;
                for (int k = 0; k < 2; k++) {
                        const sf_rule *r = rs[k];
                        unsigned inc = kver(r->includes.min_kernel_major, r->includes.min_kernel_minor);
                        unsigned exc = kver(r->excludes.min_kernel_major, r->excludes.min_kernel_minor);
                        if (inc > lo)
                                lo = inc;
                        if (exc && exc < hi)
                                hi = exc;
                }
                return lo < hi;
        }
        return false;
}

static bool uses_conditions(const sf_rule *r) { return r->includes.present || r->excludes.present; }

/* ---- names as small ids ----
 * A profile holds up to 65,536 names (a rule may hold them all): the duplicate
 * and conflict checks find a name's earlier occurrences through ids, not by
 * comparing every pair.  Without memory for the index they compare pairs, with
 * the same findings. */

typedef struct ids {
        uint32_t *of;    /* the id of every name, rule after rule */
        size_t *at;      /* per rule: where its names' ids start in `of` */
        size_t n;        /* distinct names */
} ids;

/* Seeded per process (the kernel's AT_RANDOM bytes), so that a profile cannot
 * be made of names that all fall into one slot. */
static uint64_t str_hash(const char *s)
{
        static uint64_t seed;
        if (!seed) {
                const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
                uint64_t v = 0x243F6A8885A308D3ull;
                if (r)
                        memcpy(&v, r + 8, sizeof(v));
                seed = v | 1;
        }
        uint64_t h = seed;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001B3ull;
        h ^= h >> 32;
        h *= 0xD6E8FEB86659FD93ull;
        return h ^ h >> 32;
}

static size_t pow2_above(size_t n)
{
        size_t c = 16;
        while (c < 2 * n)
                c *= 2;
        return c;
}

/* Fills *ret with an id for every name of every rule; false when out of memory. */
static bool ids_build(const sf_profile *p, ids *ret)
{
        size_t total = 0;
        for (size_t i = 0; i < p->n_rules; i++)
                total += p->rules[i].n_names;
        size_t cap = pow2_above(total);
        const char **slot = calloc(cap, sizeof(*slot));
        uint32_t *slot_id = malloc(cap * sizeof(*slot_id));
        uint32_t *of = malloc((total ? total : 1) * sizeof(*of));
        size_t *at = malloc((p->n_rules + 1) * sizeof(*at));
        if (!slot || !slot_id || !of || !at) {
                free(slot);
                free(slot_id);
                free(of);
                free(at);
                return false;
        }
        size_t n = 0, k = 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                at[i] = k;
                for (size_t j = 0; j < p->rules[i].n_names; j++) {
                        const char *name = p->rules[i].names[j];
                        size_t x = (size_t)str_hash(name) & (cap - 1);
                        while (slot[x] && strcmp(slot[x], name) != 0)
                                x = (x + 1) & (cap - 1);
                        if (!slot[x]) {
                                slot[x] = name;
                                slot_id[x] = (uint32_t)n++;
                        }
                        of[k++] = slot_id[x];
                }
        }
        at[p->n_rules] = k;
        free(slot);
        free(slot_id);
        *ret = (ids){ .of = of, .at = at, .n = n };
        return true;
}

static void ids_release(ids *x)
{
        free(x->of);
        free(x->at);
}

/* A set of 64-bit keys (never 0), open addressing; false when out of memory. */
typedef struct keyset {
        uint64_t *v;
        size_t cap;
} keyset;

static bool keyset_init(keyset *k, size_t n)
{
        k->cap = pow2_above(n);
        k->v = calloc(k->cap, sizeof(*k->v));
        return k->v != NULL;
}

/* Adds key; whether it was new. */
static bool keyset_add(keyset *k, uint64_t key)
{
        uint64_t h = key * 0x9E3779B97F4A7C15ull;
        size_t x = (size_t)(h ^ h >> 29) & (k->cap - 1);
        while (k->v[x] && k->v[x] != key)
                x = (x + 1) & (k->cap - 1);
        if (k->v[x])
                return false;
        k->v[x] = key;
        return true;
}

/* An action as same_action() compares them. */
static uint64_t action_key(sf_action a)
{
        uint64_t data = a.kind == SF_ACT_ERRNO || a.kind == SF_ACT_TRACE ? a.data : 0;
        return (uint64_t)(a.kind & 0xff) << 32 | (data & 0xffffffffu);
}

static bool no_cond(const sf_filter_cond *c)
{
        return !c->n_arches && !c->caps && !c->min_kernel_major && !c->min_kernel_minor;
}

/* Whether can_coexist() does not depend on the rule: its includes and excludes
 * restrict nothing. */
static bool restricts_nothing(const sf_rule *r) { return no_cond(&r->includes) && no_cond(&r->excludes); }

/* The arches where rule r applies, a bit each, as can_coexist() tests them. */
static uint64_t arch_bits(const sf_rule *r)
{
        uint64_t m = 0;
        for (int a = 1; a < SF_ARCH__COUNT; a++) {
                if (r->includes.n_arches && !arch_in(r->includes.arches, r->includes.n_arches, (sf_arch)a))
                        continue;
                if (r->excludes.n_arches && arch_in(r->excludes.arches, r->excludes.n_arches, (sf_arch)a))
                        continue;
                m |= UINT64_C(1) << a;
        }
        return m;
}

/* The earlier unconditional rules that give a name an action other than the
 * default, each with the position of the name's first occurrence in it, in
 * rule order, in three lists per name: rules that restrict nothing (only the
 * first for each action: a later one with the same action finds the same
 * conflicts), rules with includes/excludes whose coexistence with a rule that
 * restricts nothing holds (again the first for each action), and the rules
 * with includes/excludes (the first for each action and each set of what
 * can_coexist() reads: arches, caps, kernels). */
enum { L_PLAIN, L_ALONE, L_COND, L__COUNT };

typedef struct entry {
        uint32_t rule, pos, next, id;
        uint64_t arches; /* L_COND: arch_bits() */
        uint64_t action; /* action_key() */
} entry;

#define NONE UINT32_MAX

typedef struct earlier {
        entry *e;
        size_t n;
        uint32_t *head[L__COUNT], *tail[L__COUNT];
        keyset first; /* (list, name id, action) already given its first rule */
        uint32_t *sig; /* L_COND entries by (name id, action, what can_coexist() reads): index + 1 */
        size_t sig_cap;
        uint64_t *cond_action; /* per name id: the action of its L_COND entries, or MIXED */
} earlier;

#define MIXED UINT64_MAX

static uint64_t mix(uint64_t h, uint64_t v)
{
        h = (h ^ v) * 0x9E3779B97F4A7C15ull;
        return h ^ h >> 31;
}

/* Whether an earlier L_COND entry of name id has rule r's action and
 * restrictions (then r finds no conflict it would not); if not, records r's
 * entry x. */
static bool earlier_same_cond(earlier *w, const sf_profile *p, uint32_t id, const sf_rule *r, uint64_t arches,
                              uint32_t x)
{
        const sf_filter_cond *in = &r->includes, *ex = &r->excludes;
        uint64_t h = mix(mix(mix(mix(id, action_key(r->action)), arches), in->caps), ex->caps);
        h = mix(mix(h, kver(in->min_kernel_major, in->min_kernel_minor)), kver(ex->min_kernel_major, ex->min_kernel_minor));
        size_t i = (size_t)h & (w->sig_cap - 1);
        for (; w->sig[i]; i = (i + 1) & (w->sig_cap - 1)) {
                const entry *e = &w->e[w->sig[i] - 1];
                const sf_rule *q = &p->rules[e->rule];
                if (e->id == id && e->arches == arches && same_action(q->action, r->action) &&
                    q->includes.caps == in->caps && q->excludes.caps == ex->caps &&
                    kver(q->includes.min_kernel_major, q->includes.min_kernel_minor) ==
                            kver(in->min_kernel_major, in->min_kernel_minor) &&
                    kver(q->excludes.min_kernel_major, q->excludes.min_kernel_minor) ==
                            kver(ex->min_kernel_major, ex->min_kernel_minor))
                        return true;
        }
        w->sig[i] = x + 1;
        return false;
}

static bool earlier_init(earlier *w, size_t n_ids, size_t n_names)
{
        *w = (earlier){ 0 };
        w->e = malloc((2 * n_names + 1) * sizeof(*w->e));
        bool ok = w->e && keyset_init(&w->first, 2 * n_names + 1);
        w->sig_cap = pow2_above(n_names + 1);
        w->sig = calloc(w->sig_cap, sizeof(*w->sig));
        w->cond_action = malloc((n_ids + 1) * sizeof(*w->cond_action));
        ok = ok && w->sig && w->cond_action;
        for (size_t i = 0; ok && i < n_ids; i++)
                w->cond_action[i] = NONE; /* no entry yet: action keys are below 2^40 */
        for (int l = 0; l < L__COUNT; l++) {
                w->head[l] = malloc((n_ids + 1) * sizeof(uint32_t));
                w->tail[l] = malloc((n_ids + 1) * sizeof(uint32_t));
                ok = ok && w->head[l] && w->tail[l];
                for (size_t i = 0; ok && i < n_ids; i++)
                        w->head[l][i] = w->tail[l][i] = NONE;
        }
        return ok;
}

static void earlier_release(earlier *w)
{
        free(w->e);
        free(w->first.v);
        free(w->sig);
        free(w->cond_action);
        for (int l = 0; l < L__COUNT; l++) {
                free(w->head[l]);
                free(w->tail[l]);
        }
}

static void earlier_push(earlier *w, int l, uint32_t id, uint32_t rule, uint32_t pos, uint64_t arches,
                         sf_action a)
{
        uint32_t x = (uint32_t)w->n++;
        w->e[x] = (entry){ rule, pos, NONE, id, arches, action_key(a) };
        if (l == L_COND)
                w->cond_action[id] = w->cond_action[id] == NONE || w->cond_action[id] == action_key(a) ? action_key(a) : MIXED;
        if (w->tail[l][id] == NONE)
                w->head[l][id] = x;
        else
                w->e[w->tail[l][id]].next = x;
        w->tail[l][id] = x;
}

/* Whether list l of name id gets rule i's action for the first time. */
static bool earlier_first(earlier *w, int l, uint32_t id, sf_action a)
{
        return keyset_add(&w->first, ((uint64_t)l + 1) << 58 | (uint64_t)id << 40 | action_key(a));
}

void sf_profile_check(const sf_profile *p, const sf_load_opts *opts, sf_diags *d)
{
        char b1[64], b2[64], pathbuf[128], hint[256];
        bool strict = opts && opts->strict;
        ids names = { 0 };
        bool have_ids = p->n_rules < UINT32_MAX && ids_build(p, &names);
        /* per name id, the last rule it was seen in: i + 1 while looking for
         * duplicates, UINT32_MAX - i while recording earlier rules (rules are
         * at most SF_PROFILE_MAX_RULES, so the two never meet) */
        uint32_t *in_rule = have_ids ? calloc(names.n + 1, sizeof(*in_rule)) : NULL;
        earlier w = { 0 };
        bool have_earlier = false;
        if (!in_rule && have_ids) {
                ids_release(&names);
                have_ids = false;
        }
        if (have_ids && names.n < (UINT32_C(1) << 18)) {
                have_earlier = earlier_init(&w, names.n, names.at[p->n_rules]);
                if (!have_earlier)
                        earlier_release(&w);
        }

        /* The kernel takes errno values up to 4095, but libseccomp 2.5 refuses 4095
         * (seccomp_init and seccomp_rule_add fail), so runc and crun cannot
         * start the container. */
        if (p->default_action.kind == SF_ACT_ERRNO && p->default_action.data == SF_ERRNO_MAX)
                add(d, p, SF_SEV_WARNING, "errno-4095", &p->default_loc, NULL, "use 4094 or less",
                    "errno 4095: libseccomp refuses it, so runc and crun fail to start the container");
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].action.kind == SF_ACT_ERRNO && p->rules[i].action.data == SF_ERRNO_MAX)
                        add(d, p, SF_SEV_WARNING, "errno-4095", &p->rules[i].loc, NULL, "use 4094 or less",
                            "errno 4095: libseccomp refuses it, so runc and crun fail to start the container");

        /* Unknown names, duplicates in one rule, repeated arg indexes, MASKED_EQ data. */
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                for (size_t j = 0; j < r->n_names; j++) {
                        const char *name = r->names[j];
                        const char *path = sf_rule_name_path(r, j, pathbuf, sizeof(pathbuf));
                        const char *tables = NULL, *since = NULL;
                        if ((since = sf_syscall_newer(name, &tables)) != NULL) {
                                /* a real syscall, too new for the runtimes' tables */
                                add(d, p, SF_SEV_WARNING, "newer-syscall", &r->name_locs[j], path,
                                    "sysfence run and oci-precompile load it by its number",
                                    "syscall \"%s\" (Linux %s) is newer than %s, whose tables runc and crun "
                                    "use: they skip it, so the profile cannot allow it there",
                                    name, since, tables);
                        } else if (!sf_syscall_known(name)) {
                                /* a hint only for the findings that are kept: past the
                                 * limit they are only counted, and a profile can hold
                                 * 65,536 unknown names */
                                bool kept = d && d->n < (d->max ? d->max : 1000);
                                const char *s = kept ? sf_syscall_suggest(name) : NULL;
                                if (s)
                                        snprintf(hint, sizeof(hint), "did you mean \"%s\"?", s);
                                add(d, p, strict ? SF_SEV_ERROR : SF_SEV_WARNING, "unknown-syscall",
                                    &r->name_locs[j], path, s ? hint : NULL,
                                    strict ? "unknown syscall \"%s\"" : "unknown syscall \"%s\" is skipped", name);
                        }
                        bool twice = false;
                        if (have_ids) {
                                uint32_t id = names.of[names.at[i] + j];
                                twice = in_rule[id] == i + 1;
                                in_rule[id] = (uint32_t)i + 1;
                        } else {
                                for (size_t k = 0; k < j && !twice; k++)
                                        twice = strcmp(r->names[k], name) == 0;
                        }
                        if (twice)
                                add(d, p, SF_SEV_WARNING, "duplicate-name", &r->name_locs[j], path, NULL,
                                    "\"%s\" is listed twice in this rule", name);
                }
                for (size_t a = 0; a < r->n_args; a++) {
                        const sf_arg *x = &r->args[a];
                        for (size_t c = 0; c < a; c++)
                                if (r->args[c].index == x->index) {
                                        add(d, p, SF_SEV_WARNING, "repeated-index", &x->loc, NULL,
                                            "runc and crun make each such condition a rule of its own, so they are ORed, not ANDed",
                                            "argument %u is tested twice in this rule", x->index);
                                        break;
                                }
                        if (x->op == SF_OP_MASKED_EQ && (x->value_two & ~x->value)) {
                                snprintf(hint, sizeof(hint), "libseccomp compares (arg & 0x%jx) with 0x%jx",
                                         (uintmax_t)x->value, (uintmax_t)(x->value_two & x->value));
                                add(d, p, SF_SEV_WARNING, "masked-eq-bits", &x->loc, NULL, hint,
                                    "valueTwo 0x%jx has bits outside the mask 0x%jx, so the rule matches more than it reads",
                                    (uintmax_t)x->value_two, (uintmax_t)x->value);
                        }
                }
                if (same_action(r->action, p->default_action) && r->n_names)
                        add(d, p, SF_SEV_WARNING, "no-op-rule", &r->loc, NULL, NULL,
                            "rule has the default action %s and does nothing", action_text(r->action, b1, sizeof(b1)));
                if (r->action.kind == SF_ACT_USER_NOTIF && !p->listener_path)
                        add(d, p, SF_SEV_ERROR, "notify-without-listener", &r->loc, NULL,
                            "set \"listenerPath\" to the agent's socket",
                            "SCMP_ACT_NOTIFY needs a listenerPath: runtimes refuse the profile");
        }
        if (p->default_action.kind == SF_ACT_USER_NOTIF)
                add(d, p, SF_SEV_ERROR, "notify-default", &p->default_loc, NULL, NULL,
                    "SCMP_ACT_NOTIFY cannot be the default action: the runtime's own syscalls would wait on the agent");

        /* Two unconditional rules with different actions for one syscall: libseccomp
         * keeps the first and drops the later, so the result depends on rule order.
         * The earlier rules with includes/excludes of one name are as many as the
         * file makes them: a rule is compared with COND_SCAN_MAX of them at most,
         * and the check says where it stopped (cost linear in the file). */
        enum { COND_SCAN_MAX = 64 };
        const sf_rule *scan_cut = NULL;
        size_t scan_cut_name = 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if (r->n_args || same_action(r->action, p->default_action))
                        continue;
                /* whether r coexists with the rules that restrict nothing */
                static const sf_rule unrestricted;
                bool plain_ok = have_earlier && can_coexist(&unrestricted, r);
                bool r_plain = restricts_nothing(r);
                uint64_t r_arches = arch_bits(r), r_action = action_key(r->action);
                for (size_t j = 0; j < r->n_names; j++) {
                        const char *name = r->names[j];
                        const sf_rule *q = NULL;
                        size_t j2 = 0;
                        if (have_earlier) {
                                uint32_t id = names.of[names.at[i] + j];
                                const entry *best = NULL;
                                if (plain_ok)
                                        for (uint32_t x = w.head[L_PLAIN][id]; x != NONE && !best; x = w.e[x].next)
                                                if (w.e[x].action != r_action)
                                                        best = &w.e[x];
                                /* the first rule of the other list that conflicts, if before best */
                                int l = r_plain ? L_ALONE : L_COND;
                                unsigned seen = 0;
                                /* every earlier entry has r's action: none can conflict */
                                uint32_t from = l == L_COND && w.cond_action[id] == r_action ? NONE : w.head[l][id];
                                for (uint32_t x = from; x != NONE; x = w.e[x].next) {
                                        const entry *e = &w.e[x];
                                        if (best && e->rule > best->rule)
                                                break;
                                        if (++seen > COND_SCAN_MAX) {
                                                if (!scan_cut) {
                                                        scan_cut = r;
                                                        scan_cut_name = j;
                                                }
                                                break;
                                        }
                                        /* can_coexist() needs an arch where both apply */
                                        if (e->action == r_action || (!r_plain && !(e->arches & r_arches)))
                                                continue;
                                        const sf_rule *c = &p->rules[e->rule];
                                        if (r_plain || can_coexist(c, r)) {
                                                best = e;
                                                break;
                                        }
                                }
                                if (best) {
                                        q = &p->rules[best->rule];
                                        j2 = best->pos;
                                }
                        } else {
                                for (size_t i2 = 0; i2 < i && !q; i2++) {
                                        const sf_rule *c = &p->rules[i2];
                                        if (c->n_args || same_action(c->action, r->action) ||
                                            same_action(c->action, p->default_action) || !can_coexist(c, r))
                                                continue;
                                        for (size_t k = 0; k < c->n_names && !q; k++)
                                                if (strcmp(c->names[k], name) == 0) {
                                                        q = c;
                                                        j2 = k;
                                                }
                                }
                        }
                        if (!q)
                                continue;
                        char where[160];
                        snprintf(where, sizeof(where), "%s.names[%zu] at line %u gives %s, which wins", q->loc.path,
                                 j2, q->name_locs[j2].line, action_text(q->action, b2, sizeof(b2)));
                        /* A contradiction in the file is an error; one that arises
                         * only on some nodes (includes/excludes) is a warning. */
                        bool plain = !uses_conditions(q) && !uses_conditions(r);
                        add(d, p, plain ? SF_SEV_ERROR : SF_SEV_WARNING, "conflicting-actions", &r->name_locs[j],
                            sf_rule_name_path(r, j, pathbuf, sizeof(pathbuf)), where,
                            plain ? "\"%s\" gets %s here and a different action earlier; the result depends on rule order"
                                  : "\"%s\" gets %s here and a different action earlier on nodes where both rules apply; this rule is shadowed there",
                            name, action_text(r->action, b1, sizeof(b1)));
                }
                if (!have_earlier)
                        continue;
                /* r is an earlier rule for the rules after it */
                bool alone = !r_plain && can_coexist(r, &unrestricted);
                uint64_t arches = r_plain ? 0 : r_arches;
                for (size_t j = 0; j < r->n_names; j++) {
                        uint32_t id = names.of[names.at[i] + j];
                        if (in_rule[id] == UINT32_MAX - i)
                                continue; /* only its first occurrence in r */
                        in_rule[id] = UINT32_MAX - (uint32_t)i;
                        if (r_plain) {
                                if (earlier_first(&w, L_PLAIN, id, r->action))
                                        earlier_push(&w, L_PLAIN, id, (uint32_t)i, (uint32_t)j, 0, r->action);
                                continue;
                        }
                        if (!earlier_same_cond(&w, p, id, r, arches, (uint32_t)w.n))
                                earlier_push(&w, L_COND, id, (uint32_t)i, (uint32_t)j, arches, r->action);
                        if (alone && earlier_first(&w, L_ALONE, id, r->action))
                                earlier_push(&w, L_ALONE, id, (uint32_t)i, (uint32_t)j, 0, r->action);
                }
        }
        if (scan_cut)
                add(d, p, SF_SEV_WARNING, "conflicts-not-checked", &scan_cut->name_locs[scan_cut_name],
                    sf_rule_name_path(scan_cut, scan_cut_name, pathbuf, sizeof(pathbuf)),
                    "give such rules fewer distinct includes/excludes, or check parts of the file apart",
                    "\"%s\" has more than %d earlier rules with includes/excludes: this rule and those like it were "
                    "compared with the first %d only, so a conflict among the rest is not reported",
                    scan_cut->names[scan_cut_name], COND_SCAN_MAX, COND_SCAN_MAX);
        if (have_earlier)
                earlier_release(&w);
        if (have_ids) {
                ids_release(&names);
                free(in_rule);
        }

        /* The runtime calls execve after it loads the filter. */
        if (p->default_action.kind != SF_ACT_ALLOW && p->default_action.kind != SF_ACT_LOG) {
                bool allowed = false, conditional = false;
                for (size_t i = 0; i < p->n_rules && !allowed; i++) {
                        const sf_rule *r = &p->rules[i];
                        if (r->action.kind != SF_ACT_ALLOW && r->action.kind != SF_ACT_LOG)
                                continue;
                        for (size_t j = 0; j < r->n_names; j++)
                                if (strcmp(r->names[j], "execve") == 0) {
                                        if (r->n_args || uses_conditions(r))
                                                conditional = true;
                                        else
                                                allowed = true;
                                }
                }
                if (!allowed)
                        add(d, p, SF_SEV_WARNING, "execve-denied", &p->default_loc, NULL,
                            "add \"execve\" to an SCMP_ACT_ALLOW rule",
                            conditional ? "execve is allowed only under conditions: the runtime execs the workload after loading the filter, so the container may not start"
                                        : "execve is not allowed: the runtime execs the workload after loading the filter, so the container cannot start");
        }

        /* containerd reads Localhost profiles into the plain OCI struct. */
        size_t n_cond = 0;
        const sf_rule *first = NULL;
        for (size_t i = 0; i < p->n_rules; i++)
                if (uses_conditions(&p->rules[i])) {
                        n_cond++;
                        if (!first)
                                first = &p->rules[i];
                }
        if (p->n_arch_map || n_cond) {
                snprintf(hint, sizeof(hint), "resolve it for the node: sysfence convert %s --to docker --arch %s --caps default",
                         p->file, sf_arch_short_name(sf_arch_native()));
                char what[128];
                if (p->n_arch_map && n_cond)
                        snprintf(what, sizeof(what), "archMap and includes/excludes (%zu rules)", n_cond);
                else if (p->n_arch_map)
                        snprintf(what, sizeof(what), "archMap");
                else
                        snprintf(what, sizeof(what), "includes/excludes (%zu rules)", n_cond);
                const sf_loc *loc = p->n_arch_map ? &p->arch_map[0].loc : &first->loc;
                add(d, p, SF_SEV_WARNING, "containerd-ignores", loc, p->n_arch_map ? "archMap" : NULL, hint,
                    "containerd ignores %s in Localhost profiles: there the rules apply unconditionally", what);
        }
        if (p->base_profile_name)
                add(d, p, SF_SEV_WARNING, "base-profile", NULL, "spec.baseProfileName", NULL,
                    "baseProfileName \"%s\" is resolved by the operator in the cluster; this check covers this profile alone",
                    p->base_profile_name);
}

/* What runc and crun do with the profile on the arches (those a runtime loads
 * when n is 0: this machine's and the profile's): the compiler decides as
 * libseccomp does (lib/compile/tree.c), so its findings about libseccomp are
 * the runtimes' — the rules libseccomp refuses (the container fails to start)
 * or never returns from (it hangs), the 64-bit merge libseccomp < 2.6.1 gets
 * wrong, and the overlapping rules whose winner its rule tree picks.  Each is
 * said once, for the first arch it shows on. */
SF_EXPORT void sf_profile_check_runtimes(const sf_profile *p, const sf_arch *arches, size_t n, sf_diags *d)
{
        static const struct {
                const char *id;
                sf_severity sev;
        } kept[] = {
                { "libseccomp-refuses", SF_SEV_ERROR },
                { "libseccomp-hangs", SF_SEV_ERROR },
                { "libseccomp-64bit-merge", SF_SEV_WARNING },
                { "overlapping-rules", SF_SEV_NOTE },
        };
        sf_compile_opts co = { .arches = arches, .n_arches = n };
        sf_diags cd = { 0 };
        sf_prog *prog = NULL;
        sf_error *err = NULL;
        if (sf_compile(p, &co, &prog, &cd, &err) == 0)
                sf_prog_free(prog);
        sf_error_free(err); /* what keeps it from compiling is compile's to say */
        for (size_t i = 0; i < cd.n; i++) {
                const sf_diag *g = &cd.v[i];
                size_t k = 0;
                while (k < ARRAY_SIZE(kept) && strcmp(g->id, kept[k].id) != 0)
                        k++;
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = cd.v[j].id == g->id && strcmp(cd.v[j].path, g->path) == 0;
                if (k == ARRAY_SIZE(kept) || seen)
                        continue;
                sf_diags_add(d, kept[k].sev, g->id, g->file, g->path, g->line, g->col, g->hint, "%s", g->msg);
        }
        sf_diags_release(&cd);
}
