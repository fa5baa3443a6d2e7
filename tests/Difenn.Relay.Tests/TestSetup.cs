using System.Runtime.CompilerServices;

namespace Difenn.Relay.Tests;

internal static class TestSetup
{
    /// <summary>
    /// Tests block thread-pool threads in synchronous socket receives while the relay's loops continue on the pool;
    /// on a 2-core machine the pool would add threads slowly and delay the relay by hundreds of milliseconds.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => ThreadPool.SetMinThreads(64, 64);
}
