/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside lib/artifact: the registry client (registry.c) and digests. */
#ifndef SF_ARTIFACT_INTERNAL_H
#define SF_ARTIFACT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sysfence/artifact.h"
#include "util/util.h"

/* "sha256:" and 64 lower-case hex digits, NUL-terminated. */
#define SF_DIGEST_LEN (7 + 64)
void sf_sha256_digest(const void *data, size_t len, char out[SF_DIGEST_LEN + 1]);
bool sf_digest_valid(const char *s);
/* Standard base64 (padded) into out: the byte count, or -1 if s is not base64
 * or does not fit. */
ssize_t sf_base64_decode(const char *s, size_t len, unsigned char *out, size_t cap);

/* One HTTP response: status, body (at most the caller's max bytes) and the
 * headers the registry protocol needs. */
typedef struct sf_http_resp {
        long status;
        sf_buf body;
        bool too_big;
        char *www_auth, *location, *digest, *content_type;
} sf_http_resp;

void sf_http_resp_release(sf_http_resp *r);

/* A connection to one repository of a registry, authenticated on demand: a
 * 401 answer's WWW-Authenticate challenge (Bearer: a token from its realm, for
 * this repository's pull or pull,push scope; Basic) is met once with the
 * credentials of the auth file for the host, and the request repeated. */
typedef struct sf_registry sf_registry;

int sf_registry_open(const sf_artifact_ref *ref, const sf_artifact_opts *opts, bool push, sf_registry **ret,
                     sf_error **err);
void sf_registry_close(sf_registry *r);
/* The repository's URL prefix: "http://host:port/v2/REPO". */
const char *sf_registry_base(const sf_registry *r);

/* method to url (absolute, or a path on the registry), with extra headers
 * (NULL-terminated, may be NULL) and a body (may be NULL).  A response body
 * over max bytes sets too_big and fails with -EFBIG. */
int sf_registry_request(sf_registry *r, const char *method, const char *url, const char *const *headers,
                        const void *body, size_t len, size_t max, sf_http_resp *resp, sf_error **err);

#endif
