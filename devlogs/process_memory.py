"""Give freed large blocks back to the system at once.

glibc serves blocks of 128 KiB or more with mmap and unmaps them when freed, but after the
first such free it raises that threshold (up to 32 MiB) and serves later blocks from the heap,
which keeps what is freed. A server inflating compressed bodies a MiB at a time and parsing
45 MB bodies then keeps every peak: 16 concurrent 45 MB gzip bodies left it 333 MB above idle
with the threshold fixed, 614 MB with glibc's moving one (`python -m bench hostile`). Fixing the
threshold (which also turns the moving one off) costs an mmap per large block: nothing next
to inflating or parsing one.
"""

import ctypes
import ctypes.util
import os

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
THRESHOLD_BYTES = 128 * 1024


def return_large_blocks_to_the_system() -> bool:
    """Fix glibc's mmap threshold, unless MALLOC_MMAP_THRESHOLD_ says otherwise. False where the
    C library is not glibc (or cannot be asked)."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False


def trim() -> None:
    """Hand free heap pages back to the system (glibc's malloc_trim, every arena). For after a
    request that held tens of MB: its lines were many blocks below the mmap threshold."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
