/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sysfence/error.h"
#include "util.h"

struct sf_arena_chunk {
        sf_arena_chunk *next;
        size_t size;
        _Alignas(16) unsigned char data[];
};

/* Allocations are 8-aligned (pointers and 64-bit values are the most any
 * caller stores); strings take their bytes and no more.  A parsed 16 MiB
 * profile is mostly small values and short strings: rounding each to 16, as
 * malloc does, cost a fifth of its peak memory. */
#define ARENA_ALIGN 8

static void *arena_take(sf_arena *a, size_t n, size_t align)
{
        size_t at = a->head ? (a->used + align - 1) & ~(align - 1) : 0;
        if (!a->head || at > a->size || a->size - at < n) {
                /* Chunks double from 32 KiB to 1 MiB: a large arena's chunks are then
                 * mapped blocks (the CLI's mallopt), which go back to the system when
                 * it is released.  32 KiB chunks sat on the heap between chunks still
                 * in use: a 16 MiB profile's freed document nodes stayed resident. */
                size_t size = a->size * 2;
                size = size < 32768 ? 32768 : size > (1u << 20) ? 1u << 20 : size;
                if (size < n)
                        size = n;
                sf_arena_chunk *c = malloc(sizeof(*c) + size);
                if (!c)
                        return NULL;
                c->next = a->head;
                c->size = size;
                a->head = c;
                a->size = size;
                at = 0;
        }
        a->used = at + n;
        return a->head->data + at;
}

void *sf_arena_alloc(sf_arena *a, size_t n)
{
        void *p = arena_take(a, n ? n : 1, ARENA_ALIGN);
        if (p)
                memset(p, 0, n);
        return p;
}

char *sf_arena_strndup(sf_arena *a, const char *s, size_t n)
{
        /* no need to zero what is copied over, nor to align a string */
        char *p = arena_take(a, n + 1, 1);
        if (p) {
                memcpy(p, s, n);
                p[n] = 0;
        }
        return p;
}

char *sf_arena_strdup(sf_arena *a, const char *s)
{
        return sf_arena_strndup(a, s, strlen(s));
}

char *sf_arena_printf(sf_arena *a, const char *fmt, ...)
{
        char small[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0)
                return NULL;
        char *p = sf_arena_alloc(a, (size_t)n + 1);
        if (!p)
                return NULL;
        if ((size_t)n < sizeof(small)) {
                memcpy(p, small, (size_t)n + 1);
        } else {
                va_start(ap, fmt);
                vsnprintf(p, (size_t)n + 1, fmt, ap);
                va_end(ap);
        }
        return p;
}

struct sf_arena_owned {
        void *p;
        sf_arena_owned *next;
};

int sf_arena_adopt(sf_arena *a, void *p)
{
        if (!p)
                return 0;
        sf_arena_owned *o = sf_arena_alloc(a, sizeof(*o));
        if (!o) {
                free(p);
                return -ENOMEM;
        }
        *o = (sf_arena_owned){ p, a->owned };
        a->owned = o;
        return 0;
}

void sf_arena_release(sf_arena *a)
{
        for (sf_arena_owned *o = a->owned; o; o = o->next)
                free(o->p); /* the nodes are in the chunks, freed below */
        a->owned = NULL;
        sf_arena_chunk *c = a->head;
        while (c) {
                sf_arena_chunk *next = c->next;
                free(c);
                c = next;
        }
        a->head = NULL;
        a->used = a->size = 0;
}

static bool buf_reserve(sf_buf *b, size_t extra)
{
        if (b->oom)
                return false;
        if (b->len + extra + 1 <= b->cap)
                return true;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + extra + 1) {
                if (cap > SIZE_MAX / 2) {
                        b->oom = true;
                        return false;
                }
                cap *= 2;
        }
        char *s = realloc(b->s, cap);
        if (!s) {
                b->oom = true;
                return false;
        }
        b->s = s;
        b->cap = cap;
        return true;
}

void sf_buf_add(sf_buf *b, const char *s, size_t n)
{
        if (!buf_reserve(b, n))
                return;
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = 0;
}

