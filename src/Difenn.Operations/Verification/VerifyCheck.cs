namespace Difenn.Operations.Verification;

/// <summary>A check's outcome.</summary>
public enum CheckStatus
{
    /// <summary>As the runbook expects.</summary>
    Pass,

    /// <summary>Works, but outside what the runbook expects (e.g. latency), or informational.</summary>
    Warn,

    /// <summary>Broken.</summary>
    Fail,

    /// <summary>Not run: what it needs could not be read (the host is unreachable, or an earlier check failed).</summary>
    Skipped,
}

/// <summary>One of the runbook's checks, automated.</summary>
/// <param name="Name">What is checked, e.g. <c>dns</c>, <c>hub2 udp/51820 listening</c>.</param>
/// <param name="Status">The outcome.</param>
/// <param name="Detail">What was found.</param>
/// <param name="Cause">When not passing: the likely cause.</param>
/// <param name="Fix">When not passing: what to do, from the runbook.</param>
public sealed record VerifyCheck(string Name, CheckStatus Status, string Detail, string? Cause = null, string? Fix = null);

/// <summary>Every check of a verify run.</summary>
/// <param name="Stack">Stack name.</param>
/// <param name="Checks">The checks, in the runbook's order (outside in: DNS, hub, server, tunnel, router).</param>
public sealed record VerifyReport(string Stack, IReadOnlyList<VerifyCheck> Checks)
{
    /// <summary>0 when nothing failed (warnings allowed), 1 when a check failed or could not run.</summary>
    public int ExitCode => Checks.Any(c => c.Status is CheckStatus.Fail or CheckStatus.Skipped) ? 1 : 0;
}
