using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Ledger.State;
using Dkms.Node.Consensus;
using Dkms.Node.Rpc;

namespace Dkms.Node;

/// <summary>
/// The node's read side for RPC (<see cref="ILedgerReads"/>): the ledger's committed queries, the committed blocks and the
/// proof anchors. Every call is a read of the committed store (the ledger opens one snapshot per multi-key query) or of
/// the ledger's head, which the consensus loop replaces whole at commit; none touches what the loop is working on.
/// </summary>
internal sealed class LedgerReadSide(DkmsLedger ledger, LedgerApplication blocks, ProofAnchors anchors) : ILedgerReads
{
    public ulong Height => ledger.Height;

    public int ProofHistoryHeights => ledger.Options.ProofHistoryHeights;

    public IdentityState? GetIdentity(IdentityId id) => ledger.GetIdentity(id);

    public IdentityState? GetIdentityAt(IdentityId id, ulong height) => ledger.GetIdentityAt(id, height);

    public IReadOnlyList<EventRecord> GetEvents(IdentityId id, ulong fromSequence, int limit) => ledger.GetEvents(id, fromSequence, limit);

    public KeyValidity CheckSigningKey(IdentityId id, PublicKey key, ulong height) => ledger.CheckSigningKey(id, key, height);

    public AgentPolicy? GetPolicyAt(IdentityId owner, string policyId, ulong height) => ledger.GetPolicyAt(owner, policyId, height);

    public AuthorizationResult CheckAuthorization(IdentityId owner, string policyId, PublicKey agent, AgentRights rights, ulong height) =>
        ledger.CheckAuthorization(owner, policyId, agent, rights, height);

    public TxLocation? GetTransaction(Hash32 hash) => ledger.GetTransaction(hash);

    public HeightRecord? GetHeight(ulong height) => ledger.GetHeight(height);

    public CommittedValidatorSet? CommittedValidators(ulong? height) => ledger.CommittedValidators(height);

    public IReadOnlyList<ProvenValue> ValidatorChanges(ulong afterSequence, int limit, out bool complete) =>
        ledger.ValidatorChanges(afterSequence, limit, out complete);

    public IReadOnlyList<ProvenValue> NewestValidatorChange(ulong afterSequence, out bool complete) =>
        ledger.NewestValidatorChange(afterSequence, out complete);

    public ProvenValue? ProveIdentity(IdentityId id, ulong height) => ledger.ProveIdentity(id, height);

    public ProvenValue? ProvePolicy(IdentityId owner, string policyId, ulong height) => ledger.ProvePolicy(owner, policyId, height);

    public bool TryGetBlock(ulong height, out Block block, out CommitCertificate certificate) => blocks.TryGetCommitted(height, out block, out certificate);

    public ProofAnchor? Anchor(ulong height) => anchors.Get(height);
}
