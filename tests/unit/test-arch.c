/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Architectures, syscall tables and capabilities.  The tables are checked against
 * libseccomp itself, name by name and number by number, on every arch. */
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/caps.h"
#include "arch/tables.h"
#include "sysfence/arch.h"

#define N_TESTS 60

#include "tap.h"

static bool streq_null(const char *a, const char *b)
{
        return a == b || (a && b && strcmp(a, b) == 0);
}

/* libseccomp's token for each sf_arch; the library itself does not need them. */
static const uint32_t scmp_token[SF_ARCH__COUNT] = {
        [SF_ARCH_X86_64] = SCMP_ARCH_X86_64,
        [SF_ARCH_X86] = SCMP_ARCH_X86,
        [SF_ARCH_X32] = SCMP_ARCH_X32,
        [SF_ARCH_AARCH64] = SCMP_ARCH_AARCH64,
        [SF_ARCH_ARM] = SCMP_ARCH_ARM,
        [SF_ARCH_PPC64LE] = SCMP_ARCH_PPC64LE,
        [SF_ARCH_PPC64] = SCMP_ARCH_PPC64,
        [SF_ARCH_PPC] = SCMP_ARCH_PPC,
        [SF_ARCH_S390X] = SCMP_ARCH_S390X,
        [SF_ARCH_S390] = SCMP_ARCH_S390,
        [SF_ARCH_RISCV64] = SCMP_ARCH_RISCV64,
        [SF_ARCH_MIPS] = SCMP_ARCH_MIPS,
        [SF_ARCH_MIPSEL] = SCMP_ARCH_MIPSEL,
        [SF_ARCH_MIPS64] = SCMP_ARCH_MIPS64,
        [SF_ARCH_MIPSEL64] = SCMP_ARCH_MIPSEL64,
        [SF_ARCH_MIPS64N32] = SCMP_ARCH_MIPS64N32,
        [SF_ARCH_MIPSEL64N32] = SCMP_ARCH_MIPSEL64N32,
        [SF_ARCH_PARISC] = SCMP_ARCH_PARISC,
        [SF_ARCH_PARISC64] = SCMP_ARCH_PARISC64,
};

/* Every name of the table on `arch` agrees with libseccomp: a non-negative answer
 * is the number; a negative one (a pseudo-syscall or none) allows only -1 or a
 * real number libseccomp itself names so (i386's direct socket calls). */
static bool names_agree(sf_arch arch, unsigned *ret_checked, unsigned *ret_direct)
{
        bool ok = true;
        unsigned checked = 0, direct = 0;
        for (uint32_t i = 0; i < sf_syscalls.name_count; i++) {
                const char *name = sf_syscalls.names[i];
                if (sf_syscall_from_facts[i])
                        continue; /* newer than libseccomp: test_newer_facts */
                int want = seccomp_syscall_resolve_name_arch(scmp_token[arch], name);
                int got = sf_syscall_nr(arch, name);
                bool good;
                if (want >= 0) {
                        good = got == want;
                        checked++;
                } else if (got == -1) {
                        good = true;
                } else {
                        char *back = got >= 0 ? seccomp_syscall_resolve_num_arch(scmp_token[arch], got) : NULL;
                        good = back && strcmp(back, name) == 0;
                        direct++;
                        free(back);
                }
                if (!good) {
                        printf("#   %s: \"%s\": table %d, libseccomp %d\n",
                               sf_arch_short_name(arch), name, got, want);
                        ok = false;
                }
        }
        *ret_checked = checked;
        *ret_direct = direct;
        return ok;
}

/* The other way round: every number libseccomp names in the arch's range is in
 * the table under that name. */
static bool numbers_complete(sf_arch arch)
{
        static const int32_t ranges[][2] = {
                { 0, 0x2000 }, { 0x0f0000, 0x0f1000 }, { 0x40000000, 0x40002000 },
        };
        int32_t base = arch == SF_ARCH_X32 ? 0x40000000
                     : arch == SF_ARCH_MIPS || arch == SF_ARCH_MIPSEL ? 4000
                     : arch == SF_ARCH_MIPS64 || arch == SF_ARCH_MIPSEL64 ? 5000
                     : arch == SF_ARCH_MIPS64N32 || arch == SF_ARCH_MIPSEL64N32 ? 6000 : 0;
        bool ok = true;
        for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
                for (int32_t nr = ranges[r][0] < base ? base : ranges[r][0]; nr < ranges[r][1]; nr++) {
                        char *want = seccomp_syscall_resolve_num_arch(scmp_token[arch], nr);
                        const char *got = sf_syscall_name(arch, nr);
                        long gi = got ? sf_syscall_index(got) : -1;
                        if (!want && gi >= 0 && sf_syscall_from_facts[gi])
                                continue; /* a number libseccomp does not know yet */
                        if (!streq_null(want, got)) {
                                printf("#   %s: %" PRId32 ": table \"%s\", libseccomp \"%s\"\n",
                                       sf_arch_short_name(arch), nr, got ? got : "(none)",
                                       want ? want : "(none)");
                                ok = false;
                        }
                        free(want);
                }
        return ok;
}

