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

    public Session(SocketAddress client, int listenerIndex, Socket? upstream, long now)
    {
        Client = client;
        ListenerIndex = listenerIndex;
        Upstream = upstream;
        _lastActivity = now;
    }

    /// <summary>The client's address (an owned copy; the table's key).</summary>
    public SocketAddress Client { get; }

    /// <summary>Which listener the client talks to: replies leave from that socket, so from that port.</summary>
    public int ListenerIndex { get; }

    /// <summary>The socket connected to the backend (null only in unit tests of the table).</summary>
    public Socket? Upstream { get; }

    /// <summary>Timestamp (TimeProvider ticks) of the last datagram either way.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>True once closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Records activity at <paramref name="now"/>.</summary>
    public void Touch(long now) => Volatile.Write(ref _lastActivity, now);

    /// <summary>Closes the upstream socket (which ends the reply loop); idempotent. Returns true the first time.</summary>
    public bool Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return false;
        Upstream?.Dispose();
        return true;
    }

    /// <summary>The client as an endpoint, for logs (allocates: not for the hot path).</summary>
    public IPEndPoint ClientEndPoint() => (IPEndPoint)new IPEndPoint(Client.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0).Create(Client);
}
