using Difenn.Testing.Network;
using Difenn.Testing.Processes;

namespace Difenn.Relay.Tests.EndToEnd;

/// <summary>
/// A flood of handshake initiations with a valid MAC1 (anyone can make them: MAC1 needs only the server's public
/// key) from many source addresses and ports, each followed by a type-4 datagram to keep its session busy: what the
/// adversarial review used to fill the relay's session table. The sources are extra addresses on the client
/// namespace's loopback, in <c>10.1.P.H</c> (prefixes 0..P-1, hosts 1..H), routed back through the hub.
/// Runs as a Python process in the namespace (hashlib has keyed BLAKE2s), so the test host's CPU is not the limit.
/// </summary>
internal static class InitiationFlood
{
    private const string Script = """
        import hashlib, os, socket, sys, time, base64
        key = base64.b64decode(sys.argv[1]); target = (sys.argv[2], int(sys.argv[3]))
        seconds = float(sys.argv[4]); per_second = int(sys.argv[5]); sources = sys.argv[6].split(',')
        mac1_key = hashlib.blake2s(b'mac1----' + key).digest()
        ports = range(20000, 20008)
        endpoints = [(a, p) for p in ports for a in sources]
        end = time.time() + seconds; sent = 0; start = time.time()
        while time.time() < end:
            for ep in endpoints:
                if time.time() >= end: break
                msg = bytearray(b'\x01\x00\x00\x00' + os.urandom(112))
                msg += hashlib.blake2s(bytes(msg), key=mac1_key, digest_size=16).digest() + bytes(16)
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(ep)
                    s.sendto(bytes(msg), target)
                    s.sendto(b'\x04\x00\x00\x00' + os.urandom(28), target)
                except OSError:
                    pass
                finally:
                    s.close()
                sent += 1
                ahead = sent / per_second - (time.time() - start)
                if ahead > 0: time.sleep(ahead)
        print(sent)
        """;

    /// <summary>Adds the flood's source addresses to <paramref name="client"/> and a route back to them in <paramref name="hub"/>.</summary>
    public static async Task<string[]> PrepareAsync(NetworkNamespace client, NetworkNamespace hub, string clientAddress, int prefixes, int hosts)
    {
        var sources = new List<string>();
        var batch = new System.Text.StringBuilder();
        for (var p = 0; p < prefixes; p++)
            for (var h = 1; h <= hosts; h++)
            {
                sources.Add($"10.1.{p}.{h}");
                batch.Append($"address add 10.1.{p}.{h}/32 dev lo\n");
            }
        await client.ExecAsync("ip", "link", "set", "lo", "up");
        (await client.RunAsync("ip", ["-batch", "-"], stdin: batch.ToString())).EnsureSuccess("ip -batch (flood addresses)");
        await hub.ExecAsync("ip", "route", "add", "10.1.0.0/16", "via", clientAddress);
        return [.. sources];
    }

    /// <summary>Runs the flood for <paramref name="duration"/> at about <paramref name="perSecond"/> initiations a second; returns how many were sent.</summary>
    public static async Task<int> RunAsync(NetworkNamespace client, string serverPublicKey, string target, int port, IReadOnlyList<string> sources, TimeSpan duration, int perSecond)
    {
        var result = await client.RunAsync("python3", ["-c", Script, serverPublicKey, target, port.ToString(), duration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), perSecond.ToString(), string.Join(',', sources)],
            timeout: duration + TimeSpan.FromSeconds(30));
        result.EnsureSuccess("flood");
        return int.Parse(result.StdOut.Trim());
    }
}
