using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.Topology.Loading;
using Difenn.Topology.Model;
using Difenn.Topology.Secrets;

namespace Difenn.Cli.Stacks;

/// <summary>The options every stack-reading command shares: <c>--stack NAME</c> / <c>--stack-file PATH</c>, secrets sources.</summary>
public sealed class StackOptions
{
    /// <summary><c>--stack NAME</c> (default <c>prod</c>): reads <c>stacks/NAME.yaml</c>, found upward from the current directory.</summary>
    public Option<string> Stack { get; } = new("--stack", "-s") { Description = "Stack name: reads stacks/<name>.yaml, searched upward from the current directory.", DefaultValueFactory = _ => "prod" };

    /// <summary><c>--stack-file PATH</c>: any stack file (overrides --stack).</summary>
    public Option<FileInfo?> StackFile { get; } = new("--stack-file") { Description = "Read this stack file instead of stacks/<name>.yaml." };

    /// <summary><c>--secrets-dir DIR</c>: secrets as 0600 files named after each secret.</summary>
    public Option<DirectoryInfo?> SecretsDir { get; } = new("--secrets-dir") { Description = "Directory of 0600 files named after each secret (e.g. serverPrivateKey). Default: environment variables DIFENN_SECRET_<name>. For rotate, also where the new key is written (NAME.pending until confirmed)." };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Stack);
        command.Options.Add(StackFile);
        command.Options.Add(SecretsDir);
    }

    /// <summary>The secrets source the options select.</summary>
    public ISecretSource Secrets(ParseResult r) =>
        r.GetValue(SecretsDir) is { } dir ? new DirectorySecretSource(dir.FullName) : new EnvironmentSecretSource();

    /// <summary>Resolves the stack file path; a usage error when it cannot be found.</summary>
    public string ResolvePath(ParseResult r)
    {
        if (r.GetValue(StackFile) is { } file) return file.FullName;
        var name = r.GetValue(Stack)!;
        // --stack names a file in stacks/; a path there would silently read some other file.
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9][A-Za-z0-9_-]*$"))
            throw new UsageException($"--stack takes a stack name (letters, digits, '-', '_', e.g. prod), not a path; for a file elsewhere use --stack-file PATH");
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "stacks", name + ".yaml");
            if (File.Exists(candidate)) return candidate;
        }
        throw new UsageException($"stacks/{name}.yaml not found in {Environment.CurrentDirectory} or any parent; run from the repository or pass --stack-file PATH");
    }

    /// <summary>Loads and validates the stack, printing diagnostics to stderr; throws when it has errors.</summary>
    public Stack Load(ParseResult r, CliConsole console)
    {
        var path = ResolvePath(r);
        var result = StackLoader.Load(path);
        foreach (var d in result.Diagnostics) console.Error.WriteLine(d);
        return result.Stack ?? throw new CommandFailedException($"{path}: {result.Diagnostics.Count(d => d.Severity == Difenn.WireGuard.Validation.DiagnosticSeverity.Error)} error(s); fix them and run again");
    }
}
