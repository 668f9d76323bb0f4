/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence oci-hook: an OCI runtime hook that records a container's syscalls,
 * driven by podman's io.containers.trace-syscall annotation.
 *
 * prestart (or createRuntime): the runtime's init process exists and waits to
 * run the workload.  Counting starts at its execve of the workload: runc 1.1
 * (libcontainer/standard_init_linux.go) and crun 1.8 (src/libcrun/container.c)
 * run these hooks from their rootfs setup, before pivot_root, sethostname and
 * the remounts, and load the container's filter later, before that execve
 * (with no_new_privs off before dropping capabilities, else just before
 * the execve): what they make before the filter is not the workload's and must
 * not be allowed, what they make after it is the base set (--base).  The hook validates the annotation, then starts a detached
 * recorder (double fork, setsid, stdio on /dev/null: the runtime waits until
 * the hook's stdout and stderr are closed) that attaches to the init and its
 * threads with ptrace and says "attached" over a pipe; only then does the hook
 * exit 0, so nothing the workload does is missed.  The recorder holds an
 * exclusive flock on STATE_DIR/<container id> until the profile is written.
 *
 * poststop: waits (bounded) for that lock, so the profile exists when the
 * runtime is done with the container, and reports the recorder's outcome.
 *
 * The hook runs as root on the node and the annotation comes from whoever
 * writes the pod, so the annotation names files, not paths: of: a file in the
 * hook's --output-dir, if: one in its --input-dir (directories the hook's own
 * configuration names).  Each directory is opened once, at prestart
 * (O_DIRECTORY|O_NOFOLLOW), and the recorder keeps that fd until it writes:
 * nothing is resolved again when the container ends.  A name is opened
 * beneath its directory's fd with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)
 * and never through a symlink.  OUTPUT is written to a temporary file in the
 * directory (O_CREAT|O_EXCL) and renamed over the name: a new name only if it
 * is still free (RENAME_NOREPLACE), an existing one only if it is a profile the
 * hook wrote itself, which it knows by the file's device and inode, noted in
 * STATE_DIR/.written/ when it wrote it (and by its owner, root, and its single
 * link); a device, FIFO, socket, symlink or anybody else's file is refused.
 * INPUT must be a regular file of bounded size, opened O_NONBLOCK (a FIFO
 * cannot hang prestart); its errors name the file and a generic reason, never
 * what it holds, and a name in it that is no syscall is refused: it would go
 * into a file root writes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "arch/caps.h"
#include "cli.h"
#include "doc/doc.h"
#include "profile/merge.h"
#include "sysfence/arch.h"
#include "sysfence/record.h"

#define ANNOTATION "io.containers.trace-syscall"
#define STATE_DIR "/run/sysfence/oci-hook"
#define OUTPUT_DIR "/var/lib/sysfence/recordings"
#define INPUT_DIR "/etc/sysfence/baselines"
#define WRITTEN_DIR ".written" /* in STATE_DIR: no container id starts with '.' */
#define MAX_BASELINE (4u << 20) /* bytes of an if: profile */
#define MAX_STATE (1u << 20)   /* bytes of state JSON on stdin */
#define MAX_REPORT 4096        /* bytes the recorder reports back */
#define ATTACH_TIMEOUT_MS 30000

static const char usage[] =
        "usage: sysfence oci-hook [--default-action errno|kill|log] [--backend auto|ebpf|ptrace]\n"
        "                         [--base auto|none|runc|crun] [--output-dir DIR] [--input-dir DIR]\n"
        "                         [--state-dir DIR] [--timeout SECONDS]\n"
        "                         [--prefer baseline|recorded] [STAGE]\n"
        "\n"
        "An OCI runtime hook that records a container's syscalls and writes the profile\n"
        "that allows them, after oci-seccomp-bpf-hook: podman runs it for a container\n"
        "with the annotation\n"
        "\n"
        "  io.containers.trace-syscall=[if:INPUT;]of:OUTPUT\n"
        "\n"
        "OUTPUT names a file in --output-dir, INPUT one in --input-dir: file names, not\n"
        "paths (letters, digits, '.', '_', '-', not starting with '.', at most 255\n"
        "bytes), as whoever writes the pod chooses them and the hook runs as root.\n"
        "The runtime passes the container's state (JSON) on standard input.\n"
        "\n"
        "STAGE is the hook stage (default: from the state's status):\n"
        "  prestart, createRuntime  start a recorder for the container's init process\n"
        "                 before the workload runs; it goes on in the background\n"
        "                 until the container's processes are gone, then writes OUTPUT\n"
        "                 atomically: the syscalls the workload made from its execve\n"
        "                 on (not the runtime's setup before it: mount, pivot_root,\n"
        "                 sethostname...), what the runtime may make after it loads\n"
        "                 the filter (--base), merged with the profile INPUT if given\n"
        "  poststop       wait until that recorder has written OUTPUT; report its errors\n"
        "\n"
        "An invalid annotation, an INPUT that cannot be loaded, or a recorder that cannot\n"
        "attach fails the hook: the runtime then refuses to start the container, so\n"
        "nothing runs unrecorded.  OUTPUT is never left half-written, and is not\n"
        "written for a container that never started (no execve seen).  An existing\n"
        "OUTPUT is replaced only if it is a profile this hook wrote (noted in the\n"
        "state directory); a symlink, a device, a FIFO or another file is refused.\n"
        "\n"
        "  --default-action ACT   what the profile does with any other syscall: errno\n"
        "                         (default: fail with EPERM), kill or log; with if:\n"
        "                         INPUT's default action and errno instead\n"
        "  --prefer P             with if: baseline (default): a syscall INPUT denies\n"
        "                         by an explicit rule stays denied though the workload\n"
        "                         made it (poststop warns, listing them), and INPUT's\n"
        "                         default (its defaultErrnoRet too) is the profile's;\n"
        "                         recorded: what the workload made is allowed whatever\n"
        "                         INPUT says, and the default is --default-action's\n"
        "  --base RT              also allow what runtime RT (runc, crun) may do after it\n"
        "                         loads the filter: one recording sees only some of it\n"
        "                         (runc's Go runtime sends itself preemption signals at\n"
        "                         random), and the container then dies at random under\n"
        "                         the profile; auto (default): the runtime whose init\n"
        "                         process the hook finds (runc or crun), else none\n"
        "  --backend B            ebpf: every process of the container's pid namespace\n"
        "                         (podman exec too), counted in the kernel, nothing\n"
        "                         stopped, until its init ends; ptrace: the init process\n"
        "                         and its descendants, traced with PTRACE_SYSCALL;\n"
        "                         auto (default): ebpf where it is built in and loads,\n"
        "                         and the container has a pid namespace, else ptrace\n"
        "  --output-dir DIR       where OUTPUT is written (default\n"
        "                         " OUTPUT_DIR ", created 0700 if missing)\n"
        "  --input-dir DIR        where INPUT is read (default " INPUT_DIR ")\n"
        "  --state-dir DIR        where recorders keep their lock files and the hook\n"
        "                         notes the profiles it wrote (default\n"
        "                         " STATE_DIR ")\n"
        "  --timeout SECONDS      poststop: how long to wait for the recorder\n"
        "                         (default 30)\n"
        "  -h, --help             show this help\n"
        "\n"
        "Install: copy hooks/sysfence-trace-syscall*.json (with the path of sysfence)\n"
        "into /usr/share/containers/oci/hooks.d/ or /etc/containers/oci/hooks.d/.\n"
        "\n"
        "exit status: 0 success (or no annotation: nothing to do); 1 invalid state,\n"
        "annotation or INPUT, or the recording failed; 2 usage error\n"
        "\n"
        "example:\n"
        "  podman run --annotation io.containers.trace-syscall=of:ls.json IMAGE ls /\n"
        "  podman run --security-opt seccomp=" OUTPUT_DIR "/ls.json IMAGE ls /\n";

