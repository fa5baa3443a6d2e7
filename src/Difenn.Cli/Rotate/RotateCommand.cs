using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.Cli.Remote;
using Difenn.Cli.Stacks;
using Difenn.Operations.Rotation;

namespace Difenn.Cli.Rotate;

/// <summary><c>difenn rotate server|peer|psk</c>: replace a key on every host, in the order that keeps the routers reachable.</summary>
public static class RotateCommand
{
    /// <summary>Creates the <c>rotate</c> command and its three subcommands.</summary>
    public static Command Create(CliConsole console)
    {
        var rotate = new Command("rotate", """
            Rotate a key after a leak, or routinely. The router is reachable only through the tunnel being re-keyed, so it
            changes first under its rollback timer, then the server through px3, then the new handshake is confirmed;
            on failure the server is put back and the router's timer restores its previous config, and the report says
            where each host stands. The new key is generated here, staged in the secret store before any host is touched,
            committed once confirmed; the stack file's public key is updated. No key is printed, old or new.

            Exit: 0 rotated and confirmed; 1 failed (see each host's state) or nothing changed; 2 usage error.

            Examples:
              difenn rotate server --stack prod --dry-run
              difenn rotate server --stack prod --secrets-dir ~/.difenn/secrets
              difenn rotate peer xe300 --stack prod --pulumi-stack prod
              difenn rotate psk xe300 --stack prod --secrets-dir ~/.difenn/secrets
            """);
        rotate.Subcommands.Add(Sub(console, "server", RotationTarget.ServerKey, "Rotate the server's key pair; every managed router learns the new server public key."));
        rotate.Subcommands.Add(Sub(console, "peer", RotationTarget.PeerKey, "Rotate a managed (OpenWrt) peer's key pair."));
        rotate.Subcommands.Add(Sub(console, "psk", RotationTarget.PresharedKey, "Add or rotate a peer's preshared key (the stack must name it under the peer's secrets.presharedKey)."));
        return rotate;
    }

    private static Command Sub(CliConsole console, string name, RotationTarget target, string description)
    {
        var stack = new StackOptions();
        var ssh = new SshCliOptions();
        var json = JsonOutput.CreateOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the steps; change nothing, contact no host." };
        var pulumiStack = new Option<string?>("--pulumi-stack") { Description = "Keep the new key as a Pulumi config secret of this stack (pulumi config set --secret, value on stdin). The current secrets are read from DIFENN_SECRET_<name>." };
        var noEdit = new Option<bool>("--no-stack-edit") { Description = "Do not write the new public key into the stack file (print it instead)." };
        var peer = new Argument<string>("PEER") { Description = "The peer's name in the stack." };
        var cmd = new Command(name, description)
            { json, dryRun, pulumiStack, noEdit };
        if (target != RotationTarget.ServerKey) cmd.Arguments.Add(peer);
        stack.AddTo(cmd);
        ssh.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var model = stack.Load(r, console);
            RotationPlan plan;
            try
            {
                plan = RotationPlan.Create(model, target, target == RotationTarget.ServerKey ? null : r.GetValue(peer));
            }
            catch (ArgumentException ex)
            {
                throw new CommandFailedException(ex.Message);
            }
            if (r.GetValue(dryRun))
            {
                var steps = KeyRotation.Steps(plan);
                if (r.GetValue(json)) JsonOutput.Write(console.Out, new { dryRun = true, target, secret = plan.SecretName, steps });
                else
                {
                    console.Out.WriteLine($"dry run: rotate {plan.SecretName} ({target}); nothing is changed");
                    for (var i = 0; i < steps.Count; i++) console.Out.WriteLine($"  {i + 1}. {steps[i]}");
                }
                return ExitCodes.Ok;
            }
            var store = SecretStores.Select(r.GetValue(stack.SecretsDir), r.GetValue(pulumiStack), model.SourceFile, "--dry-run");
            await using var shell = ssh.CreateShell(r);
            var rotation = new KeyRotation(shell, stack.Secrets(r), store, new StderrProgress(console.Error));
            var report = await rotation.RunAsync(plan, r.GetValue(noEdit) ? null : model.SourceFile, ct);
            if (r.GetValue(json)) JsonOutput.Write(console.Out, report);
            else
            {
                console.Out.WriteLine(report.Succeeded ? $"rotated {report.Secret}" : $"ROTATION FAILED: {report.Secret} was not changed");
                if (report.Succeeded && report.NewPublicKey is not null) console.Out.WriteLine($"  new public key: {report.NewPublicKey}");
                foreach (var h in report.Hosts) console.Out.WriteLine($"  {h.Host}: {h.State}");
                foreach (var w in report.Warnings) console.Out.WriteLine($"  warning: {w}");
            }
            return report.Succeeded ? ExitCodes.Ok : ExitCodes.Problems;
        });
        return cmd;
    }
}
