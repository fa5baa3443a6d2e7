using Difenn.Cli.Infrastructure;
using Difenn.Operations.Rotation;

namespace Difenn.Cli.Stacks;

/// <summary>Where new keys go (rotate, peer add): <c>--secrets-dir DIR</c> or <c>--pulumi-stack NAME</c>, exactly one.</summary>
public static class SecretStores
{
    /// <summary>The store the two options select; a usage error when neither or both are given (naming <paramref name="orElse"/>, another way out, if any).</summary>
    public static ISecretStore Select(DirectoryInfo? secretsDir, string? pulumiStack, string stackFile, string? orElse = null) => (secretsDir, pulumiStack) switch
    {
        ({ } dir, null) => new DirectorySecretStore(dir.FullName),
        // Pulumi.yaml sits at the repository root, one level above stacks/<stack>.yaml.
        (null, { } p) => new PulumiConfigSecretStore(p, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(stackFile)!, ".."))),
        (null, null) => throw new UsageException($"say where the new key goes: --secrets-dir DIR or --pulumi-stack NAME{(orElse is null ? "" : $" (or {orElse})")}"),
        _ => throw new UsageException("--secrets-dir and --pulumi-stack exclude each other"),
    };
}
