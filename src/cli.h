/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI: a table of subcommands, one file each.  Only the CLI prints. */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "sysfence/diag.h"
#include "sysfence/error.h"
#include "sysfence/profile.h"
#include "util/util.h"

/* Exit statuses. */
enum {
        EXIT_OK = 0,
        EXIT_INVALID = 1, /* the input is invalid or the check failed */
        EXIT_USAGE = 2,
};

typedef struct cli_command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
        const char *usage; /* full --help text */
} cli_command;

extern const char *cli_prog; /* "sysfence" */

/* The command table of main.c (for the completion script). */
const cli_command *cli_commands(size_t *ret_n);

/* Where cli_error also sends each message ("CMD: msg"), when set: the hooks'
 * syslog, since a runtime shows a failing hook only as "exit status 1". */
extern void (*cli_error_log)(const char *line);
/* For the hooks: every cli_error also goes to syslog (LOG_DAEMON, the journal
 * where it runs), and cli_syslog_info logs one line there. */
void cli_syslog_open(void);
void cli_syslog_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "sysfence CMD: msg" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For a usage error: the message, then "try 'sysfence CMD --help'"; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a library error and frees it; returns EXIT_INVALID. */
int cli_fail(const char *cmd, sf_error **err);

/* Prints each finding on stderr ("file:line:col: path: error: msg (hint)"). */
void cli_print_diags(const sf_diags *d, bool warnings);
/* Writes findings as JSON objects into an open JSON array (comma-separated). */
void cli_json_diags(sf_buf *b, const sf_diags *d, bool *first);
void cli_json_str(sf_buf *b, const char *s);
/* "KEY":["V0","V1",...] */
void cli_json_strs(sf_buf *b, const char *key, char *const *v, size_t n);
/* P as canonical Docker JSON, written to OUT atomically; EXIT_OK, or the error said. */
int cli_write_profile(const char *cmd, const sf_profile *p, const char *out);
/* The one JSON spelling of an action, as members of an open object:
 * "action":"SCMP_ACT_ERRNO","errno":1 (ERRNO), "action":"SCMP_ACT_TRACE","trace":N,
 * else "action":"SCMP_ACT_..." alone.  cli_json_ret takes a filter's return
 * value (SECCOMP_RET_*); one no action has is "action":null,"ret":"0x...". */
void cli_json_action(sf_buf *b, sf_action a);
/* --json's report of a command that wrote OUT, one JSON object on stdout:
 * {"file":FILE (unless NULL),"output":OUT,MEMBERS,"findings":[...]} where MEMBERS
 * is JSON object members (or NULL), the findings those of d (may be NULL).
 * EXIT_OK, or EXIT_INVALID when it cannot be written. */
int cli_json_report(const char *file, const char *out, const char *members, const sf_diags *d);
/* For --json: the report takes stdout, so OUT must be a file.  0 or EXIT_USAGE. */
int cli_json_needs_file(const char *cmd, const char *out);
void cli_json_ret(sf_buf *b, uint32_t ret);
/* Standard base64 (with padding) of n bytes. */
void cli_base64(sf_buf *b, const void *data, size_t n);

/* Parses --arch/--caps/--kernel values into t (which starts as the default target). */
int cli_parse_arch(const char *cmd, const char *s, sf_arch *ret);
int cli_parse_caps(const char *cmd, const char *s, uint64_t *ret);
int cli_parse_kernel(const char *cmd, const char *s, unsigned *maj, unsigned *min);

/* The options of every command that loads profiles, taken out of argv before
 * the command parses it (up to "--"; for run and record only before a "--"):
 * --no-inherit, and --profiles-dir DIR (not for k8s, whose lint has its own).
 * They set the library's default (sf_profile_set_inherit).  0 or EXIT_USAGE. */
int cli_inherit_opts(const char *cmd, int *argc, char **argv);
extern bool cli_no_inherit; /* --no-inherit was given */

/* Loads a file that must hold exactly one profile; prints errors.  0 or EXIT_INVALID. */
int cli_load_one(const char *cmd, const char *file, const sf_load_opts *lo, sf_profile **ret);
/* Every profile of every file, in order (*ret: the caller frees it with
 * sf_profiles_free); EXIT_INVALID, said on stderr, if one does not load. */
int cli_load_all(const char *cmd, char *const *files, size_t n_files, sf_profile ***ret, size_t *n_ret);
/* "amd64,x86" → arches; 0 or EXIT_USAGE. */
int cli_parse_arch_list(const char *cmd, const char *s, sf_arch *v, size_t *n);

/* compile-like options (--arch 'a', --caps 'c', --kernel 'k'): 0 handled, EXIT_USAGE, or -1 not one of them */
struct sf_compile_opts;
int cli_compile_opts(const char *cmd, int c, const char *arg, struct sf_compile_opts *co, sf_arch *arches);
/* The whole option parse of a command that takes only those, --json and --help
 * (explain, diff): -1 to go on, with optind at the first operand, else an exit
 * status (--help printed usage). */
int cli_compile_json_opts(const char *cmd, int argc, char **argv, const char *usage, struct sf_compile_opts *co,
                          sf_arch *arches, bool *json);
/* Loads one profile and compiles it; prints findings.  0 or an exit status. */
struct sf_prog;
int cli_compile_profile(const char *cmd, const char *file, const struct sf_compile_opts *co, sf_profile **ret_p,
                        struct sf_prog **ret_prog, bool warnings);

/* convert's options applied to a profile's text (argv's last operand names it). */
int cli_convert_text(int argc, char **argv, const char *text, size_t len);

int cmd_check(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_intersect(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_oci_precompile(int argc, char **argv);
int cmd_oci_hook(int argc, char **argv);
int cmd_k8s(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_artifact(int argc, char **argv);

#endif
