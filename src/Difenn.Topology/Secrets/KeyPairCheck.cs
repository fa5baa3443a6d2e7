using Difenn.Topology.Model;
using Difenn.WireGuard.Keys;

namespace Difenn.Topology.Secrets;

/// <summary>
/// Checks that every private key the stack names derives the public key the stack declares for it (the server's and
/// every managed peer's). A mismatched pair would deploy a host whose peers expect another key: the tunnel would
/// never come up, and for the router that means stranding it. Every face that reveals secrets (plan --reveal, the
/// Pulumi program, rotate) refuses such a stack before any host is touched.
/// </summary>
public static class KeyPairCheck
{
    /// <summary>
    /// One message per mismatched or unreadable private key, naming the secret (never its value) and the stack field
    /// whose public key it should derive. Secrets absent from <paramref name="secrets"/> are skipped (reported as
    /// missing by the caller), and so are <paramref name="skip"/> (e.g. the one a rotation is replacing).
    /// </summary>
    public static IReadOnlyList<string> Mismatches(Stack stack, ISecretSource secrets, IReadOnlyCollection<string>? skip = null)
    {
        var pairs = new List<(string Secret, WireGuardPublicKey Declared, string Field)>
        {
            (stack.Server.PrivateKey.Name, stack.Server.PublicKey, "server.publicKey"),
        };
        pairs.AddRange(stack.Peers.Where(p => p.PrivateKey is not null).Select(p => (p.PrivateKey!.Name, p.PublicKey, $"peers[{p.Name}].publicKey")));
        var problems = new List<string>();
        foreach (var (secret, declared, field) in pairs)
        {
            if (skip?.Contains(secret) == true || !secrets.TryGet(secret, out var value)) continue;
            if (!WireGuardPrivateKey.TryParse(value, out var key, out var error))
                problems.Add($"secret '{secret}' in {secrets.Description} is not a WireGuard key ({error})");
            else if (!key.PublicKey.Equals(declared))
                problems.Add($"secret '{secret}' in {secrets.Description} does not derive {field} {declared.ToBase64()} declared in {stack.SourceFile} (it derives {key.PublicKey.ToBase64()}): wrong secret, or the stack's public key is stale");
        }
        return problems;
    }
}
