using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Difenn.Operations.Live;
using Difenn.Operations.Remote;
using Difenn.Topology.Desired;
using Difenn.Topology.Model;

namespace Difenn.Operations.Verification;

/// <summary>
/// The runbook's connectivity checks, automated: DNS resolves to the hub; the hub listens on the relay ports and its
/// firewall allows them; the server's latest handshake with each managed peer is recent; ping over the tunnel works
/// within the expected latency; the keepalive is what the stack says; and which uplink and port the router uses.
/// Read-only. Each failed check names the likely cause and the fix.
/// </summary>
/// <param name="shell">Reaches the hosts.</param>
/// <param name="resolve">Resolves the DNS name (default: the system resolver).</param>
public sealed partial class Verifier(IRemoteShell shell, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? SystemDns.Resolve;

    /// <summary>A handshake older than this means the tunnel is down (WireGuard rekeys every 120 s while in use; default 180 s).</summary>
    public TimeSpan HandshakeMaxAge { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Round-trip time above which the tunnel is reported slow (the runbook sees 40–50 ms; default 150 ms).</summary>
    public TimeSpan LatencyWarning { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Runs every check.</summary>
    public async Task<VerifyReport> VerifyAsync(Stack stack, DesiredState state, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var checks = new List<VerifyCheck>();
        progress?.Report($"dns: resolving {stack.Dns.Name}");
        checks.Add(await DnsAsync(stack, ct));

        var hub = state.Hosts.Single(h => h.Role == "hub");
        progress?.Report($"{hub.Name}: reading listeners and firewall");
        checks.AddRange(await HubAsync(hub, ct));

        var server = state.Hosts.Single(h => h.Role == "server");
        progress?.Report($"{server.Name}: reading {server.WireGuard!.Name}");
        var serverChecks = await ServerAsync(stack, server, ct);
        checks.AddRange(serverChecks);

        foreach (var router in state.Hosts.Where(h => h.Role == "openwrt-peer"))
        {
            progress?.Report($"{router.Name}: ping over the tunnel, uplink, port");
            checks.AddRange(await RouterAsync(stack, server, router, serverChecks.FirstOrDefault(c => c.Name == $"{server.Name} handshake with {router.Name}"), ct));
        }
        return new VerifyReport(stack.Name, checks);
    }

    private async Task<VerifyCheck> DnsAsync(Stack stack, CancellationToken ct)
    {
        var name = $"dns {stack.Dns.Name}";
        var want = stack.Dns.Address.ToString();
        try
        {
            var got = (await _resolve(stack.Dns.Name, ct)).Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Select(a => a.ToString()).ToList();
            return got.Contains(want) && got.Count == 1
                ? new VerifyCheck(name, CheckStatus.Pass, $"resolves to {want} ({stack.Hub.Name})")
                : new VerifyCheck(name, CheckStatus.Fail, $"resolves to {(got.Count == 0 ? "no IPv4 address" : string.Join(", ", got))}, not {want}",
                    "the A record was changed, or Cloudflare proxying is on (proxied records resolve to Cloudflare, which does not carry UDP)",
                    $"set {stack.Dns.Name} A {want}, TTL {stack.Dns.Ttl}, DNS only (grey cloud): pulumi up; then wait up to the TTL");
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            return new VerifyCheck(name, CheckStatus.Fail, $"does not resolve ({ex.Message})", "the record is missing or the zone is not delegated to Cloudflare",
                $"create {stack.Dns.Name} A {want} (pulumi up)");
        }
    }

    private async Task<IReadOnlyList<VerifyCheck>> HubAsync(HostState hub, CancellationToken ct)
    {
        var ports = hub.FirewallRules.Select(r => r.Port).ToList();
        LiveHub live;
        try
        {
            live = HubProbe.Parse((await shell.RunAsync(hub.Name, hub.Connection, HubProbe.Script([], ports, []), ct)).EnsureSuccess(hub.Name, "the hub probe").StdOut, ports);
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
        {
            return [new VerifyCheck($"{hub.Name} reachable", CheckStatus.Skipped, ex.Message, "SSH to the hub failed", "check the address, your key and known_hosts")];
        }
        var checks = new List<VerifyCheck>();
        foreach (var rule in hub.FirewallRules)
        {
            var holders = live.PortHolders[rule.Port];
            checks.Add(holders.Count > 0
                ? new VerifyCheck($"{hub.Name} udp/{rule.Port} listening", holders.Contains("difenn-relay") ? CheckStatus.Pass : CheckStatus.Warn, $"held by {string.Join(", ", holders)}",
                    holders.Contains("difenn-relay") ? null : "another program holds the port (the runbook's socat?)", holders.Contains("difenn-relay") ? null : "remove the legacy socat containers (pulumi up runs the migration)")
                : new VerifyCheck($"{hub.Name} udp/{rule.Port} listening", CheckStatus.Fail, "nothing listens", "the relay container is down or failed to start",
                    $"docker compose -p difenn-relay ps / logs on {hub.Name}; pulumi up recreates it"));
            var spec = $"{rule.Port}/{rule.Protocol}";
            var allowed = live.Ufw.Active && live.Ufw.Rules.Any(r => r.Spec == spec && r.Action == "allow");
            checks.Add(allowed
                ? new VerifyCheck($"{hub.Name} firewall {spec}", CheckStatus.Pass, "allowed by ufw")
                : new VerifyCheck($"{hub.Name} firewall {spec}", CheckStatus.Fail, !live.Ufw.Installed ? "ufw is not installed" : !live.Ufw.Active ? "ufw is inactive" : "no ufw allow rule",
                    "the rule was deleted (or ufw reset): WireGuard packets are dropped before the relay", $"ufw allow {spec} comment '{rule.Comment}' (pulumi up adds it)"));
        }
        return checks;
    }

    private async Task<IReadOnlyList<VerifyCheck>> ServerAsync(Stack stack, HostState server, CancellationToken ct)
    {
        var iface = server.WireGuard!.Name;
        LiveInterface live;
        long now;
        try
        {
            var output = (await shell.RunAsync(server.Name, server.Connection, "date +%s\n" + WireGuardProbe.Script(iface), ct)).EnsureSuccess(server.Name, "the server probe").StdOut;
            now = long.Parse(output.Split('\n')[0].Trim(), CultureInfo.InvariantCulture);
            live = WireGuardProbe.Parse(ScriptSections.Parse(output));
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException or FormatException)
        {
            return [new VerifyCheck($"{server.Name} reachable", CheckStatus.Skipped, ex.Message, $"SSH to {stack.Proxmox.Name} or pct exec {stack.Proxmox.ContainerId} failed", "check px3 and the container (pct status)")];
        }
        if (!live.Exists)
            return [new VerifyCheck($"{server.Name} {iface}", CheckStatus.Fail, $"{iface} does not exist", "wg-quick is down or failed to start", $"pct exec {stack.Proxmox.ContainerId} -- wg-quick up {iface}; journalctl -u wg-quick@{iface}")];
        var checks = new List<VerifyCheck>();
        foreach (var peer in stack.Peers)
        {
            var p = live.Dump!.Peers.FirstOrDefault(x => x.PublicKey == peer.PublicKey);
            if (p is null)
            {
                checks.Add(new VerifyCheck($"{server.Name} handshake with {peer.Name}", CheckStatus.Fail, "the server does not know this peer's key", "the server config was changed by hand or the key rotated on one side only", "difenn drift, then pulumi up"));
                continue;
            }
            var age = p.LatestHandshake is { } t ? now - t.ToUnixTimeSeconds() : (long?)null;
            checks.Add(age is { } a && a <= HandshakeMaxAge.TotalSeconds
                ? new VerifyCheck($"{server.Name} handshake with {peer.Name}", CheckStatus.Pass, $"{a}s ago, from {p.Endpoint}")
                : new VerifyCheck($"{server.Name} handshake with {peer.Name}", peer.OpenWrt is null ? CheckStatus.Warn : CheckStatus.Fail, age is null ? "never" : $"{age}s ago",
                    "the peer cannot reach the hub (carrier blocks the port, DNS, relay down), or its keys do not match",
                    $"on {peer.Name}: wg show (endpoint {peer.Endpoint.Host}:{peer.Endpoint.Port}, try the fallback port {peer.Endpoint.FallbackPort?.ToString() ?? "-"}); keepalive must be {peer.Keepalive} behind LTE/CGNAT; difenn drift for key mismatches"));
            var keepalive = p.PersistentKeepalive ?? 0;
            checks.Add(keepalive == peer.Keepalive
                ? new VerifyCheck($"{server.Name} keepalive for {peer.Name}", CheckStatus.Pass, keepalive == 0 ? "off" : $"{keepalive}s")
                : new VerifyCheck($"{server.Name} keepalive for {peer.Name}", CheckStatus.Fail, $"{keepalive}s, the stack says {peer.Keepalive}s", "changed by hand", "pulumi up"));
        }
        return checks;
    }

    private async Task<IReadOnlyList<VerifyCheck>> RouterAsync(Stack stack, HostState server, HostState router, VerifyCheck? handshake, CancellationToken ct)
    {
        var wg = router.WireGuard!;
        var peer = stack.Peers.Single(p => p.Name == router.Name);
        var target = stack.Server.Address.Address.ToString();
        var script = "export LC_ALL=C\n"
            + ScriptSections.Begin("ping") + $"ping -c 3 -W 2 {target} 2>&1 | tail -n 2\n"
            + ScriptSections.Begin("route") + $"ep=$(wg show {Sh.Quote(wg.Name)} endpoints 2>/dev/null | awk '{{print $2}}' | head -n 1); ip route get \"${{ep%:*}}\" 2>/dev/null | head -n 1\n"
            + ScriptSections.Begin("watchdog") + $"cat {OpenWrtWatchdog.StatusPath} 2>/dev/null; echo now=$(date +%s)\n"
            + WireGuardProbe.Script(wg.Name);
        IReadOnlyDictionary<string, string> s;
        // The server's counters for this peer around the probe (which travels the tunnel): what is live, for the diagnosis.
        var before = await TransferAsync(server, peer.PublicKey.ToBase64(), ct);
        try
        {
            var result = await shell.RunAsync(router.Name, router.Connection, script, ct);
            if (result.ExitCode != 0) throw new HostUnreachableException(router.Name, $"{router.Name}: not reachable through the tunnel (exit {result.ExitCode}): {RemoteResult.LastLine(result.StdErr)}");
            s = ScriptSections.Parse(result.StdOut);
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
        {
            // Never point at a check that passed: a recent handshake with no answer now means the path broke since.
            var after = before is null ? null : await TransferAsync(server, peer.PublicKey.ToBase64(), ct);
            if (before is { } b && after is { } a && a.Rx > b.Rx)
                // Bytes came back through the tunnel while the probe ran: the path works, the router's sshd did not answer.
                return [new VerifyCheck($"{router.Name} reachable through the tunnel", CheckStatus.Fail, ex.Message,
                    $"the tunnel carries traffic ({server.Name} received {a.Rx - b.Rx} B from {router.Name} while the probe ran) but SSH on the router did not answer: sshd (dropbear) is off or refuses {server.Name}'s key",
                    $"check dropbear on the router (at its console or LAN): /etc/init.d/dropbear status")];
            var silent = before is { } b2 && after is { } a2 && a2.Tx > b2.Tx
                ? $"; while the probe ran {server.Name} sent {a2.Tx - b2.Tx} B to {router.Name} and received nothing back"
                : "";
            if (handshake?.Status == CheckStatus.Pass)
            {
                var fallback = peer.Endpoint.FallbackPort is { } f
                    ? $"its failover watchdog moves it to port {f} after {peer.Keepalive + OpenWrtWatchdog.DeadMarginSeconds}s without a received byte: verify again in a minute"
                    : "no fallback port is set (endpoint.fallbackPort)";
                return [new VerifyCheck($"{router.Name} reachable through the tunnel", CheckStatus.Fail, ex.Message,
                    $"the last handshake is recent ({handshake.Detail}) but the router does not answer now{silent}: the path router → {stack.Hub.Name} broke since; a carrier blocking UDP {peer.Endpoint.Port} is the usual cause",
                    $"{fallback}; by hand on the router: wg set {wg.Name} peer {stack.Server.PublicKey.ToBase64()} endpoint {peer.Endpoint.Host}:{peer.Endpoint.FallbackPort ?? peer.Endpoint.Port}")];
            }
            return [new VerifyCheck($"{router.Name} reachable through the tunnel", CheckStatus.Fail, ex.Message,
                $"the tunnel is down (see the handshake check){silent}", $"fix the handshake first; the router is reachable only through the tunnel, from {stack.Proxmox.ContainerName}")];
        }
        var checks = new List<VerifyCheck>();
        var ping = s.GetValueOrDefault("ping", "");
        var loss = LossRegex().Match(ping);
        var rtt = RttRegex().Match(ping);
        if (loss.Success && loss.Groups[1].Value != "100" && rtt.Success)
        {
            var avg = double.Parse(rtt.Groups[2].Value, CultureInfo.InvariantCulture);
            checks.Add(avg <= LatencyWarning.TotalMilliseconds
                ? new VerifyCheck($"{router.Name} ping {target} over the tunnel", loss.Groups[1].Value == "0" ? CheckStatus.Pass : CheckStatus.Warn, $"{avg:0.0} ms average, {loss.Groups[1].Value}% loss")
                : new VerifyCheck($"{router.Name} ping {target} over the tunnel", CheckStatus.Warn, $"{avg:0.0} ms average (the runbook sees 40–50 ms), {loss.Groups[1].Value}% loss",
                    "a congested or roaming LTE link", "check the router's signal; if on LTE, compare with ethernet"));
        }
        else
            checks.Add(new VerifyCheck($"{router.Name} ping {target} over the tunnel", CheckStatus.Fail, RemoteResult.LastLine(ping),
                "the tunnel carries no traffic although ssh reached the router (routing or AllowedIPs)", "difenn drift: compare AllowedIPs on both ends"));

        var live = WireGuardProbe.Parse(s);
        var serverPeer = live.Dump?.Peers.FirstOrDefault();
        var keepalive = serverPeer?.PersistentKeepalive ?? 0;
        checks.Add(keepalive == peer.Keepalive
            ? new VerifyCheck($"{router.Name} keepalive", CheckStatus.Pass, $"{keepalive}s")
            : new VerifyCheck($"{router.Name} keepalive", CheckStatus.Fail, keepalive == 0 ? "off" : $"{keepalive}s",
                "without keepalive, carrier NAT forgets the mapping and the server cannot reach the router", $"uci set network.{wg.Name}_server.persistent_keepalive={peer.Keepalive} (pulumi up)"));

        var port = serverPeer?.Endpoint?.Port;
        var route = s.GetValueOrDefault("route", "");
        var dev = DevRegex().Match(route) is { Success: true } m ? m.Groups[1].Value : null;
        var uplink = dev is null ? "unknown" : dev.StartsWith("wwan", StringComparison.Ordinal) || dev.StartsWith("rmnet", StringComparison.Ordinal) || dev.StartsWith("usb", StringComparison.Ordinal) ? "lte" : "ethernet";
        var portName = port == peer.Endpoint.Port ? "primary" : port == peer.Endpoint.FallbackPort ? "fallback (the carrier may block the primary)" : "unexpected";
        checks.Add(new VerifyCheck($"{router.Name} uplink and port", port is null ? CheckStatus.Fail : port == peer.Endpoint.Port || port == peer.Endpoint.FallbackPort ? CheckStatus.Pass : CheckStatus.Warn,
            port is null ? "no endpoint" : $"{uplink} ({dev}), port {port} ({portName})" + WatchdogWhy(s.GetValueOrDefault("watchdog", ""), port.Value),
            port is null ? "the router has no endpoint for the server" : null, port is null ? $"set endpoint_host {peer.Endpoint.Host}, endpoint_port {peer.Endpoint.Port} (pulumi up)" : null));
        return checks;
    }

    /// <summary>The server's received and sent bytes for one peer (<c>wg show IFACE transfer</c>); null when they cannot be read.</summary>
    private async Task<(long Rx, long Tx)?> TransferAsync(HostState server, string peerKey, CancellationToken ct)
    {
        try
        {
            var r = await shell.RunAsync(server.Name, server.Connection, $"wg show {Sh.Quote(server.WireGuard!.Name)} transfer\n", ct);
            if (r.ExitCode != 0) return null;
            foreach (var line in r.StdOut.Split('\n'))
            {
                var f = line.Trim().Split('\t');
                if (f.Length == 3 && f[0] == peerKey && long.TryParse(f[1], CultureInfo.InvariantCulture, out var rx) && long.TryParse(f[2], CultureInfo.InvariantCulture, out var tx))
                    return (rx, tx);
            }
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
        {
        }
        return null;
    }

    /// <summary>"; failover watchdog, 42s ago: &lt;reason&gt;" when the watchdog's last decision put the router on <paramref name="port"/>.</summary>
    internal static string WatchdogWhy(string status, int port)
    {
        var kv = status.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1].Trim());
        if (!kv.TryGetValue("port", out var p) || p != port.ToString(CultureInfo.InvariantCulture) || !kv.TryGetValue("reason", out var reason)) return "";
        var ago = kv.TryGetValue("since", out var since) && kv.TryGetValue("now", out var now) && long.TryParse(since, out var a) && long.TryParse(now, out var b) ? $", {b - a}s ago" : "";
        return $"; failover watchdog{ago}: {reason}";
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)% packet loss")]
    private static partial Regex LossRegex();

    [GeneratedRegex(@"= ([\d.]+)/([\d.]+)/([\d.]+)")]
    private static partial Regex RttRegex();

    [GeneratedRegex(@"\bdev (\S+)")]
    private static partial Regex DevRegex();
}
