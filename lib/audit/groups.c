/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp records counted by what a reader asks about them: the command, the
 * arch, the syscall, the action the filter took and the pod's container they
 * came from ("sysfence audit"'s table).  An open-addressing hash over the
 * groups, at most 3/4 full so a probe always ends; beyond max groups, records
 * are only counted (a hostile log cannot make it grow without bound). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfence/audit.h"
#include "util/util.h"

struct sf_audit_groups {
        sf_audit_group *v;
        size_t n, cap, max;
        size_t *slots;
        size_t nslots;
        uint64_t ungrouped;
};

static const char *s0(const char *s) { return s ? s : ""; }

static bool origin_eq(const sf_audit_origin *a, const sf_audit_origin *b)
{
        return strcmp(s0(a->pod), s0(b->pod)) == 0 && strcmp(s0(a->pod_ns), s0(b->pod_ns)) == 0 &&
               strcmp(s0(a->container), s0(b->container)) == 0;
}

static uint64_t group_hash(const char *comm, uint32_t audit_arch, sf_arch arch, long nr, uint32_t action,
                           const sf_audit_origin *o)
{
        uint64_t h = 1469598103934665603ULL;
        const char *parts[3] = { s0(o->pod), s0(o->pod_ns), s0(o->container) };
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
                for (const unsigned char *p = (const unsigned char *)parts[i];; p++) {
                        h = (h ^ *p) * 1099511628211ULL;
                        if (!*p)
                                break;
                }
        for (const unsigned char *p = (const unsigned char *)comm; *p; p++)
                h = (h ^ *p) * 1099511628211ULL;
        uint64_t k[4] = { audit_arch, (uint64_t)arch, (uint64_t)nr, action };
        for (size_t i = 0; i < ARRAY_SIZE(k); i++)
                h = (h ^ k[i]) * 1099511628211ULL;
        return h;
}

static bool group_is(const sf_audit_group *g, const sf_audit_record *r, uint32_t action, const sf_audit_origin *o)
{
        return g->audit_arch == r->audit_arch && g->arch == r->arch && g->nr == r->syscall && g->action == action &&
               strcmp(g->comm, r->comm) == 0 && origin_eq(&g->o, o);
}

static bool grow_slots(sf_audit_groups *s)
{
        size_t ns = s->nslots ? s->nslots * 2 : 1024;
        size_t *slots = malloc(ns * sizeof(*slots));
        if (!slots)
                return false;
        for (size_t i = 0; i < ns; i++)
                slots[i] = SIZE_MAX;
        for (size_t i = 0; i < s->n; i++) {
                const sf_audit_group *g = &s->v[i];
                size_t h = (size_t)group_hash(g->comm, g->audit_arch, g->arch, g->nr, g->action, &g->o) & (ns - 1);
                while (slots[h] != SIZE_MAX)
                        h = (h + 1) & (ns - 1);
                slots[h] = i;
        }
        free(s->slots);
        s->slots = slots;
        s->nslots = ns;
        return true;
}

SF_EXPORT int sf_audit_groups_new(size_t max, sf_audit_groups **ret, sf_error **err)
{
        sf_audit_groups *g = calloc(1, sizeof(*g));
        if (!g)
                return sf_error_set(err, ENOMEM, "out of memory");
        g->max = max;
        *ret = g;
        return 0;
}

SF_EXPORT int sf_audit_groups_add(sf_audit_groups *s, const sf_audit_record *r, const sf_audit_origin *o)
{
        int ret = 1;
        uint32_t action = r->code & 0xffff0000U;
        if (s->n * 4 >= s->nslots * 3 && s->n < s->max && !grow_slots(s))
                ret = -ENOMEM;
        if (s->nslots == 0) {
                s->ungrouped++;
                return ret < 0 ? ret : 0;
        }
        size_t mask = s->nslots - 1;
        size_t h = (size_t)group_hash(r->comm, r->audit_arch, r->arch, r->syscall, action, o) & mask;
        while (s->slots[h] != SIZE_MAX) {
                sf_audit_group *g = &s->v[s->slots[h]];
                if (group_is(g, r, action, o)) {
                        g->count++;
                        return ret;
                }
                h = (h + 1) & mask;
        }
        if (s->n >= s->max || s->n * 4 >= s->nslots * 3) {
                s->ungrouped++;
                return ret < 0 ? ret : 0;
        }
        if (s->n == s->cap) {
                size_t nc = s->cap ? s->cap * 2 : 64;
                sf_audit_group *nv = realloc(s->v, nc * sizeof(*nv));
                if (!nv) {
                        s->ungrouped++;
                        return -ENOMEM;
                }
                s->v = nv;
                s->cap = nc;
        }
        sf_audit_group *g = &s->v[s->n];
        memset(g, 0, sizeof(*g));
        snprintf(g->comm, sizeof(g->comm), "%s", r->comm);
        g->audit_arch = r->audit_arch;
        g->arch = r->arch;
        g->nr = r->syscall;
        g->name = r->syscall_name;
        g->action = action;
        g->o = *o;
        g->count = 1;
        s->slots[h] = s->n++;
        return ret;
}

/* Most records first; then by syscall name (named before numbered), comm,
 * arch and action, so the order never depends on the input's. */
static int cmp_group(const void *a, const void *b)
{
        const sf_audit_group *x = a, *y = b;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        if (x->name && y->name) {
                int c = strcmp(x->name, y->name);
                if (c)
                        return c;
        } else if (x->name || y->name) {
                return x->name ? -1 : 1;
        } else if (x->nr != y->nr) {
                return x->nr < y->nr ? -1 : 1;
        }
        int c = strcmp(x->comm, y->comm);
        if (c)
                return c;
        if (x->arch != y->arch)
                return x->arch < y->arch ? -1 : 1;
        if (x->audit_arch != y->audit_arch)
                return x->audit_arch < y->audit_arch ? -1 : 1;
        return x->action < y->action ? -1 : x->action > y->action;
}

SF_EXPORT void sf_audit_groups_sort(sf_audit_groups *s)
{
        /* the hash no longer finds them: sorted is for reading out */
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(*s->v), cmp_group);
        free(s->slots);
        s->slots = NULL;
        s->nslots = 0;
        s->max = 0;
}

SF_EXPORT const sf_audit_group *sf_audit_groups_get(const sf_audit_groups *s, size_t *ret_n,
                                                     uint64_t *ret_ungrouped)
{
        *ret_n = s->n;
        if (ret_ungrouped)
                *ret_ungrouped = s->ungrouped;
        return s->v;
}

SF_EXPORT void sf_audit_groups_free(sf_audit_groups *s)
{
        if (!s)
                return;
        free(s->v);
        free(s->slots);
        free(s);
}
