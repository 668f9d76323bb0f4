# A program that calls mseal(2) (Linux 6.10; syscall 462 on x86_64, newer than
# libseccomp 2.5.4) on a page of its own, through libc's syscall(); prints
# "mseal: 0" on success, else "mseal: ERRNO" and exits 1.  For tests/cli/record.sh.
import ctypes
import platform
import sys

NR = {"x86_64": 462, "aarch64": 462}
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
nr = NR.get(platform.machine())
if nr is None:
    print("mseal: unknown arch " + platform.machine())
    sys.exit(2)
page = libc.mmap(None, 4096, 3, 0x22, -1, 0)  # PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
r = libc.syscall(ctypes.c_long(nr), ctypes.c_void_p(page), ctypes.c_size_t(4096), ctypes.c_ulong(0))
e = ctypes.get_errno()
print("mseal: %d" % (0 if r == 0 else e))
sys.exit(0 if r == 0 else 1)
