using System.Security.Cryptography;

namespace Difenn.Operations.Remote;

/// <summary>
/// Decides whether a host key presented by a server is trusted. Never trust-on-first-use: a host's key must be
/// pinned in the stack (<c>ssh.hostKeys</c>, which then replaces known_hosts for that host) or listed in
/// known_hosts; anything else is refused with a message saying how to trust it after checking it out of band.
/// </summary>
/// <param name="knownHosts">The known_hosts entries (default file: <c>~/.ssh/known_hosts</c>).</param>
public sealed class HostKeyPolicy(KnownHosts knownHosts)
{
    /// <summary>The known_hosts in use.</summary>
    public KnownHosts KnownHosts { get; } = knownHosts;

    /// <summary>
    /// Checks the key (<paramref name="keyType"/>, wire-format <paramref name="keyBlob"/>) presented by
    /// <paramref name="host"/>:<paramref name="port"/>. Returns null when trusted, else the reason it is not.
    /// </summary>
    /// <param name="host">The address connected to.</param>
    /// <param name="port">The port.</param>
    /// <param name="pinned">Keys pinned in the stack (<c>type base64 [comment]</c>); empty: use known_hosts.</param>
    /// <param name="keyType">The key's algorithm name, e.g. <c>ssh-ed25519</c>, for messages (the blob names its type
    /// itself, and an RSA key signs as <c>rsa-sha2-512</c> while known_hosts says <c>ssh-rsa</c>, so only the blob is compared).</param>
    /// <param name="keyBlob">The key in SSH wire format (what known_hosts holds in base64).</param>
    public string? Check(string host, int port, IReadOnlyList<string> pinned, string keyType, byte[] keyBlob)
    {
        var fingerprint = Fingerprint(keyBlob);
        var scan = $"ssh-keyscan -p {port} {host}";
        if (pinned.Count > 0)
        {
            foreach (var p in pinned)
            {
                var f = p.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 2 && TryBase64(f[1]) is { } blob && CryptographicOperations.FixedTimeEquals(blob, keyBlob))
                    return null;
            }
            return $"host key {keyType} {fingerprint} of {host}:{port} is not one of the keys pinned in the stack (ssh.hostKeys): " +
                   "if the host was reinstalled, check the new key out of band and update hostKeys; otherwise this may be an attack";
        }
        var listed = KnownHosts.KeysFor(host, port).ToList();
        if (listed.Any(k => k.Revoked && CryptographicOperations.FixedTimeEquals(k.Blob, keyBlob)))
            return $"host key {keyType} {fingerprint} of {host}:{port} is marked @revoked in {KnownHosts.Source}";
        if (listed.Any(k => !k.Revoked && CryptographicOperations.FixedTimeEquals(k.Blob, keyBlob)))
            return null;
        if (listed.Any(k => !k.Revoked))
            return $"HOST KEY MISMATCH for {host}:{port}: it presented {keyType} {fingerprint}, which {KnownHosts.Source} does not list for it. " +
                   "Someone may be intercepting the connection, or the host was reinstalled: check the key out of band before changing known_hosts";
        return $"host {KnownHosts.LookupName(host, port)} is not in {KnownHosts.Source} (its key is {keyType} {fingerprint}). " +
               $"Check the fingerprint out of band, then add it: {scan} >> {KnownHosts.Source}, or pin it in the stack (ssh.hostKeys)";
    }

    /// <summary>
    /// The host key algorithms to offer when connecting to <paramref name="host"/>:<paramref name="port"/> (also
    /// known as <paramref name="alias"/>): those that can present one of the trusted keys (pinned, else listed in
    /// known_hosts). Offering others lets the server pick, say, its ed25519 key when only its RSA key is trusted, and
    /// a genuine host then looks like an interception. Empty: nothing trusted yet, offer everything (the key is then
    /// refused with instructions). An RSA key (<c>ssh-rsa</c>) is offered as <c>rsa-sha2-512</c>, <c>rsa-sha2-256</c>, <c>ssh-rsa</c>.
    /// </summary>
    public IReadOnlySet<string> AlgorithmsFor(string host, string? alias, int port, IReadOnlyList<string> pinned)
    {
        IEnumerable<string> types = pinned.Count > 0
            ? pinned.Select(p => p.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 2).Select(f => f[0])
            : KnownHosts.KeysFor(host, port).Concat(alias is null || alias == host ? [] : KnownHosts.KeysFor(alias, port)).Where(k => !k.Revoked).Select(k => k.Type);
        var algorithms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            if (type == "ssh-rsa") algorithms.UnionWith(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
            else algorithms.Add(type);
        }
        return algorithms;
    }

    /// <summary>OpenSSH's fingerprint form: <c>SHA256:</c> + unpadded base64 of the SHA-256 of the key blob.</summary>
    public static string Fingerprint(byte[] keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    private static byte[]? TryBase64(string s)
    {
        try { return Convert.FromBase64String(s); }
        catch (FormatException) { return null; }
    }
}
