using Difenn.Cli.Tests.Infrastructure;
using Difenn.Testing.Lab;
using Difenn.Testing.Network;
using Difenn.Testing.Processes;
using Difenn.Topology.Desired;
using Xunit.Abstractions;

namespace Difenn.Cli.Tests.Peers;

/// <summary>
/// A phone added with <c>difenn peer add</c>, as an operator would: the server side is reapplied from the edited stack
/// (what <c>pulumi up</c> runs on CT2914), then a real wireguard-go client, brought up by <c>wg-quick</c> from the
/// printed config in its own namespace, handshakes through the relay and pings the server.
/// </summary>
public sealed class PeerLabTests(ITestOutputHelper output) : DeployedLabTest
{
    [Fact]
    public async Task PeerAdd_PhoneConfigFromTheCli_HandshakesThroughTheRelayAfterTheServerIsReapplied()
    {
        // The phone reaches hub2's public side from its own network, as a phone on LTE does.
        await using var phoneNs = await NetworkNamespace.CreateAsync("ph");
        await VethPair.ConnectAsync(phoneNs, "10.9.2.2/24", Lab.HubNs, "10.9.2.1/24");
        await phoneNs.ExecAsync("ip", "route", "add", "default", "via", "10.9.2.1");

        var add = CliRunner.Run("peer", "add", "phone", "--endpoint", LabStack.HubFront, "--stdout", "--stack-file", Lab.StackPath, "--secrets-dir", Lab.SecretsDir);
        output.WriteLine($"$ difenn peer add phone --stdout (exit {add.ExitCode})\n{add.Err}");
        Assert.Equal(0, add.ExitCode);
        Assert.Contains("Endpoint = 10.9.1.1:51820", add.Out);
        Assert.Contains("Address = 10.200.0.3/32", add.Out);

        // Before the server knows the peer, the relay lets the initiation through (MAC1 is for the server) but no
        // handshake completes: the check below could fail.
        var confDir = Directory.CreateTempSubdirectory("dfn-phone-").FullName;
        var iface = "ph" + NetworkNamespace.RandomSuffix(); // wireguard-go's socket is /run/wireguard/NAME.sock: unique per run
        var conf = Path.Combine(confDir, iface + ".conf");
        var wgQuickEnv = new Dictionary<string, string> { ["WG_QUICK_USERSPACE_IMPLEMENTATION"] = "wireguard-go", ["WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD"] = "1" };
        File.WriteAllText(conf, add.Out);
        File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            (await phoneNs.RunAsync("wg-quick", ["up", conf], environment: wgQuickEnv)).EnsureSuccess("wg-quick up (phone)");
            Assert.False(await PhoneHandshakeAsync(phoneNs, iface, TimeSpan.FromSeconds(6)), "handshake before the server was reapplied");

            // `pulumi up` after the stack edit: the server's host commands, from the edited stack.
            var server = DesiredStateBuilder.Build(Lab.Stack()).Hosts.Single(h => h.Role == "server");
            await using (var shell = Lab.Shell())
                foreach (var c in server.Commands)
                    (await shell.RunAsync(server.Name, server.Connection, c.Create.Reveal(Lab.Secrets))).EnsureSuccess(server.Name, c.Name);

            Assert.True(await PhoneHandshakeAsync(phoneNs, iface, TimeSpan.FromSeconds(30)), await Lab.DiagnosticsAsync());
            (await phoneNs.RunAsync("ping", ["-c", "2", "-W", "5", "10.200.0.1"])).EnsureSuccess("ping the server from the phone");
            // The server sees the phone at the relay's back side, i.e. it came through the relay, not around it.
            var peers = (await Lab.ContainerAsync("wg show wg0 endpoints")).StdOut;
            Assert.Contains($"\t{LabStack.HubBack}:", peers.Split('\n').Single(l => l.StartsWith(Lab.Stack().Peers.Single(p => p.Name == "phone").PublicKey.ToBase64(), StringComparison.Ordinal)));
            // And the router's tunnel is still up.
            Assert.True(await Lab.WaitForHandshakeAsync(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            await phoneNs.RunAsync("wg-quick", ["down", conf], environment: wgQuickEnv);
            Directory.Delete(confDir, recursive: true);
        }
    }

    private static async Task<bool> PhoneHandshakeAsync(NetworkNamespace ns, string iface, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var r = await ns.RunAsync("wg", ["show", iface, "latest-handshakes"]);
            if (r.ExitCode == 0 && r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Any(l => long.TryParse(l.Split('\t')[^1], out var t) && t > 0))
                return true;
            await Task.Delay(250);
        }
        return false;
    }
}
