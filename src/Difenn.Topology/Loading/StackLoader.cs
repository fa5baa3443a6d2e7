using System.Net;
using System.Net.Sockets;
using Difenn.Topology.Model;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;
using Difenn.WireGuard.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Difenn.Topology.Loading;

/// <summary>The outcome of loading a stack file: the model when valid, and every diagnostic.</summary>
/// <param name="Stack">The validated stack; null when any error was found.</param>
/// <param name="Diagnostics">Errors and warnings with file, line and column, in file order.</param>
public sealed record StackLoadResult(Stack? Stack, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>True when the stack loaded without errors.</summary>
    public bool Success => Stack is not null;
}

/// <summary>
/// Loads <c>stacks/&lt;name&gt;.yaml</c> into a validated <see cref="Stack"/>. Every problem is reported at its
/// line and column, all at once; unknown keys are errors. Pure apart from reading the file.
/// </summary>
public static class StackLoader
{
    /// <summary>Reads and loads a stack file.</summary>
    public static StackLoadResult Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new StackLoadResult(null, [Diagnostic.Error(path, 0, 0, "file", $"cannot read: {ex.Message}")]);
        }
        return LoadFromString(text, path);
    }

    /// <summary>Loads a stack from YAML text; <paramref name="fileName"/> is used in diagnostics.</summary>
    public static StackLoadResult LoadFromString(string text, string fileName)
    {
        var diags = new Diagnostics(fileName);
        var stream = new YamlStream();
        try
        {
            if (TooDeep(text) is { } deep)
                return new StackLoadResult(null, [Diagnostic.Error(fileName, (int)deep.Line, (int)deep.Column, "yaml", $"nested more than {MaxDepth} levels deep; a stack file needs a handful")]);
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            return new StackLoadResult(null, [Diagnostic.Error(fileName, (int)ex.Start.Line, (int)ex.Start.Column, "yaml", ex.InnerException?.Message ?? ex.Message)]);
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            return new StackLoadResult(null, [Diagnostic.Error(fileName, 1, 1, "yaml", "a stack file is one YAML mapping (stack:, dns:, hub:, proxmox:, server:, peers:)")]);

        var stack = new StackReader(new YamlNodeReader(root, "", diags), fileName).Read();
        if (stack is not null) StackValidator.Validate(stack, diags);
        var ordered = diags.Items.OrderBy(d => d.Line).ThenBy(d => d.Column).ToList();
        return new StackLoadResult(diags.HasErrors ? null : stack, ordered);
    }

    /// <summary>Deepest nesting of mappings and lists read (a stack file needs 6): deeper input is refused before the recursive node builder could overflow the stack.</summary>
    public const int MaxDepth = 64;

    /// <summary>Where the nesting first goes past <see cref="MaxDepth"/>, or null. Streams the parser's events: no recursion.</summary>
    private static Mark? TooDeep(string text)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart:
                    if (++depth > MaxDepth) return parser.Current.Start;
                    break;
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }
        return null;
    }

    private sealed class StackReader(YamlNodeReader root, string file)
    {
        private readonly Diagnostics _d = root.Diags;

        public Stack? Read()
        {
            var name = root.String("stack");
            var dnsR = root.Mapping("dns");
            var hub = Hub(root.Mapping("hub"));
            var px = Proxmox(root.Mapping("proxmox"));
            var server = Server(root.Mapping("server"));
            var peersNodes = root.Sequence("peers");
            root.Finish();

            DnsSpec? dns = null;
            if (dnsR is not null)
            {
                var zone = dnsR.String("zone", FieldRules.Host);
                var record = dnsR.String("name", FieldRules.Host);
                var ttl = dnsR.Int("ttl", required: false, 1, 86400) ?? 300;
                var proxiedNode = dnsR.Get("proxied", required: false);
                if (proxiedNode is YamlScalarNode { Value: not "false" })
                    _d.Error(proxiedNode, "dns.proxied", "must be false: Cloudflare's proxy does not carry UDP, so WireGuard would break");
                dnsR.Finish();
                if (zone is not null && record is not null && !record.Equals(zone, StringComparison.OrdinalIgnoreCase) && !record.EndsWith("." + zone, StringComparison.OrdinalIgnoreCase))
                    _d.Error(dnsR.Get("name", false), "dns.name", $"'{record}' is not inside zone '{zone}'");
                if (zone is not null && record is not null && hub is not null)
                    dns = new DnsSpec(zone, record, hub.PublicIp, ttl, Proxied: false);
            }

            var peers = new List<PeerSpec>();
            var allocator = server is null ? null : new AddressAllocator(server.Address);
            var pending = new List<(YamlNodeReader R, Func<IPAddress, PeerSpec?> Make)>();
            for (var i = 0; i < peersNodes.Count; i++)
            {
                if (peersNodes[i] is not YamlMappingNode m)
                {
                    _d.Error(peersNodes[i], $"peers[{i}]", "each peer is a mapping (name:, publicKey:, ...)");
                    continue;
                }
                var r = new YamlNodeReader(m, $"peers[{i}]", _d);
                var make = Peer(r, server, allocator);
                if (make is not null) pending.Add((r, make));
            }
            // Peers with explicit addresses claim them first, then the rest are allocated in file order.
            foreach (var (r, make) in pending)
            {
                var address = allocator?.Next(r) ?? null;
                if (address is null) continue;
                var peer = make(address);
                if (peer is not null) peers.Add(peer);
            }

            if (name is null || dns is null || hub is null || px is null || server is null) return null;
            return new Stack(name, file, dns, hub, px, server, peers);
        }

        private HubSpec? Hub(YamlNodeReader? r)
        {
            if (r is null) return null;
            var name = r.String("name", FieldRules.Host);
            var ip = Ip(r, "publicIp", AddressFamily.InterNetwork);
            var ssh = Ssh(r.Mapping("ssh"));
            var relayR = r.Mapping("relay");
            var legacyR = r.Mapping("legacy", required: false);
            r.Finish();

            RelaySpec? relay = null;
            if (relayR is not null)
            {
                var dir = relayR.String("composeDir", FieldRules.AbsolutePath, required: false) ?? (relayR.Get("composeDir", false) is null ? "/opt/difenn-relay" : null);
                var image = relayR.String("image", FieldRules.ImageReference);
                var backendText = relayR.String("backend");
                var metrics = relayR.Int("metricsPortBase", false, 1024, 65000) ?? 9480;
                var listen = new List<RelayListen>();
                foreach (var item in relayR.Sequence("listen"))
                {
                    if (item is not YamlMappingNode lm)
                    {
                        _d.Error(item, relayR.Field("listen"), "each listen entry is a mapping with port: and comment:");
                        continue;
                    }
                    var lr = new YamlNodeReader(lm, relayR.Field("listen[]"), _d);
                    var port = lr.Int("port", true, 1, 65535);
                    var comment = lr.String("comment");
                    lr.Finish();
                    if (comment is not null && (comment.Contains('\'') || comment.Contains('\n')))
                        _d.Error(lm, lr.Field("comment"), "a UFW comment cannot contain quotes or newlines");
                    else if (port is int p && comment is not null)
                    {
                        if (listen.Any(l => l.Port == p)) _d.Error(lm, lr.Field("port"), $"port {p} is listed twice");
                        else listen.Add(new RelayListen(p, comment));
                    }
                }
                relayR.Finish();
                IPEndPoint? backend = null;
                if (backendText is not null && !IPEndPoint.TryParse(backendText, out backend) || backend is { Port: 0 })
                {
                    _d.Error(relayR.Get("backend", false), relayR.Field("backend"), $"'{backendText}' must be address:port, e.g. 10.44.1.214:51820");
                    backend = null;
                }
                if (dir is not null && image is not null && backend is not null && listen.Count > 0)
                    relay = new RelaySpec(dir!, image, listen, backend, metrics);
            }

            LegacyRelaySpec? legacy = null;
            if (legacyR is not null)
            {
                var dir = legacyR.String("composeDir", FieldRules.AbsolutePath);
                var containers = new List<string>();
                foreach (var (c, node) in legacyR.Strings("containers"))
                {
                    if (FieldRules.Host(c) is null) containers.Add(c); // container names: letters, digits, _ . -
                    else _d.Error(node, legacyR.Field("containers"), "must be a container name (letters, digits, '_', '.', '-')");
                }
                legacyR.Finish();
                if (dir is not null) legacy = new LegacyRelaySpec(dir, containers);
            }
            return name is null || ip is null || ssh is null || relay is null ? null : new HubSpec(name, ip, ssh, relay, legacy);
        }

        private ProxmoxSpec? Proxmox(YamlNodeReader? r)
        {
            if (r is null) return null;
            var name = r.String("name", FieldRules.Host);
            var ssh = Ssh(r.Mapping("ssh"));
            var ct = r.Mapping("container");
            r.Finish();
            if (ct is null) return null;
            var id = ct.Int("id", true, 100, 999_999_999);
            var ctName = ct.String("name", FieldRules.Host);
            var address = Ip(ct, "address", null);
            ct.Finish();
            return name is null || ssh is null || id is null || ctName is null || address is null ? null : new ProxmoxSpec(name, ssh, id.Value, ctName, address);
        }

        private ServerSpec? Server(YamlNodeReader? r)
        {
            if (r is null) return null;
            var iface = r.String("interface", FieldRules.InterfaceName, required: false) ?? (r.Get("interface", false) is null ? "wg0" : null);
            var address = Prefix(r, "address");
            var port = r.Int("listenPort", false, 1, 65535) ?? 51820;
            var pub = PublicKey(r, "publicKey");
            var previous = new List<WireGuardPublicKey>();
            foreach (var (text, node) in r.Strings("previousPublicKeys", required: false))
            {
                if (!WireGuardPublicKey.TryParse(text, out var k, out var err)) _d.Error(node, "server.previousPublicKeys", err);
                else if (k == pub) _d.Error(node, "server.previousPublicKeys", "this is the current server.publicKey; list only keys the server had before");
                else previous.Add(k);
            }
            var secrets = r.Mapping("secrets");
            r.Finish();
            var priv = secrets is null ? null : Secret(secrets, "privateKey", true);
            secrets?.Finish();
            if (address is not null && address.PrefixLength == (address.Address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
                _d.Error(r.Get("address", false), "server.address", $"'{address}' needs the subnet length, e.g. 10.200.0.1/24");
            return iface is null || address is null || pub is null || priv is null ? null : new ServerSpec(iface, address, port, pub, priv, previous);
        }

        private Func<IPAddress, PeerSpec?>? Peer(YamlNodeReader r, ServerSpec? server, AddressAllocator? allocator)
        {
            var name = r.String("name");
            var addressNode = r.Get("address", required: false);
            var pub = PublicKey(r, "publicKey");
            var keepalive = r.Int("keepalive", false, 0, 65535) ?? 0;
            var uplinks = r.Strings("uplinks", required: false);
            var epR = r.Mapping("endpoint");
            var allowed = r.Strings("allowedIPs", required: false);
            var secrets = r.Mapping("secrets", required: false);
            var owR = r.Mapping("openwrt", required: false);
            r.Finish();

            if (name is not null && !System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z][a-z0-9-]{0,30}$"))
                _d.Error(r.Get("name", false), r.Field("name"), $"'{name}' must be lowercase letters, digits and dashes, starting with a letter");
            foreach (var (u, node) in uplinks)
                if (u is not ("ethernet" or "lte" or "wifi"))
                    _d.Error(node, r.Field("uplinks"), $"unknown uplink '{u}'; use ethernet, lte or wifi");
            if (uplinks.Any(u => u.Value == "lte") && keepalive == 0)
                _d.Error(r.Get("keepalive", false) ?? r.Node, r.Field("keepalive"), "a peer behind LTE (carrier NAT) needs keepalive (25): without it the NAT mapping expires and the server cannot reach it");

            PeerEndpointSpec? endpoint = null;
            if (epR is not null)
            {
                var host = epR.String("host", FieldRules.Host);
                var port = epR.Int("port", false, 1, 65535) ?? 51820;
                var fallback = epR.Int("fallbackPort", false, 1, 65535);
                epR.Finish();
                if (host is not null) endpoint = new PeerEndpointSpec(host, port, fallback);
            }

            var allowedIps = new List<IpPrefix>();
            foreach (var (a, node) in allowed)
            {
                if (IpPrefix.TryParse(a, out var p, out var err)) allowedIps.Add(p);
                else _d.Error(node, r.Field("allowedIPs"), err);
            }
            if (allowed.Count == 0 && server is not null) allowedIps.Add(new IpPrefix(server.Address.Network.BaseAddress, server.Address.PrefixLength));

            SecretRef? priv = null, psk = null;
            if (secrets is not null)
            {
                priv = Secret(secrets, "privateKey", false);
                psk = Secret(secrets, "presharedKey", false);
                secrets.Finish();
            }

            OpenWrtSpec? openwrt = null;
            if (owR is not null)
            {
                var iface = owR.String("interface");
                var rollback = owR.Int("rollbackSeconds", false, 30, 3600) ?? 120;
                var ssh = Ssh(owR.Mapping("ssh"));
                owR.Finish();
                if (iface is not null && !System.Text.RegularExpressions.Regex.IsMatch(iface, "^[A-Za-z0-9_]{1,15}$"))
                    _d.Error(owR.Get("interface", false), owR.Field("interface"), "an OpenWrt interface name is letters, digits and underscores (max 15)");
                if (priv is null)
                    _d.Error(owR.Node, owR.Field(""), "an OpenWrt peer's config is rendered by us, so it needs secrets.privateKey");
                if (iface is not null && ssh is not null) openwrt = new OpenWrtSpec(iface, ssh, rollback);
            }

            if (addressNode is not null)
                allocator?.Claim(r, addressNode);
            if (name is null || pub is null || endpoint is null) return null;
            return address => new PeerSpec(name, address, pub, priv, psk, keepalive, uplinks.Select(u => u.Value).ToList(), endpoint, allowedIps, openwrt);
        }

        private SshSpec? Ssh(YamlNodeReader? r)
        {
            if (r is null) return null;
            var host = r.String("host", FieldRules.Host);
            var port = r.Int("port", false, 1, 65535) ?? 22;
            var user = r.String("user", FieldRules.User, required: false) ?? (r.Get("user", false) is null ? "root" : null);
            var keys = r.Strings("hostKeys", required: false).Select(k => k.Value).ToList();
            var via = r.String("via", required: false);
            r.Finish();
            return host is null || user is null ? null : new SshSpec(host, port, user, keys, via);
        }

        private SecretRef? Secret(YamlNodeReader r, string key, bool required)
        {
            var name = r.String(key, required);
            if (name is null) return null;
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z][A-Za-z0-9]{0,63}$"))
            {
                // Never echo the value: it may be the secret itself, pasted by mistake.
                _d.Error(r.Get(key, false), r.Field(key), "must be a secret's name (letters and digits, e.g. serverPrivateKey), never the secret itself");
                return null;
            }
            return new SecretRef(name);
        }

        private IPAddress? Ip(YamlNodeReader r, string key, AddressFamily? family)
        {
            var text = r.String(key);
            if (text is null) return null;
            if (IPAddress.TryParse(text, out var ip) && (family is null || ip.AddressFamily == family)) return ip;
            _d.Error(r.Get(key, false), r.Field(key), $"'{text}' is not an {(family == AddressFamily.InterNetwork ? "IPv4 " : "IP ")}address");
            return null;
        }

        private IpPrefix? Prefix(YamlNodeReader r, string key)
        {
            var text = r.String(key);
            if (text is null) return null;
            if (IpPrefix.TryParse(text, out var p, out var err)) return p;
            _d.Error(r.Get(key, false), r.Field(key), err);
            return null;
        }

        private WireGuardPublicKey? PublicKey(YamlNodeReader r, string key)
        {
            var text = r.String(key);
            if (text is null) return null;
            if (WireGuardPublicKey.TryParse(text, out var k, out var err)) return k;
            _d.Error(r.Get(key, false), r.Field(key), err);
            return null;
        }
    }
}