typedef struct hook_opts {
        sf_synth_opts so;
        bool prefer_recorded; /* the recording's allowances and default beat the baseline's */
        const char *backend; /* auto, ebpf, ptrace */
        const char *state_dir;
        const char *output_dir;
        const char *input_dir;
        unsigned timeout;
} hook_opts;

/* The directories the hook writes in, opened once at prestart: the recorder
 * writes OUTPUT through these fds, never through their paths. */
typedef struct hook_dirs {
        int out;     /* --output-dir */
        int written; /* STATE_DIR/.written: one empty file "DEV-INO" per profile written */
} hook_dirs;

static void hook_dirs_close(hook_dirs *d)
{
        closep(&d->out);
        closep(&d->written);
        d->out = d->written = -1;
}

/* What the runtime says of the container. */
typedef struct hook_state {
        const char *id;
        const char *status;
        long pid;
        const char *bundle;
        const char *annotation; /* NULL: absent */
        sf_doc doc, config;
        bool config_tried;
} hook_state;

/* The annotation's value, parsed: file names (valid_name). */
typedef struct trace_spec {
        char *input;  /* NULL: none; in --input-dir */
        char *output; /* in --output-dir */
} trace_spec;

static void trace_spec_release(trace_spec *t)
{
        free(t->input);
        free(t->output);
        t->input = t->output = NULL;
}

static void hook_state_release(hook_state *s)
{
        sf_doc_release(&s->doc);
        sf_doc_release(&s->config);
}

/* --- the state on stdin ------------------------------------------------------------ */

static const char *node_str(const sf_node *obj, const char *key)
{
        const sf_node *n = sf_node_get(obj, key);
        return n && n->kind == SF_NODE_STR ? n->str.s : NULL;
}

/* The bundle's config.json (NULL when unreadable), parsed once. */
static const sf_node *bundle_config(hook_state *s)
{
        if (s->config.n_docs == 1)
                return s->config.docs[0];
        if (s->config_tried || !s->bundle || s->bundle[0] != '/')
                return NULL;
        s->config_tried = true;
        sf_buf path = { 0 };
        sf_buf_printf(&path, "%s/config.json", s->bundle);
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (!path.oom && sf_read_file(path.s, SF_PROFILE_MAX_FILE, &data, &len, NULL) == 0 &&
            sf_json_parse(data, len, path.s, &s->config, NULL) < 0)
                sf_doc_release(&s->config);
        sf_buf_release(&path);
        return s->config.n_docs == 1 ? s->config.docs[0] : NULL;
}

/* The annotation in the config.json of the bundle, for a runtime whose state
 * lacks annotations. */
static void annotation_from_bundle(hook_state *s)
{
        s->annotation = node_str(sf_node_get(bundle_config(s), "annotations"), ANNOTATION);
}

/* A container id names a file in the state directory, and the annotation's
 * of: and if: files in their directories: one path component, no '/', no
 * leading dot (so neither "." nor ".." nor the hook's own temporaries). */
static bool valid_name(const char *id)
{
        size_t n = strlen(id);
        if (n == 0 || n > 255 || id[0] == '.')
                return false;
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '-' || *p == '.'))
                        return false;
        return true;
}

static int read_state(hook_state *s)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        sf_error *err = NULL;
        if (isatty(STDIN_FILENO)) {
                cli_error("oci-hook", "the container state is read from standard input (the runtime passes it; see --help)");
                return EXIT_USAGE;
        }
        if (sf_read_file("-", MAX_STATE, &data, &len, &err) < 0) {
                cli_error("oci-hook", "cannot read the container state: %s", sf_error_message(err));
                sf_error_free(err);
                return EXIT_INVALID;
        }
        sf_diags d = { 0 };
        if (sf_json_parse(data, len, "<state>", &s->doc, &d) < 0 || s->doc.n_docs != 1) {
                for (size_t i = 0; i < d.n; i++) {
                        _cleanup_free_ char *m = sf_diag_format(&d.v[i]);
                        cli_error("oci-hook", "the container state on standard input is not JSON: %s",
                                  m ? m : "out of memory");
                }
                if (d.n == 0)
                        cli_error("oci-hook", "the container state on standard input is not JSON");
                sf_diags_release(&d);
                return EXIT_INVALID;
        }
        sf_diags_release(&d);
        const sf_node *root = s->doc.docs[0];
        if (root->kind != SF_NODE_OBJ) {
                cli_error("oci-hook", "the container state is a JSON %s, not an object", sf_node_kind_name(root->kind));
                return EXIT_INVALID;
        }
        s->id = node_str(root, "id");
        if (!s->id) {
                cli_error("oci-hook", "the container state has no \"id\" string");
                return EXIT_INVALID;
        }
        if (!valid_name(s->id)) {
                cli_error("oci-hook", "the container state's id \"%s\" is not a container id (letters, digits, '_', '-', '.')",
                          s->id);
                return EXIT_INVALID;
        }
        s->status = node_str(root, "status");
        s->bundle = node_str(root, "bundle");
        const sf_node *pid = sf_node_get(root, "pid");
        s->pid = 0;
        if (pid) {
                if (pid->kind != SF_NODE_NUM || !pid->num_is_int || pid->num_neg || pid->num_overflow ||
                    pid->num.mag > INT32_MAX) {
                        cli_error("oci-hook", "the container state's pid %s is not a process id",
                                  pid->kind == SF_NODE_NUM ? pid->num.text : sf_node_kind_name(pid->kind));
                        return EXIT_INVALID;
                }
                s->pid = (long)pid->num.mag;
        }
        const sf_node *ann = sf_node_get(root, "annotations");
        if (ann && ann->kind != SF_NODE_OBJ) {
                cli_error("oci-hook", "the container state's annotations is a %s, not an object",
                          sf_node_kind_name(ann->kind));
                return EXIT_INVALID;
        }
        if (ann) {
                const sf_node *v = sf_node_get(ann, ANNOTATION);
                if (v && v->kind != SF_NODE_STR) {
                        cli_error("oci-hook", "annotation " ANNOTATION " is a %s, not a string",
                                  sf_node_kind_name(v->kind));
                        return EXIT_INVALID;
                }
                s->annotation = v ? v->str.s : NULL;
        } else
                annotation_from_bundle(s);
        return 0;
}

