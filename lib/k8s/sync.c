/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What install, the agent and status share: preparing profiles for the node
 * (compiled to validate them; resolved where containerd would widen them),
 * oci:// references checked and pulled,
 * reading a ConfigMap volume one snapshot at a time, atomic writes into the
 * kubelet's dir through a directory fd, and the agent's state file.  The
 * contract of each is in k8s-internal.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "arch/caps.h"
#include "doc/doc.h"
#include "sysfence/artifact.h"
#include "k8s-internal.h"

void k8s_log(sf_k8s_log_fn log, void *ctx, int level, const char *fmt, ...)
{
        if (!log)
                return;
        sf_buf b = { 0 };
        va_list ap;
        va_start(ap, fmt);
        sf_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        if (!b.oom)
                log(ctx, level, b.s);
        sf_buf_release(&b);
}

void k8s_message(sf_diags *d, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sf_diags_vadd(d, SF_SEV_ERROR, SF_K8S_MESSAGE, "", "", 0, 0, NULL, fmt, ap);
        va_end(ap);
}

void k8s_diags_move(sf_diags *to, const sf_diags *from)
{
        for (size_t i = 0; i < from->n; i++) {
                const sf_diag *g = &from->v[i];
                sf_diags_add(to, g->severity, g->id, g->file, g->path, g->line, g->col, g->hint, "%s", g->msg);
        }
}

/* Content identity for the state and status: lib/util's SHA-256. */
void k8s_sha256_hex(const void *data, size_t len, char out[K8S_SHA_HEX])
{
        sf_sha256_hex(data, len, out);
}

/* --- preparing a profile for the node ------------------------------------------ */

static char *one_line(char *s)
{
        for (char *p = s; p && *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        return s;
}

static char *first_error(const sf_diags *d, size_t from, const char *display, const sf_error *err)
{
        for (size_t i = from; i < d->n; i++)
                if (d->v[i].severity == SF_SEV_ERROR)
                        return one_line(sf_diag_format(&d->v[i]));
        sf_buf b = { 0 };
        const char *msg = err ? sf_error_message(err) : "invalid profile";
        if (strncmp(msg, display, strlen(display)) != 0)
                sf_buf_printf(&b, "%s: ", display);
        sf_buf_puts(&b, msg);
        return one_line(sf_buf_steal(&b));
}

/* The loader's diagnostics quote the bad value, and a rejected key's text is a
 * pod author's: for the log, status and the world-readable state file, only
 * where (file:line:col), the JSON path (the loader builds it from the schema's
 * field names and indexes, never from a value; anything else is dropped) and
 * the kind of error. */
static bool path_is_schema(const char *p)
{
        for (; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("._[]", *p)))
                        return false;
        return true;
}

static const char *kind_of(const char *id)
{
        static const struct {
                const char *id, *what;
        } kinds[] = {
                { "invalid", "invalid value" },
                { "json-syntax", "not valid JSON" },
                { "yaml-syntax", "not valid YAML" },
                { "unknown-syscall", "unknown syscall name (strict)" },
                { "newer-syscall", "a syscall newer than the runtimes' libseccomp (strict)" },
                { "too-large", "too large" },
                { "empty", "no profile in the file" },
                { "duplicate-name", "two profiles with one name" },
                { "notify-without-listener", "SCMP_ACT_NOTIFY without a listener" },
                { "notify-default", "SCMP_ACT_NOTIFY as the default action" },
                { "conflicting-actions", "one syscall with conflicting actions" },
                { "kep6061-entries", "a syscall in more than 128 entries (KEP-6061)" },
                { "kep6061-size", "larger than 1 MiB (KEP-6061)" },
                { "kep6061-format", "not a runtime-spec profile (KEP-6061)" },
                { "kep6061-notify", "SCMP_ACT_NOTIFY (KEP-6061 runtimes refuse it)" },
                { "kep6061-listener", "a listener field (KEP-6061 runtimes refuse it)" },
        };
        for (size_t i = 0; id && i < ARRAY_SIZE(kinds); i++)
                if (strcmp(kinds[i].id, id) == 0)
                        return kinds[i].what;
        return "invalid profile";
}

static char *quiet_reason(const sf_diags *d, size_t from, const char *display, const sf_error *err)
{
        sf_buf b = { 0 };
        for (size_t i = from; i < d->n; i++) {
                const sf_diag *g = &d->v[i];
                if (g->severity != SF_SEV_ERROR)
                        continue;
                sf_buf_puts(&b, display);
                if (g->line)
                        sf_buf_printf(&b, ":%u:%u", g->line, g->col);
                if (g->path && g->path[0] && strlen(g->path) <= 200 && path_is_schema(g->path))
                        sf_buf_printf(&b, ": %s", g->path);
                sf_buf_printf(&b, ": error: %s", kind_of(g->id));
                return sf_buf_steal(&b);
        }
        sf_buf_printf(&b, "%s: error: %s", display,
                      err && err->code == E2BIG ? "too large to compile for this node" : "invalid profile");
        return sf_buf_steal(&b);
}

/* Whether the text is strict JSON (the loader reads YAML too).  Asked before
 * the profile is loaded, so that the two parse trees are never held at once. */
static bool is_json_text(const char *data, size_t len)
{
        /* The runtimes read the Docker/OCI object as JSON with Go's encoding/json,
         * which refuses a byte order mark. */
        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                return false;
        sf_doc doc = { 0 };
        sf_diags d = { 0 };
        int r = sf_json_parse(data, len, "-", &doc, &d);
        sf_doc_release(&doc);
        sf_diags_release(&d);
        return r == 0;
}

/* Whether p has what containerd ignores in a Localhost profile. */
static bool conditional(const sf_profile *p)
{
        bool c = p->n_arch_map > 0;
        for (size_t i = 0; i < p->n_rules && !c; i++)
                c = p->rules[i].includes.present || p->rules[i].excludes.present;
        return c;
}

/* The warning for a resolved profile: the rules it leaves out because of a
 * capability the target lacks (includes.caps) or holds (excludes.caps). */
