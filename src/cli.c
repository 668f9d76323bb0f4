/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <syslog.h>

#include "arch/caps.h"
#include "cli.h"
#include "sysfence/artifact.h"
#include "sysfence/bpf.h"

const char *cli_prog = "sysfence";

void (*cli_error_log)(const char *line);

static void syslog_error(const char *line)
{
        syslog(LOG_ERR, "%s", line);
}

void cli_syslog_open(void)
{
        openlog("sysfence", LOG_PID | LOG_NDELAY, LOG_DAEMON);
        cli_error_log = syslog_error;
}

void cli_syslog_info(const char *fmt, ...)
{
        if (!cli_error_log)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsyslog(LOG_INFO, fmt, ap);
        va_end(ap);
}

void cli_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "%s%s%s: ", cli_prog, cmd ? " " : "", cmd ? cmd : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (cli_error_log) {
                char line[2048];
                int k = snprintf(line, sizeof(line), "%s%s", cmd ? cmd : "", cmd ? ": " : "");
                va_start(ap, fmt);
                if (k >= 0 && (size_t)k < sizeof(line))
                        vsnprintf(line + k, sizeof(line) - (size_t)k, fmt, ap);
                va_end(ap);
                cli_error_log(line);
        }
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "%s%s%s: ", cli_prog, cmd ? " " : "", cmd ? cmd : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\ntry '%s%s%s --help'\n", cli_prog, cmd ? " " : "", cmd ? cmd : "");
        return EXIT_USAGE;
}

int cli_fail(const char *cmd, sf_error **err)
{
        cli_error(cmd, "%s", sf_error_message(*err));
        sf_error_freep(err);
        return EXIT_INVALID;
}

void cli_print_diags(const sf_diags *d, bool warnings)
{
        for (size_t i = 0; i < d->n; i++) {
                if (d->v[i].severity != SF_SEV_ERROR && !warnings)
                        continue;
                _cleanup_free_ char *s = sf_diag_format(&d->v[i]);
                if (s)
                        fprintf(stderr, "%s\n", s);
        }
        size_t shown = d->errors + d->warnings;
        if (shown > d->n)
                fprintf(stderr, "%s: %zu more findings not shown\n", cli_prog, shown - d->n);
}

void cli_json_action(sf_buf *b, sf_action a)
{
        sf_buf_puts(b, "\"action\":");
        cli_json_str(b, sf_action_name(a.kind));
        if (a.kind == SF_ACT_ERRNO)
                sf_buf_printf(b, ",\"errno\":%u", a.data);
        else if (a.kind == SF_ACT_TRACE)
                sf_buf_printf(b, ",\"trace\":%u", a.data);
}

int cli_json_report(const char *file, const char *out, const char *members, const sf_diags *d)
{
        sf_buf b = { 0 };
        sf_buf_putc(&b, '{');
        if (file) {
                sf_buf_puts(&b, "\"file\":");
                cli_json_str(&b, file);
                sf_buf_putc(&b, ',');
        }
        sf_buf_puts(&b, "\"output\":");
        cli_json_str(&b, out);
        if (members && *members)
                sf_buf_printf(&b, ",%s", members);
        sf_buf_puts(&b, ",\"findings\":[");
        bool first = true;
        if (d)
                cli_json_diags(&b, d, &first);
        sf_buf_puts(&b, "]}\n");
        int status = EXIT_OK;
        if (b.oom) {
                cli_error(NULL, "out of memory");
                status = EXIT_INVALID;
        } else if (fputs(b.s, stdout) == EOF || fflush(stdout) != 0) {
                status = EXIT_INVALID;
        }
        sf_buf_release(&b);
        return status;
}

int cli_json_needs_file(const char *cmd, const char *out)
{
        if (strcmp(out, "-") == 0 || strcmp(out, "/dev/stdout") == 0)
                return cli_usage_error(cmd, "--json prints the report on standard output: give -o FILE");
        return 0;
}

void cli_json_ret(sf_buf *b, uint32_t ret)
{
        static const struct {
                uint32_t ret;
                sf_action_kind kind;
        } map[] = {
                { SECCOMP_RET_KILL_PROCESS, SF_ACT_KILL_PROCESS }, { SECCOMP_RET_KILL_THREAD, SF_ACT_KILL_THREAD },
                { SECCOMP_RET_TRAP, SF_ACT_TRAP },                 { SECCOMP_RET_ERRNO, SF_ACT_ERRNO },
                { SECCOMP_RET_USER_NOTIF, SF_ACT_USER_NOTIF },     { SECCOMP_RET_TRACE, SF_ACT_TRACE },
                { SECCOMP_RET_LOG, SF_ACT_LOG },                   { SECCOMP_RET_ALLOW, SF_ACT_ALLOW },
        };
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if ((ret & SECCOMP_RET_ACTION_FULL) == map[i].ret) {
                        cli_json_action(b, (sf_action){ .kind = map[i].kind, .data = ret & SECCOMP_RET_DATA });
                        return;
                }
        sf_buf_printf(b, "\"action\":null,\"ret\":\"0x%08x\"", ret);
}

