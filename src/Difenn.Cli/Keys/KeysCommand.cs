using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.WireGuard.Keys;

namespace Difenn.Cli.Keys;

/// <summary><c>difenn keys</c>: generate and derive WireGuard keys, byte-compatible with <c>wg genkey/pubkey/genpsk</c>.</summary>
public static class KeysCommand
{
    /// <summary>Creates the <c>keys</c> command and its sub-commands.</summary>
    public static Command Create(CliConsole console)
    {
        var keys = new Command("keys", "Generate WireGuard keys and derive public keys (same formats as wg genkey, wg pubkey, wg genpsk).");
        keys.Subcommands.Add(Generate(console));
        keys.Subcommands.Add(Public(console));
        keys.Subcommands.Add(Psk(console));
        return keys;
    }

    private static Command Generate(CliConsole console)
    {
        var outOpt = new Option<FileInfo?>("--out", "-o") { Description = "Write the private key to this file, created with mode 0600." };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists (the old key is lost)." };
        var stdout = new Option<bool>("--stdout") { Description = "Print the private key itself on stdout (explicit, for piping into a secret store)." };
        var json = JsonOutput.CreateOption();
        var cmd = new Command("generate", """
            Generate a new private key. The key goes to a 0600 file (--out) and only its public key is printed;
            printing the private key needs an explicit --stdout.

            Examples:
              difenn keys generate --out server.key
              difenn keys generate --stdout | pulumi config set --secret difenn-infra:serverPrivateKey
            """) { outOpt, force, stdout, json };
        cmd.SetAction(r =>
        {
            var file = r.GetValue(outOpt);
            var toStdout = r.GetValue(stdout);
            if (file is null && !toStdout) throw new UsageException("say where the private key goes: --out FILE, or --stdout to print it");
            if (file is not null && toStdout) throw new UsageException("--out and --stdout are exclusive");
            if (toStdout && r.GetValue(json)) throw new UsageException("--json never carries a private key; use --out FILE with --json");
            var key = WireGuardPrivateKey.Generate();
            if (toStdout)
            {
                console.Out.WriteLine(key.RevealBase64());
                return ExitCodes.Ok;
            }
            SecretFile.Write(file!.FullName, key.RevealBase64() + "\n", r.GetValue(force));
            if (r.GetValue(json)) JsonOutput.Write(console.Out, new { publicKey = key.PublicKey.ToBase64(), privateKeyFile = file.FullName });
            else console.Out.WriteLine(key.PublicKey.ToBase64());
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Most characters <c>keys public</c> reads from stdin (a key and some whitespace or a comment fit easily).</summary>
    private const int MaxKeyInput = 4096;

    private static Command Public(CliConsole console)
    {
        var json = JsonOutput.CreateOption();
        var cmd = new Command("public", """
            Read a private key on stdin and print its public key (as wg pubkey).

            Example:
              difenn keys public < server.key
            """) { json };
        cmd.SetAction(r =>
        {
            // A key is 44 characters: reading more than a little would let /dev/zero or a huge file hang or exhaust memory.
            var buffer = new char[MaxKeyInput + 1];
            var read = 0;
            for (int n; read < buffer.Length && (n = console.In.Read(buffer, read, buffer.Length - read)) > 0;) read += n;
            if (read > MaxKeyInput) throw new UsageException($"stdin: more than {MaxKeyInput} characters; a private key is 44 (e.g. difenn keys public < server.key)");
            var text = new string(buffer, 0, read).Trim();
            Array.Clear(buffer);
            if (!WireGuardPrivateKey.TryParse(text, out var key, out var error))
                throw new CommandFailedException($"stdin: invalid private key: {error}");
            if (r.GetValue(json)) JsonOutput.Write(console.Out, new { publicKey = key.PublicKey.ToBase64() });
            else console.Out.WriteLine(key.PublicKey.ToBase64());
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Psk(CliConsole console)
    {
        var outOpt = new Option<FileInfo?>("--out", "-o") { Description = "Write the preshared key to this file, created with mode 0600." };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists." };
        var stdout = new Option<bool>("--stdout") { Description = "Print the preshared key on stdout (explicit)." };
        var cmd = new Command("psk", """
            Generate a preshared key (as wg genpsk), to a 0600 file or, explicitly, to stdout.

            Examples:
              difenn keys psk --out xe300.psk
              difenn keys psk --stdout | pulumi config set --secret difenn-infra:xe300PresharedKey
            """) { outOpt, force, stdout };
        cmd.SetAction(r =>
        {
            var file = r.GetValue(outOpt);
            var toStdout = r.GetValue(stdout);
            if (file is null == !toStdout) throw new UsageException("give exactly one of --out FILE or --stdout");
            var psk = WireGuardPresharedKey.Generate();
            if (toStdout) console.Out.WriteLine(psk.RevealBase64());
            else
            {
                SecretFile.Write(file!.FullName, psk.RevealBase64() + "\n", r.GetValue(force));
                console.Error.WriteLine($"preshared key written to {file.FullName} (mode 0600)");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
