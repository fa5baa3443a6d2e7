using System.Diagnostics;
using System.Security.Cryptography;
using Stack = Difenn.Topology.Model.Stack;
using Difenn.Topology.Desired;
using Pulumi;

namespace Difenn.Infra.Components;

/// <summary>
/// The relay as `pulumi up` delivers it: this commit's Native AOT binary, published locally, copied to the hub with a
/// runtime-only Dockerfile and built there into an image whose tag is the binary's content hash
/// (<c>difenn-relay:sha256-&lt;16 hex&gt;</c>). The compose file names that tag, so an unchanged binary changes no input
/// (nothing runs) and a changed one changes the copy, the build and the compose file, which recreates exactly the
/// relay containers.
/// </summary>
/// <param name="BinaryPath">The published binary.</param>
/// <param name="Sha256">Its SHA-256, lowercase hex.</param>
public sealed record RelayImage(string BinaryPath, string Sha256)
{
    /// <summary>
    /// The runtime-only Dockerfile built on the hub, next to the binary. The image runs as root inside, with compose
    /// dropping every capability except NET_BIND_SERVICE and mounting the root file system read-only: a non-root user
    /// would need a file capability on the binary, which an SFTP copy cannot carry.
    /// </summary>
    public const string Dockerfile = """
        # difenn-relay runtime image, built on the hub by `pulumi up` from the Native AOT binary copied next to this file.
        FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
        COPY --chmod=0755 difenn-relay /usr/local/bin/difenn-relay
        USER 0:0
        VOLUME /var/lib/difenn-relay
        EXPOSE 51820/udp 443/udp
        ENTRYPOINT ["/usr/local/bin/difenn-relay"]

        """;

    /// <summary>The image tag for <paramref name="repository"/> (e.g. <c>difenn-relay</c>).</summary>
    public string Tag(string repository) => RelayImageTag.For(repository, Sha256);

    /// <summary>
    /// The binary named by config <c>relayBinary</c>, else this commit's relay published now with
    /// <c>dotnet publish ../src/Difenn.Relay -c Release -r linux-x64 -p:PublishAot=true</c> (from infra/, as Pulumi runs it).
    /// </summary>
    public static RelayImage Locate(string? configured)
    {
        var path = configured ?? Publish();
        if (!File.Exists(path)) throw new RunException($"relay binary {path} (config difenn-infra:relayBinary) does not exist");
        using var f = File.OpenRead(path);
        return new RelayImage(Path.GetFullPath(path), Convert.ToHexString(SHA256.HashData(f)).ToLowerInvariant());
    }

    /// <summary>The stack with the relay image replaced by <paramref name="image"/> (see <see cref="RelayImageTag.WithImage"/>).</summary>
    public static Stack WithImage(Stack stack, string image) => RelayImageTag.WithImage(stack, image);

    /// <summary>The repository part of an image reference (see <see cref="RelayImageTag.Repository"/>).</summary>
    public static string Repository(string image) => RelayImageTag.Repository(image);

    private static string Publish()
    {
        var project = Path.Combine("..", "src", "Difenn.Relay");
        var output = Path.Combine(Path.GetTempPath(), "difenn-relay-publish");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "publish", project, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output, "-v", "quiet", "-nologo" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new RunException("could not start dotnet to publish the relay");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new RunException($"publishing the relay ({project}) failed (exit {p.ExitCode}); set difenn-infra:relayBinary to a published binary to skip it:\n{stdout.Result}{stderr}");
        return Path.Combine(output, "difenn-relay");
    }
}
