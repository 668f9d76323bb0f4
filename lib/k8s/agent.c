/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node agent: keeps a ConfigMap volume's profiles installed in the
 * kubelet's seccomp dir.  The kubelet updates such a volume by swapping its
 * ..data symlink to a new timestamped directory, so the agent reads one
 * snapshot at a time and follows the swap with inotify.  It validates (compiles
 * for the node) every profile before it installs it, never replaces a good copy
 * by an invalid profile, writes atomically, and removes only files it can prove
 * it wrote (its record names them by sha256, device and inode).  A key that
 * holds oci://REF@sha256:... instead of a profile is pulled (sync.c checks the
 * reference; once per digest while the agent runs, and not at all for a key
 * whose file the record proves it installed for that text) and judged as any key;
 * a pull that fails leaves the installed copy and is tried again later.  A
 * key's spec.baseProfileName oci://REF is held to the same rules (a digest, the
 * admin's registries, KEP-6061's checks) and pulled into the same store.  It
 * logs each event through the caller's callback, one line each. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "k8s-internal.h"

struct sf_k8s_agent {
        sf_k8s_node_opts o;
        char *source;
        sf_k8s_log_fn log;
        void *log_ctx;
        int dirfd;
        char *dir;
        k8s_entry *cache; /* the last sync's verdicts, by key */
        size_t n_cache;
        sf_buf saved;     /* the state file as last written */
        bool state_warned;
        /* names the last sync wrote or removed: the inotify events of its own
         * renames and unlinks wake nobody */
        char **touched;
        size_t n_touched;
        k8s_source prev; /* the last snapshot read: its hashes serve unchanged keys */
        /* profiles pulled for oci:// keys, by manifest digest: a digest's content
         * never changes, so one already pulled is not pulled again (while a key
         * names it) */
        struct pulled {
                char *digest;
                char *data;
                size_t len;
        } *pulls;
        size_t n_pulls;
        size_t pulled_bytes; /* held in pulls, at most K8S_PULLS_MAX */
        /* oci:// bases (spec.baseProfileName) are pulled as oci:// keys are,
         * into the same pulls; what went wrong with the last one, for the key */
        sf_oci_puller base_puller;
        char *base_why;
        bool base_failed; /* the pull failed (try again later), not refused */
};

/* Each pulled profile is at most 1 MiB, but a source of 4096 keys could name
 * 4096 of them: what the agent holds of them at once is bounded.  Beyond
 * K8S_PULLS_MAX a pull is used and dropped (pulled again when its file must be
 * written again); beyond K8S_PREPARED_MAX the prepared bytes of oci:// keys are
 * dropped after step 1 and made again, one at a time, where one is written. */
#define K8S_PULLS_MAX (32u << 20)
#define K8S_PREPARED_MAX (16u << 20)
typedef struct sf_k8s_agent agent;

static void touched_clear(agent *a)
{
        for (size_t i = 0; i < a->n_touched; i++)
                free(a->touched[i]);
        free(a->touched);
        a->touched = NULL;
        a->n_touched = 0;
}

static void touched_add(agent *a, const char *name)
{
        char **nv = realloc(a->touched, (a->n_touched + 1) * sizeof(*nv));
        if (!nv)
                return; /* then its event wakes one more sync: harmless */
        a->touched = nv;
        if ((nv[a->n_touched] = strdup(name)))
                a->n_touched++;
}

/* Whether an event on the kubelet dir is the echo of the agent's own write or
 * removal (consumed: each is expected once). */
static bool touched_take(agent *a, const char *name)
{
        for (size_t i = 0; i < a->n_touched; i++)
                if (a->touched[i] && strcmp(a->touched[i], name) == 0) {
                        free(a->touched[i]);
                        a->touched[i] = NULL;
                        return true;
                }
        return false;
}

#define agent_log(a, level, ...) k8s_log((a)->log, (a)->log_ctx, (level), __VA_ARGS__)

static void entries_free(k8s_entry *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].error);
        }
        free(v);
}

static const k8s_entry *cache_find(const agent *a, const k8s_key *k)
{
        for (size_t i = 0; i < a->n_cache; i++)
                if (strcmp(a->cache[i].name, k->name) == 0 && strcmp(a->cache[i].src_sha, k->sha) == 0 &&
                    a->cache[i].verdict != K8S_FAILED)
                        return &a->cache[i];
        return NULL;
}

static bool in_source(const k8s_source *src, const char *name)
{
        for (size_t i = 0; i < src->n; i++)
                if (strcmp(src->v[i].name, name) == 0)
                        return true;
        return false;
}

