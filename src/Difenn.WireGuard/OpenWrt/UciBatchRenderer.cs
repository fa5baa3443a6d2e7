using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Difenn.WireGuard.Config;

namespace Difenn.WireGuard.OpenWrt;

/// <summary>
/// Renders the input of <c>uci batch</c> that makes <c>network.&lt;iface&gt;</c> and its peer sections exactly
/// what the model says. Idempotent: each managed section is deleted and rebuilt, so applying the batch twice
/// leaves the same configuration (uci batch reports a missing section on the first run's <c>delete</c> and goes
/// on, hence <c>uci -q batch</c>). Sections not named in the model are not touched. The output holds the private
/// key: deliver it over stdin, never on a command line. Every value is single-quoted for uci's parser.
/// </summary>
public static partial class UciBatchRenderer
{
    /// <summary>The batch text (one uci command a line, ending with a newline); no <c>commit</c>.</summary>
    public static string Render(UciWireGuardInterface iface)
    {
        CheckName(iface.Name, "interface name");
        var sb = new StringBuilder();
        var s = $"network.{iface.Name}";
        sb.Append($"delete {s}\n");
        sb.Append($"set {s}=interface\n");
        Set(sb, s, "proto", "wireguard");
        Set(sb, s, "private_key", iface.PrivateKey.RevealBase64());
        if (iface.ListenPort is int port) Set(sb, s, "listen_port", Num(port));
        foreach (var a in iface.Addresses) AddList(sb, s, "addresses", a.ToString());

        foreach (var peer in iface.Peers)
        {
            CheckName(peer.SectionName, "peer section name");
            var p = $"network.{peer.SectionName}";
            sb.Append($"delete {p}\n");
            sb.Append($"set {p}=wireguard_{iface.Name}\n");
            if (!string.IsNullOrWhiteSpace(peer.Description)) Set(sb, p, "description", peer.Description);
            Set(sb, p, "public_key", peer.PublicKey.ToBase64());
            if (peer.PresharedKey is not null) Set(sb, p, "preshared_key", peer.PresharedKey.RevealBase64());
            if (peer.EndpointHost is not null)
            {
                Set(sb, p, "endpoint_host", peer.EndpointHost);
                Set(sb, p, "endpoint_port", Num(peer.EndpointPort ?? 51820));
            }
            if (peer.PersistentKeepalive is int ka and > 0) Set(sb, p, "persistent_keepalive", Num(ka));
            Set(sb, p, "route_allowed_ips", peer.RouteAllowedIps ? "1" : "0");
            foreach (var a in peer.AllowedIPs) AddList(sb, p, "allowed_ips", a.ToString());
        }
        return sb.ToString();
    }

    /// <summary>
    /// Converts a wg-quick client config (one interface, its peers) to the UCI model; peer sections are named
    /// <c>&lt;iface&gt;_peer&lt;n&gt;</c>, or from the peer's comment when it is a valid name.
    /// </summary>
    public static UciWireGuardInterface FromWgQuick(WgQuickConfig config, string interfaceName)
    {
        CheckName(interfaceName, "interface name");
        var privateKey = config.Interface.PrivateKey
            ?? throw new ArgumentException("the config has no PrivateKey; OpenWrt needs one", nameof(config));
        var peers = config.Peers.Select((p, i) => new UciWireGuardPeer(
            SectionName: $"{interfaceName}_{(p.Comment is { } c && NameRegex().IsMatch(c.ToLowerInvariant()) ? c.ToLowerInvariant() : "peer" + i)}",
            PublicKey: p.PublicKey,
            PresharedKey: p.PresharedKey,
            EndpointHost: p.Endpoint?.Host,
            EndpointPort: p.Endpoint?.Port,
            PersistentKeepalive: p.PersistentKeepalive,
            AllowedIPs: p.AllowedIPs,
            Description: p.Comment)).ToList();
        return new UciWireGuardInterface(interfaceName, privateKey, config.Interface.Addresses, config.Interface.ListenPort, peers);
    }

    /// <summary>Quotes a value for uci's parser: single quotes, with <c>'</c> written as <c>'\''</c>.</summary>
    public static string Quote(string value)
    {
        if (value.Contains('\n') || value.Contains('\r') || value.Contains('\0'))
            throw new ArgumentException("uci values must be single lines");
        return "'" + value.Replace("'", "'\\''") + "'";
    }

    private static void Set(StringBuilder sb, string section, string option, string value) =>
        sb.Append($"set {section}.{option}={Quote(value)}\n");

    private static void AddList(StringBuilder sb, string section, string option, string value) =>
        sb.Append($"add_list {section}.{option}={Quote(value)}\n");

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static void CheckName(string name, string what)
    {
        if (!NameRegex().IsMatch(name))
            throw new ArgumentException($"{what} '{name}' must be letters, digits and underscores (a UCI section name)");
    }

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    private static partial Regex NameRegex();
}