static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The warning for a resolved profile, naming each syscall (once, sorted) of
 * the rules it leaves out because of a capability the target lacks
 * (includes.caps) or holds (excludes.caps): 64 of them at most. */
#define NOTE_NAMES_MAX 64
static void note_resolved(const sf_profile *p, const sf_target *t, const char *display, sf_diags *d)
{
        size_t n = 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if ((r->includes.caps & ~t->caps) || (r->excludes.caps & t->caps))
                        n += r->n_names;
        }
        const char **v = n ? malloc(n * sizeof(*v)) : NULL;
        size_t k = 0;
        for (size_t i = 0; v && i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if ((r->includes.caps & ~t->caps) || (r->excludes.caps & t->caps))
                        for (size_t j = 0; j < r->n_names; j++)
                                v[k++] = r->names[j];
        }
        size_t u = 0;
        if (v) {
                qsort(v, k, sizeof(*v), cmp_name);
                for (size_t i = 0; i < k; i++)
                        if (!u || strcmp(v[u - 1], v[i]) != 0)
                                v[u++] = v[i];
        }
        sf_buf names = { 0 };
        for (size_t i = 0; i < u && i < NOTE_NAMES_MAX; i++)
                sf_buf_printf(&names, "%s%s", i ? ", " : "", v[i]);
        if (u > NOTE_NAMES_MAX)
                sf_buf_printf(&names, ", and %zu more", u - NOTE_NAMES_MAX);
        free(v);
        const char *caps = t->caps == sf_caps_default() ? "the default capabilities" : "--caps";
        sf_diags_add(d, SF_SEV_WARNING, "resolved-for-node", display, "", 0, 0,
                     n ? "a container given other capabilities gets exactly this; give --caps for another set, or "
                         "--as-given where the runtime evaluates includes/excludes itself (CRI-O)"
                       : NULL,
                     "containerd ignores archMap and includes/excludes, and would apply every rule: installed resolved "
                     "for %s, kernel %u.%u, %s%s%s",
                     sf_arch_short_name(t->arch), t->kernel_major, t->kernel_minor, caps,
                     n ? "; left out, as they depend on other capabilities: " : "", n && names.s ? names.s : "");
        sf_buf_release(&names);
}

int k8s_prepare(const char *display, const char *data, size_t len, const sf_compile_opts *co, bool as_given,
                const char *bases_dir, int bases_fd, bool kep6061, k8s_prepared *ret, sf_diags *diags)
{
        return k8s_prepare_with(display, data, len, co, as_given, bases_dir, bases_fd, NULL, kep6061, ret, diags);
}

static int no_pull(void *ctx, const char *ref, char **ret_data, size_t *ret_len, char **ret_why)
{
        (void)ctx, (void)ref, (void)ret_data, (void)ret_len;
        /* ref is a pod author's: not repeated */
        *ret_why = strdup("oci://...: not pulled here (the agent pulls a key's oci:// base, from the registries it "
                          "was given)");
        return *ret_why ? -EINVAL : -ENOMEM;
}

const sf_oci_puller k8s_no_puller = { .pull = no_pull };

int k8s_prepare_with(const char *display, const char *data, size_t len, const sf_compile_opts *co, bool as_given,
                     const char *bases_dir, int bases_fd, const sf_oci_puller *oci, bool kep6061, k8s_prepared *ret,
                     sf_diags *diags)
{
        sf_diags local = { 0 };
        sf_diags *d = diags ? diags : &local;
        size_t from = d->n;
        /* a key's base is another key of the same source (bases_dir, read through
         * the snapshot's fd), a runtime's, or an oci:// artifact (oci pulls it) */
        sf_load_opts lo = { .strict = co->strict, .profiles_dir = bases_dir, .profiles_dirfd = bases_fd,
                            .has_profiles_dirfd = bases_dir && bases_fd >= 0, .oci = oci };
        sf_profile **v = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        sf_prog *prog = NULL;
        k8s_prepared out = { 0 };
        int r = 1;

        if (!data && len > K8S_KEY_BYTES_MAX) {
                sf_buf b = { 0 };
                sf_buf_printf(&b, "%s: larger than 1 MiB, the most a ConfigMap holds (not read)", display);
                out.error = sf_buf_steal(&b);
                out.reason = out.error ? strdup(out.error) : NULL;
                goto done;
        }

        bool json_text = is_json_text(data, len);
        if (sf_profile_load_data(data, len, display, &lo, &v, &n, d, &err) < 0) {
                out.error = first_error(d, from, display, err);
                out.reason = quiet_reason(d, from, display, err);
                goto done;
        }
        if (n != 1) {
                sf_buf b = { 0 };
                sf_buf_printf(&b, "%s: holds %zu profiles; give one per file", display, n);
                out.error = sf_buf_steal(&b);
                out.reason = out.error ? strdup(out.error) : NULL;
                goto done;
        }
        if (kep6061) {
                /* what a KEP-6061 runtime refuses in an artifact, refused here before it is installed */
                size_t errors = d->errors;
                sf_kep6061_check(v[0], len, d);
                if (d->errors > errors) {
                        out.error = first_error(d, from, display, NULL);
                        out.reason = quiet_reason(d, from, display, NULL);
                        goto done;
                }
        }
        if (sf_compile(v[0], co, &prog, d, &err) < 0) {
                out.error = first_error(d, from, display, err);
                out.reason = quiet_reason(d, from, display, err);
                goto done;
        }
        if (!as_given && conditional(v[0])) {
                sf_target t = co->target;
                if (co->n_arches)
                        t.arch = co->arches[0];
                sf_profile *res = NULL;
                if (sf_profile_resolve(v[0], &t, &res, &err) < 0 || sf_profile_prune_shadowed(res, NULL, &err) < 0 ||
                    sf_profile_emit(res, SF_FORMAT_DOCKER, &out.bytes, &err) < 0) {
                        sf_profile_free(res);
                        out.error = first_error(d, d->n, display, err);
                        out.reason = quiet_reason(d, d->n, display, err);
                        goto done;
                }
                sf_profile_free(res);
                out.len = out.bytes ? strlen(out.bytes) : 0;
                note_resolved(v[0], &t, display, d);
        } else if (json_text && (v[0]->format == SF_FORMAT_DOCKER || v[0]->format == SF_FORMAT_OCI)) {
                /* as the runtimes read it: YAML or a whole config.json they do not */
                out.bytes = malloc(len + 1);
                if (out.bytes) {
                        memcpy(out.bytes, data, len);
                        out.bytes[len] = 0;
                        out.len = len;
                }
        } else if (sf_profile_emit(v[0], SF_FORMAT_DOCKER, &out.bytes, &err) < 0) {
                out.error = first_error(d, d->n, display, err);
                out.reason = quiet_reason(d, d->n, display, err);
                goto done;
        } else {
                out.len = strlen(out.bytes);
        }
        if (!out.bytes) {
                r = -ENOMEM;
                goto done;
        }
        k8s_sha256_hex(out.bytes, out.len, out.sha);
        r = 0;
done:
        if (r == 1 && (!out.error || !out.reason))
                r = -ENOMEM;
        sf_error_free(err);
        sf_prog_free(prog);
        sf_profiles_free(v, n);
        sf_diags_release(&local);
        if (r < 0) {
                k8s_prepared_release(&out);
                return r;
        }
        *ret = out;
        return r;
}

