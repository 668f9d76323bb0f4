#!/usr/bin/python3
"""keys.py DIR N [TOTAL]: N distinct valid profiles as the keys of a ConfigMap,
written to DIR (p0000.json ...), each an ERRNO default and one ALLOW rule of
names picked by the key's number, the rule as long as fits so that keys and
values together stay within TOTAL bytes (default 1,040,000: under the 1 MiB
the API server allows a ConfigMap, with room for its metadata).  Prints the
number of bytes written.  For the agent's tests and bench (tests/cri/README)."""
import json
import os
import sys

NAMES = ("read write openat close fstat mmap mprotect munmap brk rt_sigaction rt_sigprocmask ioctl pread64 "
         "pwrite64 readv writev access pipe select sched_yield mremap msync mincore madvise dup dup2 pause "
         "nanosleep getpid socket connect accept sendto recvfrom bind listen getsockname clone fork execve "
         "exit wait4 kill uname fcntl flock fsync getcwd chdir rename mkdir rmdir unlink readlink chmod").split()


def profile(i, k):
    pick = sorted({NAMES[(i * 7 + j * 13) % len(NAMES)] for j in range(k)} | {"execve", "exit_group"})
    return json.dumps({"defaultAction": "SCMP_ACT_ERRNO",
                       "syscalls": [{"names": pick, "action": "SCMP_ACT_ALLOW"}]}) + "\n"


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    d, n = argv[0], int(argv[1])
    total = int(argv[2]) if len(argv) > 2 else 1040000
    k = 1
    while k < len(NAMES) and sum(len(profile(i, k + 1)) + 10 for i in range(n)) <= total:
        k += 1
    os.makedirs(d, exist_ok=True)
    size = 0
    for i in range(n):
        text = profile(i, k)
        with open(os.path.join(d, "p%04d.json" % i), "w") as f:
            f.write(text)
        size += len(text) + 10
    if size > total:
        sys.exit("keys.py: %d keys do not fit in %d bytes" % (n, total))
    print(size)


if __name__ == "__main__":
    main(sys.argv[1:])
