/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inputs the fuzzer found slow, replayed as fuzz-profile replays them (its
 * structured recipe, its node and arches: tests/fuzz/recipe.h), so that a
 * cost regression fails here and not only in a long fuzz run.
 *
 * The first: 1,272 random argument rules on x86 made the rule tree (libseccomp's,
 * which the compiler follows) take 1.2 s to build, 14 s under the fuzz build's
 * sanitizers.  The compiler bounds the tree's walks for a whole arch and
 * refuses such a profile, saying why; without the bound it compiles, slowly,
 * and this test fails.
 *
 * The second: 98 random argument rules (found by replaying random recipes)
 * leave a level of mmap's tree linked into a loop, and building the program
 * from it walked that level forever (compile and check never returned).  The
 * walks that build the argument checks are bounded too; without the bound
 * this test runs into meson's timeout.
 *
 * No time is measured: the refusal is the contract. */
#include <errno.h>
#include <string.h>

#include "../fuzz/recipe.h"
#include "tap.h"

/* shape 1 (many rules, random names), count 0x04f8 = 1272, then the seed bytes */
static const uint8_t slow_x86[] = { 0x01, 0x01, 0x04, 0xf8, 0x9e, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
                                    0x68, 0x01, 0x00, 0x00, 0x0d, 0x69, 0x6a, 0xff, 0x03, 0x80 };

/* shape 1, count 0x0062 = 98 */
static const uint8_t loop_x86_64[] = { 0x01, 0x01, 0x00, 0x62, 0xfb, 0xef, 0x84, 0xa8, 0x77, 0xec, 0x4e, 0x44,
                                       0x29, 0xe8, 0x0e, 0x2b, 0xba, 0x76, 0x91, 0x78, 0x91, 0xe1, 0x6d };

/* Expands the recipe, loads it and compiles it as fuzz-profile's check_compile
 * does; the profile's rule count in *ret_rules, the compiler's result returned
 * and its message in *ret_msg (malloc'd, or NULL). */
static int replay(const uint8_t *in, size_t n_in, size_t *ret_rules, char **ret_msg)
{
        size_t len = 0;
        char *text = fuzz_expand(in, n_in, &len);
        *ret_rules = 0;
        *ret_msg = NULL;
        if (!text)
                return -EINVAL;
        /* '{': fuzz-profile takes it as JSON (bit 4 of the first byte) */
        const sf_load_opts lopts = { .display_name = "x.json" };
        sf_profile **v = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        int r = sf_profile_load_data(text, len, "x.json", &lopts, &v, &n, NULL, &err);
        if (r < 0 || n != 1) {
                *ret_msg = strdup(err ? sf_error_message(err) : "not one profile");
                sf_error_free(err);
                sf_profiles_free(v, n);
                free(text);
                return r < 0 ? r : -EINVAL;
        }
        *ret_rules = v[0]->n_rules;
        sf_target target;
        fuzz_target(&target);
        sf_compile_opts copts = fuzz_compile_opts(&target, len);
        sf_diags diags = { 0 };
        sf_prog *prog = NULL;
        r = sf_compile(v[0], &copts, &prog, &diags, &err);
        if (r < 0) {
                *ret_msg = strdup(sf_error_message(err));
                sf_error_free(err);
        }
        sf_prog_free(prog);
        sf_diags_release(&diags);
        sf_profiles_free(v, n);
        free(text);
        return r;
}

int main(void)
{
        size_t rules;
        char *msg;

        int r = replay(slow_x86, sizeof(slow_x86), &rules, &msg);
        TEST(rules == 1272, "the fuzzer's slow input expands to its 1,272 rules (got %zu)", rules);
        TEST(r == -E2BIG, "it is refused (%d: %s)", r, msg ? msg : "compiled");
        TEST(msg && strstr(msg, "on x86, the rule tree") && strstr(msg, "takes more than 67108864 steps to build"),
             "the refusal names the arch and the rule tree's step bound: %s", msg ? msg : "(no message)");
        free(msg);

        r = replay(loop_x86_64, sizeof(loop_x86_64), &rules, &msg);
        TEST(rules == 98 && r == -E2BIG && msg &&
                     strstr(msg, "on amd64, building the argument checks from the rule tree takes more than 16777216 steps"),
             "98 rules whose tree gets a loop are refused by the lowering's step bound (%d: %s)", r, msg ? msg : "compiled");
        free(msg);

        /* The same recipe with fewer rules is an ordinary profile: what refuses the
         * input above is its cost, not its shape. */
        uint8_t small[sizeof(slow_x86)];
        memcpy(small, slow_x86, sizeof(small));
        small[2] = 0x00;
        small[3] = 0x40; /* 64 rules */
        r = replay(small, sizeof(small), &rules, &msg);
        TEST(rules == 64 && r == 0, "64 rules of the same recipe compile (%d: %s)", r, msg ? msg : "ok");
        free(msg);

        printf("1..%d\n", test_no);
        return failed ? 1 : 0;
}
