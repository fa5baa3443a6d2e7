namespace Difenn.Operations.Remote;

/// <summary>How <see cref="SshRemoteShell"/> connects.</summary>
public sealed record SshOptions
{
    /// <summary>Private key files to authenticate with, tried in order (default: whichever of
    /// <c>~/.ssh/id_ed25519</c>, <c>id_ecdsa</c>, <c>id_rsa</c> exist). An encrypted one is opened with
    /// <see cref="PassphraseFor"/>.</summary>
    public IReadOnlyList<string> IdentityFiles { get; init; } = DefaultIdentityFiles();

    /// <summary>The known_hosts file (default <c>~/.ssh/known_hosts</c>); hosts with pinned keys in the stack ignore it.</summary>
    public string KnownHostsPath { get; init; } = Path.Combine(Home, ".ssh", "known_hosts");

    /// <summary>The OpenSSH client config whose <c>Host</c> aliases are honoured (default <c>~/.ssh/config</c>), so a stack
    /// can name <c>px3</c> as the runbook's <c>ssh px3</c> does. Its HostName, Port (when the stack leaves 22) and
    /// IdentityFile apply.</summary>
    public string ConfigPath { get; init; } = Path.Combine(Home, ".ssh", "config");

    /// <summary>
    /// Gives the passphrase of an encrypted identity file, called with its path when it is first loaded; null when
    /// there is none to give. Default: none, and an encrypted key is refused with an error naming the file.
    /// </summary>
    public Func<string, string?>? PassphraseFor { get; init; }

    /// <summary>Where a passphrase comes from, for error messages (e.g. "DIFENN_SSH_PASSPHRASE"). Default none.</summary>
    public string? PassphraseSource { get; init; }

    /// <summary>Time allowed to connect and authenticate (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for one remote script (default 5 minutes: a rollback-armed apply waits on the router).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    private static string Home => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>The default identity files that exist.</summary>
    public static IReadOnlyList<string> DefaultIdentityFiles() =>
        new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(n => Path.Combine(Home, ".ssh", n)).Where(File.Exists).ToList();
}
