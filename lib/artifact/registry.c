/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry client: the OCI distribution API over libcurl, with the
 * registry token flow.
 *
 * A registry answers an unauthenticated request with 401 and a challenge
 * (distribution's token spec): `Bearer realm="…",service="…",scope="…"` means
 * "GET a token from realm for this service and scope, with your credentials if
 * you have some, and send it as `Authorization: Bearer`"; `Basic realm="…"`
 * (distribution's htpasswd auth) means send the credentials themselves.  The
 * credentials are those docker login and podman login write:
 * `auths.<host>.auth`, base64 of "user:password", in $REGISTRY_AUTH_FILE or
 * ~/.docker/config.json.  Nothing a registry says is echoed into a message
 * beyond a status code and an error code of a safe charset.
 *
 * libcurl is loaded (dlopen) by the first registry request, not linked: with
 * its dependencies it is 29 more libraries, 3 ms at every start of every
 * sysfence command (measured: --version from 1.1 to 4.2 ms), and `run` and the
 * OCI hooks never speak to a registry.
 */
/* curl_easy_setopt is called through a pointer (below): no macro wrapper */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "artifact/artifact-internal.h"
#include "doc/doc.h"

/* The libcurl functions used here, from libcurl.so.4 (Debian's libcurl4). */
static struct {
        CURLcode (*global_init)(long);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
        CURLcode (*easy_perform)(CURL *);
        CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
        void (*easy_reset)(CURL *);
        void (*easy_cleanup)(CURL *);
        const char *(*easy_strerror)(CURLcode);
        char *(*easy_escape)(CURL *, const char *, int);
        void (*free)(void *);
        struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
        void (*slist_free_all)(struct curl_slist *);
} cu;

static int curl_load(sf_error **err)
{
        static int state; /* 0 not yet, 1 loaded, else -errno */
        static const struct {
                const char *name;
                size_t off;
        } syms[] = {
                { "curl_global_init", offsetof(__typeof__(cu), global_init) },
                { "curl_easy_init", offsetof(__typeof__(cu), easy_init) },
                { "curl_easy_setopt", offsetof(__typeof__(cu), easy_setopt) },
                { "curl_easy_perform", offsetof(__typeof__(cu), easy_perform) },
                { "curl_easy_getinfo", offsetof(__typeof__(cu), easy_getinfo) },
                { "curl_easy_reset", offsetof(__typeof__(cu), easy_reset) },
                { "curl_easy_cleanup", offsetof(__typeof__(cu), easy_cleanup) },
                { "curl_easy_strerror", offsetof(__typeof__(cu), easy_strerror) },
                { "curl_easy_escape", offsetof(__typeof__(cu), easy_escape) },
                { "curl_free", offsetof(__typeof__(cu), free) },
                { "curl_slist_append", offsetof(__typeof__(cu), slist_append) },
                { "curl_slist_free_all", offsetof(__typeof__(cu), slist_free_all) },
        };
        if (state == 1)
                return 0;
        if (state < 0)
                return sf_error_set(err, -state, "libcurl could not be loaded");
        void *h = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
        if (!h) {
                state = -ENOENT;
                return sf_error_set(err, ENOENT, "registries are spoken to with libcurl, and libcurl.so.4 cannot be "
                                                 "loaded (Debian: libcurl4): %s", dlerror());
        }
        for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
                void *f = dlsym(h, syms[i].name);
                if (!f) {
                        state = -ENOENT;
                        return sf_error_set(err, ENOENT, "libcurl.so.4 has no %s", syms[i].name);
                }
                memcpy((char *)&cu + syms[i].off, &f, sizeof(f));
        }
        if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                state = -EIO;
                return sf_error_set(err, EIO, "cannot initialise libcurl");
        }
        state = 1;
        return 0;
}

