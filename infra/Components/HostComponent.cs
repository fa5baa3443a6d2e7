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
public sealed record HostComponentArgs(HostState Host, ProviderConnection Connection, Output<string> SshPrivateKey, SecretValues Secrets, CommandRegistry Commands);

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
    /// <summary>Declares the component <paramref name="type"/> named <paramref name="name"/> and its commands.</summary>
    protected HostComponent(string type, string name, HostComponentArgs args, ComponentResourceOptions? options = null)
        : base(type, name, options)
    {
        var host = args.Host;
        Connection = ConnectionFor(args.Connection, args.SshPrivateKey);
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
                DependsOn = args.Commands.Resolve(c.DependsOn),
                AdditionalSecretOutputs = secret ? ["stdin", "stdout", "stderr"] : [],
            };
            var command = new Command(c.Name, commandArgs, resourceOptions);
            args.Commands.Add(c.Name, command);
            Commands[c.Name] = command;
            ResourceOptions[c.Name] = resourceOptions;
            DeclarationOrder.Add(c.Name);
        }
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
        RegisterOutputs(new Dictionary<string, object?>
        {
            ["firewallPorts"] = args.Host.FirewallRules.Select(r => $"{r.Port}/{r.Protocol}").ToList(),
            ["containers"] = args.Host.Containers.Select(c => c.Name).ToList(),
        });
    }
}

/// <summary>CT2914's wg0 (<c>difenn:index:WireGuardServer</c>).</summary>
public sealed class WireGuardServer : HostComponent
{
    /// <summary>Declares the server's commands.</summary>
    public WireGuardServer(string name, HostComponentArgs args, ComponentResourceOptions? options = null)
        : base("difenn:index:WireGuardServer", name, args, options)
    {
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
        RegisterOutputs(new Dictionary<string, object?> { ["interface"] = args.Host.WireGuard?.Name });
    }
}
