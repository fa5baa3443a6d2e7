namespace Difenn.Cli.Infrastructure;

/// <summary>
/// Exit codes scripts can trust. Commands with their own meaning (drift: 2 = drift found) document it in
/// their help; every command uses <see cref="Usage"/> for a command line it cannot run.
/// </summary>
public static class ExitCodes
{
    /// <summary>Success; for checks: nothing wrong found.</summary>
    public const int Ok = 0;

    /// <summary>The command ran and found problems, or failed (the message says which).</summary>
    public const int Problems = 1;

    /// <summary>The command line is wrong: unknown option, missing argument, conflicting flags.</summary>
    public const int Usage = 2;
}

/// <summary>Thrown by a command for a command line it cannot run; reported on stderr, exit <see cref="ExitCodes.Usage"/>.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Thrown by a command for an expected failure (bad input file, refused overwrite); exit <see cref="ExitCodes.Problems"/>.</summary>
public sealed class CommandFailedException(string message) : Exception(message);
