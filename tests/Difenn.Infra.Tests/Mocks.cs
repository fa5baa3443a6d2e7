using System.Collections.Immutable;
using Pulumi.Testing;

namespace Difenn.Infra.Tests;

/// <summary>Pulumi's own mocks: every resource "created" echoes its inputs as its state, as the engine would.</summary>
internal sealed class Mocks : IMocks
{
    public Task<(string? id, object state)> NewResourceAsync(MockResourceArgs args)
    {
        var state = args.Inputs;
        if (args.Type == "command:remote:Command")
            state = state.SetItem("stdout", "").SetItem("stderr", "");
        return Task.FromResult<(string?, object)>((args.Name + "-id", state));
    }

    public Task<object> CallAsync(MockCallArgs args) => Task.FromResult<object>(args.Args);
}

/// <summary>Runs the program under the mocks with the prod stack and test-time secrets.</summary>
internal static class ProgramUnderTest
{
    public static readonly string ServerKey = Difenn.WireGuard.Keys.WireGuardPrivateKey.Generate().RevealBase64();
    public static readonly string Xe300Key = Difenn.WireGuard.Keys.WireGuardPrivateKey.Generate().RevealBase64();

    public static async Task<(ImmutableArray<Pulumi.Resource> Resources, IDictionary<string, object?> Outputs)> RunAsync()
    {
        var stackFile = Path.Combine(RepoRoot(), "stacks", "prod.yaml");
        var config = new Dictionary<string, string>
        {
            ["difenn-infra:stack"] = "prod",
            ["difenn-infra:stackFile"] = stackFile,
            ["difenn-infra:cloudflareZoneId"] = "zone-id-for-tests",
            ["difenn-infra:sshPrivateKey"] = "test-ssh-key-not-real",
            ["difenn-infra:serverPrivateKey"] = ServerKey,
            ["difenn-infra:xe300PrivateKey"] = Xe300Key,
        };
        Environment.SetEnvironmentVariable("PULUMI_CONFIG", System.Text.Json.JsonSerializer.Serialize(config));
        Environment.SetEnvironmentVariable("PULUMI_CONFIG_SECRET_KEYS", System.Text.Json.JsonSerializer.Serialize(new[]
        {
            "difenn-infra:sshPrivateKey", "difenn-infra:serverPrivateKey", "difenn-infra:xe300PrivateKey",
        }));
        return await Pulumi.Deployment.TestAsync(new Mocks(), new TestOptions { ProjectName = "difenn-infra", StackName = "prod", IsPreview = false },
            () => DifennStack.Declare(new Pulumi.Config("difenn-infra")));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Difenn.Infra.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
