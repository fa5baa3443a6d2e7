using System.CommandLine;
using System.Net;
using Difenn.Cli.Infrastructure;
using Difenn.Cli.Stacks;
using Difenn.Operations.Peers;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Net;

namespace Difenn.Cli.Peers;

/// <summary><c>difenn peer add|remove|show</c>: a device joins or leaves the VPN in one command.</summary>
public static class PeerCommand
{
    /// <summary>Creates the <c>peer</c> command and its subcommands.</summary>
    public static Command Create(CliConsole console)
    {
        var peer = new Command("peer", """
            Add, remove and show the VPN's peers. The stack file is edited as text (comments and layout kept) and
            re-validated before it is replaced; the server follows at the next `pulumi up`.

            Examples:
              difenn peer add phone --stack prod --secrets-dir ~/.difenn/secrets --qr
              difenn peer add laptop --kind laptop --address 10.200.0.20 --pulumi-stack prod --out laptop.conf
              difenn peer show
              difenn peer show phone --qr --secrets-dir ~/.difenn/secrets
              difenn peer remove phone
            """);
        peer.Subcommands.Add(Add(console));
        peer.Subcommands.Add(Remove(console));
        peer.Subcommands.Add(Show(console));
        return peer;
    }

    private static Command Add(CliConsole console)
    {
        var stack = new StackOptions();
        var output = new ConfigOutputOptions();
        var json = JsonOutput.CreateOption();
        var name = new Argument<string>("NAME") { Description = "The new peer's name: lowercase letters, digits, dashes (e.g. phone, alice-laptop)." };
        var kind = new Option<PeerKind>("--kind") { Description = "phone or laptop (a client the project does not reach: you get its wg-quick config), or openwrt (another router managed like the XE300: you get its first uci apply script). Default: phone.", DefaultValueFactory = _ => PeerKind.Phone };
        var address = new Option<string?>("--address") { Description = "Its VPN address; must be inside the server's subnet and free. Default: the lowest free address." };
        var keepalive = new Option<int>("--keepalive") { Description = "PersistentKeepalive seconds, 0 for off. Default 25 (phones and routers sit behind NAT).", DefaultValueFactory = _ => 25 };
        var endpoint = new Option<string?>("--endpoint") { Description = "HOST or HOST:PORT the device connects to. Default: the stack's DNS name and the relay's first port (the second is the fallback)." };
        var pulumiStack = new Option<string?>("--pulumi-stack") { Description = "Keep the new private key as a Pulumi config secret of this stack (pulumi config set --secret, value on stdin)." };
        var cmd = new Command("add", """
            Add a peer: the lowest free VPN address (or --address), a new key pair whose private key goes into the secret
            store (--secrets-dir or --pulumi-stack, as rotate does), the peer written at the end of peers: in the stack
            file. The device's config goes to a 0600 file (--out, default ./NAME.conf; ./NAME-uci.sh for --kind openwrt),
            or to stdout with an explicit --stdout; --qr also draws it as a QR code the WireGuard apps scan. The private
            key is never printed otherwise. Then run `pulumi up` so the server learns the peer.

            Exit: 0 added; 1 refused (name or address taken, invalid stack, file exists); 2 usage error.
            """) { name, kind, address, keepalive, endpoint, pulumiStack, json };
        stack.AddTo(cmd);
        output.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var k = r.GetValue(kind);
            output.Check(r, json, k == PeerKind.OpenWrt);
            IPAddress? ip = null;
            if (r.GetValue(address) is { } a && !IPAddress.TryParse(a, out ip))
                throw new UsageException($"--address '{a}' is not an IP address");
            var (host, port) = ParseEndpoint(r.GetValue(endpoint));
            var keepaliveValue = r.GetValue(keepalive);
            if (keepaliveValue is < 0 or > 65535) throw new UsageException("--keepalive must be 0-65535 seconds");
            var path = stack.ResolvePath(r);
            var store = SecretStores.Select(r.GetValue(stack.SecretsDir), r.GetValue(pulumiStack), path);
            PeerAddResult added;
            try
            {
                added = await PeerAddition.AddAsync(path, new PeerAddRequest(r.GetValue(name)!, k, ip, keepaliveValue, host, port), store, stack.Secrets(r), ct);
            }
            catch (PeerEditException ex)
            {
                foreach (var d in ex.Diagnostics.Skip(1)) console.Error.WriteLine(d);
                throw new CommandFailedException(ex.Message);
            }
            var secrets = new DictionarySecretSource(new Dictionary<string, string> { [added.Peer.PrivateKey!.Name] = added.PrivateKey.RevealBase64() }, "the new key");
            var written = output.Write(r, console, PeerConfigs.Render(added.Stack, added.Peer, secrets), added.Peer);
            var summary = new
            {
                added = added.Peer.Name, kind = k.ToString().ToLowerInvariant(), address = added.Peer.Address.ToString(), publicKey = added.Peer.PublicKey.ToBase64(),
                stackFile = path, secret = added.Peer.PrivateKey!.Name, secretStore = store.Description, configFile = written,
            };
            if (r.GetValue(json)) JsonOutput.Write(console.Out, summary);
            else
            {
                var w = r.GetValue(output.Stdout) ? console.Error : console.Out;
                w.WriteLine($"added peer {added.Peer.Name} ({k.ToString().ToLowerInvariant()}) {added.Peer.Address} to {path}");
                w.WriteLine($"  public key:  {added.Peer.PublicKey}");
                w.WriteLine($"  private key: {added.Peer.PrivateKey.Name} in {store.Description}");
                if (written is not null) w.WriteLine($"  config:      {written} (0600)");
                w.WriteLine(k == PeerKind.OpenWrt
                    ? "next: pulumi up (the server learns the peer), then run the script at the router's console: ssh root@<router-lan-ip> sh < " + (written ?? "the script")
                    : "next: pulumi up (the server learns the peer), then import the config or scan the QR code in the WireGuard app");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Remove(CliConsole console)
    {
        var stack = new StackOptions();
        var json = JsonOutput.CreateOption();
        var name = new Argument<string>("NAME") { Description = "The peer to remove." };
        var cmd = new Command("remove", """
            Remove a peer's entry from the stack file (comments and layout elsewhere kept); the server forgets it at the
            next `pulumi up`. Its private key stays in the secret store: delete it there once the device is retired.

            Exit: 0 removed; 1 no such peer or the edit does not validate; 2 usage error.
            """) { name, json };
        stack.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var path = stack.ResolvePath(r);
            Topology.Model.PeerSpec removed;
            try
            {
                removed = PeerRemoval.Remove(path, r.GetValue(name)!);
            }
            catch (PeerEditException ex)
            {
                throw new CommandFailedException(ex.Message);
            }
            if (r.GetValue(json)) JsonOutput.Write(console.Out, new { removed = removed.Name, address = removed.Address.ToString(), stackFile = path, secret = removed.PrivateKey?.Name });
            else
            {
                console.Out.WriteLine($"removed peer {removed.Name} ({removed.Address}) from {path}");
                if (removed.PrivateKey is not null) console.Out.WriteLine($"  its private key {removed.PrivateKey.Name} is still in your secret store: delete it when the device is retired");
                console.Out.WriteLine("next: pulumi up (the server drops the peer)");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Show(CliConsole console)
    {
        var stack = new StackOptions();
        var output = new ConfigOutputOptions(optional: true);
        var json = JsonOutput.CreateOption();
        var name = new Argument<string?>("NAME") { Description = "The peer to show; without it, every peer.", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("show", """
            Show peers as the stack declares them (no secret). With NAME and --out, --stdout or --qr, the device's config
            again, its private key read from the secrets (--secrets-dir, else DIFENN_SECRET_<name>).

            Exit: 0 shown; 1 no such peer, or its private key is not available; 2 usage error.
            """) { name, json };
        stack.AddTo(cmd);
        output.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var model = stack.Load(r, console);
            var wanted = r.GetValue(name);
            var peers = wanted is null ? model.Peers : model.Peers.Where(p => p.Name == wanted).ToList();
            if (wanted is not null && peers.Count == 0)
                throw new CommandFailedException($"{model.SourceFile}: no peer named '{wanted}' (peers: {string.Join(", ", model.Peers.Select(p => p.Name))})");
            if (output.Requested(r))
            {
                if (wanted is null) throw new UsageException("name the peer whose config to print: difenn peer show NAME --qr");
                output.Check(r, json, peers[0].OpenWrt is not null);
                string config;
                try
                {
                    config = PeerConfigs.Render(model, peers[0], stack.Secrets(r));
                }
                catch (Exception ex) when (ex is ArgumentException or MissingSecretException)
                {
                    throw new CommandFailedException(ex.Message);
                }
                var written = output.Write(r, console, config, peers[0]);
                if (written is not null) (r.GetValue(json) ? console.Error : console.Out).WriteLine($"config of {peers[0].Name} written to {written} (0600)");
                if (!r.GetValue(json)) return ExitCodes.Ok;
            }
            var rows = peers.Select(p => new
            {
                name = p.Name, kind = p.OpenWrt is null ? "client" : "openwrt", address = p.Address.ToString(), publicKey = p.PublicKey.ToBase64(),
                endpoint = $"{p.Endpoint.Host}:{p.Endpoint.Port}", fallbackPort = p.Endpoint.FallbackPort, keepalive = p.Keepalive,
                allowedIPs = p.AllowedIPs.Select(a => a.ToString()).ToList(), privateKeySecret = p.PrivateKey?.Name, presharedKeySecret = p.PresharedKey?.Name,
            }).ToList();
            if (r.GetValue(json)) JsonOutput.Write<object>(console.Out, wanted is null ? rows : rows[0]);
            else
            {
                console.Out.WriteLine($"{"NAME",-14} {"KIND",-8} {"ADDRESS",-15} {"ENDPOINT",-30} {"KEEPALIVE",-9} PUBLIC KEY");
                foreach (var p in rows)
                    console.Out.WriteLine($"{p.name,-14} {p.kind,-8} {p.address,-15} {p.endpoint + (p.fallbackPort is { } f ? $" (or {f})" : ""),-30} {(p.keepalive > 0 ? $"{p.keepalive}s" : "off"),-9} {p.publicKey}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static (string? Host, int? Port) ParseEndpoint(string? text)
    {
        if (text is null) return (null, null);
        if (Endpoint.TryParse(text, out var ep, out _)) return (ep.Host, ep.Port);
        if (System.Text.RegularExpressions.Regex.IsMatch(text, @"^[A-Za-z0-9.-]+$")) return (text, null);
        throw new UsageException($"--endpoint '{text}' is not HOST or HOST:PORT");
    }
}
