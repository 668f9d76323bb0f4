/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* k8s lint: the seccomp profile each container of a workload really runs
 * under, and what would keep it from starting or leave it unconfined, as the
 * kubelet and the API server decide it: a container's seccompProfile overrides
 * the pod's, privileged containers run unconfined whatever they say, and the
 * alpha annotations confine nothing since Kubernetes 1.27 (the kubelet ignores
 * them).  A Localhost profile is looked up only where the caller says, loaded,
 * checked and compiled once, and asked, syscall by syscall, whether it lets the
 * runtime finish its work after it loads the filter.  Findings and containers
 * go back to the caller (sf_k8s_lint_file), sorted in manifest order. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "doc/doc.h"
#include "k8s-internal.h"
#include "sysfence/bpf.h"
#include "sysfence/record.h"

#define POD_ANNOTATION "seccomp.security.alpha.kubernetes.io/pod"
#define CONTAINER_ANNOTATION "container.seccomp.security.alpha.kubernetes.io/"
#define MAX_LIST_DEPTH 8

enum sev { SEV_ERROR = SF_K8S_ERROR, SEV_WARNING = SF_K8S_WARNING, SEV_INFO = SF_K8S_INFO };
static const char *const sev_name[] = { "error", "warning", "info" };

typedef struct finding {
        enum sev sev;
        const char *id;
        const char *file, *path, *msg, *hint; /* in the linter's arena */
        unsigned line, col;
        unsigned key_line, key_col; /* where in the manifest it sorts */
        size_t seq;
} finding;

/* A Localhost profile file on the node, checked once however many containers use it. */
typedef struct node_profile {
        char *file;       /* the path looked at */
        bool exists;
        bool not_file;    /* there, but not a regular file */
        bool usable;      /* loaded, checked and compiled without error */
        sf_prog *prog;
        sf_action_kind default_action;
        char *problem;    /* the first error's message */
} node_profile;

/* A seccompProfile as the manifest gives it (a field or an alpha annotation). */
typedef struct spec_profile {
        bool set;
        bool valid;              /* the API server would accept it */
        bool annotation;         /* from an alpha annotation */
        const char *type;        /* "RuntimeDefault", "Localhost", "Unconfined" */
        const char *lp;          /* localhostProfile */
        const sf_node *at;       /* the seccompProfile object or the annotation's value */
        const sf_node *type_at, *lp_at;
        const char *path;        /* of `at` */
} spec_profile;

struct sf_k8s_linter {
        const char *kubelet_root, *profiles_dir, *runtime;
        size_t unchecked;         /* Localhost profiles not looked up: no directory given */
        sf_arch arch;             /* the nodes' */
        bool seccomp_default;
        sf_arena arena;
        finding *v;
        size_t n, cap, seq;
        size_t errors, warnings, infos;
        node_profile *cache;
        size_t n_cache;
        const sf_node **reported; /* profile nodes whose file was already judged */
        size_t n_reported, cap_reported;
        const char *file;         /* the manifest being linted */
        sf_k8s_lint_container *containers; /* the file's */
        size_t n_containers, cap_containers;
        sf_k8s_finding *out;      /* the file's findings, as the caller sees them */
        bool oom;
};
typedef struct sf_k8s_linter linter;

/* --- findings ------------------------------------------------------------------ */

