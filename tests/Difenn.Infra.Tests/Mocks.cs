using System.Collections.Concurrent;
using System.Collections.Immutable;
using Pulumi.Testing;

namespace Difenn.Infra.Tests;

/// <summary>
/// Pulumi's own mocks: every resource "created" echoes its inputs as its state, as the engine would, and is recorded
/// (type, name, inputs as the monitor received them); the Cloudflare zone lookup answers for one zone.
/// </summary>
internal sealed class Mocks : IMocks
{
    public const string LookedUpZoneId = "zone-id-from-lookup";

    public ConcurrentQueue<MockResourceArgs> Resources { get; } = new();
    public ConcurrentQueue<MockCallArgs> Calls { get; } = new();

    public Task<(string? id, object state)> NewResourceAsync(MockResourceArgs args)
    {
        Resources.Enqueue(args);
        var state = args.Inputs;
        if (args.Type == "command:remote:Command")
            state = state.SetItem("stdout", "").SetItem("stderr", "");
        return Task.FromResult<(string?, object)>((args.Name + "-id", state));
    }

    public Task<object> CallAsync(MockCallArgs args)
    {
        Calls.Enqueue(args);
        if (args.Token == "cloudflare:index/getZone:getZone")
        {
            var name = args.Args.TryGetValue("filter", out var f) && f is ImmutableDictionary<string, object> filter ? filter["name"] as string : null;
            return Task.FromResult<object>(name == "trevarn.com"
                ? ImmutableDictionary<string, object>.Empty.Add("id", LookedUpZoneId).Add("name", name)
                : ImmutableDictionary<string, object>.Empty);
        }
        return Task.FromResult<object>(args.Args);
    }
}

/// <summary>One run of the program under the mocks.</summary>
internal sealed record ProgramRun(ImmutableArray<Pulumi.Resource> Resources, IDictionary<string, object?> Outputs, Mocks Mocks);

/// <summary>
/// Runs the program under the mocks with the prod stack, test-time secrets, and an operator's known_hosts and
/// ssh_config written at test time: hub2 listed by address, <c>px3</c> an alias for 192.0.2.14 port 2222.
/// </summary>
internal static class ProgramUnderTest
{
    private static readonly Difenn.WireGuard.Keys.WireGuardPrivateKey Server = Difenn.WireGuard.Keys.WireGuardPrivateKey.Generate();
    private static readonly Difenn.WireGuard.Keys.WireGuardPrivateKey Xe300 = Difenn.WireGuard.Keys.WireGuardPrivateKey.Generate();
    public static readonly string ServerKey = Server.RevealBase64();
    public static readonly string Xe300Key = Xe300.RevealBase64();
    public static readonly string SshKey = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)) + "\n-----END OPENSSH PRIVATE KEY-----\n";
    public static readonly string HubHostKey = HostKeys.Ed25519();
    public static readonly string Px3HostKey = HostKeys.Ed25519();
    public const string Px3Address = "192.0.2.14";

    private static readonly string Dir = Directory.CreateTempSubdirectory("dfn-infra-tests-").FullName;
    public static readonly string KnownHostsPath = Write("known_hosts", $"51.68.235.106 {HubHostKey}\n[{Px3Address}]:2222 {Px3HostKey}\n");
    public static readonly string RelayBinary = WriteBytes("difenn-relay", System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096));
    public static readonly string SshConfigPath = Write("ssh_config", $"Host px3 px3-suzuka\n  HostName {Px3Address}\n  Port 2222\n  User root\n");

    /// <summary>
    /// <c>stacks/prod.yaml</c> with its server and xe300 public keys replaced by those the test-time private keys derive:
    /// the program refuses a private key that does not derive the declared public key.
    /// </summary>
    public static string ProdStackText()
    {
        var path = Path.Combine(RepoRoot(), "stacks", "prod.yaml");
        var stack = Difenn.Topology.Loading.StackLoader.Load(path).Stack ?? throw new InvalidOperationException($"{path} does not load");
        return File.ReadAllText(path)
            .Replace(stack.Server.PublicKey.ToBase64(), Server.PublicKey.ToBase64())
            .Replace(stack.Peers.Single(p => p.Name == "xe300").PublicKey.ToBase64(), Xe300.PublicKey.ToBase64());
    }

    /// <summary><see cref="ProdStackText"/>, written once.</summary>
    public static readonly string ProdStackPath = Write("prod.yaml", ProdStackText());

    public static string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(Dir, name + "-" + Guid.NewGuid().ToString("n")[..8]);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static string Write(string name, string content)
    {
        var path = Path.Combine(Dir, name + "-" + Guid.NewGuid().ToString("n")[..8]);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Runs the program; <paramref name="config"/> entries override (a null value removes the entry).</summary>
    public static async Task<ProgramRun> RunAsync(IDictionary<string, string?>? config = null, string? stackFile = null, Mocks? mocks = null)
    {
        var values = new Dictionary<string, string>
        {
            ["difenn-infra:stack"] = "prod",
            ["difenn-infra:stackFile"] = stackFile ?? ProdStackPath,
            ["difenn-infra:knownHosts"] = KnownHostsPath,
            ["difenn-infra:sshConfig"] = SshConfigPath,
            ["difenn-infra:relayBinary"] = RelayBinary,
            ["difenn-infra:sshPrivateKey"] = SshKey,
            ["difenn-infra:serverPrivateKey"] = ServerKey,
            ["difenn-infra:xe300PrivateKey"] = Xe300Key,
        };
        foreach (var (k, v) in config ?? new Dictionary<string, string?>())
            if (v is null) values.Remove(k);
            else values[k] = v;
        Environment.SetEnvironmentVariable("PULUMI_CONFIG", System.Text.Json.JsonSerializer.Serialize(values));
        Environment.SetEnvironmentVariable("PULUMI_CONFIG_SECRET_KEYS", System.Text.Json.JsonSerializer.Serialize(new[]
        {
            "difenn-infra:sshPrivateKey", "difenn-infra:serverPrivateKey", "difenn-infra:xe300PrivateKey",
        }));
        mocks ??= new Mocks();
        var (resources, outputs) = await Pulumi.Deployment.TestAsync(mocks, new TestOptions { ProjectName = "difenn-infra", StackName = "prod", IsPreview = false },
            () => DifennStack.Declare(new Pulumi.Config("difenn-infra")));
        return new ProgramRun(resources, outputs, mocks);
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Difenn.Infra.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>Host public keys made at test time (random key material in SSH wire format; never a real host's).</summary>
internal static class HostKeys
{
    public static string Ed25519() => Line("ssh-ed25519", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static string Ecdsa256()
    {
        using var k = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var p = k.ExportParameters(false);
        return Line("ecdsa-sha2-nistp256", System.Text.Encoding.ASCII.GetBytes("nistp256"), [0x04, .. p.Q.X!, .. p.Q.Y!]);
    }

    private static string Line(string type, params byte[][] fields)
    {
        var ms = new MemoryStream();
        void Put(byte[] b)
        {
            ms.Write([(byte)(b.Length >> 24), (byte)(b.Length >> 16), (byte)(b.Length >> 8), (byte)b.Length]);
            ms.Write(b);
        }
        Put(System.Text.Encoding.ASCII.GetBytes(type));
        foreach (var f in fields) Put(f);
        return $"{type} {Convert.ToBase64String(ms.ToArray())}";
    }
}
