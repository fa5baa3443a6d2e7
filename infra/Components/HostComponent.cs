using System.Text;
using Difenn.Topology.Desired;
using Pulumi;
using Pulumi.Command.Remote;
using Pulumi.Command.Remote.Inputs;

namespace Difenn.Infra.Components;

/// <summary>What every host component needs.</summary>
/// <param name="Host">The host's desired state.</param>
/// <param name="Connection">How the provider reaches it (alias resolved, host key pinned).</param>
/// <param name="SshPrivateKey">The SSH key for the connection (secret).</param>
/// <param name="Secrets">Secret values for scripts.</param>
/// <param name="Commands">Commands declared so far (for dependencies).</param>
/// <param name="Relay">The relay image to deliver (hub only), and its compose directory on the hub.</param>
public sealed record HostComponentArgs(HostState Host, ProviderConnection Connection, Output<string> SshPrivateKey, SecretValues Secrets, CommandRegistry Commands,
    (RelayImage Image, string Tag, string ComposeDir)? Relay = null);

/// <summary>
/// Base of the host components: declares one <c>command:remote:Command</c> per desired command, in order, named as the
/// desired state names it (<c>hub2-firewall</c>), each depending on what the desired state says.
/// <list type="bullet">
/// <item>Scripts travel on stdin (never on a command line). A changed script (or a changed secret in it) changes stdin,
/// and any changed input makes the provider run <c>update</c>; an unchanged host has no changed input and is not touched.</item>
/// <item>The script's template hash is a shell comment at the end of the create/update command, so `pulumi preview`
/// shows which host changes even where stdin is secret. It needs nothing from the server: no <c>environment</c>
/// (pulumi-command 1.2.1 fails a command when sshd refuses a setenv, and stock sshd accepts only <c>LANG LC_*</c>),
/// no previous output in the environment (<c>AddPreviousOutputInEnv = false</c>, same reason), no <c>Triggers</c>
/// (a replace would run the old delete after the new create).</item>
/// <item>Scripts holding secrets have logging off and their stdin/stdout/stderr stored as secrets.</item>
/// </list>
/// </summary>
public abstract class HostComponent : ComponentResource
{
    /// <summary>Declares the component <paramref name="type"/> named <paramref name="name"/>; subclasses then declare
    /// their own resources and call <see cref="DeclareCommands"/>.</summary>
    protected HostComponent(string type, string name, HostComponentArgs args, ComponentResourceOptions? options = null)
        : base(type, name, options)
    {
        Connection = ConnectionFor(args.Connection, args.SshPrivateKey);
    }

    /// <summary>Declares the desired state's commands; <paramref name="alsoDependsOn"/> adds dependencies by command name.</summary>
    protected void DeclareCommands(HostComponentArgs args, IReadOnlyDictionary<string, Resource>? alsoDependsOn = null)
    {
        var host = args.Host;
        foreach (var c in host.Commands)
        {
            var secret = c.Create.HasSecrets || c.Delete?.HasSecrets == true;
            var run = $"{host.Connection.ShellCommand} # difenn script sha256:{c.Trigger}";
            var commandArgs = new CommandArgs
            {
                Connection = Connection,
                Create = run,
                Update = run,
                Stdin = args.Secrets.Reveal(c.Create),
                AddPreviousOutputInEnv = false,
                Logging = secret ? Logging.None : Logging.StdoutAndStderr,
            };
            // Delete scripts hold no secrets (checked by the desired-state tests); piped in as base64 so that no
            // quoting layer (pct exec, ssh) can mangle them.
            if (c.Delete is not null)
                commandArgs.Delete = $"echo {Convert.ToBase64String(Encoding.UTF8.GetBytes(c.Delete.Template))} | base64 -d | {host.Connection.ShellCommand}";
            var resourceOptions = new CustomResourceOptions
            {
                Parent = this,
                DependsOn = Dependencies(args.Commands.Resolve(c.DependsOn), alsoDependsOn?.GetValueOrDefault(c.Name)),
                AdditionalSecretOutputs = secret ? ["stdin", "stdout", "stderr"] : [],
            };
            var command = new Command(c.Name, commandArgs, resourceOptions);
            args.Commands.Add(c.Name, command);
            Commands[c.Name] = command;
            Track(c.Name, resourceOptions);
        }
    }

    private static InputList<Resource> Dependencies(InputList<Resource> list, Resource? extra)
    {
        if (extra is not null) list.Add(extra);
        return list;
    }

    /// <summary>Records a declared provider resource (for <see cref="ResourceOptions"/> and <see cref="DeclarationOrder"/>).</summary>
    protected void Track(string name, CustomResourceOptions options)
    {
        ResourceOptions[name] = options;
        DeclarationOrder.Add(name);
    }

    /// <summary>The provider connection every resource of this host uses.</summary>
    public ConnectionArgs Connection { get; }

    /// <summary>The declared commands by desired-state name.</summary>
    public Dictionary<string, Command> Commands { get; } = [];

