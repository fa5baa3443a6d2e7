namespace Difenn.Operations.Rotation;

/// <summary>Where one host stands after a rotation.</summary>
/// <param name="Host">Host name.</param>
/// <param name="State">Its state, in words (e.g. "new key live; handshake with xe300 confirmed").</param>
/// <param name="OnNewConfig">True when it runs the new configuration, false when the old, null when unknown.</param>
public sealed record HostOutcome(string Host, string State, bool? OnNewConfig);

/// <summary>The outcome of a rotation. Holds public keys only.</summary>
/// <param name="Target">What was rotated.</param>
/// <param name="Secret">The secret's name.</param>
/// <param name="Succeeded">True when every host runs the new key and the handshake was confirmed.</param>
/// <param name="OldPublicKey">The replaced public key (null for a preshared key).</param>
/// <param name="NewPublicKey">The new public key (null for a preshared key).</param>
/// <param name="Hosts">Each host's state at the end.</param>
/// <param name="Warnings">What the operator must still do by hand.</param>
public sealed record RotationReport(RotationTarget Target, string Secret, bool Succeeded, string? OldPublicKey, string? NewPublicKey,
    IReadOnlyList<HostOutcome> Hosts, IReadOnlyList<string> Warnings);
