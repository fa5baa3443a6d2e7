using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Difenn.Relay.Relaying.Native;

/// <summary>
/// Sends a run of datagrams to one destination in as few system calls as possible, in order. Where consecutive
/// datagrams have the same size (the last may be shorter) they go as one UDP GSO super-datagram (<c>sendmsg</c>
/// with <c>UDP_SEGMENT</c>): the kernel walks its stack once and cuts the segments at the end, which is what makes
/// bulk traffic cheap. Everything else goes with <c>sendmmsg</c>. Payloads are referenced, not copied. Allocated
/// once per thread and reused: sending allocates nothing. Not thread-safe: one owner thread.
/// </summary>
internal sealed unsafe class DatagramSender : IDisposable
{
    /// <summary>Most segments in one GSO send (the kernel's limit was 64 before Linux 6.3).</summary>
    public const int MaxSegments = 64;

    /// <summary>Most bytes in one GSO send: below the 64 KiB IP packet limit with room for any header.</summary>
    public const int MaxSegmentedBytes = 65000;

    private const int ControlSpace = 24; // CMSG_SPACE(sizeof(uint16_t)) on 64-bit Linux

    private readonly IoVec* _iov;
    private readonly MMsgHdr* _msgs;
    private readonly byte* _name;
    private readonly byte* _control;
    private uint _nameLength;
    private int _disposed;

