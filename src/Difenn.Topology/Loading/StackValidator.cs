using Difenn.Topology.Model;

namespace Difenn.Topology.Loading;

/// <summary>
/// Checks across sections of a stack that no single field can show: the relay must point at the server, every
/// port a peer uses must be open on the hub, names and keys must be unique, jump hosts must exist.
/// </summary>
internal static class StackValidator
{
    public static void Validate(Stack stack, Diagnostics d)
    {
        var relay = stack.Hub.Relay;
        var expectedBackend = $"{stack.Proxmox.ContainerAddress}:{stack.Server.ListenPort}";
        if (relay.Backend.ToString() != expectedBackend)
            d.Error(d.At("hub.relay.backend"), "hub.relay.backend", $"the relay forwards to {relay.Backend}, but the server listens on {expectedBackend} (proxmox.container.address : server.listenPort)");

        var openPorts = relay.Listen.Select(l => l.Port).ToHashSet();
        var names = new Dictionary<string, int>();
        for (var i = 0; i < stack.Peers.Count; i++)
        {
            var p = stack.Peers[i];
            var f = $"peers[{i}]";
            if (!openPorts.Contains(p.Endpoint.Port))
                d.Error(d.At($"{f}.endpoint.port") ?? d.At($"{f}.endpoint"), $"{f}.endpoint.port", $"port {p.Endpoint.Port} is not a relay port on {stack.Hub.Name}; the firewall opens only {string.Join(", ", openPorts)} (hub.relay.listen)");
            if (p.Endpoint.FallbackPort is int fb && !openPorts.Contains(fb))
                d.Error(d.At($"{f}.endpoint.fallbackPort"), $"{f}.endpoint.fallbackPort", $"fallback port {fb} is not opened by the firewall on {stack.Hub.Name}; add it to hub.relay.listen or remove it");
            if (!p.Endpoint.Host.Equals(stack.Dns.Name, StringComparison.OrdinalIgnoreCase) && p.Endpoint.Host != stack.Hub.PublicIp.ToString())
                d.Warning(d.At($"{f}.endpoint.host"), $"{f}.endpoint.host", $"'{p.Endpoint.Host}' is neither {stack.Dns.Name} nor the hub's IP");
            if (names.TryGetValue(p.Name, out var first))
                d.Error(d.At($"{f}.name"), $"{f}.name", $"peer name '{p.Name}' is already used by peers[{first}]");
            else
                names[p.Name] = i;
            if (p.PublicKey == stack.Server.PublicKey)
                d.Error(d.At($"{f}.publicKey"), $"{f}.publicKey", "a peer has the server's own public key");
            for (var j = 0; j < i; j++)
                if (stack.Peers[j].PublicKey == p.PublicKey)
                    d.Error(d.At($"{f}.publicKey"), $"{f}.publicKey", $"the same public key as peers[{j}] ({stack.Peers[j].Name})");
            foreach (var a in p.AllowedIPs.Where(a => !stack.Server.Address.Contains(a)))
                d.Warning(d.At($"{f}.allowedIPs"), $"{f}.allowedIPs", $"{a} is outside the VPN subnet {stack.Server.Address.Network}: traffic for it will be routed into the tunnel");
            if (p.OpenWrt?.Ssh.Via is { } via && via != stack.Hub.Name && via != stack.Proxmox.Name)
                d.Error(d.At($"{f}.openwrt.ssh.via"), $"{f}.openwrt.ssh.via", $"unknown host '{via}'; use {stack.Hub.Name} or {stack.Proxmox.Name}");
        }
        if (stack.Peers.Count == 0)
            d.Warning(d.At("peers"), "peers", "no peers: the server will accept nobody");
    }
}
