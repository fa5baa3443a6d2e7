namespace Difenn.Operations.Drift;

/// <summary>How a live item compares with the desired state.</summary>
public enum DriftVerdict
{
    /// <summary>Live equals desired.</summary>
    InSync,

    /// <summary>It exists but differs.</summary>
    Drift,

    /// <summary>Desired but absent.</summary>
    Missing,

    /// <summary>Present but not desired (a stale rule of ours, a legacy container, an unknown peer).</summary>
    Unexpected,

    /// <summary>Could not be checked (host unreachable, tool missing, unreadable output).</summary>
    Unknown,
}

/// <summary>One compared item. Never holds a secret: keys are compared and shown by their public key.</summary>
/// <param name="Host">Host name (<c>hub2</c>, <c>ct2914</c>, <c>xe300</c>, <c>dns</c>).</param>
/// <param name="Item">What is compared, e.g. <c>ufw 51820/udp</c>.</param>
/// <param name="Desired">The desired value, as text.</param>
/// <param name="Live">The live value, as text.</param>
/// <param name="Verdict">The comparison's outcome.</param>
public sealed record DriftItem(string Host, string Item, string Desired, string Live, DriftVerdict Verdict);

/// <summary>The outcome of a drift check over every host.</summary>
/// <param name="Stack">Stack name.</param>
/// <param name="Items">Every compared item, host by host in deploy order.</param>
public sealed record DriftReport(string Stack, IReadOnlyList<DriftItem> Items)
{
    /// <summary>True when any item is not in sync and was checked.</summary>
    public bool DriftFound => Items.Any(i => i.Verdict is DriftVerdict.Drift or DriftVerdict.Missing or DriftVerdict.Unexpected);

    /// <summary>True when some item could not be checked.</summary>
    public bool Incomplete => Items.Any(i => i.Verdict == DriftVerdict.Unknown);

    /// <summary>Hosts with at least one unchecked item.</summary>
    public IReadOnlyList<string> UncheckedHosts => Items.Where(i => i.Verdict == DriftVerdict.Unknown).Select(i => i.Host).Distinct().ToList();

    /// <summary>0 in sync, 2 drift found (even when some host could not be checked), 1 nothing drifted but some host could not be checked.</summary>
    public int ExitCode => DriftFound ? 2 : Incomplete ? 1 : 0;
}

/// <summary>Collects items for one host.</summary>
/// <param name="host">The host the items are about.</param>
public sealed class DriftItems(string host)
{
    private readonly List<DriftItem> _items = [];

    /// <summary>The items so far.</summary>
    public IReadOnlyList<DriftItem> Items => _items;

    /// <summary>In sync when equal (ordinal), else drift.</summary>
    public void Compare(string item, string desired, string live) =>
        _items.Add(new DriftItem(host, item, desired, live, desired == live ? DriftVerdict.InSync : DriftVerdict.Drift));

    /// <summary>Adds an item with an explicit verdict.</summary>
    public void Add(string item, string desired, string live, DriftVerdict verdict) => _items.Add(new DriftItem(host, item, desired, live, verdict));

    /// <summary>Missing (when <paramref name="present"/> is false) or in sync.</summary>
    public bool Present(string item, bool present, string desired, string live)
    {
        _items.Add(new DriftItem(host, item, desired, present ? live : "absent", present ? DriftVerdict.InSync : DriftVerdict.Missing));
        return present;
    }
}
