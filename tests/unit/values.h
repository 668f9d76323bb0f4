/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Argument values that tell two programs apart, for the tests that prove
 * programs by their decisions (test-diff against libseccomp, test-intersect
 * against its inputs): for every argument, 0, all ones and 1 << 32; for every
 * constant of a profile's argument rules (value, valueTwo and their
 * combinations) the constant itself, ±1, its low word alone, with the high
 * bit of the high word and the whole high word set, its high word, its bit 31
 * flipped and its low word sign-extended; plus N_RANDOM random values per
 * argument where the caller gives RND. */
#ifndef SF_TEST_VALUES_H
#define SF_TEST_VALUES_H

#include <stdint.h>

#include "profile/profile-internal.h"

#define TEST_VALUES_MAX 512

typedef struct test_values {
        uint64_t v[6][TEST_VALUES_MAX];
        size_t n[6];
} test_values;

static void test_values_add(test_values *vs, unsigned idx, uint64_t v)
{
        for (size_t i = 0; i < vs->n[idx]; i++)
                if (vs->v[idx][i] == v)
                        return;
        if (vs->n[idx] < TEST_VALUES_MAX)
                vs->v[idx][vs->n[idx]++] = v;
}

static void test_values_of(test_values *vs, const sf_profile *p, uint64_t (*rnd)(void), unsigned n_random)
{
        for (unsigned i = 0; i < 6; i++) {
                test_values_add(vs, i, 0);
                test_values_add(vs, i, UINT64_MAX);
                test_values_add(vs, i, 1ull << 32);
                for (unsigned k = 0; rnd && k < n_random; k++)
                        test_values_add(vs, i, rnd());
        }
        for (size_t r = 0; r < p->n_rules; r++)
                for (size_t a = 0; a < p->rules[r].n_args; a++) {
                        const sf_arg *g = &p->rules[r].args[a];
                        const uint64_t base[] = { g->value, g->value_two, g->value & g->value_two,
                                                  g->value_two | ~g->value, g->value_two ^ g->value };
                        for (size_t k = 0; k < sizeof(base) / sizeof(base[0]); k++) {
                                uint64_t v = base[k];
                                const uint64_t var[] = { v, v + 1, v - 1, v & 0xffffffffu, v | (1ull << 32),
                                                         v | 0xffffffff00000000ull, v >> 32, v ^ 0x80000000u,
                                                         (uint64_t)(int64_t)(int32_t)(uint32_t)v };
                                for (size_t m = 0; m < sizeof(var) / sizeof(var[0]); m++)
                                        test_values_add(vs, g->index, var[m]);
                        }
                }
}

#endif
