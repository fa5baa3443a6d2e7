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
    /// <param name="iface">The interface and its peers.</param>
    /// <param name="package">The uci package the sections live in (default <c>network</c>; the router's apply script
    /// works on a private copy under another name, so that other tools' staged changes never mix in).</param>
    /// <param name="deleteFirst">Whether each section is deleted before it is rebuilt (default true). Without it the
    /// caller deletes the sections itself, and a batch that prints anything has failed (uci batch always exits 0).</param>
    public static string Render(UciWireGuardInterface iface, string package = "network", bool deleteFirst = true)
    {
        CheckName(package, "package name");
        var sb = new StringBuilder();
        foreach (var section in Sections(iface))
        {
            var s = $"{package}.{section.Name}";
            if (deleteFirst) sb.Append($"delete {s}\n");
            sb.Append($"set {s}={section.Type}\n");
            foreach (var (option, values, isList) in section.Options)
                foreach (var v in values)
                    sb.Append($"{(isList ? "add_list" : "set")} {s}.{option}={Quote(v)}\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// What <c>uci show &lt;package&gt;.&lt;section&gt;</c> prints for each managed section once the batch is applied,
    /// section after section (each line ending with a newline): the apply script compares it with the result before
    /// committing. Holds the private key, like the batch.
    /// </summary>
    public static string RenderShow(UciWireGuardInterface iface, string package = "network")
    {
        CheckName(package, "package name");
        var sb = new StringBuilder();
        foreach (var section in Sections(iface))
        {
            var s = $"{package}.{section.Name}";
            sb.Append($"{s}={section.Type}\n");
            foreach (var (option, values, _) in section.Options)
                sb.Append($"{s}.{option}={string.Join(' ', values.Select(Quote))}\n");
        }
        return sb.ToString();
    }

    /// <summary>The names of the sections the batch owns (the interface, then its peers).</summary>
    public static IReadOnlyList<string> SectionNames(UciWireGuardInterface iface) => Sections(iface).Select(s => s.Name).ToList();

    private sealed record UciSection(string Name, string Type, List<(string Option, List<string> Values, bool IsList)> Options);

    private static List<UciSection> Sections(UciWireGuardInterface iface)
    {
        CheckName(iface.Name, "interface name");
        var sections = new List<UciSection>();
        var i = new UciSection(iface.Name, "interface", []);
        i.Options.Add(("proto", ["wireguard"], false));
        i.Options.Add(("private_key", [iface.PrivateKey.RevealBase64()], false));
        if (iface.ListenPort is int port) i.Options.Add(("listen_port", [Num(port)], false));
        if (iface.Addresses.Count > 0) i.Options.Add(("addresses", iface.Addresses.Select(a => a.ToString()).ToList(), true));
        sections.Add(i);

        foreach (var peer in iface.Peers)
        {
            CheckName(peer.SectionName, "peer section name");
            var p = new UciSection(peer.SectionName, $"wireguard_{iface.Name}", []);
            if (!string.IsNullOrWhiteSpace(peer.Description)) p.Options.Add(("description", [peer.Description], false));
            p.Options.Add(("public_key", [peer.PublicKey.ToBase64()], false));
            if (peer.PresharedKey is not null) p.Options.Add(("preshared_key", [peer.PresharedKey.RevealBase64()], false));
            if (peer.EndpointHost is not null)
            {
                p.Options.Add(("endpoint_host", [peer.EndpointHost], false));
                p.Options.Add(("endpoint_port", [Num(peer.EndpointPort ?? 51820)], false));
            }
            if (peer.PersistentKeepalive is int ka and > 0) p.Options.Add(("persistent_keepalive", [Num(ka)], false));
            p.Options.Add(("route_allowed_ips", [peer.RouteAllowedIps ? "1" : "0"], false));
            if (peer.AllowedIPs.Count > 0) p.Options.Add(("allowed_ips", peer.AllowedIPs.Select(a => a.ToString()).ToList(), true));
            sections.Add(p);
        }
        // Values are checked here, once, so both renderings refuse the same input.
        foreach (var s in sections) foreach (var (_, values, _) in s.Options) foreach (var v in values) Quote(v);
        return sections;
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

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static void CheckName(string name, string what)
    {
        if (!NameRegex().IsMatch(name))
            throw new ArgumentException($"{what} '{name}' must be letters, digits and underscores (a UCI section name)");
    }

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    private static partial Regex NameRegex();
}
