using Difenn.Topology.Loading;

namespace Difenn.Topology.Tests.Loading;

/// <summary>stacks/prod.yaml encodes the design brief's topology exactly.</summary>
public class ProdStackTests
{
    private static Model.Stack Prod()
    {
        var r = StackLoader.Load(StackFiles.ProdPath);
        Assert.True(r.Success, string.Join("\n", r.Diagnostics));
        Assert.Empty(r.Diagnostics);
        return r.Stack!;
    }

    [Fact]
    public void Load_Prod_DnsRecord()
    {
        var s = Prod();
        Assert.Equal(("trevarn.com", "wg.trevarn.com", "51.68.235.106", 300, false), (s.Dns.Zone, s.Dns.Name, s.Dns.Address.ToString(), s.Dns.Ttl, s.Dns.Proxied));
    }

    [Fact]
    public void Load_Prod_HubRelayAndFirewall()
    {
        var hub = Prod().Hub;
        Assert.Equal("hub2", hub.Name);
        Assert.Equal("51.68.235.106", hub.PublicIp.ToString());
        Assert.Equal("10.44.1.214:51820", hub.Relay.Backend.ToString());
        Assert.Equal([(51820, "Difenn WireGuard relay for CT2914"), (443, "Difenn WireGuard relay for LTE (port 443)")], hub.Relay.Listen.Select(l => (l.Port, l.Comment)));
        Assert.Equal("/opt/charliehub", hub.Legacy!.ComposeDir);
        Assert.Equal(["charliehub_difenn_relay", "charliehub_difenn_relay_443"], hub.Legacy.Containers);
    }

    [Fact]
    public void Load_Prod_ServerInCt2914()
    {
        var s = Prod();
        Assert.Equal(("px3", "px3", 2914, "v4-difenn", "10.44.1.214"), (s.Proxmox.Name, s.Proxmox.Ssh.Host, s.Proxmox.ContainerId, s.Proxmox.ContainerName, s.Proxmox.ContainerAddress.ToString()));
        Assert.Equal(("wg0", "10.200.0.1/24", 51820), (s.Server.Interface, s.Server.Address.ToString(), s.Server.ListenPort));
        Assert.Equal("2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=", s.Server.PublicKey.ToBase64());
        Assert.Equal("serverPrivateKey", s.Server.PrivateKey.Name);
    }

    [Fact]
    public void Load_Prod_Xe300Peer()
    {
        var p = Assert.Single(Prod().Peers);
        Assert.Equal("xe300", p.Name);
        Assert.Equal("10.200.0.2", p.Address.ToString());
        Assert.Equal("RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA=", p.PublicKey.ToBase64());
        Assert.Equal(25, p.Keepalive);
        Assert.Equal(("wg.trevarn.com", 51820, (int?)443), (p.Endpoint.Host, p.Endpoint.Port, p.Endpoint.FallbackPort));
        Assert.Equal(["10.200.0.0/24"], p.AllowedIPs.Select(a => a.ToString()));
        Assert.Equal("wg_difenn", p.OpenWrt!.Interface);
        Assert.Equal("10.200.0.2", p.OpenWrt.Ssh.Host);
        Assert.Contains("lte", p.Uplinks);
    }
}
