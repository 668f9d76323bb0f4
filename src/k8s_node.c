/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s install | agent | status: the node side.  install copies
 * profiles into the kubelet's seccomp dir once; agent keeps a ConfigMap volume's
 * profiles installed, following the kubelet's ..data swaps with inotify; status
 * is the agent's readiness probe. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "cli.h"
#include "k8s.h"
#include "k8s_sync.h"

#define DEFAULT_ROOT "/var/lib/kubelet"
#define DEFAULT_SUBDIR "sysfence"

static const char install_usage[] =
        "usage: sysfence k8s install PROFILE... [--kubelet-root DIR] [--subdir NAME]\n"
        "                            [--arch LIST] [--caps LIST] [--kernel X.Y] [--strict] [--as-given]\n"
        "                            [--json]\n"
        "       sysfence k8s install - --name NAME.json [OPTIONS]   (the profile on standard input)\n"
        "\n"
        "Validate and compile each profile for this node, then write it atomically to\n"
        "DIR/seccomp/NAME/BASENAME and print the localhostProfile that names it\n"
        "(NAME/BASENAME).  If any profile is invalid, nothing is installed.  A profile\n"
        "that is not already runtime JSON (SeccompProfile YAML, an OCI config.json) is\n"
        "installed as Docker JSON, the form the kubelet's runtime reads.  One with\n"
        "archMap or includes/excludes is installed resolved for this node (its arch,\n"
        "kernel and --caps): containerd ignores them and would apply every rule; the\n"
        "rules left out are named.\n"
        "\n"
        "  --kubelet-root DIR  the kubelet's root (default " DEFAULT_ROOT ")\n"
        "  --subdir NAME       the directory under DIR/seccomp (default " DEFAULT_SUBDIR ")\n"
        "  --as-given          keep archMap and includes/excludes (a runtime that evaluates\n"
        "                      them itself: CRI-O)\n"
        "  --name FILE         the installed file's name, for one profile (needed for -)\n"
        "  --arch LIST         arches to compile for (default: this node's)\n"
        "  --caps LIST         capabilities for includes/excludes (default: default)\n"
        "  --kernel X.Y        kernel version for minKernel (default: this node's)\n"
        "  --strict            unknown syscall names are errors\n"
        "  --json              print the result as JSON\n"
        "  -h, --help          show this help\n"
        "\n"
        "example:\n"
        "  sysfence k8s install nginx.json redis.json\n"
        "  # then in the pod spec: seccompProfile: {type: Localhost, localhostProfile: sysfence/nginx.json}\n";

static const char agent_usage[] =
        "usage: sysfence k8s agent --source DIR [--kubelet-root DIR] [--subdir NAME] [--once]\n"
        "                          [--arch LIST] [--caps LIST] [--kernel X.Y] [--strict] [--as-given]\n"
        "\n"
        "The node agent (run by the DaemonSet): keep every key of a ConfigMap volume\n"
        "installed under ROOT/seccomp/NAME.  It follows the kubelet's updates (the\n"
        "..data symlink swapped to a new timestamped directory) with inotify, validates\n"
        "and compiles each profile for this node before it installs it, writes\n"
        "atomically, never replaces a good copy by an invalid profile, and removes only\n"
        "files it installed (listed in ROOT/seccomp/NAME/" K8S_STATE_NAME " by sha256,\n"
        "device and inode).  ROOT/seccomp and NAME must not be symlinks, a key is read\n"
        "only as a regular file (never through a symlink), ..data only as a symlink to\n"
        "a ..name beside it; key names must be ConfigMap keys.  Files keep the source's\n"
        "mode, at most 0644.\n"
        "One line on stderr per event: installed, updated, removed, rejected.\n"
        "\n"
        "  --source DIR        the ConfigMap volume (or a plain directory)\n"
        "  --kubelet-root DIR  the kubelet's root (default " DEFAULT_ROOT ")\n"
        "  --subdir NAME       the directory under ROOT/seccomp (default " DEFAULT_SUBDIR ")\n"
        "  --once              sync once and exit: 0 if every profile is installed\n"
        "  --arch, --caps, --kernel, --strict  as for compile\n"
        "  --as-given          as for install: archMap and includes/excludes kept (CRI-O)\n"
        "  -h, --help          show this help\n"
        "\n"
        "SIGTERM or SIGINT: exit 0.  SIGHUP: check every profile again.\n";

static const char status_usage[] =
        "usage: sysfence k8s status --source DIR [--kubelet-root DIR] [--subdir NAME] [--json]\n"
        "                           [--arch LIST] [--caps LIST] [--kernel X.Y] [--strict]\n"
        "\n"
        "Exit 0 only when every profile in the source is installed and current (the\n"
        "installed file is what the agent installs for it); else exit 1 and list what\n"
        "is missing, stale or rejected.  The DaemonSet's readiness probe.\n"
        "\n"
        "  --source DIR        the ConfigMap volume (or a plain directory)\n"
        "  --kubelet-root DIR  the kubelet's root (default " DEFAULT_ROOT ")\n"
        "  --subdir NAME       the directory under ROOT/seccomp (default " DEFAULT_SUBDIR ")\n"
        "  --json              print the result as JSON\n"
        "  --arch, --caps, --kernel, --strict  as for compile (the agent's options)\n"
        "  --as-given          as the agent was given\n"
        "  -h, --help          show this help\n";

