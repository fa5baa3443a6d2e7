using System.Net;
using Difenn.Operations.Live;
using Difenn.Operations.Remote;
using Difenn.Topology.Desired;
using Difenn.Topology.Model;

namespace Difenn.Operations.Drift;

/// <summary>
/// Reads every host of a stack over SSH (one probe script each, hosts in parallel) and compares it with the desired
/// state. A host that cannot be reached yields one <see cref="DriftVerdict.Unknown"/> item saying why; the others
/// are still checked.
/// </summary>
/// <param name="shell">Runs the probe scripts.</param>
/// <param name="resolve">Resolves the DNS name (default: the system resolver).</param>
/// <param name="cloudflare">Reads the record from Cloudflare's API, or null to skip that check.</param>
public sealed class DriftDetector(IRemoteShell shell, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, ICloudflareDnsReader? cloudflare = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? SystemDns.Resolve;

    /// <summary>Checks every host and the DNS record; <paramref name="progress"/> hears each host as it starts and ends.</summary>
    public async Task<DriftReport> CheckAsync(Stack stack, DesiredState state, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var tasks = state.Hosts.Select(h => CheckHostAsync(stack, h, progress, ct)).ToList();
        var dns = CheckDnsAsync(state.Dns, ct);
        await Task.WhenAll([.. tasks, dns]);
        return new DriftReport(state.Stack, [.. tasks.SelectMany(t => t.Result), .. dns.Result]);
    }

    private async Task<IReadOnlyList<DriftItem>> CheckHostAsync(Stack stack, HostState host, IProgress<string>? progress, CancellationToken ct)
    {
        progress?.Report($"{host.Name}: reading over SSH ({host.Connection})");
        try
        {
            var items = host.Role switch
            {
                "hub" => await CheckHubAsync(stack, host, ct),
                "server" => ServerDrift.Compare(host, ServerProbe.Parse(await RunAsync(host, ServerProbe.Script(host.WireGuard!.Name, host.Files[0].Path), ct), host.Files[0].Path)),
                "openwrt-peer" => OpenWrtDrift.Compare(host, OpenWrtProbe.Parse(await RunAsync(host, OpenWrtProbe.Script(host.WireGuard!.Name), ct))),
                _ => throw new InvalidOperationException($"unknown role {host.Role}"),
            };
            progress?.Report($"{host.Name}: {items.Count(i => i.Verdict != DriftVerdict.InSync)} of {items.Count} item(s) differ");
            return items;
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException or FormatException or System.Text.Json.JsonException)
        {
            progress?.Report($"{host.Name}: could not check: {ex.Message}");
            return [new DriftItem(host.Name, "reachable", "yes", ex.Message, DriftVerdict.Unknown)];
        }
    }

    private async Task<IReadOnlyList<DriftItem>> CheckHubAsync(Stack stack, HostState host, CancellationToken ct)
    {
        var legacy = stack.Hub.Legacy?.Containers ?? [];
        var ports = host.FirewallRules.Select(r => r.Port).ToList();
        var output = await RunAsync(host, HubProbe.Script([.. host.Containers.Select(c => c.Name), .. legacy], ports, [.. host.Files.Select(f => f.Path)]), ct);
        var live = HubProbe.Parse(output, ports);
        // `pulumi up` deploys the relay image under a content tag (RelayImageTag) only the binary determines: when the
        // relay containers all run one content tag of the stack's image repository, that tag is the desired image
        // (and the compose file naming it the desired file). Which binary it holds is not checked here.
        var images = host.Containers.Select(c => live.Containers.TryGetValue(c.Name, out var l) ? l.Image : null).Distinct().ToList();
        if (images is [string tag] && RelayImageTag.IsContentTagOf(tag, stack.Hub.Relay.Image))
            host = DesiredStateBuilder.Build(RelayImageTag.WithImage(stack, tag)).Host(host.Name);
        return HubDrift.Compare(host, live, legacy);
    }

    private Task<string> RunAsync(HostState host, string script, CancellationToken ct) => ProbeRunner.RunAsync(shell, host, script, ct);

    private async Task<IReadOnlyList<DriftItem>> CheckDnsAsync(DnsRecordSpec dns, CancellationToken ct)
    {
        var d = new DriftItems("dns");
        try
        {
            var addresses = await _resolve(dns.Name, ct);
            var v4 = addresses.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Select(a => a.ToString()).Order().ToList();
            d.Compare($"{dns.Name} resolves to", dns.Content, v4.Count == 0 ? "(no A record)" : string.Join(", ", v4));
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            d.Add($"{dns.Name} resolves to", dns.Content, $"does not resolve: {ex.Message}", DriftVerdict.Missing);
        }
        if (cloudflare is not null)
        {
            try
            {
                var record = await cloudflare.ReadAsync(dns.Zone, dns.Name, ct);
                if (d.Present($"cloudflare {dns.Name} A", record is not null, dns.Content, record?.Content ?? ""))
                {
                    d.Compare($"cloudflare {dns.Name} content", dns.Content, record!.Content);
                    d.Compare($"cloudflare {dns.Name} ttl", dns.Ttl.ToString(), record.Ttl.ToString());
                    d.Compare($"cloudflare {dns.Name} proxied", "false (DNS only)", record.Proxied ? "true (proxied: breaks UDP)" : "false (DNS only)");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or CloudflareApiException or TaskCanceledException)
            {
                d.Add($"cloudflare {dns.Name}", "readable", ex.Message, DriftVerdict.Unknown);
            }
        }
        return d.Items;
    }
}
