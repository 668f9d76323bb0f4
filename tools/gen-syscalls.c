/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gen-syscalls — writes the syscall tables of every sf_arch as C source, taken from
 * libseccomp at build time, so the library never asks libseccomp at run time.
 *
 *     gen-syscalls OUTPUT.c
 *
 * libseccomp only maps a name to a number or a number to a name, so the names are
 * discovered by resolving every number of each arch's ranges; their union is then
 * resolved back on every arch.  Syscalls newer than that libseccomp (arch/newer.h,
 * facts from the kernel's tables) are added with their numbers and marked, so
 * that sysfence records and compiles them by name and says runc and crun skip
 * them.  The output depends only on libseccomp's tables and those facts. */
#include <errno.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfence/arch.h"
#include "arch/newer.h"
#include "arch/tables.h"

#define X32_SYSCALL_BIT 0x40000000
#define ARM_PRIVATE_BASE 0x0f0000

typedef struct gen_arch {
        const char *enum_name;  /* SF_ARCH_* */
        const char *id;         /* C identifier suffix */
        uint32_t token;         /* SCMP_ARCH_* */
        int32_t base;           /* the arch's numbers start here (x32 bit, mips ABIs) */
} gen_arch;

static const gen_arch arches[SF_ARCH__COUNT] = {
        [SF_ARCH_X86_64]      = { "SF_ARCH_X86_64", "x86_64", SCMP_ARCH_X86_64, 0 },
        [SF_ARCH_X86]         = { "SF_ARCH_X86", "x86", SCMP_ARCH_X86, 0 },
        [SF_ARCH_X32]         = { "SF_ARCH_X32", "x32", SCMP_ARCH_X32, X32_SYSCALL_BIT },
        [SF_ARCH_AARCH64]     = { "SF_ARCH_AARCH64", "aarch64", SCMP_ARCH_AARCH64, 0 },
        [SF_ARCH_ARM]         = { "SF_ARCH_ARM", "arm", SCMP_ARCH_ARM, 0 },
        [SF_ARCH_PPC64LE]     = { "SF_ARCH_PPC64LE", "ppc64le", SCMP_ARCH_PPC64LE, 0 },
        [SF_ARCH_PPC64]       = { "SF_ARCH_PPC64", "ppc64", SCMP_ARCH_PPC64, 0 },
        [SF_ARCH_PPC]         = { "SF_ARCH_PPC", "ppc", SCMP_ARCH_PPC, 0 },
        [SF_ARCH_S390X]       = { "SF_ARCH_S390X", "s390x", SCMP_ARCH_S390X, 0 },
        [SF_ARCH_S390]        = { "SF_ARCH_S390", "s390", SCMP_ARCH_S390, 0 },
        [SF_ARCH_RISCV64]     = { "SF_ARCH_RISCV64", "riscv64", SCMP_ARCH_RISCV64, 0 },
        [SF_ARCH_MIPS]        = { "SF_ARCH_MIPS", "mips", SCMP_ARCH_MIPS, 4000 },
        [SF_ARCH_MIPSEL]      = { "SF_ARCH_MIPSEL", "mipsel", SCMP_ARCH_MIPSEL, 4000 },
        [SF_ARCH_MIPS64]      = { "SF_ARCH_MIPS64", "mips64", SCMP_ARCH_MIPS64, 5000 },
        [SF_ARCH_MIPSEL64]    = { "SF_ARCH_MIPSEL64", "mipsel64", SCMP_ARCH_MIPSEL64, 5000 },
        [SF_ARCH_MIPS64N32]   = { "SF_ARCH_MIPS64N32", "mips64n32", SCMP_ARCH_MIPS64N32, 6000 },
        [SF_ARCH_MIPSEL64N32] = { "SF_ARCH_MIPSEL64N32", "mipsel64n32", SCMP_ARCH_MIPSEL64N32, 6000 },
        [SF_ARCH_PARISC]      = { "SF_ARCH_PARISC", "parisc", SCMP_ARCH_PARISC, 0 },
        [SF_ARCH_PARISC64]    = { "SF_ARCH_PARISC64", "parisc64", SCMP_ARCH_PARISC64, 0 },
};

/* Number ranges scanned on every arch, [start, end).  The first covers the plain
 * tables and all three mips ABIs (4000, 5000, 6000) with room to grow; arm keeps
 * its private calls (cacheflush, set_tls…) at 0x0f0000; x32 numbers carry bit 30. */
static const int32_t scan_ranges[][2] = {
        { 0, 0x2000 },
        { ARM_PRIVATE_BASE, ARM_PRIVATE_BASE + 0x1000 },
        { X32_SYSCALL_BIT, X32_SYSCALL_BIT + 0x2000 },
};

/* A number libseccomp resolved to a name while scanning. */
typedef struct scanned {
        int32_t nr;
        char *name;
} scanned;

typedef struct vec {
        void *v;
        size_t n, cap;
} vec;

static void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p) {
                fputs("gen-syscalls: out of memory\n", stderr);
                exit(EXIT_FAILURE);
        }
        return p;
}

