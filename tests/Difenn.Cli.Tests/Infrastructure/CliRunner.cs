using Difenn.Cli.Infrastructure;

namespace Difenn.Cli.Tests.Infrastructure;

/// <summary>Runs the real CLI in-process with captured streams.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result RunWithInput(string? stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = Program.Run(args, new CliConsole(new StringReader(stdin ?? ""), o, e));
        return new Result(code, o.ToString(), e.ToString());
    }

    public static Result Run(params string[] args) => RunWithInput(null, args);

    /// <summary>
    /// Runs the CLI against the namespace lab (its stack and SSH arguments appended), logs the command and its output
    /// to <paramref name="output"/>, and asserts that neither stream holds the lab's private keys.
    /// </summary>
    public static Result RunAgainstLab(Difenn.Testing.Lab.TopologyLab lab, Xunit.Abstractions.ITestOutputHelper output, params string[] args)
    {
        var r = Run([.. args, .. lab.CliArgs]);
        output.WriteLine($"$ difenn {string.Join(' ', args)}  (exit {r.ExitCode})\n{r.Err}{r.Out}");
        foreach (var secret in new[] { lab.ServerKey.RevealBase64(), lab.RouterKey.RevealBase64() })
            Xunit.Assert.DoesNotContain(secret, r.Out + r.Err);
        return r;
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("dfn-cli-").FullName;
}
