using Difenn.Operations.Live;
using Difenn.WireGuard.OpenWrt;

namespace Difenn.Operations.Tests.Live;

public class ProbeParsingTests
{
    [Fact]
    public void ParseRule_UfwShowAddedLines_ActionSpecComment()
    {
        var r = HubProbe.ParseRule("ufw allow 443/udp comment 'Difenn WireGuard relay for LTE (port 443)'");
        Assert.Equal(("allow", "443/udp", "Difenn WireGuard relay for LTE (port 443)", 443, "udp"), (r.Action, r.Spec, r.Comment, r.Port, r.Protocol));
        var other = HubProbe.ParseRule("ufw allow from 10.0.0.0/8 to any port 22 proto tcp");
        Assert.Null(other.Comment);
        Assert.Null(other.Port);
    }

    [Fact]
    public void ParseInspect_DockerJson_FieldsAndMissingHealth()
    {
        var c = HubProbe.ParseInspect("""
            [{"Name": "/difenn_relay_443", "Config": {"Image": "difenn-relay:0.1.0", "Cmd": ["--listen", "443"]},
              "State": {"Running": true, "Health": {"Status": "healthy"}}, "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}, "NetworkMode": "host"}},
             {"Name": "/old", "Config": {"Image": "alpine/socat", "Cmd": null}, "State": {"Running": false}, "HostConfig": {"RestartPolicy": {"Name": "no"}, "NetworkMode": "host"}}]
            """);
        Assert.Equal(["--listen", "443"], c["difenn_relay_443"].Command);
        Assert.Equal("healthy", c["difenn_relay_443"].Health);
        Assert.Empty(c["old"].Command);
        Assert.Null(c["old"].Health);
        Assert.False(c["old"].Running);
        Assert.Empty(HubProbe.ParseInspect("[]"));
    }

    [Fact]
    public void Parse_HubProbeOutput_PortHoldersAndUfw()
    {
        var live = HubProbe.Parse("""
            @@difenn:ufw-status
            Status: active
            @@difenn:ufw-added
            Added user rules (see 'ufw status' for running firewall):
            ufw allow 51820/udp comment 'Difenn WireGuard relay for CT2914'
            @@difenn:docker
            @@difenn:ss
            UNCONN 0      0            0.0.0.0:51820      0.0.0.0:*    users:(("socat",pid=7,fd=5))
            @@difenn:files
            0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  /opt/difenn-relay/compose.yaml
            """, [51820, 443]);
        Assert.True(live.Ufw.Active);
        Assert.Single(live.Ufw.Rules);
        Assert.False(live.DockerAvailable);
        Assert.Equal(["socat"], live.PortHolders[51820]);
        Assert.Empty(live.PortHolders[443]);
        // sha256sum's line for each file it read; the keys file it could not read is simply absent.
        Assert.Equal(new Dictionary<string, string> { ["/opt/difenn-relay/compose.yaml"] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }, live.FileSha256);
    }

    [Fact]
    public void ScriptSections_MarkersSplitOutput_EmptySectionsKept()
    {
        var s = ScriptSections.Parse("noise\n@@difenn:a\none\ntwo\n@@difenn:b\n@@difenn:c\nx\n");
        Assert.Equal("one\ntwo\n", s["a"]);
        Assert.Equal("", s["b"]);
        Assert.Equal("x\n", s["c"]);
        Assert.False(s.ContainsKey("noise"));
    }

    [Fact]
    public void UciExport_QuotingListsAnonymousSections()
    {
        var sections = UciExportParser.Parse("""
            package network

            config interface 'wg_difenn'
            	option proto 'wireguard'
            	option private_key '(hidden)'
            	list addresses '10.200.0.2/24'
            	list addresses "fd00::2/64"

            config wireguard_wg_difenn 'wg_difenn_server'
            	option description 'it'\''s the server'
            	option endpoint_port 51820

            config route
            	option target 10.0.0.0/8
            """);
        Assert.Equal(3, sections.Count);
        Assert.Equal(["10.200.0.2/24", "fd00::2/64"], sections[0].List("addresses"));
        Assert.Equal("it's the server", sections[1].Option("description"));
        Assert.Equal("51820", sections[1].Option("endpoint_port"));
        Assert.Null(sections[2].Name);
        Assert.Throws<FormatException>(() => UciExportParser.Parse("config interface 'x\n"));
    }

    [Fact]
    public void ShellWords_QuotesAndEscapes()
    {
        Assert.Equal(["ufw", "allow", "1/udp", "comment", "a 'b' \"c\""], ShellWords.Split("ufw allow 1/udp comment 'a '\\''b'\\'' \"c\"'"));
        Assert.Equal(["x y", "z"], ShellWords.Split("\"x y\" z"));
        Assert.Throws<FormatException>(() => ShellWords.Split("'open"));
    }
}
