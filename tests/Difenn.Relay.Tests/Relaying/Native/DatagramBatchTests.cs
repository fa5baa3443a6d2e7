using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Relaying.Native;
using static Difenn.Relay.Tests.Relaying.Native.LoopbackSocket;

namespace Difenn.Relay.Tests.Relaying.Native;

/// <summary>recvmmsg through <see cref="DatagramBatch"/> on real loopback sockets.</summary>
public class DatagramBatchTests
{
    private static byte[] Datagram(int sender, int seq, int size)
    {
        var b = new byte[size];
        b[0] = (byte)sender;
        BitConverter.TryWriteBytes(b.AsSpan(1), seq);
        for (var i = 5; i < size; i++) b[i] = (byte)(seq + i);
        return b;
    }

    /// <summary>Receives until nothing is waiting; returns (sender byte, seq, size, sender address) per datagram.</summary>
    private static List<(int Sender, int Seq, int Size, byte[] Name)> Drain(DatagramBatch batch, Socket socket, List<int>? callSizes = null)
    {
        var got = new List<(int, int, int, byte[])>();
        while (true)
        {
            var n = batch.Receive(socket.SafeHandle, Libc.MSG_DONTWAIT, out var errno);
            if (n < 0)
            {
                Assert.Equal(Libc.EAGAIN, errno);
                return got;
            }
            callSizes?.Add(n);
            for (var i = 0; i < n; i++)
            {
                var p = batch.Payload(i);
                Assert.Equal(batch.Length(i), p.Length);
                got.Add((p[0], BitConverter.ToInt32(p[1..5]), p.Length, batch.Name(i).ToArray()));
            }
        }
    }

    [Fact]
    public void Receive_ManyDatagramsFromTwoSenders_AllInOrderWithTheirSenders()
    {
        using var server = Bound();
        using var a = Bound();
        using var b = Bound();
        using var batch = new DatagramBatch(16, 2048, withNames: true);
        var to = server.LocalEndPoint!;
        for (var i = 0; i < 300; i++)
        {
            a.SendTo(Datagram(1, i, 40 + (i % 1400)), to);
            b.SendTo(Datagram(2, i, 1452), to);
        }
        var calls = new List<int>();
        var got = Drain(batch, server, calls);

        Assert.Equal(600, got.Count);
        Assert.Contains(calls, c => c > 1); // many datagrams per system call
        Assert.All(calls, c => Assert.InRange(c, 1, 16));
        var nameA = a.LocalEndPoint!.Serialize();
        var nameB = b.LocalEndPoint!.Serialize();
        var fromA = got.Where(g => g.Sender == 1).ToList();
        var fromB = got.Where(g => g.Sender == 2).ToList();
        Assert.Equal(Enumerable.Range(0, 300), fromA.Select(g => g.Seq));
        Assert.Equal(Enumerable.Range(0, 300), fromB.Select(g => g.Seq));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => 40 + (i % 1400)), fromA.Select(g => g.Size));
        Assert.All(fromA, g => Assert.Equal(nameA.Buffer.Span[..nameA.Size].ToArray(), g.Name));
        Assert.All(fromB, g => Assert.Equal(nameB.Buffer.Span[..nameB.Size].ToArray(), g.Name));
    }

    [Fact]
    public void Receive_DatagramLongerThanSlot_CutAndFlaggedNeighboursIntact()
    {
        using var server = Bound();
        using var client = Bound();
        using var batch = new DatagramBatch(8, 100, withNames: false);
        client.SendTo(Datagram(1, 1, 60), server.LocalEndPoint!);
        client.SendTo(Datagram(1, 2, 150), server.LocalEndPoint!);
        client.SendTo(Datagram(1, 3, 100), server.LocalEndPoint!);

        var n = batch.Receive(server.SafeHandle, Libc.MSG_DONTWAIT, out _);

        Assert.Equal(3, n);
        Assert.False(batch.Truncated(0));
        Assert.Equal(60, batch.Length(0));
        Assert.True(batch.Truncated(1));
        Assert.Equal(100, batch.Length(1));
        Assert.False(batch.Truncated(2)); // exactly the slot size is not truncated
        Assert.Equal(3, BitConverter.ToInt32(batch.Payload(2)[1..5]));
        Assert.True(batch.Name(0).IsEmpty);
    }

    [Fact]
    public void Receive_NothingWaiting_ReturnsEagainWithoutBlocking()
    {
        using var server = Bound();
        server.Blocking = true; // MSG_DONTWAIT alone must keep the call from sleeping
        using var batch = new DatagramBatch(4, 2048, withNames: true);

        Assert.Equal(-1, batch.Receive(server.SafeHandle, Libc.MSG_DONTWAIT, out var errno));
        Assert.Equal(Libc.EAGAIN, errno);

        using var client = Bound();
        client.SendTo(Datagram(1, 9, 32), server.LocalEndPoint!);
        Assert.True(SpinWait.SpinUntil(() => server.Available > 0, 2000));
        Assert.Equal(1, batch.Receive(server.SafeHandle, Libc.MSG_DONTWAIT, out _));
    }

    [Fact]
    public void Receive_ClosedSocket_ReturnsEbadf()
    {
        var server = Bound();
        server.Dispose();
        using var batch = new DatagramBatch(4, 2048, withNames: true);

        Assert.Equal(-1, batch.Receive(server.SafeHandle, Libc.MSG_DONTWAIT, out var errno));
        Assert.Equal(Libc.EBADF, errno);
    }

    [Fact]
    public void Receive_ConnectedSocketAfterPortUnreachable_ReportsEconnrefused()
    {
        using var closed = Bound();
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        closed.Dispose(); // nothing listens there now: the kernel answers with ICMP port unreachable
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        upstream.Connect(new IPEndPoint(IPAddress.Loopback, port));
        using var batch = new DatagramBatch(4, 2048, withNames: false);
        upstream.Send(Datagram(1, 1, 32));

        var errno = 0;
        Assert.True(SpinWait.SpinUntil(() => batch.Receive(upstream.SafeHandle, Libc.MSG_DONTWAIT, out errno) < 0 && errno == Libc.ECONNREFUSED, TimeSpan.FromSeconds(3)));
        Assert.Equal(-1, batch.Receive(upstream.SafeHandle, Libc.MSG_DONTWAIT, out errno)); // reported once, then nothing
        Assert.Equal(Libc.EAGAIN, errno);
    }
}
