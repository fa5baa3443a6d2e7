using Pulumi;

namespace Difenn.Infra.Components;

/// <summary>The command resources declared so far, by desired-state name, so later ones can depend on earlier ones.</summary>
public sealed class CommandRegistry
{
    private readonly Dictionary<string, Resource> _byName = [];

    /// <summary>Names in declaration (deploy) order.</summary>
    public List<string> Names { get; } = [];

    /// <summary>Records a command resource.</summary>
    public void Add(string name, Resource resource)
    {
        _byName.Add(name, resource);
        Names.Add(name);
    }

    /// <summary>The resources for <paramref name="names"/>; a dependency declared later is a bug in the desired state.</summary>
    public InputList<Resource> Resolve(IEnumerable<string> names)
    {
        var list = new InputList<Resource>();
        foreach (var n in names)
            list.Add(_byName.TryGetValue(n, out var r) ? r : throw new InvalidOperationException($"command '{n}' must be declared before the commands that depend on it"));
        return list;
    }
}