void k8s_prepared_release(k8s_prepared *p)
{
        free(p->bytes);
        free(p->error);
        free(p->reason);
        *p = (k8s_prepared){ 0 };
}

/* --- oci:// keys ------------------------------------------------------------------ */

/* A key's text comes from a pod author (or whoever writes the ConfigMap) and
 * the agent runs as root: the reference is parsed before any byte of it is
 * shown, must be pinned by a digest (a tag can be moved to another profile at
 * any time, and the node would then run what nobody reviewed), must name a
 * registry the admin allowed, and never an OCI layout on the node's own disk.
 * The pull verifies the digests and bounds the sizes (lib/artifact); the
 * profile then goes through k8s_prepare as any key, KEP-6061's rules included. */

static bool host_listed(const char *const *v, size_t n, const char *host)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] && strcasecmp(v[i], host) == 0)
                        return true;
        return false;
}

static int oci_refuse(char **ret_reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int oci_refuse(char **ret_reason, const char *fmt, ...)
{
        sf_buf b = { 0 };
        va_list ap;
        va_start(ap, fmt);
        sf_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        if (!(*ret_reason = sf_buf_steal(&b)))
                return -ENOMEM;
        return 2;
}

void k8s_oci_release(k8s_oci *k)
{
        sf_artifact_ref_release(&k->ref);
        free(k->shown);
        *k = (k8s_oci){ 0 };
}

int k8s_oci_parse(const char *data, size_t len, const sf_k8s_node_opts *o, bool agent, k8s_oci *ret,
                  char **ret_reason)
{
        const size_t pn = strlen(SF_K8S_OCI_PREFIX);
        if (!data || len < pn || memcmp(data, SF_K8S_OCI_PREFIX, pn) != 0)
                return 0;
        const char *t = data + pn;
        size_t n = len - pn;
        while (n && strchr(" \t\r\n", t[n - 1]))
                n--;
        static const char form[] = "give oci://HOST[:PORT]/REPO[:TAG]@sha256:<64 hex digits>";
        if (n == 0 || n > K8S_OCI_REF_MAX)
                return oci_refuse(ret_reason, "%s oci:// names no reference (%s)", n ? "a too long" : "an empty", form);
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)t[i] <= ' ' || (unsigned char)t[i] >= 0x7f)
                        return oci_refuse(ret_reason, "oci:// and then not a reference (not shown: a byte outside "
                                                      "printable ASCII, or white space); %s", form);
        _cleanup_free_ char *text = strndup(t, n);
        if (!text)
                return -ENOMEM;
        if (strncmp(text, "oci:", 4) == 0)
                return oci_refuse(ret_reason, "oci://oci:...: an OCI layout on the node's disk is never read; %s",
                                  form);
        k8s_oci k = { 0 };
        sf_error *err = NULL;
        int r = sf_artifact_ref_parse(text, &k.ref, &err);
        int code = err ? err->code : 0;
        sf_error_free(err);
        if (r < 0)
                return code == ENOMEM ? -ENOMEM
                                      : oci_refuse(ret_reason, "oci:// and then not a registry reference (not shown); %s",
                                                   form);
        /* every part is charset-checked by the parser: from here it may be shown */
        sf_buf b = { 0 };
        sf_buf_printf(&b, "%s/%s%s%s", k.ref.registry, k.ref.repo, k.ref.tag ? ":" : "", k.ref.tag ? k.ref.tag : "");
        if (!k.ref.digest) {
                r = b.oom ? -ENOMEM
                          : oci_refuse(ret_reason,
                                       "oci://%s is not pinned by a digest: a tag can be moved to another profile; "
                                       "give oci://%s@sha256:<the digest 'sysfence artifact push' printed>",
                                       b.s, b.s);
                sf_buf_release(&b);
                sf_artifact_ref_release(&k.ref);
                return r;
        }
        sf_buf_printf(&b, "@%s", k.ref.digest);
        if (!(k.shown = sf_buf_steal(&b))) {
                k8s_oci_release(&k);
                return -ENOMEM;
        }
        if (o) {
                k.plain_http = host_listed(o->plain_http, o->n_plain_http, k.ref.registry);
                bool any = !agent && o->n_registries == 0 && o->n_plain_http == 0;
                if (!any && !k.plain_http && !host_listed(o->registries, o->n_registries, k.ref.registry)) {
                        r = oci_refuse(ret_reason, "oci://%s: registry %s is not one this node pulls from (%s)", k.shown,
                                       k.ref.registry,
                                       agent ? "the agent's --allow-registry and --plain-http-registry name them"
                                             : "--allow-registry");
                        k8s_oci_release(&k);
                        return r;
                }
        }
        *ret = k;
        return 1;
}

