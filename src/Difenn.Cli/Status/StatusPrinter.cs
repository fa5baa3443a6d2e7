using Difenn.Operations.Status;

namespace Difenn.Cli.Status;

/// <summary>Renders a <see cref="StatusReport"/> as one screen of text.</summary>
internal static class StatusPrinter
{
    public static void Print(TextWriter o, StatusReport r)
    {
        foreach (var h in r.Hosts.Where(h => !h.Reachable)) o.WriteLine($"{h.Name}: UNREACHABLE ({h.Error?.Replace(h.Name + ": ", "")})");
        o.WriteLine(r.Dns.Error is not null ? $"dns    {r.Dns.Name}: does not resolve ({r.Dns.Error})"
            : $"dns    {r.Dns.Name} → {(r.Dns.Answer.Count == 0 ? "(no A record)" : string.Join(", ", r.Dns.Answer))}{(r.Dns.Ok ? "" : $"  WRONG: expected {r.Dns.Expected}")}");
        foreach (var l in r.Relay)
        {
            var head = $"relay  :{l.Port} ({l.Role})";
            if (!l.MetricsRead) { o.WriteLine($"{head}  metrics not readable{(r.Hosts.Any(h => h.Role == "hub" && !h.Reachable) ? " (hub unreachable)" : "")}"); continue; }
            var drops = l.Drops.Count == 0 ? "no drops" : "drops " + string.Join(", ", l.Drops.OrderByDescending(d => d.Value).Select(d => $"{d.Key} {d.Value}"));
            var backend = l.BackendErrors.Count == 0 ? "" : "; backend errors " + string.Join(", ", l.BackendErrors.Select(d => $"{d.Key} {d.Value}"));
            o.WriteLine($"{head}  {l.ActiveSessions} session(s); {drops}{backend}");
        }
        o.WriteLine();
        o.WriteLine($"{"PEER",-14} {"ADDRESS",-15} {"HANDSHAKE",-12} {"ENDPOINT (server's view)",-26} {"VIA",-24} {"RX / TX",-21} KEEPALIVE");
        var serverRead = r.Hosts.Any(h => h.Role == "server" && h.Reachable);
        foreach (var p in r.Peers)
        {
            var handshake = !serverRead ? "?" : !p.OnServer ? "not on server" : p.HandshakeAgeSeconds is { } a ? Age(a) : "never";
            var via = p.RelayPort is { } port ? $"relay :{port} ({p.RelayPortRole})" : p.Endpoint is null ? "-" : "?";
            var transfer = p.OnServer ? $"{Bytes(p.ReceivedBytes)} / {Bytes(p.SentBytes)}" : "-";
            o.WriteLine($"{p.Name,-14} {p.Address,-15} {handshake,-12} {p.Endpoint ?? "-",-26} {via,-24} {transfer,-21} {(p.Keepalive is { } k ? $"{k}s" : "off")}");
        }
        foreach (var k in r.UnknownPeers) o.WriteLine($"(unknown) {k}: on the server, not in the stack");
    }

    private static string Age(long s) => s < 60 ? $"{s}s ago" : s < 3600 ? $"{s / 60}m{s % 60:00}s ago" : s < 86400 ? $"{s / 3600}h{s % 3600 / 60:00}m ago" : $"{s / 86400}d ago";

    private static string Bytes(long b) => b switch
    {
        < 1024 => $"{b} B",
        < 1024 * 1024 => $"{b / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{b / 1048576.0:0.0} MiB",
        _ => $"{b / 1073741824.0:0.00} GiB",
    };
}