/* --- the annotation ------------------------------------------------------------------ */

/* "[if:INPUT;]of:OUTPUT" (the two in either order).  Prints the problem. */
static int parse_annotation(const char *value, trace_spec *t)
{
        static const char form[] = "expected [if:INPUT;]of:OUTPUT, file names in the hook's --input-dir and --output-dir";
        if (!*value) {
                cli_error("oci-hook", "annotation " ANNOTATION " is empty: %s", form);
                return EXIT_INVALID;
        }
        for (const char *p = value;;) {
                const char *e = strchrnul(p, ';');
                /* spaces around each part and its value are trimmed, as oci-seccomp-bpf-hook does */
                while (p < e && (*p == ' ' || *p == '\t'))
                        p++;
                size_t n = (size_t)(e - p);
                while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                        n--;
                char **slot = NULL;
                if (n >= 3 && strncmp(p, "if:", 3) == 0)
                        slot = &t->input;
                else if (n >= 3 && strncmp(p, "of:", 3) == 0)
                        slot = &t->output;
                if (!slot) {
                        cli_error("oci-hook", "annotation " ANNOTATION "=\"%s\": \"%.*s\" is neither if:INPUT nor of:OUTPUT (%s)",
                                  value, (int)n, p, form);
                        return EXIT_INVALID;
                }
                if (*slot) {
                        cli_error("oci-hook", "annotation " ANNOTATION "=\"%s\": %.3s given twice", value, p);
                        return EXIT_INVALID;
                }
                const char *v = p + 3;
                size_t m = n - 3;
                while (m && (*v == ' ' || *v == '\t'))
                        v++, m--;
                if (!(*slot = strndup(v, m))) {
                        cli_error("oci-hook", "out of memory");
                        return EXIT_INVALID;
                }
                if (!valid_name(*slot)) {
                        cli_error("oci-hook",
                                  "annotation " ANNOTATION "=\"%s\": %.3s \"%.*s\" is not a file name in the hook's %s (letters, digits, '.', '_', '-'; no '/'; not starting with '.'; at most 255 bytes)",
                                  value, p, (int)m, v, slot == &t->input ? "--input-dir" : "--output-dir");
                        return EXIT_INVALID;
                }
                if (!*e)
                        break;
                p = e + 1;
        }
        if (!t->output) {
                cli_error("oci-hook", "annotation " ANNOTATION "=\"%s\" has no of:OUTPUT (%s)", value, form);
                return EXIT_INVALID;
        }
        return 0;
}

/* --- files beneath the hook's directories --------------------------------------------- */

/* Opens name, one component (valid_name), in the directory dirfd: never through
 * a symlink, never out of the directory.  An fd, or -errno. */
static int open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
        };
        long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
        if (fd >= 0)
                return (int)fd;
        if (errno != ENOSYS)
                return -errno;
        /* before Linux 5.6: a name without '/' that is not "." or ".." cannot
         * leave the directory, and O_NOFOLLOW keeps its one component from
         * being a symlink, which is what the RESOLVE_* flags would add */
        if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return -EINVAL;
        int r = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        return r >= 0 ? r : -errno;
}

/* Opens a directory the hook's configuration names: its path is root's, and
 * only its last component is checked (a directory, not a symlink).  An fd
 * above the standard streams (the recorder puts /dev/null on those), or -errno. */
static int open_config_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fd <= STDERR_FILENO) {
                int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
                int e = errno;
                close(fd);
                if (moved < 0)
                        return -e;
                fd = moved;
        }
        return fd;
}