void sf_buf_puts(sf_buf *b, const char *s) { sf_buf_add(b, s, strlen(s)); }
void sf_buf_putc(sf_buf *b, char c) { sf_buf_add(b, &c, 1); }

void sf_buf_json_str(sf_buf *b, const char *s)
{
        sf_buf_putc(b, '"');
        for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
                if (*p == '"' || *p == '\\')
                        sf_buf_printf(b, "\\%c", *p);
                else if (*p < 0x20)
                        sf_buf_printf(b, "\\u%04x", *p);
                else
                        sf_buf_putc(b, (char)*p);
        }
        sf_buf_putc(b, '"');
}

void sf_buf_vprintf(sf_buf *b, const char *fmt, va_list ap)
{
        va_list ap2;
        va_copy(ap2, ap);
        int n = vsnprintf(NULL, 0, fmt, ap2);
        va_end(ap2);
        if (n < 0 || !buf_reserve(b, (size_t)n))
                return;
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
}

void sf_buf_printf(sf_buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        sf_buf_vprintf(b, fmt, ap);
        va_end(ap);
}

void sf_buf_truncate(sf_buf *b, size_t len)
{
        if (len < b->len) {
                b->len = len;
                b->s[len] = 0;
        }
}

char *sf_buf_steal(sf_buf *b)
{
        if (b->oom) {
                sf_buf_release(b);
                return NULL;
        }
        if (!b->s) {
                if (!buf_reserve(b, 0))
                        return NULL;
                b->s[0] = 0;
        }
        char *s = b->s;
        *b = (sf_buf){ 0 };
        return s;
}

void sf_buf_release(sf_buf *b)
{
        free(b->s);
        *b = (sf_buf){ 0 };
}

int sf_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len, sf_error **err)
{
        _cleanup_close_ int fd = -1;
        int in = STDIN_FILENO;
        const char *name = path;

        if (strcmp(path, "-") == 0) {
                name = "<stdin>";
        } else {
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return sf_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return sf_error_set_errno(err, errno, "%s: cannot stat", path);
                if (S_ISDIR(st.st_mode))
                        return sf_error_set(err, EISDIR, "%s: is a directory", path);
                if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
                        return sf_error_set(err, EFBIG, "%s: file is %jd bytes, more than the limit of %zu",
                                            path, (intmax_t)st.st_size, max);
                in = fd;
        }

        sf_buf b = { 0 };
        for (;;) {
                char chunk[65536];
                ssize_t n = read(in, chunk, sizeof(chunk));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        sf_buf_release(&b);
                        return sf_error_set(err, e, "%s: cannot read: %s", name, strerror(e));
                }
                if (n == 0)
                        break;
                if (b.len + (size_t)n > max) {
                        sf_buf_release(&b);
                        return sf_error_set(err, EFBIG, "%s: input is more than the limit of %zu bytes", name, max);
                }
                sf_buf_add(&b, chunk, (size_t)n);
        }
        size_t len = b.len;
        char *data = sf_buf_steal(&b);
        if (!data)
                return sf_error_set(err, ENOMEM, "%s: out of memory", name);
        *ret_data = data;
        *ret_len = len;
        return 0;
}

/* Writes all of data to fd; name says which file in the error. */
static int write_all_fd(int fd, const char *name, const void *data, size_t len, sf_error **err)
{
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return sf_error_set(err, errno, "%s: cannot write: %s", name, strerror(errno));
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

const char *sf_file_kind(mode_t m)
{
        if (S_ISDIR(m))
                return "a directory";
        if (S_ISLNK(m))
                return "a symbolic link";
        if (S_ISCHR(m))
                return "a character device";
        if (S_ISBLK(m))
                return "a block device";
        if (S_ISFIFO(m))
                return "a FIFO";
        if (S_ISSOCK(m))
                return "a socket";
        return S_ISREG(m) ? "a regular file" : "a special file";
}

/* Writes into the FIFO the caller's user named (SF_WRITE_INTO_FIFO), which
 * fstat found as st: opened for writing, waiting for a reader as a pipe's
 * writer does, then checked to be that same FIFO before anything is written
 * (the name may have changed since). */
static int write_into_fifo(const char *path, bool link, const struct stat *st, const void *data, size_t len,
                           sf_error **err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (link ? 0 : O_NOFOLLOW));
        if (fd < 0)
                return sf_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
        struct stat now;
        if (fstat(fd, &now) < 0)
                return sf_error_set_errno(err, errno, "%s: cannot stat", path);
        if (!S_ISFIFO(now.st_mode) || now.st_dev != st->st_dev || now.st_ino != st->st_ino)
                return sf_error_set(err, EAGAIN, "%s: changed while it was opened: not written", path);
        return write_all_fd(fd, path, data, len, err);
}

