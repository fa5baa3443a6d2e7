using System.CommandLine;
using System.Diagnostics;
using Difenn.Cli.Infrastructure;
using Difenn.Cli.Stacks;
using Difenn.Topology.Desired;
using Difenn.Topology.Secrets;

namespace Difenn.Cli.Plan;

/// <summary><c>difenn plan</c>: the offline preview of every resource the Pulumi program declares.</summary>
public static class PlanCommand
{
    /// <summary>Creates the <c>plan</c> command.</summary>
    public static Command Create(CliConsole console)
    {
        var stack = new StackOptions();
        var showFiles = new Option<bool>("--show-files") { Description = "Also print every file's content and every script (secrets as [secret])." };
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "Write every file and script under DIR/<host>/ (secret-bearing ones 0600)." };
        var reveal = new Option<bool>("--reveal") { Description = "Put real secret values into --show-files/--out output (needs the secrets: --secrets-dir or DIFENN_SECRET_*)." };
        var json = JsonOutput.CreateOption();
        var cmd = new Command("plan", """
            Load a stack, validate it, and show every resource the Pulumi program would declare, grouped by host:
            DNS record, firewall rules, containers, files (path, mode, owner, hash) and idempotent commands.
            Offline: no host is contacted. Secrets show as [secret] unless --reveal. Exit: 0 ok, 1 invalid stack, 2 usage.

            Examples:
              difenn plan --stack prod
              difenn plan --stack prod --show-files
              difenn plan --stack-file my.yaml --out /tmp/rendered --json
            """) { showFiles, outDir, reveal, json };
        stack.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var started = Stopwatch.StartNew();
            if (r.GetValue(reveal) && r.GetValue(json)) throw new UsageException("--json never carries secrets; drop --reveal");
            if (r.GetValue(reveal) && !r.GetValue(showFiles) && r.GetValue(outDir) is null) throw new UsageException("--reveal only applies to --show-files or --out");
            var model = stack.Load(r, console);
            var state = DesiredStateBuilder.Build(model);
            ISecretSource? secrets = r.GetValue(reveal) ? stack.Secrets(r) : null;
            if (secrets is not null)
            {
                var missing = state.SecretNames.Where(n => !secrets.TryGet(n, out _)).ToList();
                if (missing.Count > 0) throw new CommandFailedException($"--reveal: missing secret(s) {string.Join(", ", missing)} in {secrets.Description}");
                var mismatched = KeyPairCheck.Mismatches(model, secrets);
                if (mismatched.Count > 0) throw new CommandFailedException("--reveal: " + string.Join("\n--reveal: ", mismatched));
            }
            if (r.GetValue(outDir) is { } dir) PlanWriter.WriteTree(state, dir.FullName, secrets);
            if (r.GetValue(json)) JsonOutput.Write(console.Out, state);
            else PlanPrinter.Print(console.Out, model.SourceFile, state, r.GetValue(showFiles), secrets);
            console.Error.WriteLine($"planned in {started.ElapsedMilliseconds} ms");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