static void written_entry(char *buf, size_t size, const struct stat *st)
{
        snprintf(buf, size, "%ju-%ju", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
}

/* Whether the file st describes is a profile this hook wrote: noted by device
 * and inode when it was written, and still root's (the hook's) with one link.
 * An inode number can come back after the file is removed: the owner and the
 * link count narrow that to a file root made in the output directory. */
static bool hook_wrote(const hook_dirs *d, const struct stat *st)
{
        char entry[64];
        struct stat e;
        if (!S_ISREG(st->st_mode) || st->st_uid != geteuid() || st->st_nlink != 1)
                return false;
        written_entry(entry, sizeof(entry), st);
        return fstatat(d->written, entry, &e, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(e.st_mode);
}

enum { OUTPUT_NEW, OUTPUT_REPLACE };

/* What is at OUTPUT now: OUTPUT_NEW (nothing), OUTPUT_REPLACE (a profile the hook
 * wrote, described in *ret_st), or an error that says why it is left alone.
 * O_PATH opens nothing (no device's open, no wait on a FIFO). */
static int output_check(const hook_dirs *d, const char *dir, const char *name, struct stat *ret_st, sf_error **err)
{
        _cleanup_close_ int fd = open_beneath(d->out, name, O_PATH, 0);
        if (fd == -ENOENT)
                return OUTPUT_NEW;
        if (fd == -ELOOP)
                return sf_error_set(err, ELOOP, "%s/%s is a symbolic link: not followed, not replaced", dir, name);
        if (fd < 0)
                return sf_error_set(err, -fd, "%s/%s: cannot open: %s", dir, name, strerror(-fd));
        struct stat st;
        if (fstat(fd, &st) < 0)
                return sf_error_set(err, errno, "%s/%s: cannot stat: %s", dir, name, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return sf_error_set(err, EINVAL, "%s/%s is %s, not a regular file: not written", dir, name,
                                    sf_file_kind(st.st_mode));
        if (!hook_wrote(d, &st))
                return sf_error_set(err, EEXIST,
                                    "%s/%s exists and is not a profile this hook wrote: not replaced (remove it, or choose another name)",
                                    dir, name);
        *ret_st = st;
        return OUTPUT_REPLACE;
}

/* Writes OUTPUT in the output directory: a temporary file there (O_EXCL), fsync,
 * noted as the hook's, renamed over the name (see output_check), fsync of the
 * directory.  dir is the directory's path, for messages only. */
static int output_write(const hook_dirs *d, const char *dir, const char *name, const char *text, sf_error **err)
{
        struct stat old;
        int kind = output_check(d, dir, name, &old, err);
        if (kind < 0)
                return kind;
        char tmp[64];
        _cleanup_close_ int fd = -1;
        for (int tries = 0; fd < 0; tries++) {
                uint64_t rnd;
                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        rnd = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)tries;
                snprintf(tmp, sizeof(tmp), ".sysfence-%016jx", (uintmax_t)rnd);
                fd = open_beneath(d->out, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
                if (fd == -EEXIST && tries < 16) {
                        fd = -1;
                        continue;
                }
                if (fd < 0)
                        return sf_error_set(err, -fd, "%s/%s: cannot create a temporary file in %s: %s", dir, name, dir,
                                            strerror(-fd));
        }
        int r = 0;
        char entry[64] = "";
        struct stat st;
        for (size_t off = 0, len = strlen(text); off < len;) {
                ssize_t n = write(fd, text + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = sf_error_set(err, errno, "%s/%s: cannot write: %s", dir, name, strerror(errno));
                        goto fail;
                }
                off += (size_t)n;
        }
        if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || fstat(fd, &st) < 0) {
                r = sf_error_set(err, errno, "%s/%s: cannot sync: %s", dir, name, strerror(errno));
                goto fail;
        }
        /* noted before it has the name: a file the hook wrote is always known as such */
        written_entry(entry, sizeof(entry), &st);
        int efd = openat(d->written, entry, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (efd < 0) {
                r = sf_error_set(err, errno, "%s/%s: cannot note it as written by the hook: %s", dir, name,
                                 strerror(errno));
                entry[0] = '\0';
                goto fail;
        }
        close(efd);
        /* what is there may have changed while the container ran */
        struct stat now;
        int kind2 = output_check(d, dir, name, &now, err);
        if (kind2 < 0) {
                r = kind2;
                goto fail;
        }
        if (kind2 != kind || (kind == OUTPUT_REPLACE && (now.st_dev != old.st_dev || now.st_ino != old.st_ino))) {
                r = sf_error_set(err, EAGAIN, "%s/%s changed while the profile was written: not replaced", dir, name);
                goto fail;
        }
        if (kind == OUTPUT_NEW) {
                /* only if the name is still free */
                r = renameat2(d->out, tmp, d->out, name, RENAME_NOREPLACE);
                if (r < 0 && errno == EINVAL) {
                        /* a file system without RENAME_NOREPLACE: link(2) does not replace either */
                        r = linkat(d->out, tmp, d->out, name, 0);
                        if (r == 0)
                                (void)unlinkat(d->out, tmp, 0);
                }
        } else
                r = renameat(d->out, tmp, d->out, name);
        if (r < 0) {
                r = sf_error_set(err, errno, "%s/%s: cannot rename into place: %s", dir, name, strerror(errno));
                goto fail;
        }
        if (kind == OUTPUT_REPLACE) {
                char gone[64];
                written_entry(gone, sizeof(gone), &old);
                (void)unlinkat(d->written, gone, 0);
        }
        (void)fsync(d->out);
        return 0;
fail:
        (void)unlinkat(d->out, tmp, 0);
        if (entry[0])
                (void)unlinkat(d->written, entry, 0);
        return r;
}

/* The if: profile's text: a regular file of at most MAX_BASELINE bytes beneath
 * the input directory.  Prints the problem, which names the file and a
 * reason, never what the file holds (INPUT may be any file in that directory,
 * and the annotation's author reads the message). */
static int baseline_read(int dirfd, const char *dir, const char *name, char **ret_data, size_t *ret_len)
{
        _cleanup_close_ int fd = open_beneath(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
        if (fd < 0) {
                if (fd == -ELOOP)
                        cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s/%s is a symbolic link: not followed",
                                  name, dir, name);
                else
                        cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: cannot read the profile %s/%s: %s", name,
                                  dir, name, strerror(-fd));
                return EXIT_INVALID;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: cannot stat %s/%s: %s", name, dir, name,
                          strerror(errno));
                return EXIT_INVALID;
        }
        if (!S_ISREG(st.st_mode)) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s/%s is %s, not a regular file", name, dir,
                          name, sf_file_kind(st.st_mode));
                return EXIT_INVALID;
        }
        if ((uint64_t)st.st_size > MAX_BASELINE) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s/%s is larger than %u bytes", name, dir, name,
                          MAX_BASELINE);
                return EXIT_INVALID;
        }
        size_t cap = (size_t)st.st_size + 1, len = 0;
        _cleanup_free_ char *data = malloc(cap + 1);
        if (!data) {
                cli_error("oci-hook", "out of memory");
                return EXIT_INVALID;
        }
        /* one byte more than fstat said: a file that grows past it is refused */
        while (len < cap) {
                ssize_t n = read(fd, data + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: cannot read %s/%s: %s", name, dir, name,
                                  strerror(errno));
                        return EXIT_INVALID;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len == cap) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s/%s grew while it was read", name, dir, name);
                return EXIT_INVALID;
        }
        data[len] = '\0';
        *ret_data = TAKE_PTR(data);
        *ret_len = len;
        return 0;
}

/* Loads the if: profile.  Every name in it must be a syscall: names go into
 * the file root writes, and one that is not a syscall ("/path/x.so") would be
 * copied there as it is. */
static int baseline_load(int dirfd, const char *dir, const char *name, sf_profile **ret)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = baseline_read(dirfd, dir, name, &data, &len);
        if (r)
                return r;
        sf_buf label = { 0 };
        sf_buf_printf(&label, "%s/%s", dir, name);
        if (label.oom) {
                cli_error("oci-hook", "out of memory");
                return EXIT_INVALID;
        }
        sf_profile **v = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        sf_diags d = { 0 };
        r = sf_profile_load_data(data, len, label.s, NULL, &v, &n, &d, &err);
        /* the findings quote the file: not shown */
        sf_diags_release(&d);
        sf_error_free(err);
        if (r < 0) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s is not a valid profile (sysfence check %s on the node says why)",
                          name, label.s, label.s);
                sf_buf_release(&label);
                return EXIT_INVALID;
        }
        if (n != 1) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s holds %zu profiles, not one", name, label.s,
                          n);
                sf_profiles_free(v, n);
                sf_buf_release(&label);
                return EXIT_INVALID;
        }
        sf_profile *p = v[0];
        free(v);
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t j = 0; j < p->rules[i].n_names; j++) {
                        if (sf_syscall_known(p->rules[i].names[j]))
                                continue;
                        /* where, not what: the name itself is the file's content */
                        const sf_loc *loc = p->rules[i].name_locs ? &p->rules[i].name_locs[j] : NULL;
                        if (loc && loc->path && loc->path[0])
                                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s: %s is not a syscall: refused (the names of INPUT go into OUTPUT)",
                                          name, label.s, loc->path);
                        else
                                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: %s: %ssyscalls[%zu].names[%zu] is not a syscall: refused (the names of INPUT go into OUTPUT)",
                                          name, label.s, p->format == SF_FORMAT_CRD ? "spec." : "", i, j);
                        sf_profile_free(p);
                        sf_buf_release(&label);
                        return EXIT_INVALID;
                }
        sf_buf_release(&label);
        *ret = p;
        return 0;
}

