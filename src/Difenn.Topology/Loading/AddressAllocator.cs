using System.Net;
using Difenn.WireGuard.Net;
using YamlDotNet.RepresentationModel;

namespace Difenn.Topology.Loading;

/// <summary>
/// Hands out peer addresses in the server's subnet: explicit addresses are checked (inside the subnet, not the
/// server's, not the network or broadcast address, not taken twice); peers without one get the lowest free address.
/// </summary>
internal sealed class AddressAllocator(IpPrefix server)
{
    private readonly Dictionary<IPAddress, string> _taken = new() { [server.Address] = "the server" };
    private readonly Dictionary<YamlNodeReader, IPAddress> _claimed = [];

    public void Claim(YamlNodeReader peer, YamlNode node)
    {
        var field = peer.Field("address");
        if (node is not YamlScalarNode { Value: { } text } || !IPAddress.TryParse(text, out var ip))
        {
            peer.Diags.Error(node, field, "must be an IP address, e.g. 10.200.0.2 (or leave it out to allocate one)");
            return;
        }
        var net = server.Network;
        if (!net.Contains(ip))
        {
            peer.Diags.Error(node, field, $"{ip} is outside the VPN subnet {net}");
            return;
        }
        if (ip.Equals(net.BaseAddress) || ip.Equals(Broadcast(net)))
        {
            peer.Diags.Error(node, field, $"{ip} is the subnet's network or broadcast address");
            return;
        }
        if (_taken.TryGetValue(ip, out var owner))
        {
            peer.Diags.Error(node, field, $"{ip} is already used by {owner}");
            return;
        }
        _taken[ip] = peer.Path;
        _claimed[peer] = ip;
    }

    /// <summary>The peer's claimed address, or the next free one; null after an error already reported.</summary>
    public IPAddress? Next(YamlNodeReader peer)
    {
        if (_claimed.TryGetValue(peer, out var ip)) return ip;
        if (peer.Get("address", required: false) is not null) return null; // claimed with an error
        var net = server.Network;
        var bytes = net.BaseAddress.GetAddressBytes();
        for (var candidate = Increment(bytes); net.Contains(new IPAddress(candidate)); candidate = Increment(candidate))
        {
            var address = new IPAddress(candidate);
            if (address.Equals(Broadcast(net))) break;
            if (_taken.TryAdd(address, peer.Path)) return address;
        }
        peer.Diags.Error(peer.Node, peer.Field("address"), $"no free address left in {net}");
        return null;
    }

    private static byte[] Increment(byte[] b)
    {
        var c = (byte[])b.Clone();
        for (var i = c.Length - 1; i >= 0; i--)
            if (++c[i] != 0) break;
        return c;
    }

    private static IPAddress Broadcast(IPNetwork net)
    {
        var b = net.BaseAddress.GetAddressBytes();
        for (var i = 0; i < b.Length; i++)
        {
            var bits = Math.Clamp(net.PrefixLength - (i * 8), 0, 8);
            b[i] |= (byte)~(0xFF << (8 - bits));
        }
        return new IPAddress(b);
    }
}