static const struct pulled *pull_find(const agent *a, const char *digest)
{
        for (size_t i = 0; i < a->n_pulls; i++)
                if (strcmp(a->pulls[i].digest, digest) == 0)
                        return &a->pulls[i];
        return NULL;
}

static void pulls_free(agent *a)
{
        for (size_t i = 0; i < a->n_pulls; i++) {
                free(a->pulls[i].digest);
                free(a->pulls[i].data);
        }
        free(a->pulls);
        a->pulls = NULL;
        a->n_pulls = 0;
        a->pulled_bytes = 0;
}

/* Forgets the pulls no key of src names any longer. */
static void pulls_prune(agent *a, const k8s_source *src)
{
        size_t k = 0;
        for (size_t i = 0; i < a->n_pulls; i++) {
                bool named = false;
                for (size_t j = 0; j < src->n && !named; j++)
                        named = src->v[j].data && memmem(src->v[j].data, src->v[j].len, a->pulls[i].digest,
                                                         strlen(a->pulls[i].digest));
                if (named) {
                        a->pulls[k++] = a->pulls[i];
                } else {
                        a->pulled_bytes -= a->pulls[i].len;
                        free(a->pulls[i].digest);
                        free(a->pulls[i].data);
                }
        }
        a->n_pulls = k;
}

/* An oci:// key the agent installed before it was (re)started: its record
 * says which bytes it installed for this very text, and the file under the
 * key's name is still those bytes, the very file it wrote (sha256, device,
 * inode, as for removals).  Kept without a pull: a digest's content never
 * changes, and a node whose agent restarts while the registry is away stays
 * ready.  The sha256 in ret_sha. */
static bool installed_before(const agent *a, const k8s_state *rec, const k8s_key *k, char ret_sha[K8S_SHA_HEX])
{
        const k8s_entry *e = k8s_state_entry(rec, k->name);
        const k8s_owned *ow = k8s_state_owned(rec, k->name);
        if (!e || !ow || e->verdict != K8S_INSTALLED || !e->sha[0] || strcmp(e->src_sha, k->sha) != 0)
                return false;
        char have[K8S_SHA_HEX];
        struct stat now;
        if (k8s_hash_at(a->dirfd, k->name, have, &now) < 0 || strcmp(have, e->sha) != 0 ||
            (now.st_mode & 07777) != k->mode)
                return false;
        k8s_fid found;
        k8s_fid_set(&found, have, &now);
        if (!k8s_owned_is(ow, &found))
                return false;
        memcpy(ret_sha, have, K8S_SHA_HEX);
        return true;
}

/* Keeps a pull's bytes for the next need, within the bound (taking *data);
 * NULL when it is used once. */
static const struct pulled *pull_keep(agent *a, const char *digest, char **data, size_t len)
{
        if (a->pulled_bytes + len > K8S_PULLS_MAX)
                return NULL;
        struct pulled *nv = realloc(a->pulls, (a->n_pulls + 1) * sizeof(*nv));
        if (!nv)
                return NULL;
        a->pulls = nv;
        char *d = strdup(digest);
        if (!d)
                return NULL;
        nv[a->n_pulls] = (struct pulled){ .digest = d, .data = TAKE_PTR(*data), .len = len };
        a->pulled_bytes += len;
        return &nv[a->n_pulls++];
}

