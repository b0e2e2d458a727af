using Dkms.Core.Primitives;

namespace Dkms.Ledger.State;

/// <summary>The ledger state a rule may read: committed state, possibly with a block's pending changes on top.</summary>
public interface IStateReader
{
    IdentityState? GetIdentity(IdentityId id);

    AgentPolicy? GetPolicy(IdentityId owner, string policyId);

    RetiredKeyRecord? GetRetiredKey(IdentityId owner, PublicKey key);

    /// <summary>The validator set record, or null before genesis wrote one.</summary>
    ValidatorSetState? GetValidators();
}
