using System.Text.Json;
using System.Text.Json.Serialization;

namespace Difenn.WireGuard.Keys;

/// <summary>
/// Writes a secret as its redacted <see cref="object.ToString"/> and refuses to read one: secrets are never
/// serialised to JSON, so a <c>--json</c> report cannot leak them.
/// </summary>
public sealed class RedactingJsonConverter<T> : JsonConverter<T> where T : class
{
    /// <summary>Always throws: secrets are not read from JSON.</summary>
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new JsonException($"{typeof(T).Name} is a secret and is never read from JSON");

    /// <summary>Writes the redacted placeholder.</summary>
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
