using System.CommandLine;
using Difenn.Operations.Remote;

namespace Difenn.Cli.Remote;

/// <summary>The options of every command that reaches hosts over SSH.</summary>
public sealed class SshCliOptions
{
    /// <summary><c>--identity FILE</c> (repeatable; default ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist).</summary>
    public Option<FileInfo[]> Identity { get; } = new("--identity", "-i")
    {
        Description = "SSH private key file to log in with (repeatable). Default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa, whichever exist. An encrypted key's passphrase comes from DIFENN_SSH_PASSPHRASE, else it is asked on the terminal.",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary><c>--known-hosts FILE</c> (default ~/.ssh/known_hosts).</summary>
    public Option<FileInfo?> KnownHosts { get; } = new("--known-hosts") { Description = "known_hosts file used to verify hosts without ssh.hostKeys in the stack. Default: ~/.ssh/known_hosts. Unknown hosts are refused, never trusted on first use." };

    /// <summary><c>--ssh-config FILE</c> (default ~/.ssh/config).</summary>
    public Option<FileInfo?> SshConfig { get; } = new("--ssh-config") { Description = "OpenSSH client config whose Host aliases apply (HostName, Port, IdentityFile), so 'px3' works as with ssh px3. Default: ~/.ssh/config." };

    /// <summary><c>--connect-timeout SECONDS</c> (default 10).</summary>
    public Option<int> ConnectTimeout { get; } = new("--connect-timeout") { Description = "Seconds to wait for each host's SSH server (default 10).", DefaultValueFactory = _ => 10 };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Identity);
        command.Options.Add(KnownHosts);
        command.Options.Add(SshConfig);
        command.Options.Add(ConnectTimeout);
    }

    /// <summary>The remote shell the options describe.</summary>
    public SshRemoteShell CreateShell(ParseResult r)
    {
        var defaults = new SshOptions();
        var identities = r.GetValue(Identity) is { Length: > 0 } given ? given.Select(f => f.FullName).ToList() : defaults.IdentityFiles;
        var knownHosts = r.GetValue(KnownHosts)?.FullName ?? defaults.KnownHostsPath;
        var passphrase = new SshPassphrase(Environment.GetEnvironmentVariable, SshPassphrase.PromptOnTerminal);
        var options = defaults with
        {
            IdentityFiles = identities, KnownHostsPath = knownHosts, ConfigPath = r.GetValue(SshConfig)?.FullName ?? defaults.ConfigPath,
            ConnectTimeout = TimeSpan.FromSeconds(Math.Max(1, r.GetValue(ConnectTimeout))),
            PassphraseFor = passphrase.For, PassphraseSource = passphrase.Source,
        };
        return new SshRemoteShell(options, new HostKeyPolicy(Operations.Remote.KnownHosts.Load(knownHosts)));
    }
}
