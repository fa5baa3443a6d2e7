using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;

namespace Difenn.WireGuard.OpenWrt;

/// <summary>An OpenWrt <c>network.&lt;Name&gt;</c> interface with <c>proto wireguard</c>.</summary>
/// <param name="Name">UCI section name of the interface, e.g. <c>wg_difenn</c> (letters, digits, underscore).</param>
/// <param name="PrivateKey">The router's private key (secret).</param>
/// <param name="Addresses">The router's VPN addresses, e.g. 10.200.0.2/24.</param>
/// <param name="ListenPort">Optional fixed listen port; null lets WireGuard choose one (right for a client).</param>
/// <param name="Peers">The peer sections, each of type <c>wireguard_&lt;Name&gt;</c>.</param>
public sealed record UciWireGuardInterface(
    string Name,
    WireGuardPrivateKey PrivateKey,
    IReadOnlyList<IpPrefix> Addresses,
    int? ListenPort,
    IReadOnlyList<UciWireGuardPeer> Peers);

/// <summary>A <c>wireguard_&lt;iface&gt;</c> peer section.</summary>
/// <param name="SectionName">Named section, e.g. <c>wg_difenn_server</c>; a name makes re-applying idempotent.</param>
/// <param name="PublicKey">The peer's public key.</param>
/// <param name="PresharedKey">Optional preshared key (secret).</param>
/// <param name="EndpointHost">Endpoint host name or address; null for a peer that connects to us.</param>
/// <param name="EndpointPort">Endpoint port (default WireGuard port 51820 when a host is given and this is null).</param>
/// <param name="PersistentKeepalive">Keepalive seconds; mandatory (25) behind LTE/CGNAT.</param>
/// <param name="AllowedIPs">Networks routed to this peer.</param>
/// <param name="RouteAllowedIps">Whether netifd adds routes for <paramref name="AllowedIPs"/> (default true).</param>
/// <param name="Description">Optional label shown in LuCI.</param>
public sealed record UciWireGuardPeer(
    string SectionName,
    WireGuardPublicKey PublicKey,
    WireGuardPresharedKey? PresharedKey,
    string? EndpointHost,
    int? EndpointPort,
    int? PersistentKeepalive,
    IReadOnlyList<IpPrefix> AllowedIPs,
    bool RouteAllowedIps = true,
    string? Description = null);
