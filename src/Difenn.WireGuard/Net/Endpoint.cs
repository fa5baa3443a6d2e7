using System.Diagnostics.CodeAnalysis;

namespace Difenn.WireGuard.Net;

/// <summary>A peer endpoint, <c>host:port</c> or <c>[v6]:port</c>; the host may be a DNS name.</summary>
public sealed partial record Endpoint(string Host, int Port)
{
    /// <summary>Parses an endpoint, reporting a missing or out-of-range port.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Endpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "empty endpoint";
            return false;
        }
        string host;
        string? portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0)
            {
                error = $"endpoint '{text}' has an unclosed '['";
                return false;
            }
            host = text[1..close];
            portText = close + 1 < text.Length && text[close + 1] == ':' ? text[(close + 2)..] : null;
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':') != colon)
            {
                error = $"endpoint '{text}': write an IPv6 endpoint as [address]:port";
                return false;
            }
            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? null : text[(colon + 1)..];
        }
        if (portText is null)
        {
            error = $"endpoint '{text}' has no port (write host:port, e.g. wg.example.com:51820)";
            return false;
        }
        if (host.Length == 0)
        {
            error = $"endpoint '{text}' has no host";
            return false;
        }
        if (!System.Net.IPAddress.TryParse(host, out _) && !IsHostName(host))
        {
            // Never repeat the text: a host that is not a host name may be a key pasted in the wrong place.
            error = "endpoint host is neither an IP address nor a host name (letters, digits, '-' and dots)";
            return false;
        }
        if (!PortRange.TryParse(portText, out var port, out error))
        {
            error = $"endpoint '{text}': {error}";
            return false;
        }
        endpoint = new Endpoint(host, port);
        return true;
    }

    /// <summary>
    /// True for a DNS name or an ssh alias: labels of letters, digits, '-' and '_', joined by dots, none starting
    /// with '-' (so it can never be read as a command-line option), at most 253 characters. Shared by every field
    /// that names a host.
    /// </summary>
    public static bool IsHostName(string text) => text.Length <= 253 && HostName().IsMatch(text);

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$")]
    private static partial System.Text.RegularExpressions.Regex HostName();

    /// <summary>The wg form: <c>host:port</c>, IPv6 literals in brackets.</summary>
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>Port number parsing shared by every port field (1–65535).</summary>
public static class PortRange
{
    /// <summary>Parses a UDP port 1–65535.</summary>
    public static bool TryParse(string? text, out int port, [NotNullWhen(false)] out string? error)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, null, out port) || port < 1 || port > 65535)
        {
            error = $"port '{text}' must be a number from 1 to 65535";
            return false;
        }
        error = null;
        return true;
    }
}
