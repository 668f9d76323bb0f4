/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The memory bound of issue 13: a profile at the 16 MiB input limit is checked
 * and compiled in at most 64 MiB peak RSS, what the node agent's memory limit
 * allows.  The shape is bench/hostile's args-grid, the one that took the most
 * (75 MiB before the arena's chunks grew to mapped blocks): 16384 rules on
 * `read` with 6 EQ conditions each on 64-bit values of a 314 x 314 grid of high
 * and low words (so the program fits, and the rule tree holds 98,304 of
 * them), each rule padded with a comment to reach the file limit.  The peak is
 * the sysfence process's own (wait4's ru_maxrss), run as a user runs it. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#define FILE_LIMIT (16u << 20)
#define RULES 16384
#define PEAK_MIB 64

extern char **environ;

/* The args-grid profile, at most `size` bytes, into f. */
static int write_grid(FILE *f, size_t size)
{
        static const char head[] = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":[";
        char rule[1024];
        size_t body = 0;
        /* a first pass for the size without comments, then the comment that fills the rest */
        for (int pass = 0; pass < 2; pass++) {
                size_t fill = 0;
                if (pass == 1) {
                        size_t room = (size - sizeof(head) - 2 - body) / RULES;
                        fill = room > 32 ? room - 16 : 0;
                        if (fputs(head, f) < 0)
                                return -EIO;
                }
                for (unsigned r = 0; r < RULES; r++) {
                        int n = snprintf(rule, sizeof(rule), "%s{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[",
                                         r ? "," : "");
                        for (unsigned k = 0; k < 6; k++) {
                                unsigned v = r * 6 + k;
                                uint64_t value = (uint64_t)(v / 314 + 1) << 32 | v % 314;
                                n += snprintf(rule + n, sizeof(rule) - (size_t)n,
                                              "%s{\"index\":0,\"value\":%llu,\"op\":\"SCMP_CMP_EQ\"}", k ? "," : "",
                                              (unsigned long long)value);
                        }
                        n += snprintf(rule + n, sizeof(rule) - (size_t)n, "]%s", fill ? ",\"comment\":\"" : "}");
                        if (pass == 0) {
                                body += (size_t)n;
                                continue;
                        }
                        if (fputs(rule, f) < 0)
                                return -EIO;
                        for (size_t c = 0; c < fill; c++)
                                putc('c', f);
                        if (fill && fputs("\"}", f) < 0)
                                return -EIO;
                }
        }
        return fputs("]}", f) < 0 ? -EIO : 0;
}

/* Runs sysfence with args; its exit status and peak RSS in KiB. */
static int run(const char *sysfence, char *const args[], int *ret_status, long *ret_kib)
{
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        int r = posix_spawn(&pid, sysfence, &fa, NULL, args, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        struct rusage ru;
        int status;
        if (wait4(pid, &status, 0, &ru) < 0)
                return -errno;
        *ret_status = status;
        *ret_kib = ru.ru_maxrss;
        return 0;
}

int main(void)
{
        const char *sysfence = getenv("SYSFENCE");
#if defined(__SANITIZE_ADDRESS__)
        SKIP_FOR("rss", "built with AddressSanitizer: its shadow memory is most of any peak", "peak RSS of a 16 MiB profile");
        printf("1..%d\n", test_no);
        return 0;
#endif
        if (!sysfence) {
                printf("Bail out! SYSFENCE is not set (meson test sets it)\n");
                return 1;
        }
        char dir[] = "/tmp/sysfence-peak.XXXXXX";
        if (!mkdtemp(dir)) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        char in[64], out[64];
        snprintf(in, sizeof(in), "%s/grid.json", dir);
        snprintf(out, sizeof(out), "%s/grid.bpf", dir);
        FILE *f = fopen(in, "we");
        int r = f ? write_grid(f, FILE_LIMIT - 1024) : -errno;
        long size = f ? ftell(f) : -1;
        if (f && fclose(f) != 0 && r == 0)
                r = -EIO;
        TEST(r == 0 && size > (long)(FILE_LIMIT - 65536) && size <= (long)FILE_LIMIT,
             "an args-grid profile of %ld bytes, within 64 KiB of the 16 MiB limit", size);

        char argv0[] = "sysfence", check[] = "check", compile[] = "compile", dash_o[] = "-o";
        struct {
                const char *what;
                char *args[6];
        } runs[] = {
                { "check", { argv0, check, in, NULL } },
                { "compile", { argv0, compile, in, dash_o, out, NULL } },
        };
        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]) && r == 0; i++) {
                int status = -1;
                long kib = 0;
                int e = run(sysfence, runs[i].args, &status, &kib);
                TEST(e == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "sysfence %s of it succeeds (%s, status %d)",
                     runs[i].what, e ? strerror(-e) : "ran", status);
                TEST(e == 0 && kib > 0 && kib <= PEAK_MIB * 1024, "sysfence %s peaks at %.1f MiB RSS, at most %d",
                     runs[i].what, kib / 1024.0, PEAK_MIB);
        }
        unlink(out);
        unlink(in);
        rmdir(dir);
        printf("1..%d\n", test_no);
        return failed ? 1 : 0;
}