int k8s_oci_pull(const k8s_oci *k, const sf_k8s_node_opts *o, bool agent, char **ret_data, size_t *ret_len,
                 char **ret_reason)
{
        /* the agent must not hang on a registry that does not answer: a minute, then retried */
        sf_artifact_opts ao = { .plain_http = k->plain_http, .auth_file = o->registry_auth,
                                .auth_file_only = agent, .timeout_s = agent ? 60 : 0, .spo_objects = k->base };
        sf_error *err = NULL;
        char *data = NULL;
        size_t len = 0;
        int r = sf_artifact_pull(&k->ref, &ao, NULL, &data, &len, &err);
        if (r == 0) {
                *ret_data = data;
                *ret_len = len;
                return 0;
        }
        int code = err ? err->code : ENOMEM;
        sf_buf b = { 0 };
        sf_buf_printf(&b, "oci://%s: cannot pull: %s", k->shown, err ? sf_error_message(err) : "out of memory");
        sf_error_free(err);
        char *m = sf_buf_steal(&b);
        if (code == ENOMEM || !m) {
                free(m);
                return -ENOMEM;
        }
        *ret_reason = one_line(m);
        return 1;
}

/* --- files ---------------------------------------------------------------------- */

static int read_fd(int fd, size_t max, char **ret, size_t *ret_len, mode_t *ret_mode)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t)st.st_size > max)
                return -EFBIG;
        /* sized from fstat, read straight in; a file that grows meanwhile grows the buffer */
        size_t cap = (size_t)st.st_size + 1, len = 0;
        char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap > max) {
                                free(buf);
                                return -EFBIG;
                        }
                        char *nb = realloc(buf, 2 * cap + 1);
                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                        cap *= 2;
                }
                ssize_t k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        free(buf);
                        return -e;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        if (len > max) {
                free(buf);
                return -EFBIG;
        }
        buf[len] = 0;
        *ret_len = len;
        *ret = buf;
        if (ret_mode)
                *ret_mode = st.st_mode;
        return 0;
}

bool k8s_same_file(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
               a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int k8s_hash_at(int dirfd, const char *name, char out[K8S_SHA_HEX], struct stat *ret_st)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return errno == ELOOP ? -EBADFD : -errno;
        if (ret_st && fstat(fd, ret_st) < 0)
                return -errno;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = read_fd(fd, SF_PROFILE_MAX_FILE, &data, &len, NULL);
        if (r < 0)
                return r;
        k8s_sha256_hex(data, len, out);
        return 0;
}

SF_EXPORT bool sf_k8s_name_ok(const char *name)
{
        return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) <= 253;
}

static bool key_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_';
}

bool k8s_key_name_ok(const char *name)
{
        /* the API server's rule for ConfigMap keys; the kubelet's own entries
         * (..data, ..<timestamp>) and our temporaries are dot-named */
        size_t n = 0;
        for (; name[n]; n++)
                if (!key_char(name[n]) || n >= K8S_KEY_MAX)
                        return false;
        return n > 0 && name[0] != '.';
}

void k8s_name_escape(sf_buf *b, const char *name)
{
        /* injective: the backslash is escaped too, so two names never read alike */
        for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
                if (key_char((char)*p))
                        sf_buf_putc(b, (char)*p);
                else
                        sf_buf_printf(b, "\\x%02x", *p);
        }
}

int k8s_tmp_write(int dirfd, const void *data, size_t len, mode_t mode, char tmp[K8S_TMP_NAME], struct stat *ret_st)
{
        int fd = -1;
        for (int tries = 0; fd < 0 && tries < 100; tries++) {
                uint64_t rnd = 0;
                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
                        rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)tries ^ (uint64_t)(uintptr_t)&rnd;
                snprintf(tmp, K8S_TMP_NAME, K8S_TMP_PREFIX "%016llx", (unsigned long long)rnd);
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
        }
        if (fd < 0)
                return -EEXIST;
        const char *p = data;
        int r = 0;
        while (len > 0) {
                ssize_t k = write(fd, p, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                p += k;
                len -= (size_t)k;
        }
        /* the mode asked for whatever the umask; never more than 0644 (set-id,
         * sticky or writable by others would only be a hazard) */
        if (r == 0 && (fchmod(fd, mode & 0644) < 0 || fsync(fd) < 0 || fstat(fd, ret_st) < 0))
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0)
                unlinkat(dirfd, tmp, 0);
        return r;
}

int k8s_tmp_commit(int dirfd, const char *tmp, const char *name)
{
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                int e = errno;
                unlinkat(dirfd, tmp, 0);
                return -e;
        }
        return 0;
}

int k8s_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
        char tmp[K8S_TMP_NAME];
        struct stat st;
        int r = k8s_tmp_write(dirfd, data, len, mode, tmp, &st);
        return r < 0 ? r : k8s_tmp_commit(dirfd, tmp, name);
}

void k8s_dir_sync(int dirfd)
{
        (void)fsync(dirfd);
}

/* dirfd/name as a directory, created 0755 when create and missing; never
 * through a symlink (someone who can write the parent could otherwise point the
 * agent's writes anywhere).  Errors name path and say why. */
static int open_dir_at(int dirfd, const char *name, const char *path, bool create, sf_buf *m)
{
        bool made = false;
        if (create) {
                if (mkdirat(dirfd, name, 0755) == 0)
                        made = true;
                else if (errno != EEXIST) {
                        int e = errno;
                        sf_buf_printf(m, "%s: cannot create: %s", path, strerror(e));
                        return -e;
                }
        }
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                struct stat st;
                /* O_NOFOLLOW|O_DIRECTORY on a symlink: ELOOP, or ENOTDIR on some kernels */
                if ((e == ELOOP || e == ENOTDIR) && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode)) {
                        sf_buf_printf(m, "%s: is a symlink; refusing to follow it (make it a real directory)", path);
                        return -ELOOP;
                }
                sf_buf_printf(m, "%s: cannot open: %s", path, strerror(e));
                return -e;
        }
        /* 0755 whatever the umask: the runtime reads the profiles in it */
        if (made && fchmod(fd, 0755) < 0) {
                int e = errno;
                close(fd);
                sf_buf_printf(m, "%s: cannot set its mode: %s", path, strerror(e));
                return -e;
        }
        return fd;
}

