#!/usr/bin/python3
"""The seccomp filter a process really runs under, and whether two filters
decide alike (test tooling for the node tests, tests/cri/README).

    filter.py dump PID OUT      write PID's filters (newest first, each as the
                                raw struct sock_filter array 'sysfence compile'
                                writes) to OUT.0, OUT.1 ...; print how many.
                                Root: PTRACE_SEIZE, PTRACE_INTERRUPT, then
                                PTRACE_SECCOMP_GET_FILTER per index, detach.
    filter.py compare A B [--check SYSFENCE]
                                run both programs in a classic-BPF interpreter
                                of the kernel's seccomp semantics over every
                                syscall number of x86_64, i386 and x32 (and
                                numbers past the tables, -1, a foreign arch),
                                and, for the numbers whose decision reads
                                arguments in either program, over the values
                                around every constant the programs compare an
                                argument with, one argument at a time; print the
                                count and the first differences; exit 0 only
                                if every decision is the same.  With --check,
                                'SYSFENCE test --bpf' (sysfence's emulator) runs
                                a sample of the cases on both programs too
                                (every differing syscall's first case, and some
                                common calls): exit 2 where the two emulators
                                disagree, so that neither is taken on trust.

The interpreter is written here from the classic BPF instruction set, on
purpose apart from sysfence's emulator: the test compares what containerd's
libseccomp loaded with what sysfence compiles, and neither side's tool judges.
"""
import ctypes
import errno
import os
import struct
import sys

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_SECCOMP_GET_FILTER = 0x420C
WALL = 0x40000000

AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386 = 0x40000003
AUDIT_ARCH_AARCH64 = 0xC00000B7
X32_BIT = 0x40000000


def dump(pid, out):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]

    def ptrace(req, addr=0, data=None):
        r = libc.ptrace(req, pid, ctypes.c_void_p(addr), data)
        if r < 0:
            e = ctypes.get_errno()
            raise OSError(e, "ptrace(%#x) pid %d: %s" % (req, pid, os.strerror(e)))
        return r

    ptrace(PTRACE_SEIZE)
    try:
        ptrace(PTRACE_INTERRUPT)
        os.waitpid(pid, WALL)
        n = 0
        while True:
            try:
                count = ptrace(PTRACE_SECCOMP_GET_FILTER, n)
            except OSError as e:
                # ENOENT past the last filter; EINVAL where the process has none
                if e.errno in (errno.ENOENT, errno.EINVAL):
                    break
                raise
            buf = ctypes.create_string_buffer(count * 8)
            ptrace(PTRACE_SECCOMP_GET_FILTER, n, ctypes.cast(buf, ctypes.c_void_p))
            with open("%s.%d" % (out, n), "wb") as f:
                f.write(buf.raw)
            n += 1
    finally:
        libc.ptrace(PTRACE_DETACH, pid, None, None)
    return n


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data or len(data) % 8:
        sys.exit("filter.py: %s: not a sock_filter array (%d bytes)" % (path, len(data)))
    return [struct.unpack_from("=HBBI", data, i) for i in range(0, len(data), 8)]


def data_word(nr, arch, args, off):
    if off == 0:
        return nr & 0xFFFFFFFF
    if off == 4:
        return arch
    if off in (8, 12):
        return 0  # instruction pointer
    i, hi = divmod(off - 16, 8)
    v = args[i] if i < len(args) else 0
    return (v >> 32) & 0xFFFFFFFF if hi else v & 0xFFFFFFFF


