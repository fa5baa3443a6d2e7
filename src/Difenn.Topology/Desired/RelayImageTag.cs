using Difenn.Topology.Model;

namespace Difenn.Topology.Desired;

/// <summary>
/// The relay image tag `pulumi up` deploys: the stack's image repository with a tag derived from the relay binary's
/// content, <c>&lt;repository&gt;:sha256-&lt;first 16 hex of its SHA-256&gt;</c>. Shared by the Pulumi program (which
/// computes it from the binary) and drift detection (which cannot, without the binary, and so accepts any content tag
/// of the desired repository).
/// </summary>
public static class RelayImageTag
{
    private const string Prefix = "sha256-";

    /// <summary>The repository part of an image reference (<c>registry:5000/difenn-relay:0.1.0</c> → <c>registry:5000/difenn-relay</c>).</summary>
    public static string Repository(string image)
    {
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[..colon] : image;
    }

    /// <summary>The content tag for <paramref name="repository"/> and the binary's SHA-256 (lowercase hex).</summary>
    public static string For(string repository, string sha256Hex) => $"{repository}:{Prefix}{sha256Hex[..16]}";

    /// <summary>The stack with its relay image replaced by <paramref name="image"/>: the one way a tag enters the model.</summary>
    public static Stack WithImage(Stack stack, string image) =>
        stack with { Hub = stack.Hub with { Relay = stack.Hub.Relay with { Image = image } } };

    /// <summary>Whether <paramref name="live"/> is a content tag of the repository of <paramref name="desired"/>.</summary>
    public static bool IsContentTagOf(string live, string desired)
    {
        var repository = Repository(desired);
        if (!live.StartsWith(repository + ":" + Prefix, StringComparison.Ordinal)) return false;
        var hex = live[(repository.Length + 1 + Prefix.Length)..];
        return hex.Length == 16 && hex.All(char.IsAsciiHexDigitLower);
    }
}