int k8s_dir_open(const char *root, const char *subdir, bool create, int *ret_fd, char **ret_path, char **ret_msg)
{
        sf_buf m = { 0 };
        sf_buf spath = { 0 };
        sf_buf path = { 0 };
        sf_buf_printf(&spath, "%s/seccomp", root);
        sf_buf_printf(&path, "%s/seccomp/%s", root, subdir);
        /* the root is the operator's (a hostPath mount): a symlink there is theirs */
        _cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int sfd = -1;
        int fd = -1, r = 0;
        if (spath.oom || path.oom) {
                r = -ENOMEM;
                sf_buf_puts(&m, "out of memory");
                goto fail;
        }
        if (rfd < 0) {
                r = -errno;
                sf_buf_printf(&m, "%s: cannot open the kubelet root: %s", root, strerror(errno));
                goto fail;
        }
        if ((sfd = open_dir_at(rfd, "seccomp", spath.s, create, &m)) < 0) {
                r = sfd;
                goto fail;
        }
        if ((fd = open_dir_at(sfd, subdir, path.s, create, &m)) < 0) {
                r = fd;
                goto fail;
        }
        sf_buf_release(&m);
        sf_buf_release(&spath);
        *ret_fd = fd;
        *ret_path = sf_buf_steal(&path);
        return 0;
fail:
        sf_buf_release(&spath);
        sf_buf_release(&path);
        *ret_msg = sf_buf_steal(&m);
        return r;
}

int k8s_dir_lock(int dirfd, bool *ret_waited)
{
        int fd = openat(dirfd, K8S_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        *ret_waited = false;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                *ret_waited = true;
                while (flock(fd, LOCK_EX) < 0) {
                        if (errno != EINTR) {
                                int e = errno;
                                close(fd);
                                return -e;
                        }
                }
        }
        return fd; /* held until the process exits or closes it */
}

void k8s_dir_clean_tmp(int dirfd)
{
        int fd = dup(dirfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, K8S_TMP_PREFIX, strlen(K8S_TMP_PREFIX)) == 0)
                        unlinkat(dirfd, de->d_name, 0);
        closedir(d);
}

/* --- the source ------------------------------------------------------------------ */

static int key_cmp(const void *a, const void *b)
{
        return strcmp(((const k8s_key *)a)->name, ((const k8s_key *)b)->name);
}

void k8s_source_release(k8s_source *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].name);
                free(s->v[i].data);
        }
        free(s->v);
        free(s->keys_dir);
        if (s->keys_fd_open)
                close(s->keys_fd);
        *s = (k8s_source){ 0 };
}

/* One attempt: -EAGAIN when the snapshot went away under us. */
static int read_link(int dirfd, const char *name, char *buf, size_t size)
{
        ssize_t k = readlinkat(dirfd, name, buf, size - 1);
        if (k < 0)
                return -errno;
        if ((size_t)k >= size - 1)
                return -ENAMETOOLONG;
        buf[k] = 0;
        return 0;
}

