using System.Collections.Immutable;
using System.Text.Json;
using Difenn.Infra.Components;
using Difenn.Testing.Processes;
using Pulumi;

namespace Difenn.Infra.Tests.Rehearsal;

/// <summary>
/// A REHEARSAL of `pulumi up` / `pulumi destroy` for the command provider's resources, NOT the Pulumi engine: the
/// program runs under Pulumi's own mocks, and each <c>command:remote:Command</c> and <c>CopyToRemote</c> it declares
/// is executed by <c>provider-rehearsal</c> (Go, with the provider's own SSH and SFTP libraries, following
/// pulumi-command v1.2.1's connection.go, commandOutputs.go, commandController.go and copyController.go; see its header).
/// The engine's part is reduced to what these resources need: a resource not in the state is created, one whose inputs
/// differ from the stored ones is updated (the provider's diff: any changed input; no Triggers here, so no replace), an
/// unchanged one is left alone, removed ones and a destroy are deleted in reverse dependency order with the inputs
/// stored at their last create/update. Steps run one at a time in dependency order (the engine may run independent
/// ones in parallel). Not covered: the engine's own diff display, parallelism, secrets encryption in state,
/// refresh, import, cancellation, and any other provider (Cloudflare is not called).
/// </summary>
internal sealed class ProviderRehearsal
{
    private static readonly Lazy<Task<string>> Runner = new(BuildRunnerAsync);
    private readonly List<StateEntry> _state = [];

    /// <summary>What each run did, in order: <c>create hub2-firewall</c>, <c>update ct2914-wg0</c>, ...</summary>
    public List<string> Log { get; } = [];

    /// <summary>The resources in the state, in deploy order.</summary>
    public IReadOnlyList<string> StateNames => _state.Select(s => s.Name).ToList();

    /// <summary>Runs `pulumi up` for the program run <paramref name="run"/>; returns the steps taken.</summary>
    public async Task<List<string>> UpAsync(ProgramRun run)
    {
        var steps = new List<string>();
        var desired = Declared(run);
        foreach (var (name, type, inputs) in desired)
        {
            var old = _state.FirstOrDefault(s => s.Name == name);
            if (old is not null && Json(old.Inputs) == Json(inputs)) continue;
            var op = old is null ? "create" : "update";
            var (stdout, stderr) = await ExecuteAsync(type, op, inputs, old?.Stdout ?? "", old?.Stderr ?? "", name);
            var entry = new StateEntry(name, type, inputs, stdout, stderr);
            if (old is null) _state.Add(entry);
            else _state[_state.IndexOf(old)] = entry;
            steps.Add($"{op} {name}");
        }
        foreach (var gone in _state.Where(s => desired.All(d => d.Name != s.Name)).Reverse().ToList())
        {
            await ExecuteAsync(gone.Type, "delete", gone.Inputs, gone.Stdout, gone.Stderr, gone.Name);
            _state.Remove(gone);
            steps.Add($"delete {gone.Name}");
        }
        Log.AddRange(steps);
        return steps;
    }

    /// <summary>Runs `pulumi destroy`: every resource deleted, dependents first, with its stored inputs.</summary>
    public async Task<List<string>> DestroyAsync()
    {
        var steps = new List<string>();
        for (var i = _state.Count - 1; i >= 0; i--)
        {
            var s = _state[i];
            await ExecuteAsync(s.Type, "delete", s.Inputs, s.Stdout, s.Stderr, s.Name);
            _state.RemoveAt(i);
            steps.Add($"delete {s.Name}");
        }
        Log.AddRange(steps);
        return steps;
    }

    /// <summary>
    /// The command provider's resources in dependency order: the program declares each after the ones it depends on
    /// (<see cref="CommandRegistry"/> enforces it), which is checked here against the options it passed.
    /// </summary>
    private static List<(string Name, string Type, ImmutableDictionary<string, object> Inputs)> Declared(ProgramRun run)
    {
        var byName = run.Mocks.Resources.Where(r => r.Type is "command:remote:Command" or "command:remote:CopyToRemote")
            .ToDictionary(r => r.Name!, r => r);
        var order = run.Resources.OfType<HostComponent>().SelectMany(h => h.DeclarationOrder).ToList();
        var options = run.Resources.OfType<HostComponent>().SelectMany(h => h.ResourceOptions).ToDictionary(kv => kv.Key, kv => kv.Value);
        var seen = new HashSet<string>();
        foreach (var name in order)
        {
            foreach (var dep in DependencyNames(options[name]))
                if (!seen.Contains(dep)) throw new InvalidOperationException($"{name} depends on {dep}, declared after it");
            seen.Add(name);
        }
        if (order.Count != byName.Count) throw new InvalidOperationException($"declared {byName.Count} provider resources, components list {order.Count}");
        return order.Select(n => (n, byName[n].Type!, byName[n].Inputs)).ToList();
    }

