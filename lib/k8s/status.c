/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* k8s status: the agent's readiness.  A key is current only when the file
 * under its name holds what the agent installs for the key's present text,
 * with the mode it installs it with.  The agent's recorded verdict is reused
 * only for the very text it judged (same sha256) and never for a failed write;
 * every other key is prepared here as the agent would, so a probe run before
 * the agent's first pass, or with a state file someone removed, says the same. */
#include <errno.h>
#include <string.h>

#include "k8s-internal.h"

SF_EXPORT const char *sf_k8s_state_name(sf_k8s_state s)
{
        switch (s) {
        case SF_K8S_CURRENT: return "current";
        case SF_K8S_MISSING: return "missing";
        case SF_K8S_STALE: return "stale";
        case SF_K8S_REJECTED: return "rejected";
        case SF_K8S_FAILED: return "failed";
        }
        return "?";
}

SF_EXPORT void sf_k8s_status_release(sf_k8s_status *s)
{
        for (size_t i = 0; s->v && i < s->n; i++) {
                free(s->v[i].name);
                free(s->v[i].error);
                free(s->v[i].reference);
                free(s->v[i].digest);
        }
        free(s->v);
        free(s->warning);
        *s = (sf_k8s_status){ 0 };
}

SF_EXPORT int sf_k8s_status_read(const sf_k8s_node_opts *o, const char *source, sf_k8s_status *ret, sf_error **err)
{
        k8s_source src = { 0 };
        _cleanup_free_ char *msg = NULL;
        if (k8s_source_read(source, NULL, &src, &msg) < 0)
                return sf_error_set(err, EINVAL, "%s", msg ? msg : "cannot read the source");
        sf_k8s_status st = { .v = calloc(src.n ? src.n : 1, sizeof(*st.v)), .n = src.n };
        int dirfd = -1, result = 0;
        _cleanup_free_ char *dir = NULL;
        k8s_state rec = { 0 };
        if (!st.v)
                goto oom;
        int dr = k8s_dir_open(o->root, o->subdir, false, &dirfd, &dir, &msg);
        if (dr < 0 && dr != -ENOENT && !(st.warning = strdup(msg ? msg : strerror(-dr))))
                goto oom; /* e.g. a symlink: not the agent's dir */
        if (dr < 0)
                free(TAKE_PTR(msg)); /* every profile is then missing */
        else if (k8s_state_load(dirfd, &rec, &msg) < 0)
                free(TAKE_PTR(msg)); /* no verdicts to reuse: decide each here */

        for (size_t i = 0; i < src.n; i++) {
                const k8s_key *k = &src.v[i];
                sf_k8s_status_entry *se = &st.v[i];
                if (!(se->name = strdup(k->name)))
                        goto oom;
                const k8s_entry *e = k8s_state_entry(&rec, k->name);
                /* an oci:// key is never pulled here (a readiness probe runs every few
                 * seconds): the agent's verdict on this very text, or not yet there */
                k8s_oci oci = { 0 };
                _cleanup_free_ char *why = NULL;
                int oc = k->reject ? 0 : k8s_oci_parse(k->data, k->len, NULL, true, &oci, &why);
                if (oc < 0)
                        goto oom;
                if (oc == 1) {
                        se->reference = oci.shown;
                        oci.shown = NULL;
                        se->digest = strdup(oci.ref.digest);
                        k8s_oci_release(&oci);
                        if (!se->reference || !se->digest)
                                goto oom;
                }
                bool pulled_failed = false, pending = false;
                if (k->reject) {
                        sf_buf eb = { 0 };
                        sf_buf_printf(&eb, "%s/%s: %s", source, k->name, k->reject); /* the name is escaped */
                        if (!(se->error = sf_buf_steal(&eb)))
                                goto oom;
                } else if (oc == 2) {
                        sf_buf eb = { 0 };
                        sf_buf_printf(&eb, "%s/%s: %s", source, k->name, why);
                        if (!(se->error = sf_buf_steal(&eb)))
                                goto oom;
                } else if (oc == 1 && !(e && strcmp(e->src_sha, k->sha) == 0)) {
                        if (!(se->error = strdup("not pulled by the agent yet")))
                                goto oom;
                        pending = true;
                } else if (e && strcmp(e->src_sha, k->sha) == 0 && e->verdict == K8S_FAILED &&
                           (oc == 1 || !e->sha[0])) {
                        /* the agent could not pull for this very text (the key, or its base) */
                        if (!(se->error = strdup(e->error ? e->error : "the pull failed")))
                                goto oom;
                        pulled_failed = true;
                } else if (e && strcmp(e->src_sha, k->sha) == 0 && e->verdict != K8S_FAILED) {
                        /* the agent's verdict on this very text */
                        if (e->verdict == K8S_REJECTED) {
                                if (!(se->error = strdup(e->error ? e->error : "invalid")))
                                        goto oom;
                        } else {
                                memcpy(se->want, e->sha, sizeof(se->want));
                        }
                } else {
                        sf_buf disp = { 0 };
                        sf_buf_printf(&disp, "%s/%s", source, k->name);
                        k8s_prepared p = { 0 };
                        int r = disp.oom ? -ENOMEM
                                         : k8s_prepare_with(disp.s, k->data, k->len, &o->co, o->as_given,
                                                            src.keys_dir, K8S_SOURCE_FD(&src), &k8s_no_puller, false,
                                                            &p, NULL);
                        sf_buf_release(&disp);
                        if (r < 0)
                                goto oom;
                        if (r == 1)
                                se->error = TAKE_PTR(p.reason); /* the profile's text is not repeated */
                        else
                                memcpy(se->want, p.sha, sizeof(se->want));
                        k8s_prepared_release(&p);
                }
                struct stat now = { 0 };
                int hr = dirfd >= 0 && !k->reject ? k8s_hash_at(dirfd, k->name, se->installed, &now) : -ENOENT;
                if (hr < 0)
                        se->installed[0] = 0;
                if (pending)
                        se->state = hr == -ENOENT ? SF_K8S_MISSING : SF_K8S_STALE;
                else if (pulled_failed)
                        se->state = SF_K8S_FAILED;
                else if (se->error || k->reject)
                        se->state = SF_K8S_REJECTED;
                else if (hr == -ENOENT)
                        se->state = SF_K8S_MISSING;
                else if (hr < 0 || strcmp(se->installed, se->want) != 0 || (now.st_mode & 07777) != k->mode)
                        se->state = SF_K8S_STALE;
                else
                        st.current++;
        }
        *ret = st;
        st = (sf_k8s_status){ 0 };
        goto out;
oom:
        result = sf_error_set(err, ENOMEM, "out of memory");
out:
        sf_k8s_status_release(&st);
        k8s_source_release(&src);
        k8s_state_release(&rec);
        if (dirfd >= 0)
                close(dirfd);
        return result;
}
