using System.Text;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Execution;
using Dkms.Storage;

namespace Dkms.Ledger.Bench;

/// <summary>
/// A signer that makes no real signature. Used only for transactions whose hash is put in the
/// ledger's signature cache, so the ledger never verifies them: building 100k identities then costs
/// no Ed25519 key derivation or signing.
/// </summary>
public sealed class FakeSigner(PublicKey key) : ISigner
{
    public PublicKey PublicKey { get; } = key;

    public byte[] Sign(ReadOnlySpan<byte> message) => new byte[Ed25519.SignatureSize];
}

/// <summary>Transaction kinds the workload generator produces on prefilled identities.</summary>
public enum Kind
{
    Inception,
    Rotation,
    AddKeyAgreementKey,
    RevokeKey,
    SetAgentPolicy,
    RecoveryStart,
}

/// <summary>
/// Deterministic identities: identity <c>i</c> has keys of rotation <c>r</c> derived from "i/r", its next
/// keys are those of rotation r + 1 (like the tests' Actor). Identities 0 and 1 are trustees; every
/// other identity is incepted with key-agreement key "k0" and a 2-of-2 recovery policy naming them.
/// Every transaction made here is for an identity still at rotation 0 and sequence 1.
/// </summary>
public sealed class Workload(string chain, bool realSignatures, string prefix = "id")
{
    public const int Trustees = 2;

    private readonly Dictionary<string, ISigner> _signers = [];
    private readonly Dictionary<int, IdentityId> _ids = [];

    public string Chain { get; } = chain;

    public ISigner Key(int i, int rotation) => Signer($"{prefix}{i}/signing/{rotation}");

    public KeyConfig ConfigAt(int i, int rotation) =>
        new([Key(i, rotation).PublicKey], 1, [Key(i, rotation + 1).PublicKey.Digest()], 1);

    public InceptionPayload InceptionPayload(int i) => i < Trustees
        ? new(ConfigAt(i, 0), [], null)
        : new(ConfigAt(i, 0), [new("k0", Derived($"{prefix}{i}/x/0"), "encryption")], new([Id(0), Id(1)], 2, 86_400));

    public IdentityId Id(int i)
    {
        if (!_ids.TryGetValue(i, out var id)) _ids[i] = id = TransactionCodec.DeriveIdentity(InceptionPayload(i));
        return id;
    }

    public Transaction Inception(int i) => Sign(i, 1, InceptionPayload(i), [Key(i, 0)]);

    public Transaction Make(Kind kind, int i) => kind switch
    {
        Kind.Inception => Inception(i),
        Kind.Rotation => Sign(i, 2, new RotationPayload(ConfigAt(i, 1)), [Key(i, 1)]),
        Kind.AddKeyAgreementKey => Sign(i, 2, new AddKeyAgreementKeyPayload(new("k1", Derived($"{prefix}{i}/x/1"), "encryption")), [Key(i, 0)]),
        Kind.RevokeKey => Sign(i, 2, new RevokeKeyPayload("k0", null, null), [Key(i, 0)]),
        Kind.SetAgentPolicy => Sign(i, 2,
            new SetAgentPolicyPayload("default", [new(Derived($"{prefix}{i}/agent"), AgentRights.Prove | AgentRights.ProveGrant)], null), [Key(i, 0)]),
        Kind.RecoveryStart => TransactionCodec.Sign(
            new TxBody(Chain, Id(i), 2, new RecoveryStartPayload(ConfigAt(i, 100))),
            [(Key(0, 0), Id(0)), (Key(1, 0), Id(1))]),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The mix of the headline block: 40% rotations, 30% key-agreement key adds, 20% agent policies, 10% revocations.</summary>
    public static Kind MixedKind(int j) => (j % 10) switch
    {
        < 4 => Kind.Rotation,
        < 7 => Kind.AddKeyAgreementKey,
        < 9 => Kind.SetAgentPolicy,
        _ => Kind.RevokeKey,
    };

    /// <summary>A block of <paramref name="count"/> mixed transactions on identities first..first+count-1.</summary>
    public Transaction[] MixedBlock(int first, int count) => [.. Enumerable.Range(0, count).Select(j => Make(MixedKind(j), first + j))];

    private Transaction Sign(int i, ulong sequence, TxPayload payload, ISigner[] signers) =>
        TransactionCodec.Sign(new TxBody(Chain, Id(i), sequence, payload), signers.Select(s => (s, (IdentityId?)null)));

    private ISigner Signer(string label)
    {
        if (!_signers.TryGetValue(label, out var s))
        {
            var seed = Hash32.Sha256(Encoding.UTF8.GetBytes(label)).ToArray();
            _signers[label] = s = realSignatures ? Ed25519Signer.FromSeed(seed) : new FakeSigner(new PublicKey(seed));
        }

        return s;
    }

    private static PublicKey Derived(string label) => new(Hash32.Sha256(Encoding.UTF8.GetBytes(label)).ToArray());
}

/// <summary>Ledger set-up shared by the benchmarks.</summary>
public static class Fixture
{
    public const string Chain = "bench-chain";
    public const ulong BlockIntervalMs = 1_000;

    /// <summary>Incepts the trustees and then identities 2..count+1 in blocks of 1,000, signatures marked verified first.</summary>
    public static void Prefill(DkmsLedger ledger, Workload w, int count)
    {
        CommitAll(ledger, [w.Inception(0), w.Inception(1)]);
        for (var first = Workload.Trustees; first < count + Workload.Trustees; first += 1_000)
        {
            var n = Math.Min(1_000, count + Workload.Trustees - first);
            CommitAll(ledger, [.. Enumerable.Range(first, n).Select(w.Inception)]);
        }
    }

    public static ExecutedBlock CommitAll(DkmsLedger ledger, Transaction[] txs)
    {
        foreach (var tx in txs) ledger.Signatures.Add(tx.EnvelopeHash);
        var block = ledger.Execute(ledger.Height + 1, NextTime(ledger), txs);
        Require(block.AllAccepted, $"prefill block {ledger.Height + 1}: {FirstRejection(block)}");
        ledger.Commit(block);
        return block;
    }

    public static ulong NextTime(DkmsLedger ledger) => (ledger.Height + 1) * BlockIntervalMs;

    public static string FirstRejection(ExecutedBlock block)
    {
        for (var i = 0; i < block.Results.Count; i++)
        {
            if (!block.Results[i].IsOk) return $"tx {i} ({block.Transactions[i].Type}) rejected: {block.Results[i]}";
        }

        return "all accepted";
    }

    public static void Require(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException("benchmark setup check failed: " + what);
    }

    public static (DkmsLedger Ledger, IKeyValueStore Store, string? Dir) OpenLedger(bool rocks)
    {
        string? dir = null;
        IKeyValueStore store;
        if (rocks)
        {
            dir = Path.Combine(Path.GetTempPath(), "dkms-bench-" + Guid.NewGuid().ToString("N"));
            store = RocksDbStore.Open(dir);
        }
        else
        {
            store = new MemoryStore();
        }

        return (DkmsLedger.Open(store, new LedgerOptions(Chain) { SyncCommits = true }), store, dir);
    }

    public static void Close(IKeyValueStore? store, string? dir)
    {
        store?.Dispose();
        if (dir is not null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
