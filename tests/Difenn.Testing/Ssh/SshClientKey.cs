using Difenn.Testing.Processes;

namespace Difenn.Testing.Ssh;

/// <summary>An ed25519 SSH client key pair generated at test time with the real ssh-keygen (OpenSSH format, 0600).</summary>
public sealed class SshClientKey
{
    private SshClientKey(string privateKeyPath, string publicKeyLine)
    {
        PrivateKeyPath = privateKeyPath;
        PublicKeyLine = publicKeyLine;
    }

    /// <summary>The private key file (0600).</summary>
    public string PrivateKeyPath { get; }

    /// <summary>The public key as an authorized_keys line.</summary>
    public string PublicKeyLine { get; }

    /// <summary>Generates a key pair in <paramref name="directory"/>, encrypted with <paramref name="passphrase"/> when one is given.</summary>
    public static async Task<SshClientKey> GenerateAsync(string directory, string name = "id_ed25519", string passphrase = "")
    {
        var path = Path.Combine(directory, name);
        (await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "difenn-test", "-f", path])).EnsureSuccess("ssh-keygen");
        return new SshClientKey(path, File.ReadAllText(path + ".pub").Trim());
    }
}
