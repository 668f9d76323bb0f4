/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TAP for the unit tests: one line per check; a failing check also prints
 * where it is.  test_no and failed are the test program's own (one program
 * includes this once). */
#ifndef SF_TEST_TAP_H
#define SF_TEST_TAP_H

#include <stdbool.h>
#include <stdio.h>

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

#endif
