using System.Net;
using Difenn.Relay.Observability;
using Difenn.Relay.Relaying.Native;
using Difenn.Relay.Sessions;
using Difenn.Relay.WireGuard;

namespace Difenn.Relay.Relaying;

internal sealed partial class RelayEngine
{
    /// <summary>
    /// Client → backend for one listener: takes every datagram waiting (up to <see cref="BatchSize"/>, never
    /// blocking) and sends each session's consecutive datagrams to its upstream socket together, in arrival order.
    /// Returns how many datagrams were taken (0 when none were waiting). A blocking send is the only back-pressure;
    /// nothing is queued.
    /// </summary>
    private int ForwardBatch(int index, ForwardState state)
    {
        var batch = state.Batch;
        var n = batch.Receive(_listeners[index].SafeHandle, Libc.MSG_DONTWAIT, out _);
        if (n <= 0) return 0; // nothing waiting (EAGAIN), a signal, a transient error, or closed at shutdown
        var now = _time.GetTimestamp();
        var sender = state.Sender;
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
            var session = FindSession(index, state, batch.Name(i), kind, packet);
            if (session is null) continue;
            if (session != run)
            {
                SendToBackend(index, run, sender, now);
                run = session;
            }
            sender.Add(batch, i);
        }
        SendToBackend(index, run, sender, now);
        return n;
    }

    /// <summary>The session of the client at <paramref name="name"/>, opened if allowed; null when the datagram is dropped.</summary>
    private Session? FindSession(int index, ForwardState state, ReadOnlySpan<byte> name, PacketKind kind, ReadOnlySpan<byte> packet)
    {
        var last = state.LastSession;
        if (last is not null && !last.IsClosed && name.SequenceEqual(state.LastName.AsSpan(0, state.LastNameLength))) return last;
        var from = state.From;
        var size = Math.Min(name.Length, from.Buffer.Length);
        name[..size].CopyTo(from.Buffer.Span);
        from.Size = size;
        var session = _tables[index].Find(from) ?? TryOpen(index, from, kind, packet);
        if (session is null) return null;
        state.LastSession = session;
        name[..size].CopyTo(state.LastName);
        state.LastNameLength = size;
        return session;
    }

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
