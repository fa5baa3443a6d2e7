using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Difenn.Relay.Sessions;

/// <summary>
/// Keeps a flood of forged initiations from owning the session table. MAC1 needs only the server's public key, which
/// is public, so a valid MAC1 proves nothing about the sender: a session is only <em>pending</em> until the backend
/// answers it (<see cref="Session.IsConfirmed"/>). Pending sessions are the cheap ones. They are
/// <list type="bullet">
/// <item>capped per source (an IPv4 address, an IPv6 /64: one host) and per prefix (an IPv4 /24, an IPv6 /48: one
/// network), and a newcomer over a cap replaces the oldest pending session of its own source or prefix, so one
/// network recycles its own entries and never pushes out anyone else's;</item>
/// <item>the first to go when the table is full (the oldest pending one of the prefix holding the most: see
/// <see cref="PendingToEvict"/>), so a newcomer is never refused while a session nobody answered holds a slot;</item>
/// <item>closed after <see cref="Configuration.RelayOptions.UnconfirmedTimeout"/> whatever traffic keeps them busy,
/// and never written to the state file.</item>
/// </list>
/// Confirmed sessions count against no cap. Consulted when a session opens, is confirmed or closes, never per
/// datagram; thread-safe (the relay thread opens and confirms, the sweeper expires).
/// </summary>
internal sealed class SessionAdmission(int maxPerSource, int maxPerPrefix)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Session> _pending = new();
    private readonly Dictionary<UInt128, int> _perSource = [];
    private readonly Dictionary<UInt128, int> _perPrefix = [];

    /// <summary>Unconfirmed sessions now.</summary>
    public int PendingCount
    {
        get { lock (_lock) return _pending.Count; }
    }

    /// <summary>
    /// The source and prefix keys of <paramref name="address"/>: IPv4 by address and by /24, IPv6 by /64 and by /48
    /// (one IPv6 host usually owns a whole /64, so counting its addresses one by one would cap nothing).
    /// </summary>
    public static (UInt128 Source, UInt128 Prefix) Keys(SocketAddress address)
    {
        // sockaddr_in: family(2) port(2) addr(4); sockaddr_in6: family(2) port(2) flowinfo(4) addr(16).
        var buffer = address.Buffer.Span;
        // The bits kept sit low, a tag for the kind sits in the top two bits: no two kinds can collide.
        if (address.Family == AddressFamily.InterNetwork)
        {
            var v4 = BinaryPrimitives.ReadUInt32BigEndian(buffer.Slice(4, 4));
            return (v4, ((UInt128)1 << 126) | (v4 >> 8));
        }
        var v6 = BinaryPrimitives.ReadUInt128BigEndian(buffer.Slice(8, 16));
        return (((UInt128)2 << 126) | (v6 >> 64), ((UInt128)3 << 126) | (v6 >> 80));
    }

    /// <summary>
    /// The pending session a newcomer from <paramref name="source"/>/<paramref name="prefix"/> replaces because its
    /// source or prefix is at its cap (the oldest pending one of that source, else of that prefix); null when under both caps.
    /// </summary>
    public Session? OverCapVictim(UInt128 source, UInt128 prefix)
    {
        lock (_lock)
        {
            var bySource = _perSource.GetValueOrDefault(source) >= maxPerSource;
            var byPrefix = _perPrefix.GetValueOrDefault(prefix) >= maxPerPrefix;
            if (!bySource && !byPrefix) return null;
            for (var node = _pending.First; node is not null; node = node.Next)
                if (bySource ? node.Value.SourceKey == source : node.Value.PrefixKey == prefix) return node.Value;
            return null;
        }
    }

    /// <summary>
    /// The pending session to evict when the table is full, or null: the oldest pending session of the prefix that holds
    /// the most pending sessions (the oldest overall when every prefix holds one). A fair share rather than plain age:
    /// a flood from many prefixes recycles its own entries, and a real client's single pending session, in a prefix of
    /// its own, is not pushed out before its server can answer, however slow that answer is under the flood.
    /// Scans the pending list (at most the table's size); called only while the table is full, never per datagram.
    /// </summary>
    public Session? PendingToEvict()
    {
        lock (_lock)
        {
            var most = 0;
            foreach (var count in _perPrefix.Values) most = Math.Max(most, count);
            for (var node = _pending.First; node is not null; node = node.Next)
                if (_perPrefix.GetValueOrDefault(node.Value.PrefixKey) == most) return node.Value;
            return _pending.First?.Value;
        }
    }

    /// <summary>Records <paramref name="session"/> (just opened, its keys set) as pending.</summary>
    public void AddPending(Session session)
    {
        lock (_lock)
        {
            if (session.IsConfirmed || session.Pending is not null) return;
            session.Pending = _pending.AddLast(session);
            Adjust(_perSource, session.SourceKey, +1);
            Adjust(_perPrefix, session.PrefixKey, +1);
        }
    }

    /// <summary>The backend answered <paramref name="session"/>: it is confirmed and no longer counted. Allocates nothing.</summary>
    public void Confirm(Session session)
    {
        if (!session.MarkConfirmed()) return;
        Forget(session);
    }

    /// <summary>Stops counting <paramref name="session"/> (confirmed or closed); idempotent. Allocates nothing.</summary>
    public void Forget(Session session)
    {
        lock (_lock)
        {
            if (session.Pending is not { } node || node.List is null) return;
            _pending.Remove(node);
            session.Pending = null;
            Adjust(_perSource, session.SourceKey, -1);
            Adjust(_perPrefix, session.PrefixKey, -1);
        }
    }

    /// <summary>The pending sessions opened more than <paramref name="timeout"/> before <paramref name="now"/>, oldest first (they are not removed here).</summary>
    public List<Session>? Expired(long now, TimeSpan timeout, TimeProvider time)
    {
        List<Session>? expired = null; // allocated only when something expires: the sweeper runs every second
        lock (_lock)
        {
            for (var node = _pending.First; node is not null && time.GetElapsedTime(node.Value.Opened, now) > timeout; node = node.Next)
                (expired ??= []).Add(node.Value);
        }
        return expired;
    }

    private static void Adjust(Dictionary<UInt128, int> counts, UInt128 key, int delta)
    {
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
        count += delta;
        if (count <= 0) counts.Remove(key);
    }
}
