using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Difenn.WireGuard.Net;

/// <summary>
/// An address with a prefix length, as WireGuard configs write them: <c>10.200.0.1/24</c> (an interface
/// address, host bits set) or <c>10.200.0.0/24</c> (a network). Unlike <see cref="IPNetwork"/>, host bits are
/// kept, because <c>Address = 10.200.0.1/24</c> means "this host, in that subnet". A bare address gets the
/// full-length prefix (/32 or /128), as wg does.
/// </summary>
public sealed record IpPrefix(IPAddress Address, int PrefixLength)
{
    /// <summary>Parses <c>addr</c> or <c>addr/len</c>; throws <see cref="FormatException"/> with the reason.</summary>
    public static IpPrefix Parse(string text) =>
        TryParse(text, out var p, out var e) ? p : throw new FormatException(e);

    /// <summary>Parses <c>addr</c> or <c>addr/len</c>, reporting why the text is not one.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out IpPrefix? prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "empty address";
            return false;
        }
        var slash = text.IndexOf('/');
        var addrText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addrText, out var address) || addrText.Contains('%'))
        {
            error = $"'{text}' is not an IP address or CIDR";
            return false;
        }
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, null, out length) || length > max))
        {
            error = $"'{text}' has an invalid prefix length (0-{max})";
            return false;
        }
        prefix = new IpPrefix(address, length);
        error = null;
        return true;
    }

    /// <summary>The network this prefix lies in (host bits cleared).</summary>
    public IPNetwork Network => new(Mask(Address, PrefixLength), PrefixLength);

    /// <summary>True when <paramref name="other"/> lies entirely inside this prefix's network.</summary>
    public bool Contains(IpPrefix other) =>
        other.Address.AddressFamily == Address.AddressFamily
        && other.PrefixLength >= PrefixLength
        && Network.Contains(other.Address);

    /// <summary>True when the two networks share any address.</summary>
    public bool Overlaps(IpPrefix other) => Contains(other) || other.Contains(this);

    /// <summary>The canonical text, <c>address/length</c>.</summary>
    public override string ToString() => $"{Address}/{PrefixLength}";

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }
}