/* --- the state directory -------------------------------------------------------------- */

static int mkdir_p(const char *path)
{
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                if (*s == '/' || *s == '\0') {
                        char c = *s;
                        *s = '\0';
                        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                                return -errno;
                        *s = c;
                        if (!c)
                                break;
                }
        }
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static char *lock_path(const hook_opts *o, const char *id)
{
        sf_buf b = { 0 };
        sf_buf_printf(&b, "%s/%s", o->state_dir, id);
        return sf_buf_steal(&b);
}

/* Creates and opens the state directory's .written and the output directory.
 * Prints the problem. */
static int open_dirs(const hook_opts *o, hook_dirs *d)
{
        int r = mkdir_p(o->state_dir);
        _cleanup_close_ int state = r < 0 ? r : open_config_dir(o->state_dir);
        if (state < 0) {
                cli_error("oci-hook", "cannot create the state directory %s: %s", o->state_dir, strerror(-state));
                return EXIT_INVALID;
        }
        if (mkdirat(state, WRITTEN_DIR, 0700) < 0 && errno != EEXIST) {
                cli_error("oci-hook", "cannot create %s/" WRITTEN_DIR ": %s", o->state_dir, strerror(errno));
                return EXIT_INVALID;
        }
        d->written = open_beneath(state, WRITTEN_DIR, O_RDONLY | O_DIRECTORY, 0);
        if (d->written >= 0 && d->written <= STDERR_FILENO) {
                int moved = fcntl(d->written, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
                close(d->written);
                d->written = moved < 0 ? -errno : moved;
        }
        if (d->written < 0) {
                cli_error("oci-hook", "cannot open %s/" WRITTEN_DIR ": %s", o->state_dir, strerror(-d->written));
                return EXIT_INVALID;
        }
        r = mkdir_p(o->output_dir);
        d->out = r < 0 ? r : open_config_dir(o->output_dir);
        if (d->out < 0) {
                cli_error("oci-hook", "the output directory %s (--output-dir): %s", o->output_dir, strerror(-d->out));
                return EXIT_INVALID;
        }
        return 0;
}

/* Replaces the lock file's text (the recorder's outcome, read by poststop). */
static void set_state(int fd, const char *text)
{
        if (ftruncate(fd, 0) < 0)
                return;
        size_t len = strlen(text);
        for (size_t off = 0; off < len;) {
                ssize_t n = pwrite(fd, text + off, len - off, (off_t)off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                off += (size_t)n;
        }
}

/* --- the recorder (the detached daemon) ------------------------------------------------- */

static sf_recorder *the_recorder;
static sf_ebpf_recorder *the_ebpf;

static void on_term(int sig)
{
        (void)sig;
        int saved = errno;
        /* an attached tree is let go and goes on running; the profile is still written */
        if (the_recorder)
                sf_recorder_interrupt(the_recorder, 0);
        if (the_ebpf)
                sf_ebpf_recorder_interrupt(the_ebpf, 0);
        errno = saved;
}

/* Sends the hook one line: "ok" or the error. */
static void report(int fd, const char *msg)
{
        sf_buf b = { 0 };
        sf_buf_printf(&b, "%s\n", msg);
        for (size_t off = 0; !b.oom && off < b.len;) {
                ssize_t n = write(fd, b.s + off, b.len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t)n;
        }
        sf_buf_release(&b);
}

/* The profile of what the recorder saw, merged with the baseline: 0, or an error. */
static int make_profile(const sf_record *record, const hook_opts *o, const trace_spec *t, sf_profile *baseline,
                        char **ret_text, sf_buf *log, sf_error **err)
{
        sf_diags d = { 0 };
        char *text = NULL;
        int r = sf_record_to_profile(record, &o->so, &text, &d, err);
        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *m = sf_diag_format(&d.v[i]);
                sf_buf_printf(log, "%s\n", m ? m : "out of memory");
        }
        sf_diags_release(&d);
        if (r < 0 || !baseline) {
                *ret_text = text;
                return r;
        }
        sf_profile **rec = NULL;
        size_t n = 0;
        r = sf_profile_load_data(text, strlen(text), "<recorded>", NULL, &rec, &n, NULL, err);
        free(text);
        if (r < 0)
                return sf_error_wrap(err, "the recorded profile");
        if (n != 1) {
                sf_profiles_free(rec, n);
                return sf_error_set(err, EINVAL, "the recorded profile is not one profile");
        }
        /* The recorded rules first; the baseline's denials win over them unless
         * --prefer recorded (then libseccomp keeps the first rule: the recording's). */
        sf_profile *in[2] = { rec[0], baseline };
        sf_profile *merged = NULL;
        sf_merge_opts mo = {
                .default_action = o->prefer_recorded ? &rec[0]->default_action : &baseline->default_action,
                .name = t->output,
                .prefer_first = o->prefer_recorded,
        };
        r = sf_profile_merge(in, 2, &mo, &merged, &d, err);
        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *m = sf_diag_format(&d.v[i]);
                sf_buf_printf(log, "%s\n", m ? m : "out of memory");
                /* what the workload made that the baseline keeps denied: the one
                 * thing a user must see, and podman shows no hook's output */
                if (r == 0 && m && d.v[i].id && strcmp(d.v[i].id, "merge-denied") == 0)
                        cli_syslog_info("oci-hook: %s: %s", t->output, m);
        }
        sf_diags_release(&d);
        sf_profiles_free(rec, n);
        if (r < 0) {
                /* the message may quote INPUT, which the annotation's author
                 * must not read: a reason of our own instead of a wrap */
                sf_error_free(*err);
                *err = NULL;
                return sf_error_set(err, EINVAL, "the recording cannot be merged with if:%s", t->input);
        }
        r = sf_profile_emit(merged, SF_FORMAT_DOCKER, ret_text, err);
        sf_profile_free(merged);
        return r;
}

/* Whether the tree made an execve: the runtime's init ends in one; without it
 * the container never started (a later hook or the runtime failed). */
static bool executed(const sf_record *record)
{
        sf_record_entry *e = NULL;
        size_t n = 0;
        if (sf_record_entries(record, &e, &n, NULL) < 0)
                return true; /* cannot tell: keep what was recorded */
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
                found = e[i].name && (strcmp(e[i].name, "execve") == 0 || strcmp(e[i].name, "execveat") == 0);
        free(e);
        return found;
}

