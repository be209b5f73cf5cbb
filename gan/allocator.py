"""glibc malloc's own count of the memory it holds and the memory in use (for soak probes)."""
import ctypes
import ctypes.util


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ('arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks',
                 'fordblks', 'keepcost')]


def usage_mb():
    """(held, in use) by malloc in MB over all arenas, mmapped blocks included: what the
    allocator keeps from the system against what the program holds (mallinfo2, glibc >= 2.33;
    (None, None) elsewhere). In-use bytes that climb step after step are objects someone keeps,
    not fragmentation."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        fn = libc.mallinfo2
    except (OSError, AttributeError):
        return None, None
    fn.restype = _Mallinfo2
    info = fn()
    return (info.arena + info.hblkhd) / 2 ** 20, (info.uordblks + info.hblkhd) / 2 ** 20
