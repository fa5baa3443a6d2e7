using Difenn.Relay.Observability;
using Difenn.Relay.Relaying.Native;
using Difenn.Relay.Sessions;
using Difenn.Relay.WireGuard;

namespace Difenn.Relay.Relaying;

internal sealed partial class RelayEngine
{
    /// <summary>Batches taken from one ready session per epoll event before moving on: a busy session cannot starve the rest.</summary>
    private const int RoundsPerEvent = 4;

    /// <summary>
    /// Backend → client for every session, on one thread: epoll reports which upstream sockets have replies; each is
    /// drained with <c>recvmmsg</c> and its replies sent to its client with <c>sendmmsg</c> (or one GSO send) from
    /// the listener the client talks to, so they leave from the port the client sent to. One thread instead of a
    /// loop per session: no wake-up per datagram, no per-session stacks, and the same cost for 1 or 1000 sessions.
    /// </summary>
    private void ReplyLoop()
    {
        var epoll = _epoll!;
        using var batch = new DatagramBatch(BatchSize, _options.BufferSize, withNames: false);
        using var sender = new DatagramSender(BatchSize);
        while (!_stopping)
        {
            var events = epoll.Wait((int)StopCheck.TotalMilliseconds);
            for (var e = 0; e < events && !_stopping; e++)
            {
                var session = _slots.Get(epoll.Token(e));
                if (session is null || session.IsClosed) continue;
                DrainReplies(session, batch, sender);
            }
        }
    }

    private void DrainReplies(Session session, DatagramBatch batch, DatagramSender sender)
    {
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
                return; // EAGAIN: drained; EBADF: closed by the sweeper or at shutdown
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
            if (n < batch.Capacity) return;
        }
    }
}
