using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.OpenWrt;
using Difenn.WireGuard.Validation;

namespace Difenn.Cli.Config;

/// <summary><c>difenn config</c>: validate wg-quick files and render them for OpenWrt.</summary>
public static class ConfigCommand
{
    /// <summary>Creates the <c>config</c> command and its sub-commands.</summary>
    public static Command Create(CliConsole console)
    {
        var config = new Command("config", "Validate wg-quick configuration files and render them in other forms (OpenWrt uci).");
        config.Subcommands.Add(Check(console));
        config.Subcommands.Add(Render(console));
        return config;
    }

    private static Command Check(CliConsole console)
    {
        var files = new Argument<FileInfo[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = "wg-quick files to check." };
        var strict = new Option<bool>("--warnings-as-errors") { Description = "Exit 1 on warnings too (default: only errors fail)." };
        var json = JsonOutput.CreateOption();
        var cmd = new Command("check", """
            Validate wg-quick files: keys, addresses, ports, keepalive, endpoints, duplicate peers and AllowedIPs.
            Prints one line per problem as file:line:column: severity: field: message.
            Exit codes: 0 no errors, 1 problems found, 2 usage error.

            Example:
              difenn config check /etc/wireguard/wg0.conf xe300.conf
            """) { files, strict, json };
        cmd.SetAction(r =>
        {
            var reports = r.GetValue(files)!.Select(CheckFile).ToList();
            var all = reports.SelectMany(x => x.Diagnostics).ToList();
            var errors = all.Count(d => d.Severity == DiagnosticSeverity.Error);
            var warnings = all.Count - errors;
            if (r.GetValue(json))
                JsonOutput.Write(console.Out, new { files = reports.Select(x => new { file = x.File, valid = x.Diagnostics.All(d => d.Severity != DiagnosticSeverity.Error), diagnostics = x.Diagnostics }), errors, warnings });
            else
            {
                foreach (var d in all) console.Out.WriteLine(d);
                console.Error.WriteLine($"{reports.Count} file(s) checked: {errors} error(s), {warnings} warning(s)");
            }
            return errors > 0 || (r.GetValue(strict) && warnings > 0) ? ExitCodes.Problems : ExitCodes.Ok;
        });
        return cmd;
    }

    private static (string File, IReadOnlyList<Diagnostic> Diagnostics) CheckFile(FileInfo file)
    {
        try
        {
            return (file.ToString(), WgQuickParser.Parse(File.ReadAllText(file.FullName), file.ToString()).Diagnostics);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (file.ToString(), [Diagnostic.Error(file.ToString(), 0, 0, "file", $"cannot read: {ex.Message}")]);
        }
    }

    private static Command Render(CliConsole console)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A wg-quick client config (one [Interface], its [Peer]s)." };
        var uci = new Option<bool>("--uci") { Description = "Render a `uci batch` script for OpenWrt (the only form so far; required)." };
        var iface = new Option<string?>("--interface") { Description = "OpenWrt interface (UCI section) name; default: the file name without .conf, e.g. wg_difenn." };
        var outOpt = new Option<FileInfo?>("--out", "-o") { Description = "Write the script to this file (mode 0600: it holds the private key)." };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists." };
        var stdout = new Option<bool>("--stdout") { Description = "Print the script, private key included, on stdout (explicit)." };
        var cmd = new Command("render", """
            Render a wg-quick file as an OpenWrt `uci batch` script (network.<iface> with proto wireguard and its
            wireguard_<iface> peer sections). Applying it twice leaves the same configuration. The script holds the
            private key, so it goes to a 0600 file or, explicitly, to stdout.

            Examples:
              difenn config render --uci wg_difenn.conf --out wg_difenn.uci
              difenn config render --uci wg_difenn.conf --stdout | ssh root@10.200.0.2 'uci -q batch && uci commit network'
            """) { file, uci, iface, outOpt, force, stdout };
        cmd.SetAction(r =>
        {
            if (!r.GetValue(uci)) throw new UsageException("choose the output form: --uci");
            var path = r.GetValue(file)!;
            var target = r.GetValue(outOpt);
            var toStdout = r.GetValue(stdout);
            if (target is null == !toStdout) throw new UsageException("give exactly one of --out FILE or --stdout (the script holds the private key)");
            var name = r.GetValue(iface) ?? Path.GetFileNameWithoutExtension(path.Name);
            string text;
            try
            {
                text = File.ReadAllText(path.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CommandFailedException($"{path}: cannot read: {ex.Message}");
            }
            var parsed = WgQuickParser.Parse(text, path.ToString());
            foreach (var d in parsed.Diagnostics) console.Error.WriteLine(d);
            if (parsed.Config is null) throw new CommandFailedException($"{path} has errors; nothing rendered");
            UciWireGuardInterface model;
            try
            {
                model = UciBatchRenderer.FromWgQuick(parsed.Config, name);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException($"{ex.Message}; pass --interface NAME");
            }
            var batch = UciBatchRenderer.Render(model);
            if (toStdout) console.Out.Write(batch);
            else SecretFile.Write(target!.FullName, batch, r.GetValue(force));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
