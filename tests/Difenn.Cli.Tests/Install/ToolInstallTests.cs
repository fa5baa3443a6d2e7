using Difenn.Cli.Tests.Infrastructure;
using Difenn.Testing.Processes;

namespace Difenn.Cli.Tests.Install;

/// <summary>
/// The README's install: `dotnet pack` makes a .NET tool package, `dotnet tool install` puts a `difenn` command on a
/// tool path, and that command runs. And its bash completion, which asks the program through the [suggest] directive.
/// </summary>
public sealed class ToolInstallTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The configuration these tests were built in (the CLI project was built alongside).</summary>
    private static string Configuration => AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    [Fact]
    public async Task PackThenToolInstall_IntoATempToolPath_DifennCommandRuns()
    {
        var packages = Path.Combine(_dir, "packages");
        var tools = Path.Combine(_dir, "tools");
        // Only the freshly packed folder as a source: the install can neither reach nor be confused by a public feed.
        var config = Path.Combine(_dir, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{packages}" /></packageSources></configuration>
            """);
        var cli = Path.Combine(Testing.RepoFiles.Root, "src", "Difenn.Cli");
        (await ProcessRunner.RunAsync("dotnet", ["pack", cli, "-c", Configuration, "--no-build", "-o", packages, "-nologo"], timeout: TimeSpan.FromMinutes(5)))
            .EnsureSuccess("dotnet pack");
        var nupkg = Assert.Single(Directory.GetFiles(packages, "difenn.*.nupkg"));
        using (var zip = System.IO.Compression.ZipFile.OpenRead(nupkg))
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith("/completion/difenn.bash", StringComparison.Ordinal));

        (await ProcessRunner.RunAsync("dotnet", ["tool", "install", "difenn", "--tool-path", tools, "--configfile", config], timeout: TimeSpan.FromMinutes(5)))
            .EnsureSuccess("dotnet tool install");
        var help = await ProcessRunner.RunAsync(Path.Combine(tools, "difenn"), ["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("peer", help.StdOut);
        Assert.Contains("drift", help.StdOut);
        var usage = await ProcessRunner.RunAsync(Path.Combine(tools, "difenn"), ["no-such-command"]);
        Assert.Equal(2, usage.ExitCode);
    }

    [Theory]
    [InlineData("difenn pe", "peer")]
    [InlineData("difenn peer ad", "add")]
    [InlineData("difenn peer add phone --ki", "--kind")]
    [InlineData("difenn peer add phone --kind ", "Laptop OpenWrt Phone")]
    [InlineData("difenn rotate ", "--help -? -h /? /h peer psk server")]
    public async Task BashCompletion_ScriptShippedWithTheTool_CompletesCommandsOptionsAndValues(string line, string expected)
    {
        // `difenn` on PATH, as the tool install puts it: here the CLI this test project was built with.
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "difenn"), $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "difenn.dll")}' \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "difenn"), (UnixFileMode)0b111_101_101);
        var script = Path.Combine(AppContext.BaseDirectory, "completion", "difenn.bash");
        var r = await ProcessRunner.RunAsync("bash", ["--norc", "--noprofile", "-c", """
            source "$1"
            COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
            read -ra COMP_WORDS <<< "$COMP_LINE"
            [ "${COMP_LINE: -1}" = " " ] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            _difenn_complete
            echo "${COMPREPLY[*]}"
            """, "bash", script, line], environment: new Dictionary<string, string> { ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}" });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(expected, r.StdOut.Trim());
    }
}
