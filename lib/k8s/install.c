/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* k8s install: profiles copied into the kubelet's seccomp dir once.  All or
 * nothing: every profile is loaded and compiled for the node (the validation)
 * before the first is written, and each is written atomically under the dir's
 * lock, so the kubelet never sees a partial file and an agent writing the same
 * dir never interleaves with it. */
#include <errno.h>
#include <string.h>

#include "k8s-internal.h"
#include "sysfence/profile.h"

SF_EXPORT void sf_k8s_install_items_release(sf_k8s_install_item *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                sf_diags_release(&v[i].diags);
                free(v[i].error);
                v[i].error = NULL;
        }
}

SF_EXPORT int sf_k8s_install(const sf_k8s_node_opts *o, sf_k8s_install_item *v, size_t n, size_t *ret_invalid,
                             char **ret_dir, sf_error **err)
{
        k8s_prepared *prep = calloc(n ? n : 1, sizeof(*prep));
        if (!prep)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t invalid = 0;
        int result = 0, dirfd = -1;
        _cleanup_free_ char *msg = NULL;
        char *dir = NULL;
        for (size_t i = 0; i < n; i++) {
                sf_k8s_install_item *it = &v[i];
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                sf_error *rerr = NULL;
                /* "oci://REF@sha256:...": the profile pulled, verified, and judged as a
                 * KEP-6061 runtime would, before anything is written */
                bool pulled = false;
                const size_t pn = strlen(SF_K8S_OCI_PREFIX);
                if (strncmp(it->file, SF_K8S_OCI_PREFIX, pn) == 0) {
                        k8s_oci oci = { 0 };
                        char *why = NULL;
                        int r = k8s_oci_parse(it->file, strlen(it->file), o, false, &oci, &why);
                        if (r == 1) {
                                r = k8s_oci_pull(&oci, o, false, &data, &len, &why);
                                r = r == 1 ? 2 : r;
                        }
                        k8s_oci_release(&oci);
                        if (r < 0) {
                                result = sf_error_set(err, ENOMEM, "out of memory");
                                goto out;
                        }
                        if (r == 2) {
                                it->error = why;
                                invalid++;
                                continue;
                        }
                        pulled = true;
                } else if (sf_read_file(it->file, SF_PROFILE_MAX_FILE, &data, &len, &rerr) < 0) {
                        it->error = strdup(sf_error_message(rerr));
                        sf_error_free(rerr);
                        invalid++;
                        continue;
                }
                int r = k8s_prepare(it->file, data, len, &o->co, o->as_given, pulled ? NULL : o->bases_dir, -1, pulled,
                                    &prep[i], &it->diags);
                if (r < 0) {
                        result = sf_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                if (r == 1) {
                        invalid++;
                        /* an error the loader did not file as a finding (e.g. a compile limit) */
                        if (it->diags.errors == 0)
                                it->error = TAKE_PTR(prep[i].error);
                }
        }
        *ret_invalid = invalid;
        if (invalid) {
                result = 1;
                goto out;
        }

        int r = k8s_dir_open(o->root, o->subdir, true, &dirfd, &dir, &msg);
        if (r < 0) {
                result = sf_error_set(err, -r, "%s", msg ? msg : strerror(-r));
                goto out;
        }
        *ret_dir = dir;
        bool waited;
        int lockfd = k8s_dir_lock(dirfd, &waited);
        if (lockfd < 0) {
                result = sf_error_set(err, -lockfd, "%s/" K8S_LOCK_NAME ": cannot lock: %s", dir, strerror(-lockfd));
                close(dirfd);
                goto out;
        }
        k8s_dir_clean_tmp(dirfd);
        for (size_t i = 0; i < n; i++) {
                r = k8s_write_at(dirfd, v[i].name, prep[i].bytes, prep[i].len, 0644);
                if (r < 0) {
                        result = sf_error_set(err, -r, "%s/%s: cannot write: %s", dir, v[i].name, strerror(-r));
                        break;
                }
                memcpy(v[i].sha, prep[i].sha, sizeof(v[i].sha));
                v[i].installed = true;
        }
        k8s_dir_sync(dirfd);
        close(lockfd);
        close(dirfd);
out:
        for (size_t i = 0; i < n; i++)
                k8s_prepared_release(&prep[i]);
        free(prep);
        return result;
}
