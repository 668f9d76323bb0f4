/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Content digests ("sha256:" + lib/util's SHA-256), and base64 for
 * credentials: here rather than from libcrypto, which every sysfence command
 * would otherwise load at start-up. */
#include <string.h>

#include "artifact/artifact-internal.h"

void sf_sha256_digest(const void *data, size_t len, char out[SF_DIGEST_LEN + 1])
{
        memcpy(out, "sha256:", 7);
        sf_sha256_hex(data, len, out + 7);
}

bool sf_digest_valid(const char *s)
{
        if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != SF_DIGEST_LEN)
                return false;
        for (const char *p = s + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

static int b64_value(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
}

ssize_t sf_base64_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
        if (len % 4)
                return -1;
        size_t o = 0;
        for (size_t i = 0; i < len; i += 4) {
                int v[4];
                unsigned pad = 0;
                for (unsigned k = 0; k < 4; k++) {
                        unsigned char c = (unsigned char)s[i + k];
                        /* '=' only at the end, at most two */
                        if (c == '=' && i + 4 == len && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                                v[k] = 0;
                                pad++;
                        } else if ((v[k] = b64_value(c)) < 0 || pad) {
                                return -1;
                        }
                }
                uint32_t t = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
                unsigned char b[3] = { (unsigned char)(t >> 16), (unsigned char)(t >> 8), (unsigned char)t };
                for (unsigned k = 0; k < 3 - pad; k++) {
                        if (o == cap)
                                return -1;
                        out[o++] = b[k];
                }
        }
        return (ssize_t)o;
}
