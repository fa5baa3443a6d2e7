using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Difenn.Cli.Infrastructure;

/// <summary>
/// The <c>--json</c> convention: one JSON document on stdout, camelCase, enums as strings. Secret types serialise
/// as redacted placeholders (their converters), so a report can never carry a key.
/// </summary>
public static class JsonOutput
{
    /// <summary>Serializer options shared by every command.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        // Keys are base64 ('+', '/'): keep them readable. This output is never embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Creates the <c>--json</c> option (default: off, human-readable output).</summary>
    public static Option<bool> CreateOption() => new("--json") { Description = "Write a JSON document to stdout instead of text (for scripts and CI)." };

    /// <summary>Writes <paramref name="value"/> as JSON followed by a newline.</summary>
    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));
}
