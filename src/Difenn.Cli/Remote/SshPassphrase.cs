using System.Text;

namespace Difenn.Cli.Remote;

/// <summary>
/// Passphrases for encrypted SSH identity files: the <see cref="EnvironmentVariable"/> (one passphrase for every
/// encrypted key: CI and scripts), else a prompt on the terminal without echo. Asked once per file and kept in memory
/// for the run only; never logged, never written anywhere.
/// </summary>
public sealed class SshPassphrase
{
    /// <summary>The environment variable read first: <c>DIFENN_SSH_PASSPHRASE</c>.</summary>
    public const string EnvironmentVariable = "DIFENN_SSH_PASSPHRASE";

    private readonly Func<string, string?> _environment;
    private readonly Func<string, string?>? _prompt;
    private readonly Dictionary<string, string?> _known = [];
    private readonly Lock _lock = new();

    /// <summary>Reads <paramref name="environment"/> first, then asks <paramref name="prompt"/> (null: never asks).</summary>
    public SshPassphrase(Func<string, string?> environment, Func<string, string?>? prompt)
    {
        _environment = environment;
        _prompt = prompt;
    }

    /// <summary>Where passphrases come from, for error messages.</summary>
    public string Source => _prompt is null ? EnvironmentVariable : $"{EnvironmentVariable} or at the terminal prompt";

    /// <summary>The passphrase of the key at <paramref name="path"/>, or null when there is none to give.</summary>
    public string? For(string path)
    {
        // Hosts are reached in parallel: one prompt at a time, and each file asked about once.
        lock (_lock)
        {
            if (_known.TryGetValue(path, out var known)) return known;
            var passphrase = _environment(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : _prompt?.Invoke(path);
            _known[path] = passphrase;
            return passphrase;
        }
    }

    /// <summary>Asks on the terminal without echo; null when standard input is not a terminal (CI, pipes).</summary>
    public static string? PromptOnTerminal(string path)
    {
        if (Console.IsInputRedirected) return null;
        Console.Error.Write($"Passphrase for {path}: ");
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0) text.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}
