/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — seccomp profiles as OCI artifacts (KEP-6061), in a registry or an
 * OCI image layout on disk, and the checks a KEP-6061 runtime applies to them.
 *
 * The artifact is the one the Security Profiles Operator's `spoc push` writes
 * for a runtime-spec profile (SPO #3421) and KEP-6061 runtimes read: an OCI
 * image manifest whose config and artifactType carry
 * SF_ARTIFACT_MEDIA_TYPE, the config blob "{}", and exactly one layer, the
 * profile's bytes as they are (not a tar), media type application/json,
 * titled profile.json.
 */
#ifndef SYSFENCE_ARTIFACT_H
#define SYSFENCE_ARTIFACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysfence/diag.h>
#include <sysfence/error.h>
#include <sysfence/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_ARTIFACT_MEDIA_TYPE "application/vnd.cncf.seccomp-profile.config.v1+json"
#define SF_ARTIFACT_LAYER_MEDIA_TYPE "application/json"
#define SF_ARTIFACT_MANIFEST_MEDIA_TYPE "application/vnd.oci.image.manifest.v1+json"
/* KEP-6061: runtimes refuse a profile over 1 MiB, and a syscall named by more
 * than 128 entries (security-profiles-merger's ValidateArtifact). */
#define SF_ARTIFACT_MAX_PROFILE (1u << 20)
#define SF_ARTIFACT_MAX_ENTRIES_PER_SYSCALL 128
#define SF_ARTIFACT_MAX_NAMES_PER_ENTRY 1024
#define SF_ARTIFACT_MAX_MANIFEST (4u << 20)

/* A reference: "host[:port]/repo[:tag]", "host/repo@sha256:HEX", or
 * "oci:DIR[:tag]" (an OCI image layout, as skopeo names one). */
typedef struct sf_artifact_ref {
        bool layout;    /* oci:DIR */
        char *dir;      /* layout: the directory */
        char *registry; /* "127.0.0.1:5000" */
        char *repo;     /* "profiles/p" */
        char *tag;      /* NULL when only a digest is given */
        char *digest;   /* "sha256:<64 hex>", or NULL */
} sf_artifact_ref;

int sf_artifact_ref_parse(const char *s, sf_artifact_ref *ret, sf_error **err);
void sf_artifact_ref_release(sf_artifact_ref *r);

typedef struct sf_artifact_opts {
        bool plain_http;       /* http:// instead of https:// (a local registry) */
        bool tls_no_verify;    /* https without certificate checks */
        const char *auth_file; /* NULL: $REGISTRY_AUTH_FILE, else ~/.docker/config.json */
        const char *created;   /* org.opencontainers.image.created; NULL: $SOURCE_DATE_EPOCH, else 1970 */
        bool auth_file_only;   /* with auth_file NULL: no credentials at all (a root-run agent
                                * reads no $HOME or environment of whoever started it) */
        unsigned timeout_s;    /* each request's limit in seconds; 0: 300 */
        /* pull also the artifact spoc pushes for a SeccompProfile object (config
         * application/vnd.unknown.config.v1+json), which the operator takes as a
         * base; KEP-6061 runtimes do not */
        bool spo_objects;
} sf_artifact_opts;

/* What a manifest says, checked: its digest, and the one profile layer. */
typedef struct sf_artifact_info {
        char *manifest_digest;
        char *manifest;       /* the manifest's bytes */
        size_t manifest_len;
        char *artifact_type;  /* the artifactType, or NULL */
        char *config_media_type;
        char *layer_digest;
        char *layer_media_type;
        uint64_t layer_size;
        char *title;          /* org.opencontainers.image.title of the layer, or NULL */
} sf_artifact_info;

void sf_artifact_info_release(sf_artifact_info *info);

/* Pushes a profile's bytes (checked by the caller) as the artifact; on success
 * *ret_digest is the manifest digest (malloc'd). */
int sf_artifact_push(const char *data, size_t len, const sf_artifact_ref *ref, const sf_artifact_opts *opts,
                     char **ret_digest, sf_error **err);

/* Fetches and checks the manifest: its digest matches the reference's (or the
 * registry's Docker-Content-Digest), it is an OCI manifest of a seccomp
 * profile artifact with exactly one layer, of a media type that holds the raw
 * document, at most SF_ARTIFACT_MAX_PROFILE bytes. */
int sf_artifact_inspect(const sf_artifact_ref *ref, const sf_artifact_opts *opts, sf_artifact_info *ret,
                        sf_error **err);

/* sf_artifact_inspect, then the layer, whose size and digest must match: on
 * success *ret_data (malloc'd, NUL-terminated) holds the profile's bytes. */
int sf_artifact_pull(const sf_artifact_ref *ref, const sf_artifact_opts *opts, sf_artifact_info *ret_info,
                     char **ret_data, size_t *ret_len, sf_error **err);

/* An sf_oci_puller's pull (include/sysfence/profile.h) for spec.baseProfileName
 * "oci://REF": ctx is the sf_artifact_opts to pull with (may be NULL), a tag
 * or a digest, KEP-6061 artifacts and SPO's profile-object artifacts. */
int sf_artifact_base_pull(void *ctx, const char *ref, char **ret_data, size_t *ret_len, char **ret_why);

/* What a KEP-6061 runtime rejects in a profile file of size bytes: NOTIFY,
 * listenerPath/listenerMetadata, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, more
 * than 1 MiB, a syscall named by more than 128 entries, an entry of more than
 * 1024 names, and a file that is not a runtime-spec profile (errors); what it
 * ignores (archMap, includes/excludes, comments: warnings).  Adds to diags. */
void sf_kep6061_check(const sf_profile *p, size_t size, sf_diags *diags);
/* A profile's bytes as a KEP-6061 runtime would take them: exactly one profile,
 * loaded and checked (sf_profile_check) and sf_kep6061_check'ed; name is the
 * file name in the findings.  0, or -EINVAL when any finding is an error. */
int sf_kep6061_check_data(const char *data, size_t len, const char *name, sf_diags *diags);

#ifdef __cplusplus
}
#endif
#endif
