using Difenn.WireGuard.Keys;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Difenn.Topology.Secrets;

/// <summary>
/// Text that may contain secrets, held as a template with named markers instead of the secret values, so the
/// desired state never holds a secret at all. <see cref="ToString"/> and <see cref="Redacted"/> show
/// <c>[secret]</c>; <see cref="Reveal(ISecretSource)"/> substitutes values from an <see cref="ISecretSource"/> at the last moment
/// (the Pulumi program substitutes Pulumi secret outputs instead, so values stay encrypted in state).
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(SecretTextJsonConverter))]
public sealed partial class SecretText : IEquatable<SecretText>
{
    private SecretText(string template) => Template = template;

    /// <summary>The text with <c>{{difenn-secret:NAME}}</c> markers where secrets go. Safe to log and hash.</summary>
    public string Template { get; }

    /// <summary>Names of the secrets the text needs, in order of first use, without repeats.</summary>
    public IReadOnlyList<string> SecretNames => MarkerRegex().Matches(Template).Select(m => m.Groups[1].Value).Distinct().ToList();

    /// <summary>True when the text holds at least one secret.</summary>
    public bool HasSecrets => MarkerRegex().IsMatch(Template);

    /// <summary>The text with every secret shown as <c>[secret]</c>.</summary>
    public string Redacted => MarkerRegex().Replace(Template, "[secret]");

    /// <summary>SHA-256 (hex) of the template: changes when the text changes, reveals no secret.</summary>
    public string TemplateHash => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Template))).ToLowerInvariant();

    /// <summary>Text without secrets.</summary>
    public static SecretText Plain(string text) =>
        MarkerRegex().IsMatch(text) ? throw new ArgumentException("plain text must not contain secret markers") : new(text);

    /// <summary>Text built with <see cref="Marker"/> placeholders.</summary>
    public static SecretText FromTemplate(string template) => new(template);

    /// <summary>The placeholder for secret <paramref name="name"/> inside a template.</summary>
    public static string Marker(string name) => "{{difenn-secret:" + name + "}}";

    /// <summary>Substitutes every secret; throws <see cref="MissingSecretException"/> naming the first missing one.</summary>
    public string Reveal(ISecretSource secrets) =>
        MarkerRegex().Replace(Template, m => secrets.TryGet(m.Groups[1].Value, out var v) ? Checked(m.Groups[1].Value, v, secrets.Description) : throw new MissingSecretException(m.Groups[1].Value, secrets.Description));

    /// <summary>Substitutes secrets with given values (used by the Pulumi program inside an Output.Apply).</summary>
    public string Reveal(IReadOnlyDictionary<string, string> values) =>
        MarkerRegex().Replace(Template, m => values.TryGetValue(m.Groups[1].Value, out var v) ? Checked(m.Groups[1].Value, v, "the given values") : throw new MissingSecretException(m.Groups[1].Value, "the given values"));

    /// <summary>
    /// Every secret here is a WireGuard key (private or preshared: 32 bytes in base64). Anything else is refused before
    /// it reaches a file or a script, where a newline and a heredoc terminator would break out of the text around it.
    /// </summary>
    private static string Checked(string name, string value, string source)
    {
        Span<byte> bytes = stackalloc byte[32];
        var ok = KeyEncoding.TryDecode(value, bytes, out _);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        return ok ? value : throw new MissingSecretException(name, source, $"secret '{name}' in {source} is not a WireGuard key (44 base64 characters); nothing was rendered with it");
    }

    /// <summary>The redacted text.</summary>
    public override string ToString() => Redacted;

    /// <summary>Equal when the templates are equal.</summary>
    public bool Equals(SecretText? other) => other is not null && other.Template == Template;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SecretText);

    /// <inheritdoc />
    public override int GetHashCode() => Template.GetHashCode(StringComparison.Ordinal);

    [GeneratedRegex(@"\{\{difenn-secret:([A-Za-z0-9]+)\}\}")]
    private static partial Regex MarkerRegex();
}

/// <summary>A secret the desired state needs is not in the secret source.</summary>
/// <remarks>Also thrown, with its own message, when the secret is set but is not a WireGuard key.</remarks>
public sealed class MissingSecretException(string name, string source, string? message = null)
    : Exception(message ?? $"secret '{name}' is not set in {source}")
{
    /// <summary>The missing secret's name.</summary>
    public string SecretName { get; } = name;
}

/// <summary>Serialises a <see cref="SecretText"/> as its redacted text; never reads one.</summary>
public sealed class SecretTextJsonConverter : System.Text.Json.Serialization.JsonConverter<SecretText>
{
    /// <summary>Always throws: secret texts are not read from JSON.</summary>
    public override SecretText Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        throw new System.Text.Json.JsonException("SecretText is never read from JSON");

    /// <summary>Writes <see cref="SecretText.Redacted"/>.</summary>
    public override void Write(System.Text.Json.Utf8JsonWriter writer, SecretText value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Redacted);
}