/* The daemon: attach, report, record until the tree is gone, write the profile.
 * Never returns. */
static void __attribute__((noreturn)) recorder_main(int report_fd, pid_t pid, const hook_opts *o,
                                                    const trace_spec *t, sf_profile *baseline, const char *lock,
                                                    const hook_dirs *dirs)
{
        /* stdio on /dev/null: the runtime reads the hook's stdout and stderr until
         * every writer is gone */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                if (null > STDERR_FILENO)
                        close(null);
        }
        /* syslog's socket is closed below with the rest: glibc must forget it, or
         * its next message goes to (and then closes) whatever file takes the number */
        closelog();
        /* nothing the runtime passed stays open but the pipe to the hook and the
         * directories (all above the standard streams) */
        int keep[3] = { report_fd, dirs->out, dirs->written };
        for (size_t i = 1; i < ARRAY_SIZE(keep); i++)
                for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
                        int x = keep[j];
                        keep[j] = keep[j - 1];
                        keep[j - 1] = x;
                }
        unsigned from = 3;
        for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
                if (keep[i] > (int)from)
                        close_range(from, (unsigned)keep[i] - 1, 0);
                if (keep[i] >= (int)from)
                        from = (unsigned)keep[i] + 1;
        }
        close_range(from, ~0u, 0);
        if (chdir("/") < 0) {
                /* not fatal: only paths given as absolute are used */
        }
        cli_syslog_open();
        /* whatever the runtime left: the recorder waits for its tracees' stops and
         * exits (SIGCHLD), and SIGTERM must reach it */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);

        int lock_fd = open(lock, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0) {
                sf_buf b = { 0 };
                sf_buf_printf(&b, "error: cannot lock %s: %s", lock, strerror(errno));
                report(report_fd, b.oom ? "error: out of memory" : b.s);
                _exit(1);
        }
        char line[64];
        snprintf(line, sizeof(line), "recording %d\n", (int)getpid());
        set_state(lock_fd, line);

        sf_error *err = NULL;
        /* From the workload's execve on: before it, runc and crun (both loading the
         * filter before that execve) mount, pivot_root, umount2 and sethostname;
         * what they make between the filter and the execve is the base set. */
        sf_record_opts ro = { .pin = SF_RECORD_PIN_NONE, .count_from_exec = pid };
        if (strcmp(o->backend, "ptrace") != 0 &&
            (sf_ebpf_recorder_new(&ro, &the_ebpf, &err) < 0 || sf_ebpf_recorder_pidns_of(the_ebpf, pid, &err) < 0)) {
                sf_ebpf_recorder_free(the_ebpf);
                the_ebpf = NULL;
                if (strcmp(o->backend, "ebpf") == 0) {
                        sf_buf b = { 0 };
                        sf_buf_printf(&b, "error: cannot record the container's pid namespace (eBPF): %s",
                                      sf_error_message(err));
                        unlink(lock);
                        report(report_fd, b.oom ? "error: out of memory" : b.s);
                        _exit(1);
                }
                sf_error_free(err); /* auto: ptrace then */
                err = NULL;
        }
        if (!the_ebpf &&
            (sf_recorder_new(&ro, &the_recorder, &err) < 0 || sf_recorder_attach(the_recorder, pid, &err) < 0)) {
                sf_buf b = { 0 };
                sf_buf_printf(&b, "error: cannot record the container's process %d: %s", (int)pid,
                              sf_error_message(err));
                /* no lock file outlives a hook that failed */
                unlink(lock);
                report(report_fd, b.oom ? "error: out of memory" : b.s);
                _exit(1);
        }
        struct sigaction sa = { .sa_handler = on_term }; /* no SA_RESTART: wake the wait */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        report(report_fd, "ok");
        close(report_fd);

        int status = 0;
        int wr = the_ebpf ? sf_ebpf_recorder_wait(the_ebpf, &status, &err)
                          : sf_recorder_wait(the_recorder, &status, &err);
        const sf_record *record = the_ebpf ? sf_ebpf_recorder_record(the_ebpf) : sf_recorder_record(the_recorder);
        sf_buf log = { 0 };
        _cleanup_free_ char *text = NULL;
        int r = wr;
        bool started = r >= 0 && executed(record);
        if (r < 0)
                sf_error_wrap(&err, "recording process %d", (int)pid);
        else if (!started)
                r = sf_error_set(&err, ESRCH, "the container's process %d ended before it executed the workload: no profile written for %s",
                                 (int)pid, t->output);
        else if ((r = make_profile(record, o, t, baseline, &text, &log, &err)) < 0)
                sf_error_wrap(&err, "the profile for %s", t->output);
        if (r == 0)
                r = output_write(dirs, o->output_dir, t->output, text, &err);
        if (r == 0)
                cli_syslog_info("oci-hook: process %d: profile written to %s/%s", (int)pid, o->output_dir, t->output);
        sf_buf out = { 0 };
        if (r == 0)
                sf_buf_printf(&out, "ok\n%s", log.s ? log.s : "");
        else
                sf_buf_printf(&out, "error\n%s%s\n", log.s ? log.s : "", sf_error_message(err));
        set_state(lock_fd, out.oom ? "error\nout of memory\n" : out.s);
        sf_buf_release(&out);
        sf_buf_release(&log);
        sf_error_free(err);
        sf_recorder_free(the_recorder);
        the_recorder = NULL;
        sf_ebpf_recorder_free(the_ebpf);
        the_ebpf = NULL;
        sf_profile_free(baseline);
        /* A container that never started may see no poststop: leave no lock file
         * (a poststop already waiting still reads why). */
        if (!started)
                unlink(lock);
        close(lock_fd); /* unlocks: poststop may go on */
        _exit(r == 0 ? 0 : 1);
}

