/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Architectures and syscall lookups over the tables generated at build time by
 * tools/gen-syscalls.c (syscalls-table.c): binary searches, no libseccomp call. */
#include <linux/audit.h>
#include <string.h>

#include "arch/newer.h"
#include "arch/tables.h"
#include "sysfence/arch.h"
#include "util/util.h"

/* x32 is not in <linux/audit.h>: the kernel reports x32 calls as AUDIT_ARCH_X86_64
 * and sets bit 30 in the number instead. */
typedef struct arch_info {
        const char *scmp_name;
        const char *short_name;
        uint32_t audit;
        bool is_64bit;  /* libseccomp's view: 64-bit arguments (x32 and n32: no) */
} arch_info;

static const arch_info arches[SF_ARCH__COUNT] = {
        [SF_ARCH_X86_64]      = { "SCMP_ARCH_X86_64", "amd64", AUDIT_ARCH_X86_64, true },
        [SF_ARCH_X86]         = { "SCMP_ARCH_X86", "x86", AUDIT_ARCH_I386, false },
        [SF_ARCH_X32]         = { "SCMP_ARCH_X32", "x32", AUDIT_ARCH_X86_64, false },
        [SF_ARCH_AARCH64]     = { "SCMP_ARCH_AARCH64", "arm64", AUDIT_ARCH_AARCH64, true },
        [SF_ARCH_ARM]         = { "SCMP_ARCH_ARM", "arm", AUDIT_ARCH_ARM, false },
        [SF_ARCH_PPC64LE]     = { "SCMP_ARCH_PPC64LE", "ppc64le", AUDIT_ARCH_PPC64LE, true },
        [SF_ARCH_PPC64]       = { "SCMP_ARCH_PPC64", "ppc64", AUDIT_ARCH_PPC64, true },
        [SF_ARCH_PPC]         = { "SCMP_ARCH_PPC", "ppc", AUDIT_ARCH_PPC, false },
        [SF_ARCH_S390X]       = { "SCMP_ARCH_S390X", "s390x", AUDIT_ARCH_S390X, true },
        [SF_ARCH_S390]        = { "SCMP_ARCH_S390", "s390", AUDIT_ARCH_S390, false },
        [SF_ARCH_RISCV64]     = { "SCMP_ARCH_RISCV64", "riscv64", AUDIT_ARCH_RISCV64, true },
        [SF_ARCH_MIPS]        = { "SCMP_ARCH_MIPS", "mips", AUDIT_ARCH_MIPS, false },
        [SF_ARCH_MIPSEL]      = { "SCMP_ARCH_MIPSEL", "mipsle", AUDIT_ARCH_MIPSEL, false },
        [SF_ARCH_MIPS64]      = { "SCMP_ARCH_MIPS64", "mips64", AUDIT_ARCH_MIPS64, true },
        [SF_ARCH_MIPSEL64]    = { "SCMP_ARCH_MIPSEL64", "mips64le", AUDIT_ARCH_MIPSEL64, true },
        [SF_ARCH_MIPS64N32]   = { "SCMP_ARCH_MIPS64N32", "mips64n32", AUDIT_ARCH_MIPS64N32, false },
        [SF_ARCH_MIPSEL64N32] = { "SCMP_ARCH_MIPSEL64N32", "mips64len32", AUDIT_ARCH_MIPSEL64N32, false },
        [SF_ARCH_PARISC]      = { "SCMP_ARCH_PARISC", "parisc", AUDIT_ARCH_PARISC, false },
        [SF_ARCH_PARISC64]    = { "SCMP_ARCH_PARISC64", "parisc64", AUDIT_ARCH_PARISC64, true },
};

/* Other spellings: uname -m, Go's GOARCH, Debian's and libseccomp's arch names. */
static const struct {
        const char *name;
        sf_arch arch;
} aliases[] = {
        { "x86_64", SF_ARCH_X86_64 },
        { "386", SF_ARCH_X86 },
        { "i386", SF_ARCH_X86 },
        { "i486", SF_ARCH_X86 },
        { "i586", SF_ARCH_X86 },
        { "i686", SF_ARCH_X86 },
        { "aarch64", SF_ARCH_AARCH64 },
        { "armv6l", SF_ARCH_ARM },
        { "armv7l", SF_ARCH_ARM },
        { "armv8l", SF_ARCH_ARM },
        { "armhf", SF_ARCH_ARM },
        { "armel", SF_ARCH_ARM },
        { "ppc64el", SF_ARCH_PPC64LE },
        { "mipsel", SF_ARCH_MIPSEL },
        { "mipsel64", SF_ARCH_MIPSEL64 },
        { "mips64el", SF_ARCH_MIPSEL64 },
        { "mipsel64n32", SF_ARCH_MIPSEL64N32 },
        { "mips64eln32", SF_ARCH_MIPSEL64N32 },
        { "hppa", SF_ARCH_PARISC },
};

