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

    public static string TempDir() => Directory.CreateTempSubdirectory("dfn-cli-").FullName;
}
