using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Observability;
using Difenn.Testing.Network;

namespace Difenn.Relay.Tests.Relaying;

/// <summary>
/// A real difenn-relay process on loopback. Uses the Native AOT binary when DIFENN_RELAY_BINARY points to it
/// (as .ci/test does), else the build output next to the tests.
/// </summary>
internal sealed class RelayProcess : IAsyncDisposable
{
    private RelayProcess(Process process, IPEndPoint listen, IPEndPoint metrics)
    {
        Process = process;
        Listen = listen;
        Metrics = metrics;
    }

    public Process Process { get; }

    public IPEndPoint Listen { get; }

    public IPEndPoint Metrics { get; }

    public System.Text.StringBuilder StdErr { get; } = new();

    /// <summary>The command that runs the relay: the AOT binary or `dotnet difenn-relay.dll`.</summary>
    public static (string File, string[] Prefix) Command()
    {
        var binary = Environment.GetEnvironmentVariable("DIFENN_RELAY_BINARY");
        if (!string.IsNullOrEmpty(binary)) return (binary, []);
        return ("dotnet", [Path.Combine(AppContext.BaseDirectory, "difenn-relay.dll")]);
    }

    public static async Task<RelayProcess> StartAsync(string[] args)
    {
        var listen = new IPEndPoint(IPAddress.Loopback, FreePorts.Udp());
        var metrics = new IPEndPoint(IPAddress.Loopback, FreePorts.Tcp());
        var (file, prefix) = Command();
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in prefix.Concat(["--listen", listen.ToString(), "--metrics", metrics.ToString()]).Concat(args)) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var relay = new RelayProcess(p, listen, metrics);
        p.ErrorDataReceived += (_, e) => { lock (relay.StdErr) relay.StdErr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            if (p.HasExited) throw new InvalidOperationException($"difenn-relay exited {p.ExitCode}: {relay.StdErr}");
            try
            {
                if ((await MetricsServer.GetAsync(metrics, "/healthz", TimeSpan.FromSeconds(1))).Status == 200) return relay;
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("difenn-relay did not become healthy: " + relay.StdErr);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
    }
}
