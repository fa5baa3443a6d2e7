using Difenn.Operations.Remote;
using Difenn.Operations.Rotation;
using Difenn.Testing;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Keys;

namespace Difenn.Operations.Tests.Rotation;

/// <summary>A rotation refuses a stack whose staying private key does not derive its declared public key, before any host.</summary>
public class RotationKeyPairTests
{
    private sealed class NoHostShell : IRemoteShell
    {
        public int Calls;
        public Task<RemoteResult> RunAsync(string hostName, HostConnection connection, string script, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            throw new HostUnreachableException(hostName, "test: no host may be contacted");
        }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Messages : IProgress<string>
    {
        public List<string> All { get; } = [];
        public void Report(string value) => All.Add(value);
    }

    [Fact]
    public async Task RotatePeer_ServerKeyNotDerivingDeclared_FailsNamingSecretNoHostTouched()
    {
        var (serverKey, xe300Key, stranger) = (WireGuardPrivateKey.Generate(), WireGuardPrivateKey.Generate(), WireGuardPrivateKey.Generate());
        var yaml = File.ReadAllText(RepoFiles.ProdStackPath)
            .Replace("2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=", serverKey.PublicKey.ToBase64())
            .Replace("RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA=", xe300Key.PublicKey.ToBase64());
        var stack = StackLoader.LoadFromString(yaml, "prod.yaml").Stack!;
        var secrets = new DictionarySecretSource(new Dictionary<string, string> { ["serverPrivateKey"] = stranger.RevealBase64(), ["xe300PrivateKey"] = xe300Key.RevealBase64() });
        var shell = new NoHostShell();
        var messages = new Messages();
        var store = new DirectorySecretStore(Directory.CreateTempSubdirectory("dfn-rot-").FullName);

        var report = await new KeyRotation(shell, secrets, store, messages).RunAsync(RotationPlan.Create(stack, RotationTarget.PeerKey, "xe300"), null);

        Assert.False(report.Succeeded);
        Assert.Equal(0, shell.Calls);
        var failure = Assert.Single(messages.All, m => m.Contains(" FAILED: ", StringComparison.Ordinal));
        Assert.Contains("secret 'serverPrivateKey'", failure);
        Assert.Contains("server.publicKey", failure);
        Assert.Contains("nothing was changed", failure);
        Assert.DoesNotContain(stranger.RevealBase64(), string.Join("\n", messages.All));
    }
}
