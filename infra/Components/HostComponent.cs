using System.Text;
using Difenn.Topology.Desired;
using Pulumi;
using Pulumi.Command.Remote;
using Pulumi.Command.Remote.Inputs;

namespace Difenn.Infra.Components;

/// <summary>What every host component needs.</summary>
/// <param name="Host">The host's desired state.</param>
/// <param name="SshPrivateKey">The SSH key for the connection (secret).</param>
/// <param name="Secrets">Secret values for scripts.</param>
/// <param name="Commands">Commands declared so far (for dependencies).</param>
public sealed record HostComponentArgs(HostState Host, Output<string> SshPrivateKey, SecretValues Secrets, CommandRegistry Commands);

/// <summary>
/// Base of the host components: declares one <c>command:remote:Command</c> per desired command, in order, each
/// depending on what the desired state says. Scripts travel on stdin (never on a command line); the script hash is
/// in the environment so `pulumi preview` shows which host changes, and an unchanged host is not touched
/// (no input differs). Scripts holding secrets have logging off and their stdin/stdout/stderr stored as secrets.
/// </summary>
public abstract class HostComponent : ComponentResource
{
    /// <summary>Declares the component <paramref name="type"/> named <paramref name="name"/> and its commands.</summary>
    protected HostComponent(string type, string name, HostComponentArgs args, ComponentResourceOptions? options = null)
        : base(type, name, options)
    {
        var host = args.Host;
        var connection = new ConnectionArgs
        {
            Host = host.Connection.Host,
            Port = host.Connection.Port,
            User = host.Connection.User,
            PrivateKey = args.SshPrivateKey,
        };
        // A pinned host key is verified; without one the provider would accept any key, so the stack should pin.
        if (host.Connection.HostKeys.Count > 0) connection.HostKey = host.Connection.HostKeys[0];
        foreach (var c in host.Commands)
        {
            var secret = c.Create.HasSecrets || c.Delete?.HasSecrets == true;
            var commandArgs = new CommandArgs
            {
                Connection = connection,
                Create = host.Connection.ShellCommand,
                Update = host.Connection.ShellCommand,
                Stdin = args.Secrets.Reveal(c.Create),
                Environment = { ["DIFENN_SCRIPT_SHA256"] = c.Trigger },
                Logging = secret ? Logging.None : Logging.StdoutAndStderr,
            };
            // Delete scripts hold no secrets (checked by the desired-state tests); piped in as base64 so that no
            // quoting layer (pct exec, ssh) can mangle them.
            if (c.Delete is not null)
                commandArgs.Delete = $"echo {Convert.ToBase64String(Encoding.UTF8.GetBytes(c.Delete.Template))} | base64 -d | {host.Connection.ShellCommand}";
            var command = new Command($"{name}-{c.Name}", commandArgs, new CustomResourceOptions
            {
                Parent = this,
                DependsOn = args.Commands.Resolve(c.DependsOn),
                AdditionalSecretOutputs = secret ? ["stdin", "stdout", "stderr"] : [],
            });
            args.Commands.Add(c.Name, command);
            Commands[c.Name] = command;
        }
    }

    /// <summary>The declared commands by desired-state name.</summary>
    public Dictionary<string, Command> Commands { get; } = [];
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