void cli_json_str(sf_buf *b, const char *s)
{
        sf_buf_json_str(b, s);
}

void cli_json_strs(sf_buf *b, const char *key, char *const *v, size_t n)
{
        sf_buf_printf(b, "\"%s\":[", key);
        for (size_t i = 0; i < n; i++) {
                sf_buf_puts(b, i ? "," : "");
                sf_buf_json_str(b, v[i]);
        }
        sf_buf_puts(b, "]");
}

int cli_write_profile(const char *cmd, const sf_profile *p, const char *out)
{
        sf_error *err = NULL;
        char *text = NULL;
        int status = EXIT_OK;
        if (sf_profile_emit(p, SF_FORMAT_DOCKER, &text, &err) < 0 ||
            sf_write_file_atomic(out, text, strlen(text), 0644, &err) < 0)
                status = cli_fail(cmd, &err);
        free(text);
        return status;
}

void cli_json_diags(sf_buf *b, const sf_diags *d, bool *first)
{
        for (size_t i = 0; i < d->n; i++) {
                const sf_diag *g = &d->v[i];
                sf_buf_puts(b, *first ? "" : ",");
                *first = false;
                sf_buf_puts(b, "{\"severity\":");
                cli_json_str(b, g->severity == SF_SEV_ERROR ? "error" : g->severity == SF_SEV_NOTE ? "note" : "warning");
                sf_buf_puts(b, ",\"id\":");
                cli_json_str(b, g->id);
                sf_buf_puts(b, ",\"file\":");
                cli_json_str(b, g->file);
                sf_buf_puts(b, ",\"path\":");
                cli_json_str(b, g->path);
                sf_buf_printf(b, ",\"line\":%u,\"column\":%u,\"message\":", g->line, g->col);
                cli_json_str(b, g->msg);
                if (g->hint) {
                        sf_buf_puts(b, ",\"hint\":");
                        cli_json_str(b, g->hint);
                }
                sf_buf_puts(b, "}");
        }
}

int cli_parse_arch(const char *cmd, const char *s, sf_arch *ret)
{
        sf_arch a = sf_arch_from_name(s);
        if (a == SF_ARCH_NONE)
                return cli_usage_error(cmd, "unknown architecture \"%s\" (e.g. amd64, arm64, x86, SCMP_ARCH_X86_64)", s);
        *ret = a;
        return 0;
}

int cli_parse_caps(const char *cmd, const char *s, uint64_t *ret)
{
        const char *bad = NULL;
        if (sf_caps_parse(s, ret, &bad) < 0) {
                const char *sugg = bad ? sf_cap_suggest(bad) : NULL;
                if (sugg)
                        return cli_usage_error(cmd, "unknown capability \"%s\" (did you mean \"%s\"?)", bad, sugg);
                return cli_usage_error(cmd, "invalid capability list \"%s\" (use default, all, none or CAP_X,CAP_Y)",
                                       s);
        }
        return 0;
}

int cli_parse_kernel(const char *cmd, const char *s, unsigned *maj, unsigned *min)
{
        int n = 0;
        if (sscanf(s, "%u.%u%n", maj, min, &n) != 2 || s[n] != 0 || *maj == 0)
                return cli_usage_error(cmd, "invalid kernel version \"%s\" (expected X.Y, e.g. 5.15)", s);
        return 0;
}

bool cli_no_inherit;
static sf_artifact_opts base_pull_opts;
static const sf_oci_puller base_puller = { .pull = sf_artifact_base_pull, .ctx = &base_pull_opts };

