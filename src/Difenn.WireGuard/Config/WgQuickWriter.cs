using System.Text;

namespace Difenn.WireGuard.Config;

/// <summary>
/// Renders a <see cref="WgQuickConfig"/> as text. The output contains the private key: write it only to a file
/// created 0600 (see <c>SecretFile</c> in the CLI) or a secret channel.
/// </summary>
public static class WgQuickWriter
{
    /// <summary>The full wg-quick form (every key), as read by <c>wg-quick up</c>.</summary>
    public static string Write(WgQuickConfig config) => Render(config, stripped: false);

    /// <summary>
    /// The form <c>wg setconf</c>/<c>wg syncconf</c> accepts: wg-quick-only keys removed. For a file produced by
    /// <see cref="Write"/>, this equals what <c>wg-quick strip</c> prints, less the final newline its echo adds.
    /// </summary>
    public static string WriteStripped(WgQuickConfig config) => Render(config, stripped: true);

    private static string Render(WgQuickConfig config, bool stripped)
    {
        var sb = new StringBuilder();
        var i = config.Interface;
        sb.Append("[Interface]\n");
        if (i.PrivateKey is not null) Line(sb, "PrivateKey", i.PrivateKey.RevealBase64());
        if (i.ListenPort is int port) Line(sb, "ListenPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (i.FwMark is not null) Line(sb, "FwMark", i.FwMark);
        if (!stripped)
        {
            if (i.Addresses.Count > 0) Line(sb, "Address", string.Join(", ", i.Addresses));
            if (i.Dns.Count > 0) Line(sb, "DNS", string.Join(", ", i.Dns));
            if (i.Mtu is int mtu) Line(sb, "MTU", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (i.Table is not null) Line(sb, "Table", i.Table);
            foreach (var c in i.PreUp) Line(sb, "PreUp", c);
            foreach (var c in i.PostUp) Line(sb, "PostUp", c);
            foreach (var c in i.PreDown) Line(sb, "PreDown", c);
            foreach (var c in i.PostDown) Line(sb, "PostDown", c);
            if (i.SaveConfig is bool save) Line(sb, "SaveConfig", save ? "true" : "false");
        }
        foreach (var p in config.Peers)
        {
            sb.Append("\n[Peer]\n");
            if (!string.IsNullOrWhiteSpace(p.Comment)) sb.Append("# ").Append(OneLine(p.Comment)).Append('\n');
            Line(sb, "PublicKey", p.PublicKey.ToBase64());
            if (p.PresharedKey is not null) Line(sb, "PresharedKey", p.PresharedKey.RevealBase64());
            if (p.AllowedIPs.Count > 0) Line(sb, "AllowedIPs", string.Join(", ", p.AllowedIPs));
            if (p.Endpoint is not null) Line(sb, "Endpoint", p.Endpoint.ToString());
            if (p.PersistentKeepalive is int ka) Line(sb, "PersistentKeepalive", ka.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string key, string value) =>
        sb.Append(key).Append(" = ").Append(OneLine(value)).Append('\n');

    // A value with a newline would inject a line into the file; the model never holds one, but be certain.
    private static string OneLine(string value) =>
        value.Contains('\n') || value.Contains('\r')
            ? throw new ArgumentException("config values must be single lines")
            : value;
}
