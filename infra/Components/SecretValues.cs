using Difenn.Topology.Secrets;
using Pulumi;

namespace Difenn.Infra.Components;

/// <summary>
/// Secret values as Pulumi secret outputs, keyed by the names the desired state uses. A <see cref="SecretText"/> is
/// revealed only inside <c>Output.Apply</c>, and the result is marked secret again, so it is stored encrypted.
/// </summary>
public sealed class SecretValues(IReadOnlyDictionary<string, Output<string>> values)
{
    /// <summary>The text with its secrets filled in, as a secret output (plain output when it holds none).</summary>
    public Output<string> Reveal(SecretText text)
    {
        if (!text.HasSecrets) return Output.Create(text.Template);
        var names = text.SecretNames;
        var parts = names.Select(n => values.TryGetValue(n, out var v) ? v : throw new InvalidOperationException($"secret '{n}' is not configured: pulumi config set --secret difenn-infra:{n} ...")).ToList();
        var revealed = Output.All(parts).Apply(vals => text.Reveal(names.Zip(vals).ToDictionary(p => p.First, p => p.Second)));
        return Output.CreateSecret(revealed);
    }
}
