using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Network;

namespace Dkms.Node.Networking;

/// <summary>
/// The peer set a node keeps, read from its committed ledger: the validators of the next height and those of the height
/// after it. A change committed at height H is in force from H + <see cref="Governance.ActivationDelay"/>, so an added
/// validator is connected as soon as the change commits (before it must vote), and a removed one stays until the last
/// height it votes for is committed. A validator in both sets is dialled at the newer set's address.
/// </summary>
public static class ValidatorPeers
{
    public static PeerAddress[] From(DkmsLedger ledger)
    {
        var next = ledger.Height + 1;
        var current = ledger.ValidatorSetAt(next) ?? [];
        var coming = ledger.ValidatorSetAt(next + 1) ?? [];
        var peers = new Dictionary<PublicKey, PeerAddress>();
        foreach (var v in current.Concat(coming)) peers[v.NodeKey] = new PeerAddress(v.NodeKey, v.Address);
        return [.. peers.Values.OrderBy(p => p.Key)];
    }

    /// <summary>True when both list the same keys at the same addresses (in the order <see cref="From"/> gives).</summary>
    public static bool Same(IReadOnlyList<PeerAddress> a, IReadOnlyList<PeerAddress> b) => a.SequenceEqual(b);
}
