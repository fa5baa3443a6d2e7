using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Difenn.Relay.Relaying.Native;

/// <summary>
/// An epoll instance watching many sockets for readability, level-triggered: a socket not fully drained is
/// reported again on the next wait, so one thread can serve every session fairly without one task per session.
/// Each registration carries a caller-chosen 64-bit token (the relay uses the session's slot number).
/// </summary>
internal sealed unsafe class Epoll : IDisposable
{
    // struct epoll_event is packed on x86-64 (12 bytes: events at 0, data at 4) and naturally aligned elsewhere (16).
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int _fd;
    private readonly byte* _events;
    private int _disposed;

    /// <summary>Creates the instance; <paramref name="capacity"/> is the most events one <see cref="Wait"/> returns.</summary>
    public Epoll(int capacity = 64)
    {
        _fd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_fd < 0) throw new SocketException(Libc.Errno);
        Capacity = capacity;
        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * EventSize));
    }

    /// <summary>Most events one wait returns.</summary>
    public int Capacity { get; }

    /// <summary>Watches <paramref name="socket"/> for input, reporting <paramref name="token"/>; false if it is already closed.</summary>
    public bool Add(SafeSocketHandle socket, ulong token)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        try
        {
            var ev = stackalloc byte[16];
            *(uint*)ev = Libc.EPOLLIN;
            *(ulong*)(ev + DataOffset) = token;
            // A closed descriptor leaves every epoll set by itself: no explicit removal is needed.
            return Libc.epoll_ctl(_fd, Libc.EPOLL_CTL_ADD, (int)socket.DangerousGetHandle(), ev) == 0;
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for input; returns how many events <see cref="Token"/> can read (0 on timeout or signal).</summary>
    public int Wait(int timeoutMs)
    {
        var n = Libc.epoll_wait(_fd, _events, Capacity, timeoutMs);
        if (n >= 0) return n;
        var errno = Libc.Errno;
        if (errno == Libc.EINTR) return 0;
        throw new SocketException(errno);
    }

    /// <summary>The token of event <paramref name="index"/> of the last wait.</summary>
    public ulong Token(int index) => *(ulong*)(_events + (index * EventSize) + DataOffset);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Libc.close(_fd);
        NativeMemory.Free(_events);
    }
}