static bool arch_valid(sf_arch arch)
{
        return arch > SF_ARCH_NONE && arch < SF_ARCH__COUNT;
}

SF_EXPORT const char *sf_arch_scmp_name(sf_arch arch)
{
        return arch_valid(arch) ? arches[arch].scmp_name : NULL;
}

SF_EXPORT const char *sf_arch_short_name(sf_arch arch)
{
        return arch_valid(arch) ? arches[arch].short_name : NULL;
}

SF_EXPORT sf_arch sf_arch_from_name(const char *name)
{
        if (!name)
                return SF_ARCH_NONE;
        for (int a = SF_ARCH_NONE + 1; a < SF_ARCH__COUNT; a++)
                if (strcmp(name, arches[a].scmp_name) == 0 || strcmp(name, arches[a].short_name) == 0)
                        return (sf_arch)a;
        for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
                if (strcmp(name, aliases[i].name) == 0)
                        return aliases[i].arch;
        return SF_ARCH_NONE;
}

SF_EXPORT uint32_t sf_arch_audit(sf_arch arch)
{
        return arch_valid(arch) ? arches[arch].audit : 0;
}

SF_EXPORT sf_arch sf_arch_from_audit(uint32_t audit_arch)
{
        /* The first match: x86_64 comes before x32, which shares its value. */
        for (int a = SF_ARCH_NONE + 1; a < SF_ARCH__COUNT; a++)
                if (arches[a].audit == audit_arch)
                        return (sf_arch)a;
        return SF_ARCH_NONE;
}

SF_EXPORT bool sf_arch_is_64bit(sf_arch arch)
{
        return arch_valid(arch) && arches[arch].is_64bit;
}

SF_EXPORT sf_arch sf_arch_native(void)
{
#if defined(__x86_64__)
#  if defined(__ILP32__)
        return SF_ARCH_X32;
#  else
        return SF_ARCH_X86_64;
#  endif
#elif defined(__i386__)
        return SF_ARCH_X86;
#elif defined(__aarch64__)
        return SF_ARCH_AARCH64;
#elif defined(__arm__)
        return SF_ARCH_ARM;
#elif defined(__powerpc64__)
#  if defined(__LITTLE_ENDIAN__)
        return SF_ARCH_PPC64LE;
#  else
        return SF_ARCH_PPC64;
#  endif
#elif defined(__powerpc__)
        return SF_ARCH_PPC;
#elif defined(__s390x__)
        return SF_ARCH_S390X;
#elif defined(__s390__)
        return SF_ARCH_S390;
#elif defined(__riscv) && defined(__riscv_xlen)
#  if __riscv_xlen == 64
        return SF_ARCH_RISCV64;
#  else
        return SF_ARCH_NONE;
#  endif
#elif defined(__mips__) && defined(_MIPS_SIM) && defined(_ABIO32) && defined(_ABIN32)
#  if _MIPS_SIM == _ABIO32
#    if defined(__MIPSEL__)
        return SF_ARCH_MIPSEL;
#    else
        return SF_ARCH_MIPS;
#    endif
#  elif _MIPS_SIM == _ABIN32
#    if defined(__MIPSEL__)
        return SF_ARCH_MIPSEL64N32;
#    else
        return SF_ARCH_MIPS64N32;
#    endif
#  else
#    if defined(__MIPSEL__)
        return SF_ARCH_MIPSEL64;
#    else
        return SF_ARCH_MIPS64;
#    endif
#  endif
#elif defined(__hppa__)
#  if defined(__LP64__)
        return SF_ARCH_PARISC64;
#  else
        return SF_ARCH_PARISC;
#  endif
#else
        return SF_ARCH_NONE;
#endif
}

/* Index of `name` in the sorted names, or -1. */
long sf_syscall_index(const char *name)
{
        if (!name)
                return -1;
        for (uint32_t h = sf_syscall_hash(name) & sf_syscalls.hash_mask;; h = (h + 1) & sf_syscalls.hash_mask) {
                uint16_t v = sf_syscalls.hash[h];
                if (v == 0)
                        return -1;
                if (strcmp(name, sf_syscalls.names[v - 1]) == 0)
                        return (long)v - 1;
        }
}

SF_EXPORT int sf_syscall_nr(sf_arch arch, const char *name)
{
        long i = sf_syscall_index(name);
        if (i < 0)
                return -2;
        if (!arch_valid(arch))
                return -1;
        return sf_syscalls.arch[arch].nr_by_name[i];
}

SF_EXPORT const char *sf_syscall_name(sf_arch arch, int nr)
{
        if (!arch_valid(arch))
                return NULL;
        const sf_syscall_arch_table *t = &sf_syscalls.arch[arch];
        size_t lo = 0, hi = t->count;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->by_nr[mid].nr == nr)
                        return sf_syscalls.names[t->by_nr[mid].name];
                if (t->by_nr[mid].nr > nr)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return NULL;
}

