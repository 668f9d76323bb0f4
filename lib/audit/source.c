/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the sources of seccomp records line by line: a file or pipe (with
 * follow, a regular file is waited on and reopened when it is rotated, as
 * `tail -F` does: renamed, or cut shorter than what was read), and the kernel
 * log's /dev/kmsg, which hands one message per read ("PRI,SEQ,USEC,FLAGS;text"
 * then " KEY=VALUE" lines) and answers EPIPE when its ring overwrote messages
 * not yet read; and the journal's kernel messages from journalctl -k.  Each stops when *stop becomes nonzero (a signal handler's
 * flag): a signal cuts a wait short. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sysfence/audit.h"
#include "util/util.h"

/* What one read() of a file or pipe takes. */
#define CHUNK ((size_t)64 * 1024)
/* How long a followed file is left before it is looked at again. */
#define FOLLOW_MS 250

#define KMSG "/dev/kmsg"

extern char **environ;

SF_EXPORT int sf_audit_read_fd(int fd, const char *path, bool follow, const volatile sig_atomic_t *stop,
                               void (*fn)(void *ctx, const char *line, size_t len), void *ctx,
                               unsigned *ret_long_lines, sf_error **err)
{
        _cleanup_free_ char *chunk = malloc(CHUNK);
        sf_audit_lines lr = { 0 };
        if (!chunk || sf_audit_lines_init(&lr, SF_AUDIT_MAX_LINE, fn, ctx, err) < 0)
                return chunk ? -ENOMEM : sf_error_set(err, ENOMEM, "out of memory");
        int owned = -1;
        struct stat st;
        bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        int r = 0;
        while (!*stop) {
                ssize_t n = read(fd, chunk, CHUNK);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = sf_error_set_errno(err, errno, "%s: cannot read", path);
                        break;
                }
                if (n > 0) {
                        sf_audit_lines_feed(&lr, chunk, (size_t)n);
                        continue;
                }
                if (!follow || !regular)
                        break;
                /* end of a followed file: was it rotated? */
                struct stat now, cur;
                if (stat(path, &now) == 0 && fstat(fd, &cur) == 0 &&
                    (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev || now.st_size < lseek(fd, 0, SEEK_CUR))) {
                        int nfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        if (nfd >= 0) {
                                /* what was written to the old file after our last read */
                                while ((n = read(fd, chunk, CHUNK)) > 0)
                                        sf_audit_lines_feed(&lr, chunk, (size_t)n);
                                sf_audit_lines_flush(&lr);
                                if (owned >= 0)
                                        close(owned);
                                owned = fd = nfd;
                                continue;
                        }
                }
                struct timespec ts = { 0, FOLLOW_MS * 1000000L };
                nanosleep(&ts, NULL); /* a signal cuts it short: *stop is looked at */
        }
        sf_audit_lines_flush(&lr);
        if (ret_long_lines)
                *ret_long_lines += lr.long_lines;
        sf_audit_lines_release(&lr);
        if (owned >= 0)
                close(owned);
        return r;
}

SF_EXPORT int sf_audit_kmsg_open(int *ret_fd, sf_error **err)
{
        int fd = open(KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == EPERM || errno == EACCES)
                        return sf_error_set(err, errno, KMSG ": cannot open: %s (kernel.dmesg_restrict is set: run as root)",
                                            strerror(errno));
                return sf_error_set_errno(err, errno, KMSG ": cannot open");
        }
        *ret_fd = fd;
        return 0;
}

SF_EXPORT int sf_audit_kmsg_read(int fd, bool follow, const volatile sig_atomic_t *stop,
                                 void (*fn)(void *ctx, const char *line, size_t len), void *ctx,
                                 unsigned *ret_overruns, sf_error **err)
{
        char buf[16384];
        while (!*stop) {
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EPIPE) { /* the ring overwrote records we had not read */
                                if (ret_overruns)
                                        (*ret_overruns)++;
                                continue;
                        }
                        if (errno == EAGAIN) {
                                if (!follow)
                                        break;
                                struct pollfd p = { .fd = fd, .events = POLLIN };
                                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                                        return sf_error_set_errno(err, errno, KMSG ": cannot wait");
                                continue;
                        }
                        return sf_error_set_errno(err, errno, KMSG ": cannot read");
                }
                if (n == 0)
                        break;
                const char *text = memchr(buf, ';', (size_t)n);
                text = text ? text + 1 : buf;
                const char *nl = memchr(text, '\n', (size_t)(buf + n - text));
                fn(ctx, text, (size_t)((nl ? nl : buf + n) - text));
        }
        return 0;
}

SF_EXPORT int sf_audit_journal_open(bool follow, bool from_now, int *ret_fd, pid_t *ret_pid, sf_error **err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return sf_error_set_errno(err, errno, "cannot make a pipe");
        /* following, from now on (-n 0) unless older records are asked for */
        char *args[] = { (char *)"journalctl", (char *)"-k", (char *)"-o", (char *)"short", (char *)"--no-pager",
                         follow ? (char *)"-f" : NULL, follow && from_now ? (char *)"-n" : NULL, (char *)"0", NULL };
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
        pid_t pid;
        int r = posix_spawnp(&pid, "journalctl", &fa, NULL, args, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(p[1]);
        if (r != 0) {
                close(p[0]);
                if (r == ENOENT)
                        return sf_error_set(err, r, "journalctl: not found (is systemd installed?); use --source kmsg, "
                                                    "or pipe the log into --source -");
                return sf_error_set_errno(err, r, "journalctl: cannot run");
        }
        *ret_fd = p[0];
        *ret_pid = pid;
        return 0;
}

SF_EXPORT int sf_audit_journal_close(pid_t pid, bool stopped, sf_error **err)
{
        if (stopped)
                kill(pid, SIGTERM);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (stopped || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
                return 0;
        if (WIFEXITED(st))
                return sf_error_set(err, EIO, "journalctl exited with status %d", WEXITSTATUS(st));
        return sf_error_set(err, EIO, "journalctl was killed by signal %d", WTERMSIG(st));
}
