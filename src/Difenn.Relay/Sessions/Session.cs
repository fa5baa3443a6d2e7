using System.Net;
using System.Net.Sockets;

namespace Difenn.Relay.Sessions;

/// <summary>
/// One client endpoint on one listener: its own upstream socket, connected to the backend, so the server sees
/// every client as a distinct endpoint and replies can be matched to the client without any lookup.
/// </summary>
internal sealed class Session
{
    private long _lastActivity;
    private int _closed;
    private int _confirmed;

    /// <summary>
    /// Largest datagram size the forward path still tries to send as one GSO batch to the backend (lowered when
    /// the route refuses, e.g. a datagram larger than the path MTU). Used only by the relay thread.
    /// </summary>
    public int ForwardSegmentLimit = int.MaxValue;

    /// <summary>The same for replies to the client. Used only by the relay thread.</summary>
    public int ReplySegmentLimit = int.MaxValue;

    public Session(SocketAddress client, int listenerIndex, Socket? upstream, long now)
    {
        Client = client;
        ListenerIndex = listenerIndex;
        Upstream = upstream;
        _lastActivity = now;
        Opened = now;
    }

    /// <summary>Timestamp (TimeProvider ticks) when the session was opened: an unconfirmed session expires by it.</summary>
    public long Opened { get; }

    /// <summary>
    /// True once the backend answered (a handshake response or transport data): until then the session may be a
    /// replayed or forged initiation that nobody will ever answer, and <see cref="SessionAdmission"/> treats it as
    /// the first to go. Set once, by the relay thread; restored sessions start confirmed.
    /// </summary>
    public bool IsConfirmed => Volatile.Read(ref _confirmed) != 0;

    /// <summary>Marks the session confirmed; true the first time.</summary>
    public bool MarkConfirmed() => Interlocked.Exchange(ref _confirmed, 1) == 0;

    /// <summary>The client's source (IPv4 address, IPv6 /64) as <see cref="SessionAdmission"/> counts it.</summary>
    public UInt128 SourceKey { get; set; }

    /// <summary>The client's prefix (IPv4 /24, IPv6 /48) as <see cref="SessionAdmission"/> counts it.</summary>
    public UInt128 PrefixKey { get; set; }

    /// <summary>The session's place in <see cref="SessionAdmission"/>'s list of unconfirmed sessions (oldest first); null once confirmed or closed.</summary>
    public LinkedListNode<Session>? Pending { get; set; }

    /// <summary>The client's address (an owned copy; the table's key).</summary>
    public SocketAddress Client { get; }

    /// <summary>Which listener the client talks to: replies leave from that socket, so from that port.</summary>
    public int ListenerIndex { get; }

    /// <summary>The socket connected to the backend (null only in unit tests of the table).</summary>
    public Socket? Upstream { get; }

    /// <summary>The session's number in the relay's slot table (its epoll token); -1 before it is registered.</summary>
    public int Slot { get; set; } = -1;

    /// <summary>Timestamp (TimeProvider ticks) of the last datagram either way.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>True once closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Records activity at <paramref name="now"/>.</summary>
    public void Touch(long now) => Volatile.Write(ref _lastActivity, now);

    /// <summary>Closes the upstream socket (which also removes it from the relay thread's epoll set); idempotent. Returns true the first time.</summary>
    public bool Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return false;
        Upstream?.Dispose();
        return true;
    }

    /// <summary>The client as an endpoint, for logs (allocates: not for the hot path).</summary>
    public IPEndPoint ClientEndPoint() => (IPEndPoint)new IPEndPoint(Client.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0).Create(Client);
}
