/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spec.baseProfileName: a SeccompProfile inherits the syscalls of its base, as
 * the Security Profiles Operator resolves it before it writes the profile to a
 * node (read in its releases v0.9.1 and v1.0.0: resolveSyscallsForProfile in
 * internal/pkg/daemon/seccompprofile and util.UnionSyscalls):
 *
 * - Only syscalls are inherited.  The installed profile is the object's own
 *   defaultAction, architectures, flags, listenerPath and listenerMetadata; the
 *   base's are not looked at.  (A SeccompProfile has no defaultErrnoRet.)
 * - The syscalls are the base's rules followed by the object's own, appended
 *   (mergo.WithAppendSlice: nothing is merged or deduplicated), names sorted
 *   within each rule, then the rules sorted by the name of their action
 *   ("SCMP_ACT_ALLOW" < "SCMP_ACT_ERRNO" < "SCMP_ACT_KILL" < ... < "SCMP_ACT_TRAP").
 *   The runtime then decides as for any profile: of two unconditional rules for
 *   one name the first wins, so ALLOW beats every other action, ERRNO beats
 *   KILL and LOG, and so on; errnoRet and arguments stay with their rule.
 * - A base with a base: the union so far goes after that base's rules, and so on
 *   down the chain.  The operator gives up at recursion level 15 ("max recursion
 *   level of 15 is reached"), i.e. at the 15th base; a cycle ends there too.
 *   sysfence refuses the same depth and names a cycle's objects instead.
 * - The base is the SeccompProfile of that name (cluster-scoped since v0.9.0;
 *   before, in the object's namespace); "oci://REF" pulls a signed artifact.
 *
 * An "oci://REF" base, as the operator's daemon takes it (resolveSyscallsForProfile
 * and internal/pkg/artifact, Pull and pullResult): REF is what follows the
 * prefix, a tag or a digest (a tag is resolved to a digest before the pull);
 * the artifact is either a SeccompProfile object (what spoc pushes for one; it
 * may have a base of its own, followed as any base, oci:// or a name) or a
 * KEP-6061 runtime-spec profile (no base); only its syscalls are taken, as for
 * any base.  The operator also checks a cosign signature, which sysfence does
 * not.  The pull is the caller's (sf_load_opts.oci): the CLI pulls a tag with a
 * warning that the base is not pinned (a tag can be moved to other rules after
 * a review; the operator takes tags, so refusing them would refuse its
 * examples), the node agent takes digests only, from the admin's registries.
 * One load pulls each reference once; a chain that comes back to a reference
 * is a cycle.
 *
 * The operator's main branch has since (commit 904322f74, after v1.0.0, not
 * released) switched to a per-name union (the less restrictive action wins,
 * arguments concatenated); this file follows the released behaviour.
 *
 * sysfence looks a base up among the objects of the same input, then in the
 * SeccompProfile files of profiles_dir, then among the runtime base names it
 * has measured sets for.  With a stable sort the chain's repeated sorts are one
 * sort of (deepest base, ..., base, own rules): equal actions keep that order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/profile-internal.h"
#include "sysfence/record.h"

#define MAX_BASES 14     /* the operator's level 15 is the 15th base */
#define MAX_DIR_FILES 4096
/* Over all the unions of one file: 1024 documents each on a base of 16384 rules
 * would otherwise copy 16 M rules. */
#define MAX_UNION_RULES (4 * SF_PROFILE_MAX_RULES)
#define MAX_UNION_NAMES (4 * SF_PROFILE_MAX_NAMES)

/* The runtime versions lib/record/base.c measured its sets on: Debian 12's
 * runc 1.1.5 (1.1.5+ds1-1+deb12u1) and crun 1.8.1.  "runc-v1.1.5" is also the
 * name of the base profile the operator's examples shipped for that runc
 * (examples/baseprofile-runc.yaml in v0.8.0). */
static const struct {
        const char *name, *runtime, *version;
} runtime_bases[] = {
        { "runc-v1.1.5", "runc", "1.1.5" },
        { "crun-v1.8.1", "crun", "1.8.1" },
};

static sf_inherit default_mode = SF_INHERIT_FLATTEN;
static const char *default_dir;
static const sf_oci_puller *default_puller;

SF_EXPORT void sf_profile_set_oci_puller(const sf_oci_puller *puller) { default_puller = puller; }

SF_EXPORT void sf_profile_set_inherit(sf_inherit mode, const char *profiles_dir)
{
        default_mode = mode == SF_INHERIT_DEFAULT ? SF_INHERIT_FLATTEN : mode;
        default_dir = profiles_dir;
}

SF_EXPORT const char *sf_profile_runtime_base(size_t i, const char **ret_runtime)
{
        if (i >= ARRAY_SIZE(runtime_bases))
                return NULL;
        if (ret_runtime)
                *ret_runtime = runtime_bases[i].runtime;
        return runtime_bases[i].name;
}

SF_EXPORT const char *sf_profile_runtime_base_for(const char *runtime)
{
        for (size_t i = 0; i < ARRAY_SIZE(runtime_bases); i++)
                if (strcmp(runtime_bases[i].runtime, runtime) == 0)
                        return runtime_bases[i].name;
        return NULL;
}

typedef struct inheritor {
        const char *file;
        sf_diags *d;
        const sf_load_opts *opts;
        const char *dir;
        int dirfd; /* dir as the caller holds it open, or -1 */
        sf_profile **in;
        size_t n_in;
        sf_arena *arena;      /* the input's store: builtin bases and new rule arrays */
        sf_profile **dirv;    /* the profiles of dir, once read */
        size_t n_dir;
        bool dir_read;
        sf_profile *runtime[ARRAY_SIZE(runtime_bases)];
        size_t union_rules, union_names; /* copied so far */
        const sf_oci_puller *puller;
        sf_profile **pulled; /* the oci:// bases pulled, named "oci://REF" */
        size_t n_pulled;
} inheritor;

__attribute__((format(printf, 5, 6))) static int fail(inheritor *ih, const sf_profile *at, const char *id,
                                                       const char *hint, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(ih->d, SF_SEV_ERROR, id, at->file, at->base_loc.path ? at->base_loc.path : "spec.baseProfileName",
                      at->base_loc.line, at->base_loc.col, hint, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static bool matches(const sf_profile *c, const char *name, const sf_profile *from)
{
        return c->format == SF_FORMAT_CRD && c->name && strcmp(c->name, name) == 0 &&
               (!c->namespace_ || !from->namespace_ || strcmp(c->namespace_, from->namespace_) == 0);
}

/* sysfence's measured set as a base profile: one ALLOW rule (no defaultAction
 * of its own matters: the operator uses only a base's syscalls). */
static sf_profile *runtime_base(inheritor *ih, size_t i)
{
        if (ih->runtime[i])
                return ih->runtime[i];
        const char *const *names = sf_record_base(runtime_bases[i].runtime);
        size_t n = 0;
        while (names && names[n])
                n++;
        sf_profile *b = sf_arena_alloc(ih->arena, sizeof(*b));
        sf_rule *r = sf_arena_alloc(ih->arena, sizeof(*r));
        const char **v = sf_arena_alloc(ih->arena, (n + 1) * sizeof(*v));
        sf_loc *locs = sf_arena_alloc(ih->arena, (n + 1) * sizeof(*locs));
        if (!b || !r || !v || !locs)
                return NULL;
        memcpy(v, names, n * sizeof(*v));
        *r = (sf_rule){ .names = v, .name_locs = locs, .n_names = n, .action = { .kind = SF_ACT_ALLOW },
                        .loc = { .path = "spec.syscalls[0]" } };
        b->name = runtime_bases[i].name;
        b->file = sf_arena_printf(ih->arena, "sysfence's %s %s base set", runtime_bases[i].runtime,
                                  runtime_bases[i].version);
        b->format = SF_FORMAT_CRD;
        b->default_action.kind = SF_ACT_ERRNO;
        b->rules = r;
        b->n_rules = 1;
        return ih->runtime[i] = b;
}

static int read_fd(int fd, char **ret, size_t *ret_len)
{
        sf_buf b = { 0 };
        char chunk[65536];
        for (;;) {
                ssize_t k = read(fd, chunk, sizeof(chunk));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        sf_buf_release(&b);
                        return -errno;
                }
                if (k == 0)
                        break;
                if (b.len + (size_t)k > SF_PROFILE_MAX_FILE) {
                        sf_buf_release(&b);
                        return -EFBIG;
                }
                sf_buf_add(&b, chunk, (size_t)k);
        }
        size_t len = b.len;
        sf_buf_putc(&b, 0);
        char *s = sf_buf_steal(&b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        *ret_len = len;
        return 0;
}

static bool profile_file_name(const char *s)
{
        size_t n = strlen(s);
        if (s[0] == '.')
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '_' || *p == '-'))
                        return false;
        return (n > 5 && strcmp(s + n - 5, ".yaml") == 0) || (n > 4 && strcmp(s + n - 4, ".yml") == 0) ||
               (n > 5 && strcmp(s + n - 5, ".json") == 0);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every SeccompProfile in the regular files of dir (symbolic links are not
 * followed), in the order of their names. */
static int read_dir(inheritor *ih)
{
        ih->dir_read = true;
        /* the caller's fd when it holds one (the agent's ConfigMap snapshot): a
         * fresh open of "." below it, for a listing of its own, never the path */
        int dfd = ih->dirfd >= 0 ? openat(ih->dirfd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                                 : open(ih->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                sf_diags_add(ih->d, SF_SEV_ERROR, "profiles-dir", ih->dir, "", 0, 0, NULL,
                             "cannot open the profiles directory: %s", strerror(errno));
                return -EINVAL;
        }
        DIR *dp = fdopendir(dfd);
        if (!dp) {
                close(dfd);
                return -ENOMEM;
        }
        char **names = NULL;
        size_t n = 0;
        int r = 0;
        struct dirent *de;
        while (r == 0 && (de = readdir(dp))) {
                if (!profile_file_name(de->d_name) || (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
                        continue;
                if (n >= MAX_DIR_FILES) {
                        sf_diags_add(ih->d, SF_SEV_ERROR, "profiles-dir", ih->dir, "", 0, 0, NULL,
                                     "more than %d profile files", MAX_DIR_FILES);
                        r = -EINVAL;
                        break;
                }
                char **v = realloc(names, (n + 1) * sizeof(*v));
                if (v)
                        names = v;
                if (!v || !(names[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (names)
                qsort(names, n, sizeof(*names), cmp_str);
        sf_load_opts lo = { .strict = ih->opts->strict, .inherit = SF_INHERIT_NONE };
        for (size_t i = 0; r == 0 && i < n; i++) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                size_t len = 0;
                if (asprintf(&path, "%s/%s", ih->dir, names[i]) < 0) {
                        path = NULL;
                        r = -ENOMEM;
                        break;
                }
                int fd = openat(dfd, names[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                        if (fd >= 0)
                                close(fd);
                        continue; /* a symbolic link, a FIFO...: not a profile file */
                }
                r = read_fd(fd, &data, &len);
                close(fd);
                if (r < 0) {
                        sf_diags_add(ih->d, SF_SEV_ERROR, "io", path, "", 0, 0, NULL, "cannot read: %s", strerror(-r));
                        r = r == -ENOMEM ? -ENOMEM : -EINVAL;
                        break;
                }
                sf_profile **v = NULL;
                size_t nv = 0;
                sf_error *err = NULL;
                /* A file that is no profile takes nothing from the others: said
                 * once, without its findings (it may be another pod author's key). */
                sf_diags local = { 0 };
                r = sf_profile_load_data(data, len, path, &lo, &v, &nv, &local, &err);
                sf_error_free(err);
                sf_diags_release(&local);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        sf_diags_add(ih->d, SF_SEV_WARNING, "profiles-dir", path, "", 0, 0, NULL,
                                     "not a valid profile: not looked at for a base");
                        r = 0;
                        continue;
                }
                sf_profile **all = realloc(ih->dirv, (ih->n_dir + nv) * sizeof(*all));
                if (!all) {
                        sf_profiles_free(v, nv);
                        r = -ENOMEM;
                        break;
                }
                ih->dirv = all;
                memcpy(all + ih->n_dir, v, nv * sizeof(*v));
                ih->n_dir += nv;
                free(v);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        closedir(dp);
        return r;
}

#define MAX_OCI_REF 1024

/* The base "oci://REF" of `from`, pulled (once per reference and load). */
static sf_profile *oci_base(inheritor *ih, const sf_profile *from, int *ret)
{
        const char *name = from->base_profile_name, *ref = name + 6;
        for (size_t i = 0; i < ih->n_pulled; i++)
                if (strcmp(ih->pulled[i]->name, name) == 0)
                        return ih->pulled[i];
        /* the reference is the object's text: shown only once it is plain */
        size_t n = strlen(ref);
        bool plain = n > 0 && n <= MAX_OCI_REF;
        for (size_t i = 0; plain && i < n; i++)
                plain = (unsigned char)ref[i] > ' ' && (unsigned char)ref[i] < 0x7f && ref[i] != '"' && ref[i] != '\\';
        if (!plain) {
                fail(ih, from, "base-oci", "give oci://HOST[:PORT]/REPO[:TAG][@sha256:DIGEST]",
                     "SeccompProfile \"%s\": base oci:// and then not a reference (not shown)", from->name);
                return NULL;
        }
        if (!ih->puller) {
                fail(ih, from, "base-oci", "give the base's SeccompProfile in the same file or in --profiles-dir",
                     "SeccompProfile \"%s\": base \"%s\" is an OCI artifact, and nothing here pulls one", from->name,
                     name);
                return NULL;
        }
        _cleanup_free_ char *data = NULL, *why = NULL;
        size_t len = 0;
        int r = ih->puller->pull(ih->puller->ctx, ref, &data, &len, &why);
        if (r == -ENOMEM) {
                *ret = -ENOMEM;
                return NULL;
        }
        if (r < 0) {
                fail(ih, from, "base-oci-pull", NULL, "SeccompProfile \"%s\": base %s", from->name,
                     why ? why : "cannot be pulled");
                return NULL;
        }
        if (!strstr(ref, "@sha256:"))
                sf_diags_add(ih->d, SF_SEV_WARNING, "base-unpinned", from->file,
                             from->base_loc.path ? from->base_loc.path : "spec.baseProfileName", from->base_loc.line,
                             from->base_loc.col, "name it by the digest: oci://REPO@sha256:...",
                             "SeccompProfile \"%s\": base \"%s\" is not pinned by a digest: the tag can be moved to "
                             "other rules; the node agent refuses it",
                             from->name, name);
        sf_load_opts lo = { .strict = ih->opts->strict, .inherit = SF_INHERIT_NONE };
        sf_profile **v = NULL;
        size_t nv = 0;
        sf_error *err = NULL;
        sf_diags local = { 0 };
        r = sf_profile_load_data(data, len, name, &lo, &v, &nv, &local, &err);
        /* its findings are said at its own spots (file "oci://REF") */
        for (size_t i = 0; i < local.n; i++)
                sf_diags_add(ih->d, local.v[i].severity, local.v[i].id, local.v[i].file, local.v[i].path,
                             local.v[i].line, local.v[i].col, local.v[i].hint, "%s", local.v[i].msg);
        sf_diags_release(&local);
        sf_error_free(err);
        sf_profile **pv = r >= 0 ? realloc(ih->pulled, (ih->n_pulled + 1) * sizeof(*pv)) : NULL;
        if (pv)
                ih->pulled = pv;
        if (r == -ENOMEM || (r >= 0 && !pv)) {
                sf_profiles_free(v, nv);
                *ret = -ENOMEM;
                return NULL;
        }
        if (r < 0 || nv != 1) {
                sf_profiles_free(v, nv);
                fail(ih, from, "base-oci", NULL, "SeccompProfile \"%s\": base \"%s\": the pulled artifact is %s",
                     from->name, name, r < 0 ? "not a valid profile" : "not one profile");
                return NULL;
        }
        sf_profile *b = v[0];
        free(v);
        ih->pulled[ih->n_pulled++] = b;
        if (!(b->name = sf_arena_strdup(profile_arena(b), name))) {
                *ret = -ENOMEM;
                return NULL;
        }
        /* a runtime-spec profile has no base; a SeccompProfile's is followed */
        if (b->format != SF_FORMAT_CRD)
                b->base_profile_name = NULL;
        return b;
}

/* The base `name` of profile `from`, or NULL with an error reported. */
static sf_profile *find_base(inheritor *ih, const sf_profile *from, int *ret)
{
        const char *name = from->base_profile_name;
        *ret = -EINVAL;
        if (strncmp(name, "oci://", 6) == 0)
                return oci_base(ih, from, ret);
        for (size_t i = 0; i < ih->n_in; i++)
                if (matches(ih->in[i], name, from))
                        return ih->in[i];
        if (ih->dir && !ih->dir_read && (*ret = read_dir(ih)) < 0)
                return NULL;
        sf_profile *found = NULL;
        for (size_t i = 0; i < ih->n_dir; i++) {
                if (!matches(ih->dirv[i], name, from))
                        continue;
                if (found) {
                        fail(ih, from, "base-ambiguous", NULL,
                             "SeccompProfile \"%s\": base \"%s\" is defined twice, in %s and in %s", from->name, name,
                             found->file, ih->dirv[i]->file);
                        return NULL;
                }
                found = ih->dirv[i];
        }
        if (found)
                return found;
        for (size_t i = 0; i < ARRAY_SIZE(runtime_bases); i++)
                if (strcmp(runtime_bases[i].name, name) == 0) {
                        found = runtime_base(ih, i);
                        if (!found)
                                *ret = -ENOMEM;
                        return found;
                }
        sf_buf known = { 0 };
        for (size_t i = 0; i < ARRAY_SIZE(runtime_bases); i++)
                sf_buf_printf(&known, "%s%s (%s %s)", i ? ", " : "", runtime_bases[i].name, runtime_bases[i].runtime,
                              runtime_bases[i].version);
        char hint[256];
        snprintf(hint, sizeof(hint),
                 "give a SeccompProfile named \"%s\" in the same file or in --profiles-dir DIR, or --no-inherit for the object alone",
                 name);
        fail(ih, from, "unknown-base", hint,
             "SeccompProfile \"%s\": unknown base \"%s\": no SeccompProfile of that name in %s%s%s, and sysfence's measured runtime bases are %s",
             from->name, name, ih->file, ih->dir ? " or " : "", ih->dir ? ih->dir : "", known.s ? known.s : "none");
        sf_buf_release(&known);
        return NULL;
}

typedef struct ranked {
        const sf_rule *r;
        const sf_profile *from;
        size_t order;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
        const ranked *x = a, *y = b;
        int c = strcmp(sf_action_name(x->r->action.kind), sf_action_name(y->r->action.kind));
        if (c)
                return c;
        return x->order < y->order ? -1 : x->order > y->order;
}

/* Walks p's chain; with `flat`, builds the union's rules (in the arena). */
static int resolve_one(inheritor *ih, const sf_profile *p, sf_rule **ret_rules, size_t *ret_n, const char **ret_names)
{
        const sf_profile *chain[MAX_BASES + 2] = { p };
        size_t depth = 1;
        for (const sf_profile *cur = p; cur->base_profile_name;) {
                int r;
                const sf_profile *b = find_base(ih, cur, &r);
                if (!b)
                        return r;
                for (size_t k = 0; k < depth; k++) {
                        if (chain[k] != b)
                                continue;
                        sf_buf c = { 0 };
                        for (size_t j = k; j < depth; j++)
                                sf_buf_printf(&c, "\"%s\" -> ", chain[j]->name);
                        sf_buf_printf(&c, "\"%s\"", b->name);
                        fail(ih, cur, "base-cycle", "a base profile cannot inherit from a profile built on it",
                             "SeccompProfile \"%s\": base profiles form a cycle: %s", p->name, c.s ? c.s : "");
                        sf_buf_release(&c);
                        return -EINVAL;
                }
                if (depth > MAX_BASES)
                        return fail(ih, cur, "base-depth", NULL,
                                    "SeccompProfile \"%s\": more than %d bases in a chain; the operator stops at recursion level %d",
                                    p->name, MAX_BASES, MAX_BASES + 1);
                chain[depth++] = b;
                cur = b;
        }

        size_t total = 0;
        for (size_t k = 0; k < depth; k++)
                total += chain[k]->n_rules;
        if (total > SF_PROFILE_MAX_RULES)
                return fail(ih, p, "too-many-rules", NULL, "SeccompProfile \"%s\" with its bases has %zu rules, more than %u",
                            p->name, total, SF_PROFILE_MAX_RULES);
        size_t names_in = 0;
        for (size_t k = 1; k < depth; k++)
                for (size_t i = 0; i < chain[k]->n_rules; i++)
                        names_in += chain[k]->rules[i].n_names;
        ih->union_rules += total;
        ih->union_names += names_in;
        if (ih->union_rules > MAX_UNION_RULES || ih->union_names > MAX_UNION_NAMES)
                return fail(ih, p, "too-many-rules", NULL,
                            "the unions of the file's SeccompProfiles with their bases hold more than %u rules or %u inherited names",
                            MAX_UNION_RULES, MAX_UNION_NAMES);
        _cleanup_free_ ranked *v = calloc(total + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        size_t n = 0;
        for (size_t k = depth; k-- > 0;)
                for (size_t i = 0; i < chain[k]->n_rules; i++, n++)
                        v[n] = (ranked){ .r = &chain[k]->rules[i], .from = chain[k], .order = n };
        qsort(v, n, sizeof(*v), cmp_ranked);

        sf_rule *rules = sf_arena_alloc(ih->arena, (n + 1) * sizeof(*rules));
        sf_buf names = { 0 };
        for (size_t k = 1; k < depth; k++)
                sf_buf_printf(&names, "%s%s", k > 1 ? ", " : "", chain[k]->name);
        const char *joined = names.s ? sf_arena_strdup(ih->arena, names.s) : NULL;
        sf_buf_release(&names);
        if (!rules || !joined)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                sf_rule *r = &rules[i];
                *r = *v[i].r;
                if (v[i].from == p)
                        continue;
                /* an inherited rule says whose it is; its line only where it is in this file */
                bool here = strcmp(v[i].from->file, p->file) == 0;
                r->loc.path = sf_arena_printf(ih->arena, "base(%s).%s", v[i].from->name, r->loc.path ? r->loc.path : "");
                if (!here)
                        r->loc.line = r->loc.col = 0;
                sf_loc *locs = sf_arena_alloc(ih->arena, (r->n_names + 1) * sizeof(*locs));
                if (!r->loc.path || !locs)
                        return -ENOMEM;
                for (size_t j = 0; here && j < r->n_names; j++)
                        locs[j] = (sf_loc){ .line = r->name_locs[j].line, .col = r->name_locs[j].col };
                r->name_locs = locs;
        }
        *ret_rules = rules;
        *ret_n = n;
        *ret_names = joined;
        return 0;
}

int sf_profile_inherit(sf_profile **v, size_t n, const char *file, const sf_load_opts *opts, sf_diags *d)
{
        sf_inherit mode = opts->inherit != SF_INHERIT_DEFAULT ? opts->inherit : default_mode;
        bool any = false;
        for (size_t i = 0; i < n; i++)
                any |= v[i]->base_profile_name != NULL;
        if (mode == SF_INHERIT_NONE || !any)
                return 0;

        inheritor ih = { .file = file, .d = d, .opts = opts, .dir = opts->profiles_dir ? opts->profiles_dir : default_dir,
                         .puller = opts->oci ? opts->oci : default_puller,
                         .dirfd = opts->profiles_dir && opts->has_profiles_dirfd ? opts->profiles_dirfd : -1,
                         .in = v, .n_in = n, .arena = profile_arena(v[0]) };
        /* all chains first: a base of one object may be another object of the file,
         * whose own rules (not its union) are what the operator takes */
        typedef struct flat {
                sf_rule *rules;
                size_t n;
                const char *names;
        } flat;
        _cleanup_free_ flat *f = calloc(n, sizeof(*f));
        int r = f ? 0 : -ENOMEM;
        for (size_t i = 0; r == 0 && i < n; i++)
                if (v[i]->base_profile_name)
                        r = resolve_one(&ih, v[i], &f[i].rules, &f[i].n, &f[i].names);
        /* the rules taken from the directory's files keep their store alive */
        sf_store *store = v[0]->arena_;
        for (size_t i = 0; r == 0 && mode == SF_INHERIT_FLATTEN && i < ih.n_dir; i++)
                r = sf_store_keep(store, ih.dirv[i]->arena_);
        for (size_t i = 0; r == 0 && mode == SF_INHERIT_FLATTEN && i < ih.n_pulled; i++)
                r = sf_store_keep(store, ih.pulled[i]->arena_);
        if (r == 0 && mode == SF_INHERIT_FLATTEN)
                for (size_t i = 0; i < n; i++)
                        if (v[i]->base_profile_name) {
                                v[i]->rules = f[i].rules;
                                v[i]->n_rules = f[i].n;
                                v[i]->inherited = f[i].names;
                                v[i]->base_profile_name = NULL;
                        }
        sf_profiles_free(ih.dirv, ih.n_dir);
        sf_profiles_free(ih.pulled, ih.n_pulled);
        if (r == -ENOMEM)
                sf_diags_add(d, SF_SEV_ERROR, "oom", file, "", 0, 0, NULL, "out of memory");
        return r;
}
