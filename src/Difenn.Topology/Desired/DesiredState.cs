using Difenn.Topology.Secrets;

namespace Difenn.Topology.Desired;

/// <summary>
/// Everything the topology wants to exist, host by host, computed purely from a <c>Stack</c>: the one input of
/// the Pulumi program, of <c>difenn plan</c> and of drift detection. Holds no secret value (see <see cref="SecretText"/>).
/// </summary>
/// <param name="Stack">Stack name.</param>
/// <param name="Dns">The DNS record.</param>
/// <param name="Hosts">Hosts in deploy order: hub, server, then peers.</param>
public sealed record DesiredState(string Stack, DnsRecordSpec Dns, IReadOnlyList<HostState> Hosts)
{
    /// <summary>The host named <paramref name="name"/>.</summary>
    public HostState Host(string name) => Hosts.Single(h => h.Name == name);

    /// <summary>Every secret name any file or command needs.</summary>
    public IReadOnlyList<string> SecretNames => Hosts
        .SelectMany(h => h.Files.Select(f => f.Content).Concat(h.Commands.SelectMany(c => c.Delete is null ? [c.Create] : new[] { c.Create, c.Delete })))
        .SelectMany(t => t.SecretNames).Distinct().ToList();
}

/// <summary>A DNS record (Cloudflare).</summary>
/// <param name="Zone">Zone name.</param>
/// <param name="Name">Full record name.</param>
/// <param name="Type">Record type (A).</param>
/// <param name="Content">Record content (the IPv4 address).</param>
/// <param name="Ttl">TTL seconds.</param>
/// <param name="Proxied">Cloudflare proxying: always false (UDP).</param>
public sealed record DnsRecordSpec(string Zone, string Name, string Type, string Content, int Ttl, bool Proxied);

/// <summary>One managed host and what must be true on it.</summary>
/// <param name="Name">Host name (<c>hub2</c>, <c>ct2914</c>, <c>xe300</c>).</param>
/// <param name="Role">What it is: <c>hub</c>, <c>server</c>, <c>openwrt-peer</c>.</param>
/// <param name="Connection">How commands reach it.</param>
/// <param name="Files">Files with exact content, mode and owner.</param>
/// <param name="Commands">Idempotent scripts, in order, that bring the host to the desired state.</param>
/// <param name="FirewallRules">Firewall rules this project owns on the host (others are never touched).</param>
/// <param name="Containers">Containers this project runs on the host.</param>
/// <param name="WireGuard">The WireGuard interface on the host, in the terms <c>wg show dump</c> reports, or null.</param>
public sealed record HostState(
    string Name,
    string Role,
    HostConnection Connection,
    IReadOnlyList<DesiredFile> Files,
    IReadOnlyList<DesiredCommand> Commands,
    IReadOnlyList<FirewallRule> FirewallRules,
    IReadOnlyList<ContainerSpec> Containers,
    WireGuardInterfaceSpec? WireGuard = null);

/// <summary>A WireGuard interface as it should look live (what drift detection compares with <c>wg show dump</c>).</summary>
/// <param name="Name">Interface name (<c>wg0</c>, <c>wg_difenn</c>).</param>
/// <param name="Address">Its VPN address with subnet length.</param>
/// <param name="ListenPort">Listen port, or null for a random one (clients).</param>
/// <param name="PublicKey">The public key its private key must derive.</param>
/// <param name="Peers">Its peers.</param>
public sealed record WireGuardInterfaceSpec(string Name, string Address, int? ListenPort, string PublicKey, IReadOnlyList<WireGuardPeerSpec> Peers);

