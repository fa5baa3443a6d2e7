using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Relaying.Native;
using static Difenn.Relay.Tests.Relaying.Native.LoopbackSocket;

namespace Difenn.Relay.Tests.Relaying.Native;

/// <summary>sendmmsg and UDP GSO through <see cref="DatagramSender"/> on real loopback sockets.</summary>
public class DatagramSenderTests
{
    private static byte[] Datagram(int seq, int size)
    {
        var b = new byte[size];
        BitConverter.TryWriteBytes(b, seq);
        for (var i = 4; i < size; i++) b[i] = (byte)(seq ^ i);
        return b;
    }

    /// <summary>
    /// Sends <paramref name="sizes"/> (seq = index) the way the relay does: received into a batch from a source
    /// socket, queued, then sent. Returns the outcome, the GSO sends made and the segment limit after the sends.
    /// </summary>
    private static (SendOutcome Outcome, long Segmented, int SegmentLimit) Relay(int[] sizes, Socket outgoing, EndPoint? to, int segmentLimit = int.MaxValue)
    {
        using var inbox = Bound();
        using var source = Bound();
        using var batch = new DatagramBatch(64, 65536, withNames: true);
        using var sender = new DatagramSender(64);
        for (var i = 0; i < sizes.Length; i++) source.SendTo(Datagram(i, sizes[i]), inbox.LocalEndPoint!);
        var total = default(SendOutcome);
        var received = 0;
        while (received < sizes.Length)
        {
            var n = batch.Receive(inbox.SafeHandle, Libc.MSG_DONTWAIT, out _);
            Assert.True(n > 0);
            received += n;
            for (var i = 0; i < n; i++) Assert.True(sender.Add(batch, i));
            if (to is not null) sender.SetDestination(to.Serialize());
            var o = sender.Send(outgoing.SafeHandle, ref segmentLimit);
            Assert.Equal(0, sender.Count);
            total.Sent += o.Sent;
            total.Bytes += o.Bytes;
            total.Refused += o.Refused;
            total.Failed += o.Failed;
        }
        return (total, sender.SegmentedSends, segmentLimit);
    }

    private static List<(int Seq, int Size, bool Intact)> ReceiveAll(Socket s, int count)
    {
        s.ReceiveTimeout = 3000;
        var got = new List<(int, int, bool)>();
        var buf = new byte[65536];
        for (var i = 0; i < count; i++)
        {
            var n = s.Receive(buf);
            var seq = BitConverter.ToInt32(buf, 0);
            got.Add((seq, n, buf.AsSpan(0, n).SequenceEqual(Datagram(seq, n))));
        }
        return got;
    }

    [Fact]
    public void Send_EqualSizedRunOnConnectedSocket_OneGsoSendArrivesAsSeparateDatagramsInOrder()
    {
        using var backend = Bound();
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        upstream.Connect(backend.LocalEndPoint!);
        var sizes = Enumerable.Repeat(1420, 40).Append(700).ToArray(); // the last segment may be shorter

        var (outcome, segmented, _) = Relay(sizes, upstream, to: null);

        Assert.Equal(41, outcome.Sent);
        Assert.Equal(sizes.Sum(), outcome.Bytes);
        Assert.Equal(0, outcome.Failed);
        Assert.True(segmented >= 1, "an equal-sized run should go as a GSO send");
        var got = ReceiveAll(backend, 41);
        Assert.Equal(Enumerable.Range(0, 41), got.Select(g => g.Seq));
        Assert.Equal(sizes, got.Select(g => g.Size));
        Assert.All(got, g => Assert.True(g.Intact));
    }

