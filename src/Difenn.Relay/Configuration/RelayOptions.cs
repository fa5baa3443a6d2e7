using System.Net;

namespace Difenn.Relay.Configuration;

/// <summary>Everything the relay is told at start-up. Defaults suit a home hub in front of one WireGuard server.</summary>
public sealed record RelayOptions
{
    /// <summary>Addresses to listen on (UDP). A bare port means 0.0.0.0:port. Required, at least one.</summary>
    public required IReadOnlyList<IPEndPoint> Listen { get; init; }

    /// <summary>The backend host (address or DNS name). Required.</summary>
    public required string BackendHost { get; init; }

    /// <summary>The backend UDP port. Required.</summary>
    public required int BackendPort { get; init; }

    /// <summary>A session idle this long is closed. Default 180 s (WireGuard's REJECT_AFTER_TIME; keepalive 25 keeps live flows well inside it).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>
    /// Most concurrent sessions. Default 1024 (a home hub has a handful of peers). When the table is full a newcomer
    /// replaces the oldest unconfirmed session (one the backend never answered), else the longest idle one: it is never refused.
    /// </summary>
    public int MaxSessions { get; init; } = 1024;

    /// <summary>
    /// A session the backend has not answered (no handshake response, no data) within this is closed, however much
    /// the client sends. Default 10 s (a response takes one round trip; WireGuard retries an initiation every 5 s).
    /// </summary>
    public TimeSpan UnconfirmedTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most unconfirmed sessions of one source (an IPv4 address, an IPv6 /64); a newcomer over it replaces that source's oldest. Default 8.</summary>
    public int MaxUnconfirmedPerSource { get; init; } = 8;

    /// <summary>Most unconfirmed sessions of one prefix (an IPv4 /24, an IPv6 /48); a newcomer over it replaces that prefix's oldest. Default 64.</summary>
    public int MaxUnconfirmedPerPrefix { get; init; } = 64;

    /// <summary>New sessions per second allowed from one source address (token bucket, burst = this). Default 20.</summary>
    public int NewSessionsPerSecondPerSource { get; init; } = 20;

    /// <summary>Drop datagrams that are not WireGuard messages. Default true (<c>--any-udp</c> turns it off).</summary>
    public bool WireGuardOnly { get; init; } = true;

    /// <summary>
    /// The server's public keys (32 bytes each): when any is set, only an initiation whose MAC1 is valid for one of them
    /// opens a session. Usually one; two while the server's key is being rotated (old and new). Default none.
    /// </summary>
    public IReadOnlyList<byte[]> ServerPublicKeys { get; init; } = [];

    /// <summary>
    /// A file of further server public keys (see <see cref="ServerKeysFile"/>), re-read whenever it changes: keys can
    /// be added or removed without a restart. Added to <see cref="ServerPublicKeys"/>. Default none.
    /// </summary>
    public string? ServerPublicKeysFile { get; init; }

    /// <summary>Where Prometheus metrics and /healthz are served. Default 127.0.0.1:9480; null disables.</summary>
    public IPEndPoint? Metrics { get; init; } = new(IPAddress.Loopback, 9480);

    /// <summary>
    /// Where the session table is kept across restarts (written on change, every 30 s and at shutdown; read at
    /// start), so clients keep their sessions when the relay restarts. Default none: sessions end with the process.
    /// </summary>
    public string? StateFile { get; init; }

    /// <summary>How often a backend DNS name is re-resolved. Default 30 s.</summary>
    public TimeSpan ResolveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bytes per datagram slot in the receive batches: 2048 for WireGuard (it never sends more than its MTU; a longer
    /// datagram is dropped as oversized), 65536 with <c>--any-udp</c> (any UDP datagram fits).
    /// </summary>
    public int BufferSize => WireGuardOnly ? 2048 : 65536;
}
