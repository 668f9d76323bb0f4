/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start-up cost of running a command under the runtime default profile:
 * an unconfined `true`, `sysfence run --default -- true`, and the libseccomp
 * path of a runtime (scmp-exec: the same profile built rule by rule with
 * libseccomp and loaded) — all in one run, medians of many starts, as ratios.
 * usage: bench-run SYSFENCE SCMP-EXEC PROFILE [N] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double once(char *const argv[])
{
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
                execv(argv[0], argv);
                _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "%s failed\n", argv[0]);
                exit(1);
        }
        return now() - t0;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        if (argc < 4)
                return 2;
        int n = argc > 4 ? atoi(argv[4]) : 300;
        char *plain[] = { (char *)"/bin/true", NULL };
        char *sf[] = { argv[1], (char *)"run", (char *)"--default", (char *)"-q", (char *)"--", (char *)"/bin/true", NULL };
        char *sc[] = { argv[2], argv[3], (char *)"/bin/true", NULL };
        char *const *cmds[] = { plain, sf, sc };
        const char *names[] = { "unconfined true", "sysfence run --default -- true", "libseccomp path (as runc)" };
        double *t[3];
        for (int k = 0; k < 3; k++)
                t[k] = calloc((size_t)n, sizeof(double));
        /* interleaved, so that drift hits all three alike */
        for (int i = 0; i < n; i++)
                for (int k = 0; k < 3; k++)
                        t[k][i] = once(cmds[k]);
        double med[3];
        for (int k = 0; k < 3; k++) {
                qsort(t[k], (size_t)n, sizeof(double), cmp);
                med[k] = t[k][n / 2];
        }
        printf("start-up, median of %d runs each (interleaved):\n", n);
        for (int k = 0; k < 3; k++)
                printf("  %-34s %8.3f ms   %5.2fx unconfined\n", names[k], med[k] * 1e3, med[k] / med[0]);
        printf("  sysfence run / libseccomp path: %.2fx\n", med[1] / med[2]);
        return 0;
}