/* Starts the daemon and waits for its word.  0 or EXIT_INVALID (printed). */
static int start_recorder(const hook_state *s, const hook_opts *o, const trace_spec *t, sf_profile *baseline,
                          const hook_dirs *dirs)
{
        _cleanup_free_ char *lock = lock_path(o, s->id);
        if (!lock) {
                cli_error("oci-hook", "out of memory");
                return EXIT_INVALID;
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                cli_error("oci-hook", "cannot create a pipe: %s", strerror(errno));
                return EXIT_INVALID;
        }
        if (p[1] <= STDERR_FILENO) {
                /* the daemon puts /dev/null on 0-2: the pipe must lie above them */
                int moved = fcntl(p[1], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
                close(p[1]);
                if (moved < 0) {
                        cli_error("oci-hook", "cannot create a pipe: %s", strerror(errno));
                        close(p[0]);
                        return EXIT_INVALID;
                }
                p[1] = moved;
        }
        fflush(stdout);
        fflush(stderr);
        pid_t mid = fork();
        if (mid < 0) {
                cli_error("oci-hook", "cannot fork: %s", strerror(errno));
                close(p[0]);
                close(p[1]);
                return EXIT_INVALID;
        }
        if (mid == 0) {
                /* a session of its own, and a grandchild: no terminal, no parent waiting on it */
                close(p[0]);
                if (setsid() < 0)
                        _exit(1);
                pid_t d = fork();
                if (d < 0)
                        _exit(1);
                if (d > 0)
                        _exit(0);
                recorder_main(p[1], (pid_t)s->pid, o, t, baseline, lock, dirs);
        }
        close(p[1]);
        int st;
        while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
                ;
        /* the word, or EOF when the daemon died first */
        char buf[MAX_REPORT];
        size_t len = 0;
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (spent >= ATTACH_TIMEOUT_MS) {
                        cli_error("oci-hook", "the recorder did not attach to process %ld within %d s", s->pid,
                                  ATTACH_TIMEOUT_MS / 1000);
                        close(p[0]);
                        return EXIT_INVALID;
                }
                struct pollfd pfd = { .fd = p[0], .events = POLLIN };
                int pr = poll(&pfd, 1, (int)(ATTACH_TIMEOUT_MS - spent));
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr <= 0)
                        continue;
                ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (len == sizeof(buf) - 1 || memchr(buf, '\n', len))
                        break;
        }
        close(p[0]);
        buf[len] = '\0';
        char *nl = strchr(buf, '\n');
        if (nl)
                *nl = '\0';
        if (strcmp(buf, "ok") == 0)
                return 0;
        if (strncmp(buf, "error: ", 7) == 0)
                cli_error("oci-hook", "container %s: %s", s->id, buf + 7);
        else
                cli_error("oci-hook", "container %s: the recorder ended before it attached to process %ld", s->id,
                          s->pid);
        return EXIT_INVALID;
}

/* The runtime whose init process pid is, by its name: runc's is "runc:[2:INIT]";
 * crun's child keeps crun's.  "none" when neither. */
static const char *runtime_of(pid_t pid)
{
        char file[64];
        snprintf(file, sizeof(file), "/proc/%d/comm", (int)pid);
        _cleanup_free_ char *comm = NULL;
        size_t len;
        if (sf_read_file(file, 64, &comm, &len, NULL) < 0)
                return "none";
        if (strncmp(comm, "runc", 4) == 0)
                return "runc";
        if (strstr(comm, "crun"))
                return "crun";
        return "none";
}

/* The baseline in the plain form the recorded profile merges with: archMap and
 * includes/excludes resolved for this node and the container's bounding
 * capabilities (from the bundle's config.json; the default set without it), as
 * the runtime resolves them.  A trial merge now, so that a baseline that cannot
 * merge stops the container instead of losing the recording at the end. */
static int prepare_baseline(hook_state *s, const hook_opts *o, const char *file, sf_profile **baseline)
{
        sf_target tg;
        sf_target_default(&tg);
        const sf_node *bounding = sf_node_get(sf_node_get(sf_node_get(bundle_config(s), "process"), "capabilities"),
                                              "bounding");
        if (bounding && bounding->kind == SF_NODE_ARR) {
                tg.caps = 0;
                for (size_t i = 0; i < bounding->arr.n; i++) {
                        const sf_node *c = bounding->arr.v[i];
                        int cap = c->kind == SF_NODE_STR ? sf_cap_from_name(c->str.s) : -1;
                        if (cap >= 0)
                                tg.caps |= UINT64_C(1) << cap;
                }
        }
        sf_error *err = NULL;
        sf_profile *resolved = NULL;
        /* the library's messages may quote the file: a generic reason instead */
        if (sf_profile_resolve(*baseline, &tg, &resolved, &err) < 0) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s cannot be resolved for this node (sysfence check on the node says why)",
                          file);
                sf_error_free(err);
                return EXIT_INVALID;
        }
        sf_profile_free(*baseline);
        *baseline = resolved;
        sf_action def = { .kind = o->so.default_action };
        if (def.kind == SF_ACT_ERRNO)
                def.data = o->so.default_errno ? o->so.default_errno : EPERM;
        sf_merge_opts mo = {
                .default_action = o->prefer_recorded ? &def : &(*baseline)->default_action,
                .target = &tg,
                .name = file,
                .prefer_first = o->prefer_recorded,
        };
        sf_profile *trial = NULL;
        sf_diags d = { 0 };
        int r = sf_profile_merge(baseline, 1, &mo, &trial, &d, &err);
        sf_diags_release(&d);
        sf_profile_free(trial);
        if (r < 0) {
                cli_error("oci-hook", "annotation " ANNOTATION ": if:%s cannot be merged (sysfence merge on the node says why)",
                          file);
                sf_error_free(err);
                return EXIT_INVALID;
        }
        return 0;
}

static int stage_start(hook_state *s, const hook_opts *o)
{
        if (!s->annotation)
                return EXIT_OK; /* not asked to record this container */
        trace_spec t = { 0 };
        hook_dirs dirs = { .out = -1, .written = -1 };
        int r = parse_annotation(s->annotation, &t);
        if (r == 0 && s->pid <= 0) {
                cli_error("oci-hook", "the container state has no \"pid\": the hook runs at prestart or createRuntime");
                r = EXIT_INVALID;
        }
        if (r == 0 && s->pid == getpid()) {
                cli_error("oci-hook", "the container state's pid %ld is the hook itself", s->pid);
                r = EXIT_INVALID;
        }
        if (r == 0)
                r = open_dirs(o, &dirs);
        if (r == 0) {
                /* refused now rather than after the container ran (checked again then) */
                sf_error *err = NULL;
                struct stat st;
                if (output_check(&dirs, o->output_dir, t.output, &st, &err) < 0) {
                        cli_error("oci-hook", "annotation " ANNOTATION ": of:%s: %s", t.output, sf_error_message(err));
                        sf_error_free(err);
                        r = EXIT_INVALID;
                }
        }
        sf_profile *baseline = NULL;
        if (r == 0 && t.input) {
                _cleanup_close_ int in = open_config_dir(o->input_dir);
                if (in < 0) {
                        cli_error("oci-hook", "annotation " ANNOTATION ": if:%s: the input directory %s (--input-dir): %s",
                                  t.input, o->input_dir, strerror(-in));
                        r = EXIT_INVALID;
                } else if ((r = baseline_load(in, o->input_dir, t.input, &baseline)) == 0)
                        r = prepare_baseline(s, o, t.input, &baseline);
        }
        hook_opts ro = *o;
        if (r == 0 && strcmp(ro.so.base, "auto") == 0)
                ro.so.base = runtime_of((pid_t)s->pid);
        if (r == 0)
                r = start_recorder(s, &ro, &t, baseline, &dirs);
        sf_profile_free(baseline);
        hook_dirs_close(&dirs);
        trace_spec_release(&t);
        return r;
}