typedef struct node_opts {
        const char *cmd;
        const char *root, *subdir, *source;
        const char *name; /* install: the file name of a profile read from stdin */
        sf_compile_opts co;
        sf_arch arches[SF_ARCH__COUNT];
        bool json, once;
        bool as_given; /* --as-given: archMap and includes/excludes kept (CRI-O) */
} node_opts;

/* Parses the options the three commands share: -1 and the index of the first
 * operand in *ret_first, or the exit status to leave with (--help, usage errors). */
static int parse_opts(int argc, char **argv, node_opts *o, const char *usage, bool source, bool once, int *ret_first)
{
        static const struct option opts[] = {
                { "kubelet-root", required_argument, NULL, 'R' }, { "subdir", required_argument, NULL, 'S' },
                { "source", required_argument, NULL, 'D' },       { "once", no_argument, NULL, 'O' },
                { "json", no_argument, NULL, 'j' },               { "arch", required_argument, NULL, 'a' },
                { "caps", required_argument, NULL, 'c' },         { "kernel", required_argument, NULL, 'k' },
                { "strict", no_argument, NULL, 's' },             { "help", no_argument, NULL, 'h' },
                { "name", required_argument, NULL, 'N' },         { "as-given", no_argument, NULL, 'G' },
                { 0 },
        };
        o->root = DEFAULT_ROOT;
        o->subdir = DEFAULT_SUBDIR;
        sf_target_default(&o->co.target);
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                if ((r = cli_compile_opts(o->cmd, c, optarg, &o->co, o->arches)) >= 0) {
                        if (r)
                                return r;
                        continue;
                }
                switch (c) {
                case 'R': o->root = optarg; break;
                case 'S': o->subdir = optarg; break;
                case 'D':
                        if (!source)
                                return cli_usage_error(o->cmd, "--source is for agent and status");
                        o->source = optarg;
                        break;
                case 'O':
                        if (!once)
                                return cli_usage_error(o->cmd, "--once is for agent");
                        o->once = true;
                        break;
                case 'j':
                        if (once)
                                return cli_usage_error(o->cmd, "--json is for install and status");
                        o->json = true;
                        break;
                case 's': o->co.strict = true; break;
                case 'G': o->as_given = true; break;
                case 'N':
                        if (source || once)
                                return cli_usage_error(o->cmd, "--name is for install");
                        o->name = optarg;
                        break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error(o->cmd, "invalid option");
                }
        }
        if (!k8s_name_ok(o->subdir))
                return cli_usage_error(o->cmd, "--subdir \"%s\": give one directory name, not a path", o->subdir);
        if (!o->root[0])
                return cli_usage_error(o->cmd, "--kubelet-root is empty");
        if (source && !o->source)
                return cli_usage_error(o->cmd, "no --source given (the ConfigMap volume)");
        if (source && optind < argc)
                return cli_usage_error(o->cmd, "unexpected argument \"%s\"", argv[optind]);
        *ret_first = optind;
        return -1;
}

/* --- install ----------------------------------------------------------------------- */

typedef struct install_item {
        const char *file;
        const char *name; /* basename */
        k8s_prepared prep;
} install_item;

