using System.Net;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;

namespace Difenn.Topology.Model;

/// <summary>
/// The whole topology of one stack, as <c>stacks/&lt;stack&gt;.yaml</c> describes it, validated. No secrets:
/// secret values are named (<see cref="SecretRef"/>) and supplied by an <c>ISecretSource</c> at the edge.
/// </summary>
/// <param name="Name">Stack name (e.g. <c>prod</c>).</param>
/// <param name="SourceFile">The YAML file it was read from.</param>
/// <param name="Dns">The public DNS record peers connect to.</param>
/// <param name="Hub">The public relay host (hub2).</param>
/// <param name="Proxmox">The Proxmox host and the container running the WireGuard server.</param>
/// <param name="Server">The WireGuard server interface.</param>
/// <param name="Peers">Every peer of the server.</param>
public sealed record Stack(string Name, string SourceFile, DnsSpec Dns, HubSpec Hub, ProxmoxSpec Proxmox, ServerSpec Server, IReadOnlyList<PeerSpec> Peers);

/// <summary>A Cloudflare DNS A record.</summary>
/// <param name="Zone">The Cloudflare zone, e.g. <c>trevarn.com</c>.</param>
/// <param name="Name">The full record name, e.g. <c>wg.trevarn.com</c>.</param>
/// <param name="Address">The IPv4 address (the hub's public IP).</param>
/// <param name="Ttl">TTL in seconds (default 300).</param>
/// <param name="Proxied">Always false: Cloudflare's proxy does not carry UDP.</param>
public sealed record DnsSpec(string Zone, string Name, IPAddress Address, int Ttl, bool Proxied);

/// <summary>How a host is reached over SSH.</summary>
/// <param name="Host">Host name or address.</param>
/// <param name="Port">SSH port (default 22).</param>
/// <param name="User">Login user (default root).</param>
/// <param name="HostKeys">Pinned host public keys (<c>ssh-ed25519 AAAA…</c>); empty means use known_hosts.</param>
/// <param name="Via">Name of another host to jump through (e.g. the XE300 is reached through the tunnel), or null.</param>
public sealed record SshSpec(string Host, int Port, string User, IReadOnlyList<string> HostKeys, string? Via);

/// <summary>The hub (hub2): public IP, SSH access, firewall and relay.</summary>
/// <param name="Name">Host name (<c>hub2</c>).</param>
/// <param name="PublicIp">Its public IPv4 address.</param>
/// <param name="Ssh">How to reach it.</param>
/// <param name="Relay">The relay it runs.</param>
/// <param name="Legacy">The runbook's socat relay to migrate away from, if still present.</param>
public sealed record HubSpec(string Name, IPAddress PublicIp, SshSpec Ssh, RelaySpec Relay, LegacyRelaySpec? Legacy);

/// <summary>The relay on the hub: one container a listen port, all forwarding to one backend.</summary>
/// <param name="ComposeDir">Directory of the relay's own compose project (default <c>/opt/difenn-relay</c>).</param>
/// <param name="Image">Container image of difenn-relay.</param>
/// <param name="Listen">Listen ports with their UFW comments.</param>
/// <param name="Backend">Where datagrams go: the server's address and port.</param>
/// <param name="MetricsPortBase">First loopback metrics port; listener i uses base+i (default 9480).</param>
public sealed record RelaySpec(string ComposeDir, string Image, IReadOnlyList<RelayListen> Listen, IPEndPoint Backend, int MetricsPortBase);

/// <summary>One relay port and the comment of its UFW rule.</summary>
/// <param name="Port">UDP port opened on the hub.</param>
/// <param name="Comment">UFW rule comment, e.g. <c>Difenn WireGuard relay for CT2914</c>.</param>
public sealed record RelayListen(int Port, string Comment);

/// <summary>The runbook's socat services in a shared compose project.</summary>
/// <param name="ComposeDir">The shared project directory (<c>/opt/charliehub</c>); other services there are never touched.</param>
/// <param name="Containers">Container names to stop and remove (<c>charliehub_difenn_relay</c>, …).</param>
public sealed record LegacyRelaySpec(string ComposeDir, IReadOnlyList<string> Containers);

