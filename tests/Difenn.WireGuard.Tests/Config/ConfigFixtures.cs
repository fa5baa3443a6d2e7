using Difenn.WireGuard.Config;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;

namespace Difenn.WireGuard.Tests.Config;

/// <summary>Configs built at test time (keys generated now: none is ever committed).</summary>
internal static class ConfigFixtures
{
    public static WgQuickConfig Server(int peers = 1, WireGuardPrivateKey? key = null) => new(
        new InterfaceSection
        {
            PrivateKey = key ?? WireGuardPrivateKey.Generate(),
            ListenPort = 51820,
            Addresses = [IpPrefix.Parse("10.200.0.1/24")],
        },
        Enumerable.Range(0, peers).Select(i => new PeerSection
        {
            PublicKey = WireGuardPrivateKey.Generate().PublicKey,
            AllowedIPs = [IpPrefix.Parse($"10.200.0.{i + 2}/32")],
            PersistentKeepalive = 25,
            Comment = i == 0 ? "XE300" : null,
        }).ToList());

    public static WgQuickConfig Everything() => new(
        new InterfaceSection
        {
            PrivateKey = WireGuardPrivateKey.Generate(),
            ListenPort = 51820,
            FwMark = "0x1234",
            Addresses = [IpPrefix.Parse("10.200.0.1/24"), IpPrefix.Parse("fd00:200::1/64")],
            Dns = ["10.200.0.1", "lan"],
            Mtu = 1420,
            Table = "off",
            PreUp = ["true pre-up"],
            PostUp = ["true post-up 1", "true post-up 2"],
            PreDown = ["true pre-down"],
            PostDown = ["true post-down"],
            SaveConfig = false,
        },
        [
            new PeerSection
            {
                PublicKey = WireGuardPrivateKey.Generate().PublicKey,
                PresharedKey = WireGuardPresharedKey.Generate(),
                AllowedIPs = [IpPrefix.Parse("10.200.0.2/32"), IpPrefix.Parse("fd00:200::2/128")],
                Endpoint = new Endpoint("wg.example.test", 443),
                PersistentKeepalive = 25,
                Comment = "XE300",
            },
            new PeerSection
            {
                PublicKey = WireGuardPrivateKey.Generate().PublicKey,
                AllowedIPs = [IpPrefix.Parse("10.200.0.3/32")],
                Endpoint = new Endpoint("fd00::7", 51820),
            },
        ]);
}
