using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;

namespace Difenn.WireGuard.Dump;

/// <summary>The parsed output of <c>wg show &lt;iface&gt; dump</c>.</summary>
/// <param name="Interface">The first line: the interface itself.</param>
/// <param name="Peers">One entry a peer line.</param>
public sealed record WgDump(WgDumpInterface Interface, IReadOnlyList<WgDumpPeer> Peers);

/// <summary>The interface line: private key, public key, listen port, fwmark.</summary>
/// <param name="PrivateKey">The live private key (secret; compare by its public key), null when "(none)".</param>
/// <param name="PublicKey">The live public key, null when "(none)".</param>
/// <param name="ListenPort">The port it listens on (0 when not up).</param>
/// <param name="FwMark">The firewall mark, null when "off".</param>
public sealed record WgDumpInterface(WireGuardPrivateKey? PrivateKey, WireGuardPublicKey? PublicKey, int ListenPort, uint? FwMark);

/// <summary>A peer line.</summary>
/// <param name="PublicKey">The peer's public key.</param>
/// <param name="PresharedKey">The preshared key (secret), null when "(none)".</param>
/// <param name="Endpoint">The peer's current endpoint, null when "(none)" (no packet received yet).</param>
/// <param name="AllowedIPs">Allowed IPs; empty when "(none)".</param>
/// <param name="LatestHandshake">Time of the latest handshake, null when there was none (0).</param>
/// <param name="ReceivedBytes">Bytes received from the peer.</param>
/// <param name="SentBytes">Bytes sent to the peer.</param>
/// <param name="PersistentKeepalive">Keepalive seconds, null when "off".</param>
public sealed record WgDumpPeer(
    WireGuardPublicKey PublicKey,
    WireGuardPresharedKey? PresharedKey,
    Endpoint? Endpoint,
    IReadOnlyList<IpPrefix> AllowedIPs,
    DateTimeOffset? LatestHandshake,
    long ReceivedBytes,
    long SentBytes,
    int? PersistentKeepalive);