    /// <summary>The options each provider resource was declared with (what the engine, not the mocks, acts on: secret
    /// outputs, dependencies), by resource name.</summary>
    public Dictionary<string, CustomResourceOptions> ResourceOptions { get; } = [];

    /// <summary>This host's provider resources in declaration order (each after what it depends on).</summary>
    public List<string> DeclarationOrder { get; } = [];

    /// <summary>The provider's connection: resolved address, pinned host key, the deploy key.</summary>
    public static ConnectionArgs ConnectionFor(ProviderConnection c, Output<string> privateKey) => new()
    {
        Host = c.Host,
        Port = c.Port,
        User = c.User,
        PrivateKey = privateKey,
        HostKey = c.HostKey,
    };
}

/// <summary>hub2: firewall, legacy socat migration, relay containers (<c>difenn:index:HubRelay</c>).</summary>
public sealed class HubRelay : HostComponent
{
    /// <summary>Declares the hub's commands.</summary>
    public HubRelay(string name, HostComponentArgs args, ComponentResourceOptions? options = null)
        : base("difenn:index:HubRelay", name, args, options)
    {
        var image = args.Relay is { } relay ? DeclareImage(name, relay.Image, relay.Tag, relay.ComposeDir) : null;
        DeclareCommands(args, image is null ? null : new Dictionary<string, Resource> { [$"{name}-relay"] = image });
        Image = args.Relay?.Tag;
        RegisterOutputs(new Dictionary<string, object?>
        {
            ["firewallPorts"] = args.Host.FirewallRules.Select(r => $"{r.Port}/{r.Protocol}").ToList(),
            ["containers"] = args.Host.Containers.Select(c => c.Name).ToList(),
            ["image"] = Image,
        });
    }

    /// <summary>The relay image tag the compose file names, or null when no relay image is delivered.</summary>
    public string? Image { get; }

    /// <summary>
    /// Copies the binary and the runtime-only Dockerfile to <c>&lt;composeDir&gt;/image/</c> and builds the image there
    /// (<c>hub2-relay-binary</c>, <c>hub2-relay-dockerfile</c>, <c>hub2-relay-image</c>). The build's command text holds the
    /// tag, so it runs again exactly when the binary changes. Destroy removes the image (the copies stay: CopyToRemote
    /// deletes nothing).
    /// </summary>
    private Command DeclareImage(string name, RelayImage relay, string tag, string composeDir)
    {
        var dir = $"{composeDir}/image";
        var binary = Copy($"{name}-relay-binary", new FileAsset(relay.BinaryPath), $"{dir}/difenn-relay");
        var dockerfile = Copy($"{name}-relay-dockerfile", new StringAsset(RelayImage.Dockerfile), $"{dir}/Dockerfile");
        var buildOptions = new CustomResourceOptions { Parent = this, DependsOn = { binary, dockerfile } };
        var build = new Command($"{name}-relay-image", new CommandArgs
        {
            Connection = Connection,
            Create = $"docker build -q -t {tag} {dir} # binary sha256:{relay.Sha256}",
            Update = $"docker build -q -t {tag} {dir} # binary sha256:{relay.Sha256}",
            Delete = $"docker image rm -f {tag} >/dev/null 2>&1 || true",
            AddPreviousOutputInEnv = false,
            Logging = Logging.StdoutAndStderr,
        }, buildOptions);
        Track($"{name}-relay-image", buildOptions);
        return build;
    }

    private CopyToRemote Copy(string resourceName, AssetOrArchive source, string remotePath)
    {
        var options = new CustomResourceOptions { Parent = this };
        var copy = new CopyToRemote(resourceName, new CopyToRemoteArgs { Connection = Connection, Source = source, RemotePath = remotePath }, options);
        Track(resourceName, options);
        return copy;
    }
}

/// <summary>CT2914's wg0 (<c>difenn:index:WireGuardServer</c>).</summary>
public sealed class WireGuardServer : HostComponent
{
    /// <summary>Declares the server's commands.</summary>
    public WireGuardServer(string name, HostComponentArgs args, ComponentResourceOptions? options = null)
        : base("difenn:index:WireGuardServer", name, args, options)
    {
        DeclareCommands(args);
        RegisterOutputs(new Dictionary<string, object?> { ["publicKey"] = args.Host.WireGuard?.PublicKey });
    }
}

/// <summary>The XE300's uci config with its rollback timer (<c>difenn:index:OpenWrtPeer</c>).</summary>
public sealed class OpenWrtPeer : HostComponent
{
    /// <summary>Declares the peer's commands.</summary>
    public OpenWrtPeer(string name, HostComponentArgs args, ComponentResourceOptions? options = null)
        : base("difenn:index:OpenWrtPeer", name, args, options)
    {
        DeclareCommands(args);
        RegisterOutputs(new Dictionary<string, object?> { ["interface"] = args.Host.WireGuard?.Name });
    }
}
