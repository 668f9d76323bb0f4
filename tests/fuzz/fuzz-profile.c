/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the profile pipeline: both document parsers, the loader,
 * check, resolve, the three writers and the compiler.  Besides "does not crash or
 * leak" it asserts what must hold for every profile the loader accepts:
 *   - the canonical Docker JSON loads again and writes out to the same bytes;
 *   - every compiled program passes the kernel's checks (sf_bpf_validate);
 *   - a syscall the kernel's action cache would allow is allowed by the program.
 * A broken property aborts, so libFuzzer keeps the input as a crash.
 *
 * Structured mode: an input whose first byte is 0x01 is not a profile but a
 * recipe for a large one of a hostile shape (many argument rules on one
 * syscall, many rules, one object with many keys, many unknown names), so the
 * fuzzer reaches sizes where cost, not correctness, breaks; run with
 * -malloc_limit_mb to catch an allocation that grows with the square. */
#include <linux/audit.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfence/bpf.h"
#include "sysfence/profile.h"

#include "recipe.h"

#define X32_SYSCALL_BIT 0x40000000u

static sf_target target;

/* Numbers around the interesting edges: 0, common calls on every table, the top
 * of the tables, far outside them, and the x32 bit with and without a number. */
static const uint32_t probe_nrs[] = {
        0, 1, 2, 3, 11, 59, 60, 231, 252, 322, 435, 1000, 0xffff, 0x7fffffff,
        X32_SYSCALL_BIT, X32_SYSCALL_BIT | 1, X32_SYSCALL_BIT | 59, X32_SYSCALL_BIT | 512, 0xffffffff,
};

static const uint32_t probe_arches[] = {
        AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, 0,
};

/* Says which property broke and aborts, so the input is kept as a crash. */
static void fail(const char *what, const char *detail)
{
        fprintf(stderr, "fuzz-profile: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_target(&target);
        return 0;
}

/* Writes p as Docker JSON, loads that, writes it again: the bytes must match. */
static void check_roundtrip(const sf_profile *p)
{
        char *first = NULL, *second = NULL;
        sf_error *err = NULL;
        sf_profile **again = NULL;
        size_t n_again = 0;

        if (sf_profile_emit(p, SF_FORMAT_DOCKER, &first, &err) < 0) {
                sf_error_free(err);
                return;
        }
        const sf_load_opts opts = { .display_name = "roundtrip.json" };
        if (sf_profile_load_data(first, strlen(first), "roundtrip.json", &opts, &again, &n_again, NULL, &err) < 0) {
                fprintf(stderr, "%s\n", first);
                fail("the canonical docker json does not load", sf_error_message(err));
        }
        if (n_again != 1)
                fail("the canonical docker json loads as more than one profile", NULL);
        if (sf_profile_emit(again[0], SF_FORMAT_DOCKER, &second, &err) < 0)
                fail("the reloaded profile cannot be written", sf_error_message(err));
        if (strcmp(first, second) != 0) {
                fprintf(stderr, "--- first\n%s\n--- second\n%s\n", first, second);
                fail("writing docker json is not idempotent", NULL);
        }
        free(second);
        free(first);
        sf_profiles_free(again, n_again);
}

/* OCI and SeccompProfile output need archMap and includes/excludes resolved. */
static void check_emit_resolved(const sf_profile *p)
{
        sf_profile *rp = NULL;
        sf_error *err = NULL;

        if (sf_profile_resolve(p, &target, &rp, &err) < 0) {
                sf_error_free(err);
                return;
        }
        static const sf_format formats[] = { SF_FORMAT_OCI, SF_FORMAT_CRD };
        for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
                char *text = NULL;
                if (sf_profile_emit(rp, formats[i], &text, &err) < 0) {
                        sf_error_free(err);
                        err = NULL;
                        continue;
                }
                free(text);
        }
        sf_profile_free(rp);
}

static void run_program(const sf_prog *prog, const uint8_t *data, size_t size)
{
        struct seccomp_data d = { 0 };

        /* Arguments from the input, so conditions on them take both ways. */
        memcpy(d.args, data, size < sizeof(d.args) ? size : sizeof(d.args));
        for (size_t a = 0; a < sizeof(probe_arches) / sizeof(probe_arches[0]); a++) {
                for (size_t i = 0; i < sizeof(probe_nrs) / sizeof(probe_nrs[0]); i++) {
                        size_t steps = 0, pc = 0;
                        d.arch = probe_arches[a];
                        d.nr = (int)probe_nrs[i];
                        uint32_t ret = sf_bpf_run(prog->insns, prog->len, &d, &steps, &pc);
                        if (steps > prog->len || pc >= prog->len)
                                fail("the emulator ran off the program", NULL);
                        /* The kernel skips the filter for a cached syscall: the program
                         * must allow it whatever the arguments are. */
                        if (sf_bpf_cacheable(prog->insns, prog->len, d.arch, d.nr) && ret != SECCOMP_RET_ALLOW)
                                fail("a cacheable syscall is not allowed for some arguments", NULL);
                }
        }
}

static void check_compile(const sf_profile *p, const uint8_t *data, size_t size)
{
        sf_compile_opts opts = fuzz_compile_opts(&target, size);
        sf_diags diags = { 0 };
        sf_error *err = NULL;
        sf_prog *prog = NULL;

        if (sf_compile(p, &opts, &prog, &diags, &err) < 0) {
                sf_error_free(err);
                sf_diags_release(&diags);
                return;
        }
        if (sf_bpf_validate(prog->insns, prog->len, &err) < 0)
                fail("the compiled program is not a valid seccomp filter", sf_error_message(err));
        run_program(prog, data, size);
        sf_prog_free(prog);
        sf_diags_release(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *recipe = NULL;
        if (size && data[0] == 0x01) {
                size_t len = 0;
                recipe = (uint8_t *)fuzz_expand(data, size, &len);
                if (!recipe)
                        return 0;
                data = recipe;
                size = len;
        }
        /* Bit 4 of the first byte picks the parser: it is set in '{' and '[' and
         * clear in letters, '-', '#' and whitespace, so the seeds start in their own
         * parser and one mutation sends them to the other. */
        const char *name = size && (data[0] & 0x10) ? "x.json" : "x.yaml";
        const sf_load_opts opts = { .display_name = name };
        sf_profile **v = NULL;
        size_t n = 0;
        sf_diags diags = { 0 };
        sf_error *err = NULL;

        if (sf_profile_load_data((const char *)data, size, name, &opts, &v, &n, &diags, &err) < 0) {
                if (!err)
                        fail("loading failed without an error", NULL);
                sf_error_free(err);
                sf_diags_release(&diags);
                free(recipe);
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                sf_profile_check(v[i], &opts, &diags);
                check_roundtrip(v[i]);
                check_emit_resolved(v[i]);
                check_compile(v[i], data, size);
        }
        sf_profiles_free(v, n);
        sf_diags_release(&diags);
        free(recipe);
        return 0;
}
