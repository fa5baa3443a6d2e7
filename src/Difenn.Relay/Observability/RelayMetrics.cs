using System.Text;

namespace Difenn.Relay.Observability;

/// <summary>Why a datagram was dropped (one counter each).</summary>
internal enum DropReason
{
    /// <summary>Not a WireGuard message by type and size.</summary>
    NotWireGuard,

    /// <summary>A handshake initiation whose MAC1 is not valid for the server.</summary>
    BadMac1,

    /// <summary>Would open a session but is not a handshake initiation (with MAC1 checking on).</summary>
    NoSession,

    /// <summary>The session table is full.</summary>
    SessionCap,

    /// <summary>Its source opened too many sessions per second.</summary>
    RateLimited,

    /// <summary>A reply from the backend that is not a WireGuard message.</summary>
    ReplyNotWireGuard,

    /// <summary>Longer than the receive buffer (2048 bytes for WireGuard, which never sends more than its MTU).</summary>
    Oversized,
}

/// <summary>
/// Counters in plain <c>long</c> fields updated with <see cref="Interlocked"/>: no allocation on the hot path, and
/// rendered in the Prometheus text format on demand.
/// </summary>
internal sealed class RelayMetrics
{
    private readonly string[] _listeners;
    private readonly long[] _packetsIn, _bytesIn, _packetsOut, _bytesOut;
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private long _opened, _restored, _expired, _evicted, _unconfirmedExpired, _backendSendErrors, _backendUnreachable, _replySendErrors;

    public RelayMetrics(IReadOnlyList<string> listeners)
    {
        _listeners = [.. listeners];
        _packetsIn = new long[listeners.Count];
        _bytesIn = new long[listeners.Count];
        _packetsOut = new long[listeners.Count];
        _bytesOut = new long[listeners.Count];
    }

    /// <summary>Reads the active session count when rendering.</summary>
    public Func<int> ActiveSessions { get; set; } = () => 0;

    /// <summary>Counts a batch relayed client → backend (one update per batch, not per datagram).</summary>
    public void ClientToBackend(int listener, int packets, long bytes)
    {
        Interlocked.Add(ref _packetsIn[listener], packets);
        Interlocked.Add(ref _bytesIn[listener], bytes);
    }

    /// <summary>Counts a batch relayed backend → client.</summary>
    public void BackendToClient(int listener, int packets, long bytes)
    {
        Interlocked.Add(ref _packetsOut[listener], packets);
        Interlocked.Add(ref _bytesOut[listener], bytes);
    }

    public void Drop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    public void SessionOpened() => Interlocked.Increment(ref _opened);

    public void SessionRestored() => Interlocked.Increment(ref _restored);

    public void SessionExpired() => Interlocked.Increment(ref _expired);

    /// <summary>A session was closed to make room for a newcomer (table full, or its source or prefix at its cap).</summary>
    public void SessionEvicted() => Interlocked.Increment(ref _evicted);

    /// <summary>A session the backend never answered was closed after the unconfirmed timeout.</summary>
    public void SessionUnconfirmedExpired() => Interlocked.Increment(ref _unconfirmedExpired);

    /// <summary>Sessions evicted so far.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Unconfirmed sessions expired so far.</summary>
    public long UnconfirmedExpired => Interlocked.Read(ref _unconfirmedExpired);

    /// <summary>Reads the number of unconfirmed sessions (set by the engine).</summary>
    public Func<int> UnconfirmedSessions { get; set; } = () => 0;

    public void BackendSendError(int count = 1) => Interlocked.Add(ref _backendSendErrors, count);

    public void BackendUnreachable(int count = 1) => Interlocked.Add(ref _backendUnreachable, count);

    public void ReplySendError(int count = 1) => Interlocked.Add(ref _replySendErrors, count);

