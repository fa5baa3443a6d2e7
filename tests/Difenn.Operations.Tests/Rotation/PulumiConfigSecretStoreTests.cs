using Difenn.Operations.Rotation;

namespace Difenn.Operations.Tests.Rotation;

/// <summary>
/// The Pulumi secret store against a FAKE pulumi CLI (the real one is not installable here) that implements
/// `config set --secret` (value on stdin when not on the command line, as pulumi reads it), `config get` and
/// `config rm` over a JSON file, and records every argv so the test can prove no value is ever on a command line.
/// </summary>
public sealed class PulumiConfigSecretStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dfn-pulumi-").FullName;

    private string Fake => Path.Combine(_dir, "pulumi");

    public PulumiConfigSecretStoreTests()
    {
        File.WriteAllText(Fake, $$"""
            #!/usr/bin/env python3
            # FAKE pulumi CLI: `config set [--secret] --stack S KEY [VALUE]` (VALUE from stdin when absent), `config get --stack S KEY`,
            # `config rm --stack S KEY`; exit 255 with pulumi's message for a missing key.
            import json, os, sys
            state_path = "{{_dir}}/config.json"
            state = json.load(open(state_path)) if os.path.exists(state_path) else {}
            open("{{_dir}}/argv.log", "a").write(" ".join(sys.argv[1:]) + "\n")
            args = [a for a in sys.argv[1:] if a != "--secret"]
            stack = args[args.index("--stack") + 1]
            rest = [a for i, a in enumerate(args) if a not in ("config", "--stack") and (i == 0 or args[i - 1] != "--stack")]
            verb, key = rest[0], rest[1]
            full = stack + "/" + key
            if verb == "set":
                state[full] = rest[2] if len(rest) > 2 else sys.stdin.read()
            elif verb == "get":
                if full not in state:
                    sys.stderr.write("error: configuration key '%s' not found for stack '%s'\n" % (key, stack)); sys.exit(255)
                print(state[full])
            elif verb == "rm":
                state.pop(full, None)
            json.dump(state, open(state_path, "w"))
            """);
        File.SetUnixFileMode(Fake, (UnixFileMode)0b111_000_000);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private Dictionary<string, string> Config() => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(_dir, "config.json")))!;

    [Fact]
    public async Task StageCommitDiscard_PendingThenCurrent_ValueNeverOnACommandLine()
    {
        var store = new PulumiConfigSecretStore("prod", _dir, pulumi: Fake);
        await store.StageAsync("serverPrivateKey", "NEW-VALUE-1", default);
        Assert.Equal("NEW-VALUE-1", Config()["prod/difenn-infra:serverPrivateKeyPending"]);
        Assert.False(Config().ContainsKey("prod/difenn-infra:serverPrivateKey"));

        await store.CommitAsync("serverPrivateKey", default);
        Assert.Equal("NEW-VALUE-1", Config()["prod/difenn-infra:serverPrivateKey"]);
        Assert.False(Config().ContainsKey("prod/difenn-infra:serverPrivateKeyPending"));

        await store.StageAsync("serverPrivateKey", "NEW-VALUE-2", default);
        await store.DiscardAsync("serverPrivateKey", default);
        Assert.Equal("NEW-VALUE-1", Config()["prod/difenn-infra:serverPrivateKey"]);

        var argv = File.ReadAllText(Path.Combine(_dir, "argv.log"));
        Assert.DoesNotContain("NEW-VALUE", argv);
        Assert.Contains("config set --secret --stack prod difenn-infra:serverPrivateKeyPending", argv);
    }

    [Fact]
    public async Task Commit_NothingStaged_FailsNamingTheKeyNotAValue()
    {
        var store = new PulumiConfigSecretStore("prod", _dir, pulumi: Fake);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.CommitAsync("serverPrivateKey", default));
        Assert.Contains("difenn-infra:serverPrivateKeyPending", ex.Message);
        Assert.Contains("not found", ex.Message);
    }
}
