using System.Diagnostics;
using Difenn.Relay.Relaying.Native;

namespace Difenn.Relay.Relaying;

internal sealed partial class RelayEngine
{
    /// <summary>Batches taken from one ready socket per epoll event before moving on: a busy session or listener cannot starve the rest.</summary>
    private const int RoundsPerEvent = 4;

    /// <summary>Batches in one direction closer together than this are one continuous flow (a 1420-byte datagram at 1 Gbit/s takes 11 µs).</summary>
    private static readonly TimeSpan ContinuousFlowGap = TimeSpan.FromMicroseconds(20);

    /// <summary>The epoll token of listener <paramref name="index"/>: the top of the range, far above any session slot.</summary>
    private static ulong ListenerToken(int index) => ulong.MaxValue - (ulong)index;

    /// <summary>
    /// The relay's one thread: epoll watches every listener and every session's upstream socket; a ready listener
    /// is forwarded to the backend (<see cref="ForwardBatch"/>), a ready upstream socket is replied to its client
    /// (<see cref="DrainReplies"/>). One thread for both directions, not a thread per direction: a round trip then
    /// costs this thread's wake-ups only, and on a small machine the second thread's wake-ups were what made the
    /// relay's latency tail longer than kernel DNAT's (measured: p99 1.05–1.23 of DNAT with two threads, 0.87–1.00
    /// with one; see the benchmark's RESULTS.md).
    /// </summary>
    private void RelayLoop()
    {
        var epoll = _epoll!;
        using var replies = new DatagramBatch(BatchSize, _options.BufferSize, withNames: false);
        using var replySender = new DatagramSender(BatchSize);
        var forward = new ForwardState[_listeners.Count];
        for (var i = 0; i < forward.Length; i++)
            forward[i] = new ForwardState(BatchSize, _options.BufferSize, _listeners[i].AddressFamily);
        try
        {
            // Which direction the previous event moved, and when each direction last took a batch: a flow is
            // batches back to back in one direction with nothing relayed the other way in between.
            var lastWasReply = false;
            long lastReplyAt = 0;
            while (!_stopping)
            {
                var events = epoll.Wait((int)StopCheck.TotalMilliseconds);
                for (var e = 0; e < events && !_stopping; e++)
                {
                    var token = epoll.Token(e);
                    if (token > ListenerToken(forward.Length))
                    {
                        var index = (int)(ulong.MaxValue - token);
                        var state = forward[index];
                        var n = 0;
                        for (var round = 0; round < RoundsPerEvent; round++)
                            if ((n = ForwardBatch(index, state)) < BatchSize) break;
                        YieldInFlow(n, ref state.LastBatchAt, sameDirection: !lastWasReply);
                        lastWasReply = false;
                        continue;
                    }
                    var session = _slots.Get(token);
                    if (session is null || session.IsClosed) continue;
                    YieldInFlow(DrainReplies(session, replies, replySender), ref lastReplyAt, sameDirection: lastWasReply);
                    lastWasReply = true;
                }
            }
        }
        finally
        {
            foreach (var state in forward) state.Dispose();
        }
    }

    /// <summary>
    /// In a one-way continuous flow (batches back to back in one direction, <paramref name="sameDirection"/> as the
    /// previous event), gives the CPU to whatever else is runnable on this core before taking the next batch: the
    /// flow's sender and receiver run, and the next batch is larger. Without it the relay wins every race for the
    /// CPU, takes datagrams one at a time at the highest cost per datagram, and starves the very processes that
    /// produce and consume them (measured: raw UDP 0.79 of DNAT without, 1.29 with; the reply direction 0.82
    /// without). Never in a request/reply exchange: there the next datagram cannot come before the reply went out,
    /// and a yield would only delay it (p99 +25 %, measured). A full batch never yields: more is already waiting.
    /// </summary>
    private static void YieldInFlow(int lastBatch, ref long lastBatchAt, bool sameDirection)
    {
        if (lastBatch <= 0) return;
        var now = Stopwatch.GetTimestamp();
        if (sameDirection && lastBatch < BatchSize && Stopwatch.GetElapsedTime(lastBatchAt, now) < ContinuousFlowGap) Libc.sched_yield();
        lastBatchAt = now;
    }
}