struct sf_registry {
        CURL *curl;
        char *base;      /* "http://host/v2/repo" */
        char *origin;    /* "http://host" */
        char *host;
        char *scope;     /* "repository:REPO:pull[,push]" */
        char *auth;      /* the Authorization header line, once authenticated */
        char *basic;     /* base64 user:password from the auth file, or NULL */
        char *auth_file; /* where the credentials came from (or were looked for) */
        bool creds_looked, tried_auth;
        bool tls_no_verify;
        bool auth_file_only;
        long timeout_s;
};

void sf_http_resp_release(sf_http_resp *r)
{
        sf_buf_release(&r->body);
        free(r->www_auth);
        free(r->location);
        free(r->digest);
        free(r->content_type);
        *r = (sf_http_resp){ 0 };
}

typedef struct sink {
        sf_http_resp *resp;
        size_t max;
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
        sink *s = userdata;
        size_t len = size * n;
        if (s->resp->body.len + len > s->max) {
                s->resp->too_big = true;
                return 0; /* curl stops with CURLE_WRITE_ERROR */
        }
        sf_buf_add(&s->resp->body, data, len);
        return s->resp->body.oom ? 0 : len;
}

/* Keeps the value of a header among those the protocol needs; a new status
 * line (a redirect, 100 Continue) starts a new set. */
static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
        sink *s = userdata;
        size_t len = size * n;
        if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                long status = s->resp->status;
                sf_buf body = s->resp->body;
                s->resp->body = (sf_buf){ 0 };
                sf_http_resp_release(s->resp);
                s->resp->body = body;
                s->resp->status = status;
                return len;
        }
        static const struct {
                const char *name;
                size_t off;
        } want[] = {
                { "www-authenticate", offsetof(sf_http_resp, www_auth) },
                { "location", offsetof(sf_http_resp, location) },
                { "docker-content-digest", offsetof(sf_http_resp, digest) },
                { "content-type", offsetof(sf_http_resp, content_type) },
        };
        const char *colon = memchr(data, ':', len);
        if (!colon)
                return len;
        size_t klen = (size_t)(colon - data);
        for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
                if (klen != strlen(want[i].name) || strncasecmp(data, want[i].name, klen) != 0)
                        continue;
                const char *v = colon + 1, *end = data + len;
                while (v < end && (*v == ' ' || *v == '\t'))
                        v++;
                while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
                        end--;
                char **slot = (char **)((char *)s->resp + want[i].off);
                free(*slot);
                *slot = strndup(v, (size_t)(end - v));
        }
        return len;
}

