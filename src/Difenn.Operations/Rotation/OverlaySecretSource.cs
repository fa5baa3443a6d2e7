using Difenn.Topology.Secrets;

namespace Difenn.Operations.Rotation;

/// <summary>One secret replaced, the others from an underlying source.</summary>
/// <param name="inner">The underlying source.</param>
/// <param name="name">The replaced secret's name.</param>
/// <param name="value">Its value.</param>
internal sealed class OverlaySecretSource(ISecretSource inner, string name, string value) : ISecretSource
{
    public string Description => inner.Description;

    public bool TryGet(string secret, out string v)
    {
        if (secret == name)
        {
            v = value;
            return true;
        }
        return inner.TryGet(secret, out v);
    }
}