static const k8s_key *source_find(const k8s_source *s, const char *name)
{
        if (!s || s->n == 0)
                return NULL;
        size_t lo = 0, hi = s->n;
        while (lo < hi) { /* sorted by name */
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(s->v[mid].name, name);
                if (c == 0)
                        return &s->v[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* Where ..data points: the kubelet makes it a symlink to one of its own
 * timestamped dirs beside it (..2026_11_24_02_26_06.759640016).  Anything else
 * (a path, "../..", an absolute target, a real directory) is not its layout and
 * would let whoever wrote the volume make the agent read elsewhere. */
static bool snapshot_name_ok(const char *t)
{
        return strncmp(t, "..", 2) == 0 && t[2] && !strchr(t, '/') && strcmp(t, "..data") != 0;
}

/* One key as read, or as refused (name escaped, not read). */
static int key_add(k8s_source *s, size_t *cap, const char *name, char *data, size_t len, mode_t mode,
                   const char *reject, const k8s_source *prev)
{
        if (s->n >= K8S_MAX_KEYS) {
                free(data);
                return -E2BIG;
        }
        if (s->n == *cap) {
                size_t nc = *cap ? 2 * *cap : 16;
                k8s_key *nv = realloc(s->v, nc * sizeof(*nv));
                if (!nv) {
                        free(data);
                        return -ENOMEM;
                }
                s->v = nv;
                *cap = nc;
        }
        k8s_key *k = &s->v[s->n];
        *k = (k8s_key){ .data = data, .len = len, .mode = mode & 0644, .reject = reject };
        if (reject) {
                sf_buf b = { 0 };
                k8s_name_escape(&b, name);
                k->name = sf_buf_steal(&b);
        } else {
                k->name = strdup(name);
        }
        if (!k->name) {
                free(data);
                return -ENOMEM;
        }
        const k8s_key *was = reject ? NULL : source_find(prev, k->name);
        if (!reject && !data && len > K8S_KEY_BYTES_MAX)
                snprintf(k->sha, sizeof(k->sha), "larger-than-%u", K8S_KEY_BYTES_MAX); /* never a sha's hex */
        else if (was && was->len == len && was->data && memcmp(was->data, data, len) == 0)
                memcpy(k->sha, was->sha, sizeof(k->sha));
        else
                k8s_sha256_hex(data ? data : "", len, k->sha);
        s->n++;
        return 0;
}

static int source_read_once(int srcfd, const char *dir, const k8s_source *prev, k8s_source *s, sf_buf *m)
{
        /* The kubelet removes a timestamped dir only once ..data points elsewhere:
         * if ..data names the same dir after the read as before, nothing was
         * removed under us and the keys are one whole snapshot. */
        char snap[256];
        int datafd = -1;
        int lr = read_link(srcfd, "..data", snap, sizeof(snap));
        if (lr == -EINVAL) {
                sf_buf_printf(m, "%s/..data: not a symlink (the kubelet's ..data is a symlink to a ..<timestamp> dir)",
                              dir);
                return -EINVAL;
        }
        if (lr < 0 && lr != -ENOENT) {
                sf_buf_printf(m, "%s/..data: cannot read the link: %s", dir, strerror(-lr));
                return lr;
        }
        if (lr == 0 && !snapshot_name_ok(snap)) {
                sf_buf b = { 0 };
                for (const unsigned char *p = (const unsigned char *)snap; *p; p++) /* printable, one line */
                        if (*p > ' ' && *p < 0x7f && *p != '\\' && *p != '"')
                                sf_buf_putc(&b, (char)*p);
                        else
                                sf_buf_printf(&b, "\\x%02x", *p);
                sf_buf_printf(m, "%s/..data: points to \"%s\", not to a ..<timestamp> dir beside it; refusing to follow it",
                              dir, b.s ? b.s : "");
                sf_buf_release(&b);
                return -EINVAL;
        }
        if (lr == 0) {
                datafd = openat(srcfd, snap, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (datafd < 0 && errno == ENOENT)
                        return -EAGAIN; /* swapped and removed between the two calls */
                if (datafd < 0) {
                        int e = errno;
                        sf_buf_printf(m, "%s/%s: cannot open (..data points to it): %s", dir, snap,
                                      e == ELOOP || e == ENOTDIR ? "not a directory" : strerror(e));
                        return -e;
                }
        }
        s->configmap = datafd >= 0;
        sf_buf kd = { 0 };
        sf_buf_printf(&kd, "%s%s%s", dir, lr == 0 ? "/" : "", lr == 0 ? snap : "");
        if (!(s->keys_dir = sf_buf_steal(&kd))) {
                if (datafd >= 0)
                        close(datafd);
                return -ENOMEM;
        }
        if (datafd < 0)
                datafd = dup(srcfd);
        /* kept, for the bases its keys name: read below this fd, never by the path again */
        s->keys_fd = datafd >= 0 ? fcntl(datafd, F_DUPFD_CLOEXEC, 3) : -1;
        s->keys_fd_open = s->keys_fd >= 0;
        DIR *d = datafd >= 0 ? fdopendir(datafd) : NULL;
        if (!d) {
                int e = errno;
                if (datafd >= 0)
                        close(datafd);
                sf_buf_printf(m, "%s: cannot list: %s", dir, strerror(e));
                return -e;
        }
        int r = 0;
        size_t cap = 0;
        struct dirent *de;
        errno = 0;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue; /* the kubelet's (..data, ..<timestamp>), never a key */
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT && s->configmap) {
                                r = -EAGAIN;
                                break;
                        }
                        continue; /* removed meanwhile */
                }
                /* ConfigMap snapshots hold real files; in a plain directory a
                 * symlink could name any file on the node: never followed */
                const char *reject = NULL;
                if (S_ISLNK(st.st_mode))
                        reject = "a symlink (not followed)";
                else if (!S_ISREG(st.st_mode))
                        continue; /* items with paths below the volume, sockets: not keys */
                else if (!k8s_key_name_ok(de->d_name))
                        reject = "not a ConfigMap key name ([-._a-zA-Z0-9], at most 253 bytes)";
                char *data = NULL;
                size_t len = 0;
                mode_t mode = 0;
                if (!reject) {
                        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
                        if (fd < 0) {
                                if (errno == ENOENT && s->configmap) {
                                        r = -EAGAIN;
                                        break;
                                }
                                if (errno == ENOENT)
                                        continue;
                                if (errno == ELOOP) { /* became a symlink since the stat */
                                        reject = "a symlink (not followed)";
                                } else {
                                        r = -errno;
                                        sf_buf_printf(m, "%s/%s: cannot open: %s", dir, de->d_name, strerror(errno));
                                        break;
                                }
                        } else {
                                int rr = read_fd(fd, K8S_KEY_BYTES_MAX, &data, &len, &mode);
                                close(fd);
                                if (rr == -EISDIR || rr == -EBADFD)
                                        continue; /* swapped for a non-file since the stat */
                                if (rr == -EFBIG) {
                                        /* not read: k8s_prepare refuses it by this length */
                                        data = NULL;
                                        len = K8S_KEY_BYTES_MAX + 1;
                                        rr = 0;
                                }
                                if (rr < 0) {
                                        sf_buf_printf(m, "%s/%s: cannot read: %s", dir, de->d_name,
                                                      rr == -EFBIG ? "larger than 16 MiB" : strerror(-rr));
                                        r = rr;
                                        break;
                                }
                        }
                }
                r = key_add(s, &cap, de->d_name, data, len, mode, reject, prev);
                if (r == -E2BIG)
                        sf_buf_printf(m, "%s: more than %d keys", dir, K8S_MAX_KEYS);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r == -ENOMEM)
                sf_buf_printf(m, "%s: out of memory", dir);
        if (r == 0 && lr == 0) {
                char after[256];
                if (read_link(srcfd, "..data", after, sizeof(after)) < 0 || strcmp(after, snap) != 0)
                        r = -EAGAIN;
        }
        return r;
}

int k8s_source_read(const char *dir, const k8s_source *prev, k8s_source *ret, char **ret_msg)
{
        sf_buf m = { 0 };
        _cleanup_close_ int srcfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (srcfd < 0) {
                int e = errno;
                sf_buf_printf(&m, "%s: cannot open the source: %s", dir, strerror(e));
                *ret_msg = sf_buf_steal(&m);
                return -e;
        }
        int r = -EAGAIN;
        k8s_source s = { 0 };
        for (int attempt = 0; attempt < 50 && r == -EAGAIN; attempt++) {
                k8s_source_release(&s);
                r = source_read_once(srcfd, dir, prev, &s, &m);
        }
        if (r == -EAGAIN)
                sf_buf_printf(&m, "%s: ..data keeps changing while it is read", dir);
        if (r < 0) {
                k8s_source_release(&s);
                *ret_msg = sf_buf_steal(&m);
                return r;
        }
        sf_buf_release(&m);
        if (s.n)
                qsort(s.v, s.n, sizeof(*s.v), key_cmp);
        *ret = s;
        return 0;
}

/* --- the agent's state ------------------------------------------------------------- */

const char *k8s_verdict_name(k8s_verdict v)
{
        switch (v) {
        case K8S_INSTALLED: return "installed";
        case K8S_REJECTED: return "rejected";
        case K8S_FAILED: return "failed";
        }
        return "?";
}

void k8s_state_release(k8s_state *s)
{
        free(s->source);
        for (size_t i = 0; i < s->n_owned; i++)
                free(s->owned[i].name);
        free(s->owned);
        for (size_t i = 0; i < s->n_entries; i++) {
                free(s->entries[i].name);
                free(s->entries[i].error);
        }
        free(s->entries);
        *s = (k8s_state){ 0 };
}

k8s_owned *k8s_state_owned(const k8s_state *s, const char *name)
{
        for (size_t i = 0; i < s->n_owned; i++)
                if (strcmp(s->owned[i].name, name) == 0)
                        return &s->owned[i];
        return NULL;
}

const k8s_entry *k8s_state_entry(const k8s_state *s, const char *name)
{
        for (size_t i = 0; i < s->n_entries; i++)
                if (strcmp(s->entries[i].name, name) == 0)
                        return &s->entries[i];
        return NULL;
}

void k8s_fid_set(k8s_fid *have, const char *sha, const struct stat *st)
{
        snprintf(have->sha, sizeof(have->sha), "%s", sha);
        have->dev = st->st_dev;
        have->ino = st->st_ino;
}

static bool fid_is(const k8s_fid *f, const k8s_fid *have)
{
        return f->sha[0] && strcmp(f->sha, have->sha) == 0 && f->dev == have->dev && f->ino == have->ino;
}

bool k8s_owned_is(const k8s_owned *o, const k8s_fid *have)
{
        return fid_is(&o->cur, have) || fid_is(&o->prev, have);
}

int k8s_state_own(k8s_state *s, const char *name, const k8s_fid *cur, const k8s_fid *prev)
{
        k8s_owned *o = k8s_state_owned(s, name);
        if (!o) {
                k8s_owned *nv = realloc(s->owned, (s->n_owned + 1) * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                s->owned = nv;
                o = &s->owned[s->n_owned];
                if (!(o->name = strdup(name)))
                        return -ENOMEM;
                s->n_owned++;
        }
        o->cur = *cur;
        o->prev = prev ? *prev : (k8s_fid){ 0 };
        return 0;
}

void k8s_state_disown(k8s_state *s, const char *name)
{
        k8s_owned *o = k8s_state_owned(s, name);
        if (!o)
                return;
        free(o->name);
        size_t i = (size_t)(o - s->owned);
        memmove(o, o + 1, (s->n_owned - i - 1) * sizeof(*o));
        s->n_owned--;
}

static const char *str_of(const sf_node *n)
{
        return n && n->kind == SF_NODE_STR ? n->str.s : NULL;
}

static bool sha_ok(const char *s, bool empty_ok)
{
        if (!s)
                return false;
        size_t n = strlen(s);
        if (n != 64 && !(empty_ok && n == 0))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("0123456789abcdef", s[i]))
                        return false;
        return true;
}

static bool u64_of(const sf_node *n, uint64_t *ret)
{
        if (!n || n->kind != SF_NODE_NUM || !n->num_is_int || n->num_neg || n->num_overflow)
                return false;
        *ret = n->num.mag;
        return true;
}

/* {"sha256": …, "device": …, "inode": …}: all three, or it proves nothing */
static bool fid_parse(const sf_node *obj, const char *prefix, k8s_fid *ret)
{
        char k[32];
        snprintf(k, sizeof(k), "%ssha256", prefix);
        const char *sha = str_of(sf_node_get(obj, k));
        uint64_t dev, ino;
        snprintf(k, sizeof(k), "%sdevice", prefix);
        bool ok = u64_of(sf_node_get(obj, k), &dev);
        snprintf(k, sizeof(k), "%sinode", prefix);
        ok = ok && u64_of(sf_node_get(obj, k), &ino);
        if (!ok || !sha_ok(sha, false) || (dev_t)dev != dev || (ino_t)ino != ino)
                return false;
        snprintf(ret->sha, sizeof(ret->sha), "%s", sha);
        ret->dev = (dev_t)dev;
        ret->ino = (ino_t)ino;
        return true;
}

/* What status prints from the file: one line of printable text, bounded. */
static bool text_ok(const char *s, size_t max)
{
        size_t n = 0;
        for (; s[n]; n++)
                if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f || n >= max)
                        return false;
        return true;
}

