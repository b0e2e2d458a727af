using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Node.Tests.Mempool;

/// <summary>
/// Anyone on the RPC: one identity's conflicting transactions for one sequence (each valid alone), junk carrying many
/// signatures, and a relayer's bad-signature form of someone's transaction sent first (docs/security.md).
/// </summary>
public sealed class SlotAndFormAttackTests
{
    private const string ChainId = "dkms-slot-tests";
    private readonly TransactionBuilder _builder = new(ChainId);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static DkmsLedger NewLedger()
    {
        var ledger = DkmsLedger.Open(new MemoryStore(), new LedgerOptions(ChainId));
        ledger.InitializeGenesis([new ValidatorEntry(Ed25519Signer.FromSeed(Hash32.Sha256("slot-validator"u8).ToArray()).PublicKey, "127.0.0.1:26000", 1)]);
        return ledger;
    }

    private void Commit(DkmsLedger ledger, TransactionPool pool, params Transaction[] txs)
    {
        var executed = ledger.Execute(ledger.Height + 1, (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds(), txs);
        Assert.True(executed.AllAccepted, string.Join("; ", executed.Results));
        ledger.Commit(executed);
        pool.Update(executed.Accepted);
    }

    private static PublicKey Key(int i) => Ed25519Signer.FromSeed(Hash32.Sha256(BitConverter.GetBytes(i)).ToArray()).PublicKey;

    [Fact]
    public void Conflicting_transactions_for_one_sequence_hold_one_slot_and_never_crowd_out_a_valid_transaction()
    {
        var ledger = NewLedger();
        var pool = new TransactionPool(ledger, new MempoolOptions { MaxTransactions = 50 }, _time);
        var mallory = new TestIdentity("mallory", _builder);
        var alice = new TestIdentity("alice", _builder);
        Commit(ledger, pool, mallory.Incept(), alice.Incept());

        var conflicting = Enumerable.Range(0, 50).Select(i =>
            _builder.AddKeyAgreementKey(mallory.Id, 2, new KeyAgreementKeyEntry($"k{i}", Key(i), "enc"), [mallory.KeyAt(0)])).ToArray();
        var verifiedBefore = ledger.Signatures.Verifications;
        var outcomes = pool.AdmitBatch(conflicting);
        Assert.Equal(AdmitStatus.Admitted, outcomes[0].Status);
        Assert.All(outcomes[1..], o => Assert.Equal(ErrorCode.BadSequence, o.Result.Code));
        Assert.Equal(1, pool.Count);

        Assert.Equal(AdmitStatus.Admitted, pool.Admit(alice.AddKeyAgreementKey("a", Key(1000))).Status);
        // Refused while the slot is held, again later: no signature is verified for them.
        Assert.All(pool.AdmitBatch(conflicting[1..]), o => Assert.Equal(ErrorCode.BadSequence, o.Result.Code));
        Assert.Equal(verifiedBefore + 2, ledger.Signatures.Verifications);
    }

    [Fact]
    public void Junk_out_of_turn_costs_no_signature_verification_however_many_signatures_it_carries()
    {
        var ledger = NewLedger();
        var pool = new TransactionPool(ledger, new MempoolOptions(), _time);
        Transaction Junk(int i) => _builder.Build(IdentityId.Derive(BitConverter.GetBytes(i)), 2, new DeactivatePayload(),
            Enumerable.Range(0, Limits.MaxSignatures).Select(k => ((ISigner)Ed25519Signer.FromSeed(Hash32.Sha256(BitConverter.GetBytes((i * 100) + k)).ToArray()), (IdentityId?)null)));

        var junk = Enumerable.Range(0, 200).Select(Junk).ToArray();
        Assert.All(pool.AdmitBatch(junk), o => Assert.True(o.IsAccepted));
        Assert.Equal(0, ledger.Signatures.Verifications);
        Assert.InRange(pool.OrphanCount, 1, 200);
    }

    [Fact]
    public async Task A_bad_signature_form_queued_first_does_not_make_the_authors_async_submission_vanish()
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("slot-admission"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26801", Power = 1 }],
        };
        await using var node = new ValidatorNode(genesis, new NodeSettings { Storage = "memory" }, key, new MemoryStore(),
            new InMemoryPeerHub().Join(key.PublicKey), NullLoggerFactory.Instance, TimeProvider.System);

        var valid = new TestIdentity("victim", _builder).Incept();
        var envelope = Codec.Decode<SignedTransactionEnvelope>(valid.Encoded);
        Assert.True(TransactionCodec.TryAssemble(envelope.Body, [.. envelope.Signatures.Select(s => s with { Signature = new byte[64] })], out var forged, out _));
        Assert.Equal(valid.Hash, forged!.Hash);

        Assert.Equal([true], node.AdmitLater([forged])); // the relayer's form first
        Assert.Equal([true], node.AdmitLater([valid]));  // then the author's
        node.Start();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (node.Ledger.GetTransaction(valid.Hash) is null && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.NotNull(node.Ledger.GetTransaction(valid.Hash));
    }
}
