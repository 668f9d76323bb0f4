/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From a document tree to the profile model: every format, every field, each
 * problem reported with its spot.  Loading checks structure, types and ranges;
 * cross-rule semantics are in check.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/caps.h"
#include "doc/doc.h"
#include "profile/profile-internal.h"

typedef struct loader {
        const char *file;
        sf_diags *diags;
        const sf_load_opts *opts;
        sf_profile *p;
        sf_arena *arena;
        sf_buf path;
        size_t n_names;
        bool json;   /* the runtimes read this text itself with Go's encoding/json */
        bool failed;
} loader;

/* Path helpers: push returns the old length, pop restores it. */
static size_t path_key(loader *l, const char *key)
{
        size_t old = l->path.len;
        if (l->path.len)
                sf_buf_putc(&l->path, '.');
        sf_buf_puts(&l->path, key);
        return old;
}

static size_t path_index(loader *l, size_t i)
{
        /* by hand: printf's machinery cost more than the rest of the walk */
        char tmp[24];
        size_t n = sizeof(tmp);
        tmp[--n] = ']';
        do
                tmp[--n] = (char)('0' + i % 10);
        while ((i /= 10) != 0);
        tmp[--n] = '[';
        size_t old = l->path.len;
        sf_buf_add(&l->path, tmp + n, sizeof(tmp) - n);
        return old;
}

static void path_pop(loader *l, size_t old) { sf_buf_truncate(&l->path, old); }

static const char *cur_path(const loader *l) { return l->path.s ? l->path.s : ""; }

__attribute__((format(printf, 5, 6))) static void report(loader *l, sf_severity sev, const sf_node *at,
                                                          const char *hint, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(l->diags, sev, sev == SF_SEV_ERROR ? "invalid" : "suspicious", l->file, cur_path(l),
                      at ? at->line : 0, at ? at->col : 0, hint, fmt, ap);
        va_end(ap);
        if (sev == SF_SEV_ERROR)
                l->failed = true;
}

#define ERR(l, at, ...) report(l, SF_SEV_ERROR, at, NULL, __VA_ARGS__)

static sf_loc loc_here(loader *l, const sf_node *n)
{
        return (sf_loc){ .line = n->line, .col = n->col, .path = sf_arena_strdup(l->arena, cur_path(l)) };
}

static bool want(loader *l, const sf_node *n, sf_node_kind kind)
{
        if (n->kind == kind)
                return true;
        ERR(l, n, "expected %s %s, found %s", kind == SF_NODE_ARR || kind == SF_NODE_OBJ ? "an" : "a",
            sf_node_kind_name(kind), sf_node_kind_name(n->kind));
        return false;
}

static bool get_string(loader *l, const sf_node *n, const char **ret)
{
        if (!want(l, n, SF_NODE_STR))
                return false;
        *ret = n->str.s;
        return true;
}

static bool get_u64(loader *l, const sf_node *n, uint64_t max, uint64_t *ret)
{
        /* encoding/json refuses "-0" for a uint64 field (every Go runtime reads
         * the profile with it).  In YAML, go-yaml has already made it the int 0
         * when sigs.k8s.io/yaml writes the JSON, so there it is 0. */
        if (l->json && n->kind == SF_NODE_NUM && n->num_is_int && n->num.text[0] == '-' && !n->num_neg &&
            !n->num_overflow) {
                report(l, SF_SEV_ERROR, n, "write 0",
                       "%s is not an unsigned integer: runc, containerd, CRI-O and podman refuse it", n->num.text);
                return false;
        }
        if (n->kind == SF_NODE_NUM && n->num_is_int && !n->num_neg && !n->num_overflow && n->num.mag <= max) {
                *ret = n->num.mag;
                return true;
        }
        if (n->kind != SF_NODE_NUM)
                ERR(l, n, "expected an integer, found %s", sf_node_kind_name(n->kind));
        else if (!n->num_is_int)
                ERR(l, n, "expected an integer, found %s", n->num.text);
        else
                ERR(l, n, "%s is out of range (0 to %ju)", n->num.text, (uintmax_t)max);
        return false;
}

typedef struct field {
        const char *key;
        void (*fn)(loader *l, const sf_node *v, void *ctx);
} field;

/* Calls each known field's handler under its path; warns on unknown ones. */
static void walk_object(loader *l, const sf_node *obj, const field *fields, void *ctx, const char *what)
{
        if (!want(l, obj, SF_NODE_OBJ))
                return;
        for (size_t i = 0; i < obj->obj.n; i++) {
                const sf_member *m = &obj->obj.v[i];
                const field *f = fields;
                while (f->key && strcmp(f->key, m->key) != 0)
                        f++;
                size_t old = path_key(l, m->key);
                if (f->key) {
                        f->fn(l, m->val, ctx);
                } else {
                        /* Suggest the known field closest to the typo. */
                        const char *best = NULL;
                        unsigned bestd = 3;
                        for (const field *g = fields; g->key; g++) {
                                unsigned d = sf_edit_distance(m->key, g->key, 2);
                                if (d < bestd) {
                                        bestd = d;
                                        best = g->key;
                                }
                        }
                        char hint[96];
                        if (best)
                                snprintf(hint, sizeof(hint), "did you mean \"%s\"?", best);
                        sf_diags_add(l->diags, SF_SEV_WARNING, "unknown-field", l->file, cur_path(l), m->line,
                                     m->col, best ? hint : NULL, "unknown field \"%s\" in %s is ignored", m->key,
                                     what);
                }
                path_pop(l, old);
        }
}

/* ---- actions, operators, arches, flags ---- */

static const struct {
        const char *name;
        sf_action_kind kind;
} actions[] = {
        { "SCMP_ACT_KILL", SF_ACT_KILL_THREAD },
        { "SCMP_ACT_KILL_THREAD", SF_ACT_KILL_THREAD },
        { "SCMP_ACT_KILL_PROCESS", SF_ACT_KILL_PROCESS },
        { "SCMP_ACT_TRAP", SF_ACT_TRAP },
        { "SCMP_ACT_ERRNO", SF_ACT_ERRNO },
        { "SCMP_ACT_NOTIFY", SF_ACT_USER_NOTIF },
        { "SCMP_ACT_TRACE", SF_ACT_TRACE },
        { "SCMP_ACT_LOG", SF_ACT_LOG },
        { "SCMP_ACT_ALLOW", SF_ACT_ALLOW },
};

