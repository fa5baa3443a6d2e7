using System.Globalization;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;

namespace Difenn.WireGuard.Dump;

/// <summary>
/// Parses <c>wg show &lt;iface&gt; dump</c>: tab-separated, first line the interface (private key, public key,
/// listen port, fwmark), then one line a peer (public key, preshared key, endpoint, allowed ips, latest handshake,
/// rx, tx, keepalive). "(none)" and "off" mean absent. Errors name the line and field, never a secret's value.
/// </summary>
public static class WgDumpParser
{
    /// <summary>Parses a dump; throws <see cref="FormatException"/> naming the line and field on bad input.</summary>
    public static WgDump Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
            throw new FormatException("wg dump is empty (is the interface up?)");
        var f = Fields(lines[0], 1, 4, "interface");
        var iface = new WgDumpInterface(
            PrivateKey: f[0] == "(none)" ? null : (WireGuardPrivateKey.TryParse(f[0], out var priv, out var e0) ? priv : throw Fail(1, "private-key", e0)),
            PublicKey: f[1] == "(none)" ? null : (WireGuardPublicKey.TryParse(f[1], out var pub, out var e1) ? pub : throw Fail(1, "public-key", e1)),
            ListenPort: Int(f[2], 1, "listen-port"),
            FwMark: f[3] == "off" ? null : ParseFwMark(f[3], 1));
        var peers = new List<WgDumpPeer>();
        for (var i = 1; i < lines.Length; i++)
        {
            var n = i + 1;
            var p = Fields(lines[i], n, 8, "peer");
            Endpoint? endpoint = null;
            if (p[2] != "(none)" && !Endpoint.TryParse(p[2], out endpoint, out var epError))
                throw new FormatException($"wg dump line {n}: endpoint: {epError}");
            var allowed = new List<IpPrefix>();
            if (p[3] != "(none)")
            {
                foreach (var a in p[3].Split(',', StringSplitOptions.RemoveEmptyEntries))
                    allowed.Add(IpPrefix.TryParse(a, out var prefix, out var err) ? prefix : throw new FormatException($"wg dump line {n}: allowed-ips: {err}"));
            }
            var handshake = Long(p[4], n, "latest-handshake");
            peers.Add(new WgDumpPeer(
                PublicKey: WireGuardPublicKey.TryParse(p[0], out var peerKey, out var e2) ? peerKey : throw Fail(n, "public-key", e2),
                PresharedKey: p[1] == "(none)" ? null : (WireGuardPresharedKey.TryParse(p[1], out var psk, out var e3) ? psk : throw Fail(n, "preshared-key", e3)),
                Endpoint: endpoint,
                AllowedIPs: allowed,
                LatestHandshake: handshake == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(handshake),
                ReceivedBytes: Long(p[5], n, "transfer-rx"),
                SentBytes: Long(p[6], n, "transfer-tx"),
                PersistentKeepalive: p[7] == "off" ? null : Int(p[7], n, "persistent-keepalive")));
        }
        return new WgDump(iface, peers);
    }

    private static string[] Fields(string line, int n, int expected, string what)
    {
        var f = line.Split('\t');
        // `wg show all dump` prefixes every line with the interface name.
        if (f.Length == expected + 1) f = f[1..];
        if (f.Length != expected)
            throw new FormatException($"wg dump line {n}: a {what} line has {expected} tab-separated fields, found {f.Length}");
        return f;
    }

    private static FormatException Fail(int n, string field, string error) => new($"wg dump line {n}: {field}: {error}");

    private static int Int(string text, int n, string field) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"wg dump line {n}: {field}: '{text}' is not a number");

    private static long Long(string text, int n, string field) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"wg dump line {n}: {field}: '{text}' is not a number");

    private static uint ParseFwMark(string text, int n) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && uint.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex) ? hex
        : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var dec) ? dec
        : throw new FormatException($"wg dump line {n}: fwmark: '{text}' is not a number");
}
