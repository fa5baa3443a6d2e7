using Difenn.Testing.Processes;
using Difenn.Testing.WireGuard;
using Difenn.WireGuard.Config;

namespace Difenn.WireGuard.Tests.Config;

/// <summary><see cref="WgQuickWriter.WriteStripped"/> against the real <c>wg-quick strip</c>.</summary>
public class WgQuickStripInteropTests
{
    public static TheoryData<string> Configs => ["server", "everything", "many-peers"];

    [Theory]
    [MemberData(nameof(Configs))]
    public async Task WriteStripped_EqualsWgQuickStrip(string which)
    {
        var config = which switch
        {
            "server" => ConfigFixtures.Server(),
            "everything" => ConfigFixtures.Everything(),
            _ => ConfigFixtures.Server(peers: 20),
        };
        // wg-quick takes the interface name from the file name, which must be a valid interface name.
        var path = SecretTempFile.Write(WgQuickWriter.Write(config), "wgt0.conf");
        try
        {
            var result = (await ProcessRunner.RunAsync("wg-quick", ["strip", path])).EnsureSuccess("wg-quick strip");
            // wg-quick strip echoes the kept lines, which adds one newline after the last one.
            Assert.Equal(WgQuickWriter.WriteStripped(config) + "\n", result.StdOut);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
