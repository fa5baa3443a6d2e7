using System.Diagnostics;
using System.Net;
using Difenn.Relay.Observability;
using Difenn.Relay.Relaying.Native;
using Difenn.Relay.Sessions;
using Difenn.Relay.WireGuard;

namespace Difenn.Relay.Relaying;

internal sealed partial class RelayEngine
{
    /// <summary>
    /// Client → backend for one listener, on its own thread: sleep in <c>recvmmsg</c> until datagrams arrive, take
    /// all that are waiting (up to <see cref="BatchSize"/>), and send each session's consecutive datagrams to its
    /// upstream socket together, in arrival order. A blocking send is the only back-pressure; nothing is queued.
    /// </summary>
    private void ForwardLoop(int index)
    {
        var listener = _listeners[index].SafeHandle;
        var table = _tables[index];
        using var batch = new DatagramBatch(BatchSize, _options.BufferSize, withNames: true);
        using var sender = new DatagramSender(BatchSize);
        var from = new SocketAddress(_listeners[index].AddressFamily); // reused for every lookup
        var lastName = new byte[DatagramBatch.NameCapacity];
        var lastNameLength = 0;
        long lastBatch = 0;
        Session? last = null; // most datagrams come in runs from one client: skip the table lookup for those
        while (!_stopping)
        {
            var n = batch.Receive(listener, Libc.MSG_WAITFORONE, out var errno);
            if (_stopping || errno == Libc.EBADF) break;
            if (n <= 0) continue; // receive timeout (EAGAIN), a signal, or a transient error: never fatal
            var now = _time.GetTimestamp();
            Session? run = null;
            for (var i = 0; i < n; i++)
            {
                if (batch.Truncated(i))
                {
                    Metrics.Drop(DropReason.Oversized);
                    continue;
                }
                var packet = batch.Payload(i);
                var kind = PacketKind.TransportData;
                if (_options.WireGuardOnly)
                {
                    kind = WireGuardClassifier.Classify(packet);
                    if (kind == PacketKind.Invalid)
                    {
                        Metrics.Drop(DropReason.NotWireGuard);
                        continue;
                    }
                }
                var name = batch.Name(i);
                Session? session;
                if (last is not null && !last.IsClosed && name.SequenceEqual(lastName.AsSpan(0, lastNameLength)))
                {
                    session = last;
                }
                else
                {
                    var size = Math.Min(name.Length, from.Buffer.Length);
                    name[..size].CopyTo(from.Buffer.Span);
                    from.Size = size;
                    session = table.Find(from) ?? TryOpen(index, from, kind, packet);
                    if (session is null) continue;
                    last = session;
                    name[..size].CopyTo(lastName);
                    lastNameLength = size;
                }
                if (session != run)
                {
                    SendToBackend(index, run, sender, now);
                    run = session;
                }
                sender.Add(batch, i);
            }
            SendToBackend(index, run, sender, now);
            // In a continuous flow (batches back to back), give the CPU to whatever else is runnable on this core
            // before taking the next batch: the flow's sender and receiver run, and the next batch is larger.
            // Without it the relay wins every race for the CPU, takes datagrams one at a time at the highest cost
            // per datagram, and starves the very processes that produce and consume them. A lone datagram (a
            // ping, a handshake) never waits: sched_yield returns at once when nothing else wants the core.
            var batchDone = Stopwatch.GetTimestamp();
            if (n < BatchSize && Stopwatch.GetElapsedTime(lastBatch, batchDone) < ContinuousFlowGap) Libc.sched_yield();
            lastBatch = batchDone;
        }
    }

    /// <summary>Batches closer together than this are one continuous flow (a 1420-byte datagram at 1 Gbit/s takes 11 µs).</summary>
    private static readonly TimeSpan ContinuousFlowGap = TimeSpan.FromMicroseconds(20);

    /// <summary>Sends the datagrams queued in <paramref name="sender"/> through <paramref name="session"/>'s upstream socket.</summary>
    private void SendToBackend(int index, Session? session, DatagramSender sender, long now)
    {
        if (session is null || sender.Count == 0)
        {
            sender.Clear();
            return;
        }
        session.Touch(now);
        var outcome = sender.Send(session.Upstream!.SafeHandle, ref session.ForwardSegmentLimit);
        if (outcome.Sent > 0) Metrics.ClientToBackend(index, outcome.Sent, outcome.Bytes);
        // ICMP port unreachable from an earlier datagram: the backend is down or restarting; keep the session.
        if (outcome.Refused > 0) Metrics.BackendUnreachable(outcome.Refused);
        if (outcome.Failed > 0) Metrics.BackendSendError(outcome.Failed);
    }
}
