using System.Net;
using System.Text.RegularExpressions;

namespace Difenn.Topology.Loading;

/// <summary>
/// What a free-text stack field may hold, checked at load time so a value never reaches a script, a command line
/// or a YAML file it could break out of. Each rule says what the field names (an interface, a host, a user, an image,
/// a path) rather than what it must not contain: a value outside it is an error at its line and column. Messages
/// never repeat the value (it could be a key pasted in the wrong place).
/// </summary>
internal static partial class FieldRules
{
    /// <summary>The secret marker syntax (<c>{{difenn-secret:NAME}}</c>): never valid in a plain stack value, where it would pull a secret into a file while plans show it as [secret].</summary>
    public const string MarkerStart = "{{difenn-secret";

    /// <summary>Checks every text value of a stack file: one printable line, no secret marker. Null when fine, else the problem.</summary>
    public static string? Text(string value)
    {
        foreach (var c in value)
            if (char.IsControl(c))
                return c == '\n' || c == '\r' ? "must be a single line (no line breaks)" : "must not contain control characters";
        if (value.Contains(MarkerStart, StringComparison.OrdinalIgnoreCase))
            return "must not contain secret marker syntax ({{difenn-secret:...}}); name a secret under a secrets: key instead";
        return null;
    }

    /// <summary>A Linux network interface name as wg-quick accepts it (letters, digits, <c>_ = + . -</c>, up to 15), not starting with '-'.</summary>
    public static string? InterfaceName(string value) =>
        InterfaceRegex().IsMatch(value) ? null : "must be a network interface name: up to 15 letters, digits or _=+.- (e.g. wg0), not starting with '-'";

    /// <summary>A host: an IP address, or a DNS name / ssh alias (letters, digits, '-', '_', '.'; labels not starting with '-').</summary>
    public static string? Host(string value) =>
        IPAddress.TryParse(value, out _) && !value.Contains('%') || Difenn.WireGuard.Net.Endpoint.IsHostName(value)
            ? null
            : "must be a host name (letters, digits, '-', '_' and dots, e.g. px3 or wg.example.com) or an IP address";

    /// <summary>A login name (POSIX portable: letters, digits, '_', '.', '-', not starting with '-', up to 32).</summary>
    public static string? User(string value) =>
        UserRegex().IsMatch(value) ? null : "must be a user name: up to 32 letters, digits, '_', '.' or '-', starting with a letter or '_'";

    /// <summary>A container image reference: [registry[:port]/]name[:tag][@sha256:digest], lowercase name components.</summary>
    public static string? ImageReference(string value) =>
        ImageRegex().IsMatch(value) ? null : "must be an image reference: [registry/]name[:tag][@sha256:digest] (e.g. ghcr.io/owner/difenn-relay:0.1.0)";

    /// <summary>An absolute path of plain components (letters, digits, '_', '.', '-', '+', '@'), without '.' or '..' components.</summary>
    public static string? AbsolutePath(string value)
    {
        if (!PathRegex().IsMatch(value)) return "must be an absolute path of letters, digits and _.-+@ (e.g. /opt/difenn-relay)";
        return value.Split('/').Any(p => p is "." or "..") ? "must not contain '.' or '..' components" : null;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_=+.][A-Za-z0-9_=+.-]{0,14}$")]
    private static partial Regex InterfaceRegex();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex UserRegex();

    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ImageRegex();

    [GeneratedRegex(@"^/[A-Za-z0-9_.+@/-]*$")]
    private static partial Regex PathRegex();
}
