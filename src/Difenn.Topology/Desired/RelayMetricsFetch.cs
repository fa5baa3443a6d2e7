namespace Difenn.Topology.Desired;

/// <summary>How a script on hub2 reads a relay's Prometheus metrics (served on loopback only): one way for every script.</summary>
public static class RelayMetricsFetch
{
    /// <summary>
    /// A shell command printing the metrics served on 127.0.0.1:<paramref name="port"/> (a number, or a shell expression
    /// such as <c>$port</c>), with curl or else wget, each given <paramref name="timeoutSeconds"/>; it fails when neither
    /// reads them.
    /// </summary>
    public static string Command(string port, int timeoutSeconds) =>
        $"{{ curl -fsS --max-time {timeoutSeconds} http://127.0.0.1:{port}/metrics 2>/dev/null || wget -qO- -T {timeoutSeconds} http://127.0.0.1:{port}/metrics 2>/dev/null; }}";
}
