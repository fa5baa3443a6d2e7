using System.Globalization;
using System.Net;

namespace Difenn.Relay.Configuration;

/// <summary>
/// Parses the command line, with environment variables as fallbacks so a compose file can configure the relay:
/// DIFENN_RELAY_LISTEN (comma-separated), DIFENN_IP + DIFENN_PORT (the runbook's names) or DIFENN_RELAY_BACKEND,
/// DIFENN_SERVER_PUBLIC_KEY (comma-separated), DIFENN_SERVER_PUBLIC_KEYS_FILE, DIFENN_RELAY_METRICS, DIFENN_RELAY_STATE_FILE.
/// </summary>
public static class RelayArguments
{
    /// <summary>The <c>--help</c> text.</summary>
    public const string Help = """
        difenn-relay — a UDP relay for WireGuard, replacing socat on hub2.

        Each client endpoint gets its own session with its own upstream socket connected to the backend, so the
        server sees each client as a distinct endpoint; replies leave from the port the client sent to.

        Usage:
          difenn-relay --listen PORT|ADDR:PORT [--listen ...] --backend HOST:PORT [options]
          difenn-relay healthcheck [--metrics ADDR:PORT]

        Options:
          --listen L               UDP address to listen on: 51820, 0.0.0.0:443, [::]:443 (repeatable)
          --backend HOST:PORT      where datagrams go (address or DNS name, re-resolved every --resolve-interval)
          --server-public-key K    base64 public key of the WireGuard server: only handshake initiations with a
                                   valid MAC1 may open a session (repeatable: old and new key during a rotation)
          --server-public-keys-file PATH   more such keys, one per line (# comments), re-read within a second
                                   of a change: a rotation adds the new key without a restart
          --any-udp                relay any UDP, not only WireGuard messages (default: WireGuard only)
          --idle-timeout SECONDS   close sessions idle this long (default 180)
          --max-sessions N         session cap (default 1024); when full, a newcomer replaces the oldest session the
                                   backend never answered, else the longest idle one
          --unconfirmed-timeout SECONDS   close a session the backend has not answered within this (default 10);
                                   such sessions are never saved in --state-file
          --max-unconfirmed-per-source N  unanswered sessions per IPv4 address / IPv6 /64 (default 8)
          --max-unconfirmed-per-prefix N  unanswered sessions per IPv4 /24 / IPv6 /48 (default 64)
          --new-sessions-per-second N   per source address (default 20)
          --metrics ADDR:PORT      Prometheus /metrics and /healthz (default 127.0.0.1:9480; "off" to disable)
          --resolve-interval SECONDS    backend DNS re-resolution (default 30)
          --state-file PATH        keep sessions across restarts in PATH (client and upstream port of each, mode
                                   0600; written on change, every 30 s and at shutdown). Without it a restart
                                   drops every session, and an idle WireGuard client behind --server-public-key
                                   is cut off until its next handshake, up to 2 minutes (default: none)
          -h, --help               this text

        Environment (used when the option is absent): DIFENN_RELAY_LISTEN (comma-separated), DIFENN_IP and
        DIFENN_PORT (the backend, as in the runbook's .env) or DIFENN_RELAY_BACKEND, DIFENN_SERVER_PUBLIC_KEY (comma-separated),
        DIFENN_SERVER_PUBLIC_KEYS_FILE, DIFENN_RELAY_METRICS, DIFENN_RELAY_STATE_FILE.

        Signals: SIGTERM/SIGINT save the state file and stop; SIGHUP saves the state file and keeps relaying.

        Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 runtime failure (e.g. port in use), 2 usage error.

        Example:
          difenn-relay --listen 51820 --listen 443 --backend 10.44.1.214:51820 \
                       --server-public-key 2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with a usage message.</summary>
    public static RelayOptions Parse(IReadOnlyList<string> args, Func<string, string?> env)
    {
        var listen = new List<IPEndPoint>();
        string? backend = null, metrics = null, stateFile = null, keysFile = null;
        var keys = new List<string>();
        int? idle = null, max = null, rate = null, resolve = null, unconfirmed = null, perSource = null, perPrefix = null;
        var anyUdp = false;
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--listen": listen.Add(ParseListen(Value())); break;
                case "--backend": backend = Value(); break;
                case "--server-public-key": keys.Add(Value()); break;
                case "--server-public-keys-file": keysFile = Value(); break;
                case "--any-udp": anyUdp = true; break;
                case "--idle-timeout": idle = Int(a, Value(), 1, 86400); break;
                case "--max-sessions": max = Int(a, Value(), 1, 1_000_000); break;
                case "--new-sessions-per-second": rate = Int(a, Value(), 1, 1_000_000); break;
                case "--unconfirmed-timeout": unconfirmed = Int(a, Value(), 1, 86400); break;
                case "--max-unconfirmed-per-source": perSource = Int(a, Value(), 1, 1_000_000); break;
                case "--max-unconfirmed-per-prefix": perPrefix = Int(a, Value(), 1, 1_000_000); break;
                case "--metrics": metrics = Value(); break;
                case "--resolve-interval": resolve = Int(a, Value(), 1, 86400); break;
                case "--state-file": stateFile = Value(); break;
                default: throw new ArgumentException($"unknown argument '{a}'");
            }
        }
        if (listen.Count == 0 && env("DIFENN_RELAY_LISTEN") is { Length: > 0 } l)
            listen.AddRange(l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseListen));
        if (listen.Count == 0) throw new ArgumentException("give at least one --listen (e.g. --listen 51820)");
        var dup = listen.GroupBy(e => e.ToString()).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"--listen {dup.Key} given twice");

        backend ??= env("DIFENN_RELAY_BACKEND");
        if (backend is null && env("DIFENN_IP") is { Length: > 0 } ip)
            backend = ip.Contains(':') ? $"[{ip}]:{env("DIFENN_PORT") ?? "51820"}" : $"{ip}:{env("DIFENN_PORT") ?? "51820"}";
        if (backend is null) throw new ArgumentException("give --backend HOST:PORT (or DIFENN_IP and DIFENN_PORT)");
        var (host, port) = ParseHostPort(backend);

        if (keys.Count == 0 && env("DIFENN_SERVER_PUBLIC_KEY") is { Length: > 0 } fromEnv)
            keys.AddRange(fromEnv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var keyBytes = new List<byte[]>();
        foreach (var key in keys)
        {
            var bytes = new byte[33];
            if (!Convert.TryFromBase64String(key, bytes, out var n) || n != 32)
                throw new ArgumentException("--server-public-key must be a base64 WireGuard public key (44 characters)");
            keyBytes.Add(bytes[..32]);
        }
        keysFile ??= env("DIFENN_SERVER_PUBLIC_KEYS_FILE");
        if (keysFile is { Length: 0 }) keysFile = null;
        if (keysFile is not null)
        {
            try
            {
                new ServerKeysFile(keysFile).Read(); // refused now, with its line, rather than at the first reload
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                throw new ArgumentException($"--server-public-keys-file: {ex.Message}");
            }
        }
        if ((keyBytes.Count > 0 || keysFile is not null) && anyUdp)
            throw new ArgumentException("--server-public-key checks WireGuard handshakes; it cannot be combined with --any-udp");

        metrics ??= env("DIFENN_RELAY_METRICS");
        IPEndPoint? metricsEp = new(IPAddress.Loopback, 9480);
        if (metrics == "off") metricsEp = null;
        else if (metrics is not null && !IPEndPoint.TryParse(metrics, out metricsEp))
            throw new ArgumentException($"--metrics '{metrics}' must be ADDR:PORT or off");

        stateFile ??= env("DIFENN_RELAY_STATE_FILE");
        if (stateFile is { Length: 0 }) stateFile = null;
        if (stateFile is not null)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(stateFile));
            if (Directory.Exists(stateFile)) throw new ArgumentException($"--state-file '{stateFile}' is a directory; give a file path in it");
            if (directory is null || !Directory.Exists(directory))
                throw new ArgumentException($"--state-file '{stateFile}': directory '{directory}' does not exist");
        }

        var o = new RelayOptions
        {
            Listen = listen,
            BackendHost = host,
            BackendPort = port,
            ServerPublicKeys = keyBytes,
            ServerPublicKeysFile = keysFile,
            WireGuardOnly = !anyUdp,
            Metrics = metricsEp,
            StateFile = stateFile,
        };
        if (idle is int s) o = o with { IdleTimeout = TimeSpan.FromSeconds(s) };
        if (max is int m) o = o with { MaxSessions = m };
        if (rate is int r) o = o with { NewSessionsPerSecondPerSource = r };
        if (resolve is int rs) o = o with { ResolveInterval = TimeSpan.FromSeconds(rs) };
        if (unconfirmed is int u) o = o with { UnconfirmedTimeout = TimeSpan.FromSeconds(u) };
        if (perSource is int ps) o = o with { MaxUnconfirmedPerSource = ps };
        if (perPrefix is int pp) o = o with { MaxUnconfirmedPerPrefix = pp };
        return o;
    }

    /// <summary>Parses <c>51820</c>, <c>0.0.0.0:443</c> or <c>[::]:443</c>.</summary>
    public static IPEndPoint ParseListen(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
            return new IPEndPoint(IPAddress.Any, port);
        if (IPEndPoint.TryParse(text, out var ep) && ep.Port != 0) return ep;
        throw new ArgumentException($"--listen '{text}' must be PORT, ADDR:PORT or [V6ADDR]:PORT");
    }

    private static (string Host, int Port) ParseHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"--backend '{text}' must be HOST:PORT (e.g. 10.44.1.214:51820)");
        var host = text[..colon].Trim('[', ']');
        return (host, port);
    }

    private static int Int(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} must be a number from {min} to {max}");
}