static void *vec_push(vec *v, size_t size)
{
        if (v->n == v->cap) {
                size_t cap = v->cap ? v->cap * 2 : 256;
                void *p = realloc(v->v, cap * size);
                if (!p) {
                        fputs("gen-syscalls: out of memory\n", stderr);
                        exit(EXIT_FAILURE);
                }
                v->v = p;
                v->cap = cap;
        }
        return (char *)v->v + v->n++ * size;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_scanned(const void *a, const void *b)
{
        const scanned *x = a, *y = b;
        return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static int cmp_entry(const void *a, const void *b)
{
        const int32_t *x = a, *y = b;  /* { nr, name index } */
        if (x[0] != y[0])
                return x[0] < y[0] ? -1 : 1;
        return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Every number of `arch` libseccomp can name, ascending.  libseccomp strips the
 * x32 bit and the mips bases before it looks a number up, so the same name also
 * shows up below the base; those aliases are not the arch's numbers and are
 * dropped here. */
static scanned *scan_arch(const gen_arch *a, size_t *ret_n)
{
        vec v = { 0 };
        for (size_t r = 0; r < sizeof(scan_ranges) / sizeof(scan_ranges[0]); r++)
                for (int32_t nr = scan_ranges[r][0]; nr < scan_ranges[r][1]; nr++) {
                        if (nr < a->base)
                                continue;
                        char *name = seccomp_syscall_resolve_num_arch(a->token, nr);
                        if (!name)
                                continue;
                        scanned *s = vec_push(&v, sizeof(scanned));
                        s->nr = nr;
                        s->name = name;
                }
        qsort(v.v, v.n, sizeof(scanned), cmp_scanned);
        *ret_n = v.n;
        return v.v;
}

static long find_name(char *const *names, size_t n, const char *name)
{
        char *const *p = bsearch(&name, names, n, sizeof(*names), cmp_str);
        return p ? (long)(p - names) : -1;
}

/* The number of `name` on `a`.  libseccomp answers with a negative pseudo number
 * both for names the arch lacks and for the socket and SysV IPC calls it can
 * multiplex (i386 socket: __PNR_socket, though the kernel also has it at 359).  A
 * real number that libseccomp names while scanning wins over the pseudo one:
 * libseccomp's own filters match it (socket on x86 compiles to nr 359 and
 * socketcall(SYS_SOCKET)), and a deny list that missed it would be bypassed. */
static int32_t resolve(const gen_arch *a, const scanned *scan, size_t nscan, const char *name)
{
        int nr = seccomp_syscall_resolve_name_arch(a->token, name);
        if (nr >= 0)
                return nr;
        for (size_t i = 0; i < nscan; i++)  /* ascending: the lowest real number */
                if (strcmp(scan[i].name, name) == 0)
                        return scan[i].nr;
        return -1;
}

/* The facts of `name` if it is one of arch/newer.h's, else NULL. */
static const sf_newer_syscall *newer_of(const char *name)
{
        for (size_t i = 0; i < sizeof(sf_newer_syscalls) / sizeof(sf_newer_syscalls[0]); i++)
                if (strcmp(sf_newer_syscalls[i].name, name) == 0)
                        return &sf_newer_syscalls[i];
        return NULL;
}

/* Whether libseccomp knows name on some arch. */
static bool libseccomp_knows(const char *name)
{
        for (int a = 1; a < SF_ARCH__COUNT; a++)
                if (seccomp_syscall_resolve_name_arch(arches[a].token, name) >= 0)
                        return true;
        return false;
}

static void write_output(FILE *f, char *const *names, size_t nnames, int32_t *const *nr, const bool *facts)
{
        const struct scmp_version *ver = seccomp_version();

        fprintf(f, "/* Generated by tools/gen-syscalls from libseccomp %u.%u.%u; do not edit. */\n",
                ver ? ver->major : 0, ver ? ver->minor : 0, ver ? ver->micro : 0);
        fputs("#include \"arch/tables.h\"\n\n", f);

        fputs("const char *const sf_syscall_names[] = {\n", f);
        for (size_t i = 0; i < nnames; i++)
                fprintf(f, "        \"%s\",\n", names[i]);
        fputs("};\n", f);
        fputs("\n/* 1: added from arch/newer.h (libseccomp does not know it) */\n", f);
        fprintf(f, "const unsigned char sf_syscall_from_facts[%zu] = {", nnames);
        for (size_t i = 0; i < nnames; i++)
                fprintf(f, "%s%d,", i % 20 ? " " : "\n        ", facts[i] ? 1 : 0);
        fputs("\n};\n", f);

        for (int a = 1; a < SF_ARCH__COUNT; a++) {
                const char *id = arches[a].id;

                fprintf(f, "\nstatic const int32_t nr_by_name_%s[%zu] = {", id, nnames);
                for (size_t i = 0; i < nnames; i++)
                        fprintf(f, "%s%" PRId32 ",", i % 10 ? " " : "\n        ", nr[a][i]);
                fputs("\n};\n", f);

                int32_t (*e)[2] = xmalloc(nnames * sizeof(*e));
                size_t n = 0;
                for (size_t i = 0; i < nnames; i++)
                        if (nr[a][i] >= 0) {
                                e[n][0] = nr[a][i];
                                e[n][1] = (int32_t)i;
                                n++;
                        }
                qsort(e, n, sizeof(*e), cmp_entry);

                fprintf(f, "\nstatic const sf_syscall_entry by_nr_%s[%zu] = {\n", id, n ? n : 1);
                for (size_t i = 0; i < n; i++)
                        fprintf(f, "        { %" PRId32 ", %" PRId32 " },  /* %s */\n",
                                e[i][0], e[i][1], names[e[i][1]]);
                if (n == 0)
                        fputs("        { -1, 0 },\n", f);
                fputs("};\n", f);
                fprintf(f, "#define MAX_%s %" PRId32 "\n#define COUNT_%s %zu\n", id,
                        n ? e[n - 1][0] : -1, id, n);
                free(e);
        }

        uint32_t slots = 1;
        while (slots < 2 * nnames)
                slots <<= 1;
        if (nnames >= UINT16_MAX) {
                fprintf(stderr, "gen-syscalls: %zu names do not fit the 16-bit hash index\n", nnames);
                exit(1);
        }
        uint16_t *hash = xmalloc(slots * sizeof(*hash));
        memset(hash, 0, slots * sizeof(*hash));
        for (size_t i = 0; i < nnames; i++) {
                uint32_t h = sf_syscall_hash(names[i]) & (slots - 1);
                while (hash[h])
                        h = (h + 1) & (slots - 1);
                hash[h] = (uint16_t)(i + 1);
        }
        fprintf(f, "\nstatic const uint16_t name_hash[%" PRIu32 "] = {", slots);
        for (uint32_t i = 0; i < slots; i++)
                fprintf(f, "%s%u,", i % 12 ? " " : "\n        ", hash[i]);
        fputs("\n};\n", f);
        free(hash);

        fputs("\nconst sf_syscall_tables sf_syscalls = {\n", f);
        fputs("        .names = sf_syscall_names,\n", f);
        fprintf(f, "        .name_count = %zu,\n", nnames);
        fputs("        .hash = name_hash,\n", f);
        fprintf(f, "        .hash_mask = %" PRIu32 ",\n", slots - 1);
        fputs("        .arch = {\n", f);
        for (int a = 1; a < SF_ARCH__COUNT; a++) {
                const char *id = arches[a].id;
                fprintf(f, "                [%s] = { nr_by_name_%s, by_nr_%s, COUNT_%s, MAX_%s },\n",
                        arches[a].enum_name, id, id, id, id);
        }
        fputs("        },\n};\n", f);
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fputs("usage: gen-syscalls OUTPUT.c\n", stderr);
                return 2;
        }
        const char *out = argv[1];

        for (int a = 1; a < SF_ARCH__COUNT; a++)
                if (!arches[a].id) {
                        fprintf(stderr, "gen-syscalls: sf_arch %d has no libseccomp arch\n", a);
                        return EXIT_FAILURE;
                }

        scanned *scan[SF_ARCH__COUNT] = { 0 };
        size_t nscan[SF_ARCH__COUNT] = { 0 };
        vec all = { 0 };
        for (int a = 1; a < SF_ARCH__COUNT; a++) {
                scan[a] = scan_arch(&arches[a], &nscan[a]);
                if (nscan[a] == 0) {
                        fprintf(stderr, "gen-syscalls: libseccomp knows no syscall on %s\n",
                                arches[a].id);
                        return EXIT_FAILURE;
                }
                for (size_t i = 0; i < nscan[a]; i++)
                        *(char **)vec_push(&all, sizeof(char *)) = scan[a][i].name;
        }
        for (size_t i = 0; i < sizeof(sf_newer_syscalls) / sizeof(sf_newer_syscalls[0]); i++)
                if (!libseccomp_knows(sf_newer_syscalls[i].name))
                        *(char **)vec_push(&all, sizeof(char *)) = (char *)sf_newer_syscalls[i].name;

        /* The union of the names, sorted and without duplicates. */
        char **names = all.v;
        qsort(names, all.n, sizeof(char *), cmp_str);
        size_t nnames = 0;
        for (size_t i = 0; i < all.n; i++)
                if (nnames == 0 || strcmp(names[nnames - 1], names[i]) != 0)
                        names[nnames++] = names[i];
        if (nnames > UINT32_MAX / 2) {
                fputs("gen-syscalls: too many names\n", stderr);
                return EXIT_FAILURE;
        }

        bool *facts = xmalloc(nnames * sizeof(bool));
        for (size_t i = 0; i < nnames; i++)
                facts[i] = newer_of(names[i]) && !libseccomp_knows(names[i]);
        int32_t *nr[SF_ARCH__COUNT] = { 0 };
        for (int a = 1; a < SF_ARCH__COUNT; a++) {
                nr[a] = xmalloc(nnames * sizeof(int32_t));
                for (size_t i = 0; i < nnames; i++) {
                        const sf_newer_syscall *nw = facts[i] ? newer_of(names[i]) : NULL;
                        if (!nw)
                                nr[a][i] = resolve(&arches[a], scan[a], nscan[a], names[i]);
                        else if (nw->x86_64_only && a != SF_ARCH_X86_64)
                                nr[a][i] = -1;
                        else
                                nr[a][i] = arches[a].base + nw->nr;
                }
        }
        /* Each scanned number must come back from its own name: then every number is
         * reachable by name and no two names share a number, which sf_syscall_name()
         * relies on.  A libseccomp where this fails needs a look, not a guess. */
        for (int a = 1; a < SF_ARCH__COUNT; a++)
                for (size_t i = 0; i < nscan[a]; i++) {
                        long k = find_name(names, nnames, scan[a][i].name);
                        if (k < 0 || nr[a][k] != scan[a][i].nr) {
                                fprintf(stderr, "gen-syscalls: %s: %" PRId32 " is \"%s\", which resolves to %" PRId32 "\n",
                                        arches[a].id, scan[a][i].nr, scan[a][i].name,
                                        k < 0 ? -1 : nr[a][k]);
                                return EXIT_FAILURE;
                        }
                }

        FILE *f = fopen(out, "we");
        if (!f) {
                fprintf(stderr, "gen-syscalls: %s: %s\n", out, strerror(errno));
                return EXIT_FAILURE;
        }
        write_output(f, names, nnames, nr, facts);
        bool ok = !ferror(f);
        if (fclose(f) != 0)
                ok = false;
        if (!ok) {
                fprintf(stderr, "gen-syscalls: %s: write failed\n", out);
                remove(out);
                return EXIT_FAILURE;
        }

        /* The names are owned by the scans; a short-lived tool, but keep ASan quiet. */
        for (int a = 1; a < SF_ARCH__COUNT; a++) {
                for (size_t i = 0; i < nscan[a]; i++)
                        free(scan[a][i].name);
                free(scan[a]);
                free(nr[a]);
        }
        free(all.v);
        free(facts);
        return EXIT_SUCCESS;
}