/* sf_syscall_at walks ascending numbers, each of which maps back to its name. */
static bool walk_consistent(sf_arch arch)
{
        size_t n = sf_syscall_count(arch);
        int prev = -1, nr = -1;
        const char *name = NULL;
        for (size_t i = 0; i < n; i++) {
                if (!sf_syscall_at(arch, i, &nr, &name) || nr <= prev ||
                    sf_syscall_nr(arch, name) != nr || !streq_null(sf_syscall_name(arch, nr), name))
                        return false;
                prev = nr;
        }
        return n > 0 && prev == sf_syscall_max(arch) && !sf_syscall_at(arch, n, &nr, &name);
}

static void test_tables(void)
{
        bool sorted = sf_syscalls.name_count > 400;
        for (uint32_t i = 1; i < sf_syscalls.name_count; i++)
                if (strcmp(sf_syscalls.names[i - 1], sf_syscalls.names[i]) >= 0)
                        sorted = false;
        CHECK(sorted, "%" PRIu32 " names, strictly sorted", sf_syscalls.name_count);

        for (int a = SF_ARCH_NONE + 1; a < SF_ARCH__COUNT; a++) {
                unsigned checked = 0, direct = 0;
                bool agree = names_agree((sf_arch)a, &checked, &direct);
                bool complete = numbers_complete((sf_arch)a);
                bool walk = walk_consistent((sf_arch)a);
                CHECK(agree && complete && walk && checked > 250,
                      "%s: %zu syscalls up to %d agree with libseccomp both ways "
                      "(%u by name, %u direct calls it names by number only)",
                      sf_arch_short_name((sf_arch)a), sf_syscall_count((sf_arch)a),
                      sf_syscall_max((sf_arch)a), checked, direct);
        }
}

/* The syscalls newer than libseccomp (arch/newer.h) have the kernel's numbers. */
static void test_newer_facts(void)
{
        CHECK(sf_syscall_nr(SF_ARCH_X86_64, "mseal") == 462 && sf_syscall_nr(SF_ARCH_X86, "mseal") == 462 &&
              sf_syscall_nr(SF_ARCH_AARCH64, "mseal") == 462 && sf_syscall_nr(SF_ARCH_X32, "mseal") == 0x40000000 + 462 &&
              sf_syscall_nr(SF_ARCH_MIPS64, "mseal") == 5462 && sf_syscall_nr(SF_ARCH_MIPS, "mseal") == 4462 &&
              streq_null(sf_syscall_name(SF_ARCH_X86_64, 462), "mseal"),
              "mseal is 462 (x86_64, i386, arm64), x32 bit + 462, mips 4462 and 5462, as the kernel's tables");
        CHECK(sf_syscall_nr(SF_ARCH_X86_64, "uretprobe") == 335 && sf_syscall_nr(SF_ARCH_AARCH64, "uretprobe") == -1 &&
              sf_syscall_nr(SF_ARCH_X86_64, "file_setattr") == 469,
              "uretprobe is x86_64's only (335); file_setattr is 469");
        const char *tables = NULL;
        bool lib_knows = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "mseal") >= 0;
        CHECK((lib_knows ? sf_syscall_newer("mseal", &tables) == NULL
                         : streq_null(sf_syscall_newer("mseal", &tables), "6.10") && tables && strstr(tables, "libseccomp")) &&
              sf_syscall_newer("read", NULL) == NULL && sf_syscall_newer("opn", NULL) == NULL,
              "mseal is newer than this libseccomp (Linux 6.10) unless it names it; read is not");
}

