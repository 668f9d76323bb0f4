/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Functions that are easy to misuse; use the bounded alternatives. */
#ifndef SF_BANNED_H
#define SF_BANNED_H
#define SF_BANNED(func) sorry_##func##_is_banned_in_sysfence
#undef strcpy
#define strcpy(x, y) SF_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SF_BANNED(strcat)
#undef sprintf
#define sprintf(...) SF_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SF_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) SF_BANNED(strtok)
#undef atoi
#define atoi(x) SF_BANNED(atoi)
#undef atol
#define atol(x) SF_BANNED(atol)
#undef gets
#define gets(x) SF_BANNED(gets)
#endif
