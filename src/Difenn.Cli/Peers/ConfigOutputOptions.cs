using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.Topology.Model;

namespace Difenn.Cli.Peers;

/// <summary>Where a device's config goes: a 0600 file (<c>--out</c>), stdout (<c>--stdout</c>, explicit), and/or a terminal QR code (<c>--qr</c>).</summary>
/// <param name="optional">True when printing a config is optional (peer show); false when a file is written by default (peer add).</param>
internal sealed class ConfigOutputOptions(bool optional = false)
{
    public Option<FileInfo?> Out { get; } = new("--out", "-o") { Description = optional ? "Write the device's config to this file (mode 0600)." : "Write the device's config to this file (mode 0600). Default: ./NAME.conf (./NAME-uci.sh for an OpenWrt router)." };
    public Option<bool> Stdout { get; } = new("--stdout") { Description = "Print the device's config, private key included, on stdout instead of writing a file (explicit)." };
    public Option<bool> Qr { get; } = new("--qr") { Description = "Also draw the config as a QR code in the terminal, for the WireGuard mobile apps (it holds the private key)." };
    public Option<bool> Force { get; } = new("--force") { Description = "Replace the --out file if it exists." };

    public void AddTo(Command command)
    {
        command.Options.Add(Out);
        command.Options.Add(Stdout);
        command.Options.Add(Qr);
        command.Options.Add(Force);
    }

    public bool Requested(ParseResult r) => r.GetValue(Out) is not null || r.GetValue(Stdout) || r.GetValue(Qr);

    /// <summary>Usage errors for combinations that would mix a secret into the wrong place.</summary>
    public void Check(ParseResult r, Option<bool> json, bool openWrt)
    {
        if (r.GetValue(Out) is not null && r.GetValue(Stdout)) throw new UsageException("--out and --stdout exclude each other");
        if (r.GetValue(json) && (r.GetValue(Stdout) || r.GetValue(Qr))) throw new UsageException("--json never carries a private key: use --out FILE with --json");
        if (openWrt && r.GetValue(Qr)) throw new UsageException("--qr is for phones and laptops; an OpenWrt router gets its apply script (--out or --stdout)");
    }

    /// <summary>Writes the config where asked; returns the file written, if any.</summary>
    public string? Write(ParseResult r, CliConsole console, string config, PeerSpec peer)
    {
        string? file = null;
        if (r.GetValue(Stdout)) console.Out.Write(config);
        else if (r.GetValue(Out) is { } o || !optional)
        {
            file = r.GetValue(Out)?.FullName ?? Path.GetFullPath(peer.OpenWrt is null ? $"{peer.Name}.conf" : $"{peer.Name}-uci.sh");
            SecretFile.Write(file, config, r.GetValue(Force));
        }
        if (r.GetValue(Qr)) console.Out.Write(TerminalQr.Render(config));
        return file;
    }
}
