namespace Dkms.Core.Transactions;

/// <summary>Authorization bits an agent holds in an owner's policy.</summary>
[Flags]
public enum AgentRights : byte
{
    None = 0,
    /// <summary>May change anything in the policy (subject to the policy's admin threshold).</summary>
    Admin = 1,
    /// <summary>May prove authorization on the owner's behalf.</summary>
    Prove = 2,
    /// <summary>May add agents with <see cref="Prove"/> only, or add <see cref="Prove"/> to an agent.</summary>
    ProveGrant = 4,
    /// <summary>May remove <see cref="Prove"/> from an agent.</summary>
    ProveRevoke = 8,

    All = Admin | Prove | ProveGrant | ProveRevoke,
}
