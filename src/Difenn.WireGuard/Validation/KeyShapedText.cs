using System.Text.RegularExpressions;

namespace Difenn.WireGuard.Validation;

/// <summary>
/// Removes anything that could be a key from text shown to people or machines. A diagnostic about a malformed input
/// line cannot know whether the value in it is a private key pasted in the wrong place (in Address, as a key name,
/// as a section header), so every run of 20 or more base64 characters holding a digit, '+' or '/' (a key is 44,
/// random) is replaced by <see cref="Placeholder"/>. Words and field names have no digits; addresses and host
/// names are cut into short runs by their dots and colons; so the rest of a message stays readable.
/// </summary>
public static partial class KeyShapedText
{
    /// <summary>What a key-shaped run is replaced with.</summary>
    public const string Placeholder = "[value hidden: could be a key]";

    /// <summary><paramref name="text"/> with every key-shaped run replaced.</summary>
    public static string Redact(string text) =>
        text.Length < 20 ? text : Run().Replace(text, m => m.Value.AsSpan().IndexOfAny("0123456789+/") >= 0 ? Placeholder : m.Value);

    /// <summary>True when <paramref name="text"/> holds a key-shaped run.</summary>
    public static bool HasKeyShape(string text) => Redact(text) != text;

    [GeneratedRegex("[A-Za-z0-9+/]{20,}=*")]
    private static partial Regex Run();
}