int k8s_install(int argc, char **argv)
{
        node_opts o = { .cmd = "k8s install" };
        int first, pr = parse_opts(argc, argv, &o, install_usage, false, false, &first);
        if (pr >= 0)
                return pr;
        if (first >= argc)
                return cli_usage_error(o.cmd, "no profile given");
        size_t n = (size_t)(argc - first);
        install_item *items = calloc(n, sizeof(*items));
        if (!items) {
                cli_error(o.cmd, "out of memory");
                return EXIT_INVALID;
        }
        sf_buf js = { 0 };
        bool js_first = true;
        size_t invalid = 0;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *msg = NULL;
        int status = EXIT_OK;
        for (size_t i = 0; i < n; i++) {
                install_item *it = &items[i];
                it->file = argv[first + (int)i];
                const char *slash = strrchr(it->file, '/');
                it->name = slash ? slash + 1 : it->file;
                /* "-" is standard input, never a file named "-": its name comes from --name */
                if (strcmp(it->file, "-") == 0) {
                        if (!o.name) {
                                status = cli_usage_error(o.cmd, "a profile on standard input (-) needs --name "
                                                                "NAME.json: the installed file's name");
                                goto out;
                        }
                        it->name = o.name;
                } else if (o.name && n == 1) {
                        it->name = o.name;
                }
                if (o.name && n > 1) {
                        status = cli_usage_error(o.cmd, "--name names one profile; %zu given", n);
                        goto out;
                }
                if (!k8s_name_ok(it->name)) {
                        status = cli_usage_error(o.cmd, "%s: the installed file is named after the profile's file, "
                                                        "and \"%s\" cannot name one (no dot-names)",
                                                 it->file, it->name);
                        goto out;
                }
                for (size_t j = 0; j < i; j++)
                        if (strcmp(items[j].name, it->name) == 0) {
                                status = cli_usage_error(o.cmd, "%s and %s would both be installed as \"%s\"",
                                                         items[j].file, it->file, it->name);
                                goto out;
                        }
        }
        /* Every profile is validated before anything is written: all or nothing. */
        for (size_t i = 0; i < n; i++) {
                install_item *it = &items[i];
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                sf_error *err = NULL;
                if (sf_read_file(it->file, SF_PROFILE_MAX_FILE, &data, &len, &err) < 0) {
                        if (o.json) {
                                sf_buf_puts(&js, js_first ? "" : ",");
                                js_first = false;
                                sf_buf_puts(&js, "{\"severity\":\"error\",\"file\":");
                                cli_json_str(&js, it->file);
                                sf_buf_puts(&js, ",\"message\":");
                                cli_json_str(&js, sf_error_message(err));
                                sf_buf_puts(&js, "}");
                                sf_error_free(err);
                        } else {
                                cli_fail(o.cmd, &err);
                        }
                        invalid++;
                        continue;
                }
                sf_diags d = { 0 };
                int r = k8s_prepare(it->file, data, len, &o.co, o.as_given, &it->prep, &d);
                if (r < 0) {
                        sf_diags_release(&d);
                        cli_error(o.cmd, "out of memory");
                        status = EXIT_INVALID;
                        goto out;
                }
                if (o.json)
                        cli_json_diags(&js, &d, &js_first);
                else
                        cli_print_diags(&d, true);
                if (r == 1) {
                        invalid++;
                        /* an error the loader did not file as a finding (e.g. a compile limit) */
                        if (d.errors == 0 && !o.json)
                                cli_error(o.cmd, "%s", it->prep.error);
                        else if (d.errors == 0) {
                                sf_buf_puts(&js, js_first ? "" : ",");
                                js_first = false;
                                sf_buf_puts(&js, "{\"severity\":\"error\",\"file\":");
                                cli_json_str(&js, it->file);
                                sf_buf_puts(&js, ",\"message\":");
                                cli_json_str(&js, it->prep.error);
                                sf_buf_puts(&js, "}");
                        }
                }
                sf_diags_release(&d);
        }
        if (invalid) {
                if (o.json) {
                        printf("{\"installed\":[],\"findings\":[%s]}\n", js.s ? js.s : "");
                }
                cli_error(o.cmd, "nothing installed: %zu of %zu profile%s invalid", invalid, n,
                          n == 1 ? " is" : "s are");
                status = EXIT_INVALID;
                goto out;
        }

        int dirfd = -1;
        int r = k8s_dir_open(o.root, o.subdir, true, &dirfd, &dir, &msg);
        if (r < 0) {
                cli_error(o.cmd, "%s", msg ? msg : strerror(-r));
                status = EXIT_INVALID;
                goto out;
        }
        bool waited;
        int lockfd = k8s_dir_lock(dirfd, &waited);
        if (lockfd < 0) {
                cli_error(o.cmd, "%s/" K8S_LOCK_NAME ": cannot lock: %s", dir, strerror(-lockfd));
                close(dirfd);
                status = EXIT_INVALID;
                goto out;
        }
        k8s_dir_clean_tmp(dirfd);
        size_t written = 0;
        for (size_t i = 0; i < n; i++) {
                r = k8s_write_at(dirfd, items[i].name, items[i].prep.bytes, items[i].prep.len, 0644);
                if (r < 0) {
                        cli_error(o.cmd, "%s/%s: cannot write: %s", dir, items[i].name, strerror(-r));
                        status = EXIT_INVALID;
                        break;
                }
                written++;
        }
        k8s_dir_sync(dirfd);
        close(lockfd);
        close(dirfd);
        if (o.json) {
                sf_buf out = { 0 };
                sf_buf_puts(&out, "{\"installed\":[");
                for (size_t i = 0; i < written; i++) {
                        sf_buf_puts(&out, i ? ",{\"file\":" : "{\"file\":");
                        cli_json_str(&out, items[i].file);
                        sf_buf p = { 0 };
                        sf_buf_printf(&p, "%s/%s", dir, items[i].name);
                        sf_buf_puts(&out, ",\"path\":");
                        cli_json_str(&out, p.s);
                        sf_buf_truncate(&p, 0);
                        sf_buf_printf(&p, "%s/%s", o.subdir, items[i].name);
                        sf_buf_puts(&out, ",\"localhostProfile\":");
                        cli_json_str(&out, p.s);
                        sf_buf_release(&p);
                        sf_buf_printf(&out, ",\"sha256\":\"%s\"}", items[i].prep.sha);
                }
                sf_buf_printf(&out, "],\"findings\":[%s]}\n", js.s ? js.s : "");
                if (out.s)
                        fputs(out.s, stdout);
                sf_buf_release(&out);
        } else {
                for (size_t i = 0; i < written; i++)
                        printf("%s/%s\n", o.subdir, items[i].name);
        }
out:
        for (size_t i = 0; i < n; i++)
                k8s_prepared_release(&items[i].prep);
        free(items);
        sf_buf_release(&js);
        return status;
}

/* --- the agent ------------------------------------------------------------------------ */

typedef struct agent {
        node_opts o;
        int dirfd;
        char *dir;
        k8s_entry *cache; /* the last sync's verdicts, by key */
        size_t n_cache;
        sf_buf saved;     /* the state file as last written */
        bool state_warned;
        /* names the last sync wrote or removed: the inotify events of its own
         * renames and unlinks wake nobody */
        char **touched;
        size_t n_touched;
        k8s_source prev; /* the last snapshot read: its hashes serve unchanged keys */
} agent;