    public long Drops(DropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    public long PacketsIn(int listener) => Interlocked.Read(ref _packetsIn[listener]);

    public long PacketsOut(int listener) => Interlocked.Read(ref _packetsOut[listener]);

    public long Opened => Interlocked.Read(ref _opened);

    public long Restored => Interlocked.Read(ref _restored);

    public long Expired => Interlocked.Read(ref _expired);

    public long Unreachable => Interlocked.Read(ref _backendUnreachable);

    private volatile string _serverKeys = "";

    /// <summary>The server keys in force: their number and the SHA-256 of the keys file they came from ("" without one).</summary>
    public void ServerKeys(int count, string fileSha256) => _serverKeys = $"difenn_relay_server_keys{{sha256=\"{fileSha256}\"}} {count}\n";

    /// <summary>The Prometheus text exposition (version 0.0.4).</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        void Family(string name, string type, string help) => sb.Append($"# HELP {name} {help}\n# TYPE {name} {type}\n");
        Family("difenn_relay_packets_total", "counter", "Datagrams relayed, by listener and direction.");
        for (var i = 0; i < _listeners.Length; i++)
        {
            sb.Append($"difenn_relay_packets_total{{listener=\"{_listeners[i]}\",direction=\"client_to_backend\"}} {PacketsIn(i)}\n");
            sb.Append($"difenn_relay_packets_total{{listener=\"{_listeners[i]}\",direction=\"backend_to_client\"}} {PacketsOut(i)}\n");
        }
        Family("difenn_relay_bytes_total", "counter", "Payload bytes relayed, by listener and direction.");
        for (var i = 0; i < _listeners.Length; i++)
        {
            sb.Append($"difenn_relay_bytes_total{{listener=\"{_listeners[i]}\",direction=\"client_to_backend\"}} {Interlocked.Read(ref _bytesIn[i])}\n");
            sb.Append($"difenn_relay_bytes_total{{listener=\"{_listeners[i]}\",direction=\"backend_to_client\"}} {Interlocked.Read(ref _bytesOut[i])}\n");
        }
        Family("difenn_relay_sessions_active", "gauge", "Sessions currently open.");
        sb.Append($"difenn_relay_sessions_active {ActiveSessions()}\n");
        Family("difenn_relay_sessions_opened_total", "counter", "Sessions opened.");
        sb.Append($"difenn_relay_sessions_opened_total {Opened}\n");
        Family("difenn_relay_sessions_restored_total", "counter", "Sessions brought back from the state file at start.");
        sb.Append($"difenn_relay_sessions_restored_total {Restored}\n");
        Family("difenn_relay_sessions_expired_total", "counter", "Sessions closed after the idle timeout.");
        sb.Append($"difenn_relay_sessions_expired_total {Expired}\n");
        Family("difenn_relay_sessions_unconfirmed", "gauge", "Sessions the backend has not answered yet.");
        sb.Append($"difenn_relay_sessions_unconfirmed {UnconfirmedSessions()}\n");
        Family("difenn_relay_sessions_evicted_total", "counter", "Sessions closed to make room for a newcomer.");
        sb.Append($"difenn_relay_sessions_evicted_total {Evicted}\n");
        Family("difenn_relay_sessions_unconfirmed_expired_total", "counter", "Sessions closed because the backend never answered them.");
        sb.Append($"difenn_relay_sessions_unconfirmed_expired_total {UnconfirmedExpired}\n");
        Family("difenn_relay_dropped_total", "counter", "Datagrams dropped, by reason.");
        foreach (var r in Enum.GetValues<DropReason>())
            sb.Append($"difenn_relay_dropped_total{{reason=\"{Snake(r.ToString())}\"}} {Drops(r)}\n");
        Family("difenn_relay_backend_errors_total", "counter", "Errors talking to the backend, by kind.");
        sb.Append($"difenn_relay_backend_errors_total{{kind=\"send_failed\"}} {Interlocked.Read(ref _backendSendErrors)}\n");
        sb.Append($"difenn_relay_backend_errors_total{{kind=\"unreachable\"}} {Unreachable}\n");
        sb.Append($"difenn_relay_backend_errors_total{{kind=\"reply_send_failed\"}} {Interlocked.Read(ref _replySendErrors)}\n");
        if (_serverKeys.Length > 0)
        {
            Family("difenn_relay_server_keys", "gauge", "Server public keys the MAC1 gate accepts; sha256 of the keys file they were read from (a deploy waits for it).");
            sb.Append(_serverKeys);
        }
        // Process health: the hot path must not allocate, so allocation is a first-class signal.
        Family("difenn_relay_allocated_bytes_total", "counter", "Bytes allocated on the managed heap by the whole process.");
        sb.Append($"difenn_relay_allocated_bytes_total {GC.GetTotalAllocatedBytes(precise: true)}\n");
        Family("difenn_relay_gc_collections_total", "counter", "Garbage collections, by generation.");
        for (var g = 0; g <= GC.MaxGeneration; g++)
            sb.Append($"difenn_relay_gc_collections_total{{generation=\"{g}\"}} {GC.CollectionCount(g)}\n");
        return sb.ToString();
    }

    private static string Snake(string s) =>
        string.Concat(s.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