int sf_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, sf_error **err)
{
        return sf_write_file_atomic_flags(path, data, len, mode, 0, err);
}

int sf_write_file_atomic_flags(const char *path, const void *data, size_t len, unsigned mode, unsigned flags,
                               sf_error **err)
{
        if (strcmp(path, "-") == 0)
                return write_all_fd(STDOUT_FILENO, "<stdout>", data, len, err);

        /* Open before checking, and open nothing: O_PATH runs no device's open
         * and does not wait for a FIFO's other end, and O_NOFOLLOW looks at the
         * name itself, so what fstat describes is what the name is now.  A
         * regular file, or a symbolic link to one or to nothing, is replaced by
         * the rename below (the link's target is left alone).  A device, FIFO
         * or socket would be replaced too, or written in place, neither of
         * which a caller asked for: refused, except /dev/stdout and /dev/null
         * named as such, and a FIFO where the caller says so. */
        if (strcmp(path, "/dev/stdout") == 0)
                return write_all_fd(STDOUT_FILENO, "<stdout>", data, len, err);
        _cleanup_close_ int cur = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (cur < 0 && errno != ENOENT)
                return sf_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
        struct stat st;
        bool link = false;
        if (cur >= 0 && fstat(cur, &st) < 0)
                return sf_error_set_errno(err, errno, "%s: cannot stat", path);
        if (cur >= 0 && S_ISLNK(st.st_mode)) {
                /* the link would be replaced, not written through; but one to a
                 * device or a directory (/dev/stderr) is refused as they are,
                 * not turned into a file */
                link = true;
                _cleanup_close_ int target = open(path, O_PATH | O_CLOEXEC);
                if (target >= 0 && fstat(target, &st) < 0)
                        return sf_error_set_errno(err, errno, "%s: cannot stat", path);
                if (target < 0)
                        st.st_mode = S_IFLNK; /* dangling: the link is replaced */
        }
        if (cur >= 0 && S_ISDIR(st.st_mode))
                return sf_error_set(err, EISDIR, "%s: is a directory", path);
        if (cur >= 0 && S_ISCHR(st.st_mode) && strcmp(path, "/dev/null") == 0) {
                _cleanup_close_ int dfd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (dfd < 0)
                        return sf_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
                return write_all_fd(dfd, path, data, len, err);
        }
        if (cur >= 0 && S_ISFIFO(st.st_mode) && (flags & SF_WRITE_INTO_FIFO))
                return write_into_fifo(path, link, &st, data, len, err);
        if (cur >= 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
                return sf_error_set(err, EINVAL,
                                    "%s: is %s, not a regular file: not written in place nor replaced (\"-\" writes to standard output)",
                                    path, sf_file_kind(st.st_mode));

        _cleanup_free_ char *dup1 = strdup(path);
        _cleanup_free_ char *dup2 = strdup(path);
        if (!dup1 || !dup2)
                return sf_error_set(err, ENOMEM, "%s: out of memory", path);
        const char *dir = dirname(dup1);
        const char *base = basename(dup2);
        sf_buf tmpb = { 0 };
        sf_buf_printf(&tmpb, "%s/.%s.XXXXXX", dir, base);
        _cleanup_free_ char *tmp = sf_buf_steal(&tmpb);
        if (!tmp)
                return sf_error_set(err, ENOMEM, "%s: out of memory", path);

        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return sf_error_set(err, errno, "%s: cannot create a temporary file in %s: %s", path, dir,
                                    strerror(errno));
        int r = 0;
        const char *p = data;
        size_t left = len;
        while (left > 0) {
                ssize_t n = write(fd, p, left);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = sf_error_set(err, errno, "%s: cannot write: %s", path, strerror(errno));
                        goto fail;
                }
                p += n;
                left -= (size_t)n;
        }
        if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
                r = sf_error_set(err, errno, "%s: cannot sync: %s", path, strerror(errno));
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = sf_error_set(err, errno, "%s: cannot rename into place: %s", path, strerror(errno));
                goto fail;
        }
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                (void)fsync(dfd);
                close(dfd);
        }
        return 0;
