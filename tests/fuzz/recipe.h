/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What fuzz-profile makes of an input besides parsing it: the structured mode
 * (an input whose first byte is 0x01 is a recipe for a large profile of a
 * hostile shape) and the node and arches it compiles for.  A header of its
 * own, so that a unit test replays an input exactly as the fuzz target does. */
#ifndef SF_FUZZ_RECIPE_H
#define SF_FUZZ_RECIPE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sysfence/bpf.h"
#include "sysfence/profile.h"

/* A fixed node, so that an input behaves the same on every machine. */
static void fuzz_target(sf_target *t)
{
        sf_target_default(t);
        t->arch = SF_ARCH_X86_64;
        t->kernel_major = 6;
        t->kernel_minor = 1;
}

static const sf_arch fuzz_compile_arches[] = { SF_ARCH_X86_64, SF_ARCH_X86, SF_ARCH_X32 };

/* How the fuzz target compiles an input of `size` bytes (the profile's text). */
static sf_compile_opts fuzz_compile_opts(const sf_target *t, size_t size)
{
        return (sf_compile_opts){
                .target = *t,
                .arches = fuzz_compile_arches,
                .n_arches = sizeof(fuzz_compile_arches) / sizeof(fuzz_compile_arches[0]),
                .enosys_unknown = size & 1,
        };
}

/* Aborts: libFuzzer keeps the input, a test fails. */
static void recipe_oom(void)
{
        fputs("fuzz recipe: out of memory\n", stderr);
        abort();
}

/* A growing text for the structured mode (aborts on ENOMEM: libFuzzer reports it). */
typedef struct recipe_text {
        char *s;
        size_t n, cap;
} recipe_text;

static void recipe_put(recipe_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void recipe_put(recipe_text *t, const char *fmt, ...)
{
        for (;;) {
                va_list ap;
                va_start(ap, fmt);
                int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
                va_end(ap);
                if (k < 0)
                        recipe_oom();
                if (t->s && t->n + (size_t)k < t->cap) {
                        t->n += (size_t)k;
                        return;
                }
                size_t cap = t->cap ? t->cap * 2 : 4096;
                while (cap < t->n + (size_t)k + 1)
                        cap *= 2;
                char *v = realloc(t->s, cap);
                if (!v)
                        recipe_oom();
                t->s = v;
                t->cap = cap;
        }
}

static const char *const names[] = { "read", "write", "open", "close", "socket", "ioctl", "mmap", "clone",
                                     "execve", "futex", "sendto", "personality" };
static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                   "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };

/* The recipe: shape, a count (two bytes), then seed bytes used in turn for
 * values, operators, indexes, actions and names. */
static char *fuzz_expand(const uint8_t *d, size_t n, size_t *ret_len)
{
        if (n < 4)
                return NULL;
        unsigned shape = d[1] % 4, count = (unsigned)d[2] << 8 | d[3];
        const uint8_t *seed = d + 4;
        size_t n_seed = n - 4, at = 0;
#define SEED() (n_seed ? seed[at++ % n_seed] : (uint8_t)at++)
        recipe_text t = { 0 };
        if (shape == 2) { /* one object, many keys; a seed byte may repeat one */
                count %= 65540;
                recipe_put(&t, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"x\":{");
                for (unsigned i = 0; i < count; i++) {
                        uint8_t b = SEED();
                        recipe_put(&t, "%s\"k%u\":%u", i ? "," : "", b == 0xff && i ? i / 2 : i, b);
                }
                recipe_put(&t, "}}");
        } else {
                /* unknown names: 1024 rules (4096 names), since check's duplicate-name and
                 * conflicting-actions tests still compare every pair of names */
                count %= shape == 3 ? 1025 : 16390;
                recipe_put(&t, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\"],\"syscalls\":[");
                for (unsigned i = 0; i < count; i++) {
                        uint8_t b = SEED();
                        recipe_put(&t, "%s{\"names\":[", i ? "," : "");
                        if (shape == 3) /* unknown names, typos of known ones */
                                for (unsigned k = 0; k < 4; k++)
                                        recipe_put(&t, "%s\"%sq%u\"", k ? "," : "", names[SEED() % 12], i * 4 + k);
                        else
                                recipe_put(&t, "\"%s\"", shape == 0 ? "read" : names[b % 12]);
                        recipe_put(&t, "],\"action\":\"%s\"", b & 1 ? "SCMP_ACT_ALLOW" : "SCMP_ACT_LOG");
                        if (shape != 3) {
                                unsigned n_args = 1 + SEED() % 6;
                                recipe_put(&t, ",\"args\":[");
                                for (unsigned a = 0; a < n_args; a++) {
                                        /* one seed byte per statement, in the order clang (the fuzz
                                         * build's compiler) took them from one expression: left to right */
                                        uint64_t v = SEED();
                                        v = v << (SEED() % 8 * 8) | i;
                                        unsigned index = shape == 0 ? 0 : SEED() % 6;
                                        unsigned two = SEED();
                                        const char *op = ops[SEED() % 7];
                                        recipe_put(&t, "%s{\"index\":%u,\"value\":%llu,\"valueTwo\":%u,\"op\":\"%s\"}",
                                                   a ? "," : "", index, (unsigned long long)v, two, op);
                                }
                                recipe_put(&t, "]");
                        }
                        recipe_put(&t, "}");
                }
                recipe_put(&t, "]}");
        }
#undef SEED
        *ret_len = t.n;
        return t.s;
}

#endif
