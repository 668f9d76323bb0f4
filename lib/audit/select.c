/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which records a reader asked for, and what a source says it lost.
 *
 * The filters: a pid, a comm (the kernel cuts comm to 15 bytes: a longer
 * name matches its first 15), a time (audit stamps are wall-clock seconds),
 * and a pod, namespace and container (only a record attributed to a pod's
 * container can match them).  The loss notes: without an audit daemon the
 * kernel log passes 10 records per 5 s and says how many it dropped
 * ("kauditd_printk_skb: N callbacks suppressed"; other "callbacks suppressed"
 * lines, show_signal_msg's, are not about audit), prints audit_lost= counters,
 * and notes when a rate or backlog limit was exceeded.  A serial set drops the
 * second copy of a record read from two sources (the kernel log, then netlink). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sysfence/audit.h"
#include "util/util.h"

/* Serials remembered at most (then no more are deduplicated). */
#define MAX_SERIALS ((size_t)1024 * 1024)

SF_EXPORT bool sf_audit_filter_record(const sf_audit_filter *f, const sf_audit_record *r)
{
        if (f->has_pid && r->pid != f->pid)
                return false;
        if (f->comm && strcmp(f->comm, r->comm) != 0 &&
            !(strlen(r->comm) == 15 && strlen(f->comm) > 15 && strncmp(f->comm, r->comm, 15) == 0))
                return false;
        return !f->has_since || r->time_sec >= f->since;
}

SF_EXPORT bool sf_audit_filter_origin(const sf_audit_filter *f, const sf_audit_origin *o)
{
        if (!f->pod && !f->pod_ns && !f->container)
                return true;
        if (!o->pod)
                return false;
        return (!f->pod || strcmp(f->pod, o->pod) == 0) && (!f->pod_ns || strcmp(f->pod_ns, o->pod_ns) == 0) &&
               (!f->container || strcmp(f->container, o->container) == 0);
}

SF_EXPORT int sf_audit_parse_since(const char *arg, uint64_t now, uint64_t *ret)
{
        uint64_t v;
        if (sf_parse_u64(arg, 10, &v) == 0) {
                *ret = v;
                return 0;
        }
        size_t n = strlen(arg);
        if (n < 2 || n > 24)
                return -EINVAL;
        char num[32];
        memcpy(num, arg, n - 1);
        num[n - 1] = 0;
        uint64_t mult;
        switch (arg[n - 1]) {
        case 's': mult = 1; break;
        case 'm': mult = 60; break;
        case 'h': mult = 3600; break;
        case 'd': mult = 86400; break;
        default: return -EINVAL;
        }
        if (sf_parse_u64(num, 10, &v) < 0 || v > UINT64_MAX / mult)
                return -EINVAL;
        *ret = v * mult >= now ? 0 : now - v * mult;
        return 0;
}

SF_EXPORT const char *sf_audit_action_name(uint32_t code)
{
        switch (code & 0xffff0000U) {
        case 0x80000000U: return "KILL_PROCESS";
        case 0x00000000U: return "KILL_THREAD";
        case 0x00030000U: return "TRAP";
        case 0x00050000U: return "ERRNO";
        case 0x7fc00000U: return "USER_NOTIF";
        case 0x7ff00000U: return "TRACE";
        case 0x7ffc0000U: return "LOG";
        case 0x7fff0000U: return "ALLOW";
        default: return NULL;
        }
}

/* The number right after `key` in [line, line+len), or false. */
static bool number_after(const char *line, size_t len, const char *key, uint64_t *ret)
{
        const char *p = memmem(line, len, key, strlen(key));
        if (!p)
                return false;
        p += strlen(key);
        const char *end = line + len;
        uint64_t v = 0;
        const char *q = p;
        while (q < end && *q >= '0' && *q <= '9' && q - p < 19)
                v = v * 10 + (uint64_t)(*q++ - '0');
        if (q == p)
                return false;
        *ret = v;
        return true;
}

SF_EXPORT bool sf_audit_loss_note(sf_audit_loss *l, const char *line, size_t len)
{
        uint64_t v;
        const char *k = memmem(line, len, "kauditd_printk_skb: ", 20);
        if (k && memmem(k, len - (size_t)(k - line), " callbacks suppressed", 21) &&
            number_after(k, len - (size_t)(k - line), "kauditd_printk_skb: ", &v)) {
                l->suppressed += v;
        } else if (number_after(line, len, "audit: audit_lost=", &v)) {
                l->audit_lost = v > l->audit_lost ? v : l->audit_lost;
        } else if (memmem(line, len, "audit: rate limit exceeded", 26) ||
                   memmem(line, len, "audit: backlog limit exceeded", 29) ||
                   memmem(line, len, "audit: kauditd hold queue overflow", 34)) {
                l->limit_notes++;
        } else {
                return false;
        }
        return true;
}

SF_EXPORT void sf_audit_serials_add(sf_audit_serials *s, uint64_t serial)
{
        if (s->n == s->cap) {
                if (s->cap >= MAX_SERIALS)
                        return;
                size_t nc = s->cap ? s->cap * 2 : 256;
                uint64_t *nv = realloc(s->v, nc * sizeof(*nv));
                if (!nv)
                        return;
                s->v = nv;
                s->cap = nc;
        }
        s->v[s->n++] = serial;
        s->sorted = false;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

SF_EXPORT bool sf_audit_serials_has(sf_audit_serials *s, uint64_t serial)
{
        if (!s->sorted && s->n > 1)
                qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
        s->sorted = true;
        size_t lo = 0, hi = s->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->v[mid] == serial)
                        return true;
                if (s->v[mid] < serial)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

SF_EXPORT void sf_audit_serials_release(sf_audit_serials *s)
{
        free(s->v);
        *s = (sf_audit_serials){ 0 };
}

SF_EXPORT int sf_audit_lines_init(sf_audit_lines *l, size_t max, void (*fn)(void *ctx, const char *line, size_t len),
                                  void *ctx, sf_error **err)
{
        *l = (sf_audit_lines){ .buf = malloc(max), .max = max, .fn = fn, .ctx = ctx };
        if (!l->buf)
                return sf_error_set(err, ENOMEM, "out of memory");
        return 0;
}

SF_EXPORT void sf_audit_lines_feed(sf_audit_lines *l, const char *data, size_t n)
{
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t take = nl ? (size_t)(nl - data) : n;
                if (l->skipping) {
                        if (nl)
                                l->skipping = false;
                } else if (l->len + take > l->max) {
                        l->long_lines++;
                        l->len = 0;
                        l->skipping = !nl;
                } else if (nl && l->len == 0) {
                        l->fn(l->ctx, data, take);
                } else {
                        memcpy(l->buf + l->len, data, take);
                        l->len += take;
                        if (nl) {
                                l->fn(l->ctx, l->buf, l->len);
                                l->len = 0;
                        }
                }
                if (!nl)
                        break;
                data += take + 1;
                n -= take + 1;
        }
}

SF_EXPORT void sf_audit_lines_flush(sf_audit_lines *l)
{
        if (l->len > 0 && !l->skipping)
                l->fn(l->ctx, l->buf, l->len);
        l->len = 0;
        l->skipping = false;
}

SF_EXPORT void sf_audit_lines_release(sf_audit_lines *l)
{
        free(l->buf);
        l->buf = NULL;
}
