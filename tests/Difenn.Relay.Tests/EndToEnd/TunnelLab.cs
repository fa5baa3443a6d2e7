using System.Diagnostics;
using Difenn.Testing.Network;
using Difenn.Testing.Processes;
using Difenn.Testing.WireGuard;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;

namespace Difenn.Relay.Tests.EndToEnd;

/// <summary>
/// The topology in miniature: client (the XE300) ⇄ hub (difenn-relay) ⇄ server (CT2914), three network namespaces
/// joined by veth pairs, real wireguard-go interfaces at both ends. The client reaches the server only through
/// the relay.
/// </summary>
internal sealed class TunnelLab : IAsyncDisposable
{
    public const string HubFront = "10.0.1.2";
    public const string HubBack = "10.0.2.1";
    public const string Server = "10.0.2.2";

    private Process? _relay;

    public NetworkNamespace Client { get; private set; } = null!;
    public NetworkNamespace Hub { get; private set; } = null!;
    public NetworkNamespace ServerNs { get; private set; } = null!;
    public WireGuardGoInterface ClientWg { get; private set; } = null!;
    public WireGuardGoInterface ServerWg { get; private set; } = null!;
    public WireGuardPrivateKey ServerKey { get; } = WireGuardPrivateKey.Generate();
    public WireGuardPrivateKey ClientKey { get; } = WireGuardPrivateKey.Generate();
    public System.Text.StringBuilder RelayLog { get; } = new();

    public static async Task<TunnelLab> CreateAsync(int relayPort)
    {
        var lab = new TunnelLab
        {
            Client = await NetworkNamespace.CreateAsync("cli"),
            Hub = await NetworkNamespace.CreateAsync("hub"),
            ServerNs = await NetworkNamespace.CreateAsync("srv"),
        };
        await VethPair.ConnectAsync(lab.Client, "10.0.1.1/24", lab.Hub, HubFront + "/24");
        await VethPair.ConnectAsync(lab.Hub, HubBack + "/24", lab.ServerNs, Server + "/24");
        lab.ServerWg = await WireGuardGoInterface.StartAsync(lab.ServerNs);
        lab.ClientWg = await WireGuardGoInterface.StartAsync(lab.Client);
        await lab.ServerWg.SetConfAsync(WgQuickWriter.WriteStripped(new WgQuickConfig(
            new InterfaceSection { PrivateKey = lab.ServerKey, ListenPort = 51820 },
            [new PeerSection { PublicKey = lab.ClientKey.PublicKey, AllowedIPs = [IpPrefix.Parse("10.200.0.2/32")] }])));
        await lab.ClientWg.SetConfAsync(WgQuickWriter.WriteStripped(new WgQuickConfig(
            new InterfaceSection { PrivateKey = lab.ClientKey, ListenPort = 40000 },
            [new PeerSection
            {
                PublicKey = lab.ServerKey.PublicKey, AllowedIPs = [IpPrefix.Parse("10.200.0.0/24")],
                Endpoint = new Endpoint(HubFront, relayPort), PersistentKeepalive = 1,
            }])));
        await lab.ServerWg.UpAsync("10.200.0.1/24");
        await lab.ClientWg.UpAsync("10.200.0.2/24");
        return lab;
    }

    /// <summary>Starts difenn-relay in the hub namespace on 51820 and 443, as on hub2 (with <paramref name="stateFile"/>: <c>--state-file</c>).</summary>
    public async Task StartRelayAsync(string? stateFile = null, params string[] extra)
    {
        var (file, prefix) = Relaying.RelayProcess.Command();
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["netns", "exec", Hub.Name, file, .. prefix, "--listen", "51820", "--listen", "443",
                     "--backend", $"{Server}:51820", "--server-public-key", ServerKey.PublicKey.ToBase64(), "--metrics", "127.0.0.1:9480",
                     .. (stateFile is null ? Array.Empty<string>() : ["--state-file", stateFile]), .. extra])
            psi.ArgumentList.Add(a);
        _relay = Process.Start(psi)!;
        _relay.ErrorDataReceived += (_, e) => { lock (RelayLog) RelayLog.AppendLine(e.Data); };
        _relay.BeginErrorReadLine();
        _relay.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            var r = await Hub.RunAsync(file, [.. prefix, "healthcheck", "--metrics", "127.0.0.1:9480"]);
            if (r.ExitCode == 0) return;
            if (_relay.HasExited) throw new InvalidOperationException("relay exited: " + RelayLog);
            await Task.Delay(100);
        }
        throw new TimeoutException("relay did not become healthy: " + RelayLog);
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. <c>HUP</c>) to the running relay.</summary>
    public async Task SignalRelayAsync(string signal) =>
        await Process.Start("kill", ["-" + signal, _relay!.Id.ToString()])!.WaitForExitAsync();

    /// <summary>True while the relay process runs.</summary>
    public bool RelayRunning => _relay is { HasExited: false };

    /// <summary>Stops the relay: SIGKILL (a crash), or with <paramref name="graceful"/> SIGTERM (what <c>docker stop</c> sends).</summary>
    public async Task StopRelayAsync(bool graceful = false)
    {
        if (_relay is null) return;
        if (!_relay.HasExited)
        {
            // `ip netns exec` execs the relay, so the process started is the relay itself.
            if (graceful) await Process.Start("kill", ["-TERM", _relay.Id.ToString()])!.WaitForExitAsync();
            else _relay.Kill();
            await _relay.WaitForExitAsync();
        }
        _relay.Dispose();
        _relay = null;
    }

    /// <summary>Pings the server's tunnel address from the client; true when replies come within the deadline.</summary>
    public async Task<bool> PingAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if ((await Client.RunAsync("ping", ["-c", "1", "-W", "1", "10.200.0.1"])).ExitCode == 0) return true;
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await StopRelayAsync();
        await Client.DisposeAsync();
        await Hub.DisposeAsync();
        await ServerNs.DisposeAsync();
    }
}