    private static IEnumerable<string> DependencyNames(CustomResourceOptions o)
    {
        var deps = Pulumi.Utilities.OutputUtilities.GetValueAsync(((Input<ImmutableArray<Resource>>)o.DependsOn).Apply(a => a)).GetAwaiter().GetResult();
        return deps.IsDefault ? [] : deps.Select(r => r.GetResourceName());
    }

    /// <summary>One provider step outside any state (e.g. to show how the provider treats an input).</summary>
    public static Task<(string Stdout, string Stderr)> RunStepAsync(string type, string op, ImmutableDictionary<string, object> inputs, string name) =>
        ExecuteAsync(type, op, inputs, "", "", name);

    private static async Task<(string, string)> ExecuteAsync(string type, string op, ImmutableDictionary<string, object> inputs, string stdout, string stderr, string name)
    {
        var input = inputs.ToDictionary(kv => kv.Key, kv => kv.Value);
        if (type == "command:remote:CopyToRemote" && input.TryGetValue("source", out var source))
        {
            input.Remove("source");
            switch (source)
            {
                case FileAsset f: input["sourcePath"] = AssetValue(f); break;
                case StringAsset s: input["sourceText"] = AssetValue(s); break;
                default: throw new InvalidOperationException($"{name}: source {source?.GetType().Name} is not a file or text asset");
            }
        }
        var request = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["kind"] = type == "command:remote:Command" ? "command" : "copy",
            ["op"] = op,
            ["input"] = input,
            ["stdout"] = stdout,
            ["stderr"] = stderr,
        });
        var r = await ProcessRunner.RunAsync(await Runner.Value, [], request, TimeSpan.FromMinutes(3));
        if (r.ExitCode != 0) throw new RehearsalStepFailed($"{op} {name}", r.StdErr.Trim());
        var result = JsonDocument.Parse(r.StdOut).RootElement;
        return (result.GetProperty("stdout").GetString()!, result.GetProperty("stderr").GetString()!);
    }

    private static string AssetValue(AssetOrArchive a) =>
        (string)typeof(AssetOrArchive).GetProperty("Value", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(a)!;

    private static string Json(ImmutableDictionary<string, object> inputs) =>
        JsonSerializer.Serialize(inputs.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value is AssetOrArchive a ? AssetValue(a) : kv.Value));

    /// <summary>Builds provider-rehearsal with Debian's Go toolchain and libraries (golang-go, golang-golang-x-crypto-dev,
    /// golang-github-pkg-sftp-dev: see .ci/install) into artifacts/.</summary>
    private static async Task<string> BuildRunnerAsync()
    {
        var root = ProgramUnderTest.RepoRoot();
        var output = Path.Combine(root, "artifacts", "provider-rehearsal");
        var r = await ProcessRunner.RunAsync("go", ["build", "-o", output, "."], "", TimeSpan.FromMinutes(5), new Dictionary<string, string>
        {
            ["GO111MODULE"] = "off",
            ["GOPATH"] = "/usr/share/gocode",
            ["GOCACHE"] = Path.Combine(root, "artifacts", "go-cache"),
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        }, workingDirectory: Path.Combine(root, "tests", "Difenn.Infra.Tests", "Rehearsal", "provider-rehearsal"));
        r.EnsureSuccess("go build provider-rehearsal");
        return output;
    }

    private sealed record StateEntry(string Name, string Type, ImmutableDictionary<string, object> Inputs, string Stdout, string Stderr);
}

/// <summary>A step failed as the provider would have failed it (its message as the provider would give it).</summary>
internal sealed class RehearsalStepFailed(string step, string error) : Exception($"{step}: {error}")
{
    /// <summary>The step, e.g. <c>create hub2-firewall</c>.</summary>
    public string Step { get; } = step;

    /// <summary>The provider's error.</summary>
    public string Error { get; } = error;
}
