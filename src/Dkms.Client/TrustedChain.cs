using Dkms.Core.Blocks;
using Dkms.Core.Genesis;

namespace Dkms.Client;

/// <summary>What a verifying client trusts without asking any node: the chain's id and the validator set whose
/// quorum certifies its blocks (the genesis set; a client does not follow validator-set changes yet).</summary>
public sealed record TrustedChain(string ChainId, ValidatorSet Validators)
{
    public static TrustedChain FromGenesis(GenesisDocument genesis) => new(genesis.ChainId, genesis.ValidatorSet());
}
