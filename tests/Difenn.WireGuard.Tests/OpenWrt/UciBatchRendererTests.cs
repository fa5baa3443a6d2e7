using Difenn.WireGuard.Config;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;
using Difenn.WireGuard.OpenWrt;

namespace Difenn.WireGuard.Tests.OpenWrt;

public class UciBatchRendererTests
{
    private static UciWireGuardInterface Xe300(string? description = "Difenn server") => new(
        "wg_difenn",
        WireGuardPrivateKey.Generate(),
        [IpPrefix.Parse("10.200.0.2/24")],
        null,
        [new UciWireGuardPeer("wg_difenn_server", WireGuardPrivateKey.Generate().PublicKey, null, "wg.trevarn.com", 51820, 25,
            [IpPrefix.Parse("10.200.0.0/24")], true, description)]);

    [Fact]
    public void Render_Xe300_HasEveryOption()
    {
        var iface = Xe300();
        var batch = UciBatchRenderer.Render(iface);
        var peer = iface.Peers[0];
        Assert.Contains("set network.wg_difenn=interface\n", batch);
        Assert.Contains("set network.wg_difenn.proto='wireguard'\n", batch);
        Assert.Contains($"set network.wg_difenn.private_key='{iface.PrivateKey.RevealBase64()}'\n", batch);
        Assert.Contains("add_list network.wg_difenn.addresses='10.200.0.2/24'\n", batch);
        Assert.Contains("set network.wg_difenn_server=wireguard_wg_difenn\n", batch);
        Assert.Contains($"set network.wg_difenn_server.public_key='{peer.PublicKey}'\n", batch);
        Assert.Contains("set network.wg_difenn_server.endpoint_host='wg.trevarn.com'\n", batch);
        Assert.Contains("set network.wg_difenn_server.endpoint_port='51820'\n", batch);
        Assert.Contains("set network.wg_difenn_server.persistent_keepalive='25'\n", batch);
        Assert.Contains("add_list network.wg_difenn_server.allowed_ips='10.200.0.0/24'\n", batch);
        Assert.Contains("set network.wg_difenn_server.route_allowed_ips='1'\n", batch);
        Assert.DoesNotContain("listen_port", batch);
    }

    [Fact]
    public void Render_EverySection_DeletedBeforeRebuiltSoReapplyIsIdempotent()
    {
        var lines = UciBatchRenderer.Render(Xe300()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var section in new[] { "network.wg_difenn", "network.wg_difenn_server" })
        {
            var delete = Array.IndexOf(lines, $"delete {section}");
            var firstUse = Array.FindIndex(lines, l => l.StartsWith($"set {section}=", StringComparison.Ordinal));
            Assert.True(delete >= 0 && delete < firstUse, $"{section} must be deleted before it is rebuilt");
            // every list option of the section is rebuilt after the delete, so applying twice cannot duplicate it
            Assert.All(lines.Select((l, i) => (l, i)).Where(x => x.l.StartsWith($"add_list {section}.", StringComparison.Ordinal)), x => Assert.True(x.i > delete));
        }
    }

    [Fact]
    public void Render_QuoteInValue_EscapedForUci()
    {
        var batch = UciBatchRenderer.Render(Xe300(description: "it's ours"));
        Assert.Contains("set network.wg_difenn_server.description='it'\\''s ours'\n", batch);
    }

    [Fact]
    public void Render_NewlineInValue_Rejected()
    {
        Assert.Throws<ArgumentException>(() => UciBatchRenderer.Render(Xe300(description: "a\nset network.lan.proto='none'")));
    }

    [Fact]
    public void Render_BadSectionName_Rejected()
    {
        Assert.Throws<ArgumentException>(() => UciBatchRenderer.Render(Xe300() with { Name = "wg-difenn" }));
    }

    [Fact]
    public void FromWgQuick_ClientConfig_MapsEndpointAndKeepalive()
    {
        var config = new WgQuickConfig(
            new InterfaceSection { PrivateKey = WireGuardPrivateKey.Generate(), Addresses = [IpPrefix.Parse("10.200.0.2/24")] },
            [new PeerSection { PublicKey = WireGuardPrivateKey.Generate().PublicKey, Endpoint = new Endpoint("wg.trevarn.com", 443), PersistentKeepalive = 25, AllowedIPs = [IpPrefix.Parse("10.200.0.0/24")], Comment = "server" }]);
        var uci = UciBatchRenderer.FromWgQuick(config, "wg_difenn");
        Assert.Equal("wg_difenn_server", uci.Peers[0].SectionName);
        Assert.Equal(443, uci.Peers[0].EndpointPort);
        Assert.Contains("endpoint_port='443'", UciBatchRenderer.Render(uci));
    }
}