static int state_parse(const sf_node *root, k8s_state *s)
{
        /* Anyone who can write the dir can write this file: a record that does
         * not parse exactly as this agent writes it is not trusted at all. */
        uint64_t version;
        if (!root || root->kind != SF_NODE_OBJ || !u64_of(sf_node_get(root, "version"), &version) || version != 2)
                return -EINVAL;
        const char *src = str_of(sf_node_get(root, "source"));
        if (src && !(s->source = strdup(src)))
                return -ENOMEM;
        const sf_node *owned = sf_node_get(root, "owned");
        if (!owned || owned->kind != SF_NODE_ARR || owned->arr.n > K8S_MAX_KEYS)
                return -EINVAL;
        for (size_t i = 0; i < owned->arr.n; i++) {
                const sf_node *e = owned->arr.v[i];
                const char *name = str_of(sf_node_get(e, "name"));
                k8s_fid cur = { 0 }, prev = { 0 };
                const sf_node *pn = sf_node_get(e, "previous");
                if (!name || !k8s_key_name_ok(name) || k8s_state_owned(s, name) || !fid_parse(e, "", &cur) ||
                    (pn && !fid_parse(pn, "", &prev)))
                        return -EINVAL;
                if (k8s_state_own(s, name, &cur, pn ? &prev : NULL) < 0)
                        return -ENOMEM;
        }
        const sf_node *prof = sf_node_get(root, "profiles");
        if (prof && (prof->kind != SF_NODE_ARR || prof->arr.n > K8S_MAX_KEYS))
                return -EINVAL;
        if (prof) {
                s->entries = calloc(prof->arr.n ? prof->arr.n : 1, sizeof(*s->entries));
                if (!s->entries)
                        return -ENOMEM;
                for (size_t i = 0; i < prof->arr.n; i++) {
                        const sf_node *e = prof->arr.v[i];
                        const char *name = str_of(sf_node_get(e, "name"));
                        const char *st = str_of(sf_node_get(e, "status"));
                        const char *src_sha = str_of(sf_node_get(e, "source_sha256"));
                        const char *sha = str_of(sf_node_get(e, "sha256"));
                        const char *error = str_of(sf_node_get(e, "error"));
                        if (!name || !st || !text_ok(name, 4 * K8S_KEY_MAX) || !sha_ok(src_sha, false) ||
                            (sha && !sha_ok(sha, true)) || (error && !text_ok(error, 4096)))
                                return -EINVAL;
                        k8s_entry *x = &s->entries[s->n_entries];
                        if (strcmp(st, "installed") == 0)
                                x->verdict = K8S_INSTALLED;
                        else if (strcmp(st, "rejected") == 0)
                                x->verdict = K8S_REJECTED;
                        else if (strcmp(st, "failed") == 0)
                                x->verdict = K8S_FAILED;
                        else
                                return -EINVAL;
                        if (!(x->name = strdup(name)) || (error && !(x->error = strdup(error))))
                                return -ENOMEM;
                        snprintf(x->src_sha, sizeof(x->src_sha), "%s", src_sha);
                        snprintf(x->sha, sizeof(x->sha), "%s", sha ? sha : "");
                        s->n_entries++;
                }
        }
        return 0;
}

