/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Profiles as OCI artifacts: references, the manifest, push, pull, inspect,
 * to a registry (registry.c) or an OCI image layout on disk.
 *
 * The format is the one SPO's spoc push writes for a runtime-spec profile
 * (security-profiles-operator internal/pkg/artifact, since #3421) and
 * KEP-6061's "OCI Artifact Format" section describes: an OCI 1.1 image
 * manifest; config and artifactType both SF_ARTIFACT_MEDIA_TYPE (a runtime
 * reads the kind from the config, or from artifactType under the empty
 * config); the config blob "{}"; exactly one layer, the profile's bytes as
 * they are, application/json, titled profile.json; and
 * org.opencontainers.image.created fixed (1970, or $SOURCE_DATE_EPOCH) so the
 * same profile always has the same digest.  Pulling trusts nothing: the
 * manifest's digest is checked against the reference (or the registry's
 * Docker-Content-Digest), the layer's against the manifest, sizes are bounded
 * before anything is read (4 MiB manifest, 1 MiB profile: KEP-6061's limit),
 * and the caller writes only what passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "artifact/artifact-internal.h"
#include "doc/doc.h"

#define EMPTY_CONFIG "{}"
#define OCI_EMPTY_MEDIA_TYPE "application/vnd.oci.empty.v1+json"
#define SPO_OBJECT_MEDIA_TYPE "application/vnd.unknown.config.v1+json"
#define OCI_INDEX_MEDIA_TYPE "application/vnd.oci.image.index.v1+json"
#define ANN_TITLE "org.opencontainers.image.title"
#define ANN_CREATED "org.opencontainers.image.created"
#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define LAYER_TITLE "profile.json"

/* ---- references ---- */

static bool tag_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* distribution's grammar: lower-case components of [a-z0-9] joined by one
 * separator (., _, __, any number of -), components joined by /. */
static bool repo_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 255 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-/") != n)
                return false;
        for (size_t i = 0; i < n; i++) {
                bool sep = s[i] == '.' || s[i] == '_' || s[i] == '-' || s[i] == '/';
                bool edge = i == 0 || i == n - 1 || s[i - 1] == '/' || s[i + 1] == '/';
                if (sep && s[i] != '/' && edge)
                        return false;
                if (s[i] == '/' && (i == 0 || i == n - 1 || s[i + 1] == '/'))
                        return false;
        }
        return true;
}