static void test_syscall_facts(void)
{
        CHECK(sf_syscall_nr(SF_ARCH_X86_64, "read") == 0, "read is 0 on x86_64");
        CHECK(sf_syscall_nr(SF_ARCH_X86, "open") == 5, "open is 5 on x86");
        CHECK(sf_syscall_nr(SF_ARCH_X32, "read") == 0x40000000, "read is 0x40000000 on x32");
        CHECK(sf_syscall_nr(SF_ARCH_AARCH64, "openat") == 56, "openat is 56 on aarch64");
        CHECK(sf_syscall_nr(SF_ARCH_AARCH64, "open") == -1, "open is not on aarch64");
        CHECK(sf_syscall_nr(SF_ARCH_X86_64, "opn") == -2 && !sf_syscall_known("opn"),
              "opn is unknown");
        CHECK(streq_null(sf_syscall_suggest("opn"), "open"), "opn suggests open");
        CHECK(sf_syscall_suggest("open") == NULL && sf_syscall_suggest("qqqqqqqqqqqq") == NULL &&
              sf_syscall_suggest(NULL) == NULL,
              "no suggestion for a known name or a far one");
        CHECK(streq_null(sf_syscall_suggest("clone4"), "clone"), "ties go to the first name");
        CHECK(sf_syscall_nr(SF_ARCH_X86, "socket") == 359 &&
              sf_syscall_nr(SF_ARCH_X86, "socketcall") == 102 &&
              sf_syscall_nr(SF_ARCH_X86, "accept") == -1,
              "x86: socket is the direct 359, accept only multiplexed");
        CHECK(sf_syscall_nr(SF_ARCH_MIPS, "read") == 4003 && sf_syscall_nr(SF_ARCH_MIPS64, "read") == 5000 &&
              sf_syscall_nr(SF_ARCH_MIPS64N32, "read") == 6000,
              "mips numbers carry their ABI base");
        CHECK(sf_syscall_nr(SF_ARCH_ARM, "cacheflush") == 0x0f0002 &&
              sf_syscall_max(SF_ARCH_ARM) >= 0x0f0002,
              "arm private calls are at 0x0f0000");
        CHECK(streq_null(sf_syscall_name(SF_ARCH_X86_64, 59), "execve") &&
              streq_null(sf_syscall_name(SF_ARCH_X32, 0x40000000 + 520), "execve") &&
              sf_syscall_name(SF_ARCH_X32, 520) == NULL && sf_syscall_name(SF_ARCH_X86_64, -1) == NULL &&
              sf_syscall_name(SF_ARCH_X86_64, 100000) == NULL,
              "number to name, x32 only with its bit");
        CHECK(sf_syscall_nr(SF_ARCH_NONE, "read") == -1 && sf_syscall_nr(SF_ARCH__COUNT, "read") == -1 &&
              sf_syscall_nr(SF_ARCH_X86_64, NULL) == -2 && sf_syscall_name(SF_ARCH_NONE, 0) == NULL &&
              sf_syscall_count(SF_ARCH_NONE) == 0 && sf_syscall_max(SF_ARCH_NONE) == -1 &&
              !sf_syscall_at(SF_ARCH_NONE, 0, NULL, NULL) && !sf_syscall_known(NULL),
              "no arch, no name: nothing");
        CHECK(sf_syscall_max(SF_ARCH_X32) > 0x40000000 + 512 && sf_syscall_max(SF_ARCH_X86_64) < 0x40000000,
              "x32 max includes the x32 bit");
}