def run(prog, nr, arch, args, reads):
    """The 32-bit value the program returns; the argument offsets it loaded go into reads."""
    a = x = 0
    mem = [0] * 16
    pc = 0
    m = 0xFFFFFFFF
    while pc < len(prog):
        code, jt, jf, k = prog[pc]
        cls = code & 7
        pc += 1
        if cls in (0, 1):  # LD, LDX
            mode = code & 0xE0
            if mode == 0x00:
                v = k
            elif mode == 0x20:
                if cls == 1 or k % 4 or k > 60:
                    raise ValueError("bad load at %d" % (pc - 1))
                if k >= 8:
                    reads.add(k)
                v = data_word(nr, arch, args, k)
            elif mode == 0x60:
                v = mem[k & 15]
            elif mode == 0x80:
                v = 64
            else:
                raise ValueError("unsupported load %#x at %d" % (code, pc - 1))
            if cls == 0:
                a = v
            else:
                x = v
        elif cls == 2:
            mem[k & 15] = a
        elif cls == 3:
            mem[k & 15] = x
        elif cls == 4:  # ALU
            op = code & 0xF0
            s = x if code & 8 else k
            if op == 0x00: a = (a + s) & m
            elif op == 0x10: a = (a - s) & m
            elif op == 0x20: a = (a * s) & m
            elif op == 0x30: a = a // s if s else 0
            elif op == 0x40: a = a | s
            elif op == 0x50: a = a & s
            elif op == 0x60: a = (a << s) & m if s < 32 else 0
            elif op == 0x70: a = a >> s if s < 32 else 0
            elif op == 0x80: a = (-a) & m
            elif op == 0x90: a = a % s if s else 0
            elif op == 0xA0: a = a ^ s
            else: raise ValueError("unsupported alu %#x" % code)
        elif cls == 5:  # JMP
            op = code & 0xF0
            s = x if code & 8 else k
            if op == 0x00:
                pc += k
                continue
            if op == 0x10: c = a == s
            elif op == 0x20: c = a > s
            elif op == 0x30: c = a >= s
            elif op == 0x40: c = bool(a & s)
            else: raise ValueError("unsupported jump %#x" % code)
            pc += jt if c else jf
        elif cls == 6:  # RET
            return a if code & 0x18 == 0x10 else k
        elif cls == 7:
            if code & 0xF8 == 0x80:
                a = x
            else:
                x = a
    raise ValueError("program ran off its end")


def constants(prog):
    return {k for code, _, _, k in prog if code & 7 == 5 and code & 0xF0 != 0 and not code & 8} | \
           {k for code, _, _, k in prog if code & 7 == 4 and not code & 8}


