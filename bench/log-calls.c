/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log-calls N RATE: installs a filter that returns SECCOMP_RET_LOG for getppid
 * (ALLOW for the rest), then makes N getppid calls, RATE per second (0: as
 * fast as it can), and prints "N calls in S s: R/s" -- the SCMP_ACT_LOG'd
 * records it made and how fast, for bench/audit-attr's throughput mode.  Each
 * call makes one type=1326 record. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: log-calls N RATE\n");
                return 2;
        }
        long n = strtol(argv[1], NULL, 10), rate = strtol(argv[2], NULL, 10);
        struct sock_filter prog[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog fp = { sizeof(prog) / sizeof(prog[0]), prog };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0) {
                perror("log-calls: seccomp");
                return 1;
        }
        double t0 = now_s();
        for (long i = 0; i < n; i++) {
                syscall(SYS_getppid);
                /* paced in steps of 100 calls: sleep until the next is due */
                if (rate > 0 && i % 100 == 99) {
                        double due = t0 + (double)(i + 1) / (double)rate, now = now_s();
                        if (due > now) {
                                struct timespec ts = { (time_t)(due - now), (long)((due - now - (time_t)(due - now)) * 1e9) };
                                nanosleep(&ts, NULL);
                        }
                }
        }
        double t = now_s() - t0;
        printf("%ld calls in %.3f s: %.0f/s\n", n, t, n / t);
        return 0;
}