int cli_inherit_opts(const char *cmd, int *argc, char **argv)
{
        /* run and record pass what follows their options to a program: only a
         * "--" says for sure where that starts */
        bool execs = strcmp(cmd, "run") == 0 || strcmp(cmd, "record") == 0;
        sf_profile_set_oci_puller(&base_puller);
        bool dir_opt = strcmp(cmd, "k8s") != 0;
        int end = *argc;
        for (int i = 1; i < *argc; i++)
                if (strcmp(argv[i], "--") == 0) {
                        end = i;
                        break;
                }
        if (execs && end == *argc)
                return 0;
        const char *dir = NULL;
        int k = 1;
        for (int i = 1; i < *argc; i++) {
                const char *a = argv[i];
                if (i < end && strcmp(a, "--no-inherit") == 0) {
                        cli_no_inherit = true;
                        continue;
                }
                /* an oci:// base: pulled as 'artifact pull' would, with its --plain-http and --authfile */
                if (i < end && strcmp(a, "--base-plain-http") == 0) {
                        base_pull_opts.plain_http = true;
                        continue;
                }
                if (i < end && strncmp(a, "--base-authfile", 15) == 0 && (a[15] == 0 || a[15] == '=')) {
                        const char *f = a[15] == '=' ? a + 16 : i + 1 < end ? argv[++i] : NULL;
                        if (!f || !*f)
                                return cli_usage_error(cmd, "--base-authfile needs a file");
                        base_pull_opts.auth_file = f;
                        continue;
                }
                if (i < end && dir_opt && strncmp(a, "--profiles-dir", 14) == 0 && (a[14] == 0 || a[14] == '=')) {
                        if (a[14] == '=')
                                dir = a + 15;
                        else if (i + 1 < end)
                                dir = argv[++i];
                        else
                                return cli_usage_error(cmd, "--profiles-dir needs a directory");
                        if (!*dir)
                                return cli_usage_error(cmd, "--profiles-dir needs a directory");
                        continue;
                }
                argv[k++] = argv[i];
        }
        argv[k] = NULL;
        *argc = k;
        if (cli_no_inherit)
                fprintf(stderr, "sysfence %s: warning: --no-inherit: spec.baseProfileName is not resolved; a SeccompProfile that has one is narrower than what the Security Profiles Operator installs\n",
                        cmd);
        if (cli_no_inherit || dir)
                sf_profile_set_inherit(cli_no_inherit ? SF_INHERIT_NONE : SF_INHERIT_DEFAULT, dir);
        return 0;
}

/* Every profile of FILE; on failure the diagnostics (or the error) are
 * printed and EXIT_INVALID returned. */
static int load_file(const char *cmd, const char *file, const sf_load_opts *lo, sf_profile ***v, size_t *n)
{
        sf_diags d = { 0 };
        sf_error *err = NULL;
        int r = sf_profile_load_file(file, lo, v, n, &d, &err);
        if (r < 0) {
                cli_print_diags(&d, false);
                if (d.errors == 0)
                        cli_error(cmd, "%s", sf_error_message(err));
                sf_error_free(err);
        }
        sf_diags_release(&d);
        return r < 0 ? EXIT_INVALID : 0;
}

int cli_load_one(const char *cmd, const char *file, const sf_load_opts *lo, sf_profile **ret)
{
        sf_profile **v = NULL;
        size_t n = 0;
        int r = load_file(cmd, file, lo, &v, &n);
        if (r != 0)
                return r;
        if (n != 1) {
                cli_error(cmd, "%s holds %zu profiles; give one (sysfence convert --name NAME picks one)", file, n);
                sf_profiles_free(v, n);
                return EXIT_INVALID;
        }
        *ret = v[0];
        free(v);
        return 0;
}

int cli_load_all(const char *cmd, char *const *files, size_t n_files, sf_profile ***ret, size_t *n_ret)
{
        sf_profile **all = NULL;
        size_t n_all = 0;
        for (size_t i = 0; i < n_files; i++) {
                sf_profile **v = NULL;
                size_t n = 0;
                int r = load_file(cmd, files[i], NULL, &v, &n);
                if (r != 0) {
                        sf_profiles_free(all, n_all);
                        return r;
                }
                sf_profile **grown = realloc(all, (n_all + n) * sizeof(*all));
                if (!grown) {
                        sf_profiles_free(v, n);
                        sf_profiles_free(all, n_all);
                        cli_error(cmd, "out of memory");
                        return EXIT_INVALID;
                }
                all = grown;
                memcpy(all + n_all, v, n * sizeof(*v));
                n_all += n;
                free(v);
        }
        *ret = all;
        *n_ret = n_all;
        return 0;
}

int cli_parse_arch_list(const char *cmd, const char *s, sf_arch *v, size_t *n)
{
        _cleanup_free_ char *dup = strdup(s);
        if (!dup)
                return cli_usage_error(cmd, "out of memory");
        *n = 0;
        char *save = NULL;
        for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                sf_arch a = SF_ARCH_NONE;
                int r = cli_parse_arch(cmd, tok, &a);
                if (r)
                        return r;
                if (*n >= SF_ARCH__COUNT)
                        return cli_usage_error(cmd, "too many architectures");
                v[(*n)++] = a;
        }
        if (*n == 0)
                return cli_usage_error(cmd, "no architecture in \"%s\"", s);
        return 0;
}

void cli_base64(sf_buf *b, const void *data, size_t n)
{
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = data;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)p[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t)p[i + 1] << 8;
                if (i + 2 < n)
                        v |= p[i + 2];
                sf_buf_putc(b, b64[(v >> 18) & 63]);
                sf_buf_putc(b, b64[(v >> 12) & 63]);
                sf_buf_putc(b, i + 1 < n ? b64[(v >> 6) & 63] : '=');
                sf_buf_putc(b, i + 2 < n ? b64[v & 63] : '=');
        }
}
