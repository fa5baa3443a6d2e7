using System.Runtime.InteropServices;

namespace Difenn.Relay.Relaying.Native;

/// <summary>
/// The few Linux system calls the hot path uses directly, because .NET's <see cref="System.Net.Sockets.Socket"/>
/// has no batched (recvmmsg/sendmmsg) or segmentation-offload (UDP_SEGMENT) form. Source-generated
/// (<see cref="LibraryImportAttribute"/>), so Native AOT binds them without reflection. Linux x86-64 and arm64.
/// </summary>
internal static unsafe partial class Libc
{
    // "libc.so.6" rather than "libc": on glibc systems "libc.so" is a linker script, which dlopen cannot load.
    private const string Lib = "libc.so.6";

    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int EMSGSIZE = 90;
    public const int ECONNREFUSED = 111;

    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;

    public const int SOL_SOCKET = 1;
    public const int SOL_UDP = 17;
    public const int UDP_SEGMENT = 103;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x001;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int recvmmsg(int fd, MMsgHdr* msgvec, uint vlen, int flags, void* timeout);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sendmmsg(int fd, MMsgHdr* msgvec, uint vlen, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, void* ev);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_wait(int epfd, void* events, int maxevents, int timeout);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    /// <summary>Lets other runnable threads on this core go first; returns at once when there are none.</summary>
    [LibraryImport(Lib)]
    public static partial int sched_yield();

    /// <summary>errno of the last call above.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();
}