    [Fact]
    public void Send_MixedSizesToAnAddress_EveryDatagramInOrderAndIntact()
    {
        using var client = Bound();
        using var listener = Bound();
        // Runs of equal sizes, shorter tails, singletons, a run longer than one GSO send may carry, and empties.
        var sizes = new[] { 100, 100, 100, 50, 200, 30, 30, 1452, 1452, 1452, 1452, 64, 0, 0, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 32 };

        var (outcome, segmented, _) = Relay(sizes, listener, to: client.LocalEndPoint);

        Assert.Equal(sizes.Length, outcome.Sent);
        Assert.True(segmented >= 2);
        var got = ReceiveAll(client, sizes.Length);
        Assert.Equal(sizes, got.Select(g => g.Size)); // empty datagrams carry no sequence number: sizes show their place
        Assert.Equal(Enumerable.Range(0, sizes.Length).Where(i => sizes[i] >= 4), got.Where(g => g.Size >= 4).Select(g => g.Seq));
        Assert.All(got.Where(g => g.Size >= 4), g => Assert.True(g.Intact));
    }

    [Fact]
    public void Send_SizeAtSegmentLimit_SentOneByOneWithoutGso()
    {
        using var backend = Bound();
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        upstream.Connect(backend.LocalEndPoint!);
        var sizes = Enumerable.Repeat(1200, 10).ToArray();

        var (outcome, segmented, _) = Relay(sizes, upstream, to: null, segmentLimit: 1200);

        Assert.Equal(10, outcome.Sent);
        Assert.Equal(0, segmented);
        Assert.Equal(Enumerable.Range(0, 10), ReceiveAll(backend, 10).Select(g => g.Seq));
    }

    [Fact]
    public void Send_GsoRefused_ResentOneByOneInOrderAndNotTriedAgainForThatSize()
    {
        using var backend = Bound();
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // SO_NO_CHECK (UDP without checksums) makes the kernel refuse every GSO send with EINVAL, as a route whose MTU
        // is below the segment size does: the one refusal loopback can produce.
        upstream.SetRawSocketOption(1, 11, BitConverter.GetBytes(1)); // SOL_SOCKET, SO_NO_CHECK
        upstream.Connect(backend.LocalEndPoint!);
        var sizes = Enumerable.Repeat(1000, 20).ToArray();

        var (outcome, segmented, limit) = Relay(sizes, upstream, to: null);

        Assert.Equal((20, 0, 0L), (outcome.Sent, outcome.Failed, segmented));
        Assert.Equal(1000, limit); // later runs of this size skip the doomed GSO attempt
        var got = ReceiveAll(backend, 20);
        Assert.Equal(Enumerable.Range(0, 20), got.Select(g => g.Seq));
        Assert.All(got, g => Assert.True(g.Intact));
        var (again, segmentedAgain, _) = Relay(sizes, upstream, to: null, segmentLimit: limit);
        Assert.Equal((20, 0L), (again.Sent, segmentedAgain));
        Assert.Equal(Enumerable.Range(0, 20), ReceiveAll(backend, 20).Select(g => g.Seq));
    }

    [Fact]
    public void Send_AfterPortUnreachable_RefusalCountedAndTheDatagramStillSent()
    {
        using var closed = Bound();
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        closed.Dispose();
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        upstream.Connect(new IPEndPoint(IPAddress.Loopback, port));
        upstream.Send(Datagram(0, 32)); // answered by ICMP port unreachable, which the next send reports

        var (outcome, _, _) = Relay([64, 80], upstream, to: null);

        Assert.True(outcome.Refused >= 1, "ECONNREFUSED should be counted");
        Assert.Equal(2, outcome.Sent + outcome.Failed);
        Assert.True(outcome.Sent >= 1, "the refusal is for an earlier datagram: the queued ones are sent");
    }

    [Fact]
    public void Send_ClosedSocket_EveryDatagramFailsNothingThrows()
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        upstream.Connect(new IPEndPoint(IPAddress.Loopback, 9));
        upstream.Dispose();

        var (outcome, _, _) = Relay([64, 64, 64], upstream, to: null);

        Assert.Equal(0, outcome.Sent);
        Assert.Equal(3, outcome.Failed);
    }
}
