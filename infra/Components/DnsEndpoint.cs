using Difenn.Topology.Desired;
using Pulumi;
using Pulumi.Cloudflare;

namespace Difenn.Infra.Components;

/// <summary>The Cloudflare A record peers connect to (<c>difenn:index:DnsEndpoint</c>). Always DNS-only: proxying breaks UDP.</summary>
public sealed class DnsEndpoint : ComponentResource
{
    /// <summary>Declares the record.</summary>
    public DnsEndpoint(string name, DnsRecordSpec spec, Input<string> zoneId, ComponentResourceOptions? options = null)
        : base("difenn:index:DnsEndpoint", name, options)
    {
        if (spec.Proxied) throw new InvalidOperationException("a WireGuard endpoint must not be proxied (UDP)");
        Record = new DnsRecord($"{name}-record", new DnsRecordArgs
        {
            ZoneId = zoneId,
            Name = spec.Name,
            Type = spec.Type,
            Content = spec.Content,
            Ttl = spec.Ttl,
            Proxied = false,
            Comment = "Difenn WireGuard endpoint (managed by Difenn.Infra; DNS-only: UDP)",
        }, new CustomResourceOptions { Parent = this });
        Hostname = Output.Create(spec.Name);
        RegisterOutputs(new Dictionary<string, object?> { ["hostname"] = Hostname, ["address"] = spec.Content });
    }

    /// <summary>The record resource.</summary>
    public DnsRecord Record { get; }

    /// <summary>The record's name.</summary>
    public Output<string> Hostname { get; }
}
