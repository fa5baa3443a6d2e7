namespace Difenn.Operations.Rotation;

/// <summary>
/// Where rotated keys are kept. A new key is <see cref="StageAsync">staged</see> before any host is touched (so a
/// crash mid-rotation never loses the key a host may already use), then <see cref="CommitAsync">committed</see>
/// once the new handshake is confirmed, or <see cref="DiscardAsync">discarded</see> when the rotation is rolled back.
/// </summary>
public interface ISecretStore
{
    /// <summary>Human description, e.g. "secret files in ~/.difenn/secrets".</summary>
    string Description { get; }

    /// <summary>Keeps <paramref name="value"/> as the pending new value of <paramref name="name"/>; the current value stays.</summary>
    Task StageAsync(string name, string value, CancellationToken ct);

    /// <summary>Makes the staged value current; the old value is gone.</summary>
    Task CommitAsync(string name, CancellationToken ct);

    /// <summary>Drops the staged value; the current value stays.</summary>
    Task DiscardAsync(string name, CancellationToken ct);
}

/// <summary>
/// Secrets as 0600 files <c>DIR/NAME</c> (what <c>--secrets-dir</c> reads); a staged value is <c>DIR/NAME.pending</c>.
/// Files are written 0600 from their first byte and replaced by rename, so no reader ever sees half a key.
/// </summary>
/// <param name="directory">The directory.</param>
public sealed class DirectorySecretStore(string directory) : ISecretStore
{
    /// <inheritdoc />
    public string Description => $"secret files in {directory}";

    /// <inheritdoc />
    public Task StageAsync(string name, string value, CancellationToken ct)
    {
        var pending = Path.Combine(directory, name + ".pending");
        var temp = pending + ".tmp";
        File.Delete(temp);
        using (var fs = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            fs.Write(System.Text.Encoding.ASCII.GetBytes(value + "\n"));
        File.Move(temp, pending, overwrite: true);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task CommitAsync(string name, CancellationToken ct)
    {
        File.Move(Path.Combine(directory, name + ".pending"), Path.Combine(directory, name), overwrite: true);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DiscardAsync(string name, CancellationToken ct)
    {
        File.Delete(Path.Combine(directory, name + ".pending"));
        return Task.CompletedTask;
    }
}

/// <summary>
/// Secrets in the Pulumi stack's config, encrypted by Pulumi (<c>pulumi config set --secret</c>, the value on stdin,
/// never on a command line). A staged value is kept as <c>NAMEPending</c> until committed.
/// </summary>
/// <param name="stack">The Pulumi stack (e.g. <c>prod</c>).</param>
/// <param name="project">The config namespace (default <c>difenn-infra</c>, the project name in Pulumi.yaml).</param>
/// <param name="workingDirectory">Where Pulumi.yaml is.</param>
/// <param name="pulumi">The pulumi CLI to run (default <c>pulumi</c> on PATH).</param>
public sealed class PulumiConfigSecretStore(string stack, string workingDirectory, string project = "difenn-infra", string pulumi = "pulumi") : ISecretStore
{
    /// <inheritdoc />
    public string Description => $"Pulumi config secrets of stack {stack}";

    /// <inheritdoc />
    public Task StageAsync(string name, string value, CancellationToken ct) => SetAsync(name + "Pending", value, ct);

    /// <inheritdoc />
    public async Task CommitAsync(string name, CancellationToken ct)
    {
        var value = (await PulumiAsync(["config", "get", "--stack", stack, $"{project}:{name}Pending"], null, ct)).TrimEnd('\n');
        await SetAsync(name, value, ct);
        await PulumiAsync(["config", "rm", "--stack", stack, $"{project}:{name}Pending"], null, ct);
    }

    /// <inheritdoc />
    public async Task DiscardAsync(string name, CancellationToken ct) =>
        await PulumiAsync(["config", "rm", "--stack", stack, $"{project}:{name}Pending"], null, ct);

    private Task SetAsync(string name, string value, CancellationToken ct) =>
        PulumiAsync(["config", "set", "--secret", "--stack", stack, $"{project}:{name}"], value, ct);

    private async Task<string> PulumiAsync(string[] args, string? stdin, CancellationToken ct)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(pulumi)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        System.Diagnostics.Process p;
        try
        {
            p = System.Diagnostics.Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("the pulumi CLI is not on PATH; install it, or keep rotated keys with --secrets-dir");
        }
        using (p)
        {
            var output = p.StandardOutput.ReadToEndAsync(ct);
            var error = p.StandardError.ReadToEndAsync(ct);
            if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
            await p.WaitForExitAsync(ct);
            // The message names the command, never the value (which only ever went to stdin).
            if (p.ExitCode != 0) throw new InvalidOperationException($"pulumi {string.Join(' ', args.Take(3))} {args[^1]} failed: {(await error).Trim()}");
            return await output;
        }
    }
}
