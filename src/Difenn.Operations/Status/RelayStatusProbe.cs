using System.Text.RegularExpressions;
using Difenn.Operations.Live;
using Difenn.Topology.Desired;

namespace Difenn.Operations.Status;

/// <summary>The hub's relay as it runs: each listener's metrics, and which upstream socket belongs to which listener.</summary>
/// <param name="Metrics">Each listen port's Prometheus text, or null when its endpoint did not answer.</param>
/// <param name="UpstreamPorts">Local port of each upstream socket (connected to the backend) → the listen port of the same relay process.</param>
public sealed record LiveRelay(IReadOnlyDictionary<int, string?> Metrics, IReadOnlyDictionary<int, int> UpstreamPorts);

/// <summary>
/// Reads the relay on the hub in one script: <c>/metrics</c> of each listener's loopback endpoint (curl, else wget),
/// and <c>ss -uanp</c>. One relay process serves one listen port (a container each), and each session has its own
/// upstream socket connected to the backend, so the port the server sees a peer on names the listener it came in by.
/// </summary>
public static partial class RelayStatusProbe
{
    /// <summary>The probe script; <paramref name="listeners"/> are (listen port, metrics port) pairs.</summary>
    public static string Script(IEnumerable<(int Port, int MetricsPort)> listeners)
    {
        var script = "export LC_ALL=C\n";
        foreach (var (port, metrics) in listeners)
            script += ScriptSections.Begin($"metrics-{port}")
                + $"{RelayMetricsFetch.Command(metrics.ToString(), 3)} || echo '@@unavailable'\n";
        return script + ScriptSections.Begin("ss") + "ss -Huanp 2>/dev/null\n";
    }

    /// <summary>Parses the probe's output; <paramref name="backend"/> is the relay's backend as <c>IP:PORT</c>.</summary>
    public static LiveRelay Parse(string output, IEnumerable<int> ports, string backend)
    {
        var s = ScriptSections.Parse(output);
        var portList = ports.ToList();
        var metrics = portList.ToDictionary(p => p, p => s.GetValueOrDefault($"metrics-{p}") is { } m && !m.Contains("@@unavailable", StringComparison.Ordinal) && m.Trim().Length > 0 ? m : null);

        var listenerOf = new Dictionary<string, int>(); // pid → listen port
        var upstream = new List<(string Pid, int LocalPort)>();
        foreach (var line in s.GetValueOrDefault("ss", "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6 || Pid().Match(line) is not { Success: true } pid) continue;
            if (!int.TryParse(f[3][(f[3].LastIndexOf(':') + 1)..], out var local)) continue;
            if (f[4].EndsWith(":*", StringComparison.Ordinal) && portList.Contains(local)) listenerOf[pid.Groups[1].Value] = local;
            else if (f[4] == backend) upstream.Add((pid.Groups[1].Value, local));
        }
        var map = new Dictionary<int, int>();
        foreach (var (pid, local) in upstream)
            if (listenerOf.TryGetValue(pid, out var listen)) map[local] = listen;
        return new LiveRelay(metrics, map);
    }

    /// <summary>The value of <paramref name="metric"/> for each value of <paramref name="label"/> (or "" without labels), from Prometheus text.</summary>
    public static Dictionary<string, long> Samples(string metrics, string metric, string? label = null)
    {
        var result = new Dictionary<string, long>();
        foreach (var line in metrics.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' ')) continue;
            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (!double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var v)) continue;
            var key = label is null ? "" : Regex.Match(line, $@"{label}=""([^""]*)""") is { Success: true } m ? m.Groups[1].Value : "";
            result[key] = (long)v;
        }
        return result;
    }

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex Pid();
}
