using Difenn.WireGuard.Config;

namespace Difenn.WireGuard.Validation;

/// <summary>
/// Checks that span fields or peers of a <see cref="WgQuickConfig"/>: the per-field checks (key lengths, ports,
/// CIDRs, keepalive range, endpoint port) happen while parsing, in <see cref="WgQuickParser"/>.
/// </summary>
public static class WgQuickValidator
{
    /// <summary>
    /// Reports: the same public key on two peers (error), the same AllowedIPs on two peers (error: wg would
    /// silently move the route to the last one), a peer's own public key equal to the interface's (error),
    /// a peer's AllowedIPs outside every interface subnet (warning: legitimate for routed networks, often a typo),
    /// and an interface without a private key (error).
    /// </summary>
    public static IEnumerable<Diagnostic> Validate(WgQuickConfig config, string file, SourceLines? lines = null)
    {
        lines ??= SourceLines.None;
        var iface = config.Interface;
        // When parsing, a PrivateKey line that did not parse (or a missing [Interface]) was already reported.
        var parsed = !ReferenceEquals(lines, SourceLines.None);
        if (iface.PrivateKey is null && (!parsed || (lines.InterfaceLine > 0 && !lines.Interface.ContainsKey("PrivateKey"))))
            yield return Diagnostic.Error(file, lines.InterfaceLine, 1, "Interface.PrivateKey", "the interface has no PrivateKey");

        var seenKeys = new Dictionary<string, int>();
        var seenAllowed = new Dictionary<string, int>();
        for (var i = 0; i < config.Peers.Count; i++)
        {
            var peer = config.Peers[i];
            var keyLine = lines.PeerLine(i, "PublicKey");
            if (seenKeys.TryGetValue(peer.PublicKey.ToBase64(), out var first))
                yield return Diagnostic.Error(file, keyLine, 1, "Peer.PublicKey", $"the same public key is already used by the peer at line {first}");
            else
                seenKeys[peer.PublicKey.ToBase64()] = keyLine;

            if (iface.PrivateKey is not null && iface.PrivateKey.PublicKey == peer.PublicKey)
                yield return Diagnostic.Error(file, keyLine, 1, "Peer.PublicKey", "a peer has the interface's own public key");

            var allowedLine = lines.PeerLine(i, "AllowedIPs");
            foreach (var prefix in peer.AllowedIPs)
            {
                var network = prefix.Network.ToString();
                if (seenAllowed.TryGetValue(network, out var at))
                    yield return Diagnostic.Error(file, allowedLine, 1, "Peer.AllowedIPs", $"{prefix} is already routed to the peer at line {at}; wg would move it to this peer");
                else
                    seenAllowed[network] = allowedLine;

                if (iface.Addresses.Count > 0 && !iface.Addresses.Any(a => a.Contains(prefix)))
                    yield return Diagnostic.Warning(file, allowedLine, 1, "Peer.AllowedIPs", $"{prefix} is outside the interface's subnet ({string.Join(", ", iface.Addresses.Select(a => a.Network))}); fine for routed networks, otherwise a typo");
            }
        }
    }
}
