using System.Net;
using System.Net.Sockets;

namespace Difenn.Relay.Sessions;

/// <summary>
/// A token bucket per source IP address (port ignored) for opening sessions: a spoofed flood from one address
/// cannot fill the session table. Consulted only when a datagram would open a session, never per packet.
/// </summary>
internal sealed class SourceRateLimiter(int perSecond, TimeProvider time)
{
    private readonly Dictionary<UInt128, (double Tokens, long Stamp)> _buckets = [];
    private readonly Lock _lock = new();

    /// <summary>Takes one token for the address in <paramref name="source"/>; false when its bucket is empty.</summary>
    public bool TryAcquire(SocketAddress source)
    {
        var key = AddressKey(source);
        var now = time.GetTimestamp();
        lock (_lock)
        {
            var (tokens, stamp) = _buckets.TryGetValue(key, out var b) ? b : (perSecond, now);
            tokens = Math.Min(perSecond, tokens + (time.GetElapsedTime(stamp, now).TotalSeconds * perSecond));
            if (tokens < 1)
            {
                _buckets[key] = (tokens, now);
                return false;
            }
            _buckets[key] = (tokens - 1, now);
            return true;
        }
    }

    /// <summary>Forgets buckets that are full again (so the map does not grow without bound).</summary>
    public void Prune()
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            foreach (var (k, (tokens, stamp)) in _buckets.ToList())
                if (tokens + (time.GetElapsedTime(stamp, now).TotalSeconds * perSecond) >= perSecond) _buckets.Remove(k);
        }
    }

    /// <summary>Number of tracked sources.</summary>
    public int Count
    {
        get { lock (_lock) return _buckets.Count; }
    }

    private static UInt128 AddressKey(SocketAddress a)
    {
        // sockaddr_in: family(2) port(2) addr(4); sockaddr_in6: family(2) port(2) flowinfo(4) addr(16).
        var buf = a.Buffer.Span;
        if (a.Family == AddressFamily.InterNetwork)
            return (UInt128)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(buf.Slice(4, 4));
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(buf.Slice(8, 16)) ^ ((UInt128)1 << 127);
    }
}
