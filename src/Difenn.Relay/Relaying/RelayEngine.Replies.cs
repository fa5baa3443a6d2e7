using Difenn.Relay.Observability;
using Difenn.Relay.Relaying.Native;
using Difenn.Relay.Sessions;
using Difenn.Relay.WireGuard;

namespace Difenn.Relay.Relaying;

internal sealed partial class RelayEngine
{
    /// <summary>
    /// True when a reply proves the backend accepted the session: a handshake response or transport data. A cookie
    /// reply does not (WireGuard sends one to any valid-MAC1 initiation when under load). With <c>--any-udp</c>, any reply.
    /// </summary>
    private bool ConfirmsSession(ReadOnlySpan<byte> reply) =>
        !_options.WireGuardOnly || WireGuardClassifier.Classify(reply) is PacketKind.HandshakeResponse or PacketKind.TransportData;

    /// <summary>
    /// Backend → client for one session that epoll reported readable: drains its upstream socket with
    /// <c>recvmmsg</c> (at most <see cref="RoundsPerEvent"/> batches, so a busy session cannot starve the rest) and
    /// sends the replies to its client with <c>sendmmsg</c> (or one GSO send) from the listener the client talks to,
    /// so they leave from the port the client sent to. Returns the size of the last batch taken (0: none waiting).
    /// </summary>
    private int DrainReplies(Session session, DatagramBatch batch, DatagramSender sender)
    {
        var last = 0;
        var upstream = session.Upstream!.SafeHandle;
        var listener = _listeners[session.ListenerIndex].SafeHandle;
        for (var round = 0; round < RoundsPerEvent; round++)
        {
            var n = batch.Receive(upstream, Libc.MSG_DONTWAIT, out var errno);
            if (n < 0)
            {
                if (errno == Libc.ECONNREFUSED)
                {
                    // Backend down: counted, never fatal; the session lives on and recovers when it is back.
                    if (!session.IsClosed) Metrics.BackendUnreachable();
                    continue;
                }
                if (errno == Libc.EINTR) continue;
                return last; // EAGAIN: drained; EBADF: closed by the sweeper or at shutdown
            }
            for (var i = 0; i < n; i++)
            {
                if (batch.Truncated(i))
                {
                    Metrics.Drop(DropReason.Oversized);
                    continue;
                }
                if (_options.WireGuardOnly && WireGuardClassifier.Classify(batch.Payload(i)) == PacketKind.Invalid)
                {
                    Metrics.Drop(DropReason.ReplyNotWireGuard);
                    continue;
                }
                if (!session.IsConfirmed && ConfirmsSession(batch.Payload(i))) _admission.Confirm(session);
                sender.Add(batch, i);
            }
            if (sender.Count > 0)
            {
                session.Touch(_time.GetTimestamp());
                sender.SetDestination(session.Client);
                var outcome = sender.Send(listener, ref session.ReplySegmentLimit);
                if (outcome.Sent > 0) Metrics.BackendToClient(session.ListenerIndex, outcome.Sent, outcome.Bytes);
                if (outcome.Failed > 0 && !_stopping) Metrics.ReplySendError(outcome.Failed);
            }
            last = n;
            if (n < batch.Capacity) return last;
        }
        return last; // more waiting: level-triggered epoll reports the socket again
    }
}
