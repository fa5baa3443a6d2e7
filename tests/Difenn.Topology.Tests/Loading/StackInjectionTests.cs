using Difenn.Topology.Loading;
using Difenn.WireGuard.Validation;

namespace Difenn.Topology.Tests.Loading;

/// <summary>
/// Free-text stack fields reach scripts run as root, ssh exec lines and compose YAML: a hostile or careless value is
/// refused at load time, at its line, naming the field, without repeating the value (issue 12).
/// </summary>
public class StackInjectionTests
{
    public static TheoryData<string, string, string> Hostile => new()
    {
        { "  interface: wg0\n", "  interface: 'wg0;touch${IFS}pwned'\n", "server.interface" },
        { "  interface: wg0\n", "  interface: '-wg0'\n", "server.interface" },
        { "        host: 10.200.0.2", "        host: '10.200.0.2;id'", "peers[0].openwrt.ssh.host" },
        { "        user: root", "        user: 'root@x;id'", "peers[0].openwrt.ssh.user" },
        { "    host: px3\n", "    host: '-oProxyCommand=id'\n", "proxmox.ssh.host" },
        { "image: difenn-relay:0.1.0", "image: \"difenn-relay:0.1.0\\n    privileged: true\"", "hub.relay.image" },
        { "image: difenn-relay:0.1.0", "image: 'difenn-relay:0.1.0 privileged'", "hub.relay.image" },
        { "composeDir: /opt/charliehub", "composeDir: '/opt/charlie$(id)hub'", "hub.legacy.composeDir" },
        { "composeDir: /opt/charliehub", "composeDir: \"/opt/charliehub\\nx\"", "hub.legacy.composeDir" },
        { "composeDir: /opt/difenn-relay", "composeDir: /opt/../etc", "hub.relay.composeDir" },
        { "charliehub_difenn_relay_443]", "'charliehub;id']", "hub.legacy.containers" },
        { "    name: v4-difenn", "    name: 'v4-difenn`id`'", "proxmox.container.name" },
        { "      host: wg.trevarn.com", "      host: \"wg.trevarn.com\\nx\"", "peers[0].endpoint.host" },
        { "      host: wg.trevarn.com", "      host: '{{difenn-secret:serverPrivateKey}}'", "peers[0].endpoint.host" },
        { "comment: Difenn WireGuard relay for CT2914", "comment: 'x {{difenn-secret:serverPrivateKey}}'", "hub.relay.listen[].comment" },
        { "  name: hub2\n", "  name: '../../tmp/x'\n", "hub.name" }, // names become directories under plan --out
        { "  name: wg.trevarn.com ", "  name: '{{DIFENN-SECRET:serverPrivateKey}}' ", "dns.name" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Load_HostileFreeTextValue_OneErrorAtItsLineWithoutTheValue(string find, string replace, string field)
    {
        var yaml = StackFiles.ProdWith(find, replace);
        var r = StackLoader.LoadFromString(yaml, "stacks/test.yaml");
        Assert.False(r.Success);
        var errors = r.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var d = Assert.Single(errors, e => e.Field == field);
        Assert.Equal(StackFiles.LineOf(yaml, replace.Trim().Split('\n')[0]), d.Line);
        var value = replace[(replace.IndexOf(':') + 1)..].Trim().Trim('\'', '"', ']');
        Assert.DoesNotContain(value, d.ToString());
    }

    public static TheoryData<string, string> Acceptable => new()
    {
        { "image: difenn-relay:0.1.0", "image: ghcr.io/example/difenn-relay:0.1.0@sha256:" + new string('a', 64) },
        { "image: difenn-relay:0.1.0", "image: registry.local:5000/difenn-relay" },
        { "  interface: wg0\n", "  interface: wg_difenn.1\n" },
        { "    host: px3\n", "    host: px3-suzuka.lan\n" },
        { "    host: px3\n", "    host: '2001:db8::1'\n" },
        { "        user: root", "        user: deploy_user" },
    };

    [Theory]
    [MemberData(nameof(Acceptable))]
    public void Load_OrdinaryValues_StillAccepted(string find, string replace)
    {
        var r = StackLoader.LoadFromString(StackFiles.ProdWith(find, replace), "stacks/test.yaml");
        Assert.True(r.Success, string.Join("\n", r.Diagnostics));
    }

    [Theory]
    [InlineData(40_000, true)]
    [InlineData(40_000, false)]
    public void Load_NestedFortyThousandDeep_CleanErrorNoStackOverflow(int depth, bool flow)
    {
        var yaml = flow
            ? "stack: " + new string('[', depth) + new string(']', depth) + "\n"
            : "stack:\n" + string.Concat(Enumerable.Range(1, depth).Select(i => new string(' ', i) + "- \n"));
        var r = StackLoader.LoadFromString(yaml, "stacks/test.yaml");
        Assert.False(r.Success);
        var d = Assert.Single(r.Diagnostics);
        Assert.Contains($"more than {StackLoader.MaxDepth} levels", d.Message);
    }
}