/// <summary>The Proxmox host and the container holding the WireGuard server.</summary>
/// <param name="Name">Host name (<c>px3</c>).</param>
/// <param name="Ssh">How to reach it.</param>
/// <param name="ContainerId">The container id (<c>2914</c>), reached with <c>pct exec</c>.</param>
/// <param name="ContainerName">The container's hostname (<c>v4-difenn</c>).</param>
/// <param name="ContainerAddress">The container's LAN address (<c>10.44.1.214</c>).</param>
public sealed record ProxmoxSpec(string Name, SshSpec Ssh, int ContainerId, string ContainerName, IPAddress ContainerAddress);

/// <summary>The WireGuard server interface in the container.</summary>
/// <param name="Interface">Interface name (<c>wg0</c>).</param>
/// <param name="Address">Server address in the VPN with the subnet length (<c>10.200.0.1/24</c>).</param>
/// <param name="ListenPort">UDP listen port (51820).</param>
/// <param name="PublicKey">The server's public key, as peers are configured with it.</param>
/// <param name="PrivateKey">Where its private key comes from.</param>
/// <param name="PreviousPublicKeys">Public keys the server had before its last rotation (default none). The relay's
/// MAC1 gate still lets initiations for them through, so a rotation restarts the relay once, not twice; harmless, since
/// MAC1 filters junk and authenticates nothing (a public key is public). <c>difenn rotate server</c> sets it.</param>
public sealed record ServerSpec(string Interface, IpPrefix Address, int ListenPort, WireGuardPublicKey PublicKey, SecretRef PrivateKey, IReadOnlyList<WireGuardPublicKey> PreviousPublicKeys)
{
    /// <summary>The server without previous keys.</summary>
    public ServerSpec(string Interface, IpPrefix Address, int ListenPort, WireGuardPublicKey PublicKey, SecretRef PrivateKey)
        : this(Interface, Address, ListenPort, PublicKey, PrivateKey, []) { }
}

/// <summary>How a peer connects to the hub.</summary>
/// <param name="Host">DNS name (<c>wg.trevarn.com</c>).</param>
/// <param name="Port">Primary port (51820).</param>
/// <param name="FallbackPort">Port used where the carrier blocks the primary (443), or null.</param>
public sealed record PeerEndpointSpec(string Host, int Port, int? FallbackPort);

/// <summary>An OpenWrt router peer managed through uci.</summary>
/// <param name="Interface">UCI interface name (<c>wg_difenn</c>).</param>
/// <param name="Ssh">How to reach it (through the tunnel).</param>
/// <param name="RollbackSeconds">Seconds after a change before the router restores its previous config if no
/// handshake is recent (default 120).</param>
public sealed record OpenWrtSpec(string Interface, SshSpec Ssh, int RollbackSeconds);

/// <summary>A peer of the server.</summary>
/// <param name="Name">Peer name (<c>xe300</c>): letters, digits, dashes.</param>
/// <param name="Address">Its VPN address (allocated from the subnet when not given).</param>
/// <param name="PublicKey">Its public key.</param>
/// <param name="PrivateKey">Its private key's source, for peers whose config we render (OpenWrt), else null.</param>
/// <param name="PresharedKey">Optional preshared key's source.</param>
/// <param name="Keepalive">PersistentKeepalive seconds (0 = off; mandatory 25 behind LTE/CGNAT).</param>
/// <param name="Uplinks">How it reaches the internet (<c>ethernet</c>, <c>lte</c>).</param>
/// <param name="Endpoint">Where it connects to.</param>
/// <param name="AllowedIPs">What the peer routes into the tunnel (default: the VPN subnet).</param>
/// <param name="OpenWrt">Set when the peer is an OpenWrt router whose config we manage.</param>
public sealed record PeerSpec(
    string Name,
    IPAddress Address,
    WireGuardPublicKey PublicKey,
    SecretRef? PrivateKey,
    SecretRef? PresharedKey,
    int Keepalive,
    IReadOnlyList<string> Uplinks,
    PeerEndpointSpec Endpoint,
    IReadOnlyList<IpPrefix> AllowedIPs,
    OpenWrtSpec? OpenWrt);

/// <summary>The name of a secret, resolved by an <c>ISecretSource</c> (Pulumi config, env, files).</summary>
/// <param name="Name">Secret name, e.g. <c>serverPrivateKey</c> (Pulumi config key <c>difenn-infra:serverPrivateKey</c>).</param>
public sealed record SecretRef(string Name)
{
    /// <summary>The name.</summary>
    public override string ToString() => Name;
}
