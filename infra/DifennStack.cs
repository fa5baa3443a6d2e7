using Difenn.Infra.Components;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;
using Difenn.Topology.Secrets;
using Pulumi;

namespace Difenn.Infra;

/// <summary>
/// The whole program, thin on purpose: load <c>stacks/&lt;stack&gt;.yaml</c>, build the desired state with
/// <c>Difenn.Topology</c>, and declare one component per host from it. No configuration is computed here.
/// </summary>
public static class DifennStack
{
    /// <summary>
    /// Declares every resource. Config (namespace <c>difenn-infra</c>): <c>stack</c> (default: the Pulumi stack
    /// name), <c>stackFile</c> (default <c>../stacks/&lt;stack&gt;.yaml</c> from infra/), <c>cloudflareZoneId</c>,
    /// secrets <c>sshPrivateKey</c> and every key the stack names (e.g. <c>serverPrivateKey</c>, <c>xe300PrivateKey</c>).
    /// </summary>
    public static IDictionary<string, object?> Declare(Config config)
    {
        var stackName = config.Get("stack") ?? Deployment.Instance.StackName;
        var file = config.Get("stackFile") ?? Path.Combine("..", "stacks", stackName + ".yaml");
        var loaded = StackLoader.Load(file);
        foreach (var d in loaded.Diagnostics.Where(d => d.Severity == Difenn.WireGuard.Validation.DiagnosticSeverity.Warning))
            Log.Warn(d.ToString());
        if (loaded.Stack is null)
            throw new InvalidOperationException($"{file} is invalid:\n" + string.Join("\n", loaded.Diagnostics));

        var state = DesiredStateBuilder.Build(loaded.Stack);
        var secrets = new SecretValues(state.SecretNames.ToDictionary(n => n, config.RequireSecret), s => KeyPairCheck.Mismatches(loaded.Stack, s));
        var sshKey = config.RequireSecret("sshPrivateKey");
        var commands = new CommandRegistry();

        var dns = new DnsEndpoint("dns", state.Dns, config.Require("cloudflareZoneId"));
        var components = new List<ComponentResource> { dns };
        foreach (var host in state.Hosts)
        {
            var args = new HostComponentArgs(host, sshKey, secrets, commands);
            components.Add(host.Role switch
            {
                "hub" => new HubRelay(host.Name, args),
                "server" => new WireGuardServer(host.Name, args),
                "openwrt-peer" => new OpenWrtPeer(host.Name, args),
                _ => throw new InvalidOperationException($"unknown host role '{host.Role}'"),
            });
        }

        return new Dictionary<string, object?>
        {
            ["endpoint"] = dns.Hostname,
            ["hosts"] = state.Hosts.Select(h => h.Name).ToList(),
            ["commands"] = commands.Names,
        };
    }
}