SF_EXPORT bool sf_syscall_known(const char *name)
{
        return sf_syscall_index(name) >= 0;
}

#ifndef SF_LIBSECCOMP_VERSION
#define SF_LIBSECCOMP_VERSION "of this build" /* meson passes the version */
#endif

/* Syscalls of newer kernels than the libseccomp the tables come from
 * (arch/newer.h: facts from the kernel's tables, added to sysfence's tables by
 * the generator, which marks them): sysfence records and compiles them by
 * name; runc and crun, linked with that libseccomp, skip them in a profile. */
SF_EXPORT const char *sf_syscall_newer(const char *name, const char **ret_tables)
{
        long idx = sf_syscall_index(name);
        if (idx < 0 || !sf_syscall_from_facts[idx])
                return NULL;
        for (size_t i = 0; i < sizeof(sf_newer_syscalls) / sizeof(sf_newer_syscalls[0]); i++)
                if (strcmp(sf_newer_syscalls[i].name, name) == 0) {
                        if (ret_tables)
                                *ret_tables = "libseccomp " SF_LIBSECCOMP_VERSION;
                        return sf_newer_syscalls[i].since;
                }
        return NULL;
}

/* The characters of s as bits (folded mod 64), and its length up to 65. */
static uint64_t char_bits(const char *s, size_t *ret_len)
{
        uint64_t m = 0;
        size_t n = 0;
        for (; s[n] && n <= 64; n++)
                m |= UINT64_C(1) << ((unsigned char)s[n] & 63);
        *ret_len = n;
        return m;
}

SF_EXPORT const char *sf_syscall_suggest(const char *name)
{
        if (!name || sf_syscall_known(name))
                return NULL;
        size_t len;
        uint64_t bits = char_bits(name, &len);
        if (len > 64)
                return NULL; /* sf_edit_distance() gives up on such names anyway */
        const char *best = NULL;
        unsigned best_d = 3;  /* suggest at most 2 edits away */
        /* Names are in strcmp order, so a strict < keeps the first of a tie. */
        for (uint32_t i = 0; i < sf_syscalls.name_count && best_d > 1; i++) {
                /* Two edits change the length by at most 2 and the set of characters
                 * by at most 4: most names are ruled out without the distance. */
                size_t l;
                uint64_t b = char_bits(sf_syscalls.names[i], &l);
                if ((l > len ? l - len : len - l) > 2 || __builtin_popcountll(b ^ bits) > 4)
                        continue;
                unsigned d = sf_edit_distance(name, sf_syscalls.names[i], 2);
                if (d < best_d) {
                        best_d = d;
                        best = sf_syscalls.names[i];
                }
        }
        return best;
}

SF_EXPORT size_t sf_syscall_count(sf_arch arch)
{
        return arch_valid(arch) ? sf_syscalls.arch[arch].count : 0;
}

SF_EXPORT bool sf_syscall_at(sf_arch arch, size_t i, int *ret_nr, const char **ret_name)
{
        if (!arch_valid(arch) || i >= sf_syscalls.arch[arch].count)
                return false;
        const sf_syscall_entry *e = &sf_syscalls.arch[arch].by_nr[i];
        if (ret_nr)
                *ret_nr = e->nr;
        if (ret_name)
                *ret_name = sf_syscalls.names[e->name];
        return true;
}

SF_EXPORT int sf_syscall_max(sf_arch arch)
{
        return arch_valid(arch) ? sf_syscalls.arch[arch].max_nr : -1;
}

SF_EXPORT bool sf_arch_big_endian(sf_arch a)
{
        switch (a) {
        case SF_ARCH_PPC64:
        case SF_ARCH_PPC:
        case SF_ARCH_S390X:
        case SF_ARCH_S390:
        case SF_ARCH_MIPS:
        case SF_ARCH_MIPS64:
        case SF_ARCH_MIPS64N32:
        case SF_ARCH_PARISC:
        case SF_ARCH_PARISC64:
                return true;
        default:
                return false;
        }
}


long sf_syscall_index_of_nr(sf_arch arch, int nr)
{
        if (!arch_valid(arch))
                return -1;
        const sf_syscall_arch_table *t = &sf_syscalls.arch[arch];
        size_t lo = 0, hi = t->count;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->by_nr[mid].nr == nr)
                        return (long)t->by_nr[mid].name;
                if (t->by_nr[mid].nr > nr)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return -1;
}

SF_EXPORT bool sf_arch_muxes(sf_arch a)
{
        switch (a) {
        case SF_ARCH_X86:
        case SF_ARCH_S390:
        case SF_ARCH_S390X:
        case SF_ARCH_PPC:
        case SF_ARCH_PPC64:
        case SF_ARCH_PPC64LE:
        case SF_ARCH_MIPS:
        case SF_ARCH_MIPSEL:
                return true;
        default:
                return false;
        }
}