static const char *dupv(linter *l, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static const char *dupv(linter *l, const char *fmt, va_list ap)
{
        sf_buf b = { 0 };
        sf_buf_vprintf(&b, fmt, ap);
        const char *s = b.s ? sf_arena_strdup(&l->arena, b.s) : NULL;
        sf_buf_release(&b);
        if (!s)
                l->oom = true;
        return s ? s : "";
}

static const char *str_of(linter *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *str_of(linter *l, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        const char *s = dupv(l, fmt, ap);
        va_end(ap);
        return s;
}

/* A new finding, counted; NULL when out of memory (then latched in l->oom). */
static finding *push(linter *l, enum sev sev)
{
        if (sev == SEV_ERROR)
                l->errors++;
        else if (sev == SEV_WARNING)
                l->warnings++;
        else
                l->infos++;
        if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 32;
                finding *v = realloc(l->v, cap * sizeof(*v));
                if (!v) {
                        l->oom = true;
                        return NULL;
                }
                l->v = v;
                l->cap = cap;
        }
        finding *f = &l->v[l->n++];
        *f = (finding){ .sev = sev, .seq = l->seq++ };
        return f;
}

/* A finding about the manifest, at node `at`. */
static void add(linter *l, enum sev sev, const char *id, const char *path, const sf_node *at, const char *hint,
                const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void add(linter *l, enum sev sev, const char *id, const char *path, const sf_node *at, const char *hint,
                const char *fmt, ...)
{
        finding *f = push(l, sev);
        if (!f)
                return;
        f->id = id;
        f->file = l->file;
        f->path = path ? path : "";
        f->line = f->key_line = at ? at->line : 0;
        f->col = f->key_col = at ? at->col : 0;
        f->hint = hint;
        va_list ap;
        va_start(ap, fmt);
        f->msg = dupv(l, fmt, ap);
        va_end(ap);
}

/* A finding about another file (a profile), sorted after the manifest's node `key`. */
static void add_other(linter *l, const sf_diag *g, const sf_node *key)
{
        finding *f = push(l, g->severity == SF_SEV_ERROR ? SEV_ERROR : SEV_WARNING);
        if (!f)
                return;
        f->id = g->id;
        f->file = str_of(l, "%s", g->file);
        f->path = str_of(l, "%s", g->path ? g->path : "");
        f->msg = str_of(l, "%s", g->msg);
        f->hint = g->hint ? str_of(l, "%s", g->hint) : NULL;
        f->line = g->line;
        f->col = g->col;
        f->key_line = key ? key->line : 0;
        f->key_col = key ? key->col : 0;
}

static int cmp_finding(const void *a, const void *b)
{
        const finding *x = a, *y = b;
        if (x->key_line != y->key_line)
                return x->key_line < y->key_line ? -1 : 1;
        if (x->key_col != y->key_col)
                return x->key_col < y->key_col ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* --- the document ---------------------------------------------------------------- */

static const sf_node *get(const sf_node *obj, const char *key)
{
        return obj && obj->kind == SF_NODE_OBJ ? sf_node_get(obj, key) : NULL;
}

static const char *str(const sf_node *n)
{
        return n && n->kind == SF_NODE_STR ? n->str.s : NULL;
}

/* The member's key position, for findings about a key (an annotation). */
static const sf_member *member(const sf_node *obj, const char *key)
{
        if (!obj || obj->kind != SF_NODE_OBJ)
                return NULL;
        for (size_t i = 0; i < obj->obj.n; i++)
                if (strcmp(obj->obj.v[i].key, key) == 0)
                        return &obj->obj.v[i];
        return NULL;
}

/* --- a seccompProfile as written ----------------------------------------------------- */

static bool bad_relative_path(const char *p)
{
        /* The API server's rule for localhostProfile: relative, no ".." element. */
        if (p[0] == '/')
                return true;
        for (const char *s = p; *s;) {
                const char *e = strchr(s, '/');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                if (n == 2 && s[0] == '.' && s[1] == '.')
                        return true;
                s += n;
                while (*s == '/')
                        s++;
        }
        return false;
}

static void check_lp(linter *l, spec_profile *sp, const char *lp_path)
{
        if (!sp->lp) {
                return;
        }
        if (sp->lp[0] == 0) {
                add(l, SEV_ERROR, "localhost-path", lp_path, sp->lp_at, "name a file under <kubelet-root>/seccomp/",
                    "localhostProfile is empty");
                sp->valid = false;
        } else if (bad_relative_path(sp->lp)) {
                add(l, SEV_ERROR, "localhost-path", lp_path, sp->lp_at,
                    "it is relative to <kubelet-root>/seccomp/, e.g. \"sysfence/profile.json\"",
                    "localhostProfile \"%s\" is %s: the API server rejects it", sp->lp,
                    sp->lp[0] == '/' ? "an absolute path" : "a path with \"..\"");
                sp->valid = false;
        }
}

/* Reads securityContext.seccompProfile (at `n`, path `path`); reports what the API
 * server would reject. */
static void parse_field(linter *l, const sf_node *n, const char *path, spec_profile *sp)
{
        *sp = (spec_profile){ 0 };
        if (!n || n->kind == SF_NODE_NULL)
                return;
        sp->set = true;
        sp->at = n;
        sp->path = path;
        if (n->kind != SF_NODE_OBJ) {
                add(l, SEV_ERROR, "bad-field", path, n, NULL, "seccompProfile is a %s, expected an object",
                    sf_node_kind_name(n->kind));
                return;
        }
        const sf_node *t = get(n, "type"), *lp = get(n, "localhostProfile");
        const char *type_path = str_of(l, "%s.type", path), *lp_path = str_of(l, "%s.localhostProfile", path);
        sp->type_at = t;
        sp->lp_at = lp;
        sp->valid = true;
        if (lp && lp->kind != SF_NODE_NULL && !str(lp)) {
                add(l, SEV_ERROR, "bad-field", lp_path, lp, NULL, "localhostProfile is a %s, expected a string",
                    sf_node_kind_name(lp->kind));
                sp->valid = false;
        }
        sp->lp = str(lp);
        if (!t || t->kind == SF_NODE_NULL) {
                add(l, SEV_ERROR, "missing-type", path, n, "RuntimeDefault, Localhost or Unconfined",
                    "seccompProfile has no type");
                sp->valid = false;
                return;
        }
        sp->type = str(t);
        if (!sp->type || (strcmp(sp->type, "RuntimeDefault") != 0 && strcmp(sp->type, "Localhost") != 0 &&
                          strcmp(sp->type, "Unconfined") != 0)) {
                add(l, SEV_ERROR, "bad-type", type_path, t, "RuntimeDefault, Localhost or Unconfined",
                    "unknown seccompProfile type \"%s\"", sp->type ? sp->type : sf_node_kind_name(t->kind));
                sp->type = NULL;
                sp->valid = false;
                return;
        }
        if (strcmp(sp->type, "Localhost") == 0) {
                if (!sp->lp) {
                        add(l, SEV_ERROR, "localhost-without-path", path, n,
                            "add localhostProfile: the file's path under <kubelet-root>/seccomp/",
                            "type Localhost without localhostProfile: the API server rejects it");
                        sp->valid = false;
                        return;
                }
                check_lp(l, sp, lp_path);
        } else if (sp->lp) {
                add(l, SEV_ERROR, "path-without-localhost", lp_path, lp, "drop it or use type: Localhost",
                    "localhostProfile is set but type is %s: the API server rejects it", sp->type);
                sp->valid = false;
        }
}

/* An alpha annotation's value: runtime/default, docker/default, unconfined, localhost/<path>. */
static void parse_annotation(linter *l, const sf_node *v, const char *path, spec_profile *sp)
{
        *sp = (spec_profile){ .set = true, .annotation = true, .at = v, .path = path, .type_at = v, .lp_at = v };
        const char *s = str(v);
        if (!s) {
                add(l, SEV_ERROR, "bad-annotation", path, v, NULL, "the annotation is a %s, expected a string",
                    sf_node_kind_name(v->kind));
                return;
        }
        sp->valid = true;
        if (strcmp(s, "runtime/default") == 0 || strcmp(s, "docker/default") == 0) {
                sp->type = "RuntimeDefault";
        } else if (strcmp(s, "unconfined") == 0) {
                sp->type = "Unconfined";
        } else if (strncmp(s, "localhost/", 10) == 0) {
                sp->type = "Localhost";
                sp->lp = s + 10;
                check_lp(l, sp, path);
        } else {
                add(l, SEV_ERROR, "bad-annotation", path, v, "runtime/default, unconfined or localhost/<path>",
                    "unknown seccomp annotation value \"%s\"", s);
                sp->valid = false;
        }
}

static const char *describe(linter *l, const spec_profile *sp)
{
        if (!sp->type)
                return "an invalid profile";
        if (sp->lp)
                return str_of(l, "%s \"%s\"", sp->type, sp->lp);
        return sp->type;
}

/* The API server copies an annotation into the field when only the annotation is
 * set, and rejects the object when both are set and disagree. */
static void check_agree(linter *l, const spec_profile *field, const spec_profile *ann)
{
        if (!field->set || !ann->set || !field->valid || !ann->valid)
                return;
        if (strcmp(field->type, ann->type) != 0 ||
            (field->lp && ann->lp && strcmp(field->lp, ann->lp) != 0))
                add(l, SEV_ERROR, "annotation-mismatch", ann->path, ann->at, "drop the annotation",
                    "the deprecated annotation says %s but seccompProfile says %s: the API server rejects it",
                    describe(l, ann), describe(l, field));
}

/* --- a Localhost profile on the node --------------------------------------------------- */

static bool reported(linter *l, const sf_node *n)
{
        for (size_t i = 0; i < l->n_reported; i++)
                if (l->reported[i] == n)
                        return true;
        if (l->n_reported == l->cap_reported) {
                size_t cap = l->cap_reported ? 2 * l->cap_reported : 16;
                const sf_node **v = realloc(l->reported, cap * sizeof(*v));
                if (!v) {
                        l->oom = true;
                        return true;
                }
                l->reported = v;
                l->cap_reported = cap;
        }
        l->reported[l->n_reported++] = n;
        return false;
}

/* Loads, checks and compiles the file once; its own findings go out once, after
 * the manifest node that first names it. */
static node_profile *load_profile(linter *l, const char *file, const sf_node *key)
{
        for (size_t i = 0; i < l->n_cache; i++)
                if (strcmp(l->cache[i].file, file) == 0)
                        return &l->cache[i];
        node_profile *v = realloc(l->cache, (l->n_cache + 1) * sizeof(*v));
        if (!v) {
                l->oom = true;
                return NULL;
        }
        l->cache = v;
        node_profile *np = &l->cache[l->n_cache];
        *np = (node_profile){ .file = strdup(file) };
        if (!np->file) {
                l->oom = true;
                return NULL;
        }
        l->n_cache++;
        struct stat st;
        if (stat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
                np->not_file = stat(file, &st) == 0;
                return np;
        }
        np->exists = true;
        sf_diags d = { 0 };
        sf_error *err = NULL;
        sf_profile **ps = NULL;
        size_t n = 0;
        int r = sf_profile_load_file(file, NULL, &ps, &n, &d, &err);
        if (r == 0 && n != 1) {
                sf_diags_add(&d, SF_SEV_ERROR, "not-one-profile", file, "", 0, 0,
                             "the runtime reads one Docker/OCI JSON profile", "the file holds %zu profiles", n);
        } else if (r == 0 && ps[0]->format == SF_FORMAT_CRD) {
                sf_diags_add(&d, SF_SEV_ERROR, "not-json", file, "", 0, 0,
                             "convert it: sysfence convert --to docker",
                             "a SeccompProfile object is not a file the runtime can read");
        } else if (r == 0) {
                sf_profile_check(ps[0], NULL, &d);
                if (d.errors == 0) {
                        sf_compile_opts co = { 0 };
                        sf_target_default(&co.target);
                        co.target.arch = l->arch;
                        sf_prog *prog = NULL;
                        sf_diags cd = { 0 };
                        if (sf_compile(ps[0], &co, &prog, &cd, &err) < 0)
                                sf_diags_add(&d, SF_SEV_ERROR, "compile", file, "", 0, 0, NULL, "%s",
                                             sf_error_message(err));
                        else
                                np->prog = prog;
                        sf_diags_release(&cd); /* check has said what compile warns about */
                        np->default_action = ps[0]->default_action.kind;
                }
        } else if (d.errors == 0) {
                sf_diags_add(&d, SF_SEV_ERROR, "io", file, "", 0, 0, NULL, "%s", sf_error_message(err));
        }
        sf_error_freep(&err);
        np->usable = np->prog && d.errors == 0;
        for (size_t i = 0; i < d.n; i++) {
                if (d.v[i].severity == SF_SEV_ERROR && !np->problem)
                        np->problem = strdup(d.v[i].msg);
                add_other(l, &d.v[i], key);
        }
        sf_diags_release(&d);
        sf_profiles_free(ps, n);
        return np;
}

/* Of a runtime's base set, what still follows the load of the filter when the
 * container has no_new_privs (allowPrivilegeEscalation: false): the runtime then
 * loads it as late as it can, after it has changed credentials.  runc 1.1
 * (standard_init_linux.go): opens and writes the exec fifo, closes it, getpid()
 * for the hooks' state, execve; crun: its measured set less the credential calls
 * it makes before.  Read from the sources, not measured, unlike the base sets. */
static const char *const runc_late[] = { "close", "execve", "futex", "getpid", "openat", "write", NULL };
static const char *const crun_late[] = { "close", "execve", "rt_sigaction", "rt_sigprocmask", "write", NULL };
/* runc's init is a Go program: its runtime may make these at any moment, but a
 * denial (EPERM) of one of them does not stop the container. */
static const char *const go_runtime[] = { "clone", "epoll_pwait", "gettid", "madvise", "mmap", "munmap",
                                          "nanosleep", "rt_sigprocmask", "rt_sigreturn", "sched_yield",
                                          "sigaltstack", "tgkill", NULL };

static bool in_list(const char *const *v, const char *name)
{
        for (; *v; v++)
                if (strcmp(*v, name) == 0)
                        return true;
        return false;
}

static bool allowed(sf_action_kind k)
{
        return k == SF_ACT_ALLOW || k == SF_ACT_LOG;
}

static void check_runtime(linter *l, node_profile *np, const spec_profile *sp, const char *lp_path, const char *cname,
                          bool nnp)
{
        const char *const *base = sf_record_base(l->runtime);
        bool runc = strcmp(l->runtime, "runc") == 0;
        sf_arch arch = l->arch;
        sf_buf hard = { 0 }, soft = { 0 };
        sf_action_kind hard_act = SF_ACT_ALLOW, soft_act = SF_ACT_ALLOW;
        for (; base && *base; base++) {
                if (nnp && !in_list(runc ? runc_late : crun_late, *base))
                        continue;
                int nr = sf_syscall_nr(arch, *base);
                if (nr < 0)
                        continue;
                uint64_t args[6] = { 0 };
                sf_verdict v = { .src = { -1, -1 } };
                if (sf_prog_lookup(np->prog, sf_arch_audit(arch), (uint32_t)nr, args, &v) < 0 ||
                    allowed(v.action.kind))
                        continue;
                bool is_soft = runc && in_list(go_runtime, *base) && v.action.kind == SF_ACT_ERRNO;
                sf_buf *b = is_soft ? &soft : &hard;
                if (b->len == 0)
                        *(is_soft ? &soft_act : &hard_act) = v.action.kind;
                sf_buf_printf(b, "%s%s", b->len ? ", " : "", *base);
        }
        const char *when = nnp ? "after it loads the filter (late, as allowPrivilegeEscalation is false)"
                               : "after it loads the filter";
        if (hard.len)
                add(l, SEV_ERROR, "runtime-needs", lp_path, sp->lp_at,
                    nnp ? str_of(l, "allow them, or record with 'sysfence record --base %s'", l->runtime)
                        : str_of(l, "allow them, record with 'sysfence record --base %s', or set "
                                 "allowPrivilegeEscalation: false so that %s loads the filter later",
                              l->runtime, l->runtime),
                    "container \"%s\" would not start: %s makes %s %s and profile \"%s\" answers %s",
                    cname, l->runtime, hard.s, when, sp->lp, sf_action_name(hard_act));
        if (soft.len && !hard.len) /* when it cannot start, the rest is noise */
                add(l, SEV_WARNING, "runtime-may-need", lp_path, sp->lp_at,
                    "harmless as an error return; allow them to be sure",
                    "container \"%s\": runc's Go runtime may make %s %s and profile \"%s\" answers %s", cname,
                    soft.s, when, sp->lp, sf_action_name(soft_act));
        if (hard.oom || soft.oom)
                l->oom = true;
        sf_buf_release(&hard);
        sf_buf_release(&soft);
}

static void check_found(linter *l, node_profile *found, const spec_profile *sp, const char *lp_path, const char *cname,
                        bool nnp, bool first);

/* Looks the profile up in every place given; judges the file once per manifest node. */
static void check_localhost(linter *l, const spec_profile *sp, const char *cname, bool nnp)
{
        const char *lp_path = sp->lp_at == sp->at ? sp->path : str_of(l, "%s.localhostProfile", sp->path);
        const char *dirs[2] = { l->kubelet_root, l->profiles_dir };
        size_t found = SIZE_MAX; /* an index: loading the next one may move the cache */
        bool first = !reported(l, sp->lp_at);
        if (!dirs[0] && !dirs[1] && first)
                l->unchecked++;
        for (int i = 0; i < 2; i++) {
                if (!dirs[i])
                        continue;
                const char *file = i == 0 ? str_of(l, "%s/seccomp/%s", dirs[i], sp->lp)
                                          : str_of(l, "%s/%s", dirs[i], sp->lp);
                node_profile *np = load_profile(l, file, sp->lp_at);
                if (!np)
                        return;
                /* a profiles directory laid out as `k8s manifests --from DIR` takes it: the
                 * agent installs DIR/NAME as SUBDIR/NAME, so "sysfence/x.json" is DIR/x.json */
                const char *slash = strchr(sp->lp, '/');
                if (i == 1 && !np->exists && slash && slash[1]) {
                        size_t at = (size_t)(np - l->cache); /* loading may move the cache */
                        node_profile *flat = load_profile(l, str_of(l, "%s/%s", dirs[i], slash + 1), sp->lp_at);
                        if (!flat)
                                return;
                        np = flat->exists ? flat : &l->cache[at];
                }
                if (!np->exists) {
                        if (first)
                                add(l, SEV_ERROR, "profile-missing", lp_path, sp->lp_at,
                                    i == 0 ? "pods using it sit in CreateContainerError; ship it with the agent, "
                                             "'sysfence k8s manifests --from DIR', or 'sysfence k8s install' it"
                                           : "add the file, or fix localhostProfile",
                                    "profile \"%s\" is not %s: %s %s", sp->lp,
                                    i == 0 ? "installed on the node" : "in the profiles directory", file,
                                    np->not_file ? "is not a regular file" : "does not exist");
                        continue;
                }
                if (found == SIZE_MAX)
                        found = (size_t)(np - l->cache);
        }
        if (found == SIZE_MAX)
                return;
        check_found(l, &l->cache[found], sp, lp_path, cname, nnp, first);
}

static void check_found(linter *l, node_profile *found, const spec_profile *sp, const char *lp_path, const char *cname,
                        bool nnp, bool first)
{
        if (!found->usable) {
                if (first)
                        add(l, SEV_ERROR, "profile-invalid", lp_path, sp->lp_at,
                            "'sysfence check' shows every problem",
                            "profile \"%s\" is invalid, the runtime fails to create the container: %s: %s", sp->lp,
                            found->file, found->problem ? found->problem : "invalid");
                return;
        }
        if (first && found->default_action == SF_ACT_LOG)
                add(l, SEV_WARNING, "audit-only", lp_path, sp->lp_at,
                    "audit mode: read what it logs with 'sysfence audit', then record a real profile",
                    "profile \"%s\" has defaultAction SCMP_ACT_LOG: it logs syscalls and blocks none", sp->lp);
        else if (first && found->default_action == SF_ACT_ALLOW)
                add(l, SEV_INFO, "deny-list", lp_path, sp->lp_at, NULL,
                    "profile \"%s\" has defaultAction SCMP_ACT_ALLOW: it allows every syscall it does not list",
                    sp->lp);
        check_runtime(l, found, sp, lp_path, cname, nnp);
}

/* --- workloads --------------------------------------------------------------------- */

typedef struct pod_ctx {
        const char *kind, *name;
        const sf_node *spec;
        const char *spec_path;
        spec_profile field, ann;
        const sf_node *annotations;
        const char *ann_path;
} pod_ctx;

static void emit_container(linter *l, const pod_ctx *pc, const char *list, const char *cname, const sf_node *c,
                           const char *type, const char *lp, const char *source, bool privileged)
{
        if (l->n_containers == l->cap_containers) {
                size_t cap = l->cap_containers ? 2 * l->cap_containers : 16;
                sf_k8s_lint_container *v = realloc(l->containers, cap * sizeof(*v));
                if (!v) {
                        l->oom = true;
                        return;
                }
                l->containers = v;
                l->cap_containers = cap;
        }
        /* the document's strings go with it at the end of the file: copied */
        l->containers[l->n_containers++] = (sf_k8s_lint_container){
                .kind = str_of(l, "%s", pc->kind),
                .name = str_of(l, "%s", pc->name),
                .list = list,
                .container = str_of(l, "%s", cname),
                .line = c->line,
                .col = c->col,
                .type = str_of(l, "%s", type),
                .lp = lp ? str_of(l, "%s", lp) : NULL,
                .source = str_of(l, "%s", source),
                .privileged = privileged,
        };
}

static void lint_container(linter *l, pod_ctx *pc, const char *list, size_t idx, const sf_node *c)
{
        const char *path = str_of(l, "%s.%s[%zu]", pc->spec_path, list, idx);
        if (!c || c->kind != SF_NODE_OBJ) {
                add(l, SEV_ERROR, "bad-field", path, c, NULL, "a container is a %s, expected an object",
                    c ? sf_node_kind_name(c->kind) : "null");
                return;
        }
        const char *cname = str(get(c, "name"));
        if (!cname)
                cname = str_of(l, "#%zu", idx);
        const sf_node *sc = get(c, "securityContext");
        const char *sc_path = str_of(l, "%s.securityContext", path);
        spec_profile field, ann = { 0 };
        parse_field(l, get(sc, "seccompProfile"), str_of(l, "%s.seccompProfile", sc_path), &field);
        const char *ann_key = str_of(l, CONTAINER_ANNOTATION "%s", cname);
        const sf_member *am = member(pc->annotations, ann_key);
        if (am)
                parse_annotation(l, am->val, str_of(l, "%s[\"%s\"]", pc->ann_path, ann_key), &ann);
        check_agree(l, &field, &ann);
        const sf_node *priv = get(sc, "privileged");
        bool privileged = priv && priv->kind == SF_NODE_BOOL && priv->b;
        const sf_node *ape = get(sc, "allowPrivilegeEscalation");
        /* no_new_privs: allowPrivilegeEscalation false (which privileged contradicts). */
        bool nnp = ape && ape->kind == SF_NODE_BOOL && !ape->b && !privileged;

        /* The container's field, else the pod's.  The alpha annotations confine
         * nothing: kubelets ignore them since Kubernetes 1.25, and since 1.27 the
         * API server no longer copies them into the fields. */
        const spec_profile *eff = field.set       ? &field
                                  : pc->field.set ? &pc->field
                                                  : NULL;
        const spec_profile *ignored = eff ? NULL : ann.set ? &ann : pc->ann.set ? &pc->ann : NULL;
        const char *source = eff == &field            ? "container securityContext"
                             : eff == &pc->field      ? "pod securityContext"
                             : l->seccomp_default     ? "kubelet --seccomp-default"
                             : ignored                ? "the alpha annotation is ignored"
                                                      : "no profile";
        if (privileged) {
                add(l, SEV_WARNING, "privileged", str_of(l, "%s.privileged", sc_path), priv,
                    "drop privileged: true and add only the capabilities it needs",
                    "container \"%s\" is privileged: it runs Unconfined whatever its seccomp profile says", cname);
                emit_container(l, pc, list, cname, c, "Unconfined", NULL, "privileged", true);
                return;
        }
        if (!eff && ignored) {
                add(l, SEV_ERROR, "annotation-only", ignored->path, ignored->at,
                    ignored == &ann ? "set the container's securityContext.seccompProfile (the warning above has it)"
                                    : "set spec.securityContext.seccompProfile (the warning above has it)",
                    "container \"%s\" runs %s: its only seccomp setting is a deprecated annotation, which kubelets "
                    "ignore since Kubernetes 1.25 and the API server no longer copies into the field since 1.27",
                    cname, l->seccomp_default ? "RuntimeDefault (the kubelet's --seccomp-default), not what the annotation says"
                                              : "Unconfined");
                emit_container(l, pc, list, cname, c, l->seccomp_default ? "RuntimeDefault" : "Unconfined", NULL,
                               source, false);
                return;
        }
        if (!eff) {
                if (l->seccomp_default)
                        add(l, SEV_WARNING, "implicit-runtime-default", path, c,
                            "set seccompProfile type RuntimeDefault: the Pod Security \"restricted\" level requires "
                            "it, and a kubelet without --seccomp-default runs it Unconfined",
                            "container \"%s\" has no seccomp profile: it gets RuntimeDefault only from the kubelet's "
                            "--seccomp-default", cname);
                else
                        add(l, SEV_WARNING, "no-profile", path, c,
                            "set securityContext.seccompProfile on the pod or the container, e.g. type RuntimeDefault",
                            "container \"%s\" runs Unconfined: neither it nor the pod has a seccomp profile", cname);
                emit_container(l, pc, list, cname, c, l->seccomp_default ? "RuntimeDefault" : "Unconfined", NULL,
                               source, false);
                return;
        }
        if (!eff->valid) {
                emit_container(l, pc, list, cname, c, "invalid", NULL, source, false);
                return;
        }
        if (strcmp(eff->type, "Unconfined") == 0)
                add(l, SEV_WARNING, "unconfined", eff->type_at == eff->at ? eff->path : str_of(l, "%s.type", eff->path),
                    eff->type_at, "use RuntimeDefault, or record a profile with 'sysfence record'",
                    "container \"%s\" runs Unconfined (set by the %s)", cname, source);
        else if (strcmp(eff->type, "Localhost") == 0)
                check_localhost(l, eff, cname, nnp);
        emit_container(l, pc, list, cname, c, eff->type, eff->lp, source, false);
}

static void lint_pod(linter *l, const char *kind, const char *name, const sf_node *meta, const char *meta_path,
                     const sf_node *spec, const char *spec_path, const sf_node *obj)
{
        pod_ctx pc = { .kind = kind, .name = name, .spec = spec, .spec_path = spec_path };
        if (!spec || spec->kind != SF_NODE_OBJ) {
                add(l, SEV_ERROR, "no-pod-spec", spec_path, spec ? spec : obj, NULL, "%s \"%s\" has no pod spec at %s",
                    kind, name, spec_path);
                return;
        }
        const char *os = str(get(get(spec, "os"), "name"));
        if (os && strcmp(os, "windows") == 0) {
                add(l, SEV_INFO, "windows", str_of(l, "%s.os.name", spec_path), get(get(spec, "os"), "name"), NULL,
                    "%s \"%s\" runs on Windows: seccomp does not apply", kind, name);
                return;
        }
        pc.annotations = get(meta, "annotations");
        pc.ann_path = str_of(l, "%s.annotations", meta_path);
        parse_field(l, get(get(spec, "securityContext"), "seccompProfile"),
                    str_of(l, "%s.securityContext.seccompProfile", spec_path), &pc.field);
        /* The deprecated annotations: reported, and they confine nothing. */
        if (pc.annotations && pc.annotations->kind == SF_NODE_OBJ) {
                for (size_t i = 0; i < pc.annotations->obj.n; i++) {
                        const sf_member *m = &pc.annotations->obj.v[i];
                        bool pod = strcmp(m->key, POD_ANNOTATION) == 0;
                        bool ctr = strncmp(m->key, CONTAINER_ANNOTATION, strlen(CONTAINER_ANNOTATION)) == 0;
                        if (!pod && !ctr)
                                continue;
                        const char *p = str_of(l, "%s[\"%s\"]", pc.ann_path, m->key);
                        sf_node key_at = { .line = m->line, .col = m->col };
                        const char *v = str(m->val);
                        const char *hint = pod ? "set spec.securityContext.seccompProfile instead"
                                               : "set the container's securityContext.seccompProfile instead";
                        const char *hv = NULL;
                        if (v && strncmp(v, "localhost/", 10) == 0)
                                hv = str_of(l, "%s: {type: Localhost, localhostProfile: %s}", hint, v + 10);
                        else if (v && (strcmp(v, "runtime/default") == 0 || strcmp(v, "docker/default") == 0))
                                hv = str_of(l, "%s: {type: RuntimeDefault}", hint);
                        else if (v && strcmp(v, "unconfined") == 0)
                                hv = str_of(l, "%s: {type: Unconfined}", hint);
                        add(l, SEV_WARNING, "alpha-annotation", p, &key_at, hv ? hv : hint,
                            "deprecated annotation \"%s\": it confines nothing (kubelets ignore it since "
                            "Kubernetes 1.25, the API server no longer copies it into the field since 1.27)",
                            m->key);
                        if (ctr) {
                                const char *cn = m->key + strlen(CONTAINER_ANNOTATION);
                                bool found = false;
                                static const char *const lists[] = { "containers", "initContainers",
                                                                     "ephemeralContainers" };
                                for (size_t k = 0; k < ARRAY_SIZE(lists) && !found; k++) {
                                        const sf_node *a = get(spec, lists[k]);
                                        for (size_t j = 0; a && a->kind == SF_NODE_ARR && j < a->arr.n; j++) {
                                                const char *nm = str(get(a->arr.v[j], "name"));
                                                if (nm && strcmp(nm, cn) == 0)
                                                        found = true;
                                        }
                                }
                                if (!found)
                                        add(l, SEV_WARNING, "annotation-no-container", p, &key_at, NULL,
                                            "the annotation names container \"%s\", which %s \"%s\" does not have",
                                            cn, kind, name);
                        }
                }
                const sf_member *pm = member(pc.annotations, POD_ANNOTATION);
                if (pm)
                        parse_annotation(l, pm->val, str_of(l, "%s[\"%s\"]", pc.ann_path, POD_ANNOTATION), &pc.ann);
                check_agree(l, &pc.field, &pc.ann);
        }
        static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
        size_t total = 0;
        for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
                const sf_node *a = get(spec, lists[k]);
                if (!a || a->kind == SF_NODE_NULL)
                        continue;
                if (a->kind != SF_NODE_ARR) {
                        add(l, SEV_ERROR, "bad-field", str_of(l, "%s.%s", spec_path, lists[k]), a, NULL,
                            "%s is a %s, expected an array", lists[k], sf_node_kind_name(a->kind));
                        continue;
                }
                for (size_t i = 0; i < a->arr.n; i++)
                        lint_container(l, &pc, lists[k], i, a->arr.v[i]);
                if (strcmp(lists[k], "containers") == 0)
                        total += a->arr.n;
        }
        if (total == 0)
                add(l, SEV_ERROR, "no-containers", str_of(l, "%s.containers", spec_path), spec, NULL,
                    "%s \"%s\" has no containers", kind, name);
}

static void lint_object(linter *l, const sf_node *o, const char *prefix, unsigned depth)
{
        if (!o || o->kind == SF_NODE_NULL)
                return;
        const char *here = *prefix ? str_of(l, "%.*s", (int)strlen(prefix) - 1, prefix) : "";
        if (o->kind != SF_NODE_OBJ) {
                add(l, SEV_INFO, "not-an-object", here, o, NULL, "a %s, not a Kubernetes object: skipped",
                    sf_node_kind_name(o->kind));
                return;
        }
        const sf_node *kind_n = get(o, "kind");
        const char *kind = str(kind_n);
        const sf_node *meta = get(o, "metadata");
        const char *name = str(get(meta, "name"));
        if (!name)
                name = str(get(meta, "generateName"));
        if (!name)
                name = "";
        if (!kind) {
                add(l, SEV_INFO, "no-kind", here, o, NULL, "an object without a kind: skipped");
                return;
        }
        size_t kl = strlen(kind);
        const sf_node *items = get(o, "items");
        if (kl >= 4 && strcmp(kind + kl - 4, "List") == 0 && items && items->kind == SF_NODE_ARR) {
                if (depth >= MAX_LIST_DEPTH) {
                        add(l, SEV_ERROR, "too-deep", here, o, NULL, "lists nested more than %d deep",
                            MAX_LIST_DEPTH);
                        return;
                }
                for (size_t i = 0; i < items->arr.n; i++)
                        lint_object(l, items->arr.v[i], str_of(l, "%sitems[%zu].", prefix, i), depth + 1);
                return;
        }
        const sf_node *spec = get(o, "spec");
        if (strcmp(kind, "Pod") == 0) {
                lint_pod(l, kind, name, meta, str_of(l, "%smetadata", prefix), spec, str_of(l, "%sspec", prefix), o);
        } else if (strcmp(kind, "Deployment") == 0 || strcmp(kind, "StatefulSet") == 0 ||
                   strcmp(kind, "DaemonSet") == 0 || strcmp(kind, "ReplicaSet") == 0 ||
                   strcmp(kind, "ReplicationController") == 0 || strcmp(kind, "Job") == 0) {
                const sf_node *t = get(spec, "template");
                lint_pod(l, kind, name, get(t, "metadata"), str_of(l, "%sspec.template.metadata", prefix),
                         get(t, "spec"), str_of(l, "%sspec.template.spec", prefix), o);
        } else if (strcmp(kind, "CronJob") == 0) {
                const sf_node *t = get(get(get(spec, "jobTemplate"), "spec"), "template");
                lint_pod(l, kind, name, get(t, "metadata"),
                         str_of(l, "%sspec.jobTemplate.spec.template.metadata", prefix),
                         get(t, "spec"), str_of(l, "%sspec.jobTemplate.spec.template.spec", prefix), o);
        } else if (strcmp(kind, "PodTemplate") == 0) {
                const sf_node *t = get(o, "template");
                lint_pod(l, kind, name, get(t, "metadata"), str_of(l, "%stemplate.metadata", prefix), get(t, "spec"),
                         str_of(l, "%stemplate.spec", prefix), o);
        } else {
                add(l, SEV_INFO, "skipped-kind", *here ? str_of(l, "%s.kind", here) : "kind", kind_n, NULL,
                    "kind \"%s\" has no pod spec: skipped", kind);
        }
}

/* --- files and output -------------------------------------------------------------------- */

static bool is_json_name(const char *file)
{
        size_t n = strlen(file);
        return n >= 5 && strcmp(file + n - 5, ".json") == 0;
}

static size_t lint_file(linter *l, const char *arg)
{
        l->file = strcmp(arg, "-") == 0 ? "<stdin>" : arg;
        l->n_reported = 0; /* nodes of the last file are gone: their addresses come back */
        sf_error *err = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len = 0, n_docs = 0;
        if (sf_read_file(arg, SF_PROFILE_MAX_FILE, &data, &len, &err) < 0) {
                add(l, SEV_ERROR, "io", "", NULL, NULL, "%s", sf_error_message(err));
                sf_error_free(err);
                return 0;
        }
        sf_doc doc = { 0 };
        sf_diags d = { 0 };
        int r = is_json_name(l->file) ? sf_json_parse(data, len, l->file, &doc, &d)
                                      : sf_yaml_parse(data, len, l->file, &doc, &d);
        for (size_t i = 0; i < d.n; i++) {
                sf_node at = { .line = d.v[i].line, .col = d.v[i].col };
                add(l, d.v[i].severity == SF_SEV_ERROR ? SEV_ERROR : SEV_WARNING, d.v[i].id,
                    str_of(l, "%s", d.v[i].path),
                    &at, d.v[i].hint ? str_of(l, "%s", d.v[i].hint) : NULL, "%s", d.v[i].msg);
        }
        if (r < 0 && d.errors == 0)
                add(l, SEV_ERROR, "parse", "", NULL, NULL, "not valid %s", is_json_name(l->file) ? "JSON" : "YAML");
        sf_diags_release(&d);
        if (r == 0) {
                n_docs = doc.n_docs;
                for (size_t i = 0; i < doc.n_docs; i++)
                        lint_object(l, doc.docs[i], "", 0);
        }
        sf_doc_release(&doc);
        return n_docs;
}

static void linter_release(linter *l)
{
        for (size_t i = 0; i < l->n_cache; i++) {
                free(l->cache[i].file);
                free(l->cache[i].problem);
                sf_prog_free(l->cache[i].prog);
        }
        free(l->cache);
        free(l->reported);
        free(l->v);
        free(l->containers);
        free(l->out);
        sf_arena_release(&l->arena);
}

SF_EXPORT const char *sf_k8s_sev_name(sf_k8s_sev s)
{
        return (unsigned)s < ARRAY_SIZE(sev_name) ? sev_name[s] : "?";
}

SF_EXPORT int sf_k8s_linter_new(const sf_k8s_lint_opts *o, sf_k8s_linter **ret)
{
        linter *l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->kubelet_root = o->kubelet_root;
        l->profiles_dir = o->profiles_dir;
        l->runtime = o->runtime ? o->runtime : "runc";
        l->arch = o->arch;
        l->seccomp_default = o->seccomp_default;
        *ret = l;
        return 0;
}

SF_EXPORT void sf_k8s_linter_free(sf_k8s_linter *l)
{
        if (!l)
                return;
        linter_release(l);
        free(l);
}

SF_EXPORT int sf_k8s_lint_file(sf_k8s_linter *l, const char *file, sf_k8s_lint_result *ret)
{
        size_t from = l->n, e0 = l->errors, w0 = l->warnings, i0 = l->infos;
        l->n_containers = 0;
        size_t docs = lint_file(l, file);
        if (l->n > from)
                qsort(l->v + from, l->n - from, sizeof(*l->v), cmp_finding);
        if (l->oom)
                return -ENOMEM;
        sf_k8s_finding *out = realloc(l->out, (l->n - from + 1) * sizeof(*out));
        if (!out)
                return l->oom = true, -ENOMEM;
        l->out = out;
        for (size_t i = from; i < l->n; i++) {
                const finding *f = &l->v[i];
                out[i - from] = (sf_k8s_finding){ .sev = (sf_k8s_sev)f->sev, .id = f->id, .file = f->file,
                                                  .path = f->path, .msg = f->msg, .hint = f->hint,
                                                  .line = f->line, .col = f->col };
        }
        *ret = (sf_k8s_lint_result){
                .file = l->file,
                .documents = docs,
                .containers = l->containers,
                .n_containers = l->n_containers,
                .findings = out,
                .n_findings = l->n - from,
                .errors = l->errors - e0,
                .warnings = l->warnings - w0,
                .infos = l->infos - i0,
        };
        return 0;
}

SF_EXPORT void sf_k8s_linter_totals(const sf_k8s_linter *l, size_t *errors, size_t *warnings, size_t *infos,
                                    size_t *unchecked)
{
        *errors = l->errors;
        *warnings = l->warnings;
        *infos = l->infos;
        *unchecked = l->unchecked;
}
