using Xunit;

namespace Difenn.Testing.Lab;

/// <summary>
/// Base of a test class that runs each test against a freshly deployed <see cref="TopologyLab"/>: xunit makes one
/// instance per test, starts the lab before it and disposes the lab after it.
/// </summary>
public abstract class DeployedLabTest : IAsyncLifetime
{
    /// <summary>The lab; still null after the test only when it failed to start (it cleaned up after itself then).</summary>
    protected TopologyLab Lab { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Lab = await TopologyLab.StartDeployedAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Lab is null) return;
        await BeforeDisposeAsync(Lab);
        await Lab.DisposeAsync();
    }

    /// <summary>Runs after the test, while the lab is still up (e.g. to print its diagnostics). Default: nothing.</summary>
    protected virtual Task BeforeDisposeAsync(TopologyLab lab) => Task.CompletedTask;
}
