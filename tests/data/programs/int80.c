/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* getpid through the i386 entry (int $0x80) from a 64-bit program: the
 * recorders must file it under SCMP_ARCH_X86.  Built by the CLI tests. */
#include <stdio.h>
#include <unistd.h>
int main(void)
{
        long r;
        /* getpid through the i386 entry, where it is number 20 */
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
        printf("%s\n", r == (long)getpid() ? "same pid" : "different pid");
        return 0;
}
