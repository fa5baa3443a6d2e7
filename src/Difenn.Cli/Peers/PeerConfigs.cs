using Difenn.Topology.Desired;
using Difenn.Topology.Model;
using Difenn.Topology.Secrets;

namespace Difenn.Cli.Peers;

/// <summary>The text a new device needs, its secrets filled in from <c>secrets</c>.</summary>
internal static class PeerConfigs
{
    /// <summary>A client's wg-quick config, or an OpenWrt router's uci apply script (the same one `pulumi up` runs, to run once at its console).</summary>
    public static string Render(Stack stack, PeerSpec peer, ISecretSource secrets) => peer.OpenWrt is null
        ? ClientConfigRenderer.Render(stack, peer).Reveal(secrets)
        : DesiredStateBuilder.Build(stack).Hosts.Single(h => h.Role == "openwrt-peer" && h.Name == peer.Name).Commands.Single().Create.Reveal(secrets);
}