static void touched_clear(agent *a)
{
        for (size_t i = 0; i < a->n_touched; i++)
                free(a->touched[i]);
        free(a->touched);
        a->touched = NULL;
        a->n_touched = 0;
}

static void touched_add(agent *a, const char *name)
{
        char **nv = realloc(a->touched, (a->n_touched + 1) * sizeof(*nv));
        if (!nv)
                return; /* then its event wakes one more sync: harmless */
        a->touched = nv;
        if ((nv[a->n_touched] = strdup(name)))
                a->n_touched++;
}

/* Whether an event on the kubelet dir is the echo of the agent's own write or
 * removal (consumed: each is expected once). */
static bool touched_take(agent *a, const char *name)
{
        for (size_t i = 0; i < a->n_touched; i++)
                if (a->touched[i] && strcmp(a->touched[i], name) == 0) {
                        free(a->touched[i]);
                        a->touched[i] = NULL;
                        return true;
                }
        return false;
}

static void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void agent_log(const char *fmt, ...)
{
        /* one write per line, so that lines of concurrent writers never mix */
        sf_buf b = { 0 };
        va_list ap;
        sf_buf_printf(&b, "%s k8s agent: ", cli_prog);
        va_start(ap, fmt);
        sf_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        sf_buf_putc(&b, '\n');
        if (!b.oom)
                (void)!write(STDERR_FILENO, b.s, b.len);
        sf_buf_release(&b);
}

static void entries_free(k8s_entry *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].error);
        }
        free(v);
}

static const k8s_entry *cache_find(const agent *a, const k8s_key *k)
{
        for (size_t i = 0; i < a->n_cache; i++)
                if (strcmp(a->cache[i].name, k->name) == 0 && strcmp(a->cache[i].src_sha, k->sha) == 0 &&
                    a->cache[i].verdict != K8S_FAILED)
                        return &a->cache[i];
        return NULL;
}

static bool in_source(const k8s_source *src, const char *name)
{
        for (size_t i = 0; i < src->n; i++)
                if (strcmp(src->v[i].name, name) == 0)
                        return true;
        return false;
}

/* A key's file in the making: written to a temporary, then renamed. */
typedef struct pending {
        bool existed;            /* a file had its name */
        bool staged;             /* tmp is written and not yet renamed */
        bool was_owned;          /* the record named it before (was) */
        k8s_owned was;           /* that record (name not set) */
        char tmp[K8S_TMP_NAME];
        struct stat st;          /* of tmp: the inode the name gets */
} pending;

static void write_failed(agent *a, k8s_entry *e, int r)
{
        e->verdict = K8S_FAILED;
        free(e->error);
        sf_buf eb = { 0 };
        sf_buf_printf(&eb, "%s/%s: cannot write: %s", a->dir, e->name, strerror(-r));
        e->error = sf_buf_steal(&eb);
        agent_log("failed %s: %s", e->name, e->error ? e->error : strerror(-r));
}

/* One pass: make the kubelet's dir hold the source's profiles.  Returns the
 * number of keys not installed and current, or -1 when the pass could not run
 * or could not write (the source unreadable, a full disk): try again later. */
