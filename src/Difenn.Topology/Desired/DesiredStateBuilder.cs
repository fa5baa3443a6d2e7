using Difenn.Topology.Model;

namespace Difenn.Topology.Desired;

/// <summary>
/// Computes the <see cref="DesiredState"/> of a validated <see cref="Stack"/>. Pure and deterministic: the same
/// stack always gives the same state, byte for byte; no I/O; no secret values (only markers).
/// </summary>
public static class DesiredStateBuilder
{
    /// <summary>Builds the desired state: hub, then server, then each managed peer; DNS independent.</summary>
    public static DesiredState Build(Stack stack)
    {
        var hosts = new List<HostState> { HubRenderer.Render(stack), ServerRenderer.Render(stack) };
        hosts.AddRange(stack.Peers.Where(p => p.OpenWrt is not null).Select(p => OpenWrtRenderer.Render(stack, p)));
        var dns = new DnsRecordSpec(stack.Dns.Zone, stack.Dns.Name, "A", stack.Dns.Address.ToString(), stack.Dns.Ttl, Proxied: false);
        return new DesiredState(stack.Name, dns, hosts);
    }
}
