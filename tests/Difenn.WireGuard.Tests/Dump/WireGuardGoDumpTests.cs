using Difenn.Testing.Network;
using Difenn.Testing.WireGuard;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.Dump;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;

namespace Difenn.WireGuard.Tests.Dump;

/// <summary>Dumps produced by a real wireguard-go interface in a network namespace, configured from our writer.</summary>
public class WireGuardGoDumpTests
{
    [Fact]
    public async Task Parse_DumpOfInterfaceConfiguredWithOurStrippedConfig_MatchesConfig()
    {
        await using var ns = await NetworkNamespace.CreateAsync("dump");
        var wg = await WireGuardGoInterface.StartAsync(ns);
        var config = new WgQuickConfig(
            new InterfaceSection { PrivateKey = WireGuardPrivateKey.Generate(), ListenPort = 51820, FwMark = "0x20", Addresses = [IpPrefix.Parse("10.200.0.1/24")] },
            [
                new PeerSection { PublicKey = WireGuardPrivateKey.Generate().PublicKey, PresharedKey = WireGuardPresharedKey.Generate(), AllowedIPs = [IpPrefix.Parse("10.200.0.2/32"), IpPrefix.Parse("fd00::2/128")], PersistentKeepalive = 25, Endpoint = new Endpoint("192.0.2.7", 443) },
                new PeerSection { PublicKey = WireGuardPrivateKey.Generate().PublicKey },
            ]);
        await wg.SetConfAsync(WgQuickWriter.WriteStripped(config));

        var dump = WgDumpParser.Parse(await wg.DumpAsync());

        Assert.Equal(config.Interface.PrivateKey, dump.Interface.PrivateKey);
        Assert.Equal(config.Interface.PrivateKey!.PublicKey, dump.Interface.PublicKey);
        Assert.Equal(51820, dump.Interface.ListenPort);
        Assert.Equal(0x20u, dump.Interface.FwMark);
        Assert.Equal(2, dump.Peers.Count);
        var xe = dump.Peers.Single(p => p.PublicKey == config.Peers[0].PublicKey);
        Assert.Equal(config.Peers[0].PresharedKey, xe.PresharedKey);
        Assert.Equal(["10.200.0.2/32", "fd00::2/128"], xe.AllowedIPs.Select(a => a.ToString()));
        Assert.Equal(25, xe.PersistentKeepalive);
        Assert.Equal("192.0.2.7:443", xe.Endpoint!.ToString());
        var bare = dump.Peers.Single(p => p.PublicKey == config.Peers[1].PublicKey);
        Assert.Null(bare.PresharedKey);
        Assert.Null(bare.Endpoint);
        Assert.Empty(bare.AllowedIPs);
        Assert.Null(bare.PersistentKeepalive);
        Assert.Null(bare.LatestHandshake);
    }

    [Fact]
    public async Task Parse_DumpAfterRealHandshake_HasHandshakeTimeAndTraffic()
    {
        await using var server = await NetworkNamespace.CreateAsync("dsrv");
        await using var client = await NetworkNamespace.CreateAsync("dcli");
        await VethPair.ConnectAsync(server, "192.168.77.1/24", client, "192.168.77.2/24");
        var sw = await WireGuardGoInterface.StartAsync(server);
        var cw = await WireGuardGoInterface.StartAsync(client);
        var sk = WireGuardPrivateKey.Generate();
        var ck = WireGuardPrivateKey.Generate();
        await sw.SetConfAsync(WgQuickWriter.WriteStripped(new WgQuickConfig(
            new InterfaceSection { PrivateKey = sk, ListenPort = 51820 },
            [new PeerSection { PublicKey = ck.PublicKey, AllowedIPs = [IpPrefix.Parse("10.99.0.2/32")] }])));
        await cw.SetConfAsync(WgQuickWriter.WriteStripped(new WgQuickConfig(
            new InterfaceSection { PrivateKey = ck },
            [new PeerSection { PublicKey = sk.PublicKey, AllowedIPs = [IpPrefix.Parse("10.99.0.0/24")], Endpoint = new Endpoint("192.168.77.1", 51820), PersistentKeepalive = 1 }])));
        await sw.UpAsync("10.99.0.1/24");
        await cw.UpAsync("10.99.0.2/24");
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);

        await client.ExecAsync("ping", "-c", "2", "-W", "5", "10.99.0.1");

        var peer = Assert.Single(WgDumpParser.Parse(await sw.DumpAsync()).Peers);
        Assert.NotNull(peer.LatestHandshake);
        Assert.True(peer.LatestHandshake >= before, $"handshake {peer.LatestHandshake} is older than the test");
        Assert.True(peer.ReceivedBytes > 0 && peer.SentBytes > 0);
        Assert.Equal("192.168.77.2", peer.Endpoint!.Host);
    }
}
