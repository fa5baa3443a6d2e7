using Difenn.Topology.Secrets;
using Difenn.WireGuard.Keys;

namespace Difenn.Topology.Desired;

/// <summary>
/// Renders text that needs keys without ever holding them: a random stand-in key is rendered and its text is
/// replaced by the secret's marker. The stand-in never leaves this method; the result is deterministic.
/// </summary>
internal static class SecretRendering
{
    public static SecretText Render(Func<Func<string, WireGuardPrivateKey>, Func<string, WireGuardPresharedKey>, string> render)
    {
        var privates = new Dictionary<string, WireGuardPrivateKey>();
        var shared = new Dictionary<string, WireGuardPresharedKey>();
        var text = render(
            name => privates.TryGetValue(name, out var k) ? k : privates[name] = WireGuardPrivateKey.Generate(),
            name => shared.TryGetValue(name, out var k) ? k : shared[name] = WireGuardPresharedKey.Generate());
        foreach (var (name, key) in privates) text = text.Replace(key.RevealBase64(), SecretText.Marker(name));
        foreach (var (name, key) in shared) text = text.Replace(key.RevealBase64(), SecretText.Marker(name));
        return SecretText.FromTemplate(text);
    }
}