static int agent_sync(agent *a)
{
        k8s_source src = { 0 };
        _cleanup_free_ char *msg = NULL;
        if (k8s_source_read(a->o.source, &a->prev, &src, &msg) < 0) {
                agent_log("%s", msg ? msg : "cannot read the source");
                return -1;
        }
        size_t n = src.n;
        k8s_entry *ent = calloc(n ? n : 1, sizeof(*ent));
        k8s_prepared *prep = calloc(n ? n : 1, sizeof(*prep));
        k8s_state st = { 0 };
        int lockfd = -1, bad = 0, result = -1;
        pending *pend = NULL;
        bool io_failed = false; /* try again later, even if nothing changes */
        bool changed = false;
        if (!ent || !prep)
                goto oom;

        /* 1. a verdict per key: from the cache when its text did not change */
        for (size_t i = 0; i < n; i++) {
                const k8s_key *k = &src.v[i];
                k8s_entry *e = &ent[i];
                if (!(e->name = strdup(k->name)))
                        goto oom;
                memcpy(e->src_sha, k->sha, sizeof(e->src_sha));
                e->mode = k->mode;
                const k8s_entry *c = cache_find(a, k);
                if (k->reject) {
                        /* k->name is escaped: it cannot forge a log line */
                        sf_buf eb = { 0 };
                        sf_buf_printf(&eb, "%s/%s: %s", a->o.source, k->name, k->reject);
                        e->verdict = K8S_REJECTED;
                        if (!(e->error = sf_buf_steal(&eb)))
                                goto oom;
                        continue;
                }
                if (c) {
                        e->verdict = c->verdict;
                        e->id = c->id;
                        e->id_ok = c->id_ok;
                        memcpy(e->sha, c->sha, sizeof(e->sha));
                        if (c->error && !(e->error = strdup(c->error)))
                                goto oom;
                        continue;
                }
                sf_buf disp = { 0 };
                sf_buf_printf(&disp, "%s/%s", a->o.source, k->name);
                int r = disp.oom ? -ENOMEM : k8s_prepare(disp.s, k->data, k->len, &a->o.co, a->o.as_given, &prep[i], NULL);
                sf_buf_release(&disp);
                if (r < 0)
                        goto oom;
                if (r == 1) {
                        /* the reason without the text: others read the log and the state */
                        e->verdict = K8S_REJECTED;
                        e->error = TAKE_PTR(prep[i].reason);
                        /* logged below, once the dir says whether a good copy stays */
                } else {
                        e->verdict = K8S_INSTALLED;
                        memcpy(e->sha, prep[i].sha, sizeof(e->sha));
                }
        }

        /* 2. under the lock, against the state on disk */
        bool waited;
        lockfd = k8s_dir_lock(a->dirfd, &waited);
        if (lockfd < 0) {
                agent_log("%s/" K8S_LOCK_NAME ": cannot lock: %s", a->dir, strerror(-lockfd));
                goto out;
        }
        if (k8s_state_load(a->dirfd, &st, &msg) < 0) {
                /* Unknown ownership: remove nothing, and start a new record. */
                if (!a->state_warned)
                        agent_log("%s/%s; not trusted: it is replaced, and no file it lists is removed", a->dir,
                                  msg);
                a->state_warned = true;
                k8s_state_release(&st);
                free(TAKE_PTR(msg));
        }
        free(st.source);
        if (!(st.source = strdup(a->o.source)))
                goto oom;

        /* Which files must be written.  Each is written to a temporary first, and
         * the record claims the temporary's inode (the file's once renamed) and
         * the one it replaces before any rename: a kill at any point leaves the
         * name on a file the record proves the agent's. */
        pend = calloc(n ? n : 1, sizeof(*pend));
        if (!pend)
                goto oom;
        bool claimed = false;
        for (size_t i = 0; i < n; i++) {
                pending *pe = &pend[i];
                char have[K8S_SHA_HEX] = "";
                struct stat now = { 0 };
                int hr;
                if (ent[i].verdict == K8S_REJECTED) {
                        /* nothing to write: only whether a copy stays matters */
                        pe->existed = !src.v[i].reject &&
                                      fstatat(a->dirfd, ent[i].name, &now, AT_SYMLINK_NOFOLLOW) == 0;
                        if (!cache_find(a, &src.v[i]))
                                agent_log("rejected %s: %s%s", ent[i].name, ent[i].error,
                                          pe->existed ? " (the installed copy stays)" : "");
                        continue;
                }
                if (ent[i].id_ok && fstatat(a->dirfd, ent[i].name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                    k8s_same_file(&now, &ent[i].id)) {
                        hr = 0; /* the very file found current before */
                        memcpy(have, ent[i].sha, sizeof(have));
                } else {
                        hr = k8s_hash_at(a->dirfd, ent[i].name, have, &now);
                        ent[i].id = now;
                        ent[i].id_ok = hr == 0 && strcmp(have, ent[i].sha) == 0 && S_ISREG(now.st_mode) &&
                                       (now.st_mode & 07777) == ent[i].mode;
                }
                pe->existed = hr != -ENOENT;
                k8s_fid found = { 0 };
                if (hr == 0)
                        k8s_fid_set(&found, have, &now);
                k8s_owned *ow = k8s_state_owned(&st, ent[i].name);
                bool mine = ow && hr == 0 && k8s_owned_is(ow, &found);
                if (hr == 0 && strcmp(have, ent[i].sha) == 0 && (now.st_mode & 07777) == ent[i].mode) {
                        /* current; a file someone else put there with these bytes stays theirs */
                        if (mine) {
                                k8s_state_own(&st, ent[i].name, &found, NULL); /* the name is there: no allocation */
                        } else if (ow) {
                                agent_log("no longer claims %s: it is not the file the agent installed", ent[i].name);
                                k8s_state_disown(&st, ent[i].name);
                        }
                        continue;
                }
                if (!prep[i].bytes) {
                        /* a cached verdict, and the file went missing or stale: prepare again */
                        sf_buf disp = { 0 };
                        sf_buf_printf(&disp, "%s/%s", a->o.source, src.v[i].name);
                        int r = disp.oom ? -ENOMEM
                                         : k8s_prepare(disp.s, src.v[i].data, src.v[i].len, &a->o.co, a->o.as_given, &prep[i], NULL);
                        sf_buf_release(&disp);
                        if (r != 0)
                                goto oom;
                }
                int r = k8s_tmp_write(a->dirfd, prep[i].bytes, prep[i].len, ent[i].mode, pe->tmp, &pe->st);
                if (r < 0) {
                        write_failed(a, &ent[i], r);
                        io_failed = true;
                        continue;
                }
                pe->staged = true;
                if (ow) {
                        pe->was_owned = true;
                        pe->was = *ow;
                        pe->was.name = NULL;
                }
                k8s_fid cur;
                k8s_fid_set(&cur, ent[i].sha, &pe->st);
                /* the bytes there now stay claimed only if the record proves them the agent's */
                if (k8s_state_own(&st, ent[i].name, &cur, mine ? &found : NULL) < 0)
                        goto oom;
                claimed = true;
        }
        if (claimed) {
                int r = k8s_state_save(a->dirfd, &st, &a->saved);
                if (r < 0) {
                        agent_log("%s/" K8S_STATE_NAME ": cannot write: %s", a->dir, strerror(-r));
                        goto out;
                }
        }

        /* 3. rename each temporary to its name */
        for (size_t i = 0; i < n; i++) {
                pending *pe = &pend[i];
                if (!pe->staged)
                        continue;
                pe->staged = false;
                int r = k8s_tmp_commit(a->dirfd, pe->tmp, ent[i].name);
                if (r < 0) {
                        write_failed(a, &ent[i], r);
                        io_failed = true;
                        /* the claim is on an inode that never got the name: back to the old one */
                        if (pe->was_owned)
                                k8s_state_own(&st, ent[i].name, &pe->was.cur, pe->was.prev.sha[0] ? &pe->was.prev : NULL);
                        else
                                k8s_state_disown(&st, ent[i].name);
                        continue;
                }
                changed = true;
                touched_add(a, ent[i].name);
                ent[i].id = pe->st;
                ent[i].id_ok = fstatat(a->dirfd, ent[i].name, &ent[i].id, AT_SYMLINK_NOFOLLOW) == 0;
                k8s_fid cur;
                k8s_fid_set(&cur, ent[i].sha, &pe->st);
                k8s_state_own(&st, ent[i].name, &cur, NULL); /* the name is there: no allocation */
                agent_log("%s %s", pe->existed ? "updated" : "installed", ent[i].name);
        }

        /* 4. remove what the agent installed and the source no longer has */
        for (size_t i = 0; i < st.n_owned;) {
                const char *name = st.owned[i].name;
                if (in_source(&src, name)) {
                        i++;
                        continue;
                }
                /* only the very bytes the agent wrote: a file someone changed since,
                 * or one whose name was claimed by a write a kill cut short, stays */
                char have[K8S_SHA_HEX];
                struct stat now;
                int hr = k8s_hash_at(a->dirfd, name, have, &now);
                k8s_fid found = { 0 };
                if (hr == 0)
                        k8s_fid_set(&found, have, &now);
                if ((hr == 0 && !k8s_owned_is(&st.owned[i], &found)) || hr == -EISDIR || hr == -EBADFD) {
                        agent_log("left %s: it is not the file the agent installed", name);
                        changed = true;
                        k8s_state_disown(&st, name);
                        continue;
                }
                int ur = hr == -ENOENT ? ENOENT : unlinkat(a->dirfd, name, 0) < 0 ? errno : 0;
                if (ur && ur != ENOENT) {
                        agent_log("failed to remove %s/%s: %s", a->dir, name, strerror(ur));
                        io_failed = true;
                        bad++;
                        i++;
                        continue;
                }
                /* a claim whose write a kill cut short has no file: nothing to say */
                if (ur == 0) {
                        agent_log("removed %s", name);
                        touched_add(a, name);
                }
                changed = true;
                k8s_state_disown(&st, name);
        }
        if (changed)
                k8s_dir_sync(a->dirfd);

        /* 5. the record: ownership and verdicts, for status */
        entries_free(st.entries, st.n_entries);
        st.entries = ent;
        st.n_entries = n;
        int r = k8s_state_save(a->dirfd, &st, &a->saved);
        st.entries = NULL;
        st.n_entries = 0;
        if (r < 0) {
                agent_log("%s/" K8S_STATE_NAME ": cannot write: %s", a->dir, strerror(-r));
                io_failed = true;
                bad++;
        }
        for (size_t i = 0; i < n; i++)
                bad += ent[i].verdict != K8S_INSTALLED;
        entries_free(a->cache, a->n_cache);
        a->cache = TAKE_PTR(ent);
        a->n_cache = n;
        result = io_failed ? -1 : bad;
        goto out;
oom:
        agent_log("out of memory");
out:
        /* temporaries of a pass cut short (the record could not be saved) */
        for (size_t i = 0; pend && i < n; i++)
                if (pend[i].staged)
                        unlinkat(a->dirfd, pend[i].tmp, 0);
        free(pend);
        if (lockfd >= 0)
                close(lockfd);
        k8s_state_release(&st);
        if (ent)
                entries_free(ent, n);
        for (size_t i = 0; prep && i < n; i++)
                k8s_prepared_release(&prep[i]);
        free(prep);
        k8s_source_release(&a->prev);
        a->prev = src;
        /* compiling a hundred profiles leaves freed heap behind: give it back */
        malloc_trim(0);
        return result;
}

/* Whether an inotify batch matters; sets *gone when the source went away. */
static bool events_matter(agent *a, const char *buf, ssize_t len, int wd_src, bool *gone)
{
        bool matter = false;
        for (const char *p = buf; p < buf + len;) {
                const struct inotify_event *ev = (const struct inotify_event *)p;
                p += sizeof(*ev) + ev->len;
                if (ev->mask & IN_Q_OVERFLOW) {
                        matter = true;
                        continue;
                }
                if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
                        *gone = true;
                        continue;
                }
                const char *name = ev->len ? ev->name : "";
                /* the kubelet's swap is the rename of ..data; other dot-names are
                 * its timestamped dirs and our own temporaries and state */
                if (ev->wd == wd_src && strcmp(name, "..data") == 0)
                        matter = true;
                else if (ev->wd != wd_src && (ev->mask & (IN_MOVED_TO | IN_DELETE)) && touched_take(a, name))
                        continue;
                else if (name[0] && name[0] != '.')
                        matter = true;
        }
        return matter;
}

