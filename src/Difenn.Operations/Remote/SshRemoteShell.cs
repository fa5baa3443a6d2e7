using System.Net.Sockets;
using System.Text;
using Difenn.Topology.Desired;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Difenn.Operations.Remote;

/// <summary>
/// <see cref="IRemoteShell"/> over SSH (SSH.NET): one connection a host (user, address, port), reused for every
/// script to it; host keys checked by <see cref="HostKeyPolicy"/> before authenticating; public-key
/// authentication only. Scripts go on the session's stdin.
/// </summary>
/// <param name="options">Identity files, timeouts.</param>
/// <param name="hostKeys">Which host keys are trusted.</param>
public sealed class SshRemoteShell(SshOptions options, HostKeyPolicy hostKeys) : IRemoteShell
{
    // Hosts are probed in parallel (CT2914 and the XE300 share px3's connection): a broken connection may be
    // forgotten by one run while another connects.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, int, string), SshClient> _clients = [];
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Lazy<SshConfigFile> _sshConfig = new(() => SshConfigFile.Load(options.ConfigPath));

    /// <inheritdoc />
    public async Task<RemoteResult> RunAsync(string hostName, HostConnection connection, string script, CancellationToken cancellationToken = default)
    {
        var client = await ConnectAsync(hostName, connection, cancellationToken);
        using var command = client.CreateCommand(connection.ShellCommand);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.CommandTimeout);
        try
        {
            var execution = command.ExecuteAsync(timeout.Token);
            await using (var input = command.CreateInputStream())
                await input.WriteAsync(Encoding.UTF8.GetBytes(script), timeout.Token);
            await execution;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HostUnreachableException(hostName, $"{hostName}: the script did not finish within {options.CommandTimeout.TotalSeconds:0} s");
        }
        catch (SshConnectionException ex)
        {
            Forget(connection);
            throw new HostUnreachableException(hostName, $"{hostName}: the SSH connection to {connection.Host}:{connection.Port} broke: {ex.Message}", ex);
        }
        catch (SshOperationTimeoutException)
        {
            throw new HostUnreachableException(hostName, $"{hostName}: no answer within {options.CommandTimeout.TotalSeconds:0} s");
        }
        return new RemoteResult(command.ExitStatus ?? -1, command.Result, command.Error);
    }

    private async Task<SshClient> ConnectAsync(string hostName, HostConnection c, CancellationToken ct)
    {
        var key = (c.Host, c.Port, c.User);
        await _connectLock.WaitAsync(ct);
        try
        {
            if (_clients.TryGetValue(key, out var existing) && existing.IsConnected) return existing;
            // ~/.ssh/config aliases (the runbook's `ssh px3`): the real address, the port, extra identity files.
            var alias = _sshConfig.Value.For(c.Host);
            var (address, port) = _sshConfig.Value.Endpoint(c.Host, c.Port);
            var info = new ConnectionInfo(address, port, c.User, new PrivateKeyAuthenticationMethod(c.User, LoadKeys(hostName, alias.IdentityFiles)))
            {
                Timeout = options.ConnectTimeout,
            };
            // Offer only the host key algorithms of the trusted keys, as ssh does with known_hosts: otherwise the
            // server presents its ed25519 key while only its RSA or ECDSA key is trusted, and looks like an attack.
            var trusted = hostKeys.AlgorithmsFor(address, c.Host, port, c.HostKeys);
            if (info.HostKeyAlgorithms.Keys.Any(trusted.Contains))
                foreach (var name in info.HostKeyAlgorithms.Keys.Where(n => !trusted.Contains(n)).ToList())
                    info.HostKeyAlgorithms.Remove(name);
            var client = new SshClient(info);
            string? refusal = null;
            client.HostKeyReceived += (_, e) =>
            {
                // known_hosts may list the alias or the real address, as ssh writes either.
                refusal = hostKeys.Check(address, port, c.HostKeys, e.HostKeyName, e.HostKey);
                if (refusal is not null && address != c.Host && hostKeys.Check(c.Host, port, c.HostKeys, e.HostKeyName, e.HostKey) is null) refusal = null;
                e.CanTrust = refusal is null;
            };
            try
            {
                await client.ConnectAsync(ct);
            }
            catch (Exception ex) when (ex is SshException or SocketException or TimeoutException or ProxyException)
            {
                client.Dispose();
                var where = $"{c.User}@{address}:{port}" + (address != c.Host ? $" ({c.Host} in {options.ConfigPath})" : "");
                throw new HostUnreachableException(hostName, refusal is not null ? $"{hostName}: refused {where}: {refusal}" : ex switch
                {
                    SshAuthenticationException => $"{hostName}: authentication as {where} failed with {string.Join(", ", options.IdentityFiles)}: {ex.Message}",
                    SocketException se => $"{hostName}: cannot connect to {where}: {se.Message}",
                    SshOperationTimeoutException or TimeoutException => $"{hostName}: no SSH answer from {where} within {options.ConnectTimeout.TotalSeconds:0} s",
                    _ => $"{hostName}: SSH to {where} failed: {ex.Message}",
                }, ex);
            }
            _clients[key] = client;
            return client;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private IPrivateKeySource[] LoadKeys(string hostName, IReadOnlyList<string> fromConfig)
    {
        var files = options.IdentityFiles.Concat(fromConfig.Where(File.Exists)).Distinct().ToList();
        if (files.Count == 0)
            throw new HostUnreachableException(hostName, $"{hostName}: no SSH identity: none of ~/.ssh/id_ed25519, id_ecdsa, id_rsa exists; pass --identity FILE");
        return [.. files.Select(path => LoadKey(hostName, path))];
    }

    private PrivateKeyFile LoadKey(string hostName, string path)
    {
        var source = options.PassphraseSource is { } from ? $" (from {from})" : "";
        try
        {
            return new PrivateKeyFile(path);
        }
        catch (SshPassPhraseNullOrEmptyException)
        {
            var passphrase = options.PassphraseFor?.Invoke(path);
            if (string.IsNullOrEmpty(passphrase))
                throw new HostUnreachableException(hostName, $"identity file {path} is passphrase-protected and no passphrase was given" +
                    (options.PassphraseSource is { } where ? $"; give it with {where}" : ""));
            try
            {
                return new PrivateKeyFile(path, passphrase);
            }
            catch (SshException ex)
            {
                // SSH.NET's message here names check bytes, never the passphrase.
                throw new HostUnreachableException(hostName, $"identity file {path}: the passphrase{source} does not decrypt it", ex);
            }
        }
        catch (Exception ex) when (ex is SshException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new HostUnreachableException(hostName, $"identity file {path} cannot be used: {ex.Message}", ex);
        }
    }

    private void Forget(HostConnection c)
    {
        if (_clients.TryRemove((c.Host, c.Port, c.User), out var client)) client.Dispose();
    }

    /// <summary>Closes every connection.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var c in _clients.Values) c.Dispose();
        _clients.Clear();
        _connectLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
