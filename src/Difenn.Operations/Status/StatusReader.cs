using System.Net;
using Difenn.Operations.Live;
using Difenn.Operations.Remote;
using Difenn.Topology.Desired;
using Difenn.Topology.Model;

namespace Difenn.Operations.Status;

/// <summary>
/// Reads the topology's live state for <c>difenn status</c>: the server's <c>wg show</c> (no key leaves the host: the
/// same probe as drift), the relay's metrics and sockets on the hub, and the DNS answer, all in parallel. Read-only:
/// nothing is changed anywhere. A host that cannot be reached is reported as such; the rest is still shown.
/// </summary>
/// <param name="shell">Runs the probe scripts over SSH.</param>
/// <param name="resolve">Resolves the DNS name (default: the system resolver).</param>
/// <param name="clock">The clock handshake ages are measured against (default: the system's).</param>
public sealed class StatusReader(IRemoteShell shell, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, TimeProvider? clock = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? SystemDns.Resolve;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Reads every host; <paramref name="progress"/> hears each host as it starts and ends.</summary>
    public async Task<StatusReport> ReadAsync(Stack stack, DesiredState state, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var server = state.Hosts.Single(h => h.Role == "server");
        var hub = state.Hosts.Single(h => h.Role == "hub");
        var listeners = hub.Containers.Select(c => (c.ListenPort, c.MetricsPort)).ToList();
        var serverTask = ReadHostAsync(server, WireGuardProbe.Script(server.WireGuard!.Name), progress, ct);
        var hubTask = ReadHostAsync(hub, RelayStatusProbe.Script(listeners), progress, ct);
        var dnsTask = ReadDnsAsync(state.Dns, ct);
        await Task.WhenAll(serverTask, hubTask, dnsTask);
        var now = _clock.GetUtcNow();

        var (serverHost, serverOut) = serverTask.Result;
        var (hubHost, hubOut) = hubTask.Result;
        var live = serverOut is null ? null : WireGuardProbe.Parse(ScriptSections.Parse(serverOut));
        var relay = hubOut is null ? null : RelayStatusProbe.Parse(hubOut, listeners.Select(l => l.ListenPort), stack.Hub.Relay.Backend.ToString());

        var primary = stack.Peers.Select(p => p.Endpoint.Port).Concat(listeners.Select(l => l.ListenPort)).First();
        string Role(int port) => port == primary ? "primary" : "fallback";
        var relayStatus = listeners.Select(l =>
        {
            var text = relay?.Metrics.GetValueOrDefault(l.ListenPort);
            if (text is null) return new RelayListenerStatus(l.ListenPort, Role(l.ListenPort), false, null, new Dictionary<string, long>(), new Dictionary<string, long>());
            var active = RelayStatusProbe.Samples(text, "difenn_relay_sessions_active");
            return new RelayListenerStatus(l.ListenPort, Role(l.ListenPort), true, active.TryGetValue("", out var a) ? a : null,
                RelayStatusProbe.Samples(text, "difenn_relay_dropped_total", "reason").Where(d => d.Value > 0).ToDictionary(),
                RelayStatusProbe.Samples(text, "difenn_relay_backend_errors_total", "kind").Where(d => d.Value > 0).ToDictionary());
        }).ToList();

        var dump = live?.Dump?.Peers ?? [];
        var peers = stack.Peers.Select(p =>
        {
            var key = p.PublicKey.ToBase64();
            var d = dump.FirstOrDefault(x => x.PublicKey.ToBase64() == key);
            if (d is null) return new PeerStatus(p.Name, p.Address.ToString(), key, false, null, null, null, null, null, 0, 0, null);
            int? via = d.Endpoint is { } ep && relay is not null && relay.UpstreamPorts.TryGetValue(ep.Port, out var lp) ? lp : null;
            return new PeerStatus(p.Name, p.Address.ToString(), key, true, d.LatestHandshake,
                d.LatestHandshake is { } h ? (long)Math.Max(0, (now - h).TotalSeconds) : null,
                d.Endpoint?.ToString(), via, via is { } v ? Role(v) : null, d.ReceivedBytes, d.SentBytes, d.PersistentKeepalive);
        }).ToList();
        var declared = stack.Peers.Select(p => p.PublicKey.ToBase64()).ToHashSet();
        var unknown = dump.Select(d => d.PublicKey.ToBase64()).Where(k => !declared.Contains(k)).ToList();
        return new StatusReport(stack.Name, now, [serverHost, hubHost], dnsTask.Result, relayStatus, peers, unknown);
    }

    private async Task<(HostStatus Host, string? Output)> ReadHostAsync(HostState host, string script, IProgress<string>? progress, CancellationToken ct)
    {
        progress?.Report($"{host.Name}: reading over SSH ({host.Connection})");
        try
        {
            var output = await ProbeRunner.RunAsync(shell, host, script, ct);
            progress?.Report($"{host.Name}: read");
            return (new HostStatus(host.Name, host.Role, true, null), output);
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
        {
            progress?.Report($"{host.Name}: unreachable: {ex.Message}");
            return (new HostStatus(host.Name, host.Role, false, ex.Message), null);
        }
    }

    private async Task<DnsStatus> ReadDnsAsync(DnsRecordSpec dns, CancellationToken ct)
    {
        try
        {
            var addresses = await _resolve(dns.Name, ct);
            return new DnsStatus(dns.Name, dns.Content, addresses.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Select(a => a.ToString()).Order().ToList(), null);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            return new DnsStatus(dns.Name, dns.Content, [], ex.Message);
        }
    }
}
