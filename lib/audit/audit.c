/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp audit records: decoding one line of any source (kernel log, audit.log,
 * journal, netlink payload), and the lossless reader on the audit netlink
 * multicast group.
 *
 * A record is "audit(SEC.MSEC:SERIAL): auid=… uid=… gid=… ses=… [subj=…] pid=…
 * comm=… exe=… sig=… arch=… syscall=… compat=… ip=… code=…"; code= is the last
 * field the kernel writes, so a line cut anywhere before it is not a record. */
#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "sysfence/audit.h"
#include "util/util.h"

#define X32_SYSCALL_BIT 0x40000000L
/* One netlink message is at most MAX_AUDIT_MESSAGE_LENGTH (8970) bytes. */
#define NL_BUF_SIZE 16384
/* Datagrams one call drains at most, so a flood cannot keep it from returning. */
#define NL_MAX_PER_CALL 4096
/* What we ask for: a burst must fit while the reader is not scheduled: at the
 * kernel's pace (~100,000 records/s here) 64 MiB holds about half a second
 * (bench/README.md); it costs memory only while records wait in it. */
#define NL_RCVBUF (64 * 1024 * 1024)

/* memmem from the end: the last occurrence of needle in [s, s+n). */
static const char *find_last(const char *s, size_t n, const char *needle)
{
        size_t m = strlen(needle);
        if (n < m)
                return NULL;
        for (size_t i = n - m + 1; i-- > 0;)
                if (s[i] == needle[0] && memcmp(s + i, needle, m) == 0)
                        return s + i;
        return NULL;
}

/* Checked unsigned number of exactly the bytes [s, s+n). */
static bool parse_unsigned(const char *s, size_t n, int base, uint64_t *ret)
{
        if (n == 0)
                return false;
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned d;
                char c = s[i];
                if (c >= '0' && c <= '9')
                        d = (unsigned)(c - '0');
                else if (base == 16 && c >= 'a' && c <= 'f')
                        d = (unsigned)(c - 'a' + 10);
                else if (base == 16 && c >= 'A' && c <= 'F')
                        d = (unsigned)(c - 'A' + 10);
                else
                        return false;
                if (v > (UINT64_MAX - d) / (unsigned)base)
                        return false;
                v = v * (unsigned)base + d;
        }
        *ret = v;
        return true;
}

