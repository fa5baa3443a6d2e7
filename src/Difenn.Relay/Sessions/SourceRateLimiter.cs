using System.Net;
using System.Net.Sockets;

namespace Difenn.Relay.Sessions;

/// <summary>
/// A token bucket per source IP address (port ignored) for opening sessions: a spoofed flood from one address
/// cannot fill the session table. Consulted only when a datagram would open a session, never per packet.
/// </summary>
internal sealed class SourceRateLimiter(int perSecond, TimeProvider time)
{
    /// <summary>
    /// Most sources tracked at once (a few MB). Spoofed sources can be new on every datagram: past this the map is
    /// pruned, and if that frees nothing it starts over, rather than grow until the relay runs out of memory
    /// (the session caps still hold meanwhile).
    /// </summary>
    public const int MaxTracked = 65536;

    private readonly Dictionary<UInt128, (double Tokens, long Stamp)> _buckets = [];
    private readonly Lock _lock = new();

    /// <summary>Takes one token for the address in <paramref name="source"/>; false when its bucket is empty.</summary>
    public bool TryAcquire(SocketAddress source)
    {
        var key = AddressKey(source);
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (_buckets.Count >= MaxTracked && !_buckets.ContainsKey(key))
            {
                PruneLocked(now);
                if (_buckets.Count >= MaxTracked) _buckets.Clear();
            }
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
        lock (_lock) PruneLocked(now);
    }

    private void PruneLocked(long now)
    {
        // Removing during enumeration is allowed for Dictionary since .NET Core 3.0.
        foreach (var (k, (tokens, stamp)) in _buckets)
            if (tokens + (time.GetElapsedTime(stamp, now).TotalSeconds * perSecond) >= perSecond) _buckets.Remove(k);
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