static void test_arch_names(void)
{
        static const struct {
                sf_arch arch;
                const char *scmp, *short_name;
                uint32_t audit;
                bool is_64bit;
        } want[] = {
                { SF_ARCH_X86_64, "SCMP_ARCH_X86_64", "amd64", AUDIT_ARCH_X86_64, true },
                { SF_ARCH_X86, "SCMP_ARCH_X86", "x86", AUDIT_ARCH_I386, false },
                { SF_ARCH_X32, "SCMP_ARCH_X32", "x32", AUDIT_ARCH_X86_64, false },
                { SF_ARCH_AARCH64, "SCMP_ARCH_AARCH64", "arm64", AUDIT_ARCH_AARCH64, true },
                { SF_ARCH_ARM, "SCMP_ARCH_ARM", "arm", AUDIT_ARCH_ARM, false },
                { SF_ARCH_PPC64LE, "SCMP_ARCH_PPC64LE", "ppc64le", AUDIT_ARCH_PPC64LE, true },
                { SF_ARCH_PPC64, "SCMP_ARCH_PPC64", "ppc64", AUDIT_ARCH_PPC64, true },
                { SF_ARCH_PPC, "SCMP_ARCH_PPC", "ppc", AUDIT_ARCH_PPC, false },
                { SF_ARCH_S390X, "SCMP_ARCH_S390X", "s390x", AUDIT_ARCH_S390X, true },
                { SF_ARCH_S390, "SCMP_ARCH_S390", "s390", AUDIT_ARCH_S390, false },
                { SF_ARCH_RISCV64, "SCMP_ARCH_RISCV64", "riscv64", AUDIT_ARCH_RISCV64, true },
                { SF_ARCH_MIPS, "SCMP_ARCH_MIPS", "mips", AUDIT_ARCH_MIPS, false },
                { SF_ARCH_MIPSEL, "SCMP_ARCH_MIPSEL", "mipsle", AUDIT_ARCH_MIPSEL, false },
                { SF_ARCH_MIPS64, "SCMP_ARCH_MIPS64", "mips64", AUDIT_ARCH_MIPS64, true },
                { SF_ARCH_MIPSEL64, "SCMP_ARCH_MIPSEL64", "mips64le", AUDIT_ARCH_MIPSEL64, true },
                { SF_ARCH_MIPS64N32, "SCMP_ARCH_MIPS64N32", "mips64n32", AUDIT_ARCH_MIPS64N32, false },
                { SF_ARCH_MIPSEL64N32, "SCMP_ARCH_MIPSEL64N32", "mips64len32", AUDIT_ARCH_MIPSEL64N32, false },
                { SF_ARCH_PARISC, "SCMP_ARCH_PARISC", "parisc", AUDIT_ARCH_PARISC, false },
                { SF_ARCH_PARISC64, "SCMP_ARCH_PARISC64", "parisc64", AUDIT_ARCH_PARISC64, true },
        };
        CHECK(sizeof(want) / sizeof(want[0]) == SF_ARCH__COUNT - 1, "every arch is listed here");

        bool names = true, audit = true, bits = true;
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                sf_arch a = want[i].arch;
                if (!streq_null(sf_arch_scmp_name(a), want[i].scmp) ||
                    !streq_null(sf_arch_short_name(a), want[i].short_name) ||
                    sf_arch_from_name(want[i].scmp) != a || sf_arch_from_name(want[i].short_name) != a) {
                        printf("#   names of %s\n", want[i].scmp);
                        names = false;
                }
                /* libseccomp's tokens are the audit values, except x32's own token */
                if (sf_arch_audit(a) != want[i].audit ||
                    (a != SF_ARCH_X32 && sf_arch_audit(a) != scmp_token[a]) ||
                    sf_arch_from_audit(want[i].audit) != (a == SF_ARCH_X32 ? SF_ARCH_X86_64 : a)) {
                        printf("#   audit value of %s\n", want[i].scmp);
                        audit = false;
                }
                if (sf_arch_is_64bit(a) != want[i].is_64bit)
                        bits = false;
        }
        CHECK(names, "SCMP_ARCH_* and short names round-trip");
        CHECK(audit, "AUDIT_ARCH_* values, and back (x32 reads as x86_64)");
        CHECK(bits, "64-bit arches as libseccomp sizes them (x32 and n32 are 32-bit)");

        CHECK(sf_arch_audit(SF_ARCH_NONE) == 0 && sf_arch_from_audit(0) == SF_ARCH_NONE &&
              sf_arch_from_audit(0xdeadbeef) == SF_ARCH_NONE && sf_arch_scmp_name(SF_ARCH_NONE) == NULL &&
              sf_arch_short_name(SF_ARCH__COUNT) == NULL && !sf_arch_is_64bit(SF_ARCH_NONE),
              "SF_ARCH_NONE and out of range");

        static const struct {
                const char *name;
                sf_arch arch;
        } aliases[] = {
                { "x86_64", SF_ARCH_X86_64 }, { "amd64", SF_ARCH_X86_64 },
                { "386", SF_ARCH_X86 }, { "i386", SF_ARCH_X86 }, { "i686", SF_ARCH_X86 },
                { "x86", SF_ARCH_X86 }, { "aarch64", SF_ARCH_AARCH64 }, { "arm64", SF_ARCH_AARCH64 },
                { "armv7l", SF_ARCH_ARM }, { "ppc64el", SF_ARCH_PPC64LE },
                { "mipsel", SF_ARCH_MIPSEL }, { "mipsle", SF_ARCH_MIPSEL },
                { "mipsel64", SF_ARCH_MIPSEL64 }, { "mips64le", SF_ARCH_MIPSEL64 },
                { "mipsel64n32", SF_ARCH_MIPSEL64N32 }, { "mips64len32", SF_ARCH_MIPSEL64N32 },
                { "parisc64", SF_ARCH_PARISC64 },
        };
        bool alias_ok = true;
        for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
                if (sf_arch_from_name(aliases[i].name) != aliases[i].arch) {
                        printf("#   alias %s\n", aliases[i].name);
                        alias_ok = false;
                }
        CHECK(alias_ok, "uname -m, GOARCH and libseccomp spellings");
        CHECK(sf_arch_from_name("AMD64") == SF_ARCH_NONE && sf_arch_from_name("scmp_arch_x86_64") == SF_ARCH_NONE &&
              sf_arch_from_name("") == SF_ARCH_NONE && sf_arch_from_name(NULL) == SF_ARCH_NONE &&
              sf_arch_from_name("sparc64") == SF_ARCH_NONE,
              "names are case-sensitive; unknown ones are SF_ARCH_NONE");
