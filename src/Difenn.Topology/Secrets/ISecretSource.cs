namespace Difenn.Topology.Secrets;

/// <summary>Where secret values come from: Pulumi stack config, environment variables, 0600 files.</summary>
public interface ISecretSource
{
    /// <summary>Human description used in errors, e.g. "environment variables DIFENN_SECRET_*".</summary>
    string Description { get; }

    /// <summary>Looks up secret <paramref name="name"/>.</summary>
    bool TryGet(string name, out string value);
}

/// <summary>Secrets from environment variables named <c>DIFENN_SECRET_&lt;name&gt;</c> (e.g. DIFENN_SECRET_serverPrivateKey).</summary>
public sealed class EnvironmentSecretSource : ISecretSource
{
    /// <summary>The variable prefix.</summary>
    public const string Prefix = "DIFENN_SECRET_";

    /// <inheritdoc />
    public string Description => $"environment variables {Prefix}<name>";

    /// <inheritdoc />
    public bool TryGet(string name, out string value)
    {
        value = Environment.GetEnvironmentVariable(Prefix + name)?.Trim() ?? "";
        return value.Length > 0;
    }
}

/// <summary>
/// Secrets from files <c>&lt;dir&gt;/&lt;name&gt;</c>. A file readable by group or others is refused: a secret in a
/// world-readable file is already leaked, and using it silently would hide that.
/// </summary>
public sealed class DirectorySecretSource(string directory) : ISecretSource
{
    /// <inheritdoc />
    public string Description => $"secret files in {directory}";

    /// <inheritdoc />
    public bool TryGet(string name, out string value)
    {
        value = "";
        var path = Path.Combine(directory, name);
        if (!File.Exists(path)) return false;
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new InvalidOperationException($"{path} is readable or writable by others (mode {Convert.ToString((int)mode, 8)}); chmod 600 it");
        value = File.ReadAllText(path).Trim();
        return value.Length > 0;
    }
}

/// <summary>Secrets from an in-memory map (tests, and values already resolved elsewhere).</summary>
public sealed class DictionarySecretSource(IReadOnlyDictionary<string, string> values, string description = "the given secrets") : ISecretSource
{
    /// <inheritdoc />
    public string Description => description;

    /// <inheritdoc />
    public bool TryGet(string name, out string value) => values.TryGetValue(name, out value!);
}