static void exit_on_signal(int sig)
{
        (void)sig;
        _exit(EXIT_OK);
}

int k8s_agent(int argc, char **argv)
{
        agent a = { .o = { .cmd = "k8s agent" }, .dirfd = -1 };
        int first, pr = parse_opts(argc, argv, &a.o, agent_usage, true, true, &first);
        if (pr >= 0)
                return pr;
        /* Until the signalfd takes over (or with --once), SIGTERM and SIGINT
         * still exit 0: whatever was written so far was written atomically. */
        struct sigaction sa = { .sa_handler = exit_on_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        _cleanup_free_ char *msg = NULL;
        int r = k8s_dir_open(a.o.root, a.o.subdir, true, &a.dirfd, &a.dir, &msg);
        if (r < 0) {
                cli_error(a.o.cmd, "%s", msg ? msg : strerror(-r));
                return EXIT_INVALID;
        }
        struct stat sst;
        if (stat(a.o.source, &sst) < 0 || !S_ISDIR(sst.st_mode)) {
                cli_error(a.o.cmd, "%s: not a directory", a.o.source);
                close(a.dirfd);
                free(a.dir);
                return EXIT_INVALID;
        }
        /* a writer killed mid-write leaves a dot-named temporary: clear them */
        bool waited;
        int lockfd = k8s_dir_lock(a.dirfd, &waited);
        if (lockfd >= 0) {
                k8s_dir_clean_tmp(a.dirfd);
                close(lockfd);
        }

        int status = EXIT_OK;
        int ifd = -1, sfd = -1, wd_src = -1;
        if (!a.o.once) {
                /* Signals arrive as reads, between syncs: a sync is never cut half-way. */
                sigset_t mask;
                sigemptyset(&mask);
                sigaddset(&mask, SIGTERM);
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGHUP);
                sigprocmask(SIG_BLOCK, &mask, NULL);
                sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
                /* Watches first, then the first sync: no update falls between. */
                ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
                if (sfd < 0 || ifd < 0) {
                        cli_error(a.o.cmd, "cannot set up inotify and signals: %s", strerror(errno));
                        status = EXIT_INVALID;
                        goto out;
                }
                wd_src = inotify_add_watch(ifd, a.o.source,
                                           IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
                                                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
                /* someone deleting or overwriting an installed file: put it back.
                 * Watched through the fd: the path might be swapped for a symlink since. */
                char self[64];
                snprintf(self, sizeof(self), "/proc/self/fd/%d", a.dirfd);
                int wd_dir = inotify_add_watch(ifd, self,
                                               IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ONLYDIR);
                if (wd_src < 0 || wd_dir < 0) {
                        cli_error(a.o.cmd, "%s: cannot watch: %s", wd_src < 0 ? a.o.source : a.dir, strerror(errno));
                        status = EXIT_INVALID;
                        goto out;
                }
        }

        r = agent_sync(&a);
        if (a.o.once) {
                status = r == 0 ? EXIT_OK : EXIT_INVALID;
                goto out;
        }
        /* A failed pass (unreadable source, a full disk) is tried again with a
         * growing delay; otherwise the agent sleeps until inotify wakes it. */
        int retry_ms = r < 0 ? 1000 : -1;
        for (;;) {
                struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN }, { .fd = ifd, .events = POLLIN } };
                int n_ready = poll(pfd, 2, retry_ms);
                if (n_ready < 0) {
                        if (errno == EINTR)
                                continue;
                        cli_error(a.o.cmd, "poll: %s", strerror(errno));
                        status = EXIT_INVALID;
                        break;
                }
                bool run = n_ready == 0, full = false;
                if (pfd[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        bool stop = false;
                        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                if (si.ssi_signo == SIGHUP)
                                        run = full = true;
                                else
                                        stop = true;
                        }
                        if (stop)
                                break;
                }
                if (pfd[1].revents & POLLIN) {
                        _Alignas(struct inotify_event) char buf[8192];
                        bool gone = false;
                        ssize_t k;
                        while ((k = read(ifd, buf, sizeof(buf))) > 0)
                                run |= events_matter(&a, buf, k, wd_src, &gone);
                        /* the echoes of the last sync were all queued before it returned */
                        touched_clear(&a);
                        if (gone) {
                                cli_error(a.o.cmd, "%s or %s went away", a.o.source, a.dir);
                                status = EXIT_INVALID;
                                break;
                        }
                }
                if (!run)
                        continue;
                if (full) {
                        entries_free(a.cache, a.n_cache);
                        a.cache = NULL;
                        a.n_cache = 0;
                }
                r = agent_sync(&a);
                if (r >= 0)
                        retry_ms = -1;
                else
                        retry_ms = retry_ms < 0 ? 1000 : (retry_ms * 2 > 60000 ? 60000 : retry_ms * 2);
        }