static int stage_poststop(const hook_state *s, const hook_opts *o)
{
        _cleanup_free_ char *lock = lock_path(o, s->id);
        if (!lock) {
                cli_error("oci-hook", "out of memory");
                return EXIT_INVALID;
        }
        _cleanup_close_ int fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno == ENOENT)
                        return EXIT_OK; /* no recorder for this container (or poststop ran already) */
                cli_error("oci-hook", "container %s: cannot open %s: %s", s->id, lock, strerror(errno));
                return EXIT_INVALID;
        }
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        cli_error("oci-hook", "container %s: cannot lock %s: %s", s->id, lock, strerror(errno));
                        return EXIT_INVALID;
                }
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= (time_t)o->timeout) {
                        cli_error("oci-hook",
                                  "container %s: the recorder has not written its profile after %u s; it will when the container's processes are gone (%s)",
                                  s->id, o->timeout, lock);
                        return EXIT_INVALID;
                }
                struct timespec nap = { 0, 20 * 1000 * 1000 };
                nanosleep(&nap, NULL);
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        sf_buf path = { 0 };
        sf_buf_printf(&path, "/proc/self/fd/%d", fd);
        if (!path.oom)
                sf_read_file(path.s, MAX_REPORT * 16, &text, &len, NULL);
        sf_buf_release(&path);
        unlink(lock);
        if (text && strncmp(text, "ok\n", 3) == 0) {
                if (text[3])
                        fputs(text + 3, stderr);
                return EXIT_OK;
        }
        if (text && strncmp(text, "error\n", 6) == 0) {
                cli_error("oci-hook", "container %s: the recording failed:", s->id);
                fputs(text + 6, stderr);
        } else
                cli_error("oci-hook", "container %s: the recorder ended without writing its profile", s->id);
        return EXIT_INVALID;
}

int cmd_oci_hook(int argc, char **argv)
{
        static const struct option opts[] = {
                { "default-action", required_argument, NULL, 'd' }, { "base", required_argument, NULL, 'b' },
                { "state-dir", required_argument, NULL, 's' },      { "timeout", required_argument, NULL, 't' },
                { "backend", required_argument, NULL, 'B' },        { "output-dir", required_argument, NULL, 'o' },
                { "input-dir", required_argument, NULL, 'i' },      { "help", no_argument, NULL, 'h' },
                { "prefer", required_argument, NULL, 'p' },         { 0 },
        };
        hook_opts o = {
                .so = { .default_action = SF_ACT_ERRNO, .default_errno = EPERM, .format = SF_FORMAT_DOCKER,
                        .base = "auto" },
                .backend = "auto",
                .state_dir = STATE_DIR,
                .output_dir = OUTPUT_DIR,
                .input_dir = INPUT_DIR,
                .timeout = 30,
        };
        int c;
        /* podman shows a failing hook only as "exit status 1": its reasons go to syslog too */
        cli_syslog_open();
        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        if (strcmp(optarg, "errno") == 0)
                                o.so.default_action = SF_ACT_ERRNO;
                        else if (strcmp(optarg, "kill") == 0)
                                o.so.default_action = SF_ACT_KILL_PROCESS;
                        else if (strcmp(optarg, "log") == 0)
                                o.so.default_action = SF_ACT_LOG;
                        else
                                return cli_usage_error("oci-hook", "--default-action: \"%s\" is not errno, kill or log",
                                                       optarg);
                        break;
                case 'b':
                        if (strcmp(optarg, "none") != 0 && strcmp(optarg, "auto") != 0 && !sf_record_base(optarg))
                                return cli_usage_error("oci-hook", "--base: \"%s\" is not auto, none, runc or crun",
                                                       optarg);
                        o.so.base = optarg;
                        break;
                case 'B':
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "ebpf") != 0 && strcmp(optarg, "ptrace") != 0)
                                return cli_usage_error("oci-hook", "--backend: \"%s\" is not auto, ebpf or ptrace", optarg);
                        if (strcmp(optarg, "ebpf") == 0 && !sf_ebpf_recorder_supported())
                                return cli_usage_error("oci-hook", "--backend ebpf: this sysfence was built without the eBPF recorder");
                        o.backend = optarg;
                        break;
                case 's':
                        if (optarg[0] != '/')
                                return cli_usage_error("oci-hook", "--state-dir: \"%s\" is not an absolute path", optarg);
                        o.state_dir = optarg;
                        break;
                case 'o':
                case 'i':
                        if (optarg[0] != '/')
                                return cli_usage_error("oci-hook", "--%s: \"%s\" is not an absolute path",
                                                       c == 'o' ? "output-dir" : "input-dir", optarg);
                        *(c == 'o' ? &o.output_dir : &o.input_dir) = optarg;
                        break;
                case 't': {
                        uint64_t v;
                        if (sf_parse_u64(optarg, 10, &v) < 0 || v > 3600)
                                return cli_usage_error("oci-hook", "--timeout: \"%s\" is not a number of seconds (0 to 3600)",
                                                       optarg);
                        o.timeout = (unsigned)v;
                        break;
                }
                case 'p':
                        if (strcmp(optarg, "baseline") != 0 && strcmp(optarg, "recorded") != 0)
                                return cli_usage_error("oci-hook", "--prefer: \"%s\" is not baseline or recorded", optarg);
                        o.prefer_recorded = strcmp(optarg, "recorded") == 0;
                        break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("oci-hook", "invalid option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("oci-hook", "give one stage (prestart, createRuntime or poststop)");
        const char *stage = optind < argc ? argv[optind] : NULL;
        if (stage && strcmp(stage, "prestart") != 0 && strcmp(stage, "createRuntime") != 0 &&
            strcmp(stage, "poststop") != 0)
                return cli_usage_error("oci-hook", "unknown stage \"%s\" (prestart, createRuntime or poststop)", stage);

        hook_state s = { 0 };
        int r = read_state(&s);
        if (r == 0 && !stage) {
                /* the stage from the status: a container that has stopped is at poststop */
                if (!s.status) {
                        cli_error("oci-hook", "the container state has no \"status\"; give the stage (prestart or poststop)");
                        r = EXIT_INVALID;
                } else
                        stage = strcmp(s.status, "stopped") == 0 ? "poststop" : "prestart";
        }
        if (r == 0 && !s.annotation && strcmp(stage, "poststop") != 0)
                fprintf(stderr, "%s oci-hook: container %s has no " ANNOTATION " annotation: nothing to record\n",
                        cli_prog, s.id);
        if (r == 0)
                r = strcmp(stage, "poststop") == 0 ? stage_poststop(&s, &o) : stage_start(&s, &o);
        hook_state_release(&s);
        return r;
}
