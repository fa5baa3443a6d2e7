using Difenn.Operations.Remote;
using Difenn.Topology.Desired;

namespace Difenn.Infra.Components;

/// <summary>
/// One host's connection exactly as pulumi-command 1.2.1 will dial it: the provider dials <see cref="Host"/> as given
/// (it reads no <c>~/.ssh/config</c>) and, with <see cref="HostKey"/> set, accepts only that key
/// (<c>ssh.FixedHostKey</c>, host key algorithms restricted to its type: provider/pkg/provider/remote/connection.go).
/// </summary>
/// <param name="Host">The address to dial (an ssh_config alias already resolved to its HostName).</param>
/// <param name="Port">The port (the stack's, else the alias's Port, else 22).</param>
/// <param name="User">The user (the stack's; default root).</param>
/// <param name="HostKey">The one pinned key the provider checks, <c>type base64</c>.</param>
/// <param name="HostKeySource">Where that key came from (stack field or known_hosts path), for messages.</param>
public sealed record ProviderConnection(string Host, int Port, string User, string HostKey, string HostKeySource);

/// <summary>
/// Resolves each host's <see cref="HostConnection"/> into the <see cref="ProviderConnection"/> the provider gets, with
/// the CLI's policy (<see cref="HostKeyPolicy"/>): keys pinned in the stack (<c>ssh.hostKeys</c>) win, else the
/// operator's known_hosts; never trust on first use. Aliases resolve with the CLI's own <see cref="SshConfigFile"/>.
/// <para>
/// Several keys: the provider checks exactly one, so one is chosen by algorithm, strongest first: ssh-ed25519, then
/// ecdsa-sha2-nistp521/384/256, then ssh-rsa. The provider then negotiates only that algorithm, so the server proves
/// possession of exactly that key; the other keys (other algorithms of the same host) are valid but unused. Two
/// different keys of the chosen algorithm cannot both be honoured (a host has one key per algorithm, so one is stale):
/// that fails, naming them, rather than guessing.
/// </para>
/// </summary>
/// <param name="sshConfig">The operator's OpenSSH client config (default <c>~/.ssh/config</c>).</param>
/// <param name="knownHosts">The operator's known_hosts (default <c>~/.ssh/known_hosts</c>).</param>
public sealed class ProviderConnectionResolver(SshConfigFile sshConfig, KnownHosts knownHosts)
{
    /// <summary>Host key algorithms in the order one is chosen.</summary>
    public static readonly IReadOnlyList<string> AlgorithmPreference =
        ["ssh-ed25519", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256", "ssh-rsa"];

    /// <summary>
    /// The connection for <paramref name="hostName"/>; throws <see cref="HostKeyMissingException"/> (a one-paragraph
    /// message: host, fingerprint command, where to pin) when no key is pinned or known.
    /// </summary>
    /// <param name="hostName">The desired-state host name, for messages.</param>
    /// <param name="connection">How the desired state reaches it.</param>
    /// <param name="pinField">The stack field that pins its keys (e.g. <c>hub.ssh.hostKeys</c>).</param>
    public ProviderConnection Resolve(string hostName, HostConnection connection, string pinField)
    {
        var (address, port) = sshConfig.Endpoint(connection.Host, connection.Port);
        var where = address == connection.Host ? $"{address}:{port}" : $"{address}:{port} ({connection.Host} in ssh_config)";
        List<(string Type, byte[] Blob)> keys;
        string source;
        if (connection.HostKeys.Count > 0)
        {
            source = $"the stack's {pinField}";
            keys = [];
            foreach (var pin in connection.HostKeys)
            {
                var f = pin.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                byte[]? blob = null;
                if (f.Length >= 2) try { blob = Convert.FromBase64String(f[1]); } catch (FormatException) { }
                if (blob is null) throw new HostKeyMissingException($"{hostName}: {pinField} entry '{pin}' is not 'TYPE BASE64' (as ssh-keyscan prints after the host name)");
                keys.Add((f[0], blob));
            }
        }
        else
        {
            source = knownHosts.Source;
            // known_hosts may name the alias or the real address (ssh writes either); revoked keys never count.
            var listed = knownHosts.KeysFor(address, port).Concat(address != connection.Host ? knownHosts.KeysFor(connection.Host, port) : []).ToList();
            var revoked = listed.Where(k => k.Revoked).Select(k => Convert.ToBase64String(k.Blob)).ToHashSet();
            keys = listed.Where(k => !k.Revoked && !revoked.Contains(Convert.ToBase64String(k.Blob))).Select(k => (k.Type, k.Blob)).ToList();
        }
        keys = keys.DistinctBy(k => Convert.ToBase64String(k.Blob)).ToList();
        if (keys.Count == 0)
            throw new HostKeyMissingException(
                $"{hostName}: no host key for {where} is pinned in the stack ({pinField}) or listed in {knownHosts.Source}, and the command provider " +
                $"would accept any key (it ignores host keys when none is given) while it sends secrets. Check the fingerprint out of band: " +
                $"ssh-keyscan -p {port} {address} | ssh-keygen -lf -   then pin the matching line's key in {pinField} (\"TYPE BASE64\") " +
                $"or add it to {knownHosts.Source}.");

        var byType = keys.GroupBy(k => k.Type).ToDictionary(g => g.Key, g => g.ToList());
        var chosenType = AlgorithmPreference.FirstOrDefault(byType.ContainsKey) ?? byType.Keys.Order(StringComparer.Ordinal).First();
        var chosen = byType[chosenType];
        if (chosen.Count > 1)
            throw new HostKeyMissingException(
                $"{hostName}: {source} holds {chosen.Count} different {chosenType} keys for {where} " +
                $"({string.Join(", ", chosen.Select(k => HostKeyPolicy.Fingerprint(k.Blob)))}); a host has one key per algorithm, so one is stale, " +
                "and the command provider checks exactly one: check the host's key out of band and remove the other.");
        var hostKey = $"{chosenType} {Convert.ToBase64String(chosen[0].Blob)}";
        return new ProviderConnection(address, port, connection.User, hostKey, source);
    }
}

/// <summary>A host has no usable host key: the program stops before declaring anything.</summary>
/// <param name="message">What is missing and how to fix it.</param>
public sealed class HostKeyMissingException(string message) : Exception(message);
