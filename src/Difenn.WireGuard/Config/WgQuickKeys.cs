namespace Difenn.WireGuard.Config;

/// <summary>The key names wg-quick and wg accept, and which of them only wg-quick understands.</summary>
public static class WgQuickKeys
{
    /// <summary>Keys valid in <c>[Interface]</c>, in the order the writer emits them.</summary>
    public static readonly IReadOnlyList<string> Interface =
        ["PrivateKey", "ListenPort", "FwMark", "Address", "DNS", "MTU", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig"];

    /// <summary>Keys valid in <c>[Peer]</c>, in the order the writer emits them.</summary>
    public static readonly IReadOnlyList<string> Peer =
        ["PublicKey", "PresharedKey", "AllowedIPs", "Endpoint", "PersistentKeepalive"];

    /// <summary>
    /// Interface keys that <c>wg-quick strip</c> removes because <c>wg setconf</c> does not know them.
    /// wg-quick matches these case-sensitively, so the writer always uses this exact spelling.
    /// </summary>
    public static readonly IReadOnlySet<string> WgQuickOnly =
        new HashSet<string>(StringComparer.Ordinal) { "Address", "DNS", "MTU", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig" };

    /// <summary>Finds the canonical spelling of a key (wg matches keys case-insensitively).</summary>
    public static string? Canonical(IReadOnlyList<string> keys, string key) =>
        keys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
}
