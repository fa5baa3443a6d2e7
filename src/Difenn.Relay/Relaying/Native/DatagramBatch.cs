using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Difenn.Relay.Relaying.Native;

/// <summary>
/// Receives many datagrams with one <c>recvmmsg</c> call into fixed slots of native memory, with each sender's
/// address. Allocated once per thread and reused: receiving allocates nothing. Memory is reserved for
/// <c>capacity × slotSize</c> bytes but the kernel backs only the pages datagrams are written to, so large slots
/// (64 KiB for arbitrary UDP) cost address space, not resident memory. Not thread-safe: one owner thread.
/// </summary>
internal sealed unsafe class DatagramBatch : IDisposable
{
    /// <summary>Room for any socket address (<c>sizeof(struct sockaddr_storage)</c>).</summary>
    public const int NameCapacity = 128;

    private readonly byte* _data;
    private readonly byte* _names;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _msgs;
    private int _disposed;

    /// <summary>Creates a batch of <paramref name="capacity"/> slots of <paramref name="slotSize"/> bytes each; <paramref name="withNames"/> records senders' addresses.</summary>
    public DatagramBatch(int capacity, int slotSize, bool withNames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        Capacity = capacity;
        SlotSize = slotSize;
        _data = (byte*)NativeMemory.Alloc((nuint)capacity, (nuint)slotSize);
        _names = withNames ? (byte*)NativeMemory.AllocZeroed((nuint)capacity, NameCapacity) : null;
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(IoVec));
        _msgs = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(MMsgHdr));
        for (var i = 0; i < capacity; i++)
        {
            _iov[i].Base = _data + ((nint)i * slotSize);
            _iov[i].Length = (nuint)slotSize;
            _msgs[i].Header.Iov = &_iov[i];
            _msgs[i].Header.IovLength = 1;
            _msgs[i].Header.Name = withNames ? _names + (i * NameCapacity) : null;
        }
    }

    /// <summary>Most datagrams one call receives.</summary>
    public int Capacity { get; }

    /// <summary>Bytes per slot: a longer datagram is cut and reported by <see cref="Truncated"/>.</summary>
    public int SlotSize { get; }

    /// <summary>
    /// Receives up to <see cref="Capacity"/> datagrams from <paramref name="socket"/> with <c>recvmmsg</c>
    /// (<paramref name="flags"/>: the relay passes <see cref="Libc.MSG_DONTWAIT"/>; epoll tells it when to call).
    /// Returns how many arrived, or -1 with <paramref name="errno"/> (<see cref="Libc.EAGAIN"/> when nothing is
    /// waiting, <see cref="Libc.EBADF"/> when the socket is closed).
    /// </summary>
    public int Receive(SafeSocketHandle socket, int flags, out int errno)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added); // the descriptor cannot be closed (and reused) during the call
        }
        catch (ObjectDisposedException)
        {
            errno = Libc.EBADF;
            return -1;
        }
        try
        {
            var withNames = _names != null;
            for (var i = 0; i < Capacity; i++)
            {
                _msgs[i].Header.NameLength = withNames ? NameCapacity : 0u;
                _msgs[i].Header.Flags = 0;
            }
            var n = Libc.recvmmsg((int)socket.DangerousGetHandle(), _msgs, (uint)Capacity, flags, null);
            errno = n < 0 ? Libc.Errno : 0;
            return n;
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    /// <summary>Bytes received in datagram <paramref name="index"/> (at most <see cref="SlotSize"/>).</summary>
    public int Length(int index) => (int)_msgs[index].Length;

    /// <summary>True when datagram <paramref name="index"/> was longer than its slot and was cut.</summary>
    public bool Truncated(int index) => (_msgs[index].Header.Flags & Libc.MSG_TRUNC) != 0;

    /// <summary>The bytes of datagram <paramref name="index"/>.</summary>
    public Span<byte> Payload(int index) => new(_iov[index].Base, Length(index));

    /// <summary>Where datagram <paramref name="index"/> starts (valid until the next receive).</summary>
    public byte* PayloadPointer(int index) => _iov[index].Base;

    /// <summary>The sender of datagram <paramref name="index"/>, as a raw <c>sockaddr</c> (empty without names).</summary>
    public ReadOnlySpan<byte> Name(int index) =>
        _names == null ? default : new(_names + (index * NameCapacity), (int)Math.Min(_msgs[index].Header.NameLength, NameCapacity));

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        NativeMemory.Free(_data);
        NativeMemory.Free(_names);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_msgs);
    }
}