sf_action_kind sf_action_from_name(const char *s, bool *ok)
{
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
                if (strcmp(actions[i].name, s) == 0) {
                        *ok = true;
                        return actions[i].kind;
                }
        *ok = false;
        return SF_ACT_KILL_THREAD;
}

SF_EXPORT const char *sf_action_name(sf_action_kind kind)
{
        switch (kind) {
        case SF_ACT_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
        case SF_ACT_KILL_THREAD: return "SCMP_ACT_KILL";
        case SF_ACT_TRAP: return "SCMP_ACT_TRAP";
        case SF_ACT_ERRNO: return "SCMP_ACT_ERRNO";
        case SF_ACT_USER_NOTIF: return "SCMP_ACT_NOTIFY";
        case SF_ACT_TRACE: return "SCMP_ACT_TRACE";
        case SF_ACT_LOG: return "SCMP_ACT_LOG";
        case SF_ACT_ALLOW: return "SCMP_ACT_ALLOW";
        }
        return "?";
}

static const char *const op_names[] = {
        [SF_OP_NE] = "SCMP_CMP_NE", [SF_OP_LT] = "SCMP_CMP_LT", [SF_OP_LE] = "SCMP_CMP_LE",
        [SF_OP_EQ] = "SCMP_CMP_EQ", [SF_OP_GE] = "SCMP_CMP_GE", [SF_OP_GT] = "SCMP_CMP_GT",
        [SF_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

SF_EXPORT const char *sf_op_name(sf_op op)
{
        return (unsigned)op < ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

static const char *const flag_names[] = {
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

static const char *closest(const char *s, const char *const *names, size_t n, char *hint, size_t size)
{
        const char *best = NULL;
        unsigned bestd = 4;
        for (size_t i = 0; i < n; i++) {
                unsigned d = sf_edit_distance(s, names[i], 3);
                if (d < bestd) {
                        bestd = d;
                        best = names[i];
                }
        }
        if (!best)
                return NULL;
        snprintf(hint, size, "did you mean \"%s\"?", best);
        return hint;
}

static bool parse_action(loader *l, const sf_node *n, sf_action_kind *ret)
{
        const char *s;
        if (!get_string(l, n, &s))
                return false;
        bool ok;
        *ret = sf_action_from_name(s, &ok);
        if (!ok) {
                const char *names[ARRAY_SIZE(actions)];
                for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
                        names[i] = actions[i].name;
                char hint[96];
                report(l, SF_SEV_ERROR, n, closest(s, names, ARRAY_SIZE(names), hint, sizeof(hint)),
                       "unknown action \"%s\"", s);
        }
        return ok;
}

static sf_arch parse_scmp_arch(loader *l, const sf_node *n)
{
        const char *s;
        if (!get_string(l, n, &s))
                return SF_ARCH_NONE;
        sf_arch a = strncmp(s, "SCMP_ARCH_", 10) == 0 ? sf_arch_from_name(s) : SF_ARCH_NONE;
        if (a == SF_ARCH_NONE && sf_arch_from_name(s) != SF_ARCH_NONE) {
                char hint[96];
                snprintf(hint, sizeof(hint), "use \"%s\"", sf_arch_scmp_name(sf_arch_from_name(s)));
                report(l, SF_SEV_ERROR, n, hint, "unknown architecture \"%s\"", s);
                return SF_ARCH_NONE;
        }
        if (a == SF_ARCH_NONE) {
                const char *names[SF_ARCH__COUNT];
                size_t k = 0;
                for (int i = 1; i < SF_ARCH__COUNT; i++)
                        names[k++] = sf_arch_scmp_name((sf_arch)i);
                char hint[96];
                report(l, SF_SEV_ERROR, n, closest(s, names, k, hint, sizeof(hint)), "unknown architecture \"%s\"",
                       s);
        }
        return a;
}

static bool errno_value(loader *l, const sf_node *n, uint32_t *ret)
{
        uint64_t v;
        if (n->kind == SF_NODE_NUM && n->num_is_int && (n->num_neg || n->num_overflow || n->num.mag > SF_ERRNO_MAX)) {
                ERR(l, n, "errno %s is out of range (0 to %d)", n->num.text, SF_ERRNO_MAX);
                return false;
        }
        if (!get_u64(l, n, SF_ERRNO_MAX, &v))
                return false;
        *ret = (uint32_t)v;
        return true;
}

/* ---- top level ---- */

static void f_default_action(loader *l, const sf_node *v, void *ctx)
{
        sf_action_kind k;
        if (parse_action(l, v, &k)) {
                l->p->default_action.kind = k;
                if (k == SF_ACT_ERRNO && !l->p->default_errno_set)
                        l->p->default_action.data = EPERM;
        }
        l->p->default_loc = loc_here(l, v);
        *(bool *)ctx = true;
}

static void f_default_errno_ret(loader *l, const sf_node *v, void *ctx)
{
        uint32_t e;
        if (errno_value(l, v, &e)) {
                l->p->default_action.data = e;
                l->p->default_errno_set = true;
        }
}

/* containers-common's "defaultErrno"/"errno": names that duplicate the numbers. */
static void check_errno_name(loader *l, const sf_node *v, bool have_num, uint32_t num)
{
        const char *s;
        if (!get_string(l, v, &s))
                return;
        int e = sf_errno_from_name(s);
        if (e < 0) {
                const char *sugg = sf_errno_suggest(s);
                char hint[96];
                if (sugg)
                        snprintf(hint, sizeof(hint), "did you mean \"%s\"?", sugg);
                report(l, SF_SEV_ERROR, v, sugg ? hint : NULL, "unknown errno name \"%s\"", s);
        }
        else if (have_num && (uint32_t)e != num)
                report(l, SF_SEV_WARNING, v, NULL, "\"%s\" is %d but the numeric field says %u; the number is used", s,
                       e, num);
}

static void f_default_errno(loader *l, const sf_node *v, void *ctx)
{
        const sf_node *root = ctx;
        check_errno_name(l, v, sf_node_get(root, "defaultErrnoRet") != NULL, l->p->default_action.data);
}

static void f_architectures(loader *l, const sf_node *v, void *ctx)
{
        if (!want(l, v, SF_NODE_ARR))
                return;
        l->p->arches = sf_arena_alloc(l->arena, (v->arr.n + 1) * sizeof(sf_arch));
        for (size_t i = 0; i < v->arr.n; i++) {
                size_t old = path_index(l, i);
                sf_arch a = parse_scmp_arch(l, v->arr.v[i]);
                if (a != SF_ARCH_NONE && l->p->arches)
                        l->p->arches[l->p->n_arches++] = a;
                path_pop(l, old);
        }
}

typedef struct archmap_ctx {
        sf_arch_map *m;
        bool have_arch;
        bool unsupported;
} archmap_ctx;

static void f_am_architecture(loader *l, const sf_node *v, void *ctx)
{
        archmap_ctx *c = ctx;
        c->have_arch = true;
        /* Runtimes use only the entry of the node's own arch, so an entry for an
         * arch libseccomp 2.5 does not know (loongarch64, …) is harmless. */
        if (v->kind == SF_NODE_STR && strncmp(v->str.s, "SCMP_ARCH_", 10) == 0 &&
            sf_arch_from_name(v->str.s) == SF_ARCH_NONE) {
                sf_diags_add(l->diags, SF_SEV_WARNING, "unsupported-arch", l->file, cur_path(l), v->line, v->col, NULL,
                             "architecture \"%s\" is not supported by libseccomp 2.5; this entry is ignored", v->str.s);
                c->unsupported = true;
                return;
        }
        c->m->arch = parse_scmp_arch(l, v);
}

static void f_am_sub(loader *l, const sf_node *v, void *ctx)
{
        archmap_ctx *c = ctx;
        if (v->kind == SF_NODE_NULL)
                return;
        if (!want(l, v, SF_NODE_ARR))
                return;
        c->m->sub = sf_arena_alloc(l->arena, (v->arr.n + 1) * sizeof(sf_arch));
        for (size_t i = 0; i < v->arr.n; i++) {
                size_t old = path_index(l, i);
                sf_arch a = parse_scmp_arch(l, v->arr.v[i]);
                if (a != SF_ARCH_NONE && c->m->sub)
                        c->m->sub[c->m->n_sub++] = a;
                path_pop(l, old);
        }
}

static const field archmap_fields[] = {
        { "architecture", f_am_architecture },
        { "subArchitectures", f_am_sub },
        { NULL, NULL },
};

static void f_arch_map(loader *l, const sf_node *v, void *ctx)
{
        if (!want(l, v, SF_NODE_ARR))
                return;
        l->p->arch_map = sf_arena_alloc(l->arena, (v->arr.n + 1) * sizeof(sf_arch_map));
        if (!l->p->arch_map)
                return;
        for (size_t i = 0; i < v->arr.n; i++) {
                size_t old = path_index(l, i);
                sf_arch_map *m = &l->p->arch_map[l->p->n_arch_map];
                archmap_ctx c = { .m = m };
                m->loc = loc_here(l, v->arr.v[i]);
                walk_object(l, v->arr.v[i], archmap_fields, &c, "an archMap entry");
                if (c.unsupported) {
                        *m = (sf_arch_map){ 0 };
                        path_pop(l, old);
                        continue;
                }
                if (v->arr.v[i]->kind == SF_NODE_OBJ && !c.have_arch)
                        ERR(l, v->arr.v[i], "archMap entry has no \"architecture\"");
                if (m->arch != SF_ARCH_NONE)
                        l->p->n_arch_map++;
                path_pop(l, old);
        }
}

static void f_flags(loader *l, const sf_node *v, void *ctx)
{
        if (!want(l, v, SF_NODE_ARR))
                return;
        for (size_t i = 0; i < v->arr.n; i++) {
                size_t old = path_index(l, i);
                const char *s;
                if (get_string(l, v->arr.v[i], &s)) {
                        size_t k = 0;
                        while (k < ARRAY_SIZE(flag_names) && strcmp(flag_names[k], s) != 0)
                                k++;
                        if (k < ARRAY_SIZE(flag_names)) {
                                l->p->flags |= 1u << k;
                        } else {
                                char hint[96];
                                report(l, SF_SEV_ERROR, v->arr.v[i],
                                       closest(s, flag_names, ARRAY_SIZE(flag_names), hint, sizeof(hint)),
                                       "unknown flag \"%s\"", s);
                        }
                }
                path_pop(l, old);
        }
}

static void f_listener_path(loader *l, const sf_node *v, void *ctx)
{
        get_string(l, v, &l->p->listener_path);
}

static void f_listener_metadata(loader *l, const sf_node *v, void *ctx)
{
        get_string(l, v, &l->p->listener_metadata);
}

/* ---- rules ---- */

typedef struct rule_ctx {
        sf_rule *r;
        const sf_node *names, *name, *action, *errno_ret;
} rule_ctx;

static void f_r_names(loader *l, const sf_node *v, void *ctx)
{
        rule_ctx *c = ctx;
        c->names = v;
        if (!want(l, v, SF_NODE_ARR))
                return;
        sf_rule *r = c->r;
        if (l->n_names + v->arr.n > SF_PROFILE_MAX_NAMES) {
                ERR(l, v, "more than %u syscall names in one profile", SF_PROFILE_MAX_NAMES);
                return;
        }
        r->names = sf_arena_alloc(l->arena, (v->arr.n + 1) * sizeof(char *));
        r->name_locs = sf_arena_alloc(l->arena, (v->arr.n + 1) * sizeof(sf_loc));
        if (!r->names || !r->name_locs)
                return;
        for (size_t i = 0; i < v->arr.n; i++) {
                const sf_node *n = v->arr.v[i];
                if (n->kind != SF_NODE_STR || n->str.len == 0) {
                        size_t old = path_index(l, i);
                        if (n->kind == SF_NODE_STR)
                                ERR(l, n, "empty syscall name");
                        else
                                want(l, n, SF_NODE_STR);
                        path_pop(l, old);
                        continue;
                }
                r->names[r->n_names] = n->str.s;
                r->name_locs[r->n_names] = (sf_loc){ .line = n->line, .col = n->col };
                r->n_names++;
        }
        l->n_names += v->arr.n;
}

static void f_r_name(loader *l, const sf_node *v, void *ctx)
{
        rule_ctx *c = ctx;
        c->name = v;
        const char *s;
        if (!get_string(l, v, &s))
                return;
        if (c->names)
                return; /* reported by the caller: both given */
        c->r->names = sf_arena_alloc(l->arena, sizeof(char *));
        c->r->name_locs = sf_arena_alloc(l->arena, sizeof(sf_loc));
        if (!c->r->names || !c->r->name_locs)
                return;
        c->r->names[0] = s;
        c->r->name_locs[0] = loc_here(l, v);
        c->r->n_names = 1;
        l->n_names++;
}

static void f_r_action(loader *l, const sf_node *v, void *ctx)
{
        rule_ctx *c = ctx;
        c->action = v;
        parse_action(l, v, &c->r->action.kind);
}

static void f_r_errno_ret(loader *l, const sf_node *v, void *ctx)
{
        rule_ctx *c = ctx;
        c->errno_ret = v;
        uint32_t e;
        if (!errno_value(l, v, &e))
                return;
        /* The operator's Go type drops a zero errnoRet (omitempty) when it writes
         * the profile for the node, and the runtime then returns EPERM. */
        if (e == 0 && l->p->format == SF_FORMAT_CRD) {
                report(l, SF_SEV_WARNING, v, "leave errnoRet out, or give the errno meant",
                       "errnoRet 0 is dropped by the Security Profiles Operator (omitempty): the rule returns EPERM (1)");
                return;
        }
        c->r->action.data = e;
        c->r->errno_set = true;
}

static void f_r_errno(loader *l, const sf_node *v, void *ctx)
{
        /* checked after the walk, when errnoRet is known */
}

static void f_r_comment(loader *l, const sf_node *v, void *ctx)
{
        rule_ctx *c = ctx;
        get_string(l, v, &c->r->comment);
}

typedef struct arg_ctx {
        sf_arg *a;
        bool have_index, have_value, have_op, have_two;
} arg_ctx;

static void f_a_index(loader *l, const sf_node *v, void *ctx)
{
        arg_ctx *c = ctx;
        uint64_t x;
        c->have_index = true;
        if (v->kind == SF_NODE_NUM && v->num_is_int && (v->num_neg || v->num_overflow || v->num.mag > 5)) {
                ERR(l, v, "argument index %s is out of range (0 to 5)", v->num.text);
                return;
        }
        if (get_u64(l, v, 5, &x))
                c->a->index = (unsigned)x;
}

static void f_a_value(loader *l, const sf_node *v, void *ctx)
{
        arg_ctx *c = ctx;
        c->have_value = true;
        get_u64(l, v, UINT64_MAX, &c->a->value);
}

static void f_a_value_two(loader *l, const sf_node *v, void *ctx)
{
        arg_ctx *c = ctx;
        c->have_two = true;
        get_u64(l, v, UINT64_MAX, &c->a->value_two);
}

static void f_a_op(loader *l, const sf_node *v, void *ctx)
{
        arg_ctx *c = ctx;
        const char *s;
        c->have_op = true;
        if (!get_string(l, v, &s))
                return;
        for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
                if (strcmp(op_names[i], s) == 0) {
                        c->a->op = (sf_op)i;
                        return;
                }
        char hint[96];
        report(l, SF_SEV_ERROR, v, closest(s, op_names, ARRAY_SIZE(op_names), hint, sizeof(hint)),
               "unknown operator \"%s\"", s);
}

static const field arg_fields[] = {
        { "index", f_a_index },
        { "value", f_a_value },
        { "valueTwo", f_a_value_two },
        { "op", f_a_op },
        { NULL, NULL },
};

static void f_r_args(loader *l, const sf_node *v, void *ctx)
{
        rule_ctx *c = ctx;
        if (v->kind == SF_NODE_NULL)
                return;
        if (!want(l, v, SF_NODE_ARR))
                return;
        if (v->arr.n > SF_PROFILE_MAX_ARGS) {
                ERR(l, v, "%zu argument conditions in one rule, more than the %d a syscall has", v->arr.n,
                    SF_PROFILE_MAX_ARGS);
                return;
        }
        c->r->args = sf_arena_alloc(l->arena, (v->arr.n + 1) * sizeof(sf_arg));
        if (!c->r->args)
                return;
        for (size_t i = 0; i < v->arr.n; i++) {
                size_t old = path_index(l, i);
                sf_arg *a = &c->r->args[c->r->n_args++];
                arg_ctx ac = { .a = a };
                a->loc = loc_here(l, v->arr.v[i]);
                walk_object(l, v->arr.v[i], arg_fields, &ac, "an argument condition");
                if (v->arr.v[i]->kind == SF_NODE_OBJ) {
                        if (!ac.have_index)
                                ERR(l, v->arr.v[i], "argument condition has no \"index\"");
                        if (!ac.have_op)
                                ERR(l, v->arr.v[i], "argument condition has no \"op\"");
                        if (!ac.have_value)
                                ERR(l, v->arr.v[i], "argument condition has no \"value\"");
                }
                path_pop(l, old);
        }
}

typedef struct cond_ctx {
        sf_filter_cond *c;
        bool is_include;
} cond_ctx;

static void f_c_caps(loader *l, const sf_node *v, void *ctx)
{
        cond_ctx *c = ctx;
        if (!want(l, v, SF_NODE_ARR))
                return;
        for (size_t i = 0; i < v->arr.n; i++) {
                size_t old = path_index(l, i);
                const char *s;
                if (get_string(l, v->arr.v[i], &s)) {
                        int cap = sf_cap_from_name(s);
                        if (cap < 0) {
                                const char *sugg = sf_cap_suggest(s);
                                char hint[96];
                                if (sugg)
                                        snprintf(hint, sizeof(hint), "did you mean \"%s\"?", sugg);
                                report(l, SF_SEV_ERROR, v->arr.v[i], sugg ? hint : NULL, "unknown capability \"%s\"",
                                       s);
                        } else {
                                c->c->caps |= UINT64_C(1) << cap;
                                c->c->present = true;
                        }
                }
                path_pop(l, old);
        }
}

static void f_c_arches(loader *l, const sf_node *v, void *ctx)
{
        cond_ctx *c = ctx;
        if (!want(l, v, SF_NODE_ARR))
                return;
        c->c->arches = sf_arena_alloc(l->arena, (v->arr.n + 1) * sizeof(sf_arch));
        if (!c->c->arches)
                return;
        /* Runtimes compare these with Go's GOARCH names, not SCMP_ARCH_*. */
        size_t known = 0;
        for (size_t i = 0; i < v->arr.n; i++)
                if (v->arr.v[i]->kind == SF_NODE_STR && strncmp(v->arr.v[i]->str.s, "SCMP_ARCH_", 10) != 0 &&
                    sf_arch_from_name(v->arr.v[i]->str.s) != SF_ARCH_NONE)
                        known++;
        for (size_t i = 0; i < v->arr.n; i++) {
                size_t old = path_index(l, i);
                const char *s;
                if (get_string(l, v->arr.v[i], &s)) {
                        sf_arch a = strncmp(s, "SCMP_ARCH_", 10) == 0 ? SF_ARCH_NONE : sf_arch_from_name(s);
                        if (a == SF_ARCH_NONE) {
                                sf_arch as = sf_arch_from_name(s);
                                char hint[96];
                                const char *h = NULL;
                                if (as != SF_ARCH_NONE) {
                                        snprintf(hint, sizeof(hint), "use \"%s\" here", sf_arch_short_name(as));
                                        h = hint;
                                } else {
                                        const char *names[SF_ARCH__COUNT];
                                        for (int k = 1; k < SF_ARCH__COUNT; k++)
                                                names[k - 1] = sf_arch_short_name((sf_arch)k);
                                        h = closest(s, names, SF_ARCH__COUNT - 1, hint, sizeof(hint));
                                }
                                /* moby compares the names as strings, so a name no node has matches
                                 * nothing: in excludes it excludes nothing, beside known names in
                                 * includes it changes nothing (Debian's moby 20.10 default.json
                                 * lists "mips3l64n32").  Alone in includes the rule would apply on
                                 * no node, surely not what was meant. */
                                if (as == SF_ARCH_NONE && !c->is_include)
                                        report(l, SF_SEV_WARNING, v->arr.v[i], h,
                                               "unknown architecture \"%s\": it matches no node, so it excludes nothing",
                                               s);
                                else if (as == SF_ARCH_NONE && known > 0)
                                        report(l, SF_SEV_WARNING, v->arr.v[i], h,
                                               "unknown architecture \"%s\": it matches no node (the rule applies on "
                                               "the others listed)",
                                               s);
                                else
                                        report(l, SF_SEV_ERROR, v->arr.v[i], h, "unknown architecture \"%s\"", s);
                        } else {
                                c->c->arches[c->c->n_arches++] = a;
                                c->c->present = true;
                        }
                }
                path_pop(l, old);
        }
}

static void f_c_min_kernel(loader *l, const sf_node *v, void *ctx)
{
        cond_ctx *c = ctx;
        const char *s;
        if (!get_string(l, v, &s))
                return;
        unsigned maj = 0, min = 0;
        int n = 0;
        if (sscanf(s, "%u.%u%n", &maj, &min, &n) != 2 || s[n] != 0 || s[0] < '0' || s[0] > '9' ||
            maj > 1000 || min > 100000) {
                ERR(l, v, "invalid kernel version \"%s\" (expected \"X.Y\", e.g. \"5.8\")", s);
                return;
        }
        c->c->min_kernel_major = maj;
        c->c->min_kernel_minor = min;
        c->c->present = true;
}

static const field cond_fields[] = {
        { "caps", f_c_caps },
        { "arches", f_c_arches },
        { "minKernel", f_c_min_kernel },
        { NULL, NULL },
};

static void f_r_includes(loader *l, const sf_node *v, void *ctx)
{
        rule_ctx *c = ctx;
        cond_ctx cc = { .c = &c->r->includes, .is_include = true };
        walk_object(l, v, cond_fields, &cc, "includes");
}

static void f_r_excludes(loader *l, const sf_node *v, void *ctx)
{
        rule_ctx *c = ctx;
        cond_ctx cc = { .c = &c->r->excludes };
        walk_object(l, v, cond_fields, &cc, "excludes");
}

static const field rule_fields[] = {
        { "names", f_r_names },
        { "name", f_r_name },
        { "action", f_r_action },
        { "errnoRet", f_r_errno_ret },
        { "errno", f_r_errno },
        { "args", f_r_args },
        { "comment", f_r_comment },
        { "includes", f_r_includes },
        { "excludes", f_r_excludes },
        { NULL, NULL },
};

/* The CRD's syscall entries have no includes/excludes/comment. */
static const field crd_rule_fields[] = {
        { "names", f_r_names },
        { "action", f_r_action },
        { "errnoRet", f_r_errno_ret },
        { "args", f_r_args },
        { NULL, NULL },
};

static void load_rule(loader *l, const sf_node *v, sf_rule *r, const field *fields)
{
        rule_ctx c = { .r = r };
        r->loc = loc_here(l, v);
        walk_object(l, v, fields, &c, "a syscall rule");
        if (v->kind != SF_NODE_OBJ)
                return;
        if (c.names && c.name)
                ERR(l, c.name, "\"name\" and \"names\" are both given; use only \"names\"");
        else if (!c.names && !c.name)
                ERR(l, v, "rule has no \"names\"");
        else if (c.names && c.names->kind == SF_NODE_ARR && c.names->arr.n == 0)
                report(l, SF_SEV_WARNING, c.names, NULL, "rule has an empty \"names\" list and matches nothing");
        if (!c.action)
                ERR(l, v, "rule has no \"action\"");
        if (r->action.kind == SF_ACT_ERRNO && !r->errno_set)
                r->action.data = EPERM;
        if (c.errno_ret && r->action.kind != SF_ACT_ERRNO && r->action.kind != SF_ACT_TRACE && c.action) {
                size_t old = path_key(l, "errnoRet");
                sf_diags_add(l->diags, SF_SEV_WARNING, "ignored-field", l->file, cur_path(l), c.errno_ret->line,
                             c.errno_ret->col, NULL, "\"errnoRet\" is ignored with %s", sf_action_name(r->action.kind));
                path_pop(l, old);
        }
        const sf_node *en = sf_node_get(v, "errno");
        if (en) {
                size_t old = path_key(l, "errno");
                check_errno_name(l, en, r->errno_set, r->action.data);
                path_pop(l, old);
        }
}

static void f_syscalls(loader *l, const sf_node *v, void *ctx)
{
        const field *fields = ctx;
        if (v->kind == SF_NODE_NULL)
                return;
        if (!want(l, v, SF_NODE_ARR))
                return;
        if (v->arr.n > SF_PROFILE_MAX_RULES) {
                ERR(l, v, "%zu rules, more than the limit of %u", v->arr.n, SF_PROFILE_MAX_RULES);
                return;
        }
        l->p->rules = sf_arena_alloc(l->arena, (v->arr.n + 1) * sizeof(sf_rule));
        if (!l->p->rules)
                return;
        for (size_t i = 0; i < v->arr.n; i++) {
                size_t old = path_index(l, i);
                load_rule(l, v->arr.v[i], &l->p->rules[l->p->n_rules++], fields);
                path_pop(l, old);
        }
}

static void f_syscalls_docker(loader *l, const sf_node *v, void *ctx) { f_syscalls(l, v, (void *)rule_fields); }
static void f_syscalls_crd(loader *l, const sf_node *v, void *ctx) { f_syscalls(l, v, (void *)crd_rule_fields); }

static const field docker_fields[] = {
        { "defaultAction", f_default_action },
        { "defaultErrnoRet", f_default_errno_ret },
        { "defaultErrno", f_default_errno },
        { "architectures", f_architectures },
        { "archMap", f_arch_map },
        { "flags", f_flags },
        { "listenerPath", f_listener_path },
        { "listenerMetadata", f_listener_metadata },
        { "syscalls", f_syscalls_docker },
        { NULL, NULL },
};

static void load_docker(loader *l, const sf_node *root)
{
        bool have_default = false;
        if (!want(l, root, SF_NODE_OBJ))
                return;
        /* defaultErrnoRet first, so that defaultAction knows whether it is set. */
        const sf_node *der = sf_node_get(root, "defaultErrnoRet");
        if (der) {
                size_t old = path_key(l, "defaultErrnoRet");
                f_default_errno_ret(l, der, NULL);
                path_pop(l, old);
        }
        for (size_t i = 0; i < root->obj.n; i++) {
                const sf_member *m = &root->obj.v[i];
                size_t old = path_key(l, m->key);
                if (strcmp(m->key, "defaultAction") == 0)
                        f_default_action(l, m->val, &have_default);
                else if (strcmp(m->key, "defaultErrno") == 0)
                        f_default_errno(l, m->val, (void *)root);
                else if (strcmp(m->key, "defaultErrnoRet") != 0) {
                        path_pop(l, old);
                        /* everything else through the generic walker, one member at a time */
                        sf_node one = { .kind = SF_NODE_OBJ, .obj = { .v = (sf_member *)m, .n = 1 } };
                        walk_object(l, &one, docker_fields, NULL, "a seccomp profile");
                        continue;
                }
                path_pop(l, old);
        }
        if (!have_default)
                ERR(l, root, "profile has no \"defaultAction\"");
        if (l->p->arches && l->p->arch_map && l->p->n_arches && l->p->n_arch_map) {
                const sf_node *am = sf_node_get(root, "archMap");
                size_t old = path_key(l, "archMap");
                ERR(l, am, "\"architectures\" and \"archMap\" are both given; use one");
                path_pop(l, old);
        }
}

/* ---- SPO SeccompProfile ---- */

typedef struct crd_ctx {
        bool have_default;
} crd_ctx;

static void f_crd_default_action(loader *l, const sf_node *v, void *ctx)
{
        f_default_action(l, v, &((crd_ctx *)ctx)->have_default);
}

static void f_crd_base(loader *l, const sf_node *v, void *ctx)
{
        l->p->base_loc = loc_here(l, v);
        if (get_string(l, v, &l->p->base_profile_name) && !*l->p->base_profile_name)
                l->p->base_profile_name = NULL; /* omitempty: "" is no base */
}

static void f_crd_disabled(loader *l, const sf_node *v, void *ctx)
{
        if (want(l, v, SF_NODE_BOOL))
                l->p->disabled = v->b;
}

static void f_crd_arches(loader *l, const sf_node *v, void *ctx) { f_architectures(l, v, NULL); }
static void f_crd_flags(loader *l, const sf_node *v, void *ctx) { f_flags(l, v, NULL); }

static const field crd_spec_fields[] = {
        { "defaultAction", f_crd_default_action },
        { "architectures", f_crd_arches },
        { "syscalls", f_syscalls_crd },
        { "flags", f_crd_flags },
        { "listenerPath", f_listener_path },
        { "listenerMetadata", f_listener_metadata },
        { "baseProfileName", f_crd_base },
        { "disabled", f_crd_disabled },
        { NULL, NULL },
};

static const char *const crd_versions[] = {
        "security-profiles-operator.x-k8s.io/v1beta1",
        "security-profiles-operator.x-k8s.io/v1alpha1",
        "security-profiles-operator.x-k8s.io/v1",
};

/* metadata.labels or .annotations: kept, so that writing the object back keeps
 * what the operator reads there (spo.x-k8s.io/partial: not installed). */
static void string_map(loader *l, const sf_node *m, const char *key, const char ***ret, size_t *ret_n)
{
        if (!m || m->kind == SF_NODE_NULL)
                return;
        size_t old = path_key(l, key);
        if (want(l, m, SF_NODE_OBJ)) {
                const char **v = sf_arena_alloc(l->arena, (2 * m->obj.n + 1) * sizeof(*v));
                size_t n = 0;
                for (size_t i = 0; v && i < m->obj.n; i++) {
                        size_t o2 = path_key(l, m->obj.v[i].key);
                        if (m->obj.v[i].val->kind != SF_NODE_STR) {
                                ERR(l, m->obj.v[i].val, "a %s value must be a string, found %s", key,
                                    sf_node_kind_name(m->obj.v[i].val->kind));
                        } else {
                                v[2 * n] = m->obj.v[i].key;
                                v[2 * n + 1] = m->obj.v[i].val->str.s;
                                n++;
                        }
                        path_pop(l, o2);
                }
                *ret = v;
                *ret_n = n;
        }
        path_pop(l, old);
}

static void load_crd(loader *l, const sf_node *root)
{
        const sf_node *api = sf_node_get(root, "apiVersion");
        size_t old = path_key(l, "apiVersion");
        if (!api)
                ERR(l, root, "SeccompProfile has no \"apiVersion\" (%s)", crd_versions[0]);
        else if (get_string(l, api, &l->p->api_version)) {
                bool ok = false;
                for (size_t i = 0; i < ARRAY_SIZE(crd_versions); i++)
                        ok |= strcmp(crd_versions[i], l->p->api_version) == 0;
                if (!ok) {
                        char hint[128];
                        report(l, SF_SEV_ERROR, api,
                               closest(l->p->api_version, crd_versions, ARRAY_SIZE(crd_versions), hint, sizeof(hint)),
                               "unsupported apiVersion \"%s\" for a SeccompProfile", l->p->api_version);
                }
        }
        path_pop(l, old);

        const sf_node *meta = sf_node_get(root, "metadata");
        if (meta && meta->kind == SF_NODE_OBJ) {
                const sf_node *name = sf_node_get(meta, "name");
                const sf_node *ns = sf_node_get(meta, "namespace");
                if (name && name->kind == SF_NODE_STR) {
                        l->p->name = name->str.s;
                        size_t o1 = path_key(l, "metadata.name");
                        l->p->name_loc = loc_here(l, name);
                        path_pop(l, o1);
                }
                if (ns && ns->kind == SF_NODE_STR)
                        l->p->namespace_ = ns->str.s;
                size_t o2 = path_key(l, "metadata");
                string_map(l, sf_node_get(meta, "labels"), "labels", &l->p->labels, &l->p->n_labels);
                string_map(l, sf_node_get(meta, "annotations"), "annotations", &l->p->annotations,
                           &l->p->n_annotations);
                path_pop(l, o2);
        }
        if (!l->p->name)
                ERR(l, meta ? meta : root, "SeccompProfile has no metadata.name");

        const sf_node *spec = sf_node_get(root, "spec");
        if (!spec) {
                ERR(l, root, "SeccompProfile has no \"spec\"");
                return;
        }
        crd_ctx c = { 0 };
        old = path_key(l, "spec");
        walk_object(l, spec, crd_spec_fields, &c, "a SeccompProfile spec");
        if (spec->kind == SF_NODE_OBJ && !c.have_default)
                ERR(l, spec, "spec has no \"defaultAction\"");
        path_pop(l, old);
}

/* ---- entry points ---- */

sf_profile *sf_profile_new(sf_store *store)
{
        sf_profile *p = sf_arena_alloc(&store->arena, sizeof(*p));
        if (!p)
                return NULL;
        p->arena_ = store;
        p->default_action.kind = SF_ACT_ALLOW;
        store->refs++;
        return p;
}

void sf_store_unref(sf_store *s)
{
        if (!s || --s->refs > 0)
                return;
        for (size_t i = 0; i < s->n_kept; i++)
                sf_store_unref(s->kept[i]);
        free(s->kept);
        sf_arena_release(&s->arena);
        free(s);
}

int sf_store_keep(sf_store *s, sf_store *other)
{
        for (size_t i = 0; i < s->n_kept; i++)
                if (s->kept[i] == other)
                        return 0;
        sf_store **v = realloc(s->kept, (s->n_kept + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        s->kept = v;
        s->kept[s->n_kept++] = other;
        other->refs++;
        return 0;
}

SF_EXPORT void sf_profile_free(sf_profile *p)
{
        if (p)
                sf_store_unref(p->arena_);
}

SF_EXPORT void sf_profiles_free(sf_profile **v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                sf_profile_free(v[i]);
        free(v);
}

static bool looks_like_yaml(const char *name, const char *data, size_t len)
{
        size_t nl = strlen(name);
        if ((nl > 5 && strcmp(name + nl - 5, ".yaml") == 0) || (nl > 4 && strcmp(name + nl - 4, ".yml") == 0))
                return true;
        if (nl > 5 && strcmp(name + nl - 5, ".json") == 0)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = data[i];
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                        continue;
                return c != '{' && c != '[';
        }
        return false;
}

static int load_root(loader *l, sf_store *store, const sf_node *root, sf_profile **ret)
{
        sf_profile *p = sf_profile_new(store);
        if (!p)
                return -ENOMEM;
        p->file = sf_arena_strdup(&store->arena, l->file);
        l->p = p;
        l->arena = &store->arena;
        sf_buf_truncate(&l->path, 0);

        const sf_node *kind = sf_node_get(root, "kind");
        const sf_node *linux_ = sf_node_get(root, "linux");
        if (root && root->kind == SF_NODE_OBJ && kind && kind->kind == SF_NODE_STR) {
                if (strcmp(kind->str.s, "SeccompProfile") != 0) {
                        size_t old = path_key(l, "kind");
                        ERR(l, kind, "kind \"%s\" is not a SeccompProfile", kind->str.s);
                        path_pop(l, old);
                } else {
                        p->format = SF_FORMAT_CRD;
                        load_crd(l, root);
                }
        } else if (root && root->kind == SF_NODE_OBJ && (sf_node_get(root, "ociVersion") || linux_) &&
                   !sf_node_get(root, "defaultAction")) {
                p->format = SF_FORMAT_OCI_CONFIG;
                const sf_node *sec = linux_ ? sf_node_get(linux_, "seccomp") : NULL;
                if (!sec) {
                        ERR(l, linux_ ? linux_ : root, "OCI config has no linux.seccomp");
                } else {
                        path_key(l, "linux.seccomp");
                        load_docker(l, sec);
                }
        } else if (root) {
                p->format = SF_FORMAT_DOCKER;
                load_docker(l, root);
        } else {
                ERR(l, NULL, "empty document");
        }
        *ret = p;
        return 0;
}

/* With owned, the caller's buffer holding data is freed once it is parsed: the
 * document holds copies of everything, so a 16 MiB file is not kept beside its
 * tree and the profiles built from it (the peak of a large load). */
static int load_data(const char *data, size_t len, const char *name, const sf_load_opts *opts, char **owned,
                     sf_profile ***ret_profiles, size_t *ret_n, sf_diags *diags, sf_error **err)
{
        static const sf_load_opts no_opts;
        sf_diags local = { 0 };
        sf_diags *d = diags ? diags : &local;
        size_t errors_before = d->errors, diags_before = d->n;
        if (!opts)
                opts = &no_opts;
        if (opts->display_name)
                name = opts->display_name;

        sf_store *store = calloc(1, sizeof(*store));
        if (!store)
                return sf_error_set(err, ENOMEM, "%s: out of memory", name);
        sf_doc doc = { 0 };
        int r;
        if (len > SF_PROFILE_MAX_FILE) {
                sf_diags_add(d, SF_SEV_ERROR, "too-large", name, "", 0, 0, NULL,
                             "file is %zu bytes, more than the limit of %u", len, SF_PROFILE_MAX_FILE);
                r = -EFBIG;
        } else if (looks_like_yaml(name, data, len)) {
                r = sf_yaml_parse(data, len, name, &doc, d);
        } else {
                /* The JSON parser skips a byte order mark; encoding/json does not,
                 * so no Go runtime loads the file as it is (go-yaml skips one). */
                if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                        sf_diags_add(d, SF_SEV_WARNING, "suspicious", name, "", 1, 1,
                                     "remove the first 3 bytes; sysfence k8s install writes the profile without them",
                                     "the file starts with a UTF-8 byte order mark: Go's encoding/json refuses it, "
                                     "so runc, containerd, CRI-O and podman cannot load the file as it is");
                r = sf_json_parse(data, len, name, &doc, d);
        }
        if (owned) {
                free(*owned);
                *owned = NULL;
                data = NULL;
        }
        /* The profiles point into the document's strings: the store takes their
         * arena, and the nodes go once the profiles are read. */
        store->arena = doc.strings;
        doc.strings = (sf_arena){ 0 };

        sf_profile **v = NULL;
        size_t n = 0;
        loader l = { .file = name, .diags = d, .opts = opts, .json = r == 0 && !doc.yaml };
        if (r == 0) {
                v = calloc(doc.n_docs + 1, sizeof(*v));
                if (!v)
                        r = -ENOMEM;
                for (size_t i = 0; r == 0 && i < doc.n_docs; i++) {
                        if (doc.yaml && (!doc.docs[i] || doc.docs[i]->kind == SF_NODE_NULL))
                                continue;
                        r = load_root(&l, store, doc.docs[i], &v[n]);
                        if (r == 0)
                                n++;
                }
                /* Two objects of one name in one namespace: the second replaces the first when applied. */
                for (size_t i = 0; r == 0 && i < n; i++)
                        for (size_t k = 0; k < i; k++) {
                                if (!v[i]->name || !v[k]->name || strcmp(v[i]->name, v[k]->name) != 0)
                                        continue;
                                const char *ni = v[i]->namespace_ ? v[i]->namespace_ : "";
                                const char *nk = v[k]->namespace_ ? v[k]->namespace_ : "";
                                if (strcmp(ni, nk) != 0)
                                        continue;
                                sf_diags_add(d, SF_SEV_ERROR, "duplicate-name", name, v[i]->name_loc.path,
                                             v[i]->name_loc.line, v[i]->name_loc.col, NULL,
                                             "a second SeccompProfile named \"%s\" (the first is at line %u); applying the file keeps only the last",
                                             v[i]->name, v[k]->name_loc.line);
                                l.failed = true;
                                break;
                        }
                if (r == 0 && n == 0) {
                        sf_diags_add(d, SF_SEV_ERROR, "empty", name, "", 0, 0, NULL, "no profile in the file");
                        r = -EINVAL;
                }
                if (r == 0 && l.failed)
                        r = -EINVAL;
                if (r == 0 && d->errors == errors_before)
                        r = sf_profile_inherit(v, n, name, opts, d);
        }
        sf_buf_release(&l.path);
        sf_doc_release(&doc);
        if (store->refs == 0) {
                store->refs = 1;
                sf_store_unref(store);
                store = NULL;
        }
        if (r == 0 && d->errors == errors_before) {
                *ret_profiles = v;
                *ret_n = n;
                sf_diags_release(&local);
                return 0;
        }

        /* Say the first error of this file, else the first of a base profile's file. */
        const sf_diag *first = NULL;
        for (size_t i = 0; i < d->n && !first; i++)
                if (d->v[i].severity == SF_SEV_ERROR && strcmp(d->v[i].file, name) == 0)
                        first = &d->v[i];
        for (size_t i = diags_before; i < d->n && !first; i++)
                if (d->v[i].severity == SF_SEV_ERROR)
                        first = &d->v[i];
        if (first) {
                _cleanup_free_ char *msg = sf_diag_format(first);
                sf_error_set(err, r == -ENOMEM ? ENOMEM : EINVAL, "%s", msg ? msg : "invalid profile");
        }
        sf_error_set(err, r == -ENOMEM ? ENOMEM : EINVAL, "%s: invalid profile", name);
        if (n == 0 && store) {
                store->refs = 1;
                sf_store_unref(store);
        }
        sf_profiles_free(v, n);
        sf_diags_release(&local);
        return r == -ENOMEM ? -ENOMEM : -EINVAL;
}

SF_EXPORT int sf_profile_load_data(const char *data, size_t len, const char *name, const sf_load_opts *opts,
                                   sf_profile ***ret_profiles, size_t *ret_n, sf_diags *diags, sf_error **err)
{
        return load_data(data, len, name, opts, NULL, ret_profiles, ret_n, diags, err);
}

SF_EXPORT int sf_profile_load_file(const char *path, const sf_load_opts *opts, sf_profile ***ret_profiles,
                                   size_t *ret_n, sf_diags *diags, sf_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = sf_read_file(path, SF_PROFILE_MAX_FILE, &data, &len, err);
        if (r < 0) {
                if (diags && err && *err)
                        sf_diags_add(diags, SF_SEV_ERROR, "io", strcmp(path, "-") == 0 ? "<stdin>" : path, "", 0, 0,
                                     NULL, "%s",
                                     strchr((*err)->msg, ':') ? strchr((*err)->msg, ':') + 2 : (*err)->msg);
                return r;
        }
        return load_data(data, len, strcmp(path, "-") == 0 ? "<stdin>" : path, opts, &data, ret_profiles, ret_n,
                         diags, err);
}

const char *sf_rule_name_path(const sf_rule *r, size_t j, char *buf, size_t size)
{
        if (r->name_locs[j].path)
                return r->name_locs[j].path;
        if (r->name_locs[j].path)
                return r->name_locs[j].path;
        snprintf(buf, size, "%s.names[%zu]", r->loc.path ? r->loc.path : "", j);
        return buf;
}
