using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using MessagePack;

namespace Dkms.Ledger.State;

/// <summary>
/// An owner's agent authorization policy: which agent keys hold which rights, and how many distinct
/// Admin agents must sign a change that needs Admin. Agents are kept sorted by key so the encoding
/// (and so the state root) never depends on the order changes arrived in. <see cref="Version"/> counts the blocks
/// that changed the policy (1: the block that created it); the history keeps a checkpoint every
/// <see cref="StateKeys.CheckpointInterval"/> versions. The rules leave it alone: the block's state overlay sets it.
/// </summary>
[MessagePackObject]
public sealed record AgentPolicy(
    [property: Key(0)] IdentityId Owner,
    [property: Key(1)] string PolicyId,
    [property: Key(2)] int AdminThreshold,
    [property: Key(3)] AgentEntry[] Agents,
    [property: Key(4)] ulong UpdatedAtHeight,
    [property: Key(5)] ulong Version = 0)
{
    public AgentRights RightsOf(PublicKey agent)
    {
        foreach (var a in Agents)
        {
            if (a.Agent == agent) return a.Rights;
        }

        return AgentRights.None;
    }
}

[MessagePackObject]
public sealed record AgentEntry(
    [property: Key(0)] PublicKey Agent,
    [property: Key(1)] AgentRights Rights);

/// <summary>One version of a policy in its history: the encoded <see cref="AgentPolicy"/> (the exact bytes its state
/// leaf hashed) and the height of the version before it (0: none, the policy was created here).</summary>
[MessagePackObject]
public sealed record PolicyVersion(
    [property: Key(0)] ulong PreviousHeight,
    [property: Key(1)] byte[] Policy);