static bool host_valid(const char *s)
{
        size_t n = strlen(s), h = strcspn(s, ":");
        if (n == 0 || n > 255 || h == 0 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") != h)
                return false;
        return h == n || (n - h >= 2 && n - h <= 6 && strspn(s + h + 1, "0123456789") == n - h - 1);
}

SF_EXPORT void sf_artifact_ref_release(sf_artifact_ref *r)
{
        free(r->dir);
        free(r->registry);
        free(r->repo);
        free(r->tag);
        free(r->digest);
        *r = (sf_artifact_ref){ 0 };
}

SF_EXPORT int sf_artifact_ref_parse(const char *s, sf_artifact_ref *ret, sf_error **err)
{
        sf_artifact_ref r = { 0 };
        _cleanup_free_ char *copy = strdup(s);
        if (!copy)
                return sf_error_set(err, ENOMEM, "out of memory");
        char *at = strchr(copy, '@');
        if (at) {
                *at = 0;
                if (!sf_digest_valid(at + 1))
                        return sf_error_set(err, EINVAL, "\"%s\": the digest is not sha256: and 64 lower-case hex digits",
                                            s);
                r.digest = strdup(at + 1);
        }
        if (strncmp(copy, "oci:", 4) == 0) {
                r.layout = true;
                char *colon = strchr(copy + 4, ':'); /* as skopeo: the directory has no ':' */
                if (colon) {
                        *colon = 0;
                        if (!tag_valid(colon + 1)) {
                                sf_artifact_ref_release(&r);
                                return sf_error_set(err, EINVAL, "\"%s\": \"%s\" is not a valid tag", s, colon + 1);
                        }
                        r.tag = strdup(colon + 1);
                }
                if (!copy[4]) {
                        sf_artifact_ref_release(&r);
                        return sf_error_set(err, EINVAL, "\"%s\": oci: names no directory", s);
                }
                r.dir = strdup(copy + 4);
        } else {
                char *slash = strchr(copy, '/');
                if (!slash) {
                        sf_artifact_ref_release(&r);
                        return sf_error_set(err, EINVAL, "\"%s\": name the registry: HOST[:PORT]/REPO[:TAG], "
                                                         "HOST/REPO@sha256:..., or oci:DIR[:TAG]", s);
                }
                *slash = 0;
                char *repo = slash + 1, *colon = strrchr(repo, ':');
                if (colon && !strchr(colon, '/')) {
                        *colon = 0;
                        if (!tag_valid(colon + 1)) {
                                sf_artifact_ref_release(&r);
                                return sf_error_set(err, EINVAL, "\"%s\": \"%s\" is not a valid tag", s, colon + 1);
                        }
                        r.tag = strdup(colon + 1);
                }
                bool named_host = strchr(copy, '.') || strchr(copy, ':') || strcmp(copy, "localhost") == 0;
                if (!host_valid(copy) || !named_host) {
                        sf_artifact_ref_release(&r);
                        return sf_error_set(err, EINVAL, "\"%s\": \"%s\" is not a registry host (HOST[:PORT], with a "
                                                         "dot, a port, or localhost)", s, copy);
                }
                if (!repo_valid(repo)) {
                        sf_artifact_ref_release(&r);
                        return sf_error_set(err, EINVAL, "\"%s\": \"%s\" is not a valid repository name "
                                                         "(lower-case letters, digits, . _ - and /)", s, repo);
                }
                r.registry = strdup(copy);
                r.repo = strdup(repo);
        }
        if (!r.tag && !r.digest)
                r.tag = strdup("latest");
        if ((r.layout ? !r.dir : !r.registry || !r.repo) || !(r.tag || r.digest)) {
                sf_artifact_ref_release(&r);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        *ret = r;
        return 0;
}

/* ---- JSON out ---- */

/* A parsed value written back (numbers as they were written). */
static void put_node(sf_buf *b, const sf_node *n)
{
        switch (n->kind) {
        case SF_NODE_NULL: sf_buf_puts(b, "null"); break;
        case SF_NODE_BOOL: sf_buf_puts(b, n->b ? "true" : "false"); break;
        case SF_NODE_NUM: sf_buf_puts(b, n->num.text); break;
        case SF_NODE_STR: sf_buf_json_str(b, n->str.s); break;
        case SF_NODE_ARR:
                sf_buf_putc(b, '[');
                for (size_t i = 0; i < n->arr.n; i++) {
                        if (i)
                                sf_buf_putc(b, ',');
                        put_node(b, n->arr.v[i]);
                }
                sf_buf_putc(b, ']');
                break;
        case SF_NODE_OBJ:
                sf_buf_putc(b, '{');
                for (size_t i = 0; i < n->obj.n; i++) {
                        if (i)
                                sf_buf_putc(b, ',');
                        sf_buf_json_str(b, n->obj.v[i].key);
                        sf_buf_putc(b, ':');
                        put_node(b, n->obj.v[i].val);
                }
                sf_buf_putc(b, '}');
                break;
        }
}

/* ---- the manifest ---- */

SF_EXPORT void sf_artifact_info_release(sf_artifact_info *i)
{
        free(i->manifest_digest);
        free(i->manifest);
        free(i->artifact_type);
        free(i->config_media_type);
        free(i->layer_digest);
        free(i->layer_media_type);
        free(i->title);
        *i = (sf_artifact_info){ 0 };
}

static int created_time(const sf_artifact_opts *o, char buf[32], sf_error **err)
{
        if (o->created) {
                size_t n = strlen(o->created);
                if (n == 0 || n >= 32 || strspn(o->created, "0123456789-:TZ.+") != n)
                        return sf_error_set(err, EINVAL, "created time \"%s\" is not RFC 3339", o->created);
                memcpy(buf, o->created, n + 1);
                return 0;
        }
        time_t t = 0;
        const char *e = getenv("SOURCE_DATE_EPOCH");
        if (e && *e) {
                uint64_t v;
                if (sf_parse_u64(e, 10, &v) < 0 || v > (uint64_t)253402300799)
                        return sf_error_set(err, EINVAL, "$SOURCE_DATE_EPOCH \"%s\" is not seconds since 1970", e);
                t = (time_t)v;
        }
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return 0;
}

/* The manifest of a profile's bytes, with the layer's digest in layer_digest. */
static int build_manifest(const char *data, size_t len, const sf_artifact_opts *o, char **ret,
                          char layer_digest[SF_DIGEST_LEN + 1], sf_error **err)
{
        char created[32], config_digest[SF_DIGEST_LEN + 1];
        int r = created_time(o, created, err);
        if (r < 0)
                return r;
        sf_sha256_digest(data, len, layer_digest);
        sf_sha256_digest(EMPTY_CONFIG, strlen(EMPTY_CONFIG), config_digest);
        sf_buf b = { 0 };
        sf_buf_printf(&b,
                      "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"%s\","
                      "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
                      "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
                      "\"annotations\":{\"%s\":\"%s\"}}],\"annotations\":{\"%s\":",
                      SF_ARTIFACT_MANIFEST_MEDIA_TYPE, SF_ARTIFACT_MEDIA_TYPE, SF_ARTIFACT_MEDIA_TYPE, config_digest,
                      strlen(EMPTY_CONFIG), SF_ARTIFACT_LAYER_MEDIA_TYPE, layer_digest, len, ANN_TITLE, LAYER_TITLE,
                      ANN_CREATED);
        sf_buf_json_str(&b, created);
        sf_buf_puts(&b, "}}");
        *ret = sf_buf_steal(&b);
        return *ret ? 0 : sf_error_set(err, ENOMEM, "out of memory");
}

/* A registry's string, for a message: as it is when of a media type's
 * charset, else not shown. */
static const char *shown(const char *s)
{
        size_t n = strlen(s);
        return n && n <= 128 &&
                               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+-/_") == n
                       ? s
                       : "(not shown: not a media type)";
}

static const char *str_member(const sf_node *o, const char *key)
{
        const sf_node *v = o && o->kind == SF_NODE_OBJ ? sf_node_get(o, key) : NULL;
        return v && v->kind == SF_NODE_STR ? v->str.s : NULL;
}

static bool layer_type_ok(const char *t)
{
        /* the raw document: application/json (SPO), or the plain-tar label ORAS
         * gives every file layer (KEP-6061: runtimes must accept it) */
        return strcmp(t, SF_ARTIFACT_LAYER_MEDIA_TYPE) == 0 || strcmp(t, "application/vnd.oci.image.layer.v1.tar") == 0;
}

/* The artifact spoc pushes for a profile object (a SeccompProfile YAML; SPO's
 * packProfiles): ORAS's unknown config media type, as the config or (manifest
 * v1.1, empty config) as the artifactType, one file layer. */
static bool spo_object(const char *ctype, const char *atype)
{
        return (ctype && strcmp(ctype, SPO_OBJECT_MEDIA_TYPE) == 0) ||
               (ctype && strcmp(ctype, OCI_EMPTY_MEDIA_TYPE) == 0 && atype && strcmp(atype, SPO_OBJECT_MEDIA_TYPE) == 0);
}

/* Checks a manifest's bytes (whose digest is digest) and fills info. */
static int check_manifest(const char *where, char *data, size_t len, const char *digest, sf_artifact_info *info,
                          sf_error **err)
{
        sf_doc doc = { 0 };
        sf_diags d = { 0 };
        int ret;
        if (sf_json_parse(data, len, where, &doc, &d) < 0) {
                char *m = d.n ? sf_diag_format(&d.v[0]) : NULL;
                ret = sf_error_set(err, EINVAL, "%s", m ? m : "the manifest is not JSON");
                free(m);
                goto out;
        }
        const sf_node *m = doc.docs[0];
        const sf_node *sv = m->kind == SF_NODE_OBJ ? sf_node_get(m, "schemaVersion") : NULL;
        const char *mt = str_member(m, "mediaType");
        if (mt && strcmp(mt, OCI_INDEX_MEDIA_TYPE) == 0) {
                ret = sf_error_set(err, EINVAL, "%s: an image index, not the manifest of a profile", where);
                goto out;
        }
        if (!sv || sv->kind != SF_NODE_NUM || !sv->num_is_int || sv->num.mag != 2 || sv->num_neg ||
            (mt && strcmp(mt, SF_ARTIFACT_MANIFEST_MEDIA_TYPE) != 0)) {
                ret = sf_error_set(err, EINVAL, "%s: not an OCI image manifest (schemaVersion 2, mediaType %s)%s%s",
                                   where, SF_ARTIFACT_MANIFEST_MEDIA_TYPE, mt ? ": its media type is " : "",
                                   mt ? shown(mt) : "");
                goto out;
        }
        const sf_node *config = sf_node_get(m, "config");
        const char *ctype = str_member(config, "mediaType"), *atype = str_member(m, "artifactType");
        bool seccomp = (ctype && strcmp(ctype, SF_ARTIFACT_MEDIA_TYPE) == 0) ||
                       (ctype && strcmp(ctype, OCI_EMPTY_MEDIA_TYPE) == 0 && atype &&
                        strcmp(atype, SF_ARTIFACT_MEDIA_TYPE) == 0);
        /* what sf_artifact_pull gives only to whom asks for it (spo_objects) */
        if (!seccomp && !(seccomp = spo_object(ctype, atype))) {
                bool legacy = ctype && strcmp(ctype, SPO_OBJECT_MEDIA_TYPE) == 0;
                ret = sf_error_set(err, EINVAL, "%s: not a seccomp profile artifact: the config media type is %s, not %s%s",
                                   where, ctype ? shown(ctype) : "missing", SF_ARTIFACT_MEDIA_TYPE,
                                   legacy ? " (an artifact of spoc before SPO #3421: KEP-6061 runtimes refuse it too; "
                                            "push it again)"
                                          : "");
                goto out;
        }
        const sf_node *layers = sf_node_get(m, "layers");
        if (!layers || layers->kind != SF_NODE_ARR || layers->arr.n != 1) {
                ret = sf_error_set(err, EINVAL, "%s: %zu layers: a profile artifact has exactly one (KEP-6061)", where,
                                   layers && layers->kind == SF_NODE_ARR ? layers->arr.n : 0);
                goto out;
        }
        const sf_node *l = layers->arr.v[0];
        const char *ltype = str_member(l, "mediaType"), *ldigest = str_member(l, "digest");
        const sf_node *lsize = l->kind == SF_NODE_OBJ ? sf_node_get(l, "size") : NULL;
        if (!ltype || !layer_type_ok(ltype)) {
                ret = sf_error_set(err, EINVAL,
                                   "%s: layers[0].mediaType %s: not a raw JSON profile (application/json or "
                                   "application/vnd.oci.image.layer.v1.tar): refused",
                                   where, ltype ? shown(ltype) : "missing");
                goto out;
        }
        if (!ldigest || !sf_digest_valid(ldigest)) {
                ret = sf_error_set(err, EINVAL, "%s: layers[0].digest is not a sha256 digest", where);
                goto out;
        }
        if (!lsize || lsize->kind != SF_NODE_NUM || !lsize->num_is_int || lsize->num_neg || lsize->num_overflow) {
                ret = sf_error_set(err, EINVAL, "%s: layers[0].size is not a byte count", where);
                goto out;
        }
        if (lsize->num.mag > SF_ARTIFACT_MAX_PROFILE) {
                ret = sf_error_set(err, EFBIG,
                                   "%s: layer %s has %ju bytes: over the 1 MiB limit of KEP-6061 runtimes: refused",
                                   where, ldigest, (uintmax_t)lsize->num.mag);
                goto out;
        }
        const char *title = str_member(sf_node_get(l, "annotations"), ANN_TITLE);
        sf_artifact_info i = {
                .manifest_digest = strdup(digest),
                .artifact_type = atype ? strdup(atype) : NULL,
                .config_media_type = strdup(ctype),
                .layer_digest = strdup(ldigest),
                .layer_media_type = strdup(ltype),
                .layer_size = lsize->num.mag,
                .title = title ? strdup(title) : NULL,
        };
        i.manifest = data;
        i.manifest_len = len;
        if (!i.manifest_digest || !i.config_media_type || !i.layer_digest || !i.layer_media_type) {
                i.manifest = NULL;
                sf_artifact_info_release(&i);
                ret = sf_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        *info = i;
        ret = 0;
out:
        sf_doc_release(&doc);
        sf_diags_release(&d);
        return ret;
}

/* The bytes of a blob or manifest against the digest they were asked for. */
static int verify(const char *what, const char *want, const char *data, size_t len, sf_error **err)
{
        char got[SF_DIGEST_LEN + 1];
        sf_sha256_digest(data, len, got);
        if (strcmp(got, want) != 0)
                return sf_error_set(err, EBADMSG,
                                    "%s %s: the content does not match its digest (it is %s): refused, nothing written",
                                    what, want, got);
        return 0;
}

/* ---- a registry ---- */

static int registry_error(const char *what, const sf_http_resp *resp, sf_error **err)
{
        /* the distribution API's {"errors":[{"code":"..."}]}, its code only */
        const char *code = NULL;
        sf_doc doc = { 0 };
        if (resp->body.len && sf_json_parse(resp->body.s, resp->body.len, "answer", &doc, NULL) == 0) {
                const sf_node *e = sf_node_get(doc.docs[0], "errors");
                if (e && e->kind == SF_NODE_ARR && e->arr.n)
                        code = str_member(e->arr.v[0], "code");
                if (code && (strlen(code) > 64 || strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != strlen(code)))
                        code = NULL;
        }
        int r = sf_error_set(err, resp->status == 404 ? ENOENT : resp->status == 401 || resp->status == 403 ? EACCES : EIO,
                             "%s: the registry answered %ld%s%s", what, resp->status, code ? " " : "", code ? code : "");
        sf_doc_release(&doc);
        return r;
}

static int registry_inspect(sf_registry *reg, const sf_artifact_ref *ref, sf_artifact_info *ret, sf_error **err)
{
        _cleanup_free_ char *url = NULL;
        const char *id = ref->digest ? ref->digest : ref->tag;
        if (asprintf(&url, "%s/manifests/%s", sf_registry_base(reg), id) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        static const char *const hdr[] = { "Accept: " SF_ARTIFACT_MANIFEST_MEDIA_TYPE, NULL };
        sf_http_resp resp = { 0 };
        int r = sf_registry_request(reg, "GET", url, hdr, NULL, 0, SF_ARTIFACT_MAX_MANIFEST, &resp, err);
        if (r == -EFBIG) {
                sf_http_resp_release(&resp);
                return sf_error_wrap(err, "the manifest of %s/%s is over %u bytes: refused", ref->registry, ref->repo,
                                     SF_ARTIFACT_MAX_MANIFEST);
        }
        if (r == 0 && resp.status != 200)
                r = registry_error(url, &resp, err);
        char digest[SF_DIGEST_LEN + 1];
        if (r == 0) {
                sf_sha256_digest(resp.body.s ? resp.body.s : "", resp.body.len, digest);
                if (ref->digest)
                        r = verify("manifest", ref->digest, resp.body.s ? resp.body.s : "", resp.body.len, err);
                else if (resp.digest && sf_digest_valid(resp.digest) && strcmp(resp.digest, digest) != 0)
                        r = sf_error_set(err, EBADMSG,
                                         "manifest %s: the content does not match its digest (it is %s): refused, "
                                         "nothing written",
                                         resp.digest, digest);
        }
        if (r == 0) {
                size_t len = resp.body.len; /* a NUL inside is the parser's to refuse */
                char *body = resp.body.s ? sf_buf_steal(&resp.body) : strdup("");
                r = body ? check_manifest(url, body, len, digest, ret, err) : sf_error_set(err, ENOMEM, "out of memory");
                if (r < 0)
                        free(body);
        }
        sf_http_resp_release(&resp);
        return r;
}

static int registry_blob(sf_registry *reg, const sf_artifact_info *info, char **ret, sf_error **err)
{
        _cleanup_free_ char *url = NULL;
        if (asprintf(&url, "%s/blobs/%s", sf_registry_base(reg), info->layer_digest) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        sf_http_resp resp = { 0 };
        int r = sf_registry_request(reg, "GET", url, NULL, NULL, 0, info->layer_size, &resp, err);
        if (r == -EFBIG) {
                sf_http_resp_release(&resp);
                return sf_error_wrap(err, "blob %s is larger than the %ju bytes its manifest says: refused, nothing "
                                          "written", info->layer_digest, (uintmax_t)info->layer_size);
        }
        if (r == 0 && resp.status != 200)
                r = registry_error(url, &resp, err);
        if (r == 0 && resp.body.len != info->layer_size)
                r = sf_error_set(err, EBADMSG, "blob %s has %zu bytes, its manifest says %ju: refused, nothing written",
                                 info->layer_digest, resp.body.len, (uintmax_t)info->layer_size);
        if (r == 0)
                r = verify("blob", info->layer_digest, resp.body.s ? resp.body.s : "", resp.body.len, err);
        if (r == 0) {
                *ret = resp.body.s ? sf_buf_steal(&resp.body) : strdup("");
                if (!*ret)
                        r = sf_error_set(err, ENOMEM, "out of memory");
        }
        sf_http_resp_release(&resp);
        return r;
}

/* One blob up, unless the registry has it: HEAD, else POST an upload and PUT
 * the bytes to where it says (the distribution API's monolithic upload). */
static int registry_put_blob(sf_registry *reg, const char *digest, const void *data, size_t len, sf_error **err)
{
        _cleanup_free_ char *url = NULL, *put = NULL;
        if (asprintf(&url, "%s/blobs/%s", sf_registry_base(reg), digest) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        sf_http_resp resp = { 0 };
        int r = sf_registry_request(reg, "HEAD", url, NULL, NULL, 0, 0, &resp, err);
        bool have = r == 0 && resp.status == 200;
        if (r == 0 && !have && resp.status != 404)
                r = registry_error(url, &resp, err);
        sf_http_resp_release(&resp);
        if (r < 0 || have)
                return r;
        free(url);
        url = NULL;
        if (asprintf(&url, "%s/blobs/uploads/", sf_registry_base(reg)) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        r = sf_registry_request(reg, "POST", url, NULL, NULL, 0, 65536, &resp, err);
        if (r == 0 && (resp.status != 202 || !resp.location))
                r = registry_error(url, &resp, err);
        if (r == 0 && asprintf(&put, "%s%cdigest=%s", resp.location, strchr(resp.location, '?') ? '&' : '?', digest) < 0)
                r = sf_error_set(err, ENOMEM, "out of memory");
        sf_http_resp_release(&resp);
        if (r < 0)
                return r;
        static const char *const hdr[] = { "Content-Type: application/octet-stream", NULL };
        r = sf_registry_request(reg, "PUT", put, hdr, data, len, 65536, &resp, err);
        if (r == 0 && resp.status != 201)
                r = registry_error(url, &resp, err);
        sf_http_resp_release(&resp);
        return r;
}

static int registry_push(const sf_artifact_ref *ref, const sf_artifact_opts *o, const char *data, size_t len,
                         const char *manifest, const char *layer_digest, const char *digest, sf_error **err)
{
        sf_registry *reg = NULL;
        int r = sf_registry_open(ref, o, true, &reg, err);
        if (r < 0)
                return r;
        char config_digest[SF_DIGEST_LEN + 1];
        sf_sha256_digest(EMPTY_CONFIG, strlen(EMPTY_CONFIG), config_digest);
        r = registry_put_blob(reg, config_digest, EMPTY_CONFIG, strlen(EMPTY_CONFIG), err);
        if (r == 0)
                r = registry_put_blob(reg, layer_digest, data, len, err);
        _cleanup_free_ char *url = NULL;
        if (r == 0 && asprintf(&url, "%s/manifests/%s", sf_registry_base(reg), ref->tag ? ref->tag : digest) < 0)
                r = sf_error_set(err, ENOMEM, "out of memory");
        sf_http_resp resp = { 0 };
        static const char *const hdr[] = { "Content-Type: " SF_ARTIFACT_MANIFEST_MEDIA_TYPE, NULL };
        if (r == 0)
                r = sf_registry_request(reg, "PUT", url, hdr, manifest, strlen(manifest), 65536, &resp, err);
        if (r == 0 && resp.status != 201)
                r = registry_error(url, &resp, err);
        if (r == 0 && resp.digest && sf_digest_valid(resp.digest) && strcmp(resp.digest, digest) != 0)
                r = sf_error_set(err, EBADMSG, "%s: the registry stored the manifest as %s, not %s", url, resp.digest,
                                 digest);
        sf_http_resp_release(&resp);
        sf_registry_close(reg);
        return r;
}

/* ---- an OCI image layout ---- */

/* A file of the layout, at most max bytes; never through a symlink at its
 * last component. */
static int layout_read(const char *dir, const char *name, size_t max, char **ret, size_t *ret_len, sf_error **err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return sf_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0)
                return sf_error_set_errno(err, errno, "%s: cannot stat", path);
        if (!S_ISREG(st.st_mode))
                return sf_error_set(err, EINVAL, "%s: not a regular file", path);
        if ((uint64_t)st.st_size > max)
                return sf_error_set(err, EFBIG, "%s: %jd bytes, over the limit of %zu: refused", path,
                                    (intmax_t)st.st_size, max);
        char *buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return sf_error_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        while (n < (size_t)st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        free(buf);
                        return k < 0 ? sf_error_set_errno(err, errno, "%s: cannot read", path)
                                     : sf_error_set(err, EIO, "%s: shorter than it was", path);
                }
                n += (size_t)k;
        }
        buf[n] = 0;
        *ret = buf;
        *ret_len = n;
        return 0;
}

static int layout_read_blob(const char *dir, const char *digest, size_t max, char **ret, size_t *ret_len,
                            sf_error **err)
{
        char name[SF_DIGEST_LEN + 16];
        snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
        int r = layout_read(dir, name, max, ret, ret_len, err);
        if (r < 0)
                return r;
        if ((r = verify("blob", digest, *ret, *ret_len, err)) < 0) {
                free(*ret);
                *ret = NULL;
        }
        return r;
}

static int layout_index(const sf_artifact_ref *ref, sf_doc *doc, bool must, sf_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        sf_error *e = NULL;
        int r = layout_read(ref->dir, "index.json", SF_ARTIFACT_MAX_MANIFEST, &data, &len, &e);
        if (r == -ENOENT && !must) {
                sf_error_free(e);
                return 0;
        }
        if (r < 0) {
                *err = e;
                return r;
        }
        _cleanup_free_ char *where = NULL;
        if (asprintf(&where, "%s/index.json", ref->dir) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        sf_diags d = { 0 };
        if (sf_json_parse(data, len, where, doc, &d) < 0 || doc->docs[0]->kind != SF_NODE_OBJ) {
                char *m = d.n ? sf_diag_format(&d.v[0]) : NULL;
                r = sf_error_set(err, EINVAL, "%s", m ? m : "index.json is not a JSON object");
                free(m);
        }
        sf_diags_release(&d);
        return r;
}

static int layout_inspect(const sf_artifact_ref *ref, sf_artifact_info *ret, sf_error **err)
{
        sf_doc doc = { 0 };
        int r = layout_index(ref, &doc, true, err);
        if (r < 0)
                return r;
        const sf_node *ms = sf_node_get(doc.docs[0], "manifests");
        const char *digest = NULL;
        for (size_t i = 0; ms && ms->kind == SF_NODE_ARR && i < ms->arr.n && !digest; i++) {
                const char *d = str_member(ms->arr.v[i], "digest");
                const char *name = str_member(sf_node_get(ms->arr.v[i], "annotations"), ANN_REF_NAME);
                if (d && (ref->digest ? strcmp(d, ref->digest) == 0 : name && strcmp(name, ref->tag) == 0))
                        digest = d;
        }
        if (!digest) {
                r = sf_error_set(err, ENOENT, "%s: no manifest %s in index.json", ref->dir,
                                 ref->digest ? ref->digest : ref->tag);
        } else if (!sf_digest_valid(digest)) {
                r = sf_error_set(err, EINVAL, "%s/index.json: the manifest's digest is not a sha256 digest", ref->dir);
        } else {
                char *m = NULL;
                size_t len;
                r = layout_read_blob(ref->dir, digest, SF_ARTIFACT_MAX_MANIFEST, &m, &len, err);
                _cleanup_free_ char *where = NULL;
                if (r == 0 && asprintf(&where, "%s/blobs/sha256/%s", ref->dir, digest + 7) < 0)
                        r = sf_error_set(err, ENOMEM, "out of memory");
                if (r == 0)
                        r = check_manifest(where, m, len, digest, ret, err);
                if (r < 0)
                        free(m);
        }
        sf_doc_release(&doc);
        return r;
}

static int layout_mkdir(const char *path, sf_error **err)
{
        if (mkdir(path, 0755) == 0)
                return 0;
        struct stat st;
        if (errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                return 0;
        return sf_error_set(err, errno == EEXIST ? ENOTDIR : errno, "%s: cannot make the directory%s", path,
                            errno == EEXIST ? ": something else is there" : "");
}

static int layout_write_blob(const char *dir, const char *digest, const void *data, size_t len, sf_error **err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/blobs/sha256/%s", dir, digest + 7) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        return sf_write_file_atomic(path, data, len, 0644, err);
}

static int layout_push(const sf_artifact_ref *ref, const char *data, size_t len, const char *manifest,
                       const char *layer_digest, const char *digest, sf_error **err)
{
        if (!ref->tag)
                return sf_error_set(err, EINVAL, "oci:%s: a push to a layout takes a tag (oci:DIR:TAG)", ref->dir);
        _cleanup_free_ char *blobs = NULL, *sha = NULL, *index = NULL, *layout = NULL;
        if (asprintf(&blobs, "%s/blobs", ref->dir) < 0 || asprintf(&sha, "%s/blobs/sha256", ref->dir) < 0 ||
            asprintf(&index, "%s/index.json", ref->dir) < 0 || asprintf(&layout, "%s/oci-layout", ref->dir) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        sf_doc doc = { 0 };
        int r = layout_index(ref, &doc, false, err); /* read first: a bad one stops the push */
        if (r == 0)
                r = layout_mkdir(ref->dir, err);
        if (r == 0)
                r = layout_mkdir(blobs, err);
        if (r == 0)
                r = layout_mkdir(sha, err);
        static const char oci_layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        if (r == 0)
                r = sf_write_file_atomic(layout, oci_layout, strlen(oci_layout), 0644, err);
        char config_digest[SF_DIGEST_LEN + 1];
        sf_sha256_digest(EMPTY_CONFIG, strlen(EMPTY_CONFIG), config_digest);
        if (r == 0)
                r = layout_write_blob(ref->dir, config_digest, EMPTY_CONFIG, strlen(EMPTY_CONFIG), err);
        if (r == 0)
                r = layout_write_blob(ref->dir, layer_digest, data, len, err);
        if (r == 0)
                r = layout_write_blob(ref->dir, digest, manifest, strlen(manifest), err);
        /* index.json last: the tag names the new manifest, the others stay */
        sf_buf b = { 0 };
        sf_buf_printf(&b, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[", OCI_INDEX_MEDIA_TYPE);
        const sf_node *ms = doc.n_docs ? sf_node_get(doc.docs[0], "manifests") : NULL;
        for (size_t i = 0; ms && ms->kind == SF_NODE_ARR && i < ms->arr.n; i++) {
                const char *name = str_member(sf_node_get(ms->arr.v[i], "annotations"), ANN_REF_NAME);
                if (name && strcmp(name, ref->tag) == 0)
                        continue;
                put_node(&b, ms->arr.v[i]);
                sf_buf_putc(&b, ',');
        }
        sf_buf_printf(&b, "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"artifactType\":\"%s\","
                          "\"annotations\":{\"%s\":",
                      SF_ARTIFACT_MANIFEST_MEDIA_TYPE, digest, strlen(manifest), SF_ARTIFACT_MEDIA_TYPE, ANN_REF_NAME);
        sf_buf_json_str(&b, ref->tag);
        sf_buf_puts(&b, "}}]}\n");
        if (r == 0 && b.oom)
                r = sf_error_set(err, ENOMEM, "out of memory");
        if (r == 0)
                r = sf_write_file_atomic(index, b.s, b.len, 0644, err);
        sf_buf_release(&b);
        sf_doc_release(&doc);
        return r;
}

/* ---- the API ---- */

SF_EXPORT int sf_artifact_push(const char *data, size_t len, const sf_artifact_ref *ref, const sf_artifact_opts *o,
                               char **ret_digest, sf_error **err)
{
        if (len > SF_ARTIFACT_MAX_PROFILE)
                return sf_error_set(err, EFBIG, "the profile has %zu bytes: KEP-6061 runtimes refuse more than %u", len,
                                    SF_ARTIFACT_MAX_PROFILE);
        _cleanup_free_ char *manifest = NULL;
        char layer_digest[SF_DIGEST_LEN + 1], digest[SF_DIGEST_LEN + 1];
        int r = build_manifest(data, len, o, &manifest, layer_digest, err);
        if (r < 0)
                return r;
        sf_sha256_digest(manifest, strlen(manifest), digest);
        if (ref->digest && strcmp(ref->digest, digest) != 0)
                return sf_error_set(err, EINVAL, "the reference pins %s, but the artifact of this profile is %s",
                                    ref->digest, digest);
        r = ref->layout ? layout_push(ref, data, len, manifest, layer_digest, digest, err)
                        : registry_push(ref, o, data, len, manifest, layer_digest, digest, err);
        if (r < 0)
                return r;
        if (ret_digest && !(*ret_digest = strdup(digest)))
                return sf_error_set(err, ENOMEM, "out of memory");
        return 0;
}

SF_EXPORT int sf_artifact_inspect(const sf_artifact_ref *ref, const sf_artifact_opts *o, sf_artifact_info *ret,
                                  sf_error **err)
{
        if (ref->layout)
                return layout_inspect(ref, ret, err);
        sf_registry *reg = NULL;
        int r = sf_registry_open(ref, o, false, &reg, err);
        if (r == 0)
                r = registry_inspect(reg, ref, ret, err);
        sf_registry_close(reg);
        return r;
}

SF_EXPORT int sf_artifact_pull(const sf_artifact_ref *ref, const sf_artifact_opts *o, sf_artifact_info *ret_info,
                               char **ret_data, size_t *ret_len, sf_error **err)
{
        sf_artifact_info info = { 0 };
        char *data = NULL;
        size_t len = 0;
        int r;
        if (ref->layout) {
                r = layout_inspect(ref, &info, err);
                if (r == 0)
                        r = layout_read_blob(ref->dir, info.layer_digest, (size_t)info.layer_size, &data, &len, err);
                if (r == 0 && len != info.layer_size)
                        r = sf_error_set(err, EBADMSG, "blob %s has %zu bytes, its manifest says %ju: refused, nothing "
                                                       "written", info.layer_digest, len, (uintmax_t)info.layer_size);
        } else {
                sf_registry *reg = NULL;
                r = sf_registry_open(ref, o, false, &reg, err);
                if (r == 0)
                        r = registry_inspect(reg, ref, &info, err);
                if (r == 0) {
                        r = registry_blob(reg, &info, &data, err);
                        len = info.layer_size;
                }
                sf_registry_close(reg);
        }
        if (r == 0 && spo_object(info.config_media_type, info.artifact_type) && !(o && o->spo_objects))
                r = sf_error_set(err, EINVAL,
                                 "%s: not a seccomp profile artifact: the config media type is %s, not %s (an "
                                 "artifact of spoc for a profile object, a base the operator takes; KEP-6061 "
                                 "runtimes refuse it)",
                                 info.manifest_digest, SPO_OBJECT_MEDIA_TYPE, SF_ARTIFACT_MEDIA_TYPE);
        if (r < 0) {
                free(data);
                sf_artifact_info_release(&info);
                return r;
        }
        *ret_data = data;
        *ret_len = len;
        if (ret_info)
                *ret_info = info;
        else
                sf_artifact_info_release(&info);
        return 0;
}

SF_EXPORT int sf_artifact_base_pull(void *ctx, const char *text, char **ret_data, size_t *ret_len, char **ret_why)
{
        sf_artifact_opts o = ctx ? *(const sf_artifact_opts *)ctx : (sf_artifact_opts){ 0 };
        o.spo_objects = true;
        sf_artifact_ref ref = { 0 };
        sf_error *err = NULL;
        int r = sf_artifact_ref_parse(text, &ref, &err);
        if (r == 0)
                r = sf_artifact_pull(&ref, &o, NULL, ret_data, ret_len, &err);
        sf_artifact_ref_release(&ref);
        if (r == 0)
                return 0;
        int code = err ? err->code : ENOMEM;
        sf_buf b = { 0 };
        sf_buf_printf(&b, "oci://%s: cannot pull: %s", text, err ? sf_error_message(err) : "out of memory");
        sf_error_free(err);
        for (char *p = b.s; p && *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        if (code == ENOMEM || b.oom) {
                sf_buf_release(&b);
                return -ENOMEM;
        }
        *ret_why = sf_buf_steal(&b);
        return *ret_why ? -EINVAL : -ENOMEM;
}