def compare(pa, pb):
    ks = constants(pa) | constants(pb)
    samples = set()
    for k in ks:
        for v in (k, k - 1, k + 1):
            v &= 0xFFFFFFFF
            samples.update((v, v | 0xFFFFFFFF00000000, v | (1 << 32)))
    samples.update((0, 0xFFFFFFFFFFFFFFFF))
    cases = []
    for nr in list(range(0, 1100)) + [0x3FFFFFFF, 0xFFFFFFFF]:
        cases.append((nr, AUDIT_ARCH_X86_64))
        cases.append((nr, AUDIT_ARCH_I386))
    for nr in range(0, 1100):
        cases.append((nr | X32_BIT, AUDIT_ARCH_X86_64))
    cases.append((0, AUDIT_ARCH_AARCH64))
    n = 0
    diffs = []
    for nr, arch in cases:
        reads = set()
        ra = run(pa, nr, arch, [0] * 6, reads)
        rb = run(pb, nr, arch, [0] * 6, reads)
        n += 1
        if ra != rb:
            diffs.append((nr, arch, None, ra, rb))
        idx = sorted({(off - 16) // 8 for off in reads if off >= 16})
        for i in idx:
            for v in sorted(samples):
                args = [0] * 6
                args[i] = v
                ra = run(pa, nr, arch, args, set())
                rb = run(pb, nr, arch, args, set())
                n += 1
                if ra != rb:
                    diffs.append((nr, arch, (i, v), ra, rb))
    return n, diffs


def syscall_name(arch, nr):
    """libseccomp's name for nr on the arch ('' where it has none or is absent)."""
    try:
        lib = ctypes.CDLL("libseccomp.so.2")
    except OSError:
        return ""
    lib.seccomp_syscall_resolve_num_arch.restype = ctypes.c_char_p
    lib.seccomp_syscall_resolve_num_arch.argtypes = [ctypes.c_uint32, ctypes.c_int]
    token = arch
    if arch == AUDIT_ARCH_X86_64 and nr & X32_BIT and nr != 0xFFFFFFFF:
        token = 0x4000003E  # SCMP_ARCH_X32
    n = nr if nr < 0x80000000 else nr - (1 << 32)
    name = lib.seccomp_syscall_resolve_num_arch(token, n)
    return name.decode() if name else ""


ACTIONS = {"SCMP_ACT_ALLOW": 0x7FFF0000, "SCMP_ACT_LOG": 0x7FFC0000, "SCMP_ACT_TRAP": 0x00030000,
           "SCMP_ACT_KILL": 0, "SCMP_ACT_KILL_THREAD": 0, "SCMP_ACT_KILL_PROCESS": 0x80000000,
           "SCMP_ACT_NOTIFY": 0x7FC00000, "SCMP_ACT_ERRNO": 0x00050000, "SCMP_ACT_TRACE": 0x7FF00000}
SF_ARCH = {AUDIT_ARCH_X86_64: "amd64", AUDIT_ARCH_I386: "x86", AUDIT_ARCH_AARCH64: "arm64"}


def sysfence_says(sysfence, path, nr, arch, args):
    """The return value sysfence's emulator gives for one case."""
    import json
    import subprocess
    a = "x32" if arch == AUDIT_ARCH_X86_64 and nr & X32_BIT and nr != 0xFFFFFFFF else SF_ARCH[arch]
    argv = [sysfence, "test", "--bpf", path, str(nr)] + [str(v) for v in args] + ["--arch", a, "--json"]
    r = subprocess.run(argv, capture_output=True, text=True)
    try:
        d = json.loads(r.stdout)
    except ValueError:
        sys.exit("filter.py: %s: %s" % (" ".join(argv), (r.stderr or r.stdout).strip()[:300]))
    return ACTIONS[d["action"]] | int(d.get("errno", 0)) | int(d.get("trace", 0))


def cross_check(sysfence, pa, pb, a, b, diffs):
    """Cases where sysfence's emulator and this one disagree, as text."""
    cases = [(d[0], d[1], d[2]) for d in diffs]
    seen, sample = set(), []
    for nr, arch, arg in cases:
        if (nr, arch) not in seen:
            seen.add((nr, arch))
            sample.append((nr, arch, arg))
    sample = sample[:12] + [(nr, AUDIT_ARCH_X86_64, None) for nr in (0, 1, 59, 231, 0xFFFFFFFF)] + \
        [(nr, AUDIT_ARCH_I386, None) for nr in (3, 11, 252)] + [(0 | X32_BIT, AUDIT_ARCH_X86_64, None)]
    bad = []
    for nr, arch, arg in sample:
        args = [0] * 6
        if arg:
            args[arg[0]] = arg[1]
        args = args[:arg[0] + 1] if arg else []
        for path, prog in ((a, pa), (b, pb)):
            ours = run(prog, nr, arch, args + [0] * (6 - len(args)), set())
            theirs = sysfence_says(sysfence, path, nr, arch, args)
            if ours != theirs:
                bad.append("%s syscall %d %s: filter.py %#010x, sysfence test %#010x" % (
                    arch_name(arch, nr)[0], arch_name(arch, nr)[1], path, ours, theirs))
    return len(sample) * 2, bad


def arch_name(arch, nr):
    if arch == AUDIT_ARCH_X86_64:
        return ("x32", nr & ~X32_BIT) if nr & X32_BIT and nr != 0xFFFFFFFF else ("x86_64", nr)
    return ({AUDIT_ARCH_I386: "i386"}.get(arch, "arch %#x" % arch), nr)


def main(argv):
    if len(argv) == 3 and argv[0] == "dump":
        print(dump(int(argv[1]), argv[2]))
        return 0
    if len(argv) in (3, 5) and argv[0] == "compare" and (len(argv) == 3 or argv[3] == "--check"):
        pa, pb = load(argv[1]), load(argv[2])
        n, diffs = compare(pa, pb)
        if len(argv) == 5:
            checked, bad = cross_check(argv[4], pa, pb, argv[1], argv[2], diffs)
            if bad:
                print("the emulators disagree in %d of %d cases:" % (len(bad), checked))
                print("\n".join(bad[:10]))
                return 2
            checked_note = "; sysfence's emulator agrees on the %d cases sampled" % checked
        else:
            checked_note = ""
        groups = {}
        for d in diffs:
            groups.setdefault(arch_name(d[1], d[0]), []).append(d)
        print("%d decisions compared, %d differ, on %d syscalls%s" % (n, len(diffs), len(groups), checked_note))
        for (name, num), ds in sorted(groups.items()):
            _, _, arg, ra, rb = ds[0]
            where = " arg%d=%#x" % arg if arg else ""
            more = " (and %d more argument values)" % (len(ds) - 1) if len(ds) > 1 else ""
            sname = syscall_name(ds[0][1], ds[0][0])
            print("%s syscall %d%s%s: %s %#010x, %s %#010x%s" % (name, num, " (%s)" % sname if sname else "", where,
                                                               argv[1], ra, argv[2], rb, more))
        return 1 if diffs else 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
