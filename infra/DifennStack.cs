using Difenn.Infra.Components;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;
using Difenn.Operations.Remote;
using Difenn.Topology.Secrets;
using Pulumi;
using Config = Pulumi.Config;
using GetZone = Pulumi.Cloudflare.GetZone;
using GetZoneInvokeArgs = Pulumi.Cloudflare.GetZoneInvokeArgs;
using Pulumi.Cloudflare.Inputs;

namespace Difenn.Infra;

/// <summary>
/// The whole program, thin on purpose: load <c>stacks/&lt;stack&gt;.yaml</c>, build the desired state with
/// <c>Difenn.Topology</c>, and declare one component per host from it. No configuration is computed here.
/// </summary>
public static class DifennStack
{
    /// <summary>
    /// Declares every resource. Config (namespace <c>difenn-infra</c>): <c>stack</c> (default: the Pulumi stack
    /// name), <c>stackFile</c> (default <c>../stacks/&lt;stack&gt;.yaml</c> from infra/), <c>cloudflareZoneId</c> (default:
    /// looked up by the zone's name with the Cloudflare provider), <c>knownHosts</c> (default <c>~/.ssh/known_hosts</c>),
    /// <c>sshConfig</c> (default <c>~/.ssh/config</c>), <c>relayBinary</c> (default: the relay published from this commit,
    /// see <see cref="RelayImage"/>), secrets <c>sshPrivateKey</c> and every key the stack names
    /// (e.g. <c>serverPrivateKey</c>, <c>xe300PrivateKey</c>). Every host's connection is resolved (alias, pinned host
    /// key) before any resource is declared, so a missing host key stops the program with nothing declared.
    /// </summary>
    public static IDictionary<string, object?> Declare(Config config)
    {
        var stackName = config.Get("stack") ?? Deployment.Instance.StackName;
        var file = config.Get("stackFile") ?? Path.Combine("..", "stacks", stackName + ".yaml");
        var loaded = StackLoader.Load(file);
        foreach (var d in loaded.Diagnostics.Where(d => d.Severity == Difenn.WireGuard.Validation.DiagnosticSeverity.Warning))
            Log.Warn(d.ToString());
        if (loaded.Stack is null)
            throw new RunException($"{file} is invalid:\n" + string.Join("\n", loaded.Diagnostics));

        // Connections first: a missing host key fails in a second, before the relay is published.
        var connections = ResolveConnections(config, DesiredStateBuilder.Build(loaded.Stack));
        // The relay image: this commit's binary, tagged by its content (the one change the program makes to the model).
        var relay = RelayImage.Locate(config.Get("relayBinary"));
        var relayTag = relay.Tag(RelayImage.Repository(loaded.Stack.Hub.Relay.Image));
        var stack = RelayImage.WithImage(loaded.Stack, relayTag);
        var state = DesiredStateBuilder.Build(stack);
        var secrets = new SecretValues(state.SecretNames.ToDictionary(n => n, config.RequireSecret), s => KeyPairCheck.Mismatches(loaded.Stack, s));
        var sshKey = config.RequireSecret("sshPrivateKey");
        var commands = new CommandRegistry();

        var dns = new DnsEndpoint("dns", state.Dns, ZoneId(config, state.Dns));
        var components = new List<ComponentResource> { dns };
        foreach (var host in state.Hosts)
        {
            var args = new HostComponentArgs(host, connections[host.Name], sshKey, secrets, commands,
                host.Role == "hub" ? (relay, relayTag, stack.Hub.Relay.ComposeDir) : null);
            components.Add(host.Role switch
            {
                "hub" => new HubRelay(host.Name, args),
                "server" => new WireGuardServer(host.Name, args),
                "openwrt-peer" => new OpenWrtPeer(host.Name, args),
                _ => throw new RunException($"unknown host role '{host.Role}'"),
            });
        }

        return new Dictionary<string, object?>
        {
            ["endpoint"] = dns.Hostname,
            ["hosts"] = state.Hosts.Select(h => h.Name).ToList(),
            ["commands"] = commands.Names,
            ["relayImage"] = relayTag,
        };
    }

    /// <summary>
    /// The zone id: config <c>cloudflareZoneId</c> when set, else the Cloudflare provider's zone lookup by name
    /// (<c>cloudflare:index/getZone:getZone</c> filtered on <c>dns.zone</c>), so no id must be copied by hand.
    /// </summary>
    private static Input<string> ZoneId(Config config, DnsRecordSpec dns) =>
        config.Get("cloudflareZoneId") is { Length: > 0 } id
            ? id
            : GetZone.Invoke(new GetZoneInvokeArgs { Filter = new GetZoneFilterInputArgs { Name = dns.Zone, Match = "all" } })
                .Apply(z => string.IsNullOrEmpty(z.Id) ? throw new RunException($"Cloudflare has no zone named '{dns.Zone}' (dns.zone) for this API token") : z.Id);

    /// <summary>Every host's provider connection, resolved up front; the first missing key stops the program.</summary>
    private static Dictionary<string, ProviderConnection> ResolveConnections(Config config, DesiredState state)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var resolver = new ProviderConnectionResolver(
            SshConfigFile.Load(config.Get("sshConfig") ?? Path.Combine(home, ".ssh", "config")),
            KnownHosts.Load(config.Get("knownHosts") ?? Path.Combine(home, ".ssh", "known_hosts")));
        try
        {
            return state.Hosts.ToDictionary(h => h.Name, h => resolver.Resolve(h.Name, h.Connection, h.Role == "hub" ? "hub.ssh.hostKeys" : "proxmox.ssh.hostKeys"));
        }
        catch (HostKeyMissingException e)
        {
            throw new RunException(e.Message);
        }
    }
}
