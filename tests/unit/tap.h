/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TAP for the unit tests: one line per check; a failing check also prints
 * where it is.  test_no and failed are the test program's own (one program
 * includes this once). */
#ifndef SF_TEST_TAP_H
#define SF_TEST_TAP_H

#include <stdbool.h>
#include <stdio.h>

#include "feature.h"

static int test_no, failed;

#define TEST(cond, ...)                                                                    \
        do {                                                                               \
                bool ok_ = (cond);                                                         \
                printf("%sok %d - ", ok_ ? "" : "not ", ++test_no);                       \
                printf(__VA_ARGS__);                                                       \
                putchar('\n');                                                             \
                if (!ok_) {                                                                \
                        failed++;                                                          \
                        printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
                }                                                                          \
        } while (0)
#define CHECK TEST

/* A test this machine cannot run, for the reason WHY (feature_missing()): a
 * TAP skip that says so, or a failure where SF_TEST_REQUIRE names FEATURE. */
#define SKIP_FOR(feature, why, ...)                                                        \
        do {                                                                               \
                bool req_ = feature_required(feature);                                     \
                printf("%s %d - ", req_ ? "not ok" : "ok", ++test_no);                    \
                printf(__VA_ARGS__);                                                       \
                if (req_) {                                                                \
                        failed++;                                                          \
                        printf("\n#   %s is required (SF_TEST_REQUIRE) but missing: %s\n", \
                               feature, why);                                             \
                } else {                                                                   \
                        printf(" # SKIP %s\n", why);                                      \
                }                                                                          \
        } while (0)

#endif
