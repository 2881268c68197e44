"""glibc malloc thresholds for a worker process, so that memory freed by large renders goes back to the OS.

By default glibc raises its mmap threshold to the size of each large block freed (up to 32 MiB):
after one near-budget render, buffers of up to 32 MiB come from the heap, where freed memory mostly
stays, and the worker's RSS does not come down. Fixed thresholds keep the ordinary buffers (a
1200x900 figure's are 4.3 MB) in the heap, reused without page faults, and give every buffer of
``mmap_threshold`` or more its own mapping, returned to the OS when freed.

Measured with ``bench/memory.py`` (one process, warm app, 40 images at distinct sizes near the
8-Mpx budget, then 200 /fig/5_2; 2 shared cores, glibc 2.36), RSS after, in MiB (warm: 119):

* glibc defaults: PNG burst 213.5 (3 runs of 3); mixed PNG/SVG/PDF burst 194-196 in 3 runs of 6,
  139 in the others;
* mmap 128 KiB (every block over it mapped): 134.7, but 670 more page faults and +15 % CPU per
  /fig/5_2 (14.7-15.0 against 12.3-12.4 ms);
* mmap 8 MiB, trim 32 MiB (these defaults): PNG burst 129 (3 of 3), mixed 139-140 (6 of 6), peak
  184-195; CPU per /fig/5_2 unchanged (12.2-13.1 ms).
"""

import ctypes
import platform

#: mallopt parameter numbers, from glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

#: Above the buffers of an ordinary figure (4.3 MB at 1200x900), below those of a large one
#: (8 MiB is about 2 Mpx), which then never stay in the heap.
MMAP_THRESHOLD = 8 * 2**20
#: Free memory kept at the top of the heap for the next request's buffers instead of being
#: returned and faulted in again: a few ordinary figures' worth.
TRIM_THRESHOLD = 32 * 2**20


def set_malloc_thresholds(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Fix glibc's mmap and trim thresholds (bytes) for this process and the ones it forks.

    Returns False, changing nothing, where the C library is not glibc (musl, macOS).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    # mallopt returns 1 on success. Setting either threshold also stops glibc adjusting them.
    return bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(libc.mallopt(M_TRIM_THRESHOLD, trim_threshold))