fail:
        unlink(tmp);
        return r;
}

int sf_parse_u64(const char *s, int base, uint64_t *ret)
{
        if (!s || !*s)
                return -EINVAL;
        uint64_t v = 0;
        const char *p = s;
        if (base == 0) {
                if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                        base = 16;
                        p += 2;
                } else {
                        base = 10;
                }
                if (!*p)
                        return -EINVAL;
        }
        for (; *p; p++) {
                unsigned d;
                if (*p >= '0' && *p <= '9')
                        d = (unsigned)(*p - '0');
                else if (*p >= 'a' && *p <= 'f')
                        d = (unsigned)(*p - 'a' + 10);
                else if (*p >= 'A' && *p <= 'F')
                        d = (unsigned)(*p - 'A' + 10);
                else
                        return -EINVAL;
                if (d >= (unsigned)base)
                        return -EINVAL;
                if (v > (UINT64_MAX - d) / (unsigned)base)
                        return -ERANGE;
                v = v * (unsigned)base + d;
        }
        *ret = v;
        return 0;
}

unsigned sf_edit_distance(const char *a, const char *b, unsigned cap)
{
        size_t la = strlen(a), lb = strlen(b);
        if (la > 64 || lb > 64)
                return cap + 1;
        if ((la > lb ? la - lb : lb - la) > cap)
                return cap + 1;
        unsigned row[65];
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned)j;
        for (size_t i = 1; i <= la; i++) {
                unsigned prev = row[0];
                row[0] = (unsigned)i;
                unsigned best = row[0];
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cur = row[j];
                        unsigned v = prev + (a[i - 1] != b[j - 1]);
                        if (row[j] + 1 < v)
                                v = row[j] + 1;
                        if (row[j - 1] + 1 < v)
                                v = row[j - 1] + 1;
                        row[j] = v;
                        prev = cur;
                        if (v < best)
                                best = v;
                }
                if (best > cap)
                        return cap + 1;
        }
        return row[lb];
}

/* argv[0] as execvp would find it; malloc'd, NULL if not found. */
char *sf_find_exec(const char *cmd)
{
        if (strchr(cmd, '/'))
                return access(cmd, F_OK) == 0 ? strdup(cmd) : NULL;
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        for (const char *p = path;;) {
                const char *e = strchrnul(p, ':');
                sf_buf b = { 0 };
                if (e == p)
                        sf_buf_putc(&b, '.');
                else
                        sf_buf_add(&b, p, (size_t)(e - p));
                sf_buf_printf(&b, "/%s", cmd);
                char *full = sf_buf_steal(&b);
                struct stat st;
                if (full && stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
                        return full;
                free(full);
                if (!*e)
                        return NULL;
                p = e + 1;
        }
}

void sf_signals_block(sigset_t *old)
{
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, old);
}

void sf_child_signals_reset(const sigset_t *old)
{
        for (int sig = 1; sig < NSIG; sig++) {
                struct sigaction sa;
                if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
                        continue;
                if (!(sa.sa_flags & SA_SIGINFO) && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN))
                        continue;
                sa.sa_handler = SIG_DFL;
                sa.sa_flags = 0;
                sigaction(sig, &sa, NULL);
        }
        sigprocmask(SIG_SETMASK, old, NULL);
}

void sf_signals_restore(const sigset_t *old)
{
        pthread_sigmask(SIG_SETMASK, old, NULL);
}