/* One request, no authentication logic. */
static int perform(sf_registry *r, const char *method, const char *url, const char *const *headers,
                   const char *auth, const void *body, size_t len, size_t max, sf_http_resp *resp, sf_error **err)
{
        CURL *c = r->curl;
        cu.easy_reset(c);
        sink s = { resp, max };
        struct curl_slist *hl = NULL;
        for (size_t i = 0; headers && headers[i]; i++)
                hl = cu.slist_append(hl, headers[i]);
        if (auth)
                hl = cu.slist_append(hl, auth);
        if (body && strcmp(method, "POST") != 0)
                hl = cu.slist_append(hl, "Expect:"); /* small bodies: no 100-continue round trip */
        cu.easy_setopt(c, CURLOPT_URL, url);
        cu.easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        cu.easy_setopt(c, CURLOPT_WRITEDATA, &s);
        cu.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        cu.easy_setopt(c, CURLOPT_HEADERDATA, &s);
        if (cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            cu.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK) {
                cu.slist_free_all(hl);
                return sf_error_set(err, ENOTSUP, "libcurl is older than 7.85: it cannot be kept to http and https");
        }
        /* blobs may be served from elsewhere (a registry on S3 redirects); the
         * Authorization header set here is not sent to another host */
        cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? 1L : 0L);
        cu.easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
        cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r->timeout_s < 30 ? r->timeout_s : 30L);
        cu.easy_setopt(c, CURLOPT_TIMEOUT, r->timeout_s);
        cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        cu.easy_setopt(c, CURLOPT_USERAGENT, "sysfence");
        if (r->tls_no_verify) {
                cu.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
                cu.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (strcmp(method, "HEAD") == 0) {
                cu.easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (strcmp(method, "GET") != 0) {
                cu.easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
                cu.easy_setopt(c, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
                cu.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
        }
        CURLcode rc = cu.easy_perform(c);
        cu.slist_free_all(hl);
        if (resp->too_big)
                return sf_error_set(err, EFBIG, "%s %s: the answer is larger than %zu bytes", method, url, max);
        if (rc != CURLE_OK)
                return sf_error_set(err, EIO, "%s %s: %s", method, url, cu.easy_strerror(rc));
        if (resp->body.oom)
                return sf_error_set(err, ENOMEM, "out of memory");
        cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        return 0;
}

/* ---- credentials ---- */

/* Whether an auths key names host: "host", or "https://host[/...]" as docker
 * login writes for some registries. */
static bool auth_key_is(const char *key, const char *host)
{
        if (strncmp(key, "https://", 8) == 0)
                key += 8;
        else if (strncmp(key, "http://", 7) == 0)
                key += 7;
        size_t n = strlen(host);
        return strncmp(key, host, n) == 0 && (key[n] == 0 || key[n] == '/');
}

static int load_credentials(sf_registry *r, sf_error **err)
{
        r->creds_looked = true;
        bool given = r->auth_file != NULL; /* --authfile: it must be there */
        if (!given && r->auth_file_only)
                return 0;
        if (!given) {
                const char *env = getenv("REGISTRY_AUTH_FILE"), *home = getenv("HOME");
                if (env && *env)
                        r->auth_file = strdup(env);
                else if (home && *home && asprintf(&r->auth_file, "%s/.docker/config.json", home) < 0)
                        r->auth_file = NULL;
                if (!r->auth_file)
                        return 0;
        }
        const char *path = r->auth_file;
        _cleanup_free_ char *data = NULL;
        size_t len;
        sf_error *e = NULL;
        if (sf_read_file(path, 1u << 20, &data, &len, &e) < 0) {
                if (e->code == ENOENT && !given) {
                        sf_error_free(e);
                        return 0; /* no file, no credentials */
                }
                *err = e;
                return -ENOENT;
        }
        sf_doc doc = { 0 };
        sf_diags d = { 0 };
        int ret = 0;
        if (sf_json_parse(data, len, path, &doc, &d) < 0) {
                char *m = d.n ? sf_diag_format(&d.v[0]) : NULL;
                ret = sf_error_set(err, EINVAL, "%s", m ? m : "cannot parse the auth file");
                free(m);
                goto out;
        }
        const sf_node *auths = sf_node_get(doc.docs[0], "auths");
        if (!auths || auths->kind != SF_NODE_OBJ)
                goto out;
        for (size_t i = 0; i < auths->obj.n; i++) {
                if (!auth_key_is(auths->obj.v[i].key, r->host))
                        continue;
                const sf_node *a = sf_node_get(auths->obj.v[i].val, "auth");
                if (!a || a->kind != SF_NODE_STR)
                        continue;
                /* it must be base64 of "user:password" */
                unsigned char dec[1024];
                ssize_t n = sf_base64_decode(a->str.s, a->str.len, dec, sizeof(dec));
                bool ok = n > 0 && memchr(dec, ':', (size_t)n);
                explicit_bzero(dec, sizeof(dec));
                if (!ok) {
                        ret = sf_error_set(err, EINVAL, "%s: auths[\"%s\"].auth: not base64 of \"user:password\"",
                                           path, r->host);
                        goto out;
                }
                r->basic = strdup(a->str.s);
                break;
        }
out:
        explicit_bzero(data, len);
        sf_doc_release(&doc);
        sf_diags_release(&d);
        return ret;
}

/* ---- the challenge ---- */

/* The value of param in a challenge's `k="v", k2="v2"` list, malloc'd. */
static char *challenge_param(const char *s, const char *param)
{
        size_t pn = strlen(param);
        const char *p = s;
        while (*p) {
                while (*p == ' ' || *p == ',')
                        p++;
                const char *k = p;
                while (*p && *p != '=' && *p != ',')
                        p++;
                if (*p != '=')
                        continue;
                size_t kn = (size_t)(p - k);
                p++;
                sf_buf v = { 0 };
                if (*p == '"') {
                        for (p++; *p && *p != '"'; p++) {
                                if (*p == '\\' && p[1])
                                        p++;
                                sf_buf_putc(&v, *p);
                        }
                        if (*p == '"')
                                p++;
                } else {
                        while (*p && *p != ',')
                                sf_buf_putc(&v, *p++);
                }
                if (kn == pn && strncasecmp(k, param, pn) == 0)
                        return sf_buf_steal(&v);
                sf_buf_release(&v);
        }
        return NULL;
}

static int no_credentials(sf_registry *r, sf_error **err)
{
        if (!r->auth_file)
                return sf_error_set(err, EACCES, "%s: the registry asks for credentials, and no credentials file was given",
                                    r->host);
        return sf_error_set(err, EACCES,
                            "%s: the registry asks for credentials and %s has none for \"%s\" (podman login or "
                            "docker login write them; or set $REGISTRY_AUTH_FILE)",
                            r->host, r->auth_file ? r->auth_file : "~/.docker/config.json", r->host);
}

/* Meets the challenge of a 401: sets r->auth. */
static int authenticate(sf_registry *r, const char *challenge, sf_error **err)
{
        if (!challenge)
                return sf_error_set(err, EACCES, "%s: 401 without a WWW-Authenticate challenge", r->host);
        if (strncasecmp(challenge, "Basic", 5) == 0) {
                if (!r->basic)
                        return no_credentials(r, err);
                if (asprintf(&r->auth, "Authorization: Basic %s", r->basic) < 0)
                        return sf_error_set(err, ENOMEM, "out of memory");
                return 0;
        }
        if (strncasecmp(challenge, "Bearer", 6) != 0)
                return sf_error_set(err, EACCES, "%s: an authentication scheme sysfence does not speak", r->host);
        _cleanup_free_ char *realm = challenge_param(challenge + 6, "realm");
        _cleanup_free_ char *service = challenge_param(challenge + 6, "service");
        if (!realm || (strncmp(realm, "https://", 8) != 0 && strncmp(realm, "http://", 7) != 0))
                return sf_error_set(err, EACCES, "%s: the Bearer challenge has no http(s) realm", r->host);
        char *esc_scope = cu.easy_escape(r->curl, r->scope, 0);
        char *esc_service = service ? cu.easy_escape(r->curl, service, 0) : NULL;
        _cleanup_free_ char *url = NULL;
        int n = asprintf(&url, "%s%cscope=%s%s%s", realm, strchr(realm, '?') ? '&' : '?', esc_scope,
                         esc_service ? "&service=" : "", esc_service ? esc_service : "");
        cu.free(esc_scope);
        cu.free(esc_service);
        if (n < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        _cleanup_free_ char *basic = NULL;
        if (r->basic && asprintf(&basic, "Authorization: Basic %s", r->basic) < 0)
                return sf_error_set(err, ENOMEM, "out of memory");
        sf_http_resp resp = { 0 };
        int ret = perform(r, "GET", url, NULL, basic, NULL, 0, 1u << 20, &resp, err);
        if (ret < 0)
                goto out;
        if (resp.status == 401 || resp.status == 403) {
                ret = r->basic ? sf_error_set(err, EACCES, "%s: the token service refused the credentials of %s",
                                              r->host, r->auth_file)
                               : no_credentials(r, err);
                goto out;
        }
        if (resp.status != 200) {
                ret = sf_error_set(err, EACCES, "%s: the token service answered %ld", r->host, resp.status);
                goto out;
        }
        sf_doc doc = { 0 };
        if (sf_json_parse(resp.body.s ? resp.body.s : "", resp.body.len, "token", &doc, NULL) == 0) {
                const sf_node *t = sf_node_get(doc.docs[0], "token");
                if (!t || t->kind != SF_NODE_STR)
                        t = sf_node_get(doc.docs[0], "access_token");
                bool safe = t && t->kind == SF_NODE_STR && t->str.len > 0 &&
                            strspn(t->str.s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") ==
                                    t->str.len;
                if (safe && asprintf(&r->auth, "Authorization: Bearer %s", t->str.s) < 0)
                        ret = sf_error_set(err, ENOMEM, "out of memory");
                else if (!safe)
                        ret = sf_error_set(err, EACCES, "%s: the token service gave no usable token", r->host);
        } else {
                ret = sf_error_set(err, EACCES, "%s: the token service's answer is not JSON", r->host);
        }
        sf_doc_release(&doc);
out:
        sf_http_resp_release(&resp);
        return ret;
}

int sf_registry_request(sf_registry *r, const char *method, const char *url, const char *const *headers,
                        const void *body, size_t len, size_t max, sf_http_resp *resp, sf_error **err)
{
        _cleanup_free_ char *abs = NULL;
        size_t on = strlen(r->origin);
        if (url[0] == '/') {
                if (asprintf(&abs, "%s%s", r->origin, url) < 0)
                        return sf_error_set(err, ENOMEM, "out of memory");
                url = abs;
        } else if (strncmp(url, r->origin, on) != 0 || url[on] != '/') {
                /* an upload Location elsewhere would get the credentials */
                return sf_error_set(err, EACCES, "%s: the registry sends sysfence to another host: refused", r->host);
        }
        for (;;) {
                *resp = (sf_http_resp){ 0 };
                int ret = perform(r, method, url, headers, r->auth, body, len, max, resp, err);
                if (ret < 0 || resp->status != 401 || r->tried_auth)
                        return ret;
                r->tried_auth = true;
                if (!r->creds_looked && (ret = load_credentials(r, err)) < 0)
                        return ret;
                ret = authenticate(r, resp->www_auth, err);
                sf_http_resp_release(resp);
                if (ret < 0)
                        return ret;
        }
}

int sf_registry_open(const sf_artifact_ref *ref, const sf_artifact_opts *opts, bool push, sf_registry **ret,
                     sf_error **err)
{
        int loaded = curl_load(err);
        if (loaded < 0)
                return loaded;
        sf_registry *r = calloc(1, sizeof(*r));
        if (!r)
                return sf_error_set(err, ENOMEM, "out of memory");
        /* Docker Hub's API is not at the name users give it */
        const char *api_host = strcmp(ref->registry, "docker.io") == 0 ? "registry-1.docker.io" : ref->registry;
        r->curl = cu.easy_init();
        r->tls_no_verify = opts->tls_no_verify;
        r->auth_file_only = opts->auth_file_only;
        r->timeout_s = opts->timeout_s ? (long)opts->timeout_s : 300L;
        r->host = strdup(ref->registry);
        r->auth_file = opts->auth_file ? strdup(opts->auth_file) : NULL;
        const char *scheme = opts->plain_http ? "http" : "https";
        if (!r->curl || !r->host || (opts->auth_file && !r->auth_file) ||
            asprintf(&r->origin, "%s://%s", scheme, api_host) < 0 ||
            asprintf(&r->base, "%s/v2/%s", r->origin, ref->repo) < 0 ||
            asprintf(&r->scope, "repository:%s:%s", ref->repo, push ? "pull,push" : "pull") < 0) {
                sf_registry_close(r);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        *ret = r;
        return 0;
}

const char *sf_registry_base(const sf_registry *r) { return r->base; }

void sf_registry_close(sf_registry *r)
{
        if (!r)
                return;
        if (r->curl)
                cu.easy_cleanup(r->curl);
        if (r->basic)
                explicit_bzero(r->basic, strlen(r->basic));
        if (r->auth)
                explicit_bzero(r->auth, strlen(r->auth));
        free(r->basic);
        free(r->auth);
        free(r->base);
        free(r->origin);
        free(r->host);
        free(r->scope);
        free(r->auth_file);
        free(r);
}