#if defined(__x86_64__) && !defined(__ILP32__)
        CHECK(sf_arch_native() == SF_ARCH_X86_64, "native arch is x86_64");
#else
        CHECK(sf_arch_native() != SF_ARCH_NONE, "native arch is known");
#endif
        CHECK(sf_arch_audit(sf_arch_native()) == seccomp_arch_native() ||
              sf_arch_native() == SF_ARCH_X32,
              "native arch agrees with libseccomp");
}

static void test_caps(void)
{
        static const struct {
                int nr;
                const char *name;
        } kernel[] = {
                { CAP_CHOWN, "CAP_CHOWN" }, { CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE" },
                { CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" }, { CAP_FOWNER, "CAP_FOWNER" },
                { CAP_FSETID, "CAP_FSETID" }, { CAP_KILL, "CAP_KILL" }, { CAP_SETGID, "CAP_SETGID" },
                { CAP_SETUID, "CAP_SETUID" }, { CAP_SETPCAP, "CAP_SETPCAP" },
                { CAP_LINUX_IMMUTABLE, "CAP_LINUX_IMMUTABLE" },
                { CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE" },
                { CAP_NET_BROADCAST, "CAP_NET_BROADCAST" }, { CAP_NET_ADMIN, "CAP_NET_ADMIN" },
                { CAP_NET_RAW, "CAP_NET_RAW" }, { CAP_IPC_LOCK, "CAP_IPC_LOCK" },
                { CAP_IPC_OWNER, "CAP_IPC_OWNER" }, { CAP_SYS_MODULE, "CAP_SYS_MODULE" },
                { CAP_SYS_RAWIO, "CAP_SYS_RAWIO" }, { CAP_SYS_CHROOT, "CAP_SYS_CHROOT" },
                { CAP_SYS_PTRACE, "CAP_SYS_PTRACE" }, { CAP_SYS_PACCT, "CAP_SYS_PACCT" },
                { CAP_SYS_ADMIN, "CAP_SYS_ADMIN" }, { CAP_SYS_BOOT, "CAP_SYS_BOOT" },
                { CAP_SYS_NICE, "CAP_SYS_NICE" }, { CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE" },
                { CAP_SYS_TIME, "CAP_SYS_TIME" }, { CAP_SYS_TTY_CONFIG, "CAP_SYS_TTY_CONFIG" },
                { CAP_MKNOD, "CAP_MKNOD" }, { CAP_LEASE, "CAP_LEASE" },
                { CAP_AUDIT_WRITE, "CAP_AUDIT_WRITE" }, { CAP_AUDIT_CONTROL, "CAP_AUDIT_CONTROL" },
                { CAP_SETFCAP, "CAP_SETFCAP" }, { CAP_MAC_OVERRIDE, "CAP_MAC_OVERRIDE" },
                { CAP_MAC_ADMIN, "CAP_MAC_ADMIN" }, { CAP_SYSLOG, "CAP_SYSLOG" },
                { CAP_WAKE_ALARM, "CAP_WAKE_ALARM" }, { CAP_BLOCK_SUSPEND, "CAP_BLOCK_SUSPEND" },
                { CAP_AUDIT_READ, "CAP_AUDIT_READ" }, { CAP_PERFMON, "CAP_PERFMON" },
                { CAP_BPF, "CAP_BPF" }, { CAP_CHECKPOINT_RESTORE, "CAP_CHECKPOINT_RESTORE" },
        };
        bool match = sizeof(kernel) / sizeof(kernel[0]) == SF_CAP_LAST + 1 && CAP_LAST_CAP == SF_CAP_LAST;
        for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++)
                if (sf_cap_from_name(kernel[i].name) != kernel[i].nr ||
                    !streq_null(sf_cap_name(kernel[i].nr), kernel[i].name)) {
                        printf("#   %s\n", kernel[i].name);
                        match = false;
                }
        CHECK(match, "capability numbers match <linux/capability.h>");
        CHECK(sf_cap_from_name("CAP_SYS_ADMIN") == 21 && sf_cap_from_name("SYS_ADMIN") == -1 &&
              sf_cap_from_name("cap_sys_admin") == -1 && sf_cap_from_name("CAP_NOPE") == -1 &&
              sf_cap_from_name(NULL) == -1,
              "sf_cap_from_name takes the exact profile spelling");
        CHECK(sf_cap_name(-1) == NULL && sf_cap_name(41) == NULL, "sf_cap_name out of range");
        CHECK(streq_null(sf_cap_suggest("CAP_SYS_ADMN"), "CAP_SYS_ADMIN") &&
              streq_null(sf_cap_suggest("sys_admin"), "CAP_SYS_ADMIN") &&
              streq_null(sf_cap_suggest("cap_net_raw"), "CAP_NET_RAW") &&
              sf_cap_suggest("CAP_SYS_ADMIN") == NULL && sf_cap_suggest("CAP_WHATEVER_ELSE") == NULL,
              "sf_cap_suggest");

        uint64_t def = sf_caps_default();
        uint64_t want_def = 0;
        static const int def_caps[] = {
                CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
                CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
                CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
        };
        for (size_t i = 0; i < sizeof(def_caps) / sizeof(def_caps[0]); i++)
                want_def |= UINT64_C(1) << def_caps[i];
        CHECK(def == want_def && __builtin_popcountll(def) == 14, "default set: Docker's 14");
        CHECK(sf_caps_all() == (UINT64_C(1) << 41) - 1, "all: 41 capabilities");

        uint64_t caps = 0;
        const char *bad = NULL;
        CHECK(sf_caps_parse("default", &caps, &bad) == 0 && caps == def, "parse default");
        CHECK(sf_caps_parse("ALL", &caps, &bad) == 0 && caps == sf_caps_all(), "parse ALL");
        CHECK(sf_caps_parse("none", &caps, &bad) == 0 && caps == 0, "parse none");
        CHECK(sf_caps_parse("default,CAP_SYS_ADMIN", &caps, &bad) == 0 &&
              caps == (def | UINT64_C(1) << CAP_SYS_ADMIN),
              "parse default,CAP_SYS_ADMIN");
        CHECK(sf_caps_parse("none, net_admin ,Cap_Sys_Ptrace,bpf", &caps, &bad) == 0 &&
              caps == (UINT64_C(1) << CAP_NET_ADMIN | UINT64_C(1) << CAP_SYS_PTRACE | UINT64_C(1) << CAP_BPF),
              "parse names without prefix, any case, spaces");

        caps = 42;
        bad = NULL;
        const char *list = "default,CAP_SYS_ADMN,all";
        CHECK(sf_caps_parse(list, &caps, &bad) == -EINVAL && caps == 42 && bad == list + 8 &&
              strcspn(bad, ",") == strlen("CAP_SYS_ADMN"),
              "bad item: -EINVAL, points at it, leaves the result alone");
        list = "default,,all";
        CHECK(sf_caps_parse(list, &caps, &bad) == -EINVAL && bad == list + 8 &&
              sf_caps_parse("", &caps, &bad) == -EINVAL && sf_caps_parse("all,", &caps, NULL) == -EINVAL &&
              sf_caps_parse("CAP_", &caps, NULL) == -EINVAL && sf_caps_parse(NULL, &caps, NULL) == -EINVAL,
              "empty items are errors");
}

int main(void)
{
        printf("1..%d\n", N_TESTS);
        test_tables();
        test_syscall_facts();
        test_newer_facts();
        test_arch_names();
        test_caps();
        if (test_no != N_TESTS) {
                printf("# planned %d tests, ran %d\n", N_TESTS, test_no);
                return EXIT_FAILURE;
        }
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