out:
        if (ifd >= 0)
                close(ifd);
        if (sfd >= 0)
                close(sfd);
        close(a.dirfd);
        free(a.dir);
        entries_free(a.cache, a.n_cache);
        sf_buf_release(&a.saved);
        touched_clear(&a);
        k8s_source_release(&a.prev);
        return status;
}

/* --- status ------------------------------------------------------------------------------ */

int k8s_status(int argc, char **argv)
{
        node_opts o = { .cmd = "k8s status" };
        int first, pr = parse_opts(argc, argv, &o, status_usage, true, false, &first);
        if (pr >= 0)
                return pr;
        k8s_source src = { 0 };
        _cleanup_free_ char *msg = NULL;
        if (k8s_source_read(o.source, NULL, &src, &msg) < 0) {
                cli_error(o.cmd, "%s", msg ? msg : "cannot read the source");
                return EXIT_INVALID;
        }
        int dirfd = -1;
        _cleanup_free_ char *dir = NULL;
        k8s_state st = { 0 };
        int dr = k8s_dir_open(o.root, o.subdir, false, &dirfd, &dir, &msg);
        if (dr < 0 && dr != -ENOENT)
                cli_error(o.cmd, "%s", msg ? msg : strerror(-dr)); /* e.g. a symlink: not the agent's dir */
        if (dr < 0)
                free(TAKE_PTR(msg)); /* every profile is then missing */
        else if (k8s_state_load(dirfd, &st, &msg) < 0)
                free(TAKE_PTR(msg)); /* no verdicts to reuse: decide each here */

        size_t current = 0;
        sf_buf js = { 0 };
        sf_buf txt = { 0 };
        for (size_t i = 0; i < src.n; i++) {
                const k8s_key *k = &src.v[i];
                const char *what = "current";
                char want[K8S_SHA_HEX] = "";
                _cleanup_free_ char *error = NULL;
                const k8s_entry *e = k8s_state_entry(&st, k->name);
                if (k->reject) {
                        sf_buf eb = { 0 };
                        sf_buf_printf(&eb, "%s/%s: %s", o.source, k->name, k->reject); /* the name is escaped */
                        error = sf_buf_steal(&eb);
                } else if (e && strcmp(e->src_sha, k->sha) == 0 && e->verdict != K8S_FAILED) {
                        /* the agent's verdict on this very text */
                        if (e->verdict == K8S_REJECTED)
                                error = strdup(e->error ? e->error : "invalid");
                        else
                                memcpy(want, e->sha, sizeof(want));
                } else {
                        sf_buf disp = { 0 };
                        sf_buf_printf(&disp, "%s/%s", o.source, k->name);
                        k8s_prepared p = { 0 };
                        int r = disp.oom ? -ENOMEM : k8s_prepare(disp.s, k->data, k->len, &o.co, o.as_given, &p, NULL);
                        sf_buf_release(&disp);
                        if (r < 0) {
                                cli_error(o.cmd, "out of memory");
                                k8s_source_release(&src);
                                k8s_state_release(&st);
                                if (dirfd >= 0)
                                        close(dirfd);
                                sf_buf_release(&js);
                                sf_buf_release(&txt);
                                return EXIT_INVALID;
                        }
                        if (r == 1)
                                error = TAKE_PTR(p.reason); /* the profile's text is not repeated */
                        else
                                memcpy(want, p.sha, sizeof(want));
                        k8s_prepared_release(&p);
                }
                char have[K8S_SHA_HEX] = "";
                struct stat now = { 0 };
                int hr = dirfd >= 0 && !k->reject ? k8s_hash_at(dirfd, k->name, have, &now) : -ENOENT;
                if (error || k->reject)
                        what = "rejected";
                else if (hr == -ENOENT)
                        what = "missing";
                else if (hr < 0 || strcmp(have, want) != 0 || (now.st_mode & 07777) != k->mode)
                        what = "stale";
                else
                        current++;
                bool ok = strcmp(what, "current") == 0;
                if (!ok) {
                        sf_buf_printf(&txt, "%s %s", what, k->name);
                        if (error)
                                sf_buf_printf(&txt, ": %s", error);
                        if (strcmp(what, "rejected") == 0 && hr == 0)
                                sf_buf_puts(&txt, " (an older copy is installed)");
                        sf_buf_putc(&txt, '\n');
                }
                sf_buf_puts(&js, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
                cli_json_str(&js, k->name);
                sf_buf_printf(&js, ", \"status\": \"%s\"", what);
                if (want[0])
                        sf_buf_printf(&js, ", \"sha256\": \"%s\"", want);
                if (hr == 0)
                        sf_buf_printf(&js, ", \"installed_sha256\": \"%s\"", have);
                if (error) {
                        sf_buf_puts(&js, ", \"error\": ");
                        cli_json_str(&js, error);
                }
                sf_buf_puts(&js, "}");
        }
        bool ready = current == src.n;
        if (o.json) {
                printf("{\n  \"ready\": %s,\n  \"source\": ", ready ? "true" : "false");
                sf_buf b = { 0 };
                cli_json_str(&b, o.source);
                sf_buf_puts(&b, ",\n  \"dir\": ");
                sf_buf p = { 0 };
                sf_buf_printf(&p, "%s/seccomp/%s", o.root, o.subdir);
                cli_json_str(&b, p.s);
                sf_buf_release(&p);
                printf("%s,\n  \"profiles\": [%s%s]\n}\n", b.s ? b.s : "", js.s ? js.s : "", src.n ? "\n  " : "");
                sf_buf_release(&b);
        } else {
                if (txt.s)
                        fputs(txt.s, stdout);
                printf("%s: %zu of %zu profile%s installed and current in %s/seccomp/%s\n",
                       ready ? "ready" : "not ready", current, src.n, src.n == 1 ? "" : "s", o.root, o.subdir);
        }
        sf_buf_release(&js);
        sf_buf_release(&txt);
        k8s_source_release(&src);
        k8s_state_release(&st);
        if (dirfd >= 0)
                close(dirfd);
        return ready ? EXIT_OK : EXIT_INVALID;
}