static bool parse_signed(const char *s, size_t n, long min, long max, long *ret)
{
        bool neg = n > 0 && s[0] == '-';
        uint64_t v;
        if (!parse_unsigned(s + neg, n - neg, 10, &v))
                return false;
        if (neg) {
                if (min >= 0 || v == 0 || v - 1 > (uint64_t)-(min + 1))
                        return false;
                *ret = -(long)(v - 1) - 1;
        } else {
                if (v > (uint64_t)max)
                        return false;
                *ret = (long)v;
        }
        return true;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* audit writes a name that holds a space, a quote or a byte outside 0x21..0x7e
 * as upper-case hex without quotes; any other as "name".  Copies the unescaped
 * value into out (cut at outsz - 1 bytes, and at an encoded NUL). */
static void unescape_value(const char *v, size_t n, bool quoted, char *out, size_t outsz)
{
        size_t o = 0;
        bool hex = !quoted && n > 0 && n % 2 == 0;
        for (size_t i = 0; hex && i < n; i++)
                hex = hexval(v[i]) >= 0;
        if (hex) {
                for (size_t i = 0; i < n && o + 1 < outsz; i += 2) {
                        char c = (char)(hexval(v[i]) << 4 | hexval(v[i + 1]));
                        if (c == 0)
                                break;
                        out[o++] = c;
                }
        } else {
                for (size_t i = 0; i < n && o + 1 < outsz; i++)
                        out[o++] = v[i];
        }
        out[o] = 0;
}

/* "audit(1795479415.160:78546): " at s: fills the stamp, returns the first byte
 * after it, or NULL. */
static const char *parse_stamp(const char *s, const char *end, sf_audit_record *r)
{
        const char *p = s + strlen("audit(");
        const char *q = p;
        uint64_t sec, msec, serial;
        while (q < end && *q >= '0' && *q <= '9')
                q++;
        if (q >= end || *q != '.' || !parse_unsigned(p, (size_t)(q - p), 10, &sec))
                return NULL;
        p = ++q;
        while (q < end && *q >= '0' && *q <= '9')
                q++;
        if (q >= end || *q != ':' || q - p > 3 || !parse_unsigned(p, (size_t)(q - p), 10, &msec))
                return NULL;
        p = ++q;
        while (q < end && *q >= '0' && *q <= '9')
                q++;
        if (end - q < 2 || q[0] != ')' || q[1] != ':' || !parse_unsigned(p, (size_t)(q - p), 10, &serial))
                return NULL;
        r->time_sec = sec;
        r->time_msec = (unsigned)msec;
        r->serial = serial;
        return q + 2;
}

enum {
        F_PID = 1 << 0,
        F_UID = 1 << 1,
        F_COMM = 1 << 2,
        F_EXE = 1 << 3,
        F_SIG = 1 << 4,
        F_ARCH = 1 << 5,
        F_SYSCALL = 1 << 6,
        F_COMPAT = 1 << 7,
        F_CODE = 1 << 8,
        F_REQUIRED = F_PID | F_ARCH | F_SYSCALL | F_CODE,
};

static bool key_is(const char *k, size_t kn, const char *name)
{
        return kn == strlen(name) && memcmp(k, name, kn) == 0;
}

/* The key=value fields in [p, end).  False when a field the record needs is
 * missing, malformed, repeated, or cut (an unterminated quote). */
static bool parse_fields(const char *p, const char *end, sf_audit_record *r)
{
        unsigned seen = 0;
        while (p < end) {
                while (p < end && *p == ' ')
                        p++;
                if (p >= end)
                        break;
                const char *k = p;
                while (p < end && *p != '=' && *p != ' ')
                        p++;
                if (p >= end || *p == ' ')
                        continue; /* a bare word: AppArmor's "subj=label (enforce)" */
                size_t kn = (size_t)(p - k);
                p++;
                const char *v = p;
                bool quoted = p < end && *p == '"';
                size_t vn;
                if (quoted) {
                        v = ++p;
                        while (p < end && *p != '"')
                                p++;
                        if (p >= end)
                                return false; /* cut inside a quoted value */
                        vn = (size_t)(p - v);
                        p++;
                } else {
                        while (p < end && *p != ' ')
                                p++;
                        vn = (size_t)(p - v);
                }

                unsigned f = 0;
                uint64_t u;
                long l;
                if (key_is(k, kn, "pid")) {
                        f = F_PID;
                        if (quoted || !parse_signed(v, vn, 0, INT_MAX, &l))
                                return false;
                        r->pid = (int)l;
                } else if (key_is(k, kn, "uid")) {
                        f = F_UID;
                        if (quoted || !parse_unsigned(v, vn, 10, &u) || u > UINT32_MAX)
                                return false;
                        r->uid = (long)u;
                } else if (key_is(k, kn, "comm")) {
                        f = F_COMM;
                        unescape_value(v, vn, quoted, r->comm, sizeof(r->comm));
                } else if (key_is(k, kn, "exe")) {
                        f = F_EXE;
                        unescape_value(v, vn, quoted, r->exe, sizeof(r->exe));
                } else if (key_is(k, kn, "sig")) {
                        f = F_SIG;
                        if (quoted || !parse_signed(v, vn, INT_MIN, INT_MAX, &l))
                                return false;
                        r->sig = (int)l;
                } else if (key_is(k, kn, "arch")) {
                        f = F_ARCH;
                        if (quoted || !parse_unsigned(v, vn, 16, &u) || u > UINT32_MAX)
                                return false;
                        r->audit_arch = (uint32_t)u;
                } else if (key_is(k, kn, "syscall")) {
                        f = F_SYSCALL;
                        if (quoted || !parse_signed(v, vn, INT_MIN, INT_MAX, &l))
                                return false;
                        r->syscall = l;
                } else if (key_is(k, kn, "compat")) {
                        f = F_COMPAT;
                        if (quoted || vn != 1 || (v[0] != '0' && v[0] != '1'))
                                return false;
                        r->compat = v[0] == '1';
                } else if (key_is(k, kn, "code")) {
                        f = F_CODE;
                        if (quoted || vn < 3 || v[0] != '0' || v[1] != 'x' ||
                            !parse_unsigned(v + 2, vn - 2, 16, &u) || u > UINT32_MAX)
                                return false;
                        r->code = (uint32_t)u;
                }
                if (f & seen)
                        return false; /* two records glued into one line */
                seen |= f;
        }
        return (seen & F_REQUIRED) == F_REQUIRED;
}

/* Decodes the record whose stamp starts at body ("audit(…): fields"), or, with
 * body NULL, journald's form whose fields start at fields. */
static bool parse_record(const char *body, const char *fields, const char *line_end, sf_audit_record *ret)
{
        sf_audit_record r = { .uid = -1 };
        /* The fields end at auditd's 0x1d separator (the interpreted copies
         * follow it), at a NUL, or at the end of the line. */
        const char *end = body ? body : fields;
        while (end < line_end && *end != '\x1d' && *end != '\0' && *end != '\r')
                end++;
        if (body) {
                fields = parse_stamp(body, end, &r);
                if (!fields)
                        return false;
        }
        if (!parse_fields(fields, end, &r))
                return false;

        r.arch = sf_arch_from_audit(r.audit_arch);
        /* x32 calls reach the filter as AUDIT_ARCH_X86_64 with bit 30 set */
        if (r.arch == SF_ARCH_X86_64 && r.syscall > 0 && (r.syscall & X32_SYSCALL_BIT))
                r.arch = SF_ARCH_X32;
        r.syscall_name = r.arch != SF_ARCH_NONE ? sf_syscall_name(r.arch, (int)r.syscall) : NULL;
        *ret = r;
        return true;
}

SF_EXPORT int sf_audit_parse_line(const char *line, size_t len, sf_audit_record *ret)
{
        static const char kernel[] = "type=1326 audit(", auditd[] = "type=SECCOMP msg=audit(";
        if (!line || !ret)
                return 0;
        /* One line: a caller may hand over its newline too. */
        const char *eol = memchr(line, '\n', len);
        const char *line_end = eol ? eol : line + len;

        /* A netlink payload is the record alone. */
        if (line_end - line >= 6 && memcmp(line, "audit(", 6) == 0)
                return parse_record(line, NULL, line_end, ret) ? 1 : 0;

        /* Garbage may precede a record, and a record cut short may run into the
         * next one when its newline was lost: try every marker, the last first.
         * A repeated field makes a glued pair fail, so no record is made up. */
        size_t limit = (size_t)(line_end - line);
        const char *next = line_end;
        for (;;) {
                const char *k = find_last(line, limit, kernel);
                const char *a = find_last(line, limit, auditd);
                const char *m = !a || (k && k > a) ? k : a;
                if (!m)
                        break;
                const char *body = m == k ? k + strlen("type=1326 ") : a + strlen("type=SECCOMP msg=");
                /* a record ends where the next one (which failed) begins */
                if (parse_record(body, NULL, next, ret))
                        return 1;
                next = m;
                limit = (size_t)(m - line) + 4; /* before this marker's "type" ends */
        }
        /* journald's own audit transport: "audit[PID]: SECCOMP auid=…", without
         * the stamp (journald keeps it in _AUDIT_ID) */
        const char *j = find_last(line, (size_t)(line_end - line), "]: SECCOMP ");
        if (j && parse_record(NULL, j + strlen("]: SECCOMP "), line_end, ret))
                return 1;
        return 0;
}

SF_EXPORT int sf_audit_netlink_open(int *ret_fd, sf_error **err)
{
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
        if (fd < 0) {
                if (errno == EPROTONOSUPPORT)
                        return sf_error_set(err, errno, "audit netlink socket: the kernel has no audit support");
                return sf_error_set_errno(err, errno, "audit netlink socket");
        }
        /* A burst of records must fit while the reader is not scheduled: the
         * kernel drops what does not (ENOBUFS).  FORCE needs CAP_NET_ADMIN. */
        int sz = NL_RCVBUF;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
                (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));

        struct sockaddr_nl sa = {
                .nl_family = AF_NETLINK,
                .nl_pid = 0,
                .nl_groups = 1U << (AUDIT_NLGRP_READLOG - 1),
        };
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                if (errno == EPERM)
                        return sf_error_set(err, errno,
                                            "cannot join the audit netlink multicast group: "
                                            "it needs CAP_AUDIT_READ (run as root)");
                return sf_error_set_errno(err, errno, "cannot join the audit netlink multicast group");
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* One datagram: a netlink header, then the record text.  The multicast copy's
 * nlmsg_len counts the header, the unicast one historically did not: trust
 * only what was received. */
static int deliver(const char *buf, size_t n, void (*fn)(void *ctx, const sf_audit_record *rec), void *ctx)
{
        if (n < NLMSG_HDRLEN)
                return 0;
        const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
        if (h->nlmsg_type != AUDIT_SECCOMP)
                return 0;
        size_t plen = n - NLMSG_HDRLEN;
        if (h->nlmsg_len >= NLMSG_HDRLEN && h->nlmsg_len <= n)
                plen = h->nlmsg_len - NLMSG_HDRLEN;
        sf_audit_record rec;
        if (sf_audit_parse_line(buf + NLMSG_HDRLEN, plen, &rec) != 1)
                return 0;
        if (fn)
                fn(ctx, &rec);
        return 1;
}

SF_EXPORT int sf_audit_netlink_read(int fd, int timeout_ms, void (*fn)(void *ctx, const sf_audit_record *rec),
                                    void *ctx)
{
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
        if (r < 0)
                return -errno; /* EINTR included: the caller decides whether to stop */
        if (r == 0)
                return 0;

        union {
                struct nlmsghdr h;
                char buf[NL_BUF_SIZE];
        } u;
        int count = 0;
        for (int i = 0; i < NL_MAX_PER_CALL; i++) {
                struct sockaddr_nl from = { 0 };
                socklen_t fl = sizeof(from);
                ssize_t n = recvfrom(fd, u.buf, sizeof(u.buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) /* EWOULDBLOCK is EAGAIN on Linux */
                                break;
                        /* ENOBUFS: the socket overflowed and records were lost; those
                         * before it were already passed to fn.  Reading may go on. */
                        return -errno;
                }
                /* only the kernel speaks on this group */
                if (fl < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0)
                        continue;
                count += deliver(u.buf, (size_t)n, fn, ctx);
        }
        return count;
}

SF_EXPORT int sf_audit_netlink_follow(int fd, sf_audit_attr *attr, const volatile sig_atomic_t *stop,
                                      void (*fn)(void *ctx, const sf_audit_record *rec), void (*batch)(void *ctx),
                                      void *ctx, sf_error **err)
{
        /* fork events are read as they come, so a child is asked about while it lives */
        struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
                                 { .fd = sf_audit_attr_watch_fd(attr), .events = POLLIN } };
        while (!*stop) {
                if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return sf_error_set_errno(err, errno, "cannot wait for records");
                }
                if (pfd[1].fd >= 0 && pfd[1].revents)
                        sf_audit_attr_drain(attr);
                if (!pfd[0].revents)
                        continue;
                int r = sf_audit_netlink_read(fd, 0, fn, ctx);
                if (batch)
                        batch(ctx);
                if (r == -EINTR)
                        continue;
                if (r == -ENOBUFS)
                        return sf_error_set(err, ENOBUFS, "the audit netlink socket overflowed: records were lost");
                if (r < 0)
                        return sf_error_set_errno(err, -r, "audit netlink: cannot read");
        }
        return 0;
}