static int base_refuse(agent *a, bool failed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int base_refuse(agent *a, bool failed, const char *fmt, ...)
{
        sf_buf b = { 0 };
        va_list ap;
        va_start(ap, fmt);
        sf_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        free(a->base_why);
        a->base_why = sf_buf_steal(&b);
        a->base_failed = failed;
        return a->base_why ? -EINVAL : -ENOMEM;
}

/* The agent's sf_oci_puller: a base oci://REF is held to what an oci:// key is
 * (sync.c's k8s_oci_parse: pinned by a digest, from the admin's registries,
 * credentials from --registry-auth only), pulled once per digest into the
 * same pulls, and a runtime-spec profile must be one KEP-6061 runtimes take
 * (an SPO profile object is judged with the key it is the base of). */
static int agent_base_pull(void *ctx, const char *ref, char **ret_data, size_t *ret_len, char **ret_why)
{
        agent *a = ctx;
        sf_buf text = { 0 };
        sf_buf_printf(&text, "%s%s", SF_K8S_OCI_PREFIX, ref);
        if (text.oom)
                return -ENOMEM;
        k8s_oci oci = { 0 };
        _cleanup_free_ char *why = NULL, *data = NULL; /* before any goto */
        size_t len = 0;
        int r = k8s_oci_parse(text.s, text.len, &a->o, true, &oci, &why);
        sf_buf_release(&text);
        if (r < 0)
                return r;
        if (r == 2) {
                r = base_refuse(a, false, "%s", why);
                goto out;
        }
        oci.base = true;
        const struct pulled *pl = pull_find(a, oci.ref.digest);
        if (!pl) {
                r = k8s_oci_pull(&oci, &a->o, true, &data, &len, &why);
                if (r == 1) {
                        r = base_refuse(a, true, "%s", why);
                        goto out;
                }
                if (r < 0)
                        goto out;
                agent_log(a, SF_K8S_LOG_INFO, "pulled base oci://%s, %zu bytes", oci.shown, len);
                if ((pl = pull_keep(a, oci.ref.digest, &data, len)))
                        data = NULL;
        }
        const char *bytes = pl ? pl->data : data;
        size_t n = pl ? pl->len : len;
        sf_load_opts lo = { .inherit = SF_INHERIT_NONE };
        sf_profile **v = NULL;
        size_t nv = 0;
        sf_error *err = NULL;
        sf_diags d = { 0 };
        bool object = sf_profile_load_data(bytes, n, "base", &lo, &v, &nv, &d, &err) == 0 && nv == 1 &&
                      v[0]->format == SF_FORMAT_CRD;
        sf_profiles_free(v, nv);
        sf_error_free(err);
        sf_diags_release(&d);
        if (!object && sf_kep6061_check_data(bytes, n, "base", &d) < 0) {
                const char *id = "invalid";
                for (size_t i = 0; i < d.n; i++)
                        if (d.v[i].severity == SF_SEV_ERROR) {
                                id = d.v[i].id;
                                break;
                        }
                r = base_refuse(a, false, "oci://%s: refused as KEP-6061 runtimes refuse it (%s)", oci.shown, id);
                sf_diags_release(&d);
                goto out;
        }
        sf_diags_release(&d);
        char *copy = malloc(n + 1);
        if (!copy) {
                r = -ENOMEM;
                goto out;
        }
        memcpy(copy, bytes, n);
        copy[n] = 0;
        *ret_data = copy;
        *ret_len = n;
        r = 0;
out:
        if (r == -EINVAL && !(*ret_why = strdup(a->base_why)))
                r = -ENOMEM;
        k8s_oci_release(&oci);
        return r;
}

/* Key k prepared for the node: its text, or for an oci:// key the profile its
 * reference names (pulled, or as pulled before).  0 prepared, 1 rejected
 * (prep->reason), 2 the pull failed (why in *ret_why: try again later), 3 an
 * oci:// key still installed as the record rec (may be NULL) says
 * (installed_before; the sha256 in ret_sha, nothing in prep), -ENOMEM. */
static int prepare_key(agent *a, const k8s_source *src, const k8s_key *k, const k8s_state *rec, k8s_prepared *prep,
                       char ret_sha[K8S_SHA_HEX], char **ret_why)
{
        sf_buf disp = { 0 };
        sf_buf_printf(&disp, "%s/%s", a->source, k->name);
        if (disp.oom)
                return -ENOMEM;
        k8s_oci oci = { 0 };
        _cleanup_free_ char *why = NULL;
        int r = k8s_oci_parse(k->data, k->len, &a->o, true, &oci, &why);
        if (r == 0) {
                free(a->base_why);
                a->base_why = NULL;
                r = k8s_prepare_with(disp.s, k->data, k->len, &a->o.co, a->o.as_given, src->keys_dir,
                                     K8S_SOURCE_FD(src), &a->base_puller, false, prep, NULL);
                /* a base that could not be pulled: the key failed (tried again
                 * later, the installed copy kept); one refused: rejected, saying why */
                if (r == 1 && a->base_why) {
                        sf_buf b = { 0 };
                        sf_buf_printf(&b, "%s: base %s", disp.s, a->base_why);
                        char *m = sf_buf_steal(&b);
                        if (!m) {
                                r = -ENOMEM;
                        } else if (a->base_failed) {
                                k8s_prepared_release(prep);
                                *ret_why = m;
                                r = 2;
                        } else {
                                free(prep->reason);
                                prep->reason = m;
                        }
                }
        } else if (r == 2) {
                sf_buf b = { 0 };
                sf_buf_printf(&b, "%s: %s", disp.s, why);
                prep->reason = sf_buf_steal(&b);
                r = prep->reason ? 1 : -ENOMEM;
        } else if (r == 1) {
                const struct pulled *pl = pull_find(a, oci.ref.digest);
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                if (!pl && rec && installed_before(a, rec, k, ret_sha)) {
                        agent_log(a, SF_K8S_LOG_INFO, "kept %s: oci://%s, as installed before (not pulled again)",
                                  k->name, oci.shown);
                        r = 3;
                } else if (!pl) {
                        r = k8s_oci_pull(&oci, &a->o, true, &data, &len, &why);
                        if (r == 0)
                                agent_log(a, SF_K8S_LOG_INFO, "pulled %s: oci://%s, %zu bytes", k->name, oci.shown,
                                          len);
                        /* kept for the next need, within the bound; else used once */
                        if (r == 0)
                                pl = pull_keep(a, oci.ref.digest, &data, len);
                        if (r == 1) {
                                *ret_why = TAKE_PTR(why);
                                r = 2;
                        }
                }
                if (pl || (r == 0 && data))
                        /* the pulled bytes are judged as a key's would be, KEP-6061's rules too;
                         * they are no SeccompProfile, so no base is looked up */
                        r = k8s_prepare_with(disp.s, pl ? pl->data : data, pl ? pl->len : len, &a->o.co,
                                             a->o.as_given, NULL, -1, &a->base_puller, true, prep, NULL);
        }
        k8s_oci_release(&oci);
        sf_buf_release(&disp);
        return r;
}

/* A key's file in the making: written to a temporary, then renamed. */
typedef struct pending {
        bool existed;            /* a file had its name */
        bool staged;             /* tmp is written and not yet renamed */
        bool was_owned;          /* the record named it before (was) */
        k8s_owned was;           /* that record (name not set) */
        char tmp[K8S_TMP_NAME];
        struct stat st;          /* of tmp: the inode the name gets */
} pending;

static void write_failed(agent *a, k8s_entry *e, int r)
{
        e->verdict = K8S_FAILED;
        free(e->error);
        sf_buf eb = { 0 };
        sf_buf_printf(&eb, "%s/%s: cannot write: %s", a->dir, e->name, strerror(-r));
        e->error = sf_buf_steal(&eb);
        agent_log(a, SF_K8S_LOG_ERROR, "failed %s: %s", e->name, e->error ? e->error : strerror(-r));
}

/* One pass: make the kubelet's dir hold the source's profiles.  Returns the
 * number of keys not installed and current, or -1 when the pass could not run
 * or could not write (the source unreadable, a full disk): try again later. */
SF_EXPORT int sf_k8s_agent_sync(sf_k8s_agent *a)
{
        k8s_source src = { 0 };
        _cleanup_free_ char *msg = NULL;
        if (k8s_source_read(a->source, &a->prev, &src, &msg) < 0) {
                agent_log(a, SF_K8S_LOG_ERROR, "%s", msg ? msg : "cannot read the source");
                return -1;
        }
        size_t n = src.n;
        k8s_entry *ent = calloc(n ? n : 1, sizeof(*ent));
        k8s_prepared *prep = calloc(n ? n : 1, sizeof(*prep));
        k8s_state st = { 0 };
        k8s_state seen = { 0 }; /* the record as the previous pass (or agent) left it, for oci:// keys */
        bool seen_read = false;
        size_t held = 0; /* prepared bytes of oci:// keys held from step 1 */
        int lockfd = -1, bad = 0, result = -1;
        pending *pend = NULL;
        bool io_failed = false; /* try again later, even if nothing changes */
        bool changed = false;
        if (!ent || !prep)
                goto oom;

        /* 1. a verdict per key: from the cache when its text did not change */
        for (size_t i = 0; i < n; i++) {
                const k8s_key *k = &src.v[i];
                k8s_entry *e = &ent[i];
                if (!(e->name = strdup(k->name)))
                        goto oom;
                memcpy(e->src_sha, k->sha, sizeof(e->src_sha));
                e->mode = k->mode;
                const k8s_entry *c = cache_find(a, k);
                if (k->reject) {
                        /* k->name is escaped: it cannot forge a log line */
                        sf_buf eb = { 0 };
                        sf_buf_printf(&eb, "%s/%s: %s", a->source, k->name, k->reject);
                        e->verdict = K8S_REJECTED;
                        if (!(e->error = sf_buf_steal(&eb)))
                                goto oom;
                        continue;
                }
                if (c) {
                        e->verdict = c->verdict;
                        e->id = c->id;
                        e->id_ok = c->id_ok;
                        memcpy(e->sha, c->sha, sizeof(e->sha));
                        if (c->error && !(e->error = strdup(c->error)))
                                goto oom;
                        continue;
                }
                char *why = NULL;
                if (!seen_read && strncmp(k->data ? k->data : "", SF_K8S_OCI_PREFIX, strlen(SF_K8S_OCI_PREFIX)) == 0) {
                        /* read once, without the lock: it is only ever replaced whole (a rename) */
                        seen_read = true;
                        if (k8s_state_load(a->dirfd, &seen, &msg) < 0)
                                k8s_state_release(&seen);
                        free(TAKE_PTR(msg));
                }
                int r = prepare_key(a, &src, k, &seen, &prep[i], e->sha, &why);
                if (r < 0)
                        goto oom;
                if (r == 3) {
                        e->verdict = K8S_INSTALLED; /* e->sha is set */
                } else if (r == 2) {
                        /* not judged: the installed copy, if any, stays; tried again later */
                        e->verdict = K8S_FAILED;
                        e->error = why;
                        io_failed = true;
                } else if (r == 1) {
                        /* the reason without the text: others read the log and the state */
                        e->verdict = K8S_REJECTED;
                        e->error = TAKE_PTR(prep[i].reason);
                        /* logged below, once the dir says whether a good copy stays */
                } else {
                        e->verdict = K8S_INSTALLED;
                        memcpy(e->sha, prep[i].sha, sizeof(e->sha));
                        if (k->data && strncmp(k->data, SF_K8S_OCI_PREFIX, strlen(SF_K8S_OCI_PREFIX)) == 0) {
                                if (held + prep[i].len > K8S_PREPARED_MAX) {
                                        free(prep[i].bytes); /* made again where it is written */
                                        prep[i].bytes = NULL;
                                } else {
                                        held += prep[i].len;
                                }
                        }
                }
        }

        /* 2. under the lock, against the state on disk */
        bool waited;
        lockfd = k8s_dir_lock(a->dirfd, &waited);
        if (lockfd < 0) {
                agent_log(a, SF_K8S_LOG_ERROR, "%s/" K8S_LOCK_NAME ": cannot lock: %s", a->dir, strerror(-lockfd));
                goto out;
        }
        if (k8s_state_load(a->dirfd, &st, &msg) < 0) {
                /* Unknown ownership: remove nothing, and start a new record. */
                if (!a->state_warned)
                        agent_log(a, SF_K8S_LOG_INFO, "%s/%s; not trusted: it is replaced, and no file it lists is removed", a->dir,
                                  msg);
                a->state_warned = true;
                k8s_state_release(&st);
                free(TAKE_PTR(msg));
        }
        free(st.source);
        if (!(st.source = strdup(a->source)))
                goto oom;

        /* Which files must be written.  Each is written to a temporary first, and
         * the record claims the temporary's inode (the file's once renamed) and
         * the one it replaces before any rename: a kill at any point leaves the
         * name on a file the record proves the agent's. */
        pend = calloc(n ? n : 1, sizeof(*pend));
        if (!pend)
                goto oom;
        bool claimed = false;
        for (size_t i = 0; i < n; i++) {
                pending *pe = &pend[i];
                char have[K8S_SHA_HEX] = "";
                struct stat now = { 0 };
                int hr;
                if (ent[i].verdict == K8S_REJECTED || ent[i].verdict == K8S_FAILED) {
                        /* nothing to write: only whether a copy stays matters */
                        pe->existed = !src.v[i].reject &&
                                      fstatat(a->dirfd, ent[i].name, &now, AT_SYMLINK_NOFOLLOW) == 0;
                        if (ent[i].verdict == K8S_FAILED)
                                agent_log(a, SF_K8S_LOG_ERROR, "failed %s: %s%s", ent[i].name, ent[i].error,
                                          pe->existed ? " (the installed copy stays)" : "");
                        else if (!cache_find(a, &src.v[i]))
                                agent_log(a, SF_K8S_LOG_INFO, "rejected %s: %s%s", ent[i].name, ent[i].error,
                                          pe->existed ? " (the installed copy stays)" : "");
                        continue;
                }
                if (ent[i].id_ok && fstatat(a->dirfd, ent[i].name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                    k8s_same_file(&now, &ent[i].id)) {
                        hr = 0; /* the very file found current before */
                        memcpy(have, ent[i].sha, sizeof(have));
                } else {
                        hr = k8s_hash_at(a->dirfd, ent[i].name, have, &now);
                        ent[i].id = now;
                        ent[i].id_ok = hr == 0 && strcmp(have, ent[i].sha) == 0 && S_ISREG(now.st_mode) &&
                                       (now.st_mode & 07777) == ent[i].mode;
                }
                pe->existed = hr != -ENOENT;
                k8s_fid found = { 0 };
                if (hr == 0)
                        k8s_fid_set(&found, have, &now);
                k8s_owned *ow = k8s_state_owned(&st, ent[i].name);
                bool mine = ow && hr == 0 && k8s_owned_is(ow, &found);
                if (hr == 0 && strcmp(have, ent[i].sha) == 0 && (now.st_mode & 07777) == ent[i].mode) {
                        /* current; a file someone else put there with these bytes stays theirs */
                        if (mine) {
                                k8s_state_own(&st, ent[i].name, &found, NULL); /* the name is there: no allocation */
                        } else if (ow) {
                                agent_log(a, SF_K8S_LOG_INFO, "no longer claims %s: it is not the file the agent installed", ent[i].name);
                                k8s_state_disown(&st, ent[i].name);
                        }
                        continue;
                }
                if (!prep[i].bytes) {
                        /* a cached verdict, and the file went missing or stale: prepare again
                         * (an oci:// key's profile from the pull already made, by digest) */
                        char *why = NULL;
                        int r = prepare_key(a, &src, &src.v[i], NULL, &prep[i], ent[i].sha, &why);
                        if (r == 2) {
                                ent[i].verdict = K8S_FAILED;
                                free(ent[i].error);
                                ent[i].error = why;
                                agent_log(a, SF_K8S_LOG_ERROR, "failed %s: %s%s", ent[i].name, why,
                                          pe->existed ? " (the installed copy stays)" : "");
                                io_failed = true;
                                continue;
                        }
                        if (r != 0)
                                goto oom;
                }
                int r = k8s_tmp_write(a->dirfd, prep[i].bytes, prep[i].len, ent[i].mode, pe->tmp, &pe->st);
                free(prep[i].bytes); /* written: the temporary holds them */
                prep[i].bytes = NULL;
                if (r < 0) {
                        write_failed(a, &ent[i], r);
                        io_failed = true;
                        continue;
                }
                pe->staged = true;
                if (ow) {
                        pe->was_owned = true;
                        pe->was = *ow;
                        pe->was.name = NULL;
                }
                k8s_fid cur;
                k8s_fid_set(&cur, ent[i].sha, &pe->st);
                /* the bytes there now stay claimed only if the record proves them the agent's */
                if (k8s_state_own(&st, ent[i].name, &cur, mine ? &found : NULL) < 0)
                        goto oom;
                claimed = true;
        }
        if (claimed) {
                int r = k8s_state_save(a->dirfd, &st, &a->saved);
                if (r < 0) {
                        agent_log(a, SF_K8S_LOG_ERROR, "%s/" K8S_STATE_NAME ": cannot write: %s", a->dir, strerror(-r));
                        goto out;
                }
        }

        /* 3. rename each temporary to its name */
        for (size_t i = 0; i < n; i++) {
                pending *pe = &pend[i];
                if (!pe->staged)
                        continue;
                pe->staged = false;
                int r = k8s_tmp_commit(a->dirfd, pe->tmp, ent[i].name);
                if (r < 0) {
                        write_failed(a, &ent[i], r);
                        io_failed = true;
                        /* the claim is on an inode that never got the name: back to the old one */
                        if (pe->was_owned)
                                k8s_state_own(&st, ent[i].name, &pe->was.cur, pe->was.prev.sha[0] ? &pe->was.prev : NULL);
                        else
                                k8s_state_disown(&st, ent[i].name);
                        continue;
                }
                changed = true;
                touched_add(a, ent[i].name);
                ent[i].id = pe->st;
                ent[i].id_ok = fstatat(a->dirfd, ent[i].name, &ent[i].id, AT_SYMLINK_NOFOLLOW) == 0;
                k8s_fid cur;
                k8s_fid_set(&cur, ent[i].sha, &pe->st);
                k8s_state_own(&st, ent[i].name, &cur, NULL); /* the name is there: no allocation */
                agent_log(a, SF_K8S_LOG_INFO, "%s %s", pe->existed ? "updated" : "installed", ent[i].name);
        }

        /* 4. remove what the agent installed and the source no longer has */
        for (size_t i = 0; i < st.n_owned;) {
                const char *name = st.owned[i].name;
                if (in_source(&src, name)) {
                        i++;
                        continue;
                }
                /* only the very bytes the agent wrote: a file someone changed since,
                 * or one whose name was claimed by a write a kill cut short, stays */
                char have[K8S_SHA_HEX];
                struct stat now;
                int hr = k8s_hash_at(a->dirfd, name, have, &now);
                k8s_fid found = { 0 };
                if (hr == 0)
                        k8s_fid_set(&found, have, &now);
                if ((hr == 0 && !k8s_owned_is(&st.owned[i], &found)) || hr == -EISDIR || hr == -EBADFD) {
                        agent_log(a, SF_K8S_LOG_INFO, "left %s: it is not the file the agent installed", name);
                        changed = true;
                        k8s_state_disown(&st, name);
                        continue;
                }
                int ur = hr == -ENOENT ? ENOENT : unlinkat(a->dirfd, name, 0) < 0 ? errno : 0;
                if (ur && ur != ENOENT) {
                        agent_log(a, SF_K8S_LOG_ERROR, "failed to remove %s/%s: %s", a->dir, name, strerror(ur));
                        io_failed = true;
                        bad++;
                        i++;
                        continue;
                }
                /* a claim whose write a kill cut short has no file: nothing to say */
                if (ur == 0) {
                        agent_log(a, SF_K8S_LOG_INFO, "removed %s", name);
                        touched_add(a, name);
                }
                changed = true;
                k8s_state_disown(&st, name);
        }
        if (changed)
                k8s_dir_sync(a->dirfd);

        /* 5. the record: ownership and verdicts, for status */
        entries_free(st.entries, st.n_entries);
        st.entries = ent;
        st.n_entries = n;
        int r = k8s_state_save(a->dirfd, &st, &a->saved);
        st.entries = NULL;
        st.n_entries = 0;
        if (r < 0) {
                agent_log(a, SF_K8S_LOG_ERROR, "%s/" K8S_STATE_NAME ": cannot write: %s", a->dir, strerror(-r));
                io_failed = true;
                bad++;
        }
        for (size_t i = 0; i < n; i++)
                bad += ent[i].verdict != K8S_INSTALLED;
        entries_free(a->cache, a->n_cache);
        a->cache = TAKE_PTR(ent);
        a->n_cache = n;
        result = io_failed ? -1 : bad;
        goto out;
oom:
        agent_log(a, SF_K8S_LOG_ERROR, "out of memory");
out:
        /* temporaries of a pass cut short (the record could not be saved) */
        for (size_t i = 0; pend && i < n; i++)
                if (pend[i].staged)
                        unlinkat(a->dirfd, pend[i].tmp, 0);
        free(pend);
        if (lockfd >= 0)
                close(lockfd);
        k8s_state_release(&st);
        k8s_state_release(&seen);
        if (ent)
                entries_free(ent, n);
        for (size_t i = 0; prep && i < n; i++)
                k8s_prepared_release(&prep[i]);
        free(prep);
        pulls_prune(a, &src);
        k8s_source_release(&a->prev);
        a->prev = src;
        /* compiling a hundred profiles leaves freed heap behind: give it back */
        malloc_trim(0);
        return result;
}

/* Whether an inotify batch matters; sets *gone when the source went away. */
static bool events_matter(agent *a, const char *buf, ssize_t len, int wd_src, bool *gone)
{
        bool matter = false;
        for (const char *p = buf; p < buf + len;) {
                const struct inotify_event *ev = (const struct inotify_event *)p;
                p += sizeof(*ev) + ev->len;
                if (ev->mask & IN_Q_OVERFLOW) {
                        matter = true;
                        continue;
                }
                if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
                        *gone = true;
                        continue;
                }
                const char *name = ev->len ? ev->name : "";
                /* the kubelet's swap is the rename of ..data; other dot-names are
                 * its timestamped dirs and our own temporaries and state */
                if (ev->wd == wd_src && strcmp(name, "..data") == 0)
                        matter = true;
                else if (ev->wd != wd_src && (ev->mask & (IN_MOVED_TO | IN_DELETE)) && touched_take(a, name))
                        continue;
                else if (name[0] && name[0] != '.')
                        matter = true;
        }
        return matter;
}

SF_EXPORT int sf_k8s_agent_new(const sf_k8s_node_opts *o, const char *source, sf_k8s_log_fn log, void *log_ctx,
                               sf_k8s_agent **ret, sf_error **err)
{
        agent *a = calloc(1, sizeof(*a));
        if (!a || !(a->source = strdup(source))) {
                free(a);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        a->o = *o;
        a->base_puller = (sf_oci_puller){ .pull = agent_base_pull, .ctx = a };
        a->log = log;
        a->log_ctx = log_ctx;
        a->dirfd = -1;
        _cleanup_free_ char *msg = NULL;
        int r = k8s_dir_open(o->root, o->subdir, true, &a->dirfd, &a->dir, &msg);
        if (r < 0) {
                sf_error_set(err, -r, "%s", msg ? msg : strerror(-r));
                sf_k8s_agent_free(a);
                return r;
        }
        struct stat sst;
        if (stat(source, &sst) < 0 || !S_ISDIR(sst.st_mode)) {
                sf_error_set(err, ENOTDIR, "%s: not a directory", source);
                sf_k8s_agent_free(a);
                return -ENOTDIR;
        }
        /* a writer killed mid-write leaves a dot-named temporary: clear them */
        bool waited;
        int lockfd = k8s_dir_lock(a->dirfd, &waited);
        if (lockfd >= 0) {
                k8s_dir_clean_tmp(a->dirfd);
                close(lockfd);
        }
        *ret = a;
        return 0;
}

SF_EXPORT void sf_k8s_agent_free(sf_k8s_agent *a)
{
        if (!a)
                return;
        if (a->dirfd >= 0)
                close(a->dirfd);
        free(a->dir);
        free(a->source);
        entries_free(a->cache, a->n_cache);
        sf_buf_release(&a->saved);
        touched_clear(a);
        k8s_source_release(&a->prev);
        pulls_free(a);
        free(a->base_why);
        free(a);
}

SF_EXPORT int sf_k8s_agent_run(sf_k8s_agent *a, int sigfd, sf_error **err)
{
        int result = 0;
        /* Watches first, then the first sync: no update falls between. */
        int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ifd < 0)
                return sf_error_set(err, errno, "cannot set up inotify and signals: %s", strerror(errno));
        int wd_src = inotify_add_watch(ifd, a->source,
                                       IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
                                               IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
        /* someone deleting or overwriting an installed file: put it back.
         * Watched through the fd: the path might be swapped for a symlink since. */
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", a->dirfd);
        int wd_dir = inotify_add_watch(ifd, self, IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ONLYDIR);
        if (wd_src < 0 || wd_dir < 0) {
                result = sf_error_set(err, errno, "%s: cannot watch: %s", wd_src < 0 ? a->source : a->dir,
                                      strerror(errno));
                goto out;
        }

        int r = sf_k8s_agent_sync(a);
        /* A failed pass (unreadable source, a full disk) is tried again with a
         * growing delay; otherwise the agent sleeps until inotify wakes it. */
        int retry_ms = r < 0 ? 1000 : -1;
        for (;;) {
                struct pollfd pfd[2] = { { .fd = sigfd, .events = POLLIN }, { .fd = ifd, .events = POLLIN } };
                int n_ready = poll(pfd, 2, retry_ms);
                if (n_ready < 0) {
                        if (errno == EINTR)
                                continue;
                        result = sf_error_set(err, errno, "poll: %s", strerror(errno));
                        break;
                }
                bool run = n_ready == 0, full = false;
                if (pfd[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        bool stop = false;
                        while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                if (si.ssi_signo == SIGHUP)
                                        run = full = true;
                                else
                                        stop = true;
                        }
                        if (stop)
                                break;
                }
                if (pfd[1].revents & POLLIN) {
                        _Alignas(struct inotify_event) char buf[8192];
                        bool gone = false;
                        ssize_t k;
                        while ((k = read(ifd, buf, sizeof(buf))) > 0)
                                run |= events_matter(a, buf, k, wd_src, &gone);
                        /* the echoes of the last sync were all queued before it returned */
                        touched_clear(a);
                        if (gone) {
                                result = sf_error_set(err, ENOENT, "%s or %s went away", a->source, a->dir);
                                break;
                        }
                }
                if (!run)
                        continue;
                if (full) {
                        entries_free(a->cache, a->n_cache);
                        a->cache = NULL;
                        a->n_cache = 0;
                }
                r = sf_k8s_agent_sync(a);
                if (r >= 0)
                        retry_ms = -1;
                else
                        retry_ms = retry_ms < 0 ? 1000 : (retry_ms * 2 > 60000 ? 60000 : retry_ms * 2);
        }
out:
        close(ifd);
        return result;
}