int k8s_state_load(int dirfd, k8s_state *ret, char **ret_msg)
{
        sf_buf m = { 0 };
        _cleanup_close_ int fd = openat(dirfd, K8S_STATE_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                *ret = (k8s_state){ 0 };
                return 0;
        }
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = fd < 0 ? -errno : read_fd(fd, K8S_STATE_MAX, &data, &len, NULL);
        if (r < 0) {
                const char *why = r == -EFBIG      ? "larger than any state file of this agent"
                                  : r == -ELOOP    ? "a symlink"
                                  : r == -EBADFD || r == -EISDIR ? "not a regular file"
                                                                 : strerror(-r);
                sf_buf_printf(&m, K8S_STATE_NAME ": cannot read: %s", why);
                *ret_msg = sf_buf_steal(&m);
                return r == -ENOMEM ? r : -EINVAL;
        }
        sf_doc doc = { 0 };
        sf_diags d = { 0 };
        k8s_state s = { 0 };
        r = sf_json_parse(data, len, K8S_STATE_NAME, &doc, &d);
        if (r == 0)
                r = state_parse(doc.docs[0], &s);
        else
                r = -EINVAL;
        sf_doc_release(&doc);
        sf_diags_release(&d);
        if (r < 0) {
                k8s_state_release(&s);
                sf_buf_printf(&m, K8S_STATE_NAME ": %s", r == -ENOMEM ? "out of memory" : "not a state file of this agent");
                *ret_msg = sf_buf_steal(&m);
                return r;
        }
        *ret = s;
        return 0;
}

static void fid_emit(sf_buf *b, const k8s_fid *f)
{
        sf_buf_printf(b, "\"sha256\": \"%s\", \"device\": %llu, \"inode\": %llu", f->sha, (unsigned long long)f->dev,
                      (unsigned long long)f->ino);
}

int k8s_state_save(int dirfd, const k8s_state *s, sf_buf *last)
{
        sf_buf b = { 0 };
        sf_buf_puts(&b, "{\n  \"version\": 2,\n  \"source\": ");
        sf_buf_json_str(&b, s->source);
        sf_buf_puts(&b, ",\n  \"owned\": [");
        for (size_t i = 0; i < s->n_owned; i++) {
                sf_buf_puts(&b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
                sf_buf_json_str(&b, s->owned[i].name);
                sf_buf_puts(&b, ", ");
                fid_emit(&b, &s->owned[i].cur);
                if (s->owned[i].prev.sha[0]) {
                        sf_buf_puts(&b, ", \"previous\": {");
                        fid_emit(&b, &s->owned[i].prev);
                        sf_buf_putc(&b, '}');
                }
                sf_buf_putc(&b, '}');
        }
        sf_buf_puts(&b, s->n_owned ? "\n  ],\n  \"profiles\": [" : "],\n  \"profiles\": [");
        for (size_t i = 0; i < s->n_entries; i++) {
                const k8s_entry *e = &s->entries[i];
                sf_buf_puts(&b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
                sf_buf_json_str(&b, e->name);
                sf_buf_printf(&b, ", \"status\": \"%s\", \"source_sha256\": \"%s\"", k8s_verdict_name(e->verdict),
                              e->src_sha);
                if (e->sha[0])
                        sf_buf_printf(&b, ", \"sha256\": \"%s\"", e->sha);
                if (e->error) {
                        sf_buf_puts(&b, ", \"error\": ");
                        sf_buf_json_str(&b, e->error);
                }
                sf_buf_puts(&b, "}");
        }
        sf_buf_puts(&b, s->n_entries ? "\n  ]\n}\n" : "]\n}\n");
        if (b.oom) {
                sf_buf_release(&b);
                return -ENOMEM;
        }
        /* the agent saves after every sync: write only what changed */
        if (last && last->s && last->len == b.len && memcmp(last->s, b.s, b.len) == 0) {
                sf_buf_release(&b);
                return 0;
        }
        int r = k8s_write_at(dirfd, K8S_STATE_NAME, b.s, b.len, 0644);
        if (r == 0 && last) {
                sf_buf_release(last);
                *last = b;
        } else {
                sf_buf_release(&b);
        }
        return r;
}
