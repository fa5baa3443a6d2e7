using Difenn.Topology.Secrets;
using Pulumi;

namespace Difenn.Infra.Components;

/// <summary>
/// Secret values as Pulumi secret outputs, keyed by the names the desired state uses. A <see cref="SecretText"/> is
/// revealed only inside <c>Output.Apply</c>, and the result is marked secret again, so it is stored encrypted.
/// </summary>
/// <param name="values">The secrets by name, as Pulumi secret outputs.</param>
/// <param name="check">Problems with the secrets as a whole (e.g. <see cref="KeyPairCheck"/>: a private key that does not
/// derive the stack's public key); any problem fails the deployment before any script runs, secret-bearing or not,
/// because every revealed text waits for the check.</param>
public sealed class SecretValues(IReadOnlyDictionary<string, Output<string>> values, Func<ISecretSource, IReadOnlyList<string>>? check = null)
{
    private readonly Output<bool> _checked = check is null || values.Count == 0
        ? Output.Create(true)
        : Output.All(values.Values).Apply(vals =>
        {
            var problems = check(new DictionarySecretSource(values.Keys.Zip(vals).ToDictionary(p => p.First, p => p.Second), "the Pulumi config secrets (difenn-infra:<name>)"));
            return problems.Count == 0 ? true : throw new InvalidOperationException(string.Join("; ", problems) + ": nothing was deployed");
        });

    /// <summary>The text with its secrets filled in, as a secret output (plain output when it holds none).</summary>
    public Output<string> Reveal(SecretText text)
    {
        if (!text.HasSecrets) return _checked.Apply(_ => text.Template);
        var names = text.SecretNames;
        var parts = names.Select(n => values.TryGetValue(n, out var v) ? v : throw new InvalidOperationException($"secret '{n}' is not configured: pulumi config set --secret difenn-infra:{n} ...")).ToList();
        var revealed = Output.Tuple(_checked, Output.All(parts)).Apply(t => t.Item2).Apply(vals => text.Reveal(names.Zip(vals).ToDictionary(p => p.First, p => p.Second)));
        return Output.CreateSecret(revealed);
    }
}