/// <summary>A peer as the interface should hold it.</summary>
/// <param name="Name">Peer name (from the stack).</param>
/// <param name="PublicKey">Its public key.</param>
/// <param name="AllowedIPs">Allowed IPs (canonical CIDR text).</param>
/// <param name="Keepalive">PersistentKeepalive seconds, 0 for off.</param>
/// <param name="Endpoint">Endpoint <c>host:port</c>, or null when the peer connects to us.</param>
/// <param name="HasPresharedKey">Whether a preshared key is configured.</param>
public sealed record WireGuardPeerSpec(string Name, string PublicKey, IReadOnlyList<string> AllowedIPs, int Keepalive, string? Endpoint, bool HasPresharedKey);

/// <summary>
/// How to run a command on a host: SSH to <see cref="Host"/>, then, when <see cref="ExecPrefix"/> is set, run the
/// script under that prefix (CT2914: <c>pct exec 2914 --</c> on px3; the XE300: ssh from inside CT2914, the only
/// place the tunnel reaches it from). Scripts are always sent on stdin to <c>sh -s</c>, never on a command line.
/// </summary>
/// <param name="Host">SSH host.</param>
/// <param name="Port">SSH port.</param>
/// <param name="User">SSH user.</param>
/// <param name="HostKeys">Pinned host keys (empty: known_hosts).</param>
/// <param name="ExecPrefix">Command prefix on that host, or null.</param>
public sealed record HostConnection(string Host, int Port, string User, IReadOnlyList<string> HostKeys, string? ExecPrefix)
{
    /// <summary>The remote command that runs a script read from stdin.</summary>
    public string ShellCommand => ExecPrefix is null ? "sh -s" : $"{ExecPrefix} sh -s";

    /// <summary><c>user@host:port</c> plus the prefix, for display.</summary>
    public override string ToString() => $"{User}@{Host}:{Port}" + (ExecPrefix is null ? "" : $" → {ExecPrefix}");
}

/// <summary>A file that must exist with exactly this content.</summary>
/// <param name="Path">Absolute path on the host.</param>
/// <param name="Mode">Octal mode, e.g. <c>0600</c>.</param>
/// <param name="Owner"><c>user:group</c>.</param>
/// <param name="Content">Content (secret-aware).</param>
public sealed record DesiredFile(string Path, string Mode, string Owner, SecretText Content);

/// <summary>
/// An idempotent script: running <see cref="Create"/> twice changes nothing the second time. The Pulumi program runs
/// it as create and update (triggered by <see cref="Trigger"/>), and <see cref="Delete"/> on destroy.
/// </summary>
/// <param name="Name">Stable id, e.g. <c>hub2-firewall</c>.</param>
/// <param name="Description">What it does, for people.</param>
/// <param name="Create">The script that makes it so (also used for updates).</param>
/// <param name="Delete">The script that undoes it, or null when nothing must be undone.</param>
/// <param name="DependsOn">Names of commands (any host) that must run first.</param>
public sealed record DesiredCommand(string Name, string Description, SecretText Create, SecretText? Delete, IReadOnlyList<string> DependsOn)
{
    /// <summary>Content hash of the scripts: re-run only when it (or a secret it uses) changes.</summary>
    public string Trigger => Create.TemplateHash;
}

/// <summary>A firewall rule (UFW) the project owns.</summary>
/// <param name="Port">Port.</param>
/// <param name="Protocol"><c>udp</c>.</param>
/// <param name="Comment">The rule's comment, which also marks it as ours.</param>
public sealed record FirewallRule(int Port, string Protocol, string Comment);

/// <summary>A relay container.</summary>
/// <param name="Name">Container name.</param>
/// <param name="Service">Compose service name.</param>
/// <param name="Image">Image reference.</param>
/// <param name="Command">Arguments to the image's entrypoint.</param>
/// <param name="Restart">Restart policy (<c>unless-stopped</c>).</param>
/// <param name="NetworkMode">Network mode (<c>host</c>).</param>
/// <param name="ListenPort">The UDP port it serves.</param>
/// <param name="MetricsPort">Its loopback metrics/health port.</param>
public sealed record ContainerSpec(string Name, string Service, string Image, IReadOnlyList<string> Command, string Restart, string NetworkMode, int ListenPort, int MetricsPort);
