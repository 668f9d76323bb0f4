/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* calls getppid | files DIR N: the wall time per syscall of a loop, in ns.
 * getppid: 1,000,000 calls, the cheapest there is.  files: for each of the
 * files DIR/0 .. DIR/N-1 the calls `cat` makes for a small file in the record
 * bench's workload: openat, fstat, an anonymous mmap, read until the end,
 * munmap, close.  The best of three passes (a pass the machine disturbed
 * least). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
        bool files = argc == 4 && strcmp(argv[1], "files") == 0;
        if (!files && !(argc == 2 && strcmp(argv[1], "getppid") == 0)) {
                fprintf(stderr, "usage: calls getppid | files DIR N\n");
                return 2;
        }
        double best = 0;
        for (int pass = 0; pass < 3; pass++) {
                long calls = 0;
                double t0 = now_ns();
                if (!files) {
                        for (; calls < 1000000; calls++)
                                syscall(SYS_getppid);
                } else {
                        char path[4096], buf[4096];
                        for (int i = 0; i < atoi(argv[3]); i++) {
                                snprintf(path, sizeof(path), "%s/%d", argv[2], i);
                                int fd = open(path, O_RDONLY);
                                struct stat st;
                                fstat(fd, &st);
                                void *m = mmap(NULL, 131072, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                                calls += 5;
                                while (read(fd, buf, sizeof(buf)) > 0)
                                        calls++;
                                calls++; /* the read that returns 0 */
                                munmap(m, 131072);
                                close(fd);
                        }
                }
                double ns = (now_ns() - t0) / calls;
                if (pass == 0 || ns < best)
                        best = ns;
        }
        printf("%.1f\n", best);
        return 0;
}
