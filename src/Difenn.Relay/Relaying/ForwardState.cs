using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Relaying.Native;
using Difenn.Relay.Sessions;

namespace Difenn.Relay.Relaying;

/// <summary>
/// What the forward path (client → backend) keeps per listener between batches: the native receive batch, the
/// sender that groups a session's datagrams, a reused address for table lookups, and the last session seen, since
/// most datagrams come in runs from one client. Owned by the relay thread; nothing here is shared.
/// </summary>
internal sealed class ForwardState : IDisposable
{
    public ForwardState(int batchSize, int slotSize, AddressFamily family)
    {
        Batch = new DatagramBatch(batchSize, slotSize, withNames: true);
        Sender = new DatagramSender(batchSize);
        From = new SocketAddress(family);
    }

    /// <summary>The receive batch (with client addresses).</summary>
    public DatagramBatch Batch { get; }

    /// <summary>Collects one session's consecutive datagrams for one send.</summary>
    public DatagramSender Sender { get; }

    /// <summary>Reused for every table lookup, so a lookup allocates nothing.</summary>
    public SocketAddress From { get; }

    /// <summary>The raw address of <see cref="LastSession"/>, compared byte for byte to skip the lookup.</summary>
    public byte[] LastName { get; } = new byte[DatagramBatch.NameCapacity];

    /// <summary>Valid bytes in <see cref="LastName"/>.</summary>
    public int LastNameLength { get; set; }

    /// <summary>The session of the last datagram forwarded, or null.</summary>
    public Session? LastSession { get; set; }

    /// <summary>When the last batch was taken (<see cref="System.Diagnostics.Stopwatch"/> ticks); detects a continuous flow.
    /// A field, so the relay loop updates it in place.</summary>
    public long LastBatchAt;

    /// <inheritdoc />
    public void Dispose()
    {
        Batch.Dispose();
        Sender.Dispose();
    }
}
