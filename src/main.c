/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence: record, compile, apply and ship seccomp profiles.
 * The command table; each subcommand lives in its own cmd_<name>.c. */
#include <malloc.h>
#include <string.h>

#include "cli.h"
#include "sysfence/arch.h"
#include "sysfence/record.h"

static const cli_command commands[] = {
        { "check", cmd_check, "check profiles and report every problem with its spot", NULL },
        { "convert", cmd_convert, "write a profile in canonical Docker, OCI or SeccompProfile form", NULL },
        { "compile", cmd_compile, "compile a profile into a seccomp BPF program", NULL },
        { "disasm", cmd_disasm, "list a compiled program, annotated with the rules", NULL },
        { "test", cmd_test, "show what a profile does with one syscall and which rule decides", NULL },
        { "record", cmd_record, "record a command's syscalls and write the minimal profile", NULL },
        { "run", cmd_run, "run a command under a profile, as a container runtime would load it", NULL },
        { "profile", cmd_profile, "print the runtimes' default profiles built into sysfence", NULL },
        { "audit", cmd_audit, "decode seccomp audit records; count them, or turn them into a profile", NULL },
        { "merge", cmd_merge, "merge profiles into one that allows what any of them allows", NULL },
        { "intersect", cmd_intersect, "one profile that allows only what every input allows (KEP-6061)", NULL },
        { "diff", cmd_diff, "show what one profile allows that another does not, per arch", NULL },
        { "oci-precompile", cmd_oci_precompile, "put a compiled filter in an OCI config for crun", NULL },
        { "oci-hook", cmd_oci_hook, "record a container from an OCI hook (podman's io.containers.trace-syscall)", NULL },
        { "artifact", cmd_artifact, "push, pull and inspect profiles as OCI artifacts (KEP-6061)", NULL },
        { "k8s", cmd_k8s, "ship profiles to Kubernetes nodes, bind them in pods, lint pod specs", NULL },
        { "doctor", cmd_doctor, "check that this machine can apply, log and ship seccomp profiles", NULL },
        { "explain", cmd_explain, "show what a profile allows per arch and what its program costs", NULL },
        { "completion", cmd_completion, "print the bash completion script (made from this table)", NULL },
};

const cli_command *cli_commands(size_t *ret_n)
{
        *ret_n = ARRAY_SIZE(commands);
        return commands;
}

static void print_help(FILE *f)
{
        fprintf(f,
                "usage: sysfence [--version] [--help] COMMAND [ARGS]\n"
                "\n"
                "Record, compile, apply and ship seccomp profiles.\n"
                "\n"
                "commands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                fprintf(f, "  %-15s %s\n", commands[i].name, commands[i].summary);
        fprintf(f,
                "\n"
                "'sysfence COMMAND --help' shows a command's options; 'man sysfence' has examples.\n"
                "exit status: 0 success, 1 invalid input or failed check, 2 usage error.\n");
}

int main(int argc, char **argv)
{
        /* Blocks of 256 KiB and more are mapped and given back when freed, and
         * grown by mremap: glibc's default raises that threshold to the largest
         * block freed so far, after which a hostile profile's big tables stay in
         * the heap and realloc copies them (bench/hostile: peak RSS 111 MiB of
         * a 74 MiB peak heap). */
        mallopt(M_MMAP_THRESHOLD, 256 * 1024);
        if (argc < 2)
                return print_help(stderr), EXIT_USAGE;
        const char *cmd = argv[1];
        if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
                print_help(stdout);
                return EXIT_OK;
        }
        if (strcmp(cmd, "help") == 0) {
                if (argc < 3) {
                        print_help(stdout);
                        return EXIT_OK;
                }
                for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                        if (strcmp(commands[i].name, argv[2]) == 0) {
                                char *av[] = { argv[2], (char *)"--help", NULL };
                                return commands[i].fn(2, av);
                        }
                return cli_usage_error(NULL, "unknown command \"%s\"", argv[2]);
        }
        if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
                /* what this build can do: a bug report needs it */
                printf("sysfence %s\n", SYSFENCE_VERSION);
                printf("eBPF recorder: %s\n", sf_ebpf_recorder_supported()
                                                      ? "built in (record --backend ebpf, --pidns)"
                                                      : "not built (meson setup -Debpf=enabled, with libbpf, clang, bpftool)");
                printf("syscall tables: from libseccomp %s, %d arches\n", SF_LIBSECCOMP_VERSION, SF_ARCH__COUNT - 1);
                return EXIT_OK;
        }
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (strcmp(commands[i].name, cmd) == 0) {
                        int n = argc - 1, r = cli_inherit_opts(cmd, &n, argv + 1);
                        return r ? r : commands[i].fn(n, argv + 1);
                }

        const char *best = NULL;
        unsigned bestd = 3;
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
                unsigned d = sf_edit_distance(cmd, commands[i].name, 2);
                if (d < bestd) {
                        bestd = d;
                        best = commands[i].name;
                }
        }
        if (best)
                return cli_usage_error(NULL, "unknown command \"%s\" (did you mean \"%s\"?)", cmd, best);
        return cli_usage_error(NULL, "unknown command \"%s\"", cmd);
}
