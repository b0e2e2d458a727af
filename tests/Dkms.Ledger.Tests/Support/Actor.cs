using System.Text;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Ledger.Tests.Support;

/// <summary>
/// An identity owner in a test, with deterministic keys: the keys of rotation r are derived from the
/// actor's name, so "next keys" are simply the keys of rotation r + 1.
/// </summary>
public sealed class Actor(string name, int keys = 1, int threshold = 1)
{
    private readonly Dictionary<(int, int), Ed25519Signer> _signers = [];

    public string Name { get; } = name;

    public int KeyCount { get; } = keys;

    public int Threshold { get; } = threshold;

    /// <summary>Which rotation's keys are current.</summary>
    public int Rotation { get; set; }

    public IdentityId Id { get; private set; }

    public Ed25519Signer[] KeysAt(int rotation) =>
        [.. Enumerable.Range(0, KeyCount).Select(i => Signer($"{Name}/signing/{rotation}/{i}", rotation, i))];

    public Ed25519Signer[] Current => KeysAt(Rotation);

    public Ed25519Signer[] Next => KeysAt(Rotation + 1);

    public KeyConfig ConfigAt(int rotation) => new(
        [.. KeysAt(rotation).Select(s => s.PublicKey)], Threshold,
        [.. KeysAt(rotation + 1).Select(s => s.PublicKey.Digest())], Threshold);

    /// <summary>An agent key of this actor's world, by name.</summary>
    public Ed25519Signer Agent(string agent) => Signer($"{Name}/agent/{agent}", -1, agent.GetHashCode(StringComparison.Ordinal));

    public InceptionPayload InceptionPayload(RecoveryPolicy? recovery = null, KeyAgreementKeyEntry[]? keyAgreement = null, KeyConfig? keys = null) =>
        new(keys ?? ConfigAt(0), keyAgreement ?? [], recovery);

    /// <summary>A signed inception; also fixes this actor's identifier.</summary>
    public Transaction Incept(RecoveryPolicy? recovery = null, KeyAgreementKeyEntry[]? keyAgreement = null, string chain = LedgerHarness.Chain)
    {
        var payload = InceptionPayload(recovery, keyAgreement);
        Id = TransactionCodec.DeriveIdentity(payload);
        return Sign(payload, 1, Current, chain);
    }

    /// <summary>A transaction on this actor's identity signed by <paramref name="signers"/> on its own behalf.</summary>
    public Transaction Sign(TxPayload payload, ulong sequence, IEnumerable<ISigner> signers, string chain = LedgerHarness.Chain) =>
        TransactionCodec.Sign(new TxBody(chain, Id, sequence, payload), signers.Select(s => (s, (IdentityId?)null)));

    /// <summary>A transaction on this actor's identity with arbitrary signatures (trustees name themselves).</summary>
    public Transaction SignWith(TxPayload payload, ulong sequence, IEnumerable<(ISigner, IdentityId?)> signers, string chain = LedgerHarness.Chain) =>
        TransactionCodec.Sign(new TxBody(chain, Id, sequence, payload), signers);

    /// <summary>Signatures of this actor's current keys made as a trustee of someone else.</summary>
    public IEnumerable<(ISigner, IdentityId?)> AsTrustee() => Current.Select(s => ((ISigner)s, (IdentityId?)Id));

    private Ed25519Signer Signer(string label, int a, int b)
    {
        if (!_signers.TryGetValue((a, b), out var s))
        {
            var seed = Hash32.Sha256(Encoding.UTF8.GetBytes(label)).ToArray();
            _signers[(a, b)] = s = Ed25519Signer.FromSeed(seed);
        }

        return s;
    }
}