    /// <summary>Creates a sender for runs of up to <paramref name="capacity"/> datagrams.</summary>
    public DatagramSender(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(IoVec));
        _msgs = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(MMsgHdr));
        _name = (byte*)NativeMemory.AllocZeroed(DatagramBatch.NameCapacity);
        _control = (byte*)NativeMemory.AllocZeroed(ControlSpace);
        for (var i = 0; i < capacity; i++)
        {
            _msgs[i].Header.Iov = &_iov[i];
            _msgs[i].Header.IovLength = 1;
        }
    }

    /// <summary>Most datagrams in one run.</summary>
    public int Capacity { get; }

    /// <summary>Datagrams queued for the next <see cref="Send"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Whether runs of equal-sized datagrams go as GSO sends. Default true.</summary>
    public bool UseSegmentation { get; set; } = true;

    /// <summary>GSO sends made so far (each carried several datagrams): shows whether segmentation is in use.</summary>
    public long SegmentedSends { get; private set; }

    /// <summary>Queues a datagram (referenced, not copied: it must stay put until <see cref="Send"/>); false when full.</summary>
    public bool Add(byte* data, int length)
    {
        if (Count == Capacity) return false;
        _iov[Count].Base = data;
        _iov[Count].Length = (nuint)length;
        Count++;
        return true;
    }

    /// <summary>Queues datagram <paramref name="index"/> of <paramref name="batch"/> (referenced until <see cref="Send"/>); false when full.</summary>
    public bool Add(DatagramBatch batch, int index) => Add(batch.PayloadPointer(index), batch.Length(index));

    /// <summary>Sends to <paramref name="destination"/> (a raw sockaddr, copied), or to a connected socket's peer when empty.</summary>
    public void SetDestination(ReadOnlySpan<byte> destination)
    {
        var n = Math.Min(destination.Length, DatagramBatch.NameCapacity);
        destination[..n].CopyTo(new Span<byte>(_name, DatagramBatch.NameCapacity));
        _nameLength = (uint)n;
    }

    /// <summary>Sends to <paramref name="destination"/>.</summary>
    public void SetDestination(SocketAddress destination) => SetDestination(destination.Buffer.Span[..destination.Size]);

    /// <summary>
    /// Sends the queued datagrams in order on <paramref name="socket"/> and clears the queue. A GSO send the route
    /// refuses (EINVAL: larger than the path MTU; EIO: no checksum offload) is resent as separate datagrams and
    /// <paramref name="segmentLimit"/> is lowered to that size so later runs do not try again. ECONNREFUSED (an
    /// ICMP port unreachable answering an earlier datagram) is counted and the datagram resent once, since the
    /// kernel reports the error instead of sending. Never throws for a closed socket: its datagrams count as failed.
    /// </summary>
    public SendOutcome Send(SafeSocketHandle socket, ref int segmentLimit)
    {
        var outcome = default(SendOutcome);
        var count = Count;
        Count = 0;
        if (count == 0) return outcome;
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added); // the descriptor cannot be closed (and reused) during the calls
        }
        catch (ObjectDisposedException)
        {
            outcome.Failed = count;
            return outcome;
        }
        try
        {
            var fd = (int)socket.DangerousGetHandle();
            var i = 0;
            while (i < count)
            {
                var k = SegmentRun(i, count, segmentLimit);
                if (k >= 2)
                {
                    if (!SendSegmented(fd, i, k, ref outcome, ref segmentLimit)) SendEach(fd, i, k, ref outcome);
                    i += k;
                    continue;
                }
                var j = i + 1;
                while (j < count && SegmentRun(j, count, segmentLimit) < 2) j++;
                SendEach(fd, i, j - i, ref outcome);
                i = j;
            }
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
        return outcome;
    }

    /// <summary>How many datagrams from <paramref name="start"/> can go as one GSO send (1: none).</summary>
    private int SegmentRun(int start, int count, int segmentLimit)
    {
        if (!UseSegmentation) return 1;
        var size = (int)_iov[start].Length;
        if (size >= segmentLimit || size == 0 || start + 1 >= count) return 1;
        var bytes = size;
        var k = 1;
        while (start + k < count && k < MaxSegments)
        {
            var next = (int)_iov[start + k].Length;
            if (next > size || next == 0 || bytes + next > MaxSegmentedBytes) break;
            bytes += next;
            k++;
            if (next < size) break; // only the last segment may be shorter
        }
        return k;
    }

    private bool SendSegmented(int fd, int start, int k, ref SendOutcome outcome, ref int segmentLimit)
    {
        var size = (int)_iov[start].Length;
        var cmsg = (CMsgHdr*)_control;
        cmsg->Length = (nuint)(sizeof(CMsgHdr) + sizeof(ushort));
        cmsg->Level = Libc.SOL_UDP;
        cmsg->Type = Libc.UDP_SEGMENT;
        *(ushort*)(_control + sizeof(CMsgHdr)) = (ushort)size;
        MsgHdr msg;
        msg.Name = _nameLength == 0 ? null : _name;
        msg.NameLength = _nameLength;
        msg.Iov = &_iov[start];
        msg.IovLength = (nuint)k;
        msg.Control = _control;
        msg.ControlLength = ControlSpace;
        msg.Flags = 0;
        var retried = false;
        while (true)
        {
            var r = Libc.sendmsg(fd, &msg, 0);
            if (r >= 0)
            {
                SegmentedSends++;
                outcome.Sent += k;
                outcome.Bytes += r;
                return true;
            }
            var errno = Libc.Errno;
            switch (errno)
            {
                case Libc.EINTR:
                    continue;
                case Libc.ECONNREFUSED when !retried:
                    outcome.Refused++;
                    retried = true;
                    continue;
                case Libc.EINVAL or Libc.EIO or Libc.EMSGSIZE:
                    segmentLimit = Math.Min(segmentLimit, size); // this route cannot segment this size
                    return false;
                case Libc.ECONNREFUSED:
                    outcome.Refused++;
                    outcome.Failed += k;
                    return true;
                default:
                    outcome.Failed += k;
                    return true;
            }
        }
    }

    private void SendEach(int fd, int start, int k, ref SendOutcome outcome)
    {
        for (var m = start; m < start + k; m++)
        {
            _msgs[m].Header.Name = _nameLength == 0 ? null : _name;
            _msgs[m].Header.NameLength = _nameLength;
        }
        var i = start;
        var end = start + k;
        var retried = -1;
        while (i < end)
        {
            var r = Libc.sendmmsg(fd, &_msgs[i], (uint)(end - i), 0);
            if (r > 0)
            {
                for (var m = i; m < i + r; m++) outcome.Bytes += _msgs[m].Length;
                outcome.Sent += r;
                i += r;
                continue;
            }
            var errno = r < 0 ? Libc.Errno : Libc.EAGAIN;
            switch (errno)
            {
                case Libc.EINTR:
                    continue;
                case Libc.ECONNREFUSED:
                    outcome.Refused++;
                    if (retried != i)
                    {
                        retried = i; // the error was for an earlier datagram: this one was not sent, try it once more
                        continue;
                    }
                    outcome.Failed++;
                    i++;
                    continue;
                case Libc.EAGAIN or Libc.EBADF:
                    outcome.Failed += end - i;
                    return;
                default:
                    outcome.Failed++; // this datagram cannot go (e.g. too big for the route): drop it, keep the rest
                    i++;
                    continue;
            }
        }
    }

    /// <summary>Forgets the queued datagrams without sending.</summary>
    public void Clear() => Count = 0;

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        NativeMemory.Free(_iov);
        NativeMemory.Free(_msgs);
        NativeMemory.Free(_name);
        NativeMemory.Free(_control);
    }
}
