using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Difenn.Relay.Configuration;
using Difenn.Relay.Observability;
using Difenn.Relay.Relaying;
using Microsoft.Extensions.Logging;

namespace Difenn.Relay;

/// <summary>Entry point of <c>difenn-relay</c>.</summary>
public static class Program
{
    /// <summary>Runs the relay (or its <c>healthcheck</c>); returns 0 after a clean stop, 1 on failure, 2 on usage errors.</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "healthcheck") return await HealthCheck(args[1..]);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.Out.WriteLine(RelayArguments.Help);
            return 0;
        }
        RelayOptions options;
        try
        {
            options = RelayArguments.Parse(args, Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"difenn-relay: {ex.Message}\nRun 'difenn-relay --help' for usage.");
            return 2;
        }

        var logger = new StderrLogger(LogLevel.Information);
        await using var engine = new RelayEngine(options, TimeProvider.System, logger);
        try
        {
            await engine.StartAsync();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            Console.Error.WriteLine($"difenn-relay: cannot listen: address already in use ({string.Join(", ", options.Listen)}); is socat or another relay still running?");
            return 1;
        }
        catch (SocketException ex)
        {
            Console.Error.WriteLine($"difenn-relay: cannot start: {ex.Message}");
            return 1;
        }

        MetricsServer? metrics = null;
        if (options.Metrics is { } mep)
        {
            metrics = new MetricsServer(mep, engine.Metrics.Render, () => engine.IsRunning);
            try
            {
                metrics.Start();
                Log.MetricsListening(logger, metrics.LocalEndPoint);
            }
            catch (SocketException ex)
            {
                Console.Error.WriteLine($"difenn-relay: cannot serve metrics on {mep}: {ex.Message} (use --metrics ADDR:PORT or --metrics off)");
                return 1;
            }
        }

        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        // SIGHUP (a closed terminal, a supervisor's "reload") would otherwise kill the relay without saving its
        // sessions: it writes the state file and keeps relaying.
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; engine.SaveState(); });
        await stop.Task;
        // Drain: stop receiving and close sessions; bounded so SIGTERM always exits within a second.
        await engine.StopAsync(TimeSpan.FromMilliseconds(700));
        if (metrics is not null) await metrics.DisposeAsync();
        return 0;
    }

    private static async Task<int> HealthCheck(string[] args)
    {
        var ep = new IPEndPoint(IPAddress.Loopback, 9480);
        if (args.Length == 2 && args[0] == "--metrics" && IPEndPoint.TryParse(args[1], out var parsed)) ep = parsed;
        else if (args.Length != 0)
        {
            Console.Error.WriteLine("usage: difenn-relay healthcheck [--metrics ADDR:PORT]");
            return 2;
        }
        try
        {
            var (status, _) = await MetricsServer.GetAsync(ep, "/healthz", TimeSpan.FromSeconds(3));
            return status == 200 ? 0 : 1;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or FormatException)
        {
            Console.Error.WriteLine($"difenn-relay healthcheck: {ex.Message}");
            return 1;
        }
    }
}
